"""The notes already taken at this stop. With the list focused: E edits the highlighted note, D deletes it
(recoverably) and U brings the last deleted note back. The list asks; the screen does it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from assistant.tui.keys import shown_in_help
from assistant.tui.safe import safe

NO_NOTES = "none"


@shown_in_help("Conversation: the notes list", 4)
class NotesList(OptionList):
    """One option per note: who wrote it, its text and its tags."""

    BINDINGS = [
        Binding("e", "edit_note", "Edit note", show=False, id="conversation.edit_note"),
        Binding("d", "delete_note", "Delete note", show=False, id="conversation.delete_note"),
        Binding("u", "undo_delete", "Undo delete", show=False, id="conversation.undo_delete"),
        Binding("escape", "back_to_editor", "Back to the note", show=False, id="conversation.notes_back"),
    ]

    @dataclass
    class EditRequested(Message):
        note_id: str

    @dataclass
    class DeleteRequested(Message):
        """Delete `note_id`, or with `restore` bring it back."""

        note_id: str
        restore: bool = False

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.last_deleted: str | None = None  # set by the screen once the delete is saved
        self._shown: tuple | None = None  # the notes on screen

    def show(self, notes: list[dict[str, Any]], tag_by_id: dict[str, Any]) -> None:
        shown = tuple((n["id"], n["author_role"], n["body"], tuple(n["tags"])) for n in notes)
        if shown == self._shown and self.option_count:
            return  # the same notes: no rebuild, no repaint, and the highlighted note stays
        self._shown = shown
        options = []
        for note in notes:
            labels = ", ".join(tag_by_id[t].label for t in note["tags"] if t in tag_by_id)
            line = Text(f"[{note['author_role']}] ", style="bold")
            line.append(safe(note["body"]))
            if labels:
                line.append(f"\n    {labels}", style="dim italic")
            options.append(Option(line, id=note["id"]))
        if not notes:
            options.append(Option(Text("No notes here yet.", style="dim"), id=NO_NOTES, disabled=True))
        self.clear_options()
        self.add_options(options)  # at once: one layout, not one per option

    def watch_show_vertical_scrollbar(self) -> None:
        """A scrollbar narrows the list, so every note is measured and drawn again at the new width: the
        option list keeps each note's height from the old width, which would cut a wrapped note's tag line."""
        self._clear_caches()

    def selected_note(self) -> str | None:
        """The highlighted note's id while the list has focus (keys elsewhere never act on a note)."""
        if not self.has_focus or self.highlighted is None:
            return None
        option = self.get_option_at_index(self.highlighted)
        return None if option.id == NO_NOTES else option.id

    def action_edit_note(self) -> None:
        note_id = self.selected_note()
        if note_id:
            self.post_message(self.EditRequested(note_id))

    def action_delete_note(self) -> None:
        note_id = self.selected_note()
        if note_id:
            self.post_message(self.DeleteRequested(note_id))

    def action_back_to_editor(self) -> None:
        """Esc leaves the list for the note being typed (not the conversation): the editor is the widget
        that takes focus just before this list on the conversation and rehearsal screens."""
        self.app.action_focus_previous()

    def action_undo_delete(self) -> None:
        if self.last_deleted:
            self.post_message(self.DeleteRequested(self.last_deleted, restore=True))
