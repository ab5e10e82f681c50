"""A table whose columns share the width the terminal has and whose long cells wrap instead of being cut.

DataTable on its own sizes each column to its longest cell, so one long prompt or a 200-character role
label pushes the columns after it off screen. Here each column says how it shares the room: a share of 0
keeps its natural width (a short state word), the others split what is left in proportion to their share,
a column that needs less than its part giving the rest back. Rows are as tall as their tallest wrapped
cell, and the layout is worked out again whenever the table's width changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from rich.cells import cell_len
from rich.text import Text
from textual import events
from textual.widgets import DataTable

# Below this a wrapped column reads as a word per line; a column never narrows further than its heading.
NARROWEST_WRAP = 8
# A longer "word" (a pasted link, a run of characters) is folded rather than widening its column.
WIDEST_WORD = 16


@dataclass(frozen=True)
class WrapColumn:
    """A heading and the column's share of the room left by the columns that keep their width."""

    label: str
    share: int = 1


def natural_width(text: Text) -> int:
    """The width a cell needs to show each of its lines unbroken."""
    return max((cell_len(line) for line in text.plain.split("\n")), default=0)


def longest_word(text: Text) -> int:
    return max((cell_len(word) for word in text.plain.split()), default=0)


def fit_widths(naturals: Sequence[int], shares: Sequence[int], narrowest: Sequence[int],
               room: int) -> list[int]:
    """Content widths for columns that together have `room` cells: every column its natural width when
    all fit; otherwise share-0 columns keep theirs and the others split the rest by share. A column whose
    natural width is under its part takes only that, one whose narrowest is over its part takes that, and
    the others share again what remains."""
    widths = list(naturals)
    if sum(naturals) <= room:
        return widths
    pending = [i for i, share in enumerate(shares) if share > 0]
    left = room - sum(naturals[i] for i, share in enumerate(shares) if share <= 0)
    while pending:
        total = sum(shares[i] for i in pending)
        settled = {i: naturals[i] for i in pending if naturals[i] * total <= left * shares[i]} \
            or {i: narrowest[i] for i in pending if narrowest[i] * total > left * shares[i]}
        if not settled:
            break
        for i, width in settled.items():
            pending.remove(i)
            widths[i] = width
            left -= width
    if pending:
        total = sum(shares[i] for i in pending)
        for i in pending:
            widths[i] = left * shares[i] // total
        spare = left - sum(widths[i] for i in pending)
        if spare > 0:  # what rounding down leaves goes to the column with the largest share
            widths[max(pending, key=lambda i: shares[i])] += spare
    return widths


def wrapping(text: Text) -> Text:
    """A copy of a cell that wraps at spaces and folds a word longer than the column."""
    cell = text.copy()
    cell.no_wrap = False
    cell.overflow = "fold"
    cell.end = ""
    return cell


class WrappingTable(DataTable):
    """A DataTable for rows of `Text` cells that always fits its width; `show` replaces the contents."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._columns: list[WrapColumn] = []
        self._cells: list[list[Text]] = []
        self._cell_widths: list[list[int]] = []
        self._measured: tuple[list[int], list[int], list[int]] = ([], [], [])
        self._laid_out_for = -1

    def show(self, columns: Sequence[WrapColumn], rows: Sequence[Sequence[Text]]) -> None:
        """Replace the columns and rows (cells already made safe for the screen) and lay them out."""
        self._columns = list(columns)
        self._cells = [[wrapping(cell) for cell in row] for row in rows]
        self._cell_widths = [[natural_width(cell) for cell in row] for row in self._cells]
        self._measured = self._measure()
        self._laid_out_for = -1
        self._lay_out()

    def on_resize(self, event: events.Resize) -> None:
        # DataTable's own resize handler runs as well; this one only redoes the layout for a new width.
        self._lay_out()

    def _room(self) -> int:
        """Cells left for text once padding is taken, keeping space for a vertical scrollbar so the
        layout does not change when one appears."""
        padding = 2 * self.cell_padding * len(self._columns)
        return self.content_region.width - self.styles.scrollbar_size_vertical - padding

    def _measure(self) -> tuple[list[int], list[int], list[int]]:
        """Each column's natural width, share and narrowest width (measured once per `show`)."""
        naturals, narrowest = [], []
        for i, column in enumerate(self._columns):
            label = cell_len(column.label)
            natural = max([label] + [widths[i] for widths in self._cell_widths])
            # Narrow enough to share, but wide enough that an ordinary word is not broken across lines.
            words = min(WIDEST_WORD, max([0] + [longest_word(row[i]) for row in self._cells]))
            naturals.append(natural)
            narrowest.append(min(natural, max(label, NARROWEST_WRAP, words)))
        return naturals, [column.share for column in self._columns], narrowest

    def _height(self, row_index: int, widths: list[int]) -> int:
        """Lines the row needs: only a cell wider than its column is wrapped to count them."""
        console = self.app.console
        return max([1] + [len(cell.wrap(console, width))
                          for cell, natural, width in zip(self._cells[row_index], self._cell_widths[row_index],
                                                          widths)
                          if natural > width])

    def _lay_out(self) -> None:
        width = self.content_region.width
        if not self._columns or width <= 0 or width == self._laid_out_for:
            return
        self._laid_out_for = width
        widths = fit_widths(*self._measured, room=self._room())
        cursor_row = self.cursor_row
        self.clear(columns=True)
        for column, width in zip(self._columns, widths):
            self.add_column(Text(column.label), width=width)
        for index, row in enumerate(self._cells):
            self.add_row(*row, height=self._height(index, widths))
        if self._cells:
            self.move_cursor(row=min(cursor_row, len(self._cells) - 1), animate=False)
        # The rows just added can change the width itself (a scrollbar appearing in the screen around the
        # table as it grows): look again once they are drawn, so the first paint is laid out for the width
        # the table really has. Nothing is done when the width is the same.
        self.call_after_refresh(self._lay_out)
