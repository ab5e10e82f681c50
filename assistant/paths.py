"""Checks on a path a user gives, made before anything is opened or written."""

from __future__ import annotations

import os
import stat
from pathlib import Path

MAX_NAME_BYTES = 255  # the usual filesystem limit on one name, in bytes


def not_a_regular_file(path: str | Path) -> str | None:
    """Why `path` may not be opened for reading, as the end of a sentence; None for an existing regular
    file. Checked before opening: a named pipe would make the read wait forever."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return "does not exist"
    except OSError as error:
        return f"cannot be read ({error.strerror or error.__class__.__name__})"
    if stat.S_ISDIR(mode):
        return "is a folder, not a file"
    if not stat.S_ISREG(mode):
        return "is not a regular file (it is a pipe, device or socket)"
    return None


def name_too_long(path: str | Path, room: int = 0) -> bool:
    """True when the last part of `path` is longer than a filesystem allows (counted in UTF-8 bytes),
    keeping `room` bytes for a suffix added to it."""
    return len(os.fsencode(Path(path).name)) > MAX_NAME_BYTES - room


def short_name(path: str | Path, limit: int = 60) -> str:
    """The file's name, cut to `limit` characters for a sentence."""
    name = Path(path).name
    return name if len(name) <= limit else name[:limit] + "…"
