"""Where an export may be written, and writing it so it is either there and audited, or not there.

One set of checks for the command line and the app:

* the open database, its -wal, -shm, -journal and lock files, and any file that is an SQLite database are
  never replaced, whatever the user says (paths are compared resolved, and as the same file on disk,
  so symbolic and hard links are caught);
* anything else that exists is replaced only when the user says so (`--force`); the app picks free
  names instead (`choose_export_path`);
* names are kept within the filesystem's 255-byte limit, counting bytes, not characters;
* every file is written to a short private partial name beside its target, the audit event is
  recorded, and only then are the files moved into place, inside the event's transaction: if the
  event cannot be written, the partial files are removed and nothing is exported.
"""

from __future__ import annotations

import errno
import os
import secrets
from pathlib import Path
from typing import Callable, Sequence

from assistant.store import (SQLITE_HEADER, Store, StoreBusy, StoreError, make_private_dirs, not_recorded,
                             open_lock_path, writers_lock_path)

MAX_NAME_BYTES = 255
# App-chosen names leave room for a "-NNN" to tell them apart.
_CHOSEN_NAME_BYTES = 200
_DATABASE_SUFFIXES = ("", "-wal", "-shm", "-journal")


class ExportRefused(StoreError):
    """An export target that may not be written; nothing was written."""


def shorten_name(stem: str, suffix: str, limit: int = _CHOSEN_NAME_BYTES) -> str:
    """`stem + suffix`, the stem cut (by UTF-8 bytes, never mid-character) so the whole fits `limit`."""
    room = limit - len(suffix.encode("utf-8"))
    encoded = stem.encode("utf-8")
    if len(encoded) > room:
        stem = encoded[:room].decode("utf-8", errors="ignore").rstrip("-_ ")
    return stem + suffix


def safe_stem(text: str) -> str:
    """Letters, digits, - and _ only (any script), for names the app chooses."""
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in text).strip("-") or "export"


def choose_export_path(folder: Path, stem: str, fmt: str, siblings: Sequence[str] = ()) -> Path:
    """A free name in `folder`: `stem.fmt`, else `stem-2.fmt`, `stem-3.fmt` …; `siblings` are suffixes
    of companion files (a csv's "-codebook.csv") that must be free too. Never too long for the disk."""
    stem = safe_stem(stem)
    for number in range(1, 10_000):
        tail = "" if number == 1 else f"-{number}"
        name = shorten_name(stem, f"{tail}.{fmt}")
        base = name[: -len(f".{fmt}")]
        candidates = [folder / name, *(folder / f"{base}{s}" for s in siblings)]
        if not any(os.path.lexists(c) for c in candidates):
            return folder / name
    raise ExportRefused(f"There are too many exports named {stem} in {folder}; move some away first.")


def _looks_like_database(path: Path) -> bool:
    """A plain SQLite file by its header, or an encrypted one (random bytes that are neither text nor a
    zip, which is what every export format is)."""
    try:
        with open(path, "rb") as handle:
            header = handle.read(100)
    except OSError:
        return False
    if header.startswith(SQLITE_HEADER):
        return True
    if len(header) < 100 or header.startswith(b"PK"):
        return False
    try:
        header.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


def _protected(store: Store) -> list[Path]:
    database = Path(store.path)
    # The lock files too: replacing one would give later programs a new file to lock, not the held one.
    return [*(Path(f"{database}{suffix}") for suffix in _DATABASE_SUFFIXES), writers_lock_path(database),
            open_lock_path(database)]


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


# The product's own folder for exports, beside the database: the one folder an export may create.
EXPORTS_FOLDER = "exports"


def missing_folder(store: Store, target: Path) -> str:
    """The sentence refusing `target` when its folder does not exist ("" when it does, or when it is the
    product's own exports folder, which is made private when needed): a mistyped folder is never made."""
    folder = Path(target).expanduser().parent
    if os.path.lexists(folder):  # a folder, or a file in the way: the write itself says which
        return ""
    own = (Path(store.path).expanduser().parent / EXPORTS_FOLDER).resolve()
    try:
        resolved = folder.resolve()
    except (OSError, RuntimeError):
        resolved = folder
    if resolved == own or own in resolved.parents:
        return ""
    return f"The folder {folder} does not exist."


