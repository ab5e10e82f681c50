"""The store: one SQLite file per user, opened safely, written in short IMMEDIATE transactions.

`open_store` refuses anything that is not a learning-together database of this version or older,
without changing the file. Every write goes through `Store.write()`, which serialises writers and
turns SQLite's failures into `StoreError` sentences a user can act on.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import sqlite3
import threading
import uuid
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

from assistant.store.versions import APPLICATION_ID, SCHEMA_VERSION

DB_ENV = "LEARNING_TOGETHER_DB"
BUSY_TIMEOUT_MS = 2000
GENESIS_HASH = "0" * 64
SQLITE_HEADER = b"SQLite format 3\x00"


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


class StoreError(Exception):
    """A problem with the database, said in one sentence a user can act on."""


class StoreBusy(StoreError):
    """Another program holds the write lock; the caller keeps its text and may retry."""


class PassphraseNeeded(StoreError):
    """The database is encrypted and no passphrase was given."""


class StoreLocked(StoreError):
    """The database is already open for writing in another window or program."""


def new_id() -> str:
    return str(uuid.uuid4())


def now() -> str:
    """UTC time, ISO 8601 with milliseconds."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def local_offset() -> str:
    offset = datetime.now().astimezone().utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset else 0
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def checksum(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def default_db_path() -> Path:
    """`LEARNING_TOGETHER_DB`, else the user data directory."""
    env = os.environ.get(DB_ENV)
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_path

    return user_data_path("learning-together", appauthor=False) / "learning-together.db"


def _describe_sqlite_error(error: sqlite3.Error, path: Path) -> StoreError:
    message = str(error).lower()
    if "locked" in message or "busy" in message:
        return StoreBusy(
            f"{path.name} is busy in another program; nothing was lost, try again in a moment."
        )
    if "full" in message:
        return StoreError(f"The disk holding {path.name} is full; free some space, your text is kept.")
    if "readonly" in message or "read-only" in message:
        return StoreError(f"{path.name} is read-only here; your text is kept but cannot be saved.")
    if "malformed" in message or "not a database" in message or "corrupt" in message:
        return StoreError(f"{path} is damaged and cannot be used; it has not been changed.")
    if "append-only" in message:
        return StoreError("The audit trail is append-only; the change was refused.")
    return StoreError(f"The database could not do that ({error.__class__.__name__}); nothing was changed.")


def _wrong_passphrase(path: Path) -> StoreError:
    return StoreError(f"{path}: wrong passphrase, or not a learning-together database; it was left as it is.")


def open_read_only(path: Path, passphrase: str | None):
    """A read-only connection (plain, or keyed for an encrypted file); the file is never changed."""
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
    if path.is_dir():
        raise StoreError(f"{path} is a folder, not a database file.")
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
    except DATABASE_ERRORS:
        raise StoreError(f"{path} cannot be opened as a database; it has not been changed.") from None
    try:
        try:
            application_id = conn.execute("PRAGMA application_id").fetchone()[0]
        except DATABASE_ERRORS as error:
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
    except DATABASE_ERRORS as error:
        raise _describe_sqlite_error(error, path) if "locked" in str(error) else StoreError(
            f"{path} is damaged and cannot be used; it has not been changed."
        ) from None
    finally:
        conn.close()


def _apply_pragmas(conn: sqlite3.Connection, busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> None:
    conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA secure_delete = ON")
    conn.execute("PRAGMA temp_store = MEMORY")
    conn.execute("PRAGMA synchronous = FULL")


def _connect(path: Path, busy_timeout_ms: int = BUSY_TIMEOUT_MS, passphrase: str | None = None):
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
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.creating")
    fd = os.open(temporary, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    os.close(fd)
    try:
        conn = _connect(temporary, passphrase=passphrase)
        conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        conn.execute("PRAGMA journal_mode = DELETE")
        _migrate(conn)
        conn.execute("INSERT INTO settings (key, value) VALUES ('device_id', ?)", (new_id(),))
        conn.execute("INSERT INTO settings (key, value) VALUES ('created_at', ?)", (now(),))
        conn.close()
        os.replace(temporary, path)
    finally:
        for leftover in (temporary, Path(f"{temporary}-journal")):
            if leftover.exists():
                leftover.unlink()


class Store:
    """An open database: one writer connection, writes serialised by a lock."""

    def __init__(self, path: Path, conn: Any, lock_handle: Any = None, passphrase: str | None = None) -> None:
        self.path = path
        self.conn = conn
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
    def db(self):
        """The connection as a `sqlite_utils.Database` (loaded on first use)."""
        from sqlite_utils import Database

        return Database(self.conn)

    # ---------------------------------------------------------------- reading
    def query(self, sql: str, params: Any = ()) -> list[dict[str, Any]]:
        with self._lock:
            try:
                return [dict(row) for row in self.conn.execute(sql, params)]
            except DATABASE_ERRORS as error:
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
            except DATABASE_ERRORS as error:
                raise _describe_sqlite_error(error, self.path) from None
            self._depth = 1
            try:
                yield self.conn
                self.conn.execute("COMMIT")
            except BaseException as error:
                try:
                    self.conn.execute("ROLLBACK")
                except DATABASE_ERRORS:
                    pass
                if isinstance(error, DATABASE_ERRORS):
                    raise _describe_sqlite_error(error, self.path) from None
                raise
            finally:
                self._depth = 0

    def event(
        self, action: str, entity: str, entity_id: str, detail: dict[str, Any] | None = None, actor: str = "system"
    ) -> str:
        """Append one audit event, hash-chained to the one before. Call inside `write()`.

        Details carry ids and hashes, never note text.
        """
        if not self._depth:
            raise RuntimeError("event() must be called inside Store.write()")
        last = self.conn.execute("SELECT hash FROM events ORDER BY rowid DESC LIMIT 1").fetchone()
        prev_hash = last[0] if last else GENESIS_HASH
        seq_row = self.conn.execute(
            "SELECT MAX(device_seq) FROM events WHERE device = ?", (self.device_id,)
        ).fetchone()
        row = {
            "id": new_id(),
            "device": self.device_id,
            "device_seq": (seq_row[0] or 0) + 1,
            "at": now(),
            "utc_offset": local_offset(),
            "actor": actor,
            "action": action,
            "entity": entity,
            "entity_id": entity_id,
            "detail": json.dumps(detail or {}, sort_keys=True, ensure_ascii=False),
            "prev_hash": prev_hash,
        }
        row["hash"] = event_hash(row)
        self.conn.execute(
            "INSERT INTO events (id, device, device_seq, at, utc_offset, actor, action, entity, entity_id,"
            " detail, prev_hash, hash) VALUES (:id, :device, :device_seq, :at, :utc_offset, :actor, :action,"
            " :entity, :entity_id, :detail, :prev_hash, :hash)",
            row,
        )
        return row["id"]

    # ---------------------------------------------------------------- copies
    # Both kinds of copy are written to a private partial file beside the target and renamed into
    # place, so a crash never leaves half a copy under the target's name.
    def backup_to(self, target: Path) -> None:
        """A consistent private copy through SQLite's backup API: every committed row, nothing
        uncommitted. It is made beside the target and renamed into place, so no half copy remains."""
        target = Path(target)
        partial = _private_partial(target)
        try:
            destination = _connect(partial, passphrase=self._passphrase)
            with self._lock:
                self.conn.backup(destination)
            destination.execute("PRAGMA journal_mode = DELETE")
            destination.close()
            os.replace(partial, target)
        except (*DATABASE_ERRORS, OSError) as error:
            partial.unlink(missing_ok=True)
            raise StoreError(f"The copy to {target.name} failed ({error.__class__.__name__}).") from None

    def export_copy(self, target: Path, passphrase: str | None) -> None:
        """A copy with its own passphrase (encrypted) or none (plain), through SQLCipher's export.

        Made beside the target, checked, and renamed into place; the target must not exist.
        """
        target = Path(target)
        partial = _private_partial(target)
        reader = _connect(self.path, passphrase=self._passphrase) if self._passphrase else None
        try:
            if reader is None:  # a plain database: SQLCipher's driver reads it without a key
                driver = _cipher()
                reader = driver.connect(str(self.path), isolation_level=None)
                reader.execute("PRAGMA cipher_log_level = NONE")
            reader.execute("ATTACH DATABASE ? AS copy KEY ?", (str(partial), passphrase or ""))
            reader.execute("SELECT sqlcipher_export('copy')")
            reader.execute(f"PRAGMA copy.application_id = {APPLICATION_ID}")
            version = reader.execute("PRAGMA main.user_version").fetchone()[0]
            reader.execute(f"PRAGMA copy.user_version = {int(version)}")
            reader.execute("DETACH DATABASE copy")
            reader.close()
            reader = None
            inspect_file(partial, passphrase)  # the copy opens with its passphrase and is sound
            os.replace(partial, target)
        except (*DATABASE_ERRORS, OSError) as error:
            partial.unlink(missing_ok=True)
            raise StoreError(f"The copy to {target.name} failed ({error.__class__.__name__}).") from None
        except StoreError:
            partial.unlink(missing_ok=True)
            raise
        finally:
            if reader is not None:
                reader.close()

    def rekey(self, new_passphrase: str, actor: str = "cli") -> None:
        """Change an encrypted database's passphrase."""
        if not self.encrypted:
            raise StoreError(f"{self.path.name} is not encrypted; use `encrypt` to protect it with a passphrase.")
        check_passphrase(new_passphrase)
        with self._lock:
            try:
                self.conn.execute(f"PRAGMA rekey = {_quote(new_passphrase)}")
            except DATABASE_ERRORS as error:
                raise _describe_sqlite_error(error, self.path) from None
            self._passphrase = new_passphrase
        with self.write():
            self.event("rekey", "database", self.device_id, {}, actor)

    def close(self) -> None:
        with self._lock:
            try:
                self.conn.close()
            finally:
                if self._lock_handle is not None:
                    self._lock_handle.close()
                    self._lock_handle = None


def _private_partial(target: Path) -> Path:
    """An empty 0600 file beside `target` to build a copy in; `target` itself must not exist yet."""
    if target.exists():
        raise StoreError(f"{target} already exists; choose a new file name.")
    if not target.parent.exists():
        target.parent.mkdir(parents=True, mode=0o700)
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    fd = os.open(partial, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, 0o600)
    os.close(fd)
    return partial


def event_hash(row: dict[str, Any]) -> str:
    fields = ("prev_hash", "id", "device", "device_seq", "at", "utc_offset", "actor", "action", "entity",
              "entity_id", "detail")
    material = "\x1f".join(str(row[f]) for f in fields)
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


def verify_audit(store: Store) -> tuple[int, str | None]:
    """Walk the hash chain; return (events checked, a sentence naming the first broken event or None)."""
    prev = GENESIS_HASH
    count = 0
    for position, row in enumerate(store.query("SELECT * FROM events ORDER BY rowid"), start=1):
        count += 1
        if row["prev_hash"] != prev or event_hash(row) != row["hash"]:
            return count, f"event {position} ({row['id']}, {row['action']} at {row['at']}) has been changed"
        prev = row["hash"]
    return count, None


def _take_write_lock(path: Path) -> Any:
    """An advisory lock so only one window or program writes to a database at a time."""
    handle = open(path, "rb")
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise StoreLocked(
            f"{path.name} is already open in another window or program; close it there first."
        ) from None
    return handle


def open_store(
    path: str | Path | None = None, *, create: bool = True, exclusive: bool = False,
    busy_timeout_ms: int = BUSY_TIMEOUT_MS, passphrase: str | None = None, encrypt_new: bool = False,
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
    """
    path = Path(path).expanduser() if path else default_db_path()
    if not path.exists():
        if not create:
            raise StoreError(f"There is no database at {path}.")
        if not path.parent.exists():
            path.parent.mkdir(parents=True, mode=0o700)
        if encrypt_new:
            check_passphrase(passphrase)
        try:
            _create(path, passphrase if encrypt_new else None)
        except OSError as error:
            raise StoreError(f"Cannot create a database at {path} ({error.strerror}).") from None
        except DATABASE_ERRORS as error:
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
                Store(path, conn, passphrase=passphrase).backup_to(backup)
            conn.execute("BEGIN IMMEDIATE")
            try:
                _migrate(conn)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        return Store(path, conn, lock_handle, passphrase)
    except DATABASE_ERRORS as error:
        if lock_handle:
            lock_handle.close()
        raise _describe_sqlite_error(error, path) from None
    except BaseException:
        if lock_handle:
            lock_handle.close()
        raise


MIN_PASSPHRASE = 8


def check_passphrase(passphrase: str | None) -> str:
    if not passphrase or len(passphrase) < MIN_PASSPHRASE:
        raise StoreError(f"A passphrase needs at least {MIN_PASSPHRASE} characters.")
    return passphrase


def encrypt_database(path: Path, passphrase: str, actor: str = "cli") -> None:
    """Turn a plain database into an encrypted one in place. The encrypted copy is made and verified
    first; only then does it replace the original."""
    path = Path(path)
    check_passphrase(passphrase)
    if is_encrypted_file(path):
        raise StoreError(f"{path.name} is already encrypted; use `rekey` to change its passphrase.")
    store = open_store(path, create=False, exclusive=True)
    try:
        notes = store.scalar("SELECT COUNT(*) FROM notes")
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        partial = path.with_name(f".{path.name}.encrypting")
        partial.unlink(missing_ok=True)
        store.export_copy(partial, passphrase)
        copy = open_store(partial, create=False, passphrase=passphrase)
        try:
            if copy.scalar("SELECT COUNT(*) FROM notes") != notes:
                raise StoreError("The encrypted copy did not match the original; nothing was changed.")
            with copy.write():
                copy.event("encrypt", "database", copy.device_id, {"notes": notes}, actor)
            copy.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            copy.close()
        for suffix in ("-wal", "-shm"):
            Path(f"{partial}{suffix}").unlink(missing_ok=True)
    except BaseException:
        store.close()
        raise
    store.close()
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    os.replace(partial, path)
