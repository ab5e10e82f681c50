"""Drafting a finding: the finding, how it showed, evidence it is systemic, why it matters, questions."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Label, Select, Static

from assistant.tui.guard import guarded
from assistant.tui.keys import shown_in_help
from assistant.tui.safe import safe
from assistant.tui.widgets.checklist import CheckList
from assistant.tui.widgets.safe_inputs import SafeTextArea


@shown_in_help("Draft a finding", 10)
class FindingScreen(Screen[dict[str, Any] | None]):
    """Draft a finding: the finding, how it showed, evidence it is systemic, why it matters, questions."""

    BINDINGS = [
        Binding("ctrl+s", "save", "Save finding", id="finding.save", priority=True),
        Binding("escape", "cancel", "Cancel", id="finding.cancel"),
    ]
    FIELDS = (("statement", "The finding"), ("in_this_case", "How it showed in this case"),
              ("systemic_evidence", "Evidence that it is systemic, not a one-off"),
              ("why_it_matters", "Why it matters"), ("questions", "Questions for the safeguarding partners"))

    def __init__(self, episodes: list[dict[str, Any]], preselected: str | None) -> None:
        super().__init__()
        self.episodes = episodes
        self.preselected = preselected

    def compose(self) -> ComposeResult:
        structure = self.app.structure
        yield Header()
        with VerticalScroll(id="finding-form"):
            yield Label("Underlying pattern (SCIE typology)")
            yield Select([(t.label, t.id) for t in structure.tags_in_group("typology")], id="finding-typology",
                         allow_blank=False)
            for field_id, label in self.FIELDS:
                yield Label(label)
                yield SafeTextArea(id=f"finding-{field_id}", classes="finding-field")
            yield Label("Rests on these episodes (Space to tick)")
            yield CheckList([(safe(e["title"], single_line=True), e["id"]) for e in self.episodes],
                            ticked={self.preselected} if self.preselected else set(), id="finding-episodes")
            yield Static("", id="finding-error", classes="error")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#finding-statement").focus()

    @guarded
    def action_save(self) -> None:
        values = {f: self.query_one(f"#finding-{f}", SafeTextArea).text for f, _ in self.FIELDS}
        if not values["statement"].strip():
            self.query_one("#finding-error", Static).update(Text("A finding needs a statement."))
            return
        self.dismiss({"typology_tag": str(self.query_one("#finding-typology", Select).value),
                      "case_episode_ids": sorted(self.query_one("#finding-episodes", CheckList).ticked), **values})

    @guarded
    def action_cancel(self) -> None:
        self.dismiss(None)
