"""Untrusted text for the screen: every widget shows user or imported text through `safe`.

`visible` (the core's cleaning) turns escapes, controls and bidi overrides into placeholders; returning
a `rich.text.Text` rather than a string means Rich markup in the text is never parsed.
"""

from __future__ import annotations

from rich.text import Text

from assistant.safe_text import visible

def safe(text: object, style: str = "", *, single_line: bool = False) -> Text:
    """A Rich `Text` for any untrusted value: nothing is interpreted, nothing reaches the terminal raw."""
    shown = visible("" if text is None else str(text))
    if single_line:
        shown = shown.replace("\n", " ⏎ ").replace("\t", " ")
    return Text(shown, style=style, no_wrap=False, end="")
