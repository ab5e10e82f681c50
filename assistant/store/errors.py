"""The store's refusals: each one sentence a user can act on, with nothing changed.

`StoreError` is a `LearningTogetherError`, so the command line and the terminal app show its message as
it is. The helpers turn a driver's failure, or a state of the file, into one of these sentences.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from assistant.errors import LearningTogetherError


class StoreError(LearningTogetherError):
    """A problem with the database, said in one sentence a user can act on."""


class StoreBusy(StoreError):
    """Another program holds the write lock; the caller keeps its text and may retry."""


class PassphraseNeeded(StoreError):
    """The database is encrypted and no passphrase was given."""


class StoreLocked(StoreError):
    """The database is already open for writing in another window or program."""


class WrongPassphrase(StoreError):
    """The passphrase does not open the database (or the file is not a learning-together database)."""


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


def _being_written(path: Path) -> StoreLocked:
    return StoreLocked(f"{path.name} is being written by another program; close it and try again.")


def _missing(path: Path) -> StoreError:
    return StoreError(f"There is no database at {path}; check the path (nothing was created).")


def not_recorded(store_path: str | Path, error: StoreError, what: str, consequence: str) -> StoreError:
    """Why a file written together with its audit event (an export, a hand-over) was not written: the
    event could not be recorded, so `consequence` ("nothing was exported"). One sentence."""
    name = Path(store_path).name
    if isinstance(error, StoreBusy):
        return StoreBusy(f"{name} is busy in another program, so {consequence}; try again in a moment.")
    if "is full" in str(error):
        return StoreError(f"The disk holding {name} is full, so {consequence}; free some space and try again.")
    return StoreError(f"{what} could not be recorded in {name}'s audit trail, so {consequence}; try again.")
