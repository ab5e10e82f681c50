"""Case exports for the analysis meeting and qualitative-analysis tools: md, docx, csv, json, qdpx.

Every export is self-describing (structure, application and schema versions), written private (0600),
recorded in the audit trail, refuses notes whose checksum does not match, and never includes rehearsals.
"""

from __future__ import annotations

import csv
import io
import json
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from assistant.cases import chronology, get_case
from assistant.conversation import held_on
from assistant.exports.document import Document, to_docx, to_markdown
from assistant.exports.files import choose_export_path, publish, safe_stem, shorten_name
from assistant.review import (case_episodes, case_moments, case_notes, coverage_matrix, episode_accounts,
                              findings, influence_counts, live_conversations)
from assistant.store import Store, StoreError, now
from assistant.store.schema import SCHEMA_VERSION
from assistant.structure import Structure

CASE_FORMATS = ("md", "docx", "csv", "json", "qdpx")
# A cell a spreadsheet would read as a formula starts with one of these.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def app_version() -> str:
    try:
        return version("learning-together")
    except PackageNotFoundError:
        return "unknown"


def neutralise_cell(value: Any) -> str:
    """Stop spreadsheets treating a cell as a formula (CSV injection), keeping the text readable."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def _conversation_label(conversation: dict[str, Any]) -> str:
    agency = f" ({conversation['agency']})" if conversation["agency"] else ""
    return f"{conversation['practitioner_role']}{agency}"


# ------------------------------------------------------------------ analysis pack (md, docx)


def build_analysis_pack(store: Store, structure: Structure, reference: str) -> Document:
    case = get_case(store, reference)
    conversations = live_conversations(store, case["id"])
    names = {c["id"]: _conversation_label(c) for c in conversations}
    case_notes(store, case["id"])  # refuses to go on if any note's checksum does not match
    doc = Document()
    doc.heading(f"Analysis pack: {case['reference']} · {case['label']}")
    doc.paragraph(
        f"Made {now()[:16].replace('T', ' ')} UTC by learning-together {app_version()} with structure "
        f"{structure.id} {structure.version}. Practitioners are named by role; the family by pseudonym. "
        "Each account is the practitioner's own: perspectives are kept side by side, not merged.",
        italic=True,
    )
    doc.heading("Conversations", 2)
    for c in conversations:
        doc.bullet(f"{c['status'].replace('_', ' ')}, {c['note_count']} notes, held {held_on(c)}",
                   names[c["id"]])
    doc.heading("Key practice episodes", 2)
    episodes = case_episodes(store, case["id"])
    if not episodes:
        doc.paragraph("No case episodes linked yet.", italic=True)
    factor_labels = {t.id: t.label for t in structure.tags_in_group("factor")}
    for episode in episodes:
        doc.heading(episode["title"], 3)
        if episode["typology"]:
            doc.paragraph("Underlying patterns: " + ", ".join(structure.tag_by_id[t].label for t in episode["typology"]))
        accounts = episode_accounts(store, structure, episode["id"])
        header = ["", *[_conversation_label(a["moment"]) for a in accounts]]
        rows = [["Their words for it", *[a["moment"]["title"] for a in accounts]]]
        for section in (s for s in structure.sections if s.mode == "per_episode"):
            rows.append([section.title, *["\n".join(n["body"] for n in a["notes_by_section"].get(section.id, []))
                                          for a in accounts]])
        rows.append(["Influences", *["; ".join(f"{factor_labels[t]} ({n})" for t, n in a["influences"].items())
                                     for a in accounts]])
        doc.table(header, rows)
    unlinked = [m for m in case_moments(store, case["id"]) if not m["case_episode_id"]]
    if unlinked:
        doc.heading("Key moments not yet linked to an episode", 3)
        for moment in unlinked:
            doc.bullet(moment["title"], _conversation_label(moment) + ":")
    doc.heading("Coverage", 2)
    matrix = coverage_matrix(store, structure, case["id"])
    doc.table(["Section", "Prompt", *[names[c["id"]] for c in matrix.conversations]],
              [[r["section"].title, r["prompt"].text, *[r["cells"][c["id"]]["state"] for c in matrix.conversations]]
               for r in matrix.rows])
    doc.heading("Influences by category", 2)
    counts = influence_counts(store, structure, case["id"])
    doc.table(["Category", "Level", "Total", *[names[c["id"]] for c in conversations]],
              [[structure.tag_by_id[f].label, (structure.tag_by_id[f].level or "").replace("_", " "),
                str(counts["totals"].get(f, 0)),
                *[str(counts["by_conversation"].get(f, {}).get(c["id"], 0)) for c in conversations]]
               for f in counts["factors"]])
    if counts["together"]:
        doc.paragraph("Categories named together on the same moment:")
        for item in counts["together"][:15]:
            doc.bullet(f"{item['moments']} moment(s)", " + ".join(factor_labels[t] for t in item["pair"]) + ":")
    doc.heading("Draft findings", 2)
    drafted = findings(store, case["id"])
    if not drafted:
        doc.paragraph("No findings drafted yet.", italic=True)
    titles = {e["id"]: e["title"] for e in episodes}
    for number, finding in enumerate(drafted, start=1):
        doc.heading(f"Finding {number}: {structure.tag_by_id[finding['typology_tag']].label}", 3)
        doc.bullet(finding["statement"], "The finding:")
        doc.bullet(finding["in_this_case"] or "—", "How it showed in this case:")
        doc.bullet(finding["systemic_evidence"] or "—", "Evidence that it is systemic, not a one-off:")
        doc.bullet(finding["why_it_matters"] or "—", "Why it matters:")
        doc.bullet(finding["questions"] or "—", "Questions for the safeguarding partners:")
        if finding["case_episodes"]:
            doc.bullet(", ".join(titles.get(e, e) for e in finding["case_episodes"]), "Rests on episodes:")
        if finding["notes"]:
            doc.bullet(f"{len(finding['notes'])} linked note(s)", "Evidence:")
    entries = chronology(store, case["id"])
    if entries:
        doc.heading("Chronology", 2)
        doc.table(["Date", "Agency", "Summary", "Source"],
                  [[e["date"], e["agency"], e["summary"], e["source_ref"]] for e in entries])
    return doc


# ------------------------------------------------------------------ csv and json


def notes_csv(store: Store, structure: Structure, reference: str) -> str:
    case = get_case(store, reference)
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["note_id", "conversation_id", "practitioner_role", "agency", "section", "prompt", "moment",
                     "author_role", "created_at", "tags", "body"])
    for note in case_notes(store, case["id"]):
        section = structure.section_by_id.get(note["section_id"])
        writer.writerow([neutralise_cell(v) for v in (
            note["id"], note["conversation_id"], note["practitioner_role"], note["agency"],
            section.title if section else note["section_id"], note["prompt_id"] or "", note["moment_title"] or "",
            note["author_role"], note["created_at"], ";".join(note["tags"]), note["body"],
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
             "moments": [{k: m[k] for k in ("id", "title", "approximate_time", "position")}
                         for m in store.query("SELECT * FROM episodes WHERE conversation_id = ? ORDER BY position",
                                              (c["id"],))],
             "notes": [{k: n[k] for k in ("id", "section_id", "prompt_id", "episode_id", "author_role", "body",
                                          "checksum", "created_at", "updated_at", "tags")}
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
