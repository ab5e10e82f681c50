"""Gathering the pairs' databases: hand-over copies and merging them into the lead reviewer's.

A merge matches rows by id and cases by reference, adds what is new, skips what is already there,
and sets aside (never overwrites) a row whose id exists with different content. Each source is
merged in one transaction, so a merge killed part-way leaves nothing half done and a rerun completes
it. Sources are opened read-only; rehearsal conversations are never merged.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.cases import NOT_REHEARSAL_ONLY
from assistant.store import (Store, StoreError, check_passphrase, checksum, inspect_file, is_encrypted_file,
                             new_id, now, open_read_only)

# Columns that change as a pair works and do not make two copies of a row different.
# utc_offset: a conversation merged from a schema-5 pair database has none; it is information, not content.
_VOLATILE = {"source", "updated_at", "position_section", "position_episode", "position_prompt", "utc_offset"}
# Tables in dependency order, with how each row reaches its conversation (to leave rehearsals out).
_TABLES: list[tuple[str, str]] = [
    ("conversations", "mode = 'live'"),
    ("episodes", "conversation_id IN (SELECT id FROM conversations WHERE mode = 'live')"),
    ("notes", "conversation_id IN (SELECT id FROM conversations WHERE mode = 'live')"),
    ("note_versions", "note_id IN (SELECT id FROM notes WHERE conversation_id IN "
                      "(SELECT id FROM conversations WHERE mode = 'live'))"),
    ("prompt_marks", "conversation_id IN (SELECT id FROM conversations WHERE mode = 'live')"),
    ("section_visits", "conversation_id IN (SELECT id FROM conversations WHERE mode = 'live')"),
    ("chronology", "1"),
]


class MergeError(StoreError):
    """A source that cannot be merged; nothing from it was added."""


@dataclass
class MergeReport:
    source: str
    sha256: str
    added: dict[str, int] = field(default_factory=dict)
    already_present: int = 0
    conflicts: list[dict[str, str]] = field(default_factory=list)

    def summary(self) -> str:
        added = sum(self.added.values())
        parts = [f"{Path(self.source).name}: {added} rows added"]
        if self.added.get("notes"):
            parts.append(f"{self.added['notes']} notes")
        parts.append(f"{self.already_present} already present")
        if self.conflicts:
            parts.append(f"{len(self.conflicts)} set aside as conflicts (see merge_conflicts)")
        return ", ".join(parts) + "."


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def handover(store: Store, out: Path, actor: str = "pair", passphrase: str | None = None) -> Path:
    """A consistent private copy of the pair's database for the lead reviewer.

    With a passphrase the copy is encrypted (SQLCipher), whatever the database itself is; without one
    it is plain, which the audit trail records.
    """
    out = Path(out)
    if passphrase is not None:
        check_passphrase(passphrase)
        store.export_copy(out, passphrase)
    elif store.encrypted:
        store.export_copy(out, None)
    else:
        store.backup_to(out)
    with store.write():
        store.event("handover", "database", store.device_id,
                    {"file": out.name, "sha256": file_sha256(out), "encrypted": passphrase is not None}, actor)
    return out


def _open_source(path: Path, passphrase: str | None) -> Any:
    if not path.exists():
        raise MergeError(f"There is no file at {path}.")
    if not is_encrypted_file(path):
        passphrase = None
    inspect_file(path, passphrase)  # refuses foreign files, newer versions, damage, a wrong passphrase
    conn = open_read_only(path, passphrase)
    conn.row_factory = sqlite3.Row if passphrase is None else _cipher_row()
    return conn


def _cipher_row() -> Any:
    import sqlcipher3.dbapi2 as driver

    return driver.Row


def _content(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k not in _VOLATILE}


def merge_source(store: Store, path: Path, actor: str = "lead reviewer", passphrase: str | None = None) -> MergeReport:
    """Merge one pair database (plain, or encrypted with `passphrase`) into `store`; see the module
    docstring for the rules."""
    path = Path(path).resolve()
    if path == Path(store.path).resolve():
        raise MergeError("A database cannot be merged into itself.")
    sha = file_sha256(path) if path.exists() else ""
    source = _open_source(path, passphrase)
    report = MergeReport(str(path), sha)
    provenance = f"{path.name} sha256:{sha[:16]}"
    try:
        for note in source.execute("SELECT id, body, checksum FROM notes"):
            if checksum(note["body"]) != note["checksum"]:
                raise MergeError(
                    f"{path.name}: note {note['id']} has changed outside the application (checksum mismatch); "
                    "nothing was merged."
                )
        with store.write() as conn:
            case_map = _merge_cases(conn, source, provenance, report)
            for table, live_only in _TABLES:
                columns = [r[1] for r in conn.execute(f"PRAGMA table_info({table})")]
                incoming = source.execute(f"SELECT * FROM {table} WHERE {live_only}").fetchall()
                _merge_rows(conn, table, columns, [dict(r) for r in incoming], case_map, provenance, path, sha,
                            report)
            tags = source.execute(
                "SELECT note_id, tag_id FROM note_tags WHERE note_id IN (SELECT id FROM notes WHERE conversation_id"
                " IN (SELECT id FROM conversations WHERE mode = 'live'))"
            ).fetchall()
            before = conn.total_changes
            conn.executemany(
                "INSERT OR IGNORE INTO note_tags (note_id, tag_id) SELECT ?, ? WHERE EXISTS"
                " (SELECT 1 FROM notes WHERE id = ?)",
                [(t["note_id"], t["tag_id"], t["note_id"]) for t in tags],
            )
            report.added["note_tags"] = conn.total_changes - before
            store.event("merge", "database", sha, {
                "file": path.name, "sha256": sha, "added": report.added, "conflicts": len(report.conflicts),
            }, actor)
    finally:
        source.close()
    return report


def _merge_cases(conn: sqlite3.Connection, source: sqlite3.Connection, provenance: str,
                 report: MergeReport) -> dict[str, str]:
    """Cases are matched by reference: pairs create the same case independently."""
    mapping: dict[str, str] = {}
    added = 0
    for case in source.execute(f"SELECT * FROM cases c WHERE {NOT_REHEARSAL_ONLY}"):
        existing = conn.execute("SELECT id FROM cases WHERE reference = ?", (case["reference"],)).fetchone()
        if existing:
            mapping[case["id"]] = existing[0]
            report.already_present += 1
            continue
        conn.execute(
            "INSERT INTO cases (id, reference, label, created_at, source) VALUES (?, ?, ?, ?, ?)",
            (case["id"], case["reference"], case["label"], case["created_at"], provenance),
        )
        mapping[case["id"]] = case["id"]
        added += 1
    report.added["cases"] = added
    return mapping


def _merge_rows(conn: sqlite3.Connection, table: str, columns: list[str], rows: list[dict[str, Any]],
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
            incoming = json.dumps(_content(row), sort_keys=True, default=str)
            known = conn.execute(
                "SELECT 1 FROM merge_conflicts WHERE table_name = ? AND row_id = ? AND incoming = ?",
                (table, row["id"], incoming),
            ).fetchone()
            if not known:
                conn.execute(
                    "INSERT INTO merge_conflicts (id, source_path, source_sha256, table_name, row_id, incoming,"
                    " found_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (new_id(), str(path), sha, table, row["id"], incoming, now()),
                )
            report.conflicts.append({"table": table, "id": row["id"]})
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
