"""The note editor: what is being typed, for which slot, with which tags and author, and keeping it safe.

The editor's text is autosaved as a draft within a second of typing. When the database refuses (busy,
full, read-only) the text stays here, the user is told once, and autosave backs off for a few seconds
instead of retrying in a tight loop. A note that could not be saved because another program held the
lock is asked for again every second (`SaveRequested`) until it saves.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from textual import on
from textual.message import Message
from textual.timer import Timer

from assistant.conversation.notes import Drafts
from assistant.tui.guard import describe
from assistant.tui.widgets.safe_inputs import SafeTextArea

AUTOSAVE_BACKOFF_SECONDS = 5.0
SAVE_RETRY_SECONDS = 1.0


class NoteEditor(SafeTextArea):
    """A SafeTextArea that knows its draft slot, pending tags and author, and autosaves."""

    @dataclass
    class SaveRequested(Message):
        """Try saving the note again (the database was busy)."""

    @dataclass
    class Notice(Message):
        """Something to tell the user."""

        text: str
        error: bool = False

    def __init__(self, drafts: Drafts, tag_by_id: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.drafts = drafts
        self.tag_by_id = tag_by_id
        self.default_tags: tuple[str, ...] = ()  # the section's own tags, shown in the title
        self.slot = ""  # the stop's draft slot, for a new note
        self.editing_note: str | None = None
        self.editing_tags: list[str] = []  # the tags of the note being edited, shown in the title
        self.pending_tags: list[str] = []
        self.author = "second"
        self.dirty = False
        self._clean_text = ""  # what the database holds for the editor's slot: no need to save it again
        self._paused_until = 0.0
        self._autosave_failed = False
        self._retry_timer: Timer | None = None
        self._retrying = False

    @property
    def draft_slot(self) -> str:
        """Where the text is autosaved: the note being edited, else the stop."""
        return f"edit/{self.editing_note}" if self.editing_note else self.slot

    def load(self, draft: str, slot: str, default_tags: tuple[str, ...] | list[str] = ()) -> None:
        """Show a stop's draft (a new note, no tags yet)."""
        self.slot = slot
        self.default_tags = tuple(default_tags)
        self.editing_note = None
        self.pending_tags = []
        self.text = self._clean_text = draft
        self.move_cursor(self.document.end)
        self.dirty = False
        self.show_title()

    def edit_note(self, note_id: str, text: str, tags: list[str] | tuple[str, ...] = ()) -> None:
        """Edit a saved note: its text, the cursor after the last word, its tags in the title."""
        self.editing_note = note_id
        self.editing_tags = list(tags)
        self.text = text
        self.move_cursor(self.document.end)

    def saved(self) -> None:
        """The note is in the database: start the next one afresh."""
        self.editing_note = None
        self.pending_tags = []
        self.text = self._clean_text = ""
        self.dirty = False

    def toggle_tag(self, tag: str) -> None:
        if tag in self.pending_tags:
            self.pending_tags.remove(tag)
        else:
            self.pending_tags.append(tag)

    def switch_author(self) -> None:
        self.author = "lead" if self.author == "second" else "second"

    def show_title(self) -> None:
        if self.editing_note:  # a saved note's own tags, not the ones waiting for the next note
            shown = self.editing_tags
        else:
            shown = list(dict.fromkeys([*self.default_tags, *self.pending_tags]))
        tags = ", ".join(self.tag_by_id[t].label for t in shown if t in self.tag_by_id) or "none"
        what = "Editing note" if self.editing_note else "Note"
        self.border_title = f"{what} · {self.author} · tags: {tags}"
        self.border_subtitle = "Ctrl+S save · Ctrl+T tags · F2–F5 quick tags"

    def autosave(self) -> None:
        """Keep the text as a draft if it changed; never raises (a timer calls this)."""
        if not self.dirty or not self.slot or time.monotonic() < self._paused_until:
            return
        try:
            text = self.text
            self.drafts.save(self.draft_slot, text)
            self._clean_text = text
            self.dirty = False
            self._autosave_failed = False
        except Exception as error:  # noqa: BLE001 - a timer must never stop the app
            self._paused_until = time.monotonic() + AUTOSAVE_BACKOFF_SECONDS
            if not self._autosave_failed:
                self.post_message(self.Notice(
                    f"{describe(error, 'saving the draft')} The draft is kept on screen.", error=True))
            self._autosave_failed = True

    def keep_retrying(self) -> bool:
        """Ask for the save again in a second; True the first time, so the user is told once.

        One request at a time: a save that waits out the lock takes longer than the second between
        requests, so requests must not pile up behind it."""
        first = not self._retrying
        self._retrying = True
        if self._retry_timer is None:
            self._retry_timer = self.set_timer(SAVE_RETRY_SECONDS, self._retry)
        return first

    def stop_retrying(self) -> None:
        if self._retry_timer is not None:
            self._retry_timer.stop()
            self._retry_timer = None
        if self._retrying:
            self._retrying = False
            self.post_message(self.Notice("Saved."))

    def _retry(self) -> None:
        self._retry_timer = None
        if not self.text.strip():
            self.stop_retrying()
        else:
            self.post_message(self.SaveRequested())

    @on(SafeTextArea.Changed)
    def _typed(self, event: SafeTextArea.Changed) -> None:
        self.dirty = self.text != self._clean_text

    @on(SafeTextArea.InputRefused)
    def _refused(self, event: SafeTextArea.InputRefused) -> None:
        event.stop()
        self.post_message(self.Notice(event.reason, error=True))

    @on(SafeTextArea.InputCleaned)
    def _cleaned(self, event: SafeTextArea.InputCleaned) -> None:
        event.stop()
        self.post_message(self.Notice("Pasted text was cleaned: " + "; ".join(event.changes) + "."))
