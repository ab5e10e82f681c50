"""Reading a database file without changing it: a read-only connection, and the checks made before
anything opens a file for writing (`inspect_file`).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from assistant.store import crypto
from assistant.store.crypto import SQLITE_HEADER, _check_nul, _cipher, _quote
from assistant.store.errors import PassphraseNeeded, StoreError, _describe_sqlite_error, _wrong_passphrase
from assistant.store.files import check_regular
from assistant.store.versions import APPLICATION_ID, SCHEMA_VERSION

BUSY_TIMEOUT_MS = 2000


def open_read_only(path: Path, passphrase: str | None):
    """A read-only connection (plain, or keyed for an encrypted file); the file is never changed."""
    _check_nul(passphrase)
    if passphrase is None:
        return sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
    driver = _cipher()
    conn = driver.connect(f"file:{path}?mode=ro", uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
    conn.execute("PRAGMA cipher_log_level = NONE")  # no library noise on the terminal
    conn.execute(f"PRAGMA key = {_quote(passphrase)}")
    return conn


def inspect_file(path: Path, passphrase: str | None = None) -> int:
    """Check an existing file is a sound learning-together database; return its schema version.

    Reads only: the file is never changed, whatever it turns out to be. An encrypted file needs its
    passphrase.
    """
    check_regular(path)
    try:
        size = path.stat().st_size
        with open(path, "rb") as handle:
            header = handle.read(100)
    except PermissionError:
        raise StoreError(f"{path} cannot be read: permission denied.") from None
    except OSError as error:
        raise StoreError(f"{path} cannot be read ({error.strerror}).") from None
    if size == 0:
        raise StoreError(f"{path} is an empty file, not a learning-together database; it was left as it is.")
    encrypted = not header.startswith(SQLITE_HEADER)
    if encrypted and passphrase is None:
        if len(header) < 100 or not _may_be_encrypted(header):
            raise StoreError(
                f"{path} is not a learning-together database (it is not an SQLite file); it was left as it is."
            )
        raise PassphraseNeeded(
            f"{path} is encrypted (or not a learning-together database); give its passphrase "
            "(LEARNING_TOGETHER_PASSPHRASE or --passphrase-file)."
        )
    if encrypted:
        return _inspect_connection(path, passphrase, encrypted=True)
    if len(header) < 100:
        raise StoreError(f"{path} is damaged (too short to be a database); it has not been changed.")
    # Page size and page count from the header: a truncated file is caught before SQLite reads it.
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    if pages and size < pages * page_size and not Path(f"{path}-wal").exists():
        raise StoreError(f"{path} is damaged (the file is shorter than its header says); it has not been changed.")
    return _inspect_connection(path, None, encrypted=False)


def _may_be_encrypted(header: bytes) -> bool:
    """SQLCipher files look like random bytes; text files (CSV, JSON, TOML) do not."""
    try:
        header.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


def _inspect_connection(path: Path, passphrase: str | None, encrypted: bool) -> int:
    try:
        conn = open_read_only(path, passphrase)
    except crypto.DATABASE_ERRORS:
        raise StoreError(f"{path} cannot be opened as a database; it has not been changed.") from None
    try:
        try:
            application_id = conn.execute("PRAGMA application_id").fetchone()[0]
        except crypto.DATABASE_ERRORS as error:
            if encrypted and "not a database" in str(error):
                raise _wrong_passphrase(path) from None
            raise
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if application_id != APPLICATION_ID:
            raise StoreError(
                f"{path} is another application's SQLite database, not a learning-together one; it was left as it is."
            )
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{path} was created by a newer version of learning-together (schema {version}); "
                "update the application to open it."
            )
        result = conn.execute("PRAGMA quick_check").fetchone()[0]
        if result != "ok":
            raise StoreError(f"{path} is damaged (its integrity check failed); it has not been changed.")
        return version
    except crypto.DATABASE_ERRORS as error:
        raise _describe_sqlite_error(error, path) if "locked" in str(error) else StoreError(
            f"{path} is damaged and cannot be used; it has not been changed."
        ) from None
    finally:
        conn.close()
