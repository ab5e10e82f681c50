"""The shared workflows as the app uses them, through Pilot against real databases: a new case and its
conversation are saved together or not at all; record and case exports carry the same warning as the
command line when the database is encrypted."""

from __future__ import annotations

from assistant.cases import find_case
from assistant.store import open_store
from assistant.structure import load_structure
from assistant.tui.app import LearningTogetherApp
from assistant.tui.screens.new_conversation import NewConversationScreen
from assistant.tui.screens.review import ReviewScreen
from assistant.tui.screens.summary import SummaryScreen
from assistant.workflows import PLAIN_EXPORT_WARNING

from tests.tui.helpers import fill, make_app, type_note, work_done
from tests.tui.test_conversation_flow import start_conversation

PASS = "correct horse battery"
REFUSE_CONVERSATIONS = ("CREATE TEMP TRIGGER refuse_conversations BEFORE INSERT ON conversations "
                        "BEGIN SELECT RAISE(ABORT, 'refused for the test'); END")


def _messages(app) -> list[str]:
    return [n.message for n in app._notifications]


def _encrypted_app(db) -> LearningTogetherApp:
    return LearningTogetherApp(open_store(db, exclusive=True, passphrase=PASS, encrypt_new=True), load_structure(),
                               clock=False)


async def test_a_refused_conversation_leaves_no_new_case_and_keeps_the_form(tmp_path):
    db = tmp_path / "lt.db"
    app = make_app(db)
    async with app.run_test(size=(100, 32)) as pilot:
        app.store.conn.execute(REFUSE_CONVERSATIONS)
        await pilot.press("n")
        await pilot.pause()
        await fill(pilot, **{"case-ref": "CSPR-7", "case-label": "Family G", "role": "Health Visitor"})
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, NewConversationScreen)  # still the form, with what was typed
        assert str(app.screen.query_one("#form-error").render()).strip()
        assert app.screen.query_one("#case-ref").value == "CSPR-7"
        assert find_case(app.store, "CSPR-7") is None
        assert app.store.scalar("SELECT COUNT(*) FROM cases") == 0
        app.store.conn.execute("DROP TRIGGER refuse_conversations")
        await pilot.press("ctrl+s")  # the same form again: now both are saved
        await pilot.pause()
        assert not isinstance(app.screen, NewConversationScreen)
        assert find_case(app.store, "CSPR-7") is not None


async def test_record_and_case_exports_warn_when_the_database_is_encrypted(tmp_path):
    db = tmp_path / "lt.db"
    app = _encrypted_app(db)
    async with app.run_test(size=(100, 32), notifications=True) as pilot:
        await start_conversation(pilot)
        await type_note(pilot, "An account to export.")
        await pilot.press("f12")
        await pilot.pause()
        assert isinstance(app.screen, SummaryScreen)
        await pilot.press("m")
        await pilot.pause()
        messages = _messages(app)
        assert any(m.startswith("Record saved: ") for m in messages)
        assert messages.count(PLAIN_EXPORT_WARNING) == 1
    assert len(list((tmp_path / "exports").glob("*.md"))) == 1


async def test_the_review_export_warns_when_the_database_is_encrypted(tmp_path, structure):
    from assistant.conversation import Conversation
    from assistant.workflows import NewCase, start_conversation as start

    db = tmp_path / "lt.db"
    app = _encrypted_app(db)
    started = start(app.store, structure, NewCase("CSPR-2026-04", "Family A"), practitioner_role="Health Visitor")
    conversation = Conversation(app.store, structure, started.conversation_id)
    conversation.notes.add("An account for the analysis pack.")
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await pilot.press("v")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        await work_done(app)
        await pilot.pause()
        assert isinstance(app.screen, ReviewScreen)
        app.screen._export("md")  # what X then a format runs
        await work_done(app)
        await pilot.pause()
        messages = _messages(app)
        assert any(m.startswith("Exported: ") for m in messages), messages
    assert (tmp_path / "exports" / "CSPR-2026-04-analysis.md").exists()


async def test_a_plain_database_exports_without_a_warning(tmp_path):
    db = tmp_path / "lt.db"
    app = make_app(db)
    async with app.run_test(size=(100, 32), notifications=True) as pilot:
        await start_conversation(pilot)
        await type_note(pilot, "An account to export.")
        await pilot.press("f12")
        await pilot.pause()
        await pilot.press("w")
        await pilot.pause()
        assert any(m.startswith("Record saved: ") for m in _messages(app))
        assert PLAIN_EXPORT_WARNING not in _messages(app)
    assert len(list((tmp_path / "exports").glob("*.docx"))) == 1
