"""Encryption: SQLCipher's driver, loaded only when needed; passphrase checks; `rekey`; plain backups.

Turning a plain database into an encrypted one needs a whole store open, so it is in
`assistant.store.encrypt`.
"""

from __future__ import annotations

import glob
import sqlite3
from pathlib import Path
from typing import Any

from assistant.store.errors import StoreError, _being_written, _describe_sqlite_error
from assistant.store.files import LOCK_WAIT_SECONDS, WRITERS_OUT_WAIT_SECONDS, _flock

SQLITE_HEADER = b"SQLite format 3\x00"
MIN_PASSPHRASE = 8

# Database errors from either driver: the standard library's sqlite3, and SQLCipher's once an encrypted
# database has been opened (see `_cipher`). Read at the moment of each `except`, so it can grow.
DATABASE_ERRORS: tuple[type[BaseException], ...] = (sqlite3.Error,)


def _cipher():
    """SQLCipher's DB-API module, loaded only when an encrypted database is used."""
    global DATABASE_ERRORS
    import sqlcipher3.dbapi2 as driver

    if driver.Error not in DATABASE_ERRORS:
        DATABASE_ERRORS = (sqlite3.Error, driver.Error)
    return driver


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def is_encrypted_file(path: Path) -> bool:
    """True for an existing, non-empty file whose header is not plain SQLite's (SQLCipher encrypts it)."""
    try:
        with open(path, "rb") as handle:
            header = handle.read(16)
    except OSError:
        return False
    return len(header) == 16 and header != SQLITE_HEADER


def _check_nul(passphrase: str | None) -> None:
    if passphrase is not None and "\x00" in passphrase:
        raise StoreError("A passphrase cannot contain a NUL character; nothing was changed.")


def check_passphrase(passphrase: str | None) -> str:
    _check_nul(passphrase)
    if not passphrase or len(passphrase) < MIN_PASSPHRASE:
        raise StoreError(f"A passphrase needs at least {MIN_PASSPHRASE} characters.")
    return passphrase


def plain_backups(path: Path) -> list[Path]:
    """The pre-upgrade backups (`NAME.before-vN.bak`) beside a database that are plain SQLite files."""
    pattern = glob.escape(str(path)) + ".before-v*.bak"
    return sorted(Path(p) for p in glob.glob(pattern) if Path(p).is_file() and not is_encrypted_file(Path(p)))


def rekey(store: Any, new_passphrase: str, actor: str = "cli") -> None:
    """Change an open encrypted store's passphrase (`Store.rekey`); refused while another program has it
    open."""
    if not store.encrypted:
        raise StoreError(f"{store.path.name} is not encrypted; use `encrypt` to protect it with a passphrase.")
    check_passphrase(new_passphrase)
    handle = store._writers_handle
    if handle is not None and not _flock(handle, exclusive=True, wait=WRITERS_OUT_WAIT_SECONDS):
        _flock(handle, exclusive=False, wait=LOCK_WAIT_SECONDS)  # a refused conversion may drop the lock
        raise _being_written(store.path)
    try:
        with store.lock:
            try:
                store.conn.execute(f"PRAGMA rekey = {_quote(new_passphrase)}")
            except DATABASE_ERRORS as error:
                raise _describe_sqlite_error(error, store.path) from None
            store._passphrase = new_passphrase
        with store.write():
            store.event("rekey", "database", store.device_id, {}, actor)
    finally:
        if handle is not None:
            _flock(handle, exclusive=False, wait=LOCK_WAIT_SECONDS)
