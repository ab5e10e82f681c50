"""The Conversations tab: each conversation's status, notes, review state and open comments (on the
conversation and on its notes); comments listed and resolved (R), a record reopened with a reason (O);
the case's open merge conflicts counted, and listed to keep mine or theirs (K)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any, Iterable

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import DataTable, OptionList, Static
from textual.widgets.option_list import Option

from assistant.conversation import Conversation
from assistant.exports.pack import case_comments
from assistant.labels import conversation_labels
from assistant.merge.conflicts import list_conflicts
from assistant.review import REVIEW_STATES, live_conversations, resolve_comment, set_review_state
from assistant.short_ids import short_id
from assistant.store import StoreError
from assistant.tui.guard import guarded, shielded
from assistant.tui.safe import safe
from assistant.tui.screens.dialogs import TextPrompt
from assistant.tui.screens.review.conflicts import ConflictsDialog, conflicts_line
from assistant.tui.screens.review.panes import ReviewPane, in_slices, restore_table_place, table_place

# The one key that resolves a comment, named the same in the tab's hint and in the comments dialog.
RESOLVE_HINT = "R resolves the highlighted comment"
# How wide a practitioner's label may be in the table, so the other columns stay on screen.
LABEL_WIDTH = 40


@dataclass
class ConversationsData:
    conversations: list[dict[str, Any]]
    open_comments: dict[str, int]
    labels: dict[str, str]
    open_conflicts: int = 0


class CommentsDialog(ModalScreen[None]):
    """One conversation's comments (on it and on its notes), open and resolved; R resolves one."""

    BINDINGS = [Binding("r", "resolve", "Resolve", id="comments.resolve"),
                Binding("escape", "close", "Close", id="comments.close")]

    def __init__(self, title: str, comments: list[dict[str, Any]]) -> None:
        super().__init__()
        self.title_text = title
        self.comments = comments

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(safe(self.title_text, "bold"))
            yield Static(Text(f"{RESOLVE_HINT} · Esc closes"), classes="hint")
            yield OptionList(id="comment-list")

    def on_mount(self) -> None:
        options = self.query_one("#comment-list", OptionList)
        for comment in self.comments:
            options.add_option(Option(self._label(comment), id=comment["id"]))
        if not self.comments:
            options.add_option(Option(Text("No comments."), id="none", disabled=True))
        else:
            options.highlighted = 0
        options.focus()

    @staticmethod
    def _label(comment: dict[str, Any]) -> Text:
        text = Text("✓ resolved · " if comment["resolved"] else "• open · ")
        text.append(Text("on a note · " if comment["target_kind"] == "note" else "", style="dim"))
        return text.append_text(safe(comment["body"]))

    @guarded
    def action_resolve(self) -> None:
        options = self.query_one("#comment-list", OptionList)
        if options.highlighted is None or not self.comments:
            return
        comment = self.comments[options.highlighted]
        if comment["resolved"]:
            self.app.say("That comment is already resolved.")
            return
        resolve_comment(self.app.store, comment["id"], True)
        comment["resolved"] = 1
        options.replace_option_prompt_at_index(options.highlighted, self._label(comment))

    @guarded
    def action_close(self) -> None:
        self.dismiss(None)


