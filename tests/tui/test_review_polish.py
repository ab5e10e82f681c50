"""The review workspace as a new user meets it, through Pilot on a real lead database: tabs changed from
the keyboard wherever the focus is, F1 opening at the workspace's keys, the Episodes hints whole at 80
columns, the chronology wrapped with every column on screen, the comment dialog naming its note, the
finding form ticking only the episode chosen on the Episodes tab, and the end-of-conversation summary
laid out right on its first paint."""

from __future__ import annotations

import sqlite3

import pytest

from assistant.tui.screens.dialogs import TextPrompt
from assistant.tui.screens.help import HelpScreen
from assistant.tui.screens.review import FindingScreen, ReviewScreen
from assistant.tui.widgets.checklist import CheckList
from assistant.tui.widgets.wrapping_table import WrappingTable

from tests.tui.helpers import fill, make_app
from tests.tui.test_review import lead_database, open_workspace, settle
from tests.tui.test_review_revisions import _episodes_ready
from tests.tui.test_summary_layout import (app_for, assert_every_column_fits,
                                           assert_rows_as_tall_as_their_text, column_on_screen, demo_database,
                                           open_summary, screen_lines, words)

BIRTH_VISIT = ("New birth visit; home conditions noted and the mother's questions about feeding answered; "
               "a follow-up visit was offered and accepted.")
TABS = ["tab-coverage", "tab-episodes", "tab-story", "tab-influences", "tab-notes", "tab-findings",
        "tab-conversations", "tab-meetings", "tab-report"]


def _active(app) -> str:
    return app.screen.query_one("#review-tabs").active


def _with_chronology(tmp_path, db):
    from assistant.cases import import_chronology, list_cases
    from assistant.store import open_store

    csv = tmp_path / "chronology.csv"
    rows = [("2026-03-10", "Health Visiting", BIRTH_VISIT, "HV-12"),
            ("2026-04-02", "Children's Social Care, Assessment Team", "Welfare check at the flat.", "Police log 12")]
    csv.write_text("date,agency,summary,source\n"
                   + "".join(",".join(f'"{cell}"' for cell in row) + "\n" for row in rows), encoding="utf-8")
    store = open_store(db)
    import_chronology(store, list_cases(store)[0]["reference"], csv)
    store.close()


def _text_in(app, widget) -> str:
    """What the screen shows inside one widget's region, its lines joined."""
    region = widget.region
    lines = screen_lines(app)[region.y:region.bottom]
    return words(" ".join(line[region.x:region.right] for line in lines))


def _first_group(help_text: str) -> str:
    """The title of the first group of keys, after the heading, the legend and the quick tags."""
    return help_text.split("\n\n")[3].splitlines()[0]


