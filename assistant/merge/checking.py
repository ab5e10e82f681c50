"""Checking and cleaning a source's rows against the lead's own schema, and finding the rows the lead
already holds exactly (those are neither checked nor cleaned: nothing of them is written)."""

from __future__ import annotations

import re
import sqlite3
from typing import Any

from assistant.cases import REFERENCE_PATTERN
from assistant.merge.report import MergeError, MergeReport
from assistant.merge.tables import KNOWN, ROWID, TABLES, VOLATILE, Rows
from assistant.safe_text import clean_input
from assistant.store import Store, checksum

# Tables whose rows are matched by id, so a row the lead holds can be recognised before any checking.
# Cases are matched by reference and chronology entries by content: they always take the full path.
_BY_ID = [table.name for table in TABLES if table.kind == "rows"]
_LINKS = [table for table in TABLES if table.kind == "links"]
_CHUNK = 500  # ids per look-up, well under SQLite's limit on parameters
_ASCII_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f]")


class Schema:
    """The lead's own definition of each merged table: declared types, NOT NULL, and its CHECK rules
    (enforced by inserting each row into an empty in-memory copy of the table, made when first needed:
    a merge that offers nothing new to a table never makes it)."""

    def __init__(self, store: Store, tables: list[str]) -> None:
        self.columns: dict[str, dict[str, tuple[str, bool]]] = {table: {} for table in tables}
        self.memory = sqlite3.connect(":memory:")
        self._sql: dict[str, str] = {}
        self._made: set[str] = set()
        marks = ", ".join("?" * len(tables))
        # One look-up for every table's columns, in their declared order (cid).
        for table, sql, name, declared, not_null in store.conn.execute(
                "SELECT m.name, m.sql, p.name, p.type, p.\"notnull\" FROM sqlite_master m,"
                f" pragma_table_info(m.name) p WHERE m.type = 'table' AND m.name IN ({marks})"
                " ORDER BY m.name, p.cid", tables):
            self.columns[table][name] = (str(declared).upper(), bool(not_null))
            self._sql[table] = sql

    def probe(self, table: str) -> sqlite3.Connection:
        """The in-memory connection holding an empty copy of `table`."""
        if table not in self._made:
            self.memory.execute(self._sql[table])
            self._made.add(table)
        return self.memory

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


def _check_types(columns: dict[str, tuple[str, bool]], row: dict[str, Any], where: str) -> None:
    if "id" in columns and (not isinstance(row.get("id"), str) or not row["id"].strip()):
        raise MergeError(f"{where} has no id; nothing was merged.")
    for column, value in row.items():
        if column in columns and (problem := _type_problem(*columns[column], value)):
            raise MergeError(f"{where}: {column} {problem}; nothing was merged.")


def _insert(table: str, names: list[str]) -> str:
    return f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"


def _probe_rules(schema: Schema, table: str, rows: list[dict[str, Any]], name: str) -> None:
    """Refuse the first row that breaks a rule (CHECK, NOT NULL) of the lead's table. All rows are tried
    at once in the empty in-memory copy; only when that fails is each tried alone, as the rules apply
    to one row (rows that clash only with each other are not refused, as before)."""
    names = [c for c in rows[0] if c in schema.columns[table]]
    sql = _insert(table, names)
    memory = schema.probe(table)
    memory.execute("SAVEPOINT probe")
    try:
        memory.executemany(sql, ([row[c] for c in names] for row in rows))
        return
    except sqlite3.IntegrityError:
        pass
    finally:
        memory.execute("ROLLBACK TO probe")
        memory.execute("RELEASE probe")
    for row in rows:
        memory.execute("SAVEPOINT probe")
        try:
            memory.execute(sql, [row[c] for c in names])
        except sqlite3.IntegrityError as error:
            raise MergeError(f"{name}: {table} row {row[ROWID]} breaks a rule of the table ({error}); "
                             "nothing was merged.") from None
        finally:
            memory.execute("ROLLBACK TO probe")
            memory.execute("RELEASE probe")


def check_rows(schema: Schema, table: str, rows: list[dict[str, Any]], name: str) -> None:
    """Refuse the first row the lead's schema would not hold as the application wrote it; one sentence."""
    columns = schema.columns[table]
    for row in rows:
        _check_types(columns, row, f"{name}: {table} row {row[ROWID]}")
    if rows:
        _probe_rules(schema, table, rows, name)


def _unchanged_by_cleaning(text: str) -> bool:
    """Whether `clean_input` would leave the text as it is, known without calling it for plain text:
    in ASCII it changes only NUL, the controls other than tab and newline (CR and ESC among them) and DEL."""
    return text.isascii() and not _ASCII_CONTROL.search(text)


