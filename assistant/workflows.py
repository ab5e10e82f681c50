"""What the command line and the terminal app both do, written once: each screen and each command
calls these rather than keeping a copy of its own."""

from __future__ import annotations


def format_duration(seconds: float) -> str:
    """A conversation clock: "4:05" under an hour, "1:02:03" from an hour on."""
    seconds = max(0, int(seconds))
    if seconds >= 3600:
        return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
    return f"{seconds // 60}:{seconds % 60:02d}"
