"""The first hour: every case is on the home screen, and two pairs' hand-over files get different names."""

from __future__ import annotations

from datetime import date

from assistant.cases import add_case
from assistant.store import open_store
from assistant.structure import load_structure
from assistant.tui.screens.home import HomeScreen
from assistant.tui.screens.new_conversation import NewConversationScreen
from assistant.workflows import NewCase, handover_file_name, start_conversation

from tests.tui.helpers import make_app


async def test_a_case_with_no_conversation_yet_is_listed_and_enter_starts_one(tmp_path):
    db = tmp_path / "lt.db"
    store = open_store(db)
    case_id = add_case(store, "CSPR-2026-07", "Family G")
    store.close()
    app = make_app(db)
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.pause()
        table = app.screen.query_one("#conversations")
        assert table.display and table.row_count == 1
        cells = [str(cell) for cell in table.get_row_at(0)]
        assert "CSPR-2026-07" in cells and "Family G" in cells and "No conversation yet" in cells
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, NewConversationScreen)
        assert app.screen.query_one("#case").value == case_id  # that case, not a new one


def test_two_pairs_on_one_case_get_different_hand_over_names(tmp_path):
    structure = load_structure()
    names = []
    for pair, (lead, second) in enumerate([("Reviewer A", "Reviewer B"), ("Reviewer C", "Reviewer D")]):
        store = open_store(tmp_path / f"pair{pair}.db")
        start_conversation(store, structure, NewCase("CSPR-2026-04", "Family A"), practitioner_role="Social Worker",
                           lead_interviewer=lead, second_interviewer=second)
        names.append(handover_file_name(store, date(2026, 11, 27)))
        store.close()
    assert names == ["handover-CSPR-2026-04-Reviewer-A-Reviewer-B-2026-11-27.db",
                     "handover-CSPR-2026-04-Reviewer-C-Reviewer-D-2026-11-27.db"]
    empty = open_store(tmp_path / "empty.db")
    assert handover_file_name(empty, date(2026, 11, 27)) == "handover-2026-11-27.db"
