"""The store: one SQLite file per user, opened safely, written in short IMMEDIATE transactions.

`open_store` refuses anything that is not a learning-together database of this version or older,
without changing the file. Every write goes through `Store.write()`, which serialises writers and
turns SQLite's failures into `StoreError` sentences a user can act on.
"""

from __future__ import annotations

import fcntl
import glob
import hashlib
import hmac
import json
import os
import re
import secrets
import sqlite3
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

from assistant.paths import MAX_NAME_BYTES, name_too_long, not_a_regular_file, short_name
from assistant.store.versions import APPLICATION_ID, SCHEMA_VERSION

DB_ENV = "LEARNING_TOGETHER_DB"
CONFIG_ENV = "LEARNING_TOGETHER_CONFIG_DIR"
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


class WrongPassphrase(StoreError):
    """The passphrase does not open the database (or the file is not a learning-together database)."""


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
    return WrongPassphrase(f"{path}: wrong passphrase, or not a learning-together database; it was left as it is.")


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

def _check_nul(passphrase: str | None) -> None:
    if passphrase is not None and "\x00" in passphrase:
        raise StoreError("A passphrase cannot contain a NUL character; nothing was changed.")


# ---------------------------------------------------------------- private folders
def make_private_dirs(path: str | Path) -> Path:
    """Make `path` and every missing folder above it, each readable by this user only (0700).

    Folders that already exist are left as they are.
    """
    path = Path(path)
    missing = []
    folder = path
    while not folder.exists():
        missing.append(folder)
        if folder.parent == folder:
            break
        folder = folder.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=0o700)
        except FileExistsError:
            continue
        os.chmod(folder, 0o700)  # whatever the umask
    return path


# ---------------------------------------------------------------- locks
# Every lock the product takes goes through `_flock`: the one place that knows how (fcntl for now).
LOCK_WAIT_SECONDS = 30.0  # how long a writer waits for an `encrypt` or `rekey` to finish
WRITERS_OUT_WAIT_SECONDS = 2.0  # how long `encrypt`/`rekey` wait for writers to finish a command


def _flock(handle: Any, *, exclusive: bool, wait: float = 0.0) -> bool:
    """Take (or convert) an advisory lock on an open file; False when it is not free within `wait` seconds."""
    mode = (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB
    deadline = time.monotonic() + wait
    while True:
        try:
            fcntl.flock(handle.fileno(), mode)
            return True
        except BlockingIOError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.002)


def writers_lock_path(path: Path) -> Path:
    """The lock file beside a database that every writer shares and `encrypt`/`rekey` take alone.

    A separate file, not the database, because `encrypt` replaces the database file. A name too long
    for the disk with `.` and `.lock` around it gets a short one made from a hash of the name instead.
    """
    path = Path(os.path.realpath(path))  # one lock for the file, whichever link it is opened through
    name = f".{path.name}.lock"
    if len(os.fsencode(name)) > MAX_NAME_BYTES:
        name = f".lt.{hashlib.sha256(os.fsencode(path.name)).hexdigest()[:16]}.lock"
    return path.with_name(name)


def _open_lock_file(path: Path) -> Any | None:
    try:
        fd = os.open(writers_lock_path(path), os.O_RDWR | os.O_CREAT, 0o600)
    except OSError:
        return None  # a read-only folder: nothing can be written there anyway
    return os.fdopen(fd, "r+b")


def _writers_lock(path: Path, wait: float = LOCK_WAIT_SECONDS) -> Any | None:
    """Join the writers of `path` (shared); waits while an `encrypt` or `rekey` holds it alone."""
    handle = _open_lock_file(path)
    if handle is None:
        return None
    if not _flock(handle, exclusive=False, wait=wait):
        handle.close()
        raise StoreBusy(f"{path.name} is being encrypted or given a new passphrase by another program; "
                        "try again when it has finished.")
    return handle


def _being_written(path: Path) -> StoreLocked:
    return StoreLocked(f"{path.name} is being written by another program; close it and try again.")