# ---------------------------------------------------------------- 1. tabs from the keyboard, F1 at the workspace
async def test_angle_brackets_and_ctrl_page_keys_move_between_every_tab_wherever_the_focus_is(tmp_path):
    app = make_app(lead_database(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await open_workspace(pilot)
        seen = [_active(app)]
        for _ in TABS:
            await pilot.press("greater_than_sign")
            await settle(pilot)
            seen.append(_active(app))
        assert seen == TABS + ["tab-coverage"]
        await pilot.press("less_than_sign")
        await settle(pilot)
        assert _active(app) == "tab-report"
        await pilot.press(*["ctrl+pageup"] * 4)
        await settle(pilot)
        assert _active(app) == "tab-notes"
        # The focus follows into the tab: on Notes into its search box, so typing searches rather than
        # running a command, and the angle brackets still move on from there.
        assert app.focused is not None and app.focused.id == "note-search"
        await pilot.press("ctrl+pagedown")
        await settle(pilot)
        assert _active(app) == "tab-findings"
        shown = {b.binding.key_display or b.binding.key for b in app.screen.active_bindings.values()
                 if b.binding.show}
        assert "< >" in shown


async def test_f1_opens_the_help_at_the_keys_of_the_screen_it_was_pressed_on(tmp_path):
    app = make_app(lead_database(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        assert _first_group(str(app.screen.query_one("#help-text").render())) == "Home"
        await pilot.press("escape")
        await open_workspace(pilot)
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = str(app.screen.query_one("#help-text").render())
        assert _first_group(text) == "Review workspace"
        workspace = text.split("Review workspace\n")[1].split("\n\n")[0]
        lines = [" ".join(line.split()) for line in workspace.splitlines()]
        assert {"< Previous tab", "< > Next tab", "Ctrl+PgUp Previous tab", "Ctrl+PgDn Next tab"} <= set(lines)
        # Every group is still there, once.
        titles = [block.splitlines()[0] for block in text.split("\n\n")[3:] if block]
        assert titles.count("Home") == 1 and titles.count("Everywhere") == 1 and len(titles) == len(set(titles))


# ---------------------------------------------------------------- 2 and 3. the Episodes tab at 80 columns
@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=lambda s: f"{s[0]}x{s[1]}")
async def test_the_episodes_hints_are_whole_and_the_chronology_wraps_with_every_column(tmp_path, size):
    db = lead_database(tmp_path)
    _episodes_ready(db)
    _with_chronology(tmp_path, db)
    app = make_app(db)
    async with app.run_test(size=size) as pilot:
        await open_workspace(pilot)
        await pilot.press("greater_than_sign")
        await settle(pilot)
        screen = app.screen
        hints = list(screen.query("#episode-columns .hint"))
        assert len(hints) == 2
        for hint in hints:
            assert words(str(hint.render())) in _text_in(app, hint)
        assert hints[0].region.right <= hints[1].region.x  # side by side, never overlapping
        assert all("episodeCase" not in line for line in screen_lines(app))
        table = screen.query_one("#review-chronology")
        assert isinstance(table, WrappingTable)
        assert_every_column_fits(app, table, ["Date", "Agency", "Summary", "Source"])
        assert_rows_as_tall_as_their_text(table)
        table.focus()
        await pilot.pause()
        assert await column_on_screen(pilot, table, 2) == [words(BIRTH_VISIT), "Welfare check at the flat."]
        assert await column_on_screen(pilot, table, 3) == ["HV-12", "Police log 12"]


# ---------------------------------------------------------------- 4. the comment dialog names its note
async def test_the_comment_dialog_shows_the_note_it_is_for_and_the_comment_lands_there(tmp_path):
    db = lead_database(tmp_path)
    app = make_app(db)
    async with app.run_test(size=(100, 32)) as pilot:
        await open_workspace(pilot)
        for _ in range(4):
            await pilot.press("greater_than_sign")
            await settle(pilot)
        assert _active(app) == "tab-notes"
        await pilot.press("down")  # from the search box to the notes found, where C comments
        results = app.screen.query_one("#note-results")
        results.highlighted = 1
        note_id = results.get_option_at_index(1).id
        await pilot.pause()
        await pilot.press("c")
        await pilot.pause()
        assert isinstance(app.screen, TextPrompt)
        conn = sqlite3.connect(db)
        role, body = conn.execute("SELECT c.practitioner_role, n.body FROM notes n JOIN conversations c "
                                  "ON c.id = n.conversation_id WHERE n.id = ?", (note_id,)).fetchone()
        shown = " ".join(str(w.render()) for w in app.screen.query("Static"))
        assert role in shown and words(body)[:40] in words(shown)
        await fill(pilot, **{"field-comment": "Which visit was this?"})
        await pilot.press("enter")
        await settle(pilot)
        assert conn.execute("SELECT target_kind, target_id, body FROM comments").fetchall() == [
            ("note", note_id, "Which visit was this?")]


# ---------------------------------------------------------------- 5. the finding form ticks only what was chosen
async def test_a_new_finding_ticks_an_episode_only_when_f_is_pressed_on_it_and_says_which(tmp_path):
    db = lead_database(tmp_path)
    _, fax, meeting = _episodes_ready(db)
    app = make_app(db)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_workspace(pilot)
        screen = app.screen
        screen.query_one("#review-tabs").active = "tab-episodes"
        await settle(pilot)
        episodes = screen.query_one("#case-episodes")
        episodes.focus()
        episodes.highlighted = [episodes.get_option_at_index(i).id for i in range(episodes.option_count)].index(
            meeting)
        await pilot.pause()
        screen.query_one("#review-tabs").active = "tab-findings"
        await settle(pilot)
        await pilot.press("f")
        await pilot.pause()
        assert isinstance(app.screen, FindingScreen)
        assert app.screen.query_one("#finding-episodes", CheckList).ticked == set()
        assert not app.screen.query("#finding-preselected")
        await pilot.press("escape")
        await settle(pilot)

        screen.query_one("#review-tabs").active = "tab-episodes"
        await settle(pilot)
        screen.query_one("#case-episodes").focus()
        await pilot.press("f")
        await pilot.pause()
        assert isinstance(app.screen, FindingScreen)
        assert app.screen.query_one("#finding-episodes", CheckList).ticked == {meeting}
        assert "The meeting" in str(app.screen.query_one("#finding-preselected").render())


# ---------------------------------------------------------------- 6. the summary's first paint
@pytest.mark.parametrize("size", [(80, 24), (100, 32)], ids=lambda s: f"{s[0]}x{s[1]}")
async def test_the_summary_coverage_is_laid_out_for_its_width_before_anything_is_focused(tmp_path, size):
    app = app_for(demo_database(tmp_path))
    async with app.run_test(size=size) as pilot:
        screen = await open_summary(pilot)
        table = screen.query_one("#coverage", WrappingTable)
        assert app.focused is not table
        first = [column.width for column in table.ordered_columns]
        assert_every_column_fits(app, table, ["State", "Section", "Moment", "Prompt"])
        assert_rows_as_tall_as_their_text(table)
        # Nothing changes once the table is focused: the first paint was already right.
        table.focus()
        await pilot.pause()
        await pilot.pause()
        assert [column.width for column in table.ordered_columns] == first
        assert sum(column.get_render_width(table) for column in table.ordered_columns) \
            <= table.content_region.width - table.styles.scrollbar_size_vertical


async def test_the_workspace_is_still_the_review_screen_after_the_tab_keys(tmp_path):
    """Escape still goes home from any tab the angle brackets reached."""
    app = make_app(lead_database(tmp_path))
    async with app.run_test(size=(100, 32)) as pilot:
        await open_workspace(pilot)
        await pilot.press("greater_than_sign", "greater_than_sign")
        await settle(pilot)
        assert isinstance(app.screen, ReviewScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, ReviewScreen)
