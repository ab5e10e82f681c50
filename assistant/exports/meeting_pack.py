"""Packs for the case group's follow-on meetings, as Markdown or Word.

The first pack carries the review's questions, the story of the case (each episode with every
practitioner's account in their own words) and the episode cards, and no findings: the case group is
asked to correct and challenge the emerging analysis. The second carries the questions and the findings
in priority order, each with SCIE's fields and the evidence it rests on: its episodes, and the notes
quoted under the practitioner who gave them.

Practitioners are named by role label, the family by pseudonym. Before a pack is written, anything in it
that looks like a full name or a place is listed for the lead (`assistant.exports.identifying`), and the
pack is written only when the lead accepts the list. Each pack has a version — a hash of its content,
the same for Markdown and Word — recorded in the audit trail, so a meeting can say which pack was shared.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.cases import get_case
from assistant.exports.document import Document, to_docx, to_markdown
from assistant.exports.files import ExportRefused, publish
from assistant.exports.identifying import Candidate, identifying_text
from assistant.exports.pack import app_version
from assistant.labels import conversation_labels
from assistant.meetings import list_meetings
from assistant.report import ADEQUACY_WORDS, FINDING_TITLES, prioritised_findings
from assistant.review import case_episodes, case_notes, live_conversations
from assistant.review_questions import list_questions
from assistant.store import Store, now
from assistant.story import episode_cards, story_of_the_case
from assistant.structure import Structure

PACKS = ("first", "second")
PACK_FORMATS = ("md", "docx")
PACK_TITLES = {"first": "First follow-on meeting pack", "second": "Second follow-on meeting pack"}


@dataclass
class MeetingPack:
    """A pack ready to write: its document, its version, and the text in it that may identify someone."""

    which: str
    case: dict[str, Any]
    document: Document
    version: str
    identifying: list[Candidate] = field(default_factory=list)


class _Names:
    """The case's practitioners as the packs name them (role label and agency), found by note or moment."""

    def __init__(self, store: Store, case_id: str) -> None:
        conversations = live_conversations(store, case_id)
        self.labels = conversation_labels(conversations, with_agency=True)
        self.notes = {n["id"]: n for n in case_notes(store, case_id)}  # refuses notes whose checksum fails
        self.moment_owner = {r["id"]: r["conversation_id"] for r in store.query(
            "SELECT e.id, e.conversation_id FROM episodes e JOIN conversations v ON v.id = e.conversation_id"
            " WHERE v.case_id = ?", (case_id,))}
        self.known = [*self.labels.values(), *(c["practitioner_role"] for c in conversations),
                      *(c["agency"] for c in conversations if c["agency"])]

    def of_note(self, note_id: str) -> str:
        note = self.notes.get(note_id)
        return self.labels.get(note["conversation_id"], note["practitioner_role"]) if note else "A practitioner"


def _questions(doc: Document, store: Store, case_id: str, numbers: dict[str, int] | None) -> None:
    """The review's questions; in the second pack, each says which findings answer it."""
    doc.heading("The review's questions", 2)
    questions = list_questions(store, case_id)
    if not questions:
        doc.paragraph("The review's questions have not been recorded yet.", italic=True)
    for question in questions:
        text = question["text"]
        if numbers is not None:
            answered = sorted(numbers[f] for f in question["findings"] if f in numbers)
            text += (f" (answered by finding {', '.join(map(str, answered))})" if answered
                     else " (not yet answered by a finding)")
        doc.bullet(text, f"{question['number']}.")


def _story(doc: Document, store: Store, structure: Structure, case_id: str, names: _Names) -> None:
    doc.heading("The story of the case", 2)
    story = story_of_the_case(store, case_id)
    if not story["story"]:
        doc.paragraph("No key practice episode has been placed in the story yet.", italic=True)
    for item in story["story"]:
        if item["kind"] == "chronology":
            doc.bullet(f"{item['agency']}: {item['summary']}", f"{item['date']}:")
            continue
        doc.heading(item["title"] + (f" ({item['date']})" if item["date"] else ""), 3)
        for view in item["perspectives"]:
            owner = names.moment_owner.get(view["id"])
            doc.heading(names.labels.get(owner, view["practitioner_role"]), 4)
            doc.bullet(view["title"], "Their words for it:")
            for note in view["notes"]:
                section = structure.section_by_id.get(note["section_id"])
                doc.bullet(note["body"], f"{section.title if section else note['section_id']}:")
        if item["accounts_differ"]:
            doc.paragraph(f"Where accounts differ: {item['accounts_differ']}")
    if story["unplaced"]:
        doc.paragraph("Not yet placed in the story: " + "; ".join(e["title"] for e in story["unplaced"]) + ".",
                      italic=True)


def _cards(doc: Document, store: Store, structure: Structure, case_id: str, names: _Names) -> None:
    doc.heading("Episode cards", 2)
    cards = episode_cards(store, structure, case_id)
    if not cards:
        doc.paragraph("No key practice episodes yet.", italic=True)
    for card in cards:
        factors = ", ".join(structure.tag_by_id[t].label for t in card["factors"] if t in structure.tag_by_id)
        doc.heading(card["title"], 3)
        doc.bullet(card["what_happened"] or "—", "What happened:")
        doc.bullet(f"{ADEQUACY_WORDS[card['adequacy']]}. {card['appraisal']}".strip(),
                   "Practice, given what was known at the time:")
        doc.bullet(card["explanation"] or "—", "Why it made sense at the time:")
        doc.bullet(factors or "none recorded", "Contributory factors:")
        _quoted(doc, names, [n["id"] for n in card["explanation_notes"]], "{}, in their own words")


