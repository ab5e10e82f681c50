"""The review workspace's panes through Pilot on a real demo database: each tab reads its own data in a
worker and draws from the typed data it posts; only the Coverage tab is built when the workspace opens;
long lists arrive whole although they are drawn a slice at a time."""

from __future__ import annotations

from assistant.cases import list_cases
from assistant.demo import generate_demo
from assistant.review import live_conversations, search_notes
from assistant.store import open_store
from assistant.tui.screens.review import ReviewScreen
from assistant.tui.screens.review.conversations import ConversationsData, ConversationsPane
from assistant.tui.screens.review.coverage import CoverageData, CoveragePane
from assistant.tui.screens.review.episodes import EpisodesData, EpisodesPane
from assistant.tui.screens.review.findings import FindingsData, FindingsPane
from assistant.tui.screens.review.influences import InfluencesData, InfluencesPane
from assistant.tui.screens.review.notes import NotesData, NotesPane
from assistant.tui.screens.review.panes import SLICE

from tests.tui.helpers import make_app
from tests.tui.test_review import settle


def demo_database(tmp_path, structure):
    db = tmp_path / "demo.db"
    store = open_store(db)
    generate_demo(store, structure, cases=2, conversations=3, notes=150, seed=3)
    case_id = list_cases(store)[0]["id"]
    expected = {"conversations": live_conversations(store, case_id),
                "notes": len(search_notes(store, case_id, limit=300))}
    store.close()
    return db, case_id, expected


async def test_each_pane_loads_its_own_typed_data_and_only_coverage_is_built(tmp_path, structure):
    db, case_id, expected = demo_database(tmp_path, structure)
    app = make_app(db)
    async with app.run_test(size=(120, 40)) as pilot:
        app.push_screen(ReviewScreen(case_id))
        await settle(pilot)
        screen = app.screen
        kinds = {CoveragePane: CoverageData, EpisodesPane: EpisodesData, InfluencesPane: InfluencesData,
                 NotesPane: NotesData, FindingsPane: FindingsData, ConversationsPane: ConversationsData}
        for pane_class, data_class in kinds.items():
            pane = screen.query_one(pane_class)
            assert isinstance(pane.loaded, data_class), pane_class.__name__
            assert pane.built == (pane_class is CoveragePane)
        assert not screen.query("#moments") and not screen.query("#note-results")
        ids = [c["id"] for c in expected["conversations"]]
        assert [c["id"] for c in screen.conversations] == ids
        table = screen.query_one("#coverage-table")
        assert table.row_count == sum(len(s.prompts) for s in structure.sections)
        assert [str(column.key.value) for column in table.columns.values()][1:] == ids


async def test_a_long_list_of_notes_arrives_whole_across_slices(tmp_path, structure):
    db, case_id, expected = demo_database(tmp_path, structure)
    assert expected["notes"] > 3 * SLICE  # more than one slice, or the test would show nothing
    app = make_app(db)
    async with app.run_test(size=(120, 40)) as pilot:
        app.push_screen(ReviewScreen(case_id))
        await settle(pilot)
        screen = app.screen
        screen.query_one("#review-tabs").active = "tab-notes"
        await settle(pilot)
        assert screen.query_one(NotesPane).built
        assert screen.query_one("#note-results").option_count == expected["notes"]
        count = str(screen.query_one("#note-count").render())
        assert count.startswith(f"{expected['notes']} note{'' if expected['notes'] == 1 else 's'}")


async def test_a_change_redraws_the_panes_already_built(tmp_path, structure):
    db, case_id, expected = demo_database(tmp_path, structure)
    app = make_app(db)
    async with app.run_test(size=(120, 40)) as pilot:
        app.push_screen(ReviewScreen(case_id))
        await settle(pilot)
        screen = app.screen
        screen.query_one("#review-tabs").active = "tab-conversations"
        await settle(pilot)
        table = screen.query_one("#conversation-table")
        assert str(table.get_row_at(0)[4]) == "not started"
        await pilot.press("s")
        await settle(pilot)
        assert str(table.get_row_at(0)[4]) == "reading"
        assert screen.conversations[0]["review_state"] == "reading"
