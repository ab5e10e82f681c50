"""The introductory letter to a member of the case group, as Markdown or Word, from a template kept with
the structure data (structures/letters/introductory-letter.toml), never in code.

`LetterTemplate` is the template's shape and its checks (every topic the letter must cover is there;
every field in braces is one this module fills in); `assistant.structure.load_letter_template` reads a
file into it. `export_letter` writes one member's letter through the audited export path, and can
record in the same transaction that the letter was sent.
"""

from __future__ import annotations

import string
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from assistant.casegroup import get_member, record_letter_sent
from assistant.exports.document import Document, to_docx, to_markdown
from assistant.exports.files import choose_export_path, publish
from assistant.store import Store, StoreError

LETTER_FORMATS = ("md", "docx")
# The fields a template may use, and what fills them.
PLACEHOLDERS = {
    "addressee": "the member's role label, with their agency",
    "role": "the member's role label",
    "agency": "the member's agency",
    "case_reference": "the case reference",
    "case_label": "the family's pseudonym",
    "date": "the date of the conversation",
    "time": "the time of the conversation",
    "place": "the place of the conversation",
    "today": "the date the letter is written",
}
# What every introductory letter covers, by section id.
REQUIRED_TOPICS = {
    "what_it_is": "what a Learning Together review is",
    "learning_not_blame": "learning, not blame",
    "what_happens": "what happens to what they say, and the accuracy check",
    "confidentiality": "confidentiality",
    "colleague": "that they can bring a colleague",
    "support": "the support available",
    "arrangements": "the arrangements",
}

Text = Annotated[str, Field(min_length=1, max_length=4000)]


def placeholder_problems(text: str) -> list[str]:
    """What is wrong with the fields in braces in `text` (empty when all are known)."""
    try:
        fields = list(string.Formatter().parse(text))
    except ValueError as error:
        return [f"{error} (write {{{{ or }}}} for a brace itself)"]
    problems = []
    for _, name, spec, conversion in fields:
        if name is None:
            continue
        if name not in PLACEHOLDERS or spec or conversion:
            problems.append(f"unknown field {{{name}{'!' + conversion if conversion else ''}"
                            f"{':' + spec if spec else ''}}}; the known fields are {', '.join(PLACEHOLDERS)}")
    return problems


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LetterSection(_Frozen):
    id: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_\-]{0,63}$")]
    heading: Text
    paragraphs: tuple[Text, ...] = Field(min_length=1)


class LetterTemplate(_Frozen):
    """An introductory letter's words, with fields in braces filled in for each member."""

    kind: Literal["letter"] = "letter"
    id: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_\-]{0,63}$")]
    version: Annotated[str, Field(min_length=1, max_length=32)]
    title: Text
    greeting: Text
    not_yet_agreed: Text
    closing: Text
    sections: tuple[LetterSection, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _fields_and_topics(self) -> "LetterTemplate":
        problems = []
        ids = [s.id for s in self.sections]
        if len(set(ids)) != len(ids):
            problems.append("each section id may appear only once")
        missing = [f"'{topic}' ({what})" for topic, what in REQUIRED_TOPICS.items() if topic not in ids]
        if missing:
            problems.append(f"the letter must cover {', '.join(missing)}")
        texts = [("title", self.title), ("greeting", self.greeting), ("not_yet_agreed", self.not_yet_agreed),
                 ("closing", self.closing)]
        texts += [(f"sections (id '{s.id}').{where}", text) for s in self.sections
                  for where, text in [("heading", s.heading), *(("paragraphs", p) for p in s.paragraphs)]]
        for where, text in texts:
            problems += [f"{where}: {problem}" for problem in placeholder_problems(text)]
        if problems:
            raise ValueError("; ".join(problems))
        return self


def letter_values(store: Store, template: LetterTemplate, member: dict[str, Any]) -> dict[str, str]:
    """What fills each field for this member: role labels and agencies only, never a name."""
    from datetime import date

    case = store.one("SELECT reference, label FROM cases WHERE id = ?", (member["case_id"],)) or {}
    agency = member["agency"]
    return {
        "addressee": f"{member['role']}, {agency}" if agency else member["role"],
        "role": member["role"],
        "agency": agency,
        "case_reference": case.get("reference", ""),
        "case_label": case.get("label", ""),
        "date": member["meeting_date"] or template.not_yet_agreed,
        "time": member["meeting_time"] or template.not_yet_agreed,
        "place": member["meeting_place"] or template.not_yet_agreed,
        "today": f"{date.today().day} {date.today():%B %Y}",
    }


def build_letter(store: Store, template: LetterTemplate, member_id: str) -> Document:
    """One member's letter as a document, ready for Markdown or Word."""
    values = letter_values(store, template, get_member(store, member_id))
    doc = Document()
    doc.heading(template.title.format(**values))
    doc.paragraph(values["today"])
    doc.paragraph(template.greeting.format(**values))
    for section in template.sections:
        doc.heading(section.heading.format(**values), 2)
        for paragraph in section.paragraphs:
            doc.paragraph(paragraph.format(**values))
    for paragraph in template.closing.format(**values).split("\n\n"):
        doc.paragraph(paragraph.strip())
    return doc


def letter_path(folder: Path, store: Store, member_id: str, fmt: str) -> Path:
    """A free name for a member's letter in `folder` (for the app, which names no file)."""
    member = get_member(store, member_id)
    return choose_export_path(folder, f"letter-{member['role']}-{member_id[:8]}", fmt)


def export_letter(store: Store, template: LetterTemplate, member_id: str, fmt: str, target: Path, *,
                  force: bool = False, mark_sent: bool = False, actor: str = "lead reviewer") -> Path:
    """Write a member's introductory letter (md or docx) to `target`, audited; with `mark_sent`, the
    member's status moves on to *letter sent* in the same transaction. Nothing is written on error."""
    if fmt not in LETTER_FORMATS:
        raise StoreError("An introductory letter is written as md or docx.")
    member = get_member(store, member_id)
    document = build_letter(store, template, member_id)
    payload: bytes | str = to_markdown(document) if fmt == "md" else to_docx(document)

    def record() -> None:
        store.event("export", "letter", member_id,
                    {"format": fmt, "template": template.id, "version": template.version, "file": Path(target).name},
                    actor)
        if mark_sent:
            record_letter_sent(store, member["id"], actor=actor)

    return publish(store, [(Path(target), payload)], record, force=force)[0]
