"""Case exports for the analysis meeting and qualitative-analysis tools: md, docx, csv, json, qdpx.

Every export is self-describing (structure, application and schema versions), written private (0600),
recorded in the audit trail, refuses notes whose checksum does not match, and never includes rehearsals.
"""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from assistant.cases import chronology, get_case
from assistant.conversation import held_on
from assistant.exports.document import to_docx, to_markdown
from assistant.exports.files import choose_export_path, publish, safe_stem, shorten_name
from assistant.exports.pack import app_version, build_analysis_pack, case_comments
from assistant.labels import conversation_labels
from assistant.meetings import challenge_log, list_meetings
from assistant.review import case_episodes, case_notes, findings, influence_counts, live_conversations
from assistant.store import Store, StoreError, now
from assistant.store.schema import SCHEMA_VERSION
from assistant.structure import Structure

CASE_FORMATS = ("md", "docx", "csv", "json", "qdpx")
# A cell a spreadsheet would read as a formula starts with one of these.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value: Any) -> str:
    """Stop spreadsheets treating a cell as a formula (CSV injection), keeping the text readable."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


# ------------------------------------------------------------------ csv and json


def notes_csv(store: Store, structure: Structure, reference: str) -> str:
    case = get_case(store, reference)
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["note_id", "conversation_id", "practitioner_role", "agency", "section", "prompt", "prompt_text",
                     "moment", "author_role", "created_at", "tags", "tag_labels", "body"])
    # Ids are for tools; the prompt's words and the tags' labels beside them are for people reading the sheet.
    prompts = {(s.id, p.id): p.text for s in structure.sections for p in s.prompts}
    for note in case_notes(store, case["id"]):
        section = structure.section_by_id.get(note["section_id"])
        labels = [structure.tag_by_id[t].label if t in structure.tag_by_id else t for t in note["tags"]]
        writer.writerow([neutralise_cell(v) for v in (
            note["id"], note["conversation_id"], note["practitioner_role"], note["agency"],
            section.title if section else note["section_id"], note["prompt_id"] or "",
            prompts.get((note["section_id"], note["prompt_id"]), ""), note["moment_title"] or "",
            note["author_role"], note["created_at"], ";".join(note["tags"]), ";".join(labels), note["body"],
        )])
    return buffer.getvalue()


def codebook_csv(structure: Structure) -> str:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["tag_id", "group", "label", "level", "description"])
    for tag in structure.codebook.tags:
        writer.writerow([neutralise_cell(v) for v in (tag.id, tag.group, tag.label, tag.level or "", tag.description)])
    return buffer.getvalue()


def case_json(store: Store, structure: Structure, reference: str) -> dict[str, Any]:
    case = get_case(store, reference)
    notes = case_notes(store, case["id"])
    conversations = live_conversations(store, case["id"])
    labels = conversation_labels(conversations, with_agency=True)  # as the analysis pack names them
    comments: dict[str, list[dict[str, Any]]] = defaultdict(list)  # by the note or conversation they are on
    for comment in case_comments(store, case["id"]):
        comments[comment["target_id"]].append({"id": comment["id"], "body": comment["body"],
                                               "resolved": bool(comment["resolved"]),
                                               "created_at": comment["created_at"],
                                               "updated_at": comment["updated_at"]})
    return {
        "format": "learning-together-case",
        "application_version": app_version(),
        "schema_version": SCHEMA_VERSION,
        "structure": {"id": structure.id, "version": structure.version, "hash": structure.content_hash},
        "exported_at": now(),
        "case": {k: case[k] for k in ("id", "reference", "label", "created_at")},
        "conversations": [
            {**{k: c[k] for k in ("id", "practitioner_role", "agency", "lead_interviewer", "second_interviewer",
                                 "status", "records_seen_before", "recording_consent", "gate_opened_at",
                                 "structure_id", "structure_version", "created_at", "utc_offset", "ended_at",
                                 "review_state")},
             "held_on": held_on(c),
             "label": labels[c["id"]],
             "comments": comments.get(c["id"], []),
             "moments": [{k: m[k] for k in ("id", "title", "approximate_time", "position")}
                         for m in store.query("SELECT * FROM episodes WHERE conversation_id = ? ORDER BY position",
                                              (c["id"],))],
             "notes": [{k: n[k] for k in ("id", "section_id", "prompt_id", "episode_id", "author_role", "body",
                                          "checksum", "created_at", "updated_at", "tags")}
                        | {"comments": comments.get(n["id"], [])}
                       for n in notes if n["conversation_id"] == c["id"]]}
            for c in conversations
        ],
        "case_episodes": [
            {**e, "moments": [l["episode_id"] for l in store.query(
                "SELECT episode_id FROM case_episode_links WHERE case_episode_id = ?", (e["id"],))]}
            for e in case_episodes(store, case["id"])
        ],
        "findings": findings(store, case["id"]),
        "chronology": [{k: e[k] for k in ("date", "agency", "summary", "source_ref")}
                       for e in chronology(store, case["id"])],
        "influences": influence_counts(store, structure, case["id"]),
        # The case group's follow-on meetings and every challenge raised at them, with the team's response.
        "meetings": list_meetings(store, case["id"]),
        "challenges": challenge_log(store, case["id"]),
    }


# ------------------------------------------------------------------ dispatcher


CODEBOOK_SUFFIX = "-codebook.csv"


def export_case(store: Store, structure: Structure, reference: str, fmt: str, out: Path,
                actor: str = "lead reviewer", force: bool = False) -> list[Path]:
    """Write one case in one format with its audit event, or nothing at all; returns the files written
    (csv also writes a codebook beside it). An existing file is replaced only with `force`; the
    database never is. Both csv files are checked before either is written."""
    if fmt not in CASE_FORMATS:
        raise StoreError(f"Export formats are {', '.join(CASE_FORMATS)}.")
    out = Path(out)
    files: list[tuple[Path, bytes | str]] = []
    if fmt in ("md", "docx"):
        document = build_analysis_pack(store, structure, reference)
        files.append((out, to_markdown(document) if fmt == "md" else to_docx(document)))
    elif fmt == "csv":
        files.append((out, notes_csv(store, structure, reference)))
        files.append((out.with_name(f"{out.stem}{CODEBOOK_SUFFIX}"), codebook_csv(structure)))
    elif fmt == "json":
        data = case_json(store, structure, reference)
        files.append((out, json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n"))
    else:
        from assistant.exports.qdpx import qdpx_bytes

        files.append((out, qdpx_bytes(store, structure, reference)))
    case = get_case(store, reference)

    def record_event() -> None:
        store.event("export", "case", case["id"], {"format": fmt, "files": [p.name for p, _ in files]}, actor)

    return publish(store, files, record_event, force)


def case_export_path(folder: Path, reference: str, fmt: str) -> Path:
    """A free name for a case export in `folder` (for csv, its codebook's name is free too)."""
    stem = shorten_name(safe_stem(reference), "", 120) + "-analysis"
    return choose_export_path(folder, stem, fmt, siblings=(CODEBOOK_SUFFIX,) if fmt == "csv" else ())
