"""Gathering the pairs' databases: hand-over copies and merging them into the lead reviewer's.

A merge matches rows by id, cases by reference and chronology entries by their content (each import
gives them new ids), adds what is new, skips what is already there, and sets aside (never overwrites)
a row whose id exists with different content, or a case whose reference exists with another label.

Every row of a source is checked against the schema first (ids present, text is text, whole numbers
are whole numbers, the tables' rules hold) and a source with a bad row is refused whole; text is
cleaned on the way in exactly as typed text is. Rows erased here (the audit trail's tombstones) are
left out, so an old hand-over cannot bring them back. Each source is merged in one transaction, so a
merge killed part-way leaves nothing half done and a rerun completes it. Sources are opened
read-only; rehearsal conversations are never merged; only regular files are opened.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import sqlite3
import stat
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import assistant.store as _store_module
from assistant.cases import NOT_REHEARSAL_ONLY, REFERENCE_PATTERN
from assistant.erasure import reference_hash, tombstones
from assistant.safe_text import clean_input
from assistant.paths import short_name
from assistant.store import (PassphraseNeeded, Store, StoreBusy, StoreError, chain_head, check_name, check_passphrase,
                             checksum, inspect_file, is_encrypted_file, new_id, not_recorded, now,
                             open_lock_path, open_read_only, writers_lock_path)

# Columns that change as a pair works and do not make two copies of a row different.
# utc_offset: a conversation merged from a schema-5 pair database has none; it is information, not content.
_VOLATILE = {"source", "updated_at", "position_section", "position_episode", "position_prompt", "utc_offset"}
_LIVE = "SELECT id FROM conversations WHERE mode = 'live'"
# Tables in dependency order, with how each row reaches its conversation (to leave rehearsals out).
_TABLES: list[tuple[str, str]] = [
    ("conversations", "mode = 'live'"),
    ("episodes", f"conversation_id IN ({_LIVE})"),
    ("notes", f"conversation_id IN ({_LIVE})"),
    ("note_versions", f"note_id IN (SELECT id FROM notes WHERE conversation_id IN ({_LIVE}))"),
    ("prompt_marks", f"conversation_id IN ({_LIVE})"),
    ("section_visits", f"conversation_id IN ({_LIVE})"),
    ("chronology", "1"),
    ("note_tags", f"note_id IN (SELECT id FROM notes WHERE conversation_id IN ({_LIVE}))"),
]
_CHRONOLOGY_KEY = ("case_id", "date", "agency", "summary", "source_ref")
_ROWID = "__rowid"


class MergeError(StoreError):
    """A source that cannot be merged; nothing from it was added."""


@dataclass
class MergeReport:
    source: str
    sha256: str
    added: dict[str, int] = field(default_factory=dict)
    already_present: int = 0
    conflicts: list[dict[str, str]] = field(default_factory=list)
    skipped_erased: int = 0
    cleaned: int = 0
    relabelled: list[str] = field(default_factory=list)
    source_events: int = 0
    earlier_events: int = 0

    def summary(self) -> str:
        added = sum(self.added.values())
        parts = [f"{Path(self.source).name}: {added} rows added"]
        if self.added.get("notes"):
            parts.append(f"{self.added['notes']} notes")
        parts.append(f"{self.already_present} already present")
        if self.skipped_erased:
            parts.append(f"{self.skipped_erased} rows skipped: erased here")
        if self.conflicts:
            parts.append(f"{len(self.conflicts)} set aside as conflicts (see merge_conflicts)")
        for reference in self.relabelled:
            parts.append(f"case {reference} has another label there (the label here is kept)")
        if self.source_events < self.earlier_events:
            parts.append(f"its audit trail holds {self.source_events} events, fewer than the {self.earlier_events}"
                         " of an earlier hand-over from the same database (it may have been cut short)")
        if self.cleaned:
            parts.append(f"{self.cleaned} text values cleaned of control characters")
        return ", ".join(parts) + "."


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def check_source_file(path: Path) -> None:
    """Refuse anything but an existing regular file, before opening it (a named pipe would wait forever)."""
    path = Path(path)
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise MergeError(f"There is no file at {path}.") from None
    except OSError as error:
        raise MergeError(f"{path} cannot be read ({error.strerror}).") from None
    if stat.S_ISDIR(mode):
        raise MergeError(f"{path} is a folder, not a database file.")
    if not stat.S_ISREG(mode):
        raise MergeError(f"{path.name} is not a regular file (it is a pipe, device or socket); "
                         "give a hand-over database file.")


def is_encrypted_source(path: Path) -> bool:
    """Whether a source needs a passphrase; False for anything that is not a regular file (never opened)."""
    try:
        return stat.S_ISREG(os.stat(path).st_mode) and is_encrypted_file(Path(path))
    except OSError:
        return False


class HandoverRefused(StoreError):
    """A hand-over target that may not be written; nothing was written."""


_COMPANIONS = ("-wal", "-shm", "-journal")
_NOT_WRITTEN = "no hand-over copy was written"


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def check_handover_target(store: Store, out: Path) -> Path:
    """Refuse, in one sentence and before anything is written, a hand-over target that may not be
    written: the database, its -wal, -shm, -journal or lock file (by name, through links, or as the
    same file), a name that would pass for another database's journal, a folder, anything that exists
    already (a dangling link included), or a name longer than the disk allows."""
    out = Path(out).expanduser()
    if out.name in ("", ".", ".."):
        raise HandoverRefused(f"{out} is not a file name; give a file name for the hand-over copy.")
    check_name(out)
    database = Path(store.path)
    protected = [database, *(Path(f"{database}{s}") for s in _COMPANIONS), writers_lock_path(database),
                 open_lock_path(database)]
    try:
        resolved = out.resolve()
        protected_resolved = {p.resolve() for p in protected}
    except (OSError, RuntimeError):
        raise HandoverRefused(f"{out} cannot be followed (a loop of links); choose another file name.") from None
    if resolved in protected_resolved or any(_same_file(out, p) for p in protected):
        raise HandoverRefused(f"{out} is this database's own file; choose another file name for the hand-over copy.")
    for suffix in _COMPANIONS:
        if out.name.endswith(suffix) and os.path.lexists(str(out)[: -len(suffix)]):
            raise HandoverRefused(f"{out} would be taken for part of the database {short_name(str(out)[: -len(suffix)])}; "
                                  "choose another file name for the hand-over copy.")
    if out.is_dir():
        raise HandoverRefused(f"{out} is a folder; give a file name for the hand-over copy.")
    if os.path.lexists(out):
        raise HandoverRefused(f"{out} already exists; choose a new file name.")
    return out


def _place(partial: Path, out: Path) -> None:
    """Give the finished copy its name; never replaces anything that took the name meanwhile."""
    try:
        os.link(partial, out)
    except FileExistsError:
        raise HandoverRefused(f"{out} already exists; choose a new file name.") from None
    except OSError as error:
        if error.errno not in (errno.EPERM, errno.ENOTSUP, errno.EXDEV, errno.EMLINK):
            raise StoreError(f"{short_name(out)} cannot be written there ({error.strerror}); {_NOT_WRITTEN}.") \
                from None
        os.replace(partial, out)  # a filesystem without hard links


def handover(store: Store, out: Path, actor: str = "pair", passphrase: str | None = None) -> Path:
    """A consistent private copy of the pair's database for the lead reviewer, there and audited or
    not there at all.

    With a passphrase the copy is encrypted (SQLCipher), whatever the database itself is; without one
    it is plain, which the audit trail records. The copy is built under a short private partial name,
    its audit event (with the copy's own audit-trail head: how many events it holds and the newest
    one's hash, so a copy later cut short can be told) is recorded, and it is moved into place inside
    that event's transaction; if the event cannot be written the copy is removed.
    """
    out = check_handover_target(store, out)
    if passphrase is not None:
        check_passphrase(passphrase)
    missing = []  # folders the copy's partial file will make, removed again if the hand-over fails
    folder = out.parent
    while not os.path.lexists(folder) and folder.parent != folder:
        missing.append(folder)
        folder = folder.parent
    partial = None
    placed = committed = False
    try:
        if passphrase is not None or store.encrypted:
            partial = store.export_copy(out, passphrase, place=False)
        else:
            partial = store.backup_to(out, place=False)
        try:
            sha = file_sha256(partial)
            reader = open_read_only(partial, passphrase)
            try:
                head = chain_head(reader)
            finally:
                reader.close()
        except (OSError, *_store_module.DATABASE_ERRORS) as error:
            raise StoreError(f"The hand-over copy could not be checked ({error.__class__.__name__}), so "
                             f"{_NOT_WRITTEN}; try again.") from None
        detail = {"file": out.name, "sha256": sha, "encrypted": passphrase is not None,
                  "events": head["events"], "head": head["head"]}
        try:
            with store.write():
                store.event("handover", "database", store.device_id, detail, actor)
                check_handover_target(store, out)  # again, just before: nothing took the name meanwhile
                _place(partial, out)
                placed = True
            committed = True
        except StoreError as error:
            already_said = _NOT_WRITTEN in str(error) and not isinstance(error, StoreBusy)
            if isinstance(error, HandoverRefused) or already_said:
                raise
            raise not_recorded(store.path, error, "The hand-over", _NOT_WRITTEN) from None
    finally:
        if placed and not committed:
            out.unlink(missing_ok=True)
        if partial is not None:
            partial.unlink(missing_ok=True)
        if not committed:
            for made in missing:
                try:
                    made.rmdir()
                except OSError:
                    pass
    return out


def _open_source(path: Path, passphrase: str | None) -> Any:
    check_source_file(path)
    if not is_encrypted_file(path):
        passphrase = None
    try:
        inspect_file(path, passphrase)  # refuses foreign files, newer versions, damage, a wrong passphrase
    except PassphraseNeeded:
        raise MergeError(
            f"{path.name} is encrypted; give the hand-over's passphrase (LEARNING_TOGETHER_SOURCE_PASSPHRASE or "
            "--source-passphrase-file, or the passphrase field of the merge dialog); nothing was merged."
        ) from None
    conn = open_read_only(path, passphrase)
    conn.row_factory = sqlite3.Row if passphrase is None else _cipher_row()
    return conn


def _cipher_row() -> Any:
    import sqlcipher3.dbapi2 as driver

    return driver.Row


def _content(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k not in _VOLATILE and k != _ROWID}


# ---------------------------------------------------------------- checking and cleaning
class _Schema:
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


def _check_row(schema: _Schema, table: str, row: dict[str, Any], name: str) -> None:
    """Refuse a row the lead's schema would not hold as the application wrote it; one sentence."""
    number = row[_ROWID]
    columns = schema.columns[table]
    where = f"{name}: {table} row {number}"
    if "id" in columns and (not isinstance(row.get("id"), str) or not row["id"].strip()):
        raise MergeError(f"{where} has no id; nothing was merged.")
    for column, value in row.items():
        if column not in columns:
            continue
        declared, not_null = columns[column]
        if value is None:
            if not_null:
                raise MergeError(f"{where}: {column} is empty; nothing was merged.")
        elif declared == "TEXT" and not isinstance(value, str):
            raise MergeError(f"{where}: {column} is not text; nothing was merged.")
        elif declared == "INTEGER" and (not isinstance(value, int) or isinstance(value, bool)):
            raise MergeError(f"{where}: {column} is not a whole number; nothing was merged.")
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


def _clean_row(schema: _Schema, table: str, row: dict[str, Any]) -> int:
    """Clean every text value as typed text is cleaned; return how many changed."""
    changed = 0
    for column, value in row.items():
        if isinstance(value, str) and column in schema.columns[table] and column != _ROWID:
            cleaned = clean_input(value)
            if cleaned.changed:
                row[column] = cleaned.text
                changed += 1
    if changed and table in ("notes", "note_versions"):
        row["checksum"] = checksum(row["body"])
    return changed


def _read_source(source: Any, schema: _Schema, name: str, report: MergeReport) -> dict[str, list[dict[str, Any]]]:
    """Every row to be merged, checked and cleaned; a MergeError (nothing merged) on the first bad one."""
    rows: dict[str, list[dict[str, Any]]] = {}
    queries = [("cases", f"SELECT rowid AS {_ROWID}, * FROM cases c WHERE {NOT_REHEARSAL_ONLY}")]
    queries += [(t, f"SELECT rowid AS {_ROWID}, * FROM {t} WHERE {live}") for t, live in _TABLES]
    for table, sql in queries:
        rows[table] = [dict(r) for r in source.execute(sql)]
        for row in rows[table]:
            _check_row(schema, table, row, name)
            if table == "notes" and checksum(row["body"]) != row["checksum"]:
                raise MergeError(f"{name}: note {row['id']} has changed outside the application (checksum "
                                 "mismatch); nothing was merged.")
            report.cleaned += _clean_row(schema, table, row)
            if table == "cases":
                if not REFERENCE_PATTERN.match(row["reference"].strip()):
                    raise MergeError(f"{name}: cases row {row[_ROWID]}: the reference is not allowed (1 to 40 "
                                     "letters, digits, spaces, dots, dashes or slashes); nothing was merged.")
                row["reference"] = row["reference"].strip()
    return rows


def _audit_head(source: Any) -> tuple[int, str | None, str | None]:
    """How many events the source's audit trail holds, the last one's hash and the source's device id,
    so a hand-over cut short shows at the lead."""
    count, last = source.execute(
        "SELECT COUNT(*), (SELECT hash FROM events ORDER BY rowid DESC LIMIT 1) FROM events").fetchone()
    device = source.execute("SELECT value FROM settings WHERE key = 'device_id'").fetchone()
    return count, last, device[0] if device else None


def _longest_trail_seen(conn: Any, device: str | None) -> int:
    """The most events an earlier merge recorded for the same source device (0 when none)."""
    if not device:
        return 0
    most = 0
    for (detail,) in conn.execute("SELECT detail FROM events WHERE action = 'merge'"):
        try:
            recorded = json.loads(detail)
        except (TypeError, ValueError):
            continue
        if recorded.get("source_device") == device and isinstance(recorded.get("source_events"), int):
            most = max(most, recorded["source_events"])
    return most


# ---------------------------------------------------------------- merging
def merge_source(store: Store, path: Path, actor: str = "lead reviewer", passphrase: str | None = None) -> MergeReport:
    """Merge one pair database (plain, or encrypted with `passphrase`) into `store`; see the module
    docstring for the rules."""
    path = Path(path).resolve()
    if path == Path(store.path).resolve():
        raise MergeError("A database cannot be merged into itself.")
    check_source_file(path)
    sha = file_sha256(path)
    source = _open_source(path, passphrase)
    report = MergeReport(str(path), sha)
    provenance = f"{path.name} sha256:{sha[:16]}"
    tables = ["cases"] + [t for t, _ in _TABLES]
    schema = _Schema(store, tables)
    try:
        try:
            incoming = _read_source(source, schema, path.name, report)
            events, last_hash, device = _audit_head(source)
        except _store_module.DATABASE_ERRORS as error:
            raise MergeError(f"{path.name} could not be read ({error.__class__.__name__}); nothing was merged.") \
                from None
        with store.write() as conn:
            erased = tombstones(conn)
            report.earlier_events = _longest_trail_seen(conn, device)
            report.source_events = events
            case_map, erased_cases = _merge_cases(conn, incoming["cases"], provenance, path, sha, erased, report)
            gone = _leave_out_erased(incoming, erased[0], erased_cases, case_map, report)
            for table, _ in _TABLES:
                if table == "note_tags":
                    continue
                columns = list(schema.columns[table])
                if table == "chronology":
                    _merge_chronology(conn, columns, incoming[table], case_map, provenance, report)
                else:
                    _merge_rows(conn, table, columns, incoming[table], case_map, provenance, path, sha, report)
            offered = [(t["note_id"], t["tag_id"], t["note_id"]) for t in incoming["note_tags"]
                       if t["note_id"] not in gone]
            before = conn.total_changes
            conn.executemany(
                "INSERT OR IGNORE INTO note_tags (note_id, tag_id) SELECT ?, ? WHERE EXISTS"
                " (SELECT 1 FROM notes WHERE id = ?)", offered)
            report.added["note_tags"] = conn.total_changes - before
            # A tag already here counts as present, so a second merge reports as many rows as the first added.
            report.already_present += len(offered) - report.added["note_tags"]
            store.event("merge", "database", sha, {
                "file": path.name, "sha256": sha, "added": report.added, "conflicts": len(report.conflicts),
                "skipped_erased": report.skipped_erased, "cleaned": report.cleaned,
                "source_events": events, "source_last_hash": last_hash, "source_device": device,
            }, actor)
    finally:
        schema.close()
        source.close()
    return report


def _merge_cases(conn: Any, cases: list[dict[str, Any]], provenance: str, path: Path, sha: str,
                 erased: tuple[set[str], set[str], set[str]], report: MergeReport) -> tuple[dict[str, str], set[str]]:
    """Cases are matched by reference: pairs create the same case independently. A case erased here
    (by id, or by reference while no case holds that reference now) is left out."""
    mapping: dict[str, str] = {}
    erased_here: set[str] = set()
    added = 0
    for case in cases:
        existing = conn.execute("SELECT id, label FROM cases WHERE reference = ?", (case["reference"],)).fetchone()
        if case["id"] in erased[1] or (existing is None and reference_hash(case["reference"]) in erased[2]):
            erased_here.add(case["id"])
            report.skipped_erased += 1
            continue
        if existing:
            mapping[case["id"]] = existing[0]
            report.already_present += 1
            if existing[1] != case["label"]:
                _set_aside(conn, "cases", existing[0], case, path, sha, report)
                report.relabelled.append(case["reference"])
            continue
        conn.execute(
            "INSERT INTO cases (id, reference, label, created_at, source) VALUES (?, ?, ?, ?, ?)",
            (case["id"], case["reference"], case["label"], case["created_at"], provenance),
        )
        mapping[case["id"]] = case["id"]
        added += 1
    report.added["cases"] = added
    return mapping, erased_here


def _leave_out_erased(incoming: dict[str, list[dict[str, Any]]], erased_conversations: set[str],
                      erased_cases: set[str], case_map: dict[str, str], report: MergeReport) -> set[str]:
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


def _set_aside(conn: Any, table: str, row_id: str, row: dict[str, Any], path: Path, sha: str,
               report: MergeReport) -> None:
    incoming = json.dumps(_content(row), sort_keys=True, default=str)
    known = conn.execute(
        "SELECT 1 FROM merge_conflicts WHERE table_name = ? AND row_id = ? AND incoming = ?",
        (table, row_id, incoming),
    ).fetchone()
    if not known:
        conn.execute(
            "INSERT INTO merge_conflicts (id, source_path, source_sha256, table_name, row_id, incoming,"
            " found_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (new_id(), str(path), sha, table, row_id, incoming, now()),
        )
    report.conflicts.append({"table": table, "id": row_id})


def _merge_chronology(conn: Any, columns: list[str], rows: list[dict[str, Any]], case_map: dict[str, str],
                      provenance: str, report: MergeReport) -> None:
    """Chronology entries are matched by content (case, date, agency, summary, source): the lead and
    every pair import the same file, each import with new ids. Repeated identical lines are kept as
    often as the source has them."""
    added = 0
    wanted: Counter[tuple[Any, ...]] = Counter()
    for row in rows:
        row = {k: v for k, v in row.items() if k in columns}
        row["case_id"] = case_map[row["case_id"]]
        key = tuple(row.get(k, "") for k in _CHRONOLOGY_KEY)
        wanted[key] += 1
        have = conn.execute(
            "SELECT COUNT(*) FROM chronology WHERE case_id = ? AND date = ? AND agency = ? AND summary = ?"
            " AND source_ref = ?", key).fetchone()[0]
        if have >= wanted[key]:
            report.already_present += 1
            continue
        if conn.execute("SELECT 1 FROM chronology WHERE id = ?", (row["id"],)).fetchone():
            row["id"] = new_id()
        if "source" in columns:
            row["source"] = provenance
        names = list(row)
        conn.execute(f"INSERT INTO chronology ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
                     [row[n] for n in names])
        added += 1
    report.added["chronology"] = added


def _merge_rows(conn: Any, table: str, columns: list[str], rows: list[dict[str, Any]],
                case_map: dict[str, str], provenance: str, path: Path, sha: str, report: MergeReport) -> None:
    added = 0
    for row in rows:
        row = {k: v for k, v in row.items() if k in columns}
        if "case_id" in row:
            row["case_id"] = case_map.get(row["case_id"], row["case_id"])
        existing = conn.execute(f"SELECT * FROM {table} WHERE id = ?", (row["id"],)).fetchone()
        if existing is not None:
            current = dict(zip([d[0] for d in conn.execute(f"SELECT * FROM {table} LIMIT 0").description], existing))
            if _content(current) == _content(row):
                report.already_present += 1
                continue
            _set_aside(conn, table, row["id"], row, path, sha, report)
            continue
        if "source" in columns:
            row["source"] = provenance
        names = list(row)
        conn.execute(
            f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
            [row[n] for n in names],
        )
        added += 1
    report.added[table] = added
