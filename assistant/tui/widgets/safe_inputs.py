"""Editors that clean what is typed or pasted into them as it enters.

TextArea and Input render their own content raw, so escape sequences pasted into them would reach the
terminal. These subclasses pass every insertion through `clean_input` and refuse pastes over the limit.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message
from textual.widgets import Input, TextArea

from assistant.safe_text import clean_input

# About 60 pages of typing: more than any note, far less than what freezes the editor (10 MB ≈ 5 s).
PASTE_LIMIT = 200_000


class SafeTextArea(TextArea):
    """A TextArea whose inserts and pastes are cleaned; oversized pastes are refused."""

    @dataclass
    class InputRefused(Message):
        text_area: "SafeTextArea"
        reason: str

    @dataclass
    class InputCleaned(Message):
        text_area: "SafeTextArea"
        changes: tuple[str, ...]

    def _replace_via_keyboard(self, insert: str, start, end):  # type: ignore[override]
        if len(insert) > PASTE_LIMIT:
            self.post_message(self.InputRefused(
                self, f"That paste is {len(insert):,} characters; the limit is {PASTE_LIMIT:,}. Your note is unchanged."
            ))
            return None
        cleaned = clean_input(insert)
        if cleaned.changed:
            self.post_message(self.InputCleaned(self, cleaned.changes))
        return super()._replace_via_keyboard(cleaned.text, start, end)


class SafeInput(Input):
    """A one-line Input whose typed and pasted text is cleaned of control characters."""

    def replace(self, text: str, start: int, end: int) -> None:
        cleaned = clean_input(text[:PASTE_LIMIT]).text.replace("\n", " ")
        super().replace(cleaned, start, end)
