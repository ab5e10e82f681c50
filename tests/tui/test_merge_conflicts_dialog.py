"""The review workspace's Conversations tab counts the case's open merge conflicts, and K lists them to
keep mine or theirs; through the real app, with real pair databases merged by the real core."""

from __future__ import annotations

from assistant.conversation import Conversation
from assistant.merge import handover, merge_source
from assistant.store import open_store
from assistant.structure import load_structure

from tests.tui.helpers import make_app
from tests.tui.test_review import open_workspace, settle
from tests.unit.pairs import pair_database


def lead_with_a_conflict(tmp_path):
    """The lead marked the Health Visitor's record ended; the pair sent it for checking: a conflict."""
    pair = pair_database(tmp_path / "pair1.db", "Health Visitor", ["The home visit"])
    db = tmp_path / "lead.db"
    lead = open_store(db)
    merge_source(lead, pair["path"])
    Conversation(lead, load_structure(), pair["conversation_id"], actor="lead reviewer").set_status("ended")
    store = open_store(pair["path"])
    Conversation(store, load_structure(), pair["conversation_id"]).set_status("sent_for_checking")
    handover(store, tmp_path / "pair1-v2.db")
    store.close()
    assert merge_source(lead, tmp_path / "pair1-v2.db").conflicts
    lead.close()
    return db, pair["conversation_id"]


async def test_open_conflicts_are_counted_and_kept_theirs_from_the_dialog(tmp_path):
    db, conversation_id = lead_with_a_conflict(tmp_path)
    app = make_app(db)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_workspace(pilot)
        screen = app.screen
        screen.query_one("#review-tabs").active = "tab-conversations"
        await settle(pilot)
        line = screen.query_one("#conflicts-line")
        assert str(line.render()).startswith("1 open merge conflict ·")
        await pilot.press("k")
        await pilot.pause()
        dialog = app.screen
        listed = str(dialog.query_one("#conflict-list").get_option_at_index(0).prompt)
        assert "Health Visitor's conversation: status" in listed
        assert "here: ended" in listed and "incoming: sent for checking" in listed and "pair1-v2.db" in listed
        await pilot.press("t")
        await pilot.pause()
        assert str(dialog.query_one("#conflict-list").get_option_at_index(0).prompt).startswith("✓ kept theirs")
        assert app.store.scalar("SELECT status FROM conversations WHERE id = ?",
                                (conversation_id,)) == "sent_for_checking"
        await pilot.press("m")  # already resolved: said, nothing changed
        await pilot.pause()
        assert app.store.scalar("SELECT COUNT(*) FROM events WHERE action = 'resolve'") == 1
        await pilot.press("escape")
        await settle(pilot)
        assert str(line.render()) == "No open merge conflicts."
        assert "sent for checking" in str(screen.query_one("#conversation-table").get_cell_at((0, 2)))
