"""Checking and cleaning a source's rows against the lead's own schema, and finding the rows the lead
already holds exactly (those are neither checked nor cleaned: nothing of them is written)."""

from __future__ import annotations

import sqlite3
from typing import Any

from assistant.cases import REFERENCE_PATTERN
from assistant.merge.report import MergeError, MergeReport
from assistant.merge.tables import KNOWN, ROWID, TABLES, VOLATILE, Rows
from assistant.safe_text import clean_input
from assistant.store import Store, checksum

# Tables whose rows are matched by id, so a row the lead holds can be recognised before any checking.
# Cases are matched by reference and chronology entries by content: they always take the full path.
_BY_ID = [table for table, _ in TABLES if table not in ("chronology", "note_tags")]
_CHUNK = 500  # ids per look-up, well under SQLite's limit on parameters


class Schema:
    """The lead's own definition of each merged table: declared types, NOT NULL, and its CHECK rules
    (enforced by inserting each row into an empty in-memory copy of the table)."""

    def __init__(self, store: Store, tables: list[str]) -> None:
        self.columns: dict[str, dict[str, tuple[str, bool]]] = {}
        self.memory = sqlite3.connect(":memory:")
        for table in tables:
            self.columns[table] = {r["name"]: (str(r["type"]).upper(), bool(r["notnull"]))
                                   for r in store.query(f"PRAGMA table_info({table})")}
            self.memory.execute(store.scalar("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?",
                                             (table,)))

    def close(self) -> None:
        self.memory.close()


def _type_problem(declared: str, not_null: bool, value: Any) -> str | None:
    """Why a value does not fit its declared column, or None when it does."""
    if value is None:
        return "is empty" if not_null else None
    if declared == "TEXT" and not isinstance(value, str):
        return "is not text"
    if declared == "INTEGER" and (not isinstance(value, int) or isinstance(value, bool)):
        return "is not a whole number"
    return None


def check_row(schema: Schema, table: str, row: dict[str, Any], name: str) -> None:
    """Refuse a row the lead's schema would not hold as the application wrote it; one sentence."""
    number = row[ROWID]
    columns = schema.columns[table]
    where = f"{name}: {table} row {number}"
    if "id" in columns and (not isinstance(row.get("id"), str) or not row["id"].strip()):
        raise MergeError(f"{where} has no id; nothing was merged.")
    for column, value in row.items():
        if column in columns and (problem := _type_problem(*columns[column], value)):
            raise MergeError(f"{where}: {column} {problem}; nothing was merged.")
    names = [c for c in row if c in columns]
    try:
        schema.memory.execute("SAVEPOINT probe")
        schema.memory.execute(f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
                              [row[c] for c in names])
    except sqlite3.IntegrityError as error:
        raise MergeError(f"{where} breaks a rule of the table ({error}); nothing was merged.") from None
    finally:
        schema.memory.execute("ROLLBACK TO probe")
        schema.memory.execute("RELEASE probe")


def clean_row(schema: Schema, table: str, row: dict[str, Any]) -> int:
    """Clean every text value as typed text is cleaned; return how many changed."""
    changed = 0
    for column, value in row.items():
        if isinstance(value, str) and column in schema.columns[table] and column != ROWID:
            cleaned = clean_input(value)
            if cleaned.changed:
                row[column] = cleaned.text
                changed += 1
    if changed and table in ("notes", "note_versions"):
        row["checksum"] = checksum(row["body"])
    return changed


def check_and_clean(schema: Schema, incoming: Rows, name: str, report: MergeReport) -> None:
    """Check and clean, in place, every row not marked KNOWN; a MergeError (nothing merged) on the
    first bad one."""
    for table, rows in incoming.items():
        for row in rows:
            if row.get(KNOWN):
                continue
            check_row(schema, table, row, name)
            if table == "notes" and checksum(row["body"]) != row["checksum"]:
                raise MergeError(f"{name}: note {row['id']} has changed outside the application (checksum "
                                 "mismatch); nothing was merged.")
            report.cleaned += clean_row(schema, table, row)
            if table == "cases":
                if not REFERENCE_PATTERN.match(row["reference"].strip()):
                    raise MergeError(f"{name}: cases row {row[ROWID]}: the reference is not allowed (1 to 40 "
                                     "letters, digits, spaces, dots, dashes or slashes); nothing was merged.")
                row["reference"] = row["reference"].strip()


def _storable(value: Any) -> bool:
    """Whether a value can be looked up as text (a lone surrogate cannot be sent to SQLite)."""
    if not isinstance(value, str):
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _lead_rows(conn: Any, table: str, ids: list[str], column: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start:start + _CHUNK]
        cursor = conn.execute(f"SELECT * FROM {table} WHERE {column} IN ({', '.join('?' * len(chunk))})", chunk)
        names = [d[0] for d in cursor.description]
        found.extend(dict(zip(names, values)) for values in cursor)
    return found


def _same_content(lead: dict[str, Any], row: dict[str, Any], columns: dict[str, tuple[str, bool]]) -> bool:
    """Whether a source row holds exactly the lead's row: every content column equal and of the same
    type (1, 1.0 and True are not the same), and its other columns of their declared types, so a row
    the checks would refuse is never taken for a known one."""
    for column, value in lead.items():
        if column in VOLATILE:
            continue
        if column not in row:
            return False
        other = row[column]
        if type(other) is not type(value) or other != value:
            return False
    return not any(_type_problem(*columns[c], row[c]) for c in VOLATILE if c in row and c in columns)


def mark_known(conn: Any, schema: Schema, incoming: Rows) -> int:
    """Mark KNOWN each source row that the lead already holds exactly (see `_same_content`), in the
    tables matched by id, and each tag the lead already has on the same note; return how many.

    Call inside the merge's write transaction, so the lead cannot change between this and the merge."""
    marked = 0
    for table in _BY_ID:
        by_id: dict[str, list[dict[str, Any]]] = {}
        for row in incoming.get(table, []):
            if _storable(row.get("id")):
                by_id.setdefault(row["id"], []).append(row)
        columns = schema.columns[table]
        for lead in _lead_rows(conn, table, list(by_id), "id"):
            for row in by_id[lead["id"]]:
                if _same_content(lead, row, columns):
                    row[KNOWN] = True
                    marked += 1
    tags = [t for t in incoming.get("note_tags", []) if _storable(t.get("note_id")) and _storable(t.get("tag_id"))]
    held = {(t["note_id"], t["tag_id"]) for t in _lead_rows(conn, "note_tags", list({t["note_id"] for t in tags}),
                                                            "note_id")}
    for tag in tags:
        if (tag["note_id"], tag["tag_id"]) in held:
            tag[KNOWN] = True
            marked += 1
    return marked
