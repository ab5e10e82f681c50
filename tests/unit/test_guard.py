"""The app's one-sentence failures name the file the user asked for, never a temporary name."""

from __future__ import annotations

import errno

from assistant.tui.guard import describe


def test_an_old_style_partial_name_is_shown_as_the_target():
    error = OSError(errno.EACCES, "Permission denied", "/data/exports/.record.md.4242.partial")
    assert describe(error, "the export") == (
        "The export failed: permission denied (/data/exports/record.md); nothing was changed.")


def test_a_short_temporary_name_is_shown_as_its_folder():
    for name in (".lt.4242.ab12cd34.partial", ".lt-0f9e.partial", ".lt.4242.ab12cd34.encrypting"):
        error = OSError(errno.ENOSPC, "No space left on device", f"/media/USB DISK/{name}")
        message = describe(error, "the hand-over copy")
        assert message == ("The hand-over copy failed: no space left on device (a temporary file in "
                           "/media/USB DISK); nothing was changed.")
        assert ".lt" not in message
