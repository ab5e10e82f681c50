"""Hand-over copies: the consistent private copy of a pair's database that the lead reviewer merges."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import assistant.store as _store_module
from assistant.exports.files import missing_folder
from assistant.merge.source import file_sha256
from assistant.paths import short_name
from assistant.store import (Store, StoreBusy, StoreError, chain_head, check_name, check_passphrase, not_recorded,
                             open_lock_path, open_read_only, writers_lock_path)


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
    if missing_folder(store, out):
        raise HandoverRefused(missing_folder(store, out))
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
