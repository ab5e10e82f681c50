"""The Influences tab: contributory-factor categories by conversation, and the ones named together on
the same key moment."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

from rich.text import Text
from textual.message import Message
from textual.widget import Widget
from textual.widgets import DataTable, Static

from assistant.labels import conversation_labels
from assistant.review import influence_counts, live_conversations
from assistant.tui.safe import safe
from assistant.tui.screens.review.coverage import COLUMN_WIDTH
from assistant.tui.screens.review.panes import ReviewPane, in_slices


@dataclass
class InfluencesData:
    conversations: list[dict[str, Any]]
    counts: dict[str, Any]


class InfluencesPane(ReviewPane):
    """Counts of influences, category by conversation."""

    class Loaded(Message):
        def __init__(self, data: InfluencesData) -> None:
            super().__init__()
            self.data = data

    def parts(self) -> Iterable[Widget]:
        return [DataTable(id="influence-table", zebra_stripes=True), Static(id="influence-together")]

    def fetch(self) -> Message:
        store, structure = self.app.store, self.app.structure
        return self.Loaded(InfluencesData(live_conversations(store, self.case_id),
                                          influence_counts(store, structure, self.case_id)))

    async def on_influences_pane_loaded(self, message: Loaded) -> None:
        await self.take(message.data)

    async def draw(self) -> None:
        structure = self.app.structure
        counts, conversations = self.loaded.counts, self.loaded.conversations
        table = self.query_one("#influence-table", DataTable)
        table.clear(columns=True)
        labels = conversation_labels(conversations, width=COLUMN_WIDTH)
        table.add_columns("Category", "Level", "Total", *[safe(labels[c["id"]], single_line=True)
                                                          for c in conversations])

        def add(factor: str) -> None:
            tag = structure.tag_by_id[factor]
            table.add_row(Text(tag.label), Text((tag.level or "").replace("_", " ")),
                          Text(str(counts["totals"].get(factor, 0))),
                          *[Text(str(counts["by_conversation"].get(factor, {}).get(c["id"], 0)))
                            for c in conversations])

        await in_slices(counts["factors"], add)
        together = Text("Named together on the same moment\n", style="bold")
        for item in counts["together"][:12]:
            together.append(f"  {item['moments']} × " + " + ".join(structure.tag_by_id[t].label for t in item["pair"])
                            + "\n", style="")
        if not counts["together"]:
            together.append("  No moment has more than one category yet.\n", style="dim")
        self.query_one("#influence-together", Static).update(together)
