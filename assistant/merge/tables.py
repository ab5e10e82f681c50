"""Which tables a merge reads, in which order, and which columns do not count as content."""

from __future__ import annotations

from typing import Any

# Columns that change as a pair works and do not make two copies of a row different.
# utc_offset: a conversation merged from a schema-5 pair database has none; it is information, not content.
VOLATILE = frozenset({"source", "updated_at", "position_section", "position_episode", "position_prompt",
                      "utc_offset"})
_LIVE = "SELECT id FROM conversations WHERE mode = 'live'"
# Tables in dependency order, with how each row reaches its conversation (to leave rehearsals out).
TABLES: list[tuple[str, str]] = [
    ("conversations", "mode = 'live'"),
    ("episodes", f"conversation_id IN ({_LIVE})"),
    ("notes", f"conversation_id IN ({_LIVE})"),
    ("note_versions", f"note_id IN (SELECT id FROM notes WHERE conversation_id IN ({_LIVE}))"),
    ("prompt_marks", f"conversation_id IN ({_LIVE})"),
    ("section_visits", f"conversation_id IN ({_LIVE})"),
    ("chronology", "1"),
    ("note_tags", f"note_id IN (SELECT id FROM notes WHERE conversation_id IN ({_LIVE}))"),
]
MERGED_TABLES = ["cases"] + [table for table, _ in TABLES]
CHRONOLOGY_KEY = ("case_id", "date", "agency", "summary", "source_ref")
# The source's rowid rides along with each row, to name a bad row in the error.
ROWID = "__rowid"
# Set on a source row the lead already holds exactly: it is counted as present, never checked or written.
KNOWN = "__known"

Rows = dict[str, list[dict[str, Any]]]


def content(row: dict[str, Any]) -> dict[str, Any]:
    """A row without the columns that do not count as content."""
    return {k: v for k, v in row.items() if k not in VOLATILE and k not in (ROWID, KNOWN)}
