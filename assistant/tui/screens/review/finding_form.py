"""Drafting or revising a finding in SCIE's fields, from the finding itself to the questions for the
safeguarding partners. Saving writes it (an edit keeps every earlier wording); Esc keeps what was typed as a draft."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Label, Select, Static

from assistant.review import FINDING_TITLES, add_finding
from assistant.revisions import discard_finding_draft, edit_finding, save_finding_draft
from assistant.store import StoreError
from assistant.tui.guard import guarded
from assistant.tui.keys import shown_in_help
from assistant.tui.safe import safe
from assistant.tui.widgets.checklist import CheckList
from assistant.tui.widgets.safe_inputs import SafeInput, SafeTextArea


@shown_in_help("Draft a finding", 10)
class FindingScreen(Screen[str | None]):
    """Draft a finding, or revise one, in SCIE's fields (FINDING_TITLES). Dismissed with the finding's id once saved, or None on Esc."""

    BINDINGS = [
        Binding("ctrl+s", "save", "Save finding", id="finding.save", priority=True),
        Binding("escape", "cancel", "Keep as draft and close", id="finding.cancel"),
    ]
    FIELDS = FINDING_TITLES

    def __init__(self, episodes: list[dict[str, Any]], preselected: str | None, *, case_id: str,
                 finding: dict[str, Any] | None = None, draft: dict[str, Any] | None = None) -> None:
        """`finding` is the finding being revised (None for a new one); `draft` is a half-written
        version offered back, which fills the form instead."""
        super().__init__()
        self.episodes = episodes
        self.preselected = preselected
        self.case_id = case_id
        self.finding = finding
        start = dict(finding or {})
        if finding is not None:
            start["case_episode_ids"] = finding["case_episodes"]
        self.start = {**start, **(draft or {})}

    @property
    def finding_id(self) -> str | None:
        return self.finding["id"] if self.finding else None

    def compose(self) -> ComposeResult:
        structure = self.app.structure
        yield Header()
        with VerticalScroll(id="finding-form"):
            if self.finding is not None:
                yield Static(Text("Revising a finding: every earlier wording is kept with the reason.",
                                  style="bold"))
            yield Label("Underlying pattern (SCIE typology)")
            patterns = [(t.label, t.id) for t in structure.tags_in_group("typology")]
            chosen = self.start.get("typology_tag")
            yield Select(patterns, id="finding-typology", allow_blank=False,
                         value=chosen if chosen in {p[1] for p in patterns} else patterns[0][1])
            for field_id, label in self.FIELDS:
                yield Label(label)
                yield SafeTextArea(str(self.start.get(field_id) or ""), id=f"finding-{field_id}",
                                   classes="finding-field")
            yield Label("Rests on these episodes (Space to tick)")
            ticked = set(self.start.get("case_episode_ids") or [])
            chosen = next((e for e in self.episodes if e["id"] == self.preselected), None)
            if not ticked and chosen is not None:
                ticked = {chosen["id"]}
                yield Static(safe(f"Ticked for you: “{chosen['title']}”, the episode highlighted when F was "
                                  "pressed.", "italic"), id="finding-preselected", classes="hint")
            yield CheckList([(safe(e["title"], single_line=True), e["id"]) for e in self.episodes],
                            ticked=ticked, id="finding-episodes")
            if self.finding is not None:
                yield Label("Why it changes (kept with the earlier wording)")
                yield SafeInput(value=str(self.start.get("reason") or ""), id="finding-reason")
        # Outside the scrolling form, just above the footer, so an error is seen however long the form is.
        yield Static("", id="finding-error", classes="error")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#finding-statement").focus()

    def values(self) -> dict[str, Any]:
        """What the form holds now, as a finding's fields."""
        ticked = self.query_one("#finding-episodes", CheckList).ticked
        # Episodes already linked keep their order; newly ticked ones follow in the list's order.
        before = [e for e in self.start.get("case_episode_ids") or [] if e in ticked]
        episodes = before + [e["id"] for e in self.episodes if e["id"] in ticked and e["id"] not in before]
        return {"typology_tag": str(self.query_one("#finding-typology", Select).value),
                "case_episode_ids": episodes,
                **{f: self.query_one(f"#finding-{f}", SafeTextArea).text for f, _ in self.FIELDS}}

    def _reason(self) -> str:
        return self.query_one("#finding-reason", SafeInput).value if self.finding is not None else ""

    @guarded
    def action_save(self) -> None:
        values = self.values()
        if not values["statement"].strip():
            self.query_one("#finding-error", Static).update(Text("A finding needs a statement."))
            self.query_one("#finding-statement", SafeTextArea).focus()
            return
        store, structure = self.app.store, self.app.structure
        try:
            if self.finding is None:
                finding_id = add_finding(store, structure, self.case_id, **values)
            else:
                finding_id = self.finding["id"]
                edit_finding(store, structure, finding_id, reason=self._reason(), **values)
        except StoreError as error:
            self.query_one("#finding-error", Static).update(safe(str(error)))
            return
        discard_finding_draft(store, self.case_id, self.finding_id)
        self.dismiss(finding_id)

    def _changed(self, values: dict[str, Any]) -> bool:
        texts = any(str(values[f]).strip() != str(self.start.get(f) or "").strip() for f, _ in self.FIELDS)
        return texts or bool(self._reason().strip())

    @guarded
    def action_cancel(self) -> None:
        values = self.values()
        if self._changed(values):
            # A half-written finding is never lost: kept for this case, offered back the next time.
            save_finding_draft(self.app.store, self.case_id, values, self.finding_id)
            self.app.say("Kept as a draft: it is offered back the next time you open this finding.")
        self.dismiss(None)
