"""The Coverage tab: sections and prompts down, conversations across, the state and note count in each
cell; Enter on a cell reads its notes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.message import Message
from textual.widgets import DataTable, Static

from assistant.conversation.prepared import is_prepared
from assistant.labels import conversation_labels, shorten
from assistant.review import CoverageMatrix, coverage_matrix, search_notes
from assistant.tui.guard import guarded
from assistant.tui.safe import safe
from assistant.tui.screens.dialogs import Choice
from assistant.tui.screens.review.panes import (ReviewPane, in_slices, note_label, restore_table_place, role,
                                                table_place)

# A conversation's column is at most this wide; a longer label is shortened with an ellipsis.
COLUMN_WIDTH = 20


def prompt_width(screen_width: int) -> int:
    """The prompt column's width: at least 40 characters (one conversation column beside it at 80
    columns, the others a scroll away), wider when the terminal is, leaving room for two columns."""
    readable = min(40, screen_width - COLUMN_WIDTH - 10)
    return max(readable, min(90, screen_width - 2 * (COLUMN_WIDTH + 2) - 6))


STATE_MARKS = {"covered": "✓", "skipped": "–", "declined": "✗", "come back later": "↻", "not reached": "○"}


def _cell(cell: dict[str, Any] | None) -> Text:
    """A cell's mark and note count; blank where the row is another conversation's prepared query."""
    return Text(f"{STATE_MARKS[cell['state']]} {cell['notes'] or ''}") if cell else Text("")


@dataclass
class CoverageData:
    """The matrix, with every header and cell already written, so the screen only adds them."""

    matrix: CoverageMatrix
    columns: list[tuple[Text, str]]
    rows: list[tuple[str, list[Text]]]


class CoveragePane(ReviewPane):
    """Coverage across the case's conversations; the one pane built when the workspace opens."""

    class Loaded(Message):
        def __init__(self, data: CoverageData) -> None:
            super().__init__()
            self.data = data

    def compose(self) -> ComposeResult:
        yield Static(Text("✓ covered · – skipped · ✗ declined · ↻ come back later · ○ not reached. "
                          "Enter on a cell reads its notes."), classes="hint")
        yield DataTable(id="coverage-table", cursor_type="cell", zebra_stripes=True)

    def fetch(self) -> Message:
        matrix = coverage_matrix(self.app.store, self.app.structure, self.case_id, prepared=True)
        labels = conversation_labels(matrix.conversations, width=COLUMN_WIDTH)
        columns = [(safe(labels[c["id"]], single_line=True), c["id"]) for c in matrix.conversations]
        width = prompt_width(self.app.size.width)
        rows = []
        section = None
        for index, row in enumerate(matrix.rows):
            cells = [_cell(row["cells"].get(c["id"])) for c in matrix.conversations]
            # The section is named on its first prompt only, so the prompts themselves get the room.
            first = row["section"] is not section
            section = row["section"]
            # A prepared query is one conversation's own, and the pair's text.
            text = f"Prepared: {row['prompt'].text}" if is_prepared(row["prompt"].id) else row["prompt"].text
            label = f"{section.title} · {text}" if first else f"  · {text}"
            rows.append((str(index), [safe(shorten(label, width), "bold" if first else "", single_line=True),
                                      *cells]))
        return self.Loaded(CoverageData(matrix, columns, rows))

    async def on_coverage_pane_loaded(self, message: Loaded) -> None:
        await self.take(message.data)

    async def draw(self) -> None:
        table = self.query_one("#coverage-table", DataTable)
        place = table_place(table)
        table.clear(columns=True)
        # The prompt column stays put while the conversations scroll across beside it.
        table.fixed_columns = 1
        table.add_column("Section · prompt", key="prompt")
        for label, key in self.loaded.columns:
            table.add_column(label, key=key)
        await in_slices(self.loaded.rows, lambda row: table.add_row(*row[1], key=row[0]))
        restore_table_place(table, place)

    @property
    def matrix(self) -> CoverageMatrix | None:
        return self.loaded.matrix if self.loaded else None

    @guarded
    def open_cell(self) -> None:
        table = self.query_one("#coverage-table", DataTable)
        row_index, column_index = table.cursor_coordinate
        matrix = self.matrix
        if column_index == 0 or matrix is None or not matrix.conversations:
            return
        row = matrix.rows[row_index]
        conversation = matrix.conversations[column_index - 1]
        if conversation["id"] not in row["cells"]:  # another conversation's prepared query
            return
        notes = [n for n in search_notes(self.app.store, self.case_id, section=row["section"].id,
                                         conversation=conversation["id"]) if n["prompt_id"] == row["prompt"].id]
        self.show_notes(f"{role(conversation)} · {row['prompt'].text}", notes)  # Choice makes its title safe

    def show_notes(self, title: str, notes: list[dict[str, Any]]) -> None:
        options = [(note_label(self.app.structure, n), n["id"]) for n in notes] or [(Text("No notes."), None)]
        self.app.push_screen(Choice(title, options, "Esc to close"))

    @on(DataTable.CellSelected, "#coverage-table")
    @guarded
    def _cell_selected(self) -> None:
        self.open_cell()
