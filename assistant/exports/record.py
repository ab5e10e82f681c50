"""The typed-up record of one conversation, for the practitioner's accuracy check.

Only that conversation's notes, sections in the structure's order, each key moment with its notes and
its influences grouped by category, then what went well and suggested changes. Role labels only.
"""

from __future__ import annotations

from pathlib import Path

from assistant.store import StoreError

from assistant.conversation import STATUS_LABELS, Conversation, held_on
from assistant.exports.document import Document, to_docx, to_markdown
from assistant.exports.files import choose_export_path, publish, safe_stem, shorten_name
from assistant.review import require_intact

RECORD_FORMATS = ("md", "docx")


def _tag_labels(conversation: Conversation, tags: list[str], skip_group: str | None = None) -> str:
    labels = [
        conversation.structure.tag_by_id[t].label
        for t in tags
        if t in conversation.structure.tag_by_id and conversation.structure.tag_by_id[t].group != skip_group
        and conversation.structure.group_by_id[conversation.structure.tag_by_id[t].group].analysis_only is False
    ]
    return f"[{', '.join(labels)}]" if labels else ""


def build_record(conversation: Conversation) -> Document:
    structure = conversation.structure
    row = conversation.row
    case = conversation.case
    doc = Document()
    doc.heading("Record of conversation, for your accuracy check")
    doc.paragraph(
        "These are the review team's typed-up notes of our conversation. Please read them and tell us "
        "anything that is wrong or missing; corrections are made with a note of why. Practitioners are "
        "named by role and the family by pseudonym.",
        italic=True,
    )
    if row["mode"] == "rehearsal":
        doc.paragraph("REHEARSAL: a training conversation with a fictional practitioner.", italic=True)
    doc.table(
        ["", ""],
        [
            ["Case", f"{case['reference']}: {case['label']}"],
            ["Practitioner", f"{row['practitioner_role']}" + (f", {row['agency']}" if row["agency"] else "")],
            ["Conversation led by", row["lead_interviewer"] or "lead interviewer"],
            ["Notes taken by", row["second_interviewer"] or "second interviewer"],
            ["Held on", held_on(row)],
            ["Status", STATUS_LABELS[row["status"]]],
            ["Structure", f"{structure.title} ({structure.id} {row['structure_version']})"],
        ],
    )
    episodes = conversation.moments.list()
    notes = require_intact(conversation.notes.list())
    by_stop: dict[tuple[str, str | None], list[dict]] = {}
    for note in notes:
        by_stop.setdefault((note["section_id"], note["episode_id"]), []).append(note)

    def write_notes(section_id: str, episode_id: str | None, group_by: str | None = None) -> None:
        items = by_stop.get((section_id, episode_id), [])
        if not items:
            doc.paragraph("No notes.", italic=True)
            return
        if group_by:
            for tag in structure.tags_in_group(group_by):
                grouped = [n for n in items if tag.id in n["tags"]]
                if grouped:
                    doc.heading(tag.label, 4)
                    for note in grouped:
                        doc.bullet(note["body"], _tag_labels(conversation, note["tags"], skip_group=group_by))
            return
        for note in items:
            doc.bullet(note["body"], _tag_labels(conversation, note["tags"]))

    per_episode_done = False
    for section in structure.sections:
        if section.mode == "per_episode":
            if per_episode_done:
                continue
            per_episode_done = True
            block = [s for s in structure.sections if s.mode == "per_episode"]
            for index, episode in enumerate(episodes, start=1):
                when = f" ({episode['approximate_time']})" if episode["approximate_time"] else ""
                doc.heading(f"Key moment {index}: {episode['title']}{when}", 2)
                for part in block:
                    doc.heading(part.title, 3)
                    write_notes(part.id, episode["id"], group_by=part.requires_tag_group)
            continue
        doc.heading(section.title, 2)
        if section.captures_episodes:
            for index, episode in enumerate(episodes, start=1):
                when = f" ({episode['approximate_time']})" if episode["approximate_time"] else ""
                doc.bullet(f"{episode['title']}{when}", f"{index}.")
        write_notes(section.id, None)
    return doc


def export_record(conversation: Conversation, fmt: str, out: Path, force: bool = False) -> Path:
    """Write the record as Markdown or Word with its audit event, or nothing at all.

    An existing file is replaced only with `force`; the database never is."""
    if fmt not in RECORD_FORMATS:
        raise StoreError("A conversation's record is exported as md or docx.")
    document = build_record(conversation)
    data: bytes | str = to_docx(document) if fmt == "docx" else to_markdown(document)
    store = conversation.store

    def record_event() -> None:
        store.event("export", "conversation", conversation.id, {"format": fmt, "kind": "record"},
                    conversation.actor)

    return publish(store, [(Path(out), data)], record_event, force)[0]


def record_path(folder: Path, conversation: Conversation, fmt: str) -> Path:
    """A free name for the record in `folder`: case, role and the conversation's short id."""
    reference = shorten_name(safe_stem(conversation.case["reference"]), "", 48)
    role = shorten_name(safe_stem(conversation.row["practitioner_role"]), "", 120)
    stem = f"{reference}-{role}-record-{conversation.id[:8]}"
    return choose_export_path(folder, stem, fmt)