def check_targets(store: Store, targets: Sequence[Path], force: bool = False) -> list[Path]:
    """Refuse, in one sentence and before anything is written, any target that may not be written."""
    checked: list[Path] = []
    protected = _protected(store)
    protected_resolved = {p.resolve() for p in protected}
    for target in targets:
        target = Path(target).expanduser()
        if len(target.name.encode("utf-8")) > MAX_NAME_BYTES:
            raise ExportRefused(f"The file name {target.name[:40]}… is too long for the disk; choose a shorter one.")
        if target.name in ("", ".", ".."):
            raise ExportRefused(f"{target} is not a file name; give a file name to export to.")
        try:
            resolved = target.resolve()
        except (OSError, RuntimeError):
            raise ExportRefused(f"{target} cannot be followed (a loop of links); choose another file name.") from None
        if resolved in protected_resolved or any(_same_file(target, p) for p in protected):
            raise ExportRefused(f"{target} is this application's database; choose another file name for the export.")
        if target.is_dir():
            raise ExportRefused(f"{target} is a folder; give a file name to export to.")
        if missing_folder(store, target):
            raise ExportRefused(missing_folder(store, target))
        if target.exists() and not target.is_file():
            raise ExportRefused(f"{target} is not an ordinary file (a pipe or a device); choose another file name.")
        if os.path.lexists(target):
            if _looks_like_database(target):
                raise ExportRefused(f"{target} looks like a database, which an export never replaces; choose another name.")
            if not force:
                raise ExportRefused(f"{target} already exists; choose another name, or add --force to replace it.")
        checked.append(target)
    return checked


def _partial_name(target: Path, kind: str = "partial") -> Path:
    return target.with_name(f".lt-{secrets.token_hex(6)}.{kind}")


def _write_partial(target: Path, payload: bytes) -> Path:
    partial = _partial_name(target)
    fd = os.open(partial, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(partial, 0o600)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return partial


def _place(partial: Path, target: Path, force: bool) -> Path | None:
    """Move a partial file to its target; returns the aside copy of a replaced file, if any."""
    aside = None
    if os.path.lexists(target):
        if not force:
            raise ExportRefused(f"{target} already exists; choose another name, or add --force to replace it.")
        aside = _partial_name(target, "replaced")
        try:
            os.link(target, aside, follow_symlinks=False)  # kept until the event commits, to put back
        except OSError as error:
            if error.errno not in (errno.EPERM, errno.ENOTSUP, errno.EXDEV, errno.EMLINK):
                raise
            aside = None  # a filesystem without hard links: replaced without a way back
        os.replace(partial, target)
        return aside
    try:
        os.link(partial, target)  # fails if the name was taken meanwhile: nothing is replaced
    except FileExistsError:
        raise ExportRefused(f"{target} already exists; choose another name, or add --force to replace it.") from None
    except OSError as error:
        if error.errno not in (errno.EPERM, errno.ENOTSUP, errno.EXDEV, errno.EMLINK):
            raise
        os.replace(partial, target)  # a filesystem without hard links
        return None
    partial.unlink()
    return None


def _one_sentence(error: OSError, target: Path) -> StoreError:
    reason = error.strerror or error.__class__.__name__
    return StoreError(f"Cannot write {target.name[:60]} ({reason}); nothing was exported.")


def publish(store: Store, files: Sequence[tuple[Path, bytes | str]], record_event: Callable[[], None],
            force: bool = False) -> list[Path]:
    """Write `files` whole and private, with their audit event, or write nothing at all.

    `record_event` is called inside the write transaction; the files are moved into place before it
    commits, and taken back out if it does not."""
    targets = check_targets(store, [path for path, _ in files], force)
    partials: list[Path] = []
    folders: list[Path] = []
    placed: list[tuple[Path, Path | None]] = []
    committed = False
    try:
        try:
            for target, (_, data) in zip(targets, files):
                folders += make_private_dirs(target.parent)
                partials.append(_write_partial(target, data.encode("utf-8") if isinstance(data, str) else data))
        except OSError as error:
            raise _one_sentence(error, target) from None
        try:
            with store.write():
                record_event()
                for partial, target in zip(partials, targets):
                    check_targets(store, [target], force)  # again, just before: nothing changed meanwhile
                    try:
                        placed.append((target, _place(partial, target, force)))
                    except OSError as error:
                        raise _one_sentence(error, target) from None
            committed = True
        except ExportRefused:
            raise
        except StoreError as error:
            if "nothing was exported" in str(error) and not isinstance(error, StoreBusy):
                raise
            raise not_recorded(store.path, error, "The export", "nothing was exported") from None
    finally:
        if not committed:
            for target, aside in reversed(placed):
                try:
                    if aside is not None:
                        os.replace(aside, target)
                    else:
                        target.unlink(missing_ok=True)
                except OSError:
                    pass
        else:
            for _, aside in placed:
                if aside is not None:
                    aside.unlink(missing_ok=True)
        for partial in partials:
            partial.unlink(missing_ok=True)
        if not committed:
            for folder in reversed(folders):  # folders made for this export go again, if still empty
                try:
                    folder.rmdir()
                except OSError:
                    pass
    return targets
