"""The Notes tab: every note of the case, filtered by tag, section, conversation and author, and searched
by words."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

from rich.text import Text
from textual import on, work
from textual.containers import Horizontal
from textual.message import Message
from textual.widget import Widget
from textual.widgets import OptionList, Select, Static
from textual.widgets.option_list import Option
from textual.worker import get_current_worker

from assistant.exports.pack import case_comments
from assistant.labels import conversation_labels
from assistant.review import live_conversations, search_notes
from assistant.store import StoreError
from assistant.tui.guard import guarded
from assistant.tui.safe import safe
from assistant.tui.screens.review.panes import ReviewPane, in_slices, note_label, restore_highlight
from assistant.tui.widgets.safe_inputs import SafeInput
from assistant.words import counted

SHOWN = 300


@dataclass
class NotesData:
    """What the filters offer."""

    conversations: list[dict[str, Any]]


@dataclass
class FoundNotes:
    """One search's results, each already written as its list entry."""

    labels: list[tuple[Text, str]]
    notes: dict[str, dict[str, Any]]


class NoteSearch(SafeInput):
    """The search box, which has the focus when the tab is shown: < and > still move between tabs from
    here (as they do everywhere in the workspace) instead of being typed."""

    TAB_STEPS = {"less_than_sign": -1, "greater_than_sign": 1}

    async def _on_key(self, event) -> None:
        if event.key in self.TAB_STEPS:
            event.stop()
            event.prevent_default()
            self.screen.set_focus(None)  # the focus goes into the next tab, not back to this hidden box
            self.screen.action_next_tab(self.TAB_STEPS[event.key])
            return
        await super()._on_key(event)


class NotesPane(ReviewPane):
    """Filters across the top, the matching notes below."""

    # The last search's notes by id (replaced, never changed in place), for the comment dialog to name.
    found: dict[str, dict[str, Any]] = {}

    class Loaded(Message):
        def __init__(self, data: NotesData) -> None:
            super().__init__()
            self.data = data

    class Found(Message):
        def __init__(self, data: FoundNotes) -> None:
            super().__init__()
            self.data = data

    def parts(self) -> Iterable[Widget]:
        return [Horizontal(
            NoteSearch(placeholder="Search words", id="note-search"),
            Select([], prompt="Any tag", id="filter-tag"),
            Select([], prompt="Any section", id="filter-section"),
            Select([], prompt="Any conversation", id="filter-conversation"),
            Select([("lead", "lead"), ("second", "second")], prompt="Any author", id="filter-author"),
            id="note-filters"), Static(id="note-count"), OptionList(id="note-results")]

    def focus_first(self) -> None:
        """The search box: what is typed on arriving searches, rather than running the review's
        single-letter keys (F, X…)."""
        if self.query("#note-search"):
            self.query_one("#note-search", SafeInput).focus()

    def on_key(self, event) -> None:
        # Down from the search box reaches the notes found, where the review's keys work again.
        if event.key == "down" and self.screen.focused is self.query_one("#note-search", SafeInput):
            self.query_one("#note-results", OptionList).focus()
            event.stop()

    def fetch(self) -> Message:
        return self.Loaded(NotesData(live_conversations(self.app.store, self.case_id)))

    async def on_notes_pane_loaded(self, message: Loaded) -> None:
        await self.take(message.data)

    async def draw(self) -> None:
        structure = self.app.structure
        # A redraw after a change (a comment, a review state) keeps the filters the reviewer had chosen.
        chosen = {w: self._filter_value(w) for w in ("filter-tag", "filter-section", "filter-conversation")}
        labels = conversation_labels(self.loaded.conversations, width=40)
        with self.prevent(Select.Changed):
            self.query_one("#filter-tag", Select).set_options(
                [(f"{structure.group_by_id[t.group].label}: {t.label}", t.id) for t in structure.codebook.tags])
            self.query_one("#filter-section", Select).set_options([(s.title, s.id) for s in structure.sections])
            self.query_one("#filter-conversation", Select).set_options(
                [(safe(labels[c["id"]], single_line=True), c["id"]) for c in self.loaded.conversations])
            for widget_id, value in chosen.items():
                select = self.query_one(f"#{widget_id}", Select)
                if value is not None and any(str(v) == value for _, v in select._options):
                    select.value = value
        self.run_search()

    @on(SafeInput.Changed, "#note-search")
    @on(Select.Changed)
    @guarded(what="the search")
    def _filters_changed(self) -> None:
        self.run_search()

    def _filter_value(self, widget_id: str) -> str | None:
        value = self.query_one(f"#{widget_id}", Select).value
        return None if value is Select.NULL else str(value)

    def run_search(self) -> None:
        if not self.built or not self.query("#filter-author"):
            return
        self._search(self.query_one("#note-search", SafeInput).value, self._filter_value("filter-tag"),
                     self._filter_value("filter-section"), self._filter_value("filter-conversation"),
                     self._filter_value("filter-author"))

    @work(thread=True, exclusive=True, group="search")
    @guarded(what="the search")
    def _search(self, text: str, tag: str | None, section: str | None, conversation: str | None,
                author: str | None) -> None:
        """Runs off the UI thread so typing in the search box never stalls."""
        try:
            results = search_notes(self.app.store, self.case_id, text=text, tag=tag, section=section,
                                   conversation=conversation, author=author, limit=SHOWN)
        except StoreError as error:
            self.app.call_from_thread(self.app.say, str(error), error=True)
            return
        # A commented note carries a marker with its open comments (resolved ones counted beside them).
        counts: dict[str, list[int]] = {}
        for comment in case_comments(self.app.store, self.case_id):
            if comment["target_kind"] == "note":
                tally = counts.setdefault(comment["target_id"], [0, 0])
                tally[0] += 0 if comment["resolved"] else 1
                tally[1] += 1
        labels = [(note_label(self.app.structure, note, *counts.get(note["id"], (0, 0))), note["id"])
                  for note in results]
        if not get_current_worker().is_cancelled:  # a newer search has been started: its results win
            self.post_message(self.Found(FoundNotes(labels, {note["id"]: note for note in results})))

    async def on_notes_pane_found(self, message: Found) -> None:
        self.found = message.data.notes
        options = self.query_one("#note-results", OptionList)
        place = options.highlighted
        options.clear_options()
        labels = message.data.labels
        await in_slices(labels, lambda entry: options.add_option(Option(entry[0], id=entry[1])))
        restore_highlight(options, place)
        more = f" (showing the first {SHOWN})" if len(labels) == SHOWN else ""
        self.query_one("#note-count", Static).update(Text(f"{counted(len(labels), 'note')}{more}. C comments on a note."))

    def highlighted_note(self) -> str | None:
        if not self.query("#note-results"):
            return None
        options = self.query_one("#note-results", OptionList)
        if options.highlighted is None:
            return None
        return options.get_option_at_index(options.highlighted).id

    def about(self, note_id: str, lines: int = 3) -> str:
        """Which note a comment is for, as the comment dialog shows it: who, the key moment, the note's
        first lines."""
        note = self.found.get(note_id)
        if note is None:
            return ""
        heading = note["practitioner_role"] + (f" · {note['moment_title']}" if note.get("moment_title") else "")
        body = note["body"].strip().splitlines()
        excerpt = "\n".join(body[:lines]) + (" …" if len(body) > lines else "")
        return f"{heading}\n“{excerpt[:240]}{'…' if len(excerpt) > 240 else ''}”"
