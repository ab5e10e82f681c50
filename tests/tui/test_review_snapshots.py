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