def _writers_out(path: Path, wait: float = WRITERS_OUT_WAIT_SECONDS) -> Any | None:
    """Hold `path`'s writers lock alone, or refuse: for commands that replace or rekey the file."""
    handle = _open_lock_file(path)
    if handle is None:
        raise StoreError(f"{path.parent} is read-only here; {path.name} cannot be changed.")
    if not _flock(handle, exclusive=True, wait=wait):
        handle.close()
        raise _being_written(path)
    return handle


# ---------------------------------------------------------------- partial files
# The name is matched as short as it can be, so a random part that happens to be all digits is never
# taken for the program's id (which would have a live program's file removed as a dead one's).
PARTIAL_PATTERN = re.compile(
    r"^\.(?P<name>.+?)\.(?P<pid>\d+)(\.[0-9a-f]{8})?\.(partial|encrypting|creating)(-journal|-wal|-shm)?$"
)


def _partial_name(target: Path, kind: str) -> Path:
    """A unique, short hidden name beside `target` for a file being built: `.lt.PID.RANDOM.KIND`.

    Short whatever the target's name, so a target near the disk's 255-byte limit can still be built;
    `PARTIAL_PATTERN` matches it (and the longer `.NAME.PID…` names of earlier releases)."""
    return target.with_name(f".lt.{os.getpid()}.{secrets.token_hex(4)}.{kind}")


def check_name(path: Path, what: str = "file") -> None:
    """Refuse a name longer than the disk allows, in one sentence, before anything is tried. A
    database's name leaves room for the `-wal` and `-shm` files SQLite keeps beside it."""
    room = 4 if what == "database" else 0
    if name_too_long(path, room):
        raise StoreError(f"The {what} name {short_name(path, 40)} is too long for the disk (more than "
                         f"{MAX_NAME_BYTES - room} bytes); choose a shorter one.")


def check_regular(path: Path, what: str = "database") -> None:
    """Refuse an existing path that is not a regular file (a pipe would make reading it wait forever)."""
    problem = not_a_regular_file(path)
    if problem is not None and problem != "does not exist" and os.path.lexists(path):
        if problem.startswith("is a folder"):
            raise StoreError(f"{path} is a folder, not a {what} file.")
        raise StoreError(f"{path} {problem}; give a {what} file.")


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True


def clean_stale_partials(folder: Path) -> list[str]:
    """Remove half-built copies (our own naming only) left in `folder` by programs that were killed."""
    removed = []
    try:
        names = os.listdir(folder)
    except OSError:
        return removed
    for name in names:
        match = PARTIAL_PATTERN.match(name)
        if match and not _alive(int(match.group("pid"))):
            try:
                (Path(folder) / name).unlink()
                removed.append(name)
            except OSError:
                pass
    return removed


# ---------------------------------------------------------------- comparing copies, chain heads
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


def chain_head(conn: Any) -> dict[str, Any]:
    """How many events the audit trail holds and the newest one's hash: recorded when a copy is handed
    over or merged, so a copy that later lacks events shows up."""
    count = conn.execute("SELECT COUNT(*) FROM events").fetchone()[0]
    last = conn.execute("SELECT hash FROM events ORDER BY rowid DESC LIMIT 1").fetchone()
    return {"events": int(count), "head": last[0] if last else GENESIS_HASH}


# ---------------------------------------------------------------- per-device audit keys
DEVICE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,79}$")


def config_dir() -> Path:
    """`LEARNING_TOGETHER_CONFIG_DIR`, else the user configuration folder."""
    env = os.environ.get(CONFIG_ENV)
    if env:
        return Path(env).expanduser()
    from platformdirs import user_config_path

    return user_config_path("learning-together", appauthor=False)


def _key_file(device: str) -> Path | None:
    if not DEVICE_PATTERN.match(device or ""):
        return None
    return config_dir() / "audit-keys" / f"{device}.json"


