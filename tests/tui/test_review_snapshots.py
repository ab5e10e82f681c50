"""SVG snapshots of the review workspace's Coverage tab at 100×32 and 80×24 (update with
`make snapshots` after a deliberate change): the prompt column stays readable and fixed while the
conversations scroll across, and two conversations with the same role label are told apart.

The data is the deterministic synthetic demo with two conversations sharing a role label, and the
clock is off, so every run draws the same screen."""

from __future__ import annotations

import pytest

from assistant.cases import list_cases
from assistant.demo import generate_demo
from assistant.store import open_store
from assistant.structure import load_structure
from assistant.tui.screens.review import ReviewScreen

from tests.tui.helpers import make_app
from tests.tui.test_review import settle

SIZES = [(100, 32), (80, 24)]


def review_app(tmp_path):
    db = tmp_path / "lt.db"
    store = open_store(db)
    generate_demo(store, load_structure(), cases=1, conversations=5, notes=30, seed=3)
    case_id = list_cases(store)[0]["id"]
    # Two practitioners with the same role label, held on different days, and a very long role label.
    rows = store.query("SELECT id FROM conversations WHERE case_id = ? ORDER BY created_at, id", (case_id,))
    with store.write() as conn:
        for row, (role, day) in zip(rows, [("Social Worker 1", "2026-03-04"), ("Social Worker 1", "2026-03-18"),
                                           ("Designated Safeguarding Lead " * 6, "2026-03-20")]):
            conn.execute("UPDATE conversations SET practitioner_role = ?, created_at = ?, utc_offset = '+00:00'"
                         " WHERE id = ?", (role.strip(), f"{day}T10:00:00+00:00", row["id"]))
    store.close()
    return make_app(db), case_id


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_review_coverage(snap_compare, tmp_path, size):
    app, case_id = review_app(tmp_path)

    async def open_coverage(pilot):
        pilot.app.push_screen(ReviewScreen(case_id))
        await settle(pilot)
        pilot.app.screen.query_one("#coverage-table").focus()
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=open_coverage)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_review_coverage_scrolled_across(snap_compare, tmp_path, size):
    app, case_id = review_app(tmp_path)

    async def scroll_to_the_last_conversation(pilot):
        pilot.app.push_screen(ReviewScreen(case_id))
        await settle(pilot)
        pilot.app.screen.query_one("#coverage-table").focus()
        await pilot.press("end", *["right"] * 5)
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=scroll_to_the_last_conversation)


def story_app(tmp_path):
    """Two pairs' accounts linked into two placed episodes, the chronology between them, accounts
    marked as differing, and the review's questions; no start date, so the clock line is the same
    every day."""
    from assistant.review_questions import add_question
    from assistant.story import edit_card, place_episode

    from tests.tui.test_review import lead_database
    from tests.tui.test_review_revisions import _episodes_ready
    from tests.tui.test_review_story import _chronology

    db = lead_database(tmp_path)
    case_id, fax, meeting = _episodes_ready(db)
    _chronology(tmp_path, db)
    store = open_store(db)
    place_episode(store, meeting, on="2026-03-02")
    place_episode(store, fax, on="2026-03-14")
    edit_card(store, fax, accounts_differ="Who was to send the form, and when")
    add_question(store, case_id, "What helped or hindered sharing the referral between agencies?")
    add_question(store, case_id, "How did practitioners hear the mother's own account?")
    store.close()
    return make_app(db), case_id


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_review_story(snap_compare, tmp_path, size):
    app, case_id = story_app(tmp_path)

    async def open_story(pilot):
        pilot.app.push_screen(ReviewScreen(case_id))
        await settle(pilot)
        pilot.app.screen.query_one("#review-tabs").active = "tab-story"
        await settle(pilot)
        pilot.app.screen.query_one("#story-list").focus()
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=open_story)
