"""What every tab of the review workspace shares: a pane that loads its data in a thread worker and
draws itself from the typed message that worker posts, the widgets it builds the first time it is shown,
and the few labels more than one tab writes."""

from __future__ import annotations

import asyncio
from typing import Any, Callable, Iterable, Sequence, TypeVar

from rich.text import Text
from textual import work
from textual.message import Message
from textual.widget import Widget
from textual.widgets import DataTable, OptionList, TabPane
from textual.worker import get_current_worker

from assistant.store import StoreError
from assistant.tui.guard import guarded
from assistant.tui.safe import safe

Item = TypeVar("Item")

# Rows added to a table or list before the loop is handed back, so a frame can be drawn between slices.
SLICE = 80


def role(row: dict[str, Any]) -> str:
    return row["practitioner_role"] + (f" ({row['agency']})" if row.get("agency") else "")


def note_label(structure: Any, note: dict[str, Any], open_comments: int = 0, all_comments: int = 0) -> Text:
    """One note as a list entry: who, which key moment, a marker when it has comments, the note itself,
    its tags."""
    tag_by_id = structure.tag_by_id
    text = safe(f"{note['practitioner_role']}", "bold", single_line=True)
    if all_comments:
        text.append(f"  ✱ {open_comments} open comment{'s' if open_comments != 1 else ''}"
                    + (f" ({all_comments} in all)" if all_comments != open_comments else ""), style="bold")
    if note.get("moment_title"):
        text.append(" · ")
        text.append(safe(note["moment_title"], "italic", single_line=True))
    text.append("\n")
    text.append(safe(note["body"]))
    tags = ", ".join(tag_by_id[t].label for t in note["tags"] if t in tag_by_id)
    if tags:
        text.append(f"\n  {tags}", style="dim")
    return text


async def in_slices(items: Sequence[Item], add: Callable[[Item], Any], size: int = SLICE) -> None:
    """Add items a slice at a time, handing the loop back between slices: a long list never holds the
    screen still."""
    for start in range(0, len(items), size):
        if start:
            await asyncio.sleep(0)
        for item in items[start:start + size]:
            add(item)


def table_place(table: DataTable) -> tuple[int, int, Any]:
    """Where a table's cursor is (row, column, and the row's key) before it is redrawn."""
    row, column = table.cursor_coordinate
    key = None
    if table.row_count and 0 <= row < table.row_count:
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
    return row, column, key


def restore_table_place(table: DataTable, place: tuple[int, int, Any]) -> None:
    """Put the cursor back on the same row (found by its key where it has one) and column."""
    row, column, key = place
    if key is not None:
        try:
            row = table.get_row_index(key)
        except Exception:  # noqa: BLE001 - the row is gone: stay at the same position
            pass
    if table.row_count:
        table.move_cursor(row=min(row, table.row_count - 1), column=min(column, len(table.columns) - 1),
                          animate=False)


def restore_highlight(options: OptionList, index: int | None) -> None:
    """Highlight the same position in a redrawn list (or its last entry, if it is shorter now)."""
    if options.option_count:
        options.highlighted = min(index or 0, options.option_count - 1)


class ReviewPane(TabPane):
    """One tab: its widgets are built the first time it is shown, its data is read in a thread worker
    (`fetch`, returning the pane's typed message) and it draws itself from that message (`draw`)."""

    # The names of the pane's methods the workspace's keys may call (see ReviewScreen.action_pane).
    KEYS: tuple[str, ...] = ()

    def __init__(self, title: str, case_id: str, *, id: str, built: bool = False) -> None:
        super().__init__(title, id=id)
        self.case_id = case_id
        self.built = built
        self.loaded: Any = None

    def parts(self) -> Iterable[Widget]:
        """The widgets built the first time the pane is shown."""
        return []

    def fetch(self) -> Message:
        """Read the pane's data (in a worker thread) and return the message that carries it."""
        raise NotImplementedError

    async def draw(self) -> None:
        """Draw `self.loaded`; called only once the widgets are built."""

    async def show(self) -> None:
        """Shown for the first time: build the widgets, then draw whatever has already arrived."""
        if self.built:
            return
        self.built = True
        await self.mount_all(list(self.parts()))
        if self.loaded is not None:
            await self.draw()

    async def take(self, data: Any) -> None:
        """The worker's data has arrived: keep it and, if the pane is built, draw it."""
        self.loaded = data
        if self.built:
            await self.draw()

    def reload(self) -> None:
        self._load()

    def focus_first(self) -> None:
        """Focus the tab's list or table (not a search box, where [ and ] would be typed)."""
        focusable = [widget for widget in self.query("*") if widget.focusable and widget.display]
        lists = [widget for widget in focusable if isinstance(widget, (DataTable, OptionList))]
        if lists or focusable:
            (lists or focusable)[0].focus()

    @work(thread=True, exclusive=True, group="review-load")
    @guarded(what="loading the case")
    def _load(self) -> None:
        """Every query off the UI thread, so a large case never freezes the screen."""
        try:
            message = self.fetch()
        except StoreError as error:
            self.app.call_from_thread(self.app.say, str(error), error=True)
            return
        if not get_current_worker().is_cancelled:  # a newer load has been started: its data wins
            self.post_message(message)
