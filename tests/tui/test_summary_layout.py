"""The end-of-conversation summary and the case chronology at 80×24, 100×32 and 200×50: every column
stays on screen, long prompts, moment names, agencies and summaries wrap whole instead of being cut, and
the columns follow the terminal's width when it changes.

Driven through Pilot on a real demo database; what is asserted is what the screen draws.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console

from assistant.cases import import_chronology, list_cases
from assistant.demo import generate_demo
from assistant.safe_text import visible
from assistant.store import open_store
from assistant.structure import DEFAULT_STRUCTURE, load_structure
from assistant.tui.app import LearningTogetherApp
from assistant.tui.screens.dialogs import ChronologyScreen
from assistant.tui.screens.summary import SummaryScreen

SIZES = [(80, 24), (100, 32), (200, 50)]
size_ids = pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")

LONG_ROLE = "Health Visitor for the east locality team, covering " + "the estate and the two villages beyond it, " * 4
LONG_MOMENT = ("The evening the practitioner rang the out-of-hours team about the baby's weight, " * 3).strip()
LONG_PROMPT = ("Thinking back to the first weeks of your involvement, tell us about the family as you came to know "
               "them, who else was working with them then, and what you understood your own part to be.")
LONG_AGENCY = "Children's Social Care, " * 8 + "Assessment Team"
LONG_SUMMARY = ("Home visit by the health visitor: baby seen asleep in the cot, mother said she was tired and had "
                "not been out for a week; a follow-up visit was offered for two weeks' time and accepted, and a "
                "note was sent to the GP about mother's low mood. [bold]Escalation[/bold] was not discussed.")
CHRONOLOGY = [
    ("2025-01-02", "Health Visiting", LONG_SUMMARY, "HV-12"),
    ("2025-02-03", LONG_AGENCY, "Strategy discussion held with police and health.", "CSC-4"),
    ("2025-02-10", "School", "Class teacher noticed the older child arriving late.", "SCH-7"),
]


def demo_database(tmp_path: Path, chronology: bool = False) -> Path:
    db = tmp_path / "lt.db"
    store = open_store(db)
    generate_demo(store, load_structure(), cases=1, conversations=2, notes=14, seed=3)
    if chronology:
        csv = tmp_path / "chronology.csv"
        lines = ["date,agency,summary,source"] + [",".join(f'"{cell}"' for cell in row) for row in CHRONOLOGY]
        csv.write_text("\n".join(lines) + "\n", encoding="utf-8")
        import_chronology(store, list_cases(store)[0]["reference"], csv)
    store.close()
    return db


def structure_with_a_long_prompt(tmp_path: Path) -> Path:
    """The default structure with its longest prompt made longer still, as an organisation might word it."""
    text = Path(DEFAULT_STRUCTURE).read_text(encoding="utf-8")
    original = ('text = "Give a short outline of the conversation: their own account first, then the moments '
                'they see as key, then what was influencing them."')
    assert original in text
    path = tmp_path / "structure.toml"
    path.write_text(text.replace(original, f'text = "{LONG_PROMPT}"'), encoding="utf-8")
    return path


def app_for(db: Path, structure_path: Path | None = None) -> LearningTogetherApp:
    structure = load_structure(structure_path) if structure_path else load_structure()
    return LearningTogetherApp(open_store(db, exclusive=True), structure, clock=False)


def lengthen_the_labels(conversation) -> None:
    """A 200-character role label and a long moment name, typed by the pair."""
    conversation.relabel("A fuller description of the role", practitioner_role=LONG_ROLE)
    status = conversation.row["status"]  # a checked record takes no renamed moment until it is reopened
    if status != "in_progress":
        conversation.reopen("To give the moment its fuller name")
    conversation.moments.rename(conversation.moments.list()[0]["id"], LONG_MOMENT)
    conversation.set_status(status)


def screen_lines(app) -> list[str]:
    """The characters the terminal shows, line by line."""
    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), record=True, color_system=None,
                      legacy_windows=False)
    console.print(app.screen._compositor.render_update(full=True, screen_stack=app._background_screens))
    return console.export_text().splitlines()


def words(text: str) -> str:
    return " ".join(text.split())


def row_on_screen(app, table, row_index: int, column_index: int) -> str | None:
    """What the screen shows in one cell (a wrapped cell's lines joined), or None when the row is not
    wholly in view."""
    lines = screen_lines(app)
    region = table.content_region
    columns = table.ordered_columns
    left = region.x - int(table.scroll_x) + table.cell_padding
    left += sum(column.get_render_width(table) for column in columns[:column_index])
    width = columns[column_index].width
    rows = table.ordered_rows
    first = region.y + table.header_height
    top = first - int(table.scroll_y) + sum(row.height for row in rows[:row_index])
    height = rows[row_index].height
    if top < first or top + height > region.bottom:
        return None
    return words(" ".join(line[left:left + width] for line in lines[top:top + height]))


async def column_on_screen(pilot, table, column_index: int) -> list[str | None]:
    """Each row's cell in one column as the screen shows it, scrolling every row into view in turn."""
    shown = []
    for row_index, row in enumerate(table.ordered_rows):
        table.scroll_to(y=sum(r.height for r in table.ordered_rows[:row_index]), animate=False, immediate=True)
        await pilot.pause()
        shown.append(row_on_screen(pilot.app, table, row_index, column_index))
    return shown


def assert_every_column_fits(app, table, labels: list[str]) -> None:
    header = screen_lines(app)[table.content_region.y]
    for label in labels:
        assert label in header, f"{label} is off screen: {header!r}"
    used = sum(column.get_render_width(table) for column in table.ordered_columns)
    assert used <= table.content_region.width
    assert table.scroll_x == 0 and table.max_scroll_x == 0


def assert_rows_as_tall_as_their_text(table) -> None:
    """Each row is as tall as its tallest wrapped cell: nothing is cut at the bottom of a cell."""
    console = table.app.console
    for row in table.ordered_rows:
        cells = table.get_row(row.key)
        needed = max(len(cell.wrap(console, column.width)) for cell, column in zip(cells, table.ordered_columns))
        assert row.height == needed


async def open_summary(pilot, lengthen: bool = False) -> SummaryScreen:
    await pilot.press("enter")
    await pilot.pause()
    if lengthen:
        lengthen_the_labels(pilot.app.screen.conversation)
    await pilot.press("f12")
    await pilot.pause()
    await pilot.pause()
    assert isinstance(pilot.app.screen, SummaryScreen)
    return pilot.app.screen


async def open_chronology(pilot) -> ChronologyScreen:
    await pilot.press("enter")
    await pilot.pause()
    pilot.app.screen.conversation.gate.open("The pair needs the dates to check the order of visits")
    await pilot.press("ctrl+r")
    await pilot.pause()
    await pilot.pause()
    assert isinstance(pilot.app.screen, ChronologyScreen)
    return pilot.app.screen


@size_ids
async def test_the_summary_shows_every_prompt_whole_in_a_readable_column(tmp_path, size):
    app = app_for(demo_database(tmp_path))
    async with app.run_test(size=size) as pilot:
        screen = await open_summary(pilot)
        table = screen.query_one("#coverage")
        assert_every_column_fits(app, table, ["State", "Section", "Moment", "Prompt"])
        assert_rows_as_tall_as_their_text(table)
        prompt_width = table.ordered_columns[3].width
        assert prompt_width >= {80: 30, 100: 40, 200: 100}[size[0]]
        coverage = screen.conversation.coverage().prompts
        assert await column_on_screen(pilot, table, 3) == [words(entry.prompt.text) for entry in coverage]
        if size[0] == 200:  # the prompt column takes the width the terminal has
            assert sum(column.get_render_width(table) for column in table.ordered_columns) \
                >= table.content_region.width - table.styles.scrollbar_size_vertical


async def test_the_summary_columns_follow_the_terminal_when_it_is_resized(tmp_path):
    app = app_for(demo_database(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_summary(pilot)
        table = screen.query_one("#coverage")
        narrow = table.ordered_columns[3].width
        await pilot.resize_terminal(200, 50)
        await pilot.pause()
        await pilot.pause()
        wide = table.ordered_columns[3].width
        assert wide > narrow + 60
        assert_every_column_fits(app, table, ["State", "Section", "Moment", "Prompt"])
        assert_rows_as_tall_as_their_text(table)
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        await pilot.pause()
        assert table.ordered_columns[3].width == narrow
        assert_rows_as_tall_as_their_text(table)


async def test_the_cursor_stays_on_its_row_when_the_columns_are_laid_out_again(tmp_path):
    app = app_for(demo_database(tmp_path))
    async with app.run_test(size=(100, 32)) as pilot:
        screen = await open_summary(pilot)
        table = screen.query_one("#coverage")
        table.focus()
        await pilot.press("down", "down", "down")
        await pilot.resize_terminal(160, 40)
        await pilot.pause()
        await pilot.pause()
        assert table.cursor_row == 3


@size_ids
async def test_a_long_role_label_moment_or_prompt_pushes_no_column_off_screen(tmp_path, size):
    app = app_for(demo_database(tmp_path), structure_with_a_long_prompt(tmp_path))
    async with app.run_test(size=size) as pilot:
        screen = await open_summary(pilot, lengthen=True)
        table = screen.query_one("#coverage")
        assert_every_column_fits(app, table, ["State", "Section", "Moment", "Prompt"])
        assert_rows_as_tall_as_their_text(table)
        assert table.ordered_columns[3].width >= {80: 30, 100: 40, 200: 100}[size[0]]
        cells = [table.get_row_at(i) for i in range(table.row_count)]
        assert words(LONG_PROMPT) in [cell[3].plain for cell in cells]
        assert words(LONG_MOMENT) in [cell[2].plain for cell in cells]
        assert words(LONG_PROMPT) in await column_on_screen(pilot, table, 3)
        title = " ".join(screen_lines(app)[1:8])
        assert words(LONG_ROLE)[:60] in words(title)


async def test_summary_cells_show_typed_text_literally(tmp_path):
    app = app_for(demo_database(tmp_path))
    typed = "[red]Sending[/red] the fax \x1b[2J before Easter"
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.press("enter")
        await pilot.pause()
        conversation = pilot.app.screen.conversation
        conversation.reopen("To rename a moment")  # the demo's record is checked: reopened to correct it
        conversation.moments.rename(conversation.moments.list()[0]["id"], typed)
        screen = await open_summary(pilot)
        table = screen.query_one("#coverage")
        moments = {table.get_row_at(i)[2].plain for i in range(table.row_count)}
        stored = conversation.moments.list()[0]["title"]
        assert visible(stored) in moments
        assert "\x1b" not in "".join(moments)
        shown = [(text or "").replace(" ", "") for text in await column_on_screen(pilot, table, 2)]
        assert "[red]Sending[/red]thefaxbeforeEaster" in shown


@size_ids
async def test_the_chronology_shows_every_column_and_wraps_long_entries(tmp_path, size):
    app = app_for(demo_database(tmp_path, chronology=True))
    async with app.run_test(size=size) as pilot:
        screen = await open_chronology(pilot)
        table = screen.query_one("#chronology-table")
        assert_every_column_fits(app, table, ["Date", "Agency", "Summary", "Source"])
        assert_rows_as_tall_as_their_text(table)
        assert table.ordered_columns[2].width >= {80: 30, 100: 40, 200: 60}[size[0]]
        expected = [[words(cell) for cell in entry] for entry in CHRONOLOGY]
        if size[0] == 80:  # the 200-character agency makes its row taller than the table: it is scrolled
            expected[1] = [None] * 4
        for column in range(4):
            assert await column_on_screen(pilot, table, column) == [row[column] for row in expected]
        agency = table.get_row_at(1)[1]
        assert words(" ".join(line.plain for line in agency.wrap(app.console, table.ordered_columns[1].width))) \
            == words(LONG_AGENCY)
        assert "Esc to close" in "\n".join(screen_lines(app))


async def test_the_chronology_follows_the_terminal_when_it_is_resized(tmp_path):
    app = app_for(demo_database(tmp_path, chronology=True))
    async with app.run_test(size=(200, 50)) as pilot:
        screen = await open_chronology(pilot)
        table = screen.query_one("#chronology-table")
        wide = table.ordered_columns[2].width
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        await pilot.pause()
        assert table.ordered_columns[2].width < wide
        assert_every_column_fits(app, table, ["Date", "Agency", "Summary", "Source"])
        assert_rows_as_tall_as_their_text(table)


@size_ids
def test_summary_snapshot(snap_compare, tmp_path, size):
    async def with_long_labels(pilot):
        await open_summary(pilot, lengthen=True)

    app = app_for(demo_database(tmp_path), structure_with_a_long_prompt(tmp_path))
    assert snap_compare(app, terminal_size=size, run_before=with_long_labels)


@size_ids
def test_chronology_snapshot(snap_compare, tmp_path, size):
    async def opened(pilot):
        await open_chronology(pilot)

    assert snap_compare(app_for(demo_database(tmp_path, chronology=True)), terminal_size=size, run_before=opened)


def test_columns_share_the_room_by_share_and_never_below_their_narrowest():
    from assistant.tui.widgets.wrapping_table import fit_widths

    assert fit_widths([10, 20, 30], [0, 1, 3], [8, 8, 8], room=100) == [10, 20, 30]  # all fit: natural
    # The state keeps 11; 55 left: section and moment at their part (11, 11 + rounding), prompt 3 parts.
    assert fit_widths([11, 32, 45, 132], [0, 1, 1, 3], [11, 12, 8, 16], room=66) == [11, 12, 10, 33]
    # A short column takes only what it needs and the rest goes to the others.
    assert fit_widths([10, 6, 200, 300], [1, 1, 2, 6], [10, 6, 16, 16], room=80) == [10, 6, 16, 48]
    # Too little room for every narrowest: nothing vanishes, the table scrolls sideways instead.
    assert fit_widths([10, 40, 40], [0, 1, 1], [10, 12, 12], room=20) == [10, 12, 12]
