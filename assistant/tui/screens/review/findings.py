"""The Findings tab: the findings drafted so far, each against one of SCIE's underlying patterns."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

from rich.text import Text
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Static

from assistant.review import case_episodes, findings
from assistant.tui.safe import safe
from assistant.tui.screens.review.panes import ReviewPane

FINDING_PARTS = (("The finding", "statement"), ("How it showed in this case", "in_this_case"),
                 ("Evidence it is systemic", "systemic_evidence"), ("Why it matters", "why_it_matters"),
                 ("Questions for the partners", "questions"))


@dataclass
class FindingsData:
    findings: list[dict[str, Any]]
    episode_titles: dict[str, str]


class FindingsPane(ReviewPane):
    """Every finding in full, with the episodes it rests on."""

    class Loaded(Message):
        def __init__(self, data: FindingsData) -> None:
            super().__init__()
            self.data = data

    def parts(self) -> Iterable[Widget]:
        return [Static(Text("F drafts a finding against one of SCIE's underlying patterns."), classes="hint"),
                VerticalScroll(Static(id="findings-text"))]

    def fetch(self) -> Message:
        store = self.app.store
        titles = {e["id"]: e["title"] for e in case_episodes(store, self.case_id)}
        return self.Loaded(FindingsData(findings(store, self.case_id), titles))

    async def on_findings_pane_loaded(self, message: Loaded) -> None:
        await self.take(message.data)

    async def draw(self) -> None:
        structure = self.app.structure
        titles = self.loaded.episode_titles
        text = Text()
        for number, finding in enumerate(self.loaded.findings, start=1):
            text.append(f"Finding {number} · {structure.tag_by_id[finding['typology_tag']].label}\n", style="bold")
            for label, key in FINDING_PARTS:
                text.append(f"  {label}: ", style="italic")
                text.append(safe(finding[key] or "—"))
                text.append("\n")
            if finding["case_episodes"]:
                text.append("  Rests on: ")
                text.append(safe(", ".join(titles.get(e, "") for e in finding["case_episodes"])))
                text.append("\n")
            text.append("\n")
        self.query_one("#findings-text", Static).update(text or Text("No findings drafted yet.", style="dim"))