class ConversationsPane(ReviewPane):
    """Review states and comments, conversation by conversation."""

    KEYS = ("next_review_state", "reopen", "conflicts")

    class Loaded(Message):
        def __init__(self, data: ConversationsData) -> None:
            super().__init__()
            self.data = data

    def parts(self) -> Iterable[Widget]:
        return [Static(Text(f"S sets the review state · C comments · Enter lists comments ({RESOLVE_HINT}) · "
                            "O reopens a record to correct it"), classes="hint", id="conversations-hint"),
                Static(Text(""), classes="hint", id="conflicts-line"),
                DataTable(id="conversation-table", cursor_type="row", zebra_stripes=True)]

    def fetch(self) -> Message:
        store = self.app.store
        conversations = live_conversations(store, self.case_id)
        # Open comments on the conversation itself and on any of its notes.
        open_comments = Counter(c["conversation_id"] for c in case_comments(store, self.case_id) if not c["resolved"])
        labels = conversation_labels(conversations, width=LABEL_WIDTH)
        conflicts = len(list_conflicts(store, self.case_id, open_only=True))
        return self.Loaded(ConversationsData(conversations, dict(open_comments), labels, conflicts))

    async def on_conversations_pane_loaded(self, message: Loaded) -> None:
        await self.take(message.data)

    @property
    def conversations(self) -> list[dict[str, Any]]:
        return self.loaded.conversations if self.loaded else []

    async def draw(self) -> None:
        self.query_one("#conflicts-line", Static).update(Text(conflicts_line(self.loaded.open_conflicts)))
        table = self.query_one("#conversation-table", DataTable)
        place = table_place(table)
        table.clear(columns=True)
        table.add_columns("Practitioner", "Id", "Status", "Notes", "Review", "Open comments")
        open_comments, labels = self.loaded.open_comments, self.loaded.labels
        await in_slices(self.conversations, lambda c: table.add_row(
            safe(labels[c["id"]], single_line=True), Text(short_id(c["id"])), Text(c["status"].replace("_", " ")),
            Text(str(c["note_count"])), Text(c["review_state"].replace("_", " ")),
            Text(str(open_comments.get(c["id"], 0))), key=c["id"]))
        restore_table_place(table, place)

    def current(self) -> dict[str, Any] | None:
        """The conversation under the cursor."""
        if not self.conversations or not self.query("#conversation-table"):
            return None
        return self.conversations[self.query_one("#conversation-table", DataTable).cursor_row]

    def next_review_state(self) -> None:
        conversation = self.current()
        if conversation is None:
            return
        # Read the state afresh: a press that comes before the table is redrawn still moves it on once.
        now = next(c for c in live_conversations(self.app.store, self.case_id) if c["id"] == conversation["id"])
        state = REVIEW_STATES[(REVIEW_STATES.index(now["review_state"]) + 1) % len(REVIEW_STATES)]
        set_review_state(self.app.store, conversation["id"], state)
        self.app.say(f"{self.loaded.labels[conversation['id']]}: {state.replace('_', ' ')}.")
        self.screen.refresh_all()

    def list_comments(self) -> None:
        conversation = self.current()
        if conversation is None:
            return
        theirs = [c for c in case_comments(self.app.store, self.case_id) if c["conversation_id"] == conversation["id"]]
        self.app.push_screen(CommentsDialog(f"Comments · {self.loaded.labels[conversation['id']]}", theirs),
                             shielded(self.app, lambda _: self.screen.refresh_all()))

    def conflicts(self) -> None:
        """The case's merge conflicts, open ones first, to keep mine or theirs."""
        found = list_conflicts(self.app.store, self.case_id)
        found.sort(key=lambda conflict: not conflict.open)
        self.app.push_screen(ConflictsDialog("Merge conflicts in this case", found),
                             shielded(self.app, lambda _: self.screen.refresh_all()))

    def reopen(self) -> None:
        conversation = self.current()
        if conversation is None:
            return
        if conversation["status"] == "in_progress":
            self.app.say("This conversation is already in progress; there is nothing to reopen.")
            return

        def reopen_it(prompt: TextPrompt, values: dict[str, str]) -> str | None:
            try:
                Conversation(self.app.store, self.app.structure, conversation["id"], actor="lead reviewer") \
                    .reopen(values["reason"])
            except StoreError as error:
                return str(error)
            return None

        self.app.push_screen(TextPrompt(
            "Reopen this record to make corrections",
            [("reason", "Why it is reopened (kept with the record)", "")],
            f"{self.loaded.labels[conversation['id']]} goes back to in progress.", "Reopen",
            action=reopen_it, what="reopening the record"), shielded(self.app, lambda _: self.screen.refresh_all()))

    @on(DataTable.RowSelected, "#conversation-table")
    @guarded
    def _row_selected(self) -> None:
        self.list_comments()
