"""Opening a pair's hand-over read-only and reading what it offers (nothing here writes)."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import stat
from pathlib import Path
from typing import Any

from assistant.cases import NOT_REHEARSAL_ONLY
from assistant.merge.report import MergeError
from assistant.merge.tables import ROWID, TABLES, Rows
from assistant.store import PassphraseNeeded, inspect_file, is_encrypted_file, open_read_only


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


def open_source(path: Path, passphrase: str | None) -> Any:
    """A read-only connection to a checked hand-over, rows as mappings."""
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


def read_rows(source: Any) -> Rows:
    """Every row the source offers, as it is there (checking and cleaning come later): its cases that
    are not rehearsal-only and its live conversations' rows, each with its rowid to name it by. A table
    the source does not have (an older schema) offers nothing."""
    queries = [("cases", f"SELECT rowid AS {ROWID}, * FROM cases c WHERE {NOT_REHEARSAL_ONLY}")]
    queries += [(t.name, f"SELECT rowid AS {ROWID}, * FROM {t.name} WHERE {t.live}") for t in TABLES]
    present = {r[0] for r in source.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    rows: Rows = {}
    for table, sql in queries:
        if table not in present:  # a source from before the table existed offers none of its rows
            rows[table] = []
            continue
        cursor = source.cursor()
        cursor.row_factory = None  # plain tuples: quicker to turn into dicts than the connection's rows
        cursor.execute(sql)
        names = [d[0] for d in cursor.description]
        rows[table] = [dict(zip(names, values)) for values in cursor]
    return rows


def audit_head(source: Any) -> tuple[int, str | None, str | None]:
    """How many events the source's audit trail holds, the last one's hash and the source's device id,
    so a hand-over cut short shows at the lead."""
    count, last = source.execute(
        "SELECT COUNT(*), (SELECT hash FROM events ORDER BY rowid DESC LIMIT 1) FROM events").fetchone()
    device = source.execute("SELECT value FROM settings WHERE key = 'device_id'").fetchone()
    return count, last, device[0] if device else None


def longest_trail_seen(conn: Any, device: str | None) -> int:
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
