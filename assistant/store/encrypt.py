"""Encrypting a plain database in place, and then the plain pre-upgrade backups beside it.

The encrypted copy is made and checked through the open store, so this sits above `connection`;
SQLCipher's driver, the passphrase checks and `rekey` are in `crypto`.
"""

from __future__ import annotations

import os
from pathlib import Path

from assistant.store.connection import _export_file, database_fingerprint, open_store
from assistant.store.crypto import check_passphrase, is_encrypted_file, plain_backups
from assistant.store.errors import StoreError, _missing
from assistant.store.files import _partial_name, _writers_out, check_name, check_regular, clean_stale_partials


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
