"""Files beside the database: paths, private folders, partial files, name checks and the lock files.

Every lock the product takes is a `LockFile` and goes through `_flock`. Copies and new databases are built in short, hidden
partial files beside their target and renamed into place; `clean_stale_partials` removes the ones that
programs killed part-way left behind.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import sqlite3
import sys
import time
from pathlib import Path
from typing import Any

from assistant import settings
from assistant.paths import MAX_NAME_BYTES, name_too_long, not_a_regular_file, short_name
from assistant.store.errors import StoreBusy, StoreError, StoreLocked, _being_written


def default_db_path() -> Path:
    """`LEARNING_TOGETHER_DB`, else the user data directory (see `assistant.settings`)."""
    return settings.default_db_path()


# ---------------------------------------------------------------- private folders
def make_private_dirs(path: str | Path) -> list[Path]:
    """Make `path` and every missing folder above it, each readable by this user only (0700); returns
    the folders made, outermost first, so a caller that fails later can remove just those.

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
    made = []
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=0o700)
        except FileExistsError:
            continue
        os.chmod(folder, 0o700)  # whatever the umask
        made.append(folder)
    return made


# ---------------------------------------------------------------- locks
# Every lock the product takes is a `LockFile` and goes through `_flock`. The locks are SQLite's own
# file locks on small empty lock files: the same code on Linux, macOS and Windows (no `fcntl`, no
# `msvcrt`), shared or exclusive, checked between connections of one program as well as between
# programs, and released by the system when a program dies.
LOCK_WAIT_SECONDS = 30.0  # how long a writer waits for an `encrypt` or `rekey` to finish
WRITERS_OUT_WAIT_SECONDS = 2.0  # how long `encrypt`/`rekey` wait for writers to finish a command


class LockFile:
    """A held (or free) lock on one lock file: shared (with other shared holders) or exclusive."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._conn = sqlite3.connect(f"{path.as_uri()}?mode=rw", uri=True, timeout=0, isolation_level=None,
                                     check_same_thread=False)
        self._journal_in_memory = False

    def take(self, level: str) -> bool:
        """Drop what is held and try once for `level`; False when someone else holds it."""
        conn = self._conn
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        try:
            if not self._journal_in_memory:  # an exclusive lock would otherwise leave a journal file
                conn.execute("PRAGMA journal_mode = MEMORY")
                self._journal_in_memory = True
            if level == "shared":
                conn.execute("BEGIN")
                conn.execute("SELECT count(*) FROM sqlite_master").fetchone()  # the shared lock itself
            else:
                conn.execute("BEGIN EXCLUSIVE")
            return True
        except sqlite3.OperationalError as error:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            if "locked" in str(error) or "busy" in str(error):
                return False
            raise StoreError(f"The lock file {self.path} cannot be used ({error}); remove it and try "
                             "again.") from None
        except sqlite3.DatabaseError as error:
            raise StoreError(f"The lock file {self.path} cannot be used ({error}); remove it and try "
                             "again.") from None

    def close(self) -> None:
        self._conn.close()

    # A connection lives on until the garbage collector finds it; a lock dropped with its owner must
    # be released at once, as a closed file's would be.
    __del__ = close


def _flock(handle: LockFile, *, exclusive: bool, wait: float = 0.0) -> bool:
    """Take (or convert) a lock; False when it is not free within `wait` seconds."""
    return _take(handle, "exclusive" if exclusive else "shared", wait)


def _take(handle: LockFile, level: str, wait: float) -> bool:
    deadline = time.monotonic() + wait
    while not handle.take(level):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.002)
    return True


def _lock_path(path: Path, kind: str) -> Path:
    path = Path(os.path.realpath(path))  # one lock for the file, whichever link it is opened through
    name = f".{path.name}{kind}.lock"
    if len(os.fsencode(name)) > MAX_NAME_BYTES:
        name = f".lt.{hashlib.sha256(os.fsencode(path.name)).hexdigest()[:16]}{kind}.lock"
    return path.with_name(name)


def writers_lock_path(path: Path) -> Path:
    """The lock file beside a database that every writer shares and `encrypt`/`rekey` take alone.

    A separate file, not the database, because `encrypt` replaces the database file. A name too long
    for the disk with `.` and `.lock` around it gets a short one made from a hash of the name instead.
    """
    return _lock_path(path, "")


def open_lock_path(path: Path) -> Path:
    """The lock file a window holds while it has the database open, so a second window is refused."""
    return _lock_path(path, ".open")


def _open_lock_file(lock: Path) -> LockFile | None:
    try:
        # Made only when missing: on Linux and macOS, closing any handle on a file drops every lock this
        # program holds on it, so an existing lock file is never opened here except through SQLite.
        os.close(os.open(lock, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass
    except OSError:
        return None  # a read-only folder: nothing can be written there anyway
    try:
        return LockFile(lock)
    except sqlite3.Error:
        return None  # a lock file this user may not write: nothing can be written beside it either


def _writers_lock(path: Path, wait: float = LOCK_WAIT_SECONDS) -> LockFile | None:
    """Join the writers of `path` (shared); waits while an `encrypt` or `rekey` holds it alone."""
    handle = _open_lock_file(writers_lock_path(path))
    if handle is None:
        return None
    if not _flock(handle, exclusive=False, wait=wait):
        handle.close()
        raise StoreBusy(f"{path.name} is being encrypted or given a new passphrase by another program; "
                        "try again when it has finished.")
    return handle


def _writers_out(path: Path, wait: float = WRITERS_OUT_WAIT_SECONDS) -> LockFile:
    """Hold `path`'s writers lock alone, or refuse: for commands that replace or rekey the file."""
    handle = _open_lock_file(writers_lock_path(path))
    if handle is None:
        raise StoreError(f"{path.parent} is read-only here; {path.name} cannot be changed.")
    if not _flock(handle, exclusive=True, wait=wait):
        handle.close()
        raise _being_written(path)
    return handle


def _take_write_lock(path: Path) -> LockFile | None:
    """A lock so only one window or program writes to a database at a time."""
    handle = _open_lock_file(open_lock_path(path))
    if handle is None:
        return None
    if not _take(handle, "exclusive", 0.0):
        handle.close()
        raise StoreLocked(
            f"{path.name} is already open in another window or program; close it there first."
        ) from None
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
    """Whether a program with this id is running (its partial files are then left alone)."""
    if pid == os.getpid():
        return True
    if sys.platform == "win32":
        return _alive_on_windows(pid)  # os.kill(pid, 0) would end the program there, not ask about it
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True


def _alive_on_windows(pid: int) -> bool:
    import ctypes  # only here: Windows' own process calls

    kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
    handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
    if not handle:
        return kernel32.GetLastError() == 5  # access denied: it exists, someone else's
    try:
        code = ctypes.c_ulong()
        kernel32.GetExitCodeProcess(handle, ctypes.byref(code))
        return code.value == 259  # STILL_ACTIVE
    finally:
        kernel32.CloseHandle(handle)


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