def clean_row(schema: Schema, table: str, row: dict[str, Any]) -> int:
    """Clean every text value as typed text is cleaned; return how many changed."""
    changed = 0
    for column, value in row.items():
        if isinstance(value, str) and column in schema.columns[table] and column != ROWID:
            if _unchanged_by_cleaning(value):
                continue
            cleaned = clean_input(value)
            if cleaned.changed:
                row[column] = cleaned.text
                changed += 1
    if changed and table in ("notes", "note_versions"):
        row["checksum"] = checksum(row["body"])
    return changed


def check_and_clean(schema: Schema, incoming: Rows, name: str, report: MergeReport) -> None:
    """Check and clean, in place, every row not marked KNOWN; a MergeError (nothing merged) on the
    first bad one. Rows are checked as they came (cleaning cannot make a bad row pass), then cleaned."""
    for table, rows in incoming.items():
        offered = [row for row in rows if not row.get(KNOWN)]
        check_rows(schema, table, offered, name)
        for row in offered:
            if table == "notes" and checksum(row["body"]) != row["checksum"]:
                raise MergeError(f"{name}: note {row['id']} has changed outside the application (checksum "
                                 "mismatch); nothing was merged.")
            report.cleaned += clean_row(schema, table, row)
            if table == "cases":
                if not REFERENCE_PATTERN.match(row["reference"].strip()):
                    raise MergeError(f"{name}: cases row {row[ROWID]}: the reference is not allowed (1 to 40 "
                                     "letters, digits, spaces, dots, dashes or slashes); nothing was merged.")
                row["reference"] = row["reference"].strip()


def _lead_values(conn: Any, table: str, columns: list[str], keys: list[str], key: str) -> list[tuple[Any, ...]]:
    """The lead's values of `columns` for the rows whose `key` is one of `keys`."""
    found: list[tuple[Any, ...]] = []
    for start in range(0, len(keys), _CHUNK):
        chunk = keys[start:start + _CHUNK]
        sql = f"SELECT {', '.join(columns)} FROM {table} WHERE {key} IN ({', '.join('?' * len(chunk))})"
        try:
            found.extend(tuple(values) for values in conn.execute(sql, chunk))
        except UnicodeEncodeError:  # a key SQLite cannot be given: none of this chunk is known, so all is checked
            continue
    return found


def _fits(columns: dict[str, tuple[str, bool]], row: dict[str, Any], names: list[str]) -> bool:
    return not any(_type_problem(*columns[c], row[c]) for c in names)


def _mark_by_id(conn: Any, schema: Schema, table: str, rows: list[dict[str, Any]]) -> int:
    """Mark KNOWN each row whose content columns hold exactly the lead's values, of the same types
    (1, 1.0 and True are not the same), and whose other columns are of their declared types, so a row
    the checks would refuse is never taken for a known one."""
    columns = schema.columns[table]
    compared = [c for c in columns if c not in VOLATILE]
    others = [c for c in columns if c in VOLATILE and c in rows[0]]
    if "id" not in compared or not set(compared) <= rows[0].keys():
        return 0  # a source without one of the lead's columns: every row takes the full path
    by_id: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        if isinstance(row["id"], str):
            by_id.setdefault(row["id"], []).append(row)
    marked = 0
    position = compared.index("id")
    for values in _lead_values(conn, table, compared, list(by_id), "id"):
        types = list(map(type, values))
        for row in by_id.get(values[position], ()):
            offered = tuple(row[c] for c in compared)
            if offered == values and list(map(type, offered)) == types and _fits(columns, row, others):
                row[KNOWN] = True
                marked += 1
    return marked


def mark_known(conn: Any, schema: Schema, incoming: Rows) -> int:
    """Mark KNOWN each source row that the lead already holds exactly (see `_mark_by_id`), in the
    tables matched by id, and each link (a note's tag, a finding's question) the lead already has;
    return how many.

    Call inside the merge's write transaction, so the lead cannot change between this and the merge."""
    marked = sum(_mark_by_id(conn, schema, table, incoming[table]) for table in _BY_ID if incoming.get(table))
    for table in _LINKS:
        key = list(table.key)
        links = [row for row in incoming.get(table.name, []) if all(isinstance(row[c], str) for c in key)]
        held = set(_lead_values(conn, table.name, key, list({row[key[0]] for row in links}), key[0]))
        for row in links:
            if tuple(row[c] for c in key) in held:
                row[KNOWN] = True
                marked += 1
    return marked
