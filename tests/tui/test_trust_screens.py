"""Trust fixes on screen, through the real app on a real database: a record sent for checking is read
only (and says why and how to reopen it); a person's name typed as a label is asked about before the
conversation starts; correcting a label that was a name offers to remove the name for good."""

from __future__ import annotations

import sqlite3

from assistant.cases import add_case
from assistant.conversation import Conversation, create_conversation
from assistant.store import open_store
from assistant.structure import load_structure
from assistant.tui.screens.conversation import ConversationScreen
from assistant.tui.screens.corrections import MomentsScreen
from assistant.tui.screens.dialogs import Choice, TextPrompt
from assistant.tui.screens.new_conversation import NewConversationScreen

from tests.tui.helpers import fill, make_app, type_note

REAL_NAME = "Margaret Thornbury"


def _conversation(db, role: str = "Health Visitor", status: str = "in_progress") -> str:
    structure = load_structure()
    store = open_store(db)
    conversation_id = create_conversation(store, structure, case_id=add_case(store, "B1", "Family A"),
                                          practitioner_role=role, agency="Health")
    if status != "in_progress":
        Conversation(store, structure, conversation_id).set_status(status)
    store.close()
    return conversation_id


def _notes(db) -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT COUNT(*) FROM notes").fetchone()[0]


def _said(app) -> list[str]:
    return [n.message for n in app._notifications]


async def test_after_sent_for_checking_the_conversation_screen_is_read_only_and_says_how_to_reopen(tmp_path):
    db = tmp_path / "lt.db"
    conversation_id = _conversation(db)
    app = make_app(db)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        app.push_screen(ConversationScreen(conversation_id))
        await pilot.pause()
        notice = app.screen.query_one("#read-only-notice")
        assert not notice.display  # in progress: nothing to say
        await pilot.press("f12")
        await pilot.pause()
        await pilot.press("c")
        await pilot.pause()
        assert isinstance(app.screen, Choice)
        await pilot.press("enter")  # "Yes, mark it sent for checking"
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ConversationScreen)
        notice = app.screen.query_one("#read-only-notice")
        text = str(notice.render())
        assert notice.display and "sent for checking" in text and "reopen" in text.lower()
        await type_note(pilot, "A note typed after the record went to the practitioner.")
        assert _notes(db) == 0
        assert any("sent for checking" in message and "reopen" in message for message in _said(app))


async def test_a_record_opened_already_checked_shows_the_notice_at_once(tmp_path):
    db = tmp_path / "lt.db"
    conversation_id = _conversation(db, status="checked")
    app = make_app(db)
    async with app.run_test(size=(120, 40)) as pilot:
        app.push_screen(ConversationScreen(conversation_id))
        await pilot.pause()
        notice = app.screen.query_one("#read-only-notice")
        assert notice.display and "checked" in str(notice.render())


async def _start_form(pilot, **values):
    await pilot.press("n")
    await pilot.pause()
    await fill(pilot, **values)
    await pilot.press("ctrl+s")
    await pilot.pause()


async def test_a_name_typed_as_a_role_label_is_asked_about_and_change_it_is_the_default(tmp_path):
    db = tmp_path / "lt.db"
    structure = load_structure()
    store = open_store(db)
    case_id = add_case(store, "B1", "Family A")
    store.close()
    app = make_app(db)
    async with app.run_test(size=(100, 32)) as pilot:
        await _start_form(pilot, case=case_id, role=REAL_NAME, agency="Health")
        assert isinstance(app.screen, Choice)
        assert "looks like a person's name" in app.screen.title_text and REAL_NAME in app.screen.title_text
        await pilot.press("enter")  # the default: change it
        await pilot.pause()
        assert isinstance(app.screen, NewConversationScreen)
        assert app.screen.focused is app.screen.query_one("#role")
        assert _conversations(db) == []
        await fill(pilot, role="Health Visitor")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ConversationScreen)
    assert _conversations(db) == ["Health Visitor"]
    del structure


def _conversations(db) -> list[str]:
    with sqlite3.connect(db) as conn:
        return [r[0] for r in conn.execute("SELECT practitioner_role FROM conversations")]


async def test_a_name_in_the_lead_interviewer_may_be_started_anyway_when_chosen(tmp_path):
    db = tmp_path / "lt.db"
    store = open_store(db)
    case_id = add_case(store, "B1", "Family A")
    store.close()
    app = make_app(db)
    async with app.run_test(size=(100, 32)) as pilot:
        await _start_form(pilot, case=case_id, role="Health Visitor", lead=REAL_NAME)
        assert isinstance(app.screen, Choice) and "Lead interviewer" in app.screen.title_text
        app.screen.query_one("#choices").highlighted = 1  # "Start anyway"
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ConversationScreen)
    assert _conversations(db) == ["Health Visitor"]


async def test_correcting_a_role_label_that_was_a_name_offers_to_remove_it_for_good(tmp_path):
    db = tmp_path / "lt.db"
    conversation_id = _conversation(db, role=REAL_NAME)
    app = make_app(db)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        app.push_screen(MomentsScreen(Conversation(app.store, app.structure, conversation_id)))
        await pilot.pause()
        await pilot.press("l")
        await pilot.pause()
        assert isinstance(app.screen, Choice) and "looks like a person's name" in app.screen.title_text
        await pilot.press("enter")  # the default: remove it for good
        await pilot.pause()
        assert isinstance(app.screen, TextPrompt)
        await fill(pilot, **{"field-practitioner_role": "Health Visitor 1",
                             "field-reason": "A real name was typed"})
        await pilot.click("#ok")
        await pilot.pause()
        assert not isinstance(app.screen, TextPrompt)
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        assert conn.execute("SELECT old_value, reason FROM revisions").fetchall() == [
            ("[a person's name, removed]", "A real name was typed")]
    assert REAL_NAME.encode() not in db.read_bytes()


async def test_correcting_a_label_that_was_no_name_asks_nothing_and_keeps_it(tmp_path):
    db = tmp_path / "lt.db"
    conversation_id = _conversation(db)
    app = make_app(db)
    async with app.run_test(size=(120, 40)) as pilot:
        app.push_screen(MomentsScreen(Conversation(app.store, app.structure, conversation_id)))
        await pilot.pause()
        await pilot.press("l")
        await pilot.pause()
        assert isinstance(app.screen, TextPrompt)
        await fill(pilot, **{"field-agency": "Community Health", "field-reason": "Wrong agency"})
        await pilot.click("#ok")
        await pilot.pause()
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT old_value FROM revisions").fetchall() == [("Health",)]
