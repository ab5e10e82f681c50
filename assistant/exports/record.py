"""The typed-up record of one conversation, for the practitioner's accuracy check.

Only that conversation's notes, sections in the structure's order, each key moment with its notes and
its influences grouped by category, then what went well and suggested changes. Role labels only. It is
the practitioner's: their words as they are, the pair's own observations marked as the pair's, and the
pair's workflow tags ("Follow-up needed") left out unless the pair chooses to include them.
"""

from __future__ import annotations

from pathlib import Path

from assistant.store import StoreError

from assistant.conversation import STATUS_LABELS, Conversation, held_on
from assistant.exports.document import Document, to_docx, to_markdown
from assistant.exports.files import choose_export_path, publish, safe_stem, shorten_name
from assistant.review import require_intact

RECORD_FORMATS = ("md", "docx")
# The note kinds ("Follow-up needed", "Query"…) are how the pair organises its work, not what the
# practitioner said; the two that say whose words a note holds are shown as a mark instead.
WORKFLOW_GROUP = "kind"
OBSERVATION_TAG = "observation"
_WHOSE_WORDS = {"words", OBSERVATION_TAG}
OBSERVATION_MARK = "Review team's observation:"
UNLINKED_HEADING = "Not linked to a key moment"
NO_CATEGORY = "No category given"
OTHER_SECTIONS = ""  # notes of a section the structure no longer has


def _note_label(conversation: Conversation, tags: list[str], skip_group: str | None, workflow: bool) -> str:
    """The mark and tag labels before a note: the pair's observations marked as theirs, contributory
    factors named, workflow tags only when the pair includes them, analysis-only tags never."""
    structure = conversation.structure
    labels = []
    for tag_id in tags:
        tag = structure.tag_by_id.get(tag_id)
        if tag is None or tag.group == skip_group or structure.group_by_id[tag.group].analysis_only:
            continue
        if tag.group == WORKFLOW_GROUP and (not workflow or tag_id in _WHOSE_WORDS):
            continue
        labels.append(tag.label)
    label = f"[{', '.join(labels)}]" if labels else ""
    return f"{OBSERVATION_MARK} {label}".strip() if OBSERVATION_TAG in tags else label


def _notes_by_stop(structure, notes: list[dict], moment_ids: set[str]) -> dict[tuple[str, str | None], list[dict]]:
    """Each note under the place the record shows it, so every note has exactly one: a moment's section
    under its moment, or under no moment when its moment is gone; a once-only section's notes in that
    section whichever moment was current; a section the structure no longer has under "Other notes"."""
    by_stop: dict[tuple[str, str | None], list[dict]] = {}
    for note in notes:
        section = structure.section_by_id.get(note["section_id"])
        if section is None:
            key: tuple[str, str | None] = (OTHER_SECTIONS, None)
        elif section.mode == "per_episode" and note["episode_id"] in moment_ids:
            key = (section.id, note["episode_id"])
        else:
            key = (section.id, None)
        by_stop.setdefault(key, []).append(note)
    return by_stop


def build_record(conversation: Conversation, include_workflow_tags: bool = False) -> Document:
    structure = conversation.structure
    row = conversation.row
    case = conversation.case
    doc = Document(title=f"Record of conversation: {case['reference']} · {row['practitioner_role']}",
                   reference=case["reference"])
    doc.heading("Record of conversation, for your accuracy check")
    doc.paragraph(
        "These are the review team's typed-up notes of our conversation. Please read them and tell us "
        "anything that is wrong or missing; corrections are made with a note of why. Practitioners are "
        f"named by role and the family by pseudonym. Notes marked \u201c{OBSERVATION_MARK.rstrip(':')}\u201d are "
        "what we noticed, not your words; every other note is our record of what you told us.",
        italic=True,
    )
    if row["mode"] == "rehearsal":
        doc.paragraph("REHEARSAL: a training conversation with a fictional practitioner.", italic=True)
    doc.facts(
        "About this conversation",
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
    by_stop = _notes_by_stop(structure, require_intact(conversation.notes.list()), {e["id"] for e in episodes})

    def write_notes(section_id: str, episode_id: str | None, group_by: str | None = None) -> None:
        items = by_stop.get((section_id, episode_id), [])
        if not items:
            doc.paragraph("No notes.", italic=True)
            return
        if group_by:
            group = {tag.id for tag in structure.tags_in_group(group_by)}
            for tag in structure.tags_in_group(group_by):
                grouped = [n for n in items if tag.id in n["tags"]]
                if grouped:
                    doc.heading(tag.label, 4)
                    for note in grouped:
                        doc.bullet(note["body"], _note_label(conversation, note["tags"], group_by,
                                                             include_workflow_tags))
            # A note with none of the group's tags is still the practitioner's words: it is never left out.
            unsorted = [n for n in items if not group.intersection(n["tags"])]
            if unsorted:
                doc.heading(NO_CATEGORY, 4)
            items = unsorted
        for note in items:
            doc.bullet(note["body"], _note_label(conversation, note["tags"], group_by, include_workflow_tags))

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
            unlinked = [part for part in block if (part.id, None) in by_stop]
            if unlinked:
                doc.heading(UNLINKED_HEADING, 2)
                doc.paragraph("Notes from the key-moment sections that are not linked to a moment (its moment "
                              "was removed); they are kept here so nothing you told us is left out.", italic=True)
                for part in unlinked:
                    doc.heading(part.title, 3)
                    write_notes(part.id, None, group_by=part.requires_tag_group)
            continue
        doc.heading(section.title, 2)
        if section.captures_episodes:
            for index, episode in enumerate(episodes, start=1):
                when = f" ({episode['approximate_time']})" if episode["approximate_time"] else ""
                doc.bullet(f"{episode['title']}{when}", f"{index}.")
        write_notes(section.id, None)
    if (OTHER_SECTIONS, None) in by_stop:
        doc.heading("Other notes", 2)
        write_notes(OTHER_SECTIONS, None)
    return doc


def export_record(conversation: Conversation, fmt: str, out: Path, force: bool = False,
                  include_workflow_tags: bool = False) -> Path:
    """Write the record as Markdown or Word with its audit event, or nothing at all.

    An existing file is replaced only with `force`; the database never is. The pair's workflow tags
    are in it only with `include_workflow_tags`."""
    if fmt not in RECORD_FORMATS:
        raise StoreError("A conversation's record is exported as md or docx.")
    document = build_record(conversation, include_workflow_tags)
    data: bytes | str = to_docx(document) if fmt == "docx" else to_markdown(document)
    store = conversation.store

    def record_event() -> None:
        store.event("export", "conversation", conversation.id,
                    {"format": fmt, "kind": "record", "workflow_tags": include_workflow_tags}, conversation.actor)

    return publish(store, [(Path(out), data)], record_event, force)[0]


def record_path(folder: Path, conversation: Conversation, fmt: str) -> Path:
    """A free name for the record in `folder`: case, role and the conversation's short id."""
    reference = shorten_name(safe_stem(conversation.case["reference"]), "", 48)
    role = shorten_name(safe_stem(conversation.row["practitioner_role"]), "", 120)
    stem = f"{reference}-{role}-record-{conversation.id[:8]}"
    return choose_export_path(folder, stem, fmt)
