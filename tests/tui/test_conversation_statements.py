"""Keys on the conversation screen stay a handful of SQL statements each, on a real database through Pilot:
the screen reads one snapshot per render, and a write hands back the new snapshot itself."""

from __future__ import annotations

from assistant.cases import add_case
from assistant.conversation import Conversation, create_conversation
from assistant.store import audit_report, open_store
from assistant.structure import load_structure
from assistant.tui.screens.conversation import ConversationScreen

from tests.tui.helpers import make_app

BUDGET = 5
# Saving writes four tables in one transaction (the note, its draft, the conversation, which hands back
# the new snapshot and the audit chain's head, and the audit event): begin, four statements, commit.
SAVE_BUDGET = 6


def _conversation_with_notes(db, notes: int = 40) -> str:
    structure = load_structure()
    store = open_store(db)
    conversation_id = create_conversation(store, structure, case_id=add_case(store, "B1", "Family A"),
                                          practitioner_role="Health Visitor")
    conversation = Conversation(store, structure, conversation_id)
    for i in range(notes):
        conversation.notes.add(f"Note {i}: what the practitioner said.", section_id="introduction")
    store.close()
    return conversation_id


def _issued(trace: list[str]) -> list[str]:
    """What the app issued (SQLite's own inner statements, marked "--" or naming 'main', left out)."""
    issued = [s for s in trace if not s.startswith("--") and "'main'." not in s]
    return [s for i, s in enumerate(issued) if i == 0 or s != issued[i - 1]]


async def _statements(app, pilot, key: str) -> list[str]:
    trace: list[str] = []
    app.store.conn.set_trace_callback(trace.append)
    await pilot.press(key)
    await pilot.pause()
    app.store.conn.set_trace_callback(None)
    return _issued(trace)


async def test_next_prompt_next_section_and_saving_a_note_are_each_at_most_five_statements(tmp_path):
    db = tmp_path / "lt.db"
    conversation_id = _conversation_with_notes(db)
    app = make_app(db)
    async with app.run_test(size=(120, 40)) as pilot:
        app.push_screen(ConversationScreen(conversation_id))
        await pilot.pause()
        screen = app.screen
        assert len(await _statements(app, pilot, "f9")) <= BUDGET
        assert screen.state.prompt_index == 1

        screen.query_one("#editor").text = "Said after a long pause, about the referral."
        await pilot.pause()
        screen.save_draft_now()  # as the autosave would have, while typing
        saving = await _statements(app, pilot, "ctrl+s")
        assert len(saving) <= SAVE_BUDGET, saving
        assert not [s for s in saving if s.lstrip().upper().startswith(("SELECT", "PRAGMA"))]  # no reads
        assert screen.query_one("#editor").text == ""
        assert [n["body"] for n in screen.state.notes][-1] == "Said after a long pause, about the referral."

        moving = await _statements(app, pilot, "ctrl+n")
        assert len(moving) <= BUDGET, moving
        assert screen.state.stop.section.id != "introduction"
        assert screen.conversation.walk.current_stop().section.id == screen.state.stop.section.id
    store = open_store(db)
    try:
        notes = Conversation(store, load_structure(), conversation_id).notes.list()
        assert notes[-1]["body"] == "Said after a long pause, about the referral."
        assert store.scalar("SELECT COUNT(*) FROM drafts") == 0  # the draft went with the save
        assert audit_report(store).problem is None  # the audit chain and its seals still hold
    finally:
        store.close()