def _quoted(doc: Document, names: _Names, note_ids: list[str], heading: str) -> None:
    """Notes quoted under a heading naming the practitioner who gave them, one heading each."""
    by_person: dict[str, list[str]] = defaultdict(list)
    for note_id in note_ids:
        if note_id in names.notes:  # a note deleted since it was linked is not quoted
            by_person[names.of_note(note_id)].append(names.notes[note_id]["body"])
    for person, bodies in by_person.items():
        doc.heading(heading.format(person), 4)
        for body in bodies:
            doc.bullet(body)


def _findings(doc: Document, store: Store, structure: Structure, case_id: str, names: _Names,
              ranked: list[dict[str, Any]]) -> None:
    doc.heading("Findings, in priority order", 2)
    if not ranked:
        doc.paragraph("No findings drafted yet.", italic=True)
    titles = {e["id"]: e["title"] for e in case_episodes(store, case_id)}
    for number, finding in enumerate(ranked, start=1):
        tag = structure.tag_by_id.get(finding["typology_tag"])
        doc.heading(f"Finding {number}: {finding['statement']}", 3)
        doc.bullet(tag.label if tag else finding["typology_tag"], "Underlying pattern:")
        for key, title in FINDING_TITLES:
            doc.bullet(finding[key] or "—", f"{title}:")
        rests_on = [titles[e] for e in finding["case_episodes"] if e in titles]
        doc.bullet("; ".join(rests_on) or "no episode linked yet", "Episodes it rests on:")
        _quoted(doc, names, finding["notes"], "Notes from {}")


def _blocks_text(block: tuple) -> list[str]:
    if block[0] == "table":
        return [*block[1], *(str(c) for row in block[2] for c in row)]
    if block[0] == "facts":
        return [str(c) for row in block[2] for c in row]
    return [str(part) for part in block[1:] if isinstance(part, str)]


def build_meeting_pack(store: Store, structure: Structure, reference: str, which: str) -> MeetingPack:
    """The first or second pack for a case, with its version and the text that may identify someone."""
    if which not in PACKS:
        raise ExportRefused("A follow-on meeting pack is the first or the second.")
    case = get_case(store, reference)
    names = _Names(store, case["id"])
    content = Document()
    ranked = prioritised_findings(store, case["id"]) if which == "second" else []
    _questions(content, store, case["id"], {f["id"]: n for n, f in enumerate(ranked, start=1)}
               if which == "second" else None)
    if which == "first":
        _story(content, store, structure, case["id"], names)
        _cards(content, store, structure, case["id"], names)
    else:
        _findings(content, store, structure, case["id"], names, ranked)
    body = json.dumps([which, content.blocks], ensure_ascii=False)
    version = f"{which}-{hashlib.sha256(body.encode('utf-8')).hexdigest()[:12]}"
    title = f"{PACK_TITLES[which]}: {case['reference']} · {case['label']}"
    doc = Document(title=title, reference=case["reference"])
    doc.heading(title)
    doc.paragraph(f"Pack version {version}. Made {now()[:16].replace('T', ' ')} UTC by learning-together "
                  f"{app_version()}. Practitioners are named by role label and the family by pseudonym; each "
                  "account is the practitioner's own, kept side by side.", italic=True)
    doc.blocks += content.blocks
    found = identifying_in(content.blocks, title, known_words(store, structure, case, names))
    return MeetingPack(which, case, doc, version, found)


def known_words(store: Store, structure: Structure | None, case: dict[str, Any], names: _Names | None = None) \
        -> list[str]:
    """Phrases a shared document may carry that name no one: the case's reference and label, role labels,
    agencies, the meetings' attendees by role, and the structure's tags and section titles."""
    names = names or _Names(store, case["id"])
    known = [case["reference"], case["label"], *names.known]
    if structure is not None:
        known += [*(t.label for t in structure.codebook.tags), *(s.title for s in structure.sections)]
    for meeting in list_meetings(store, case["id"]):
        known += [p["role"] for p in meeting["attendees"] + meeting["absentees"]]
        known += [p["agency"] for p in meeting["attendees"] + meeting["absentees"] if p["agency"]]
    return known


def identifying_in(blocks: list[tuple], title: str, known: list[str]) -> list[Candidate]:
    """The text in `blocks` that may identify someone, each found under the heading it came after."""
    texts: list[tuple[str, str]] = []
    where = title
    for block in blocks:
        if block[0] == "heading":
            where = block[2]
        texts += [(where, text) for text in _blocks_text(block)]
    return identifying_text(texts, known)


def write_meeting_pack(store: Store, pack: MeetingPack, fmt: str, out: Path, *, force: bool = False,
                       accept_names: bool = False, actor: str = "lead reviewer") -> Path:
    """Write the pack with its audit event (which pack, its version), or nothing at all. A pack with text
    that may identify someone is written only when the lead has accepted the list (`accept_names`)."""
    if fmt not in PACK_FORMATS:
        raise ExportRefused("A follow-on meeting pack is written as md or docx.")
    if pack.identifying and not accept_names:
        raise ExportRefused(f"The pack was not written: {len(pack.identifying)} possible "
                            f"{'name or place' if len(pack.identifying) == 1 else 'names or places'} "
                            f"{'is' if len(pack.identifying) == 1 else 'are'} listed; correct them, or add --accept-names to write it as it is.")
    data: bytes | str = to_docx(pack.document) if fmt == "docx" else to_markdown(pack.document)
    out = Path(out)

    def record_event() -> None:
        store.event("export", "case", pack.case["id"],
                    {"format": fmt, "files": [out.name], "pack": pack.which, "pack_version": pack.version,
                     "names_listed": len(pack.identifying), "names_accepted": bool(pack.identifying)}, actor)

    return publish(store, [(out, data)], record_event, force)[0]
