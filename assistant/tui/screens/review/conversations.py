"""The Conversations tab: each conversation's status, notes, review state and open comments."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

from rich.text import Text
from textual.message import Message
from textual.widget import Widget
from textual.widgets import DataTable, Static

from assistant.review import REVIEW_STATES, comments, live_conversations, resolve_comment, set_review_state
from assistant.tui.safe import safe
from assistant.tui.screens.dialogs import Choice
from assistant.tui.screens.review.panes import ReviewPane, in_slices, role


@dataclass
class ConversationsData:
    conversations: list[dict[str, Any]]
    open_comments: dict[str, int]


class ConversationsPane(ReviewPane):
    """Review states and comments, conversation by conversation."""

    class Loaded(Message):
        def __init__(self, data: ConversationsData) -> None:
            super().__init__()
            self.data = data

    def parts(self) -> Iterable[Widget]:
        return [Static(Text("S sets the review state · C adds a comment · Enter lists comments (R resolves)."),
                       classes="hint"),
                DataTable(id="conversation-table", cursor_type="row", zebra_stripes=True)]

    def fetch(self) -> Message:
        store = self.app.store
        conversations = live_conversations(store, self.case_id)
        open_comments = {c["id"]: sum(1 for x in comments(store, c["id"]) if not x["resolved"])
                         for c in conversations}
        return self.Loaded(ConversationsData(conversations, open_comments))

    async def on_conversations_pane_loaded(self, message: Loaded) -> None:
        await self.take(message.data)

    @property
    def conversations(self) -> list[dict[str, Any]]:
        return self.loaded.conversations if self.loaded else []

    async def draw(self) -> None:
        table = self.query_one("#conversation-table", DataTable)
        table.clear(columns=True)
        table.add_columns("Practitioner", "Status", "Notes", "Review", "Open comments")
        open_comments = self.loaded.open_comments
        await in_slices(self.conversations, lambda c: table.add_row(
            safe(role(c), single_line=True), Text(c["status"].replace("_", " ")), Text(str(c["note_count"])),
            Text(c["review_state"].replace("_", " ")), Text(str(open_comments.get(c["id"], 0))), key=c["id"]))

    def current(self) -> dict[str, Any] | None:
        """The conversation under the cursor."""
        if not self.conversations or not self.query("#conversation-table"):
            return None
        return self.conversations[self.query_one("#conversation-table", DataTable).cursor_row]

    def next_review_state(self) -> None:
        conversation = self.current()
        if conversation is None:
            return
        state = REVIEW_STATES[(REVIEW_STATES.index(conversation["review_state"]) + 1) % len(REVIEW_STATES)]
        set_review_state(self.app.store, conversation["id"], state)
        self.screen.refresh_all()
        self.query_one("#conversation-table", DataTable).move_cursor(
            row=self.conversations.index(next(c for c in self.conversations if c["id"] == conversation["id"])))

    def list_comments(self) -> None:
        conversation = self.current()
        if conversation is None:
            return
        items = comments(self.app.store, conversation["id"])
        options = [(Text("✓ " if c["resolved"] else "• ").append(safe(c["body"])), c["id"]) for c in items]

        def chosen(comment_id: str | None) -> None:
            if comment_id:
                resolve_comment(self.app.store, comment_id, True)
                self.screen.refresh_all()

        self.app.push_screen(Choice("Comments (Enter marks one resolved)", options or [(Text("No comments."), None)]),
                             chosen)
