"""The conversation structure, read-only: the guide pairs and trainers can read before a conversation."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Markdown

from assistant.exports.guide import structure_guide


class StructureBrowser(Screen):
    BINDINGS = [Binding("escape", "back", "Back", id="structure.back")]

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="structure-guide"):
            # The structure is the product's own vetted data, not user text.
            yield Markdown(structure_guide(self.app.structure))
        yield Footer()

    def action_back(self) -> None:
        self.app.pop_screen()
