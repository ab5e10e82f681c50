"""The store: one SQLite file per user, opened safely, written in short IMMEDIATE transactions.

The package's modules, lowest first (each imports only those above it):

- `errors`: the store's refusals (`StoreError` and its kinds), each one sentence;
- `ids`: ids, timestamps and checksums;
- `files`: paths, private folders, partial files, name checks, the lock files;
- `crypto`: SQLCipher's driver, loaded only when needed; passphrase checks, `rekey`, plain backups;
- `audit`: the hash-chained audit trail, the per-device keys and seals, `audit_report`, `chain_head`;
- `inspection`: reading and checking a file without changing it;
- `connection`: connecting, creating, migrating, `open_store`, the `Store`, copies, fingerprints;
- `encrypt`: `encrypt_database`, turning a plain database into an encrypted one in place.

Everything the rest of the product uses is importable from here, as `from assistant.store import X`.
"""

from __future__ import annotations

from typing import Any

from assistant.store import crypto as _crypto
from assistant.store.audit import (GENESIS_HASH, AuditReport, audit_report, chain_head, config_dir, event_hash,
                                   event_mac, load_audit_key, verify_audit)
from assistant.store.connection import Store, database_fingerprint, open_store
from assistant.store.crypto import MIN_PASSPHRASE, SQLITE_HEADER, check_passphrase, is_encrypted_file, plain_backups
from assistant.store.encrypt import encrypt_database
from assistant.store.errors import (PassphraseNeeded, StoreBusy, StoreError, StoreLocked, WrongPassphrase,
                                    not_recorded)
from assistant.store.files import (LOCK_WAIT_SECONDS, PARTIAL_PATTERN, WRITERS_OUT_WAIT_SECONDS, _private_partial,
                                   check_name, check_regular, clean_stale_partials, default_db_path,
                                   make_private_dirs, open_lock_path, writers_lock_path)
from assistant.store.ids import checksum, local_offset, new_id, now
from assistant.store.inspection import BUSY_TIMEOUT_MS, inspect_file, open_read_only

__all__ = [
    "BUSY_TIMEOUT_MS", "GENESIS_HASH", "LOCK_WAIT_SECONDS", "MIN_PASSPHRASE", "PARTIAL_PATTERN", "SQLITE_HEADER",
    "WRITERS_OUT_WAIT_SECONDS", "AuditReport", "PassphraseNeeded", "Store", "StoreBusy", "StoreError",
    "StoreLocked", "WrongPassphrase", "_private_partial", "audit_report", "chain_head", "check_name",
    "check_passphrase", "check_regular", "checksum", "clean_stale_partials", "config_dir", "database_fingerprint",
    "default_db_path", "encrypt_database", "event_hash", "event_mac", "inspect_file", "is_encrypted_file",
    "load_audit_key", "local_offset", "make_private_dirs", "new_id", "not_recorded", "now", "open_read_only",
    "open_lock_path", "open_store", "plain_backups", "verify_audit", "writers_lock_path",
]


def __getattr__(name: str) -> Any:
    # DATABASE_ERRORS grows when SQLCipher's driver is first loaded (see `crypto._cipher`), so it is read
    # from `crypto` at the moment it is asked for, never copied here.
    if name == "DATABASE_ERRORS":
        return _crypto.DATABASE_ERRORS
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
