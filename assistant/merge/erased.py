"""Honouring erasure: rows of conversations and cases erased here (the audit trail's tombstones) are
left out, so an old hand-over cannot bring them back."""

from __future__ import annotations

from assistant.merge.report import MergeReport
from assistant.merge.tables import Rows


def leave_out_erased(incoming: Rows, erased_conversations: set[str], erased_cases: set[str],
                     case_map: dict[str, str], report: MergeReport) -> set[str]:
    """Drop the rows of conversations and cases erased here (and chronology of cases not merged, such
    as rehearsal-only ones); return the ids of the notes dropped."""
    conversations = set(erased_conversations)
    conversations.update(c["id"] for c in incoming["conversations"] if c["case_id"] in erased_cases)
    notes = {n["id"] for n in incoming["notes"] if n["conversation_id"] in conversations}
    keep = {
        "conversations": lambda r: r["id"] not in conversations,
        "episodes": lambda r: r["conversation_id"] not in conversations,
        "notes": lambda r: r["conversation_id"] not in conversations,
        "note_versions": lambda r: r["note_id"] not in notes,
        "prompt_marks": lambda r: r["conversation_id"] not in conversations,
        "section_visits": lambda r: r["conversation_id"] not in conversations,
        "chronology": lambda r: r["case_id"] not in erased_cases,
        "note_tags": lambda r: r["note_id"] not in notes,
    }
    for table, wanted in keep.items():
        rows = incoming[table]
        incoming[table] = [r for r in rows if wanted(r)]
        report.skipped_erased += len(rows) - len(incoming[table])
    incoming["chronology"] = [r for r in incoming["chronology"] if r["case_id"] in case_map]
    return notes
