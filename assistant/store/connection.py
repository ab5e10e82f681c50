"""Connections: opening, checking, creating and upgrading a database, and the open `Store`.

`open_store` refuses anything that is not a learning-together database of this version or older,
without changing the file. Every write goes through `Store.write()`, which serialises writers and
turns SQLite's failures into `StoreError` sentences a user can act on.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from assistant.store import audit, crypto
from assistant.store.crypto import _check_nul, _cipher, _quote, check_passphrase, is_encrypted_file
from assistant.store.errors import StoreError, _describe_sqlite_error, _missing
from assistant.store.files import (_partial_name, _private_partial, _take_write_lock, _writers_lock, check_name,
                                   check_regular, clean_stale_partials, default_db_path, make_private_dirs)
from assistant.store.ids import new_id, now
from assistant.store.inspection import BUSY_TIMEOUT_MS, inspect_file, open_read_only
from assistant.store.versions import APPLICATION_ID, SCHEMA_VERSION


def _apply_pragmas(conn: sqlite3.Connection, busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> None:
    conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA secure_delete = ON")
    conn.execute("PRAGMA temp_store = MEMORY")
    conn.execute("PRAGMA synchronous = FULL")


def _connect(path: Path, busy_timeout_ms: int = BUSY_TIMEOUT_MS, passphrase: str | None = None):
    _check_nul(passphrase)
    driver = sqlite3 if passphrase is None else _cipher()
    conn = driver.connect(
        str(path), check_same_thread=False, isolation_level=None, timeout=busy_timeout_ms / 1000
    )
    conn.row_factory = driver.Row
    if passphrase is not None:
        conn.execute("PRAGMA cipher_log_level = NONE")
        conn.execute(f"PRAGMA key = {_quote(passphrase)}")
    _apply_pragmas(conn, busy_timeout_ms)
    return conn


def _migrate(conn: sqlite3.Connection) -> None:
    # sqlite-utils and the migrations load only when a database is created or upgraded: start-up stays quick.
    from sqlite_utils import Database

    from assistant.store.schema import migrations

    migrations.apply(Database(conn))
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


def _create(path: Path, passphrase: str | None = None) -> None:
    """Make a new database beside `path` and move it into place whole, so no half-made file remains."""
    make_private_dirs(path.parent)
    temporary = _partial_name(path, "creating")  # short: `path` may be near the disk's name limit
    fd = os.open(temporary, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    os.close(fd)
    try:
        conn = _connect(temporary, passphrase=passphrase)
        conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        conn.execute("PRAGMA journal_mode = DELETE")
        _migrate(conn)
        conn.execute("INSERT INTO settings (key, value) VALUES ('device_id', ?)", (new_id(),))
        conn.execute("INSERT INTO settings (key, value) VALUES ('created_at', ?)", (now(),))
        # Made in WAL mode (kept in the file) so the database never needs a `NAME-journal`: with a name
        # near the disk's limit only `-wal` and `-shm` fit beside it. Closing folds the WAL back in.
        conn.execute("PRAGMA journal_mode = WAL")
        conn.close()
        try:
            os.link(temporary, path)  # never replaces a database another program has just made
        except FileExistsError:
            pass
    finally:
        for leftover in (temporary, *(Path(f"{temporary}{s}") for s in ("-journal", "-wal", "-shm"))):
            if leftover.exists():
                leftover.unlink()


def _finish_copy(partial: Path, target: Path, place: bool) -> Path:
    """Move a finished copy into place, or leave it under its partial name for a caller that places it
    itself (a hand-over, inside its audit event's transaction); returns where it is."""
    if not place:
        return partial
    os.replace(partial, target)
    return target


class Store:
    """An open database: one writer connection, writes serialised by a lock."""

    def __init__(self, path: Path, conn: Any, lock_handle: Any = None, passphrase: str | None = None,
                 writers_handle: Any = None) -> None:
        self.path = path
        self.conn = conn
        # A shared lock beside the database for as long as it is open: `encrypt` and `rekey` wait for it.
        self._writers_handle = writers_handle
        self._audit_key: dict[str, Any] | None = None
        # Kept in memory only, so hand-overs and backups of an encrypted database are encrypted too.
        self._passphrase = passphrase
        self._lock = threading.RLock()
        self._lock_handle = lock_handle
        self._depth = 0
        self.device_id = self.setting("device_id") or "unknown-device"

    @property
    def encrypted(self) -> bool:
        return self._passphrase is not None

    @property
    def passphrase(self) -> str | None:
        """The passphrase this store was opened with (None for a plain database), for copies beside it."""
        return self._passphrase

    @property
    def lock(self) -> threading.RLock:
        """The lock every use of the connection holds: hold it to use `conn` outside `write()`."""
        return self._lock

    @property
    def db(self):
        """The connection as a `sqlite_utils.Database` (loaded on first use)."""
        from sqlite_utils import Database

        return Database(self.conn)

    # ---------------------------------------------------------------- reading
    def query(self, sql: str, params: Any = ()) -> list[dict[str, Any]]:
        with self._lock:
            try:
                return [dict(row) for row in self.conn.execute(sql, params)]
            except crypto.DATABASE_ERRORS as error:
                raise _describe_sqlite_error(error, self.path) from None

    def one(self, sql: str, params: Any = ()) -> dict[str, Any] | None:
        rows = self.query(sql, params)
        return rows[0] if rows else None

    def scalar(self, sql: str, params: Any = ()) -> Any:
        row = self.one(sql, params)
        return next(iter(row.values())) if row else None

    def setting(self, key: str) -> str | None:
        return self.scalar("SELECT value FROM settings WHERE key = ?", (key,))

    # ---------------------------------------------------------------- writing
    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One IMMEDIATE transaction: all of it is saved, or none of it and a `StoreError` is raised."""
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield self.conn
                finally:
                    self._depth -= 1
                return
            try:
                self.conn.execute("BEGIN IMMEDIATE")
            except crypto.DATABASE_ERRORS as error:
                raise _describe_sqlite_error(error, self.path) from None
            self._depth = 1
            try:
                yield self.conn
                self.conn.execute("COMMIT")
            except BaseException as error:
                try:
                    self.conn.execute("ROLLBACK")
                except crypto.DATABASE_ERRORS:
                    pass
                self._depth = 0
                self._audit_key = None
                try:  # a device id changed inside the rolled-back transaction is forgotten with it
                    self.device_id = self.setting("device_id") or self.device_id
                except StoreError:
                    pass
                if isinstance(error, crypto.DATABASE_ERRORS):
                    raise _describe_sqlite_error(error, self.path) from None
                raise
            finally:
                self._depth = 0

    def event(
        self, action: str, entity: str, entity_id: str, detail: dict[str, Any] | None = None, actor: str = "system",
        head: tuple[str | None, int | None, str] | None = None,
    ) -> str:
        """Append one audit event, hash-chained to the one before. Call inside `write()`.

        Details carry ids and hashes, never note text. Each event is also sealed with this computer's
        secret for the device (see `assistant.store.audit.key_for_writing`), which is kept outside the
        database. `head` (the chain's last hash, the device's last number, the device) saves reading them
        again when a statement earlier in the same transaction already did; it is used only for this device.
        """
        if not self._depth:
            raise RuntimeError("event() must be called inside Store.write()")
        key = self._key_for_writing()  # first: a database from another computer may take a new device id
        return audit.append_event(self.conn, self.device_id, key, action, entity, entity_id, detail, actor, head)

    def _key_for_writing(self) -> dict[str, Any] | None:
        if self._audit_key is None:
            self._audit_key = audit.key_for_writing(self)
        return self._audit_key

    # ---------------------------------------------------------------- copies
    # Both kinds of copy are written to a private partial file beside the target and renamed into
    # place, so a crash never leaves half a copy under the target's name.
    def backup_to(self, target: Path, place: bool = True) -> Path:
        """A consistent private copy through SQLite's backup API: every committed row, nothing
        uncommitted. An encrypted database's copy is encrypted with the same passphrase. It is made
        beside the target and renamed into place, so no half copy remains.

        With `place=False` the finished copy is left under its partial name, which is returned, for a
        caller that moves it into place itself (a hand-over, inside its audit event's transaction)."""
        target = Path(target)
        partial = _private_partial(target)
        try:
            destination = _connect(partial, passphrase=self._passphrase)
            with self._lock:
                self.conn.backup(destination)
            destination.execute("PRAGMA journal_mode = DELETE")
            destination.close()
            return _finish_copy(partial, target, place)
        except (*crypto.DATABASE_ERRORS, OSError) as error:
            partial.unlink(missing_ok=True)
            raise StoreError(f"The copy to {target.name} failed ({error.__class__.__name__}).") from None

    def export_copy(self, target: Path, passphrase: str | None, place: bool = True) -> Path:
        """A copy with its own passphrase (encrypted) or none (plain), through SQLCipher's export.

        Made beside the target, checked, and renamed into place; the target must not exist. With
        `place=False` it is left under its partial name, which is returned (see `backup_to`).
        """
        with self._lock:
            return _export_file(self.path, self._passphrase, Path(target), passphrase, place)

    def rekey(self, new_passphrase: str, actor: str = "cli") -> None:
        """Change an encrypted database's passphrase; refused while another program has it open."""
        crypto.rekey(self, new_passphrase, actor)

    def close(self) -> None:
        with self._lock:
            try:
                self.conn.close()
            finally:
                for name in ("_lock_handle", "_writers_handle"):
                    handle = getattr(self, name)
                    if handle is not None:
                        handle.close()
                        setattr(self, name, None)


def open_store(
    path: str | Path | None = None, *, create: bool = True, exclusive: bool = False,
    busy_timeout_ms: int = BUSY_TIMEOUT_MS, passphrase: str | None = None, encrypt_new: bool = False,
    writers_lock: bool = True,
) -> Store:
    """Open (or create) a database, refusing anything unsafe with the file left unchanged.

    Args:
        path: the file; `default_db_path()` when None.
        create: make a new database when the file does not exist.
        exclusive: hold the single-writer lock for as long as the store is open (the TUI does).
        busy_timeout_ms: how long a write waits for another program's lock before `StoreBusy`;
            the TUI waits briefly and retries itself so the screen never freezes.
        passphrase: for an encrypted database (SQLCipher); ignored for a plain one.
        encrypt_new: when the file does not exist, create it encrypted with `passphrase`.
        writers_lock: join the shared writers lock beside the file (taken before the connection is
            opened, held until `close()`), so `encrypt` and `rekey` never run under a writer. Only a
            caller that already holds that lock alone turns this off.
    """
    path = Path(path).expanduser() if path else default_db_path()
    _check_nul(passphrase)
    check_name(path, "database")
    check_regular(path)  # a folder, or a pipe that would make opening it wait forever
    if not path.exists() and not create:
        raise _missing(path)
    if not path.exists():
        if encrypt_new:
            check_passphrase(passphrase)
        try:
            make_private_dirs(path.parent)
        except OSError as error:
            raise StoreError(f"Cannot create a database at {path} ({error.strerror}).") from None
    writers = _writers_lock(path) if writers_lock else None
    try:
        return _open_locked(path, create, exclusive, busy_timeout_ms, passphrase, encrypt_new, writers)
    except BaseException:
        if writers is not None:
            writers.close()
        raise


def _open_locked(path: Path, create: bool, exclusive: bool, busy_timeout_ms: int, passphrase: str | None,
                 encrypt_new: bool, writers: Any) -> Store:
    clean_stale_partials(path.parent)
    if not path.exists():  # looked at again under the lock
        if not create:
            raise _missing(path)
        try:
            _create(path, passphrase if encrypt_new else None)
        except OSError as error:
            raise StoreError(f"Cannot create a database at {path} ({error.strerror}).") from None
        except crypto.DATABASE_ERRORS as error:
            raise _describe_sqlite_error(error, path) from None
    if not is_encrypted_file(path):
        passphrase = None  # a plain database: nothing to unlock
    version = inspect_file(path, passphrase)
    lock_handle = _take_write_lock(path) if exclusive else None
    try:
        conn = _connect(path, busy_timeout_ms, passphrase)
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if mode.lower() != "wal":
            raise StoreError(f"{path.name} could not be switched to safe journalling ({mode}).")
        if version < SCHEMA_VERSION:
            backup = path.with_name(f"{path.name}.before-v{SCHEMA_VERSION}.bak")
            if not backup.exists():
                Store(path, conn, passphrase=passphrase).backup_to(backup)  # encrypted like the database
            conn.execute("BEGIN IMMEDIATE")
            try:
                _migrate(conn)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        return Store(path, conn, lock_handle, passphrase, writers)
    except crypto.DATABASE_ERRORS as error:
        if lock_handle:
            lock_handle.close()
        raise _describe_sqlite_error(error, path) from None
    except BaseException:
        if lock_handle:
            lock_handle.close()
        raise


# ---------------------------------------------------------------- comparing copies
def database_fingerprint(conn: Any) -> dict[str, tuple[int, str]]:
    """Every table's row count and a SHA-256 over its rows in order: two databases with the same
    fingerprint hold the same data."""
    tables = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
    ).fetchall()
    result = {}
    for name, sql in ((row[0], row[1] or "") for row in tables):
        if sql.upper().startswith("CREATE VIRTUAL"):
            continue  # its shadow tables are compared instead
        order = "" if "WITHOUT ROWID" in sql.upper() else " ORDER BY rowid"
        digest = hashlib.sha256()
        count = 0
        for row in conn.execute(f'SELECT * FROM "{name}"{order}'):
            digest.update(repr(tuple(row)).encode("utf-8"))
            count += 1
        result[name] = (count, digest.hexdigest())
    return result


def _export_file(source: Path, source_passphrase: str | None, target: Path, passphrase: str | None,
                 place: bool = True) -> Path:
    """Copy a database file (plain or encrypted) to `target` with its own passphrase, or none, through
    SQLCipher's export; the copy is checked row for row before it is renamed into place."""
    partial = _private_partial(target)
    reader = None
    try:
        _check_nul(passphrase)
        if source_passphrase is not None:
            reader = _connect(source, passphrase=source_passphrase)
        else:  # a plain database: SQLCipher's driver reads it without a key
            reader = _cipher().connect(str(source), isolation_level=None)
            reader.execute("PRAGMA cipher_log_level = NONE")
        reader.execute("ATTACH DATABASE ? AS copy KEY ?", (str(partial), passphrase or ""))
        reader.execute("BEGIN")  # one snapshot for the export and the fingerprint
        expected = database_fingerprint(reader)
        reader.execute("SELECT sqlcipher_export('copy')")
        reader.execute(f"PRAGMA copy.application_id = {APPLICATION_ID}")
        version = reader.execute("PRAGMA main.user_version").fetchone()[0]
        reader.execute(f"PRAGMA copy.user_version = {int(version)}")
        reader.execute("COMMIT")
        reader.execute("DETACH DATABASE copy")
        reader.close()
        reader = None
        inspect_file(partial, passphrase)  # the copy opens with its passphrase and is sound
        check = open_read_only(partial, passphrase)
        try:
            same = database_fingerprint(check) == expected
        finally:
            check.close()
        if not same:
            raise StoreError(f"The copy to {target.name} did not match the original; it was not kept.")
        return _finish_copy(partial, target, place)
    except (*crypto.DATABASE_ERRORS, OSError) as error:
        partial.unlink(missing_ok=True)
        raise StoreError(f"The copy to {target.name} failed ({error.__class__.__name__}).") from None
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    finally:
        if reader is not None:
            reader.close()