def load_audit_key(device: str) -> dict[str, Any] | None:
    """This computer's secret for a device's audit events: {"key": bytes, "from_seq": n}, or None."""
    path = _key_file(device)
    if path is None:
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return {"key": bytes.fromhex(data["key"]), "from_seq": int(data["from_seq"])}
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _make_audit_key(device: str, from_seq: int) -> dict[str, Any] | None:
    """A new random 32-byte secret for `device`, kept in a 0600 file outside the database.

    An existing key is never overwritten; None when the configuration folder cannot be written.
    """
    path = _key_file(device)
    if path is None:
        return None
    try:
        make_private_dirs(path.parent)
        partial = _partial_name(path, "partial")
        fd = os.open(partial, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump({"device": device, "key": secrets.token_hex(32), "from_seq": from_seq}, handle)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(partial, path)  # never replaces a key another program made first
        except FileExistsError:
            pass
        finally:
            partial.unlink(missing_ok=True)
    except OSError:
        return None
    return load_audit_key(device)


def event_mac(key: bytes, event_hash_hex: str) -> str:
    return hmac.new(key, event_hash_hex.encode("ascii"), hashlib.sha256).hexdigest()



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
                self._depth = 0
                self._audit_key = None
                try:  # a device id changed inside the rolled-back transaction is forgotten with it
                    self.device_id = self.setting("device_id") or self.device_id
                except StoreError:
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

        Details carry ids and hashes, never note text. Each event is also sealed with this computer's
        secret for the device (see `_key_for_writing`), which is kept outside the database.
        """
        if not self._depth:
            raise RuntimeError("event() must be called inside Store.write()")
        key = self._key_for_writing()
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
        row["mac"] = event_mac(key["key"], row["hash"]) if key else None
        self.conn.execute(
            "INSERT INTO events (id, device, device_seq, at, utc_offset, actor, action, entity, entity_id,"
            " detail, prev_hash, hash, mac) VALUES (:id, :device, :device_seq, :at, :utc_offset, :actor, :action,"
            " :entity, :entity_id, :detail, :prev_hash, :hash, :mac)",
            row,
        )
        return row["id"]

    def _key_for_writing(self) -> dict[str, Any] | None:
        """This computer's audit key for the database's device, made on first use.

        A database brought from another computer (its device's events are sealed with a key this computer
        does not hold) continues as a new device, so events are never sealed with two keys under one name.
        """
        if self._audit_key is not None:
            return self._audit_key
        key = load_audit_key(self.device_id)
        if key is None:
            sealed = self.conn.execute(
                "SELECT 1 FROM events WHERE device = ? AND mac IS NOT NULL LIMIT 1", (self.device_id,)
            ).fetchone()
            if sealed:
                self.device_id = new_id()
                self.conn.execute("UPDATE settings SET value = ? WHERE key = 'device_id'", (self.device_id,))
            seq = self.conn.execute(
                "SELECT MAX(device_seq) FROM events WHERE device = ?", (self.device_id,)
            ).fetchone()[0]
            key = _make_audit_key(self.device_id, (seq or 0) + 1)
        self._audit_key = key
        return key

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
            if not place:
                return partial
            os.replace(partial, target)
            return target
        except (*DATABASE_ERRORS, OSError) as error:
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
        if not self.encrypted:
            raise StoreError(f"{self.path.name} is not encrypted; use `encrypt` to protect it with a passphrase.")
        check_passphrase(new_passphrase)
        handle = self._writers_handle
        if handle is not None and not _flock(handle, exclusive=True, wait=WRITERS_OUT_WAIT_SECONDS):
            _flock(handle, exclusive=False, wait=LOCK_WAIT_SECONDS)  # a refused conversion may drop the lock
            raise _being_written(self.path)
        try:
            with self._lock:
                try:
                    self.conn.execute(f"PRAGMA rekey = {_quote(new_passphrase)}")
                except DATABASE_ERRORS as error:
                    raise _describe_sqlite_error(error, self.path) from None
                self._passphrase = new_passphrase
            with self.write():
                self.event("rekey", "database", self.device_id, {}, actor)
        finally:
            if handle is not None:
                _flock(handle, exclusive=False, wait=LOCK_WAIT_SECONDS)

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


def _private_partial(target: Path) -> Path:
    """An empty 0600 file beside `target` to build a copy in; `target` itself must not exist yet.

    Its name is short and unique (`.lt.PID.RANDOM.partial`); ones left by killed programs are removed
    first. Every problem is one sentence naming the target.
    """
    check_name(target)
    try:
        if os.path.lexists(target):
            raise StoreError(f"{target} already exists; choose a new file name.")
        make_private_dirs(target.parent)
        clean_stale_partials(target.parent)
        partial = _partial_name(target, "partial")
        fd = os.open(partial, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except OSError as error:
        raise StoreError(f"{short_name(target)} cannot be written there ({error.strerror or error.__class__.__name__}); "
                         "nothing was written.") from None
    os.close(fd)
    return partial


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
        if not place:
            return partial
        os.replace(partial, target)
        return target
    except (*DATABASE_ERRORS, OSError) as error:
        partial.unlink(missing_ok=True)
        raise StoreError(f"The copy to {target.name} failed ({error.__class__.__name__}).") from None
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    finally:
        if reader is not None:
            reader.close()


def event_hash(row: dict[str, Any]) -> str:
    fields = ("prev_hash", "id", "device", "device_seq", "at", "utc_offset", "actor", "action", "entity",
              "entity_id", "detail")
    material = "\x1f".join(str(row[f]) for f in fields)
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


@dataclass
class AuditReport:
    """What `audit verify` found: every event's place in the hash chain is checked; events sealed on this
    computer are also checked against its key."""

    events: int = 0
    keyed: int = 0  # sealed with this computer's key, and the seal matches
    unkeyed: int = 0  # written before the device had a key: checked by the chain only
    elsewhere: int = 0  # sealed with a key this computer does not hold: checked by the chain only
    problem: str | None = None

    def summary(self) -> str:
        parts = []
        if self.keyed:
            parts.append(f"{self.keyed} keyed on this device")
        if self.unkeyed:
            parts.append(f"{self.unkeyed} written before keys existed, checked by their chain only")
        if self.elsewhere:
            parts.append(f"{self.elsewhere} cannot be checked on this device (their key is kept on the device "
                         "that wrote them), checked by their chain only")
        detail = f" ({'; '.join(parts)})" if parts else ""
        return f"The audit trail is sound: {self.events} events checked{detail}."


def audit_report(store: Store) -> AuditReport:
    """Walk the hash chain and the per-device seals; stop at the first broken event."""
    report = AuditReport()
    prev = GENESIS_HASH
    keys: dict[str, dict[str, Any] | None] = {}
    sealed_devices: set[str] = set()
    for position, row in enumerate(store.query("SELECT * FROM events ORDER BY rowid"), start=1):
        report.events += 1
        name = f"event {position} ({row['id']}, {row['action']} at {row['at']})"
        if row["prev_hash"] != prev or event_hash(row) != row["hash"]:
            report.problem = f"{name} has been changed"
            return report
        prev = row["hash"]
        device, mac = row["device"], row.get("mac")
        if device not in keys:
            keys[device] = load_audit_key(device)
        key = keys[device]
        if key is not None and row["device_seq"] >= key["from_seq"]:
            if mac is None or not hmac.compare_digest(str(mac), event_mac(key["key"], row["hash"])):
                report.problem = f"{name} has been changed (its seal does not match this device's key)"
                return report
            report.keyed += 1
            sealed_devices.add(device)
        elif mac is not None:
            report.elsewhere += 1
            sealed_devices.add(device)
        elif device in sealed_devices:
            report.problem = f"{name} has been changed (its seal was removed)"
            return report
        else:
            report.unkeyed += 1
    return report


def verify_audit(store: Store) -> tuple[int, str | None]:
    """Walk the hash chain; return (events checked, a sentence naming the first broken event or None)."""
    report = audit_report(store)
    return report.events, report.problem


def _take_write_lock(path: Path) -> Any:
    """An advisory lock so only one window or program writes to a database at a time."""
    handle = open(path, "rb")
    if not _flock(handle, exclusive=True):
        handle.close()
        raise StoreLocked(
            f"{path.name} is already open in another window or program; close it there first."
        ) from None
    return handle


def _missing(path: Path) -> StoreError:
    return StoreError(f"There is no database at {path}; check the path (nothing was created).")


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
                Store(path, conn, passphrase=passphrase).backup_to(backup)  # encrypted like the database
            conn.execute("BEGIN IMMEDIATE")
            try:
                _migrate(conn)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        return Store(path, conn, lock_handle, passphrase, writers)
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
    _check_nul(passphrase)
    if not passphrase or len(passphrase) < MIN_PASSPHRASE:
        raise StoreError(f"A passphrase needs at least {MIN_PASSPHRASE} characters.")
    return passphrase


def plain_backups(path: Path) -> list[Path]:
    """The pre-upgrade backups (`NAME.before-vN.bak`) beside a database that are plain SQLite files."""
    pattern = glob.escape(str(path)) + ".before-v*.bak"
    return sorted(Path(p) for p in glob.glob(pattern) if Path(p).is_file() and not is_encrypted_file(Path(p)))


def encrypt_database(path: Path, passphrase: str, actor: str = "cli") -> list[tuple[str, str]]:
    """Turn a plain database into an encrypted one in place. The encrypted copy is made and checked
    table by table first; only then does it replace the original.

    Refused while any other program has the database open (they share the writers lock beside it), so
    nothing written meanwhile can be lost. Plain pre-upgrade backups beside it are then encrypted with
    the same passphrase (or removed if that fails); returns [(backup name, "encrypted" or "removed")].
    """
    path = Path(os.path.realpath(path))  # through a link, the database itself is encrypted, not the link
    check_passphrase(passphrase)
    check_name(path, "database")
    check_regular(path)
    if not path.exists():
        raise _missing(path)
    if is_encrypted_file(path):
        raise StoreError(f"{path.name} is already encrypted; use `rekey` to change its passphrase.")
    guard = _writers_out(path)
    try:
        clean_stale_partials(path.parent)
        try:
            path.with_name(f".{path.name}.encrypting").unlink(missing_ok=True)  # an older release's name
        except OSError:
            pass  # a name too long to have been made
        partial = _partial_name(path, "encrypting")
        store = open_store(path, create=False, exclusive=True, writers_lock=False)
        try:
            store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            expected = database_fingerprint(store.conn)
            store.export_copy(partial, passphrase)
            copy = open_store(partial, create=False, passphrase=passphrase, writers_lock=False)
            try:
                if database_fingerprint(copy.conn) != expected:
                    raise StoreError("The encrypted copy did not match the original; nothing was changed.")
                with copy.write():
                    copy.event("encrypt", "database", copy.device_id,
                               {"notes": expected.get("notes", (0, ""))[0]}, actor)
                copy.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            finally:
                copy.close()
            for suffix in ("-wal", "-shm"):
                Path(f"{partial}{suffix}").unlink(missing_ok=True)
        except BaseException:
            store.close()
            for leftover in (partial, Path(f"{partial}-wal"), Path(f"{partial}-shm")):
                leftover.unlink(missing_ok=True)
            raise
        store.close()
        for suffix in ("-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        os.replace(partial, path)
        return [(backup.name, _encrypt_backup(backup, passphrase)) for backup in plain_backups(path)]
    finally:
        if guard is not None:
            guard.close()


def _encrypt_backup(backup: Path, passphrase: str) -> str:
    """Encrypt one plain backup in place with `passphrase`; if that cannot be done, remove it."""
    encrypted = _partial_name(backup, "encrypting")
    try:
        _export_file(backup, None, encrypted, passphrase)
        os.replace(encrypted, backup)
        return "encrypted"
    except (StoreError, OSError):
        encrypted.unlink(missing_ok=True)
        backup.unlink(missing_ok=True)
        return "removed"
