"""Correcting the case group in the app, through Pilot on a real database file: E edits a member (a
name typed by mistake is not kept), X removes one after asking, C links a member to their conversation
already held, and a member added to match a conversation is linked by itself."""

from __future__ import annotations

from contextlib import closing
import sqlite3

from assistant.casegroup import NAME_REMOVED, add_member, list_members
from assistant.cases import add_case
from assistant.conversation import Conversation
from assistant.store import open_store
from assistant.tui.screens.case_group import CaseGroupScreen
from assistant.tui.screens.dialogs import TextPrompt
from assistant.workflows import start_conversation

from tests.tui.helpers import choose_option as _choose, confirm_prompt as _prompt, make_app


def _messages(app) -> list[str]:
    return [n.message for n in app._notifications]


def _cells(table) -> list[list[str]]:
    return [[str(getattr(cell, "plain", cell)) for cell in table.get_row_at(i)] for i in range(table.row_count)]


def _revisions(db) -> list[tuple[str, str, str]]:
    with closing(sqlite3.connect(db)) as conn:
        return conn.execute("SELECT field, old_value, reason FROM revisions WHERE entity = 'case_group_member'"
                            " ORDER BY rowid").fetchall()


def _prepared_case(db, structure, *roles: str) -> str:
    """A case whose health visitor's conversation is already sent for checking, with `roles` added."""
    store = open_store(db)
    case_id = add_case(store, "CSPR-2026-04", "Family A")
    held = start_conversation(store, structure, case_id, practitioner_role="Health Visitor",
                              agency="Community Health").conversation_id
    Conversation(store, structure, held).set_status("sent_for_checking")
    for role in roles:
        add_member(store, case_id, role, "Education")
    store.close()
    return held


async def _open(pilot) -> CaseGroupScreen:
    await pilot.press("p")
    await pilot.pause()
    await pilot.press("enter")
    await pilot.pause()
    assert isinstance(pilot.app.screen, CaseGroupScreen)
    return pilot.app.screen






async def test_a_name_typed_as_a_role_label_is_replaced_and_not_kept(tmp_path, structure):
    db = tmp_path / "lt.db"
    _prepared_case(db, structure)
    app = make_app(db)
    async with app.run_test(size=(100, 32), notifications=True) as pilot:
        screen = await _open(pilot)
        await pilot.press("a")
        await pilot.pause()
        await _prompt(pilot, role="John Smith", agency="Education")
        assert any("looks like a person's name" in m and "(E)" in m for m in _messages(app))
        await pilot.press("e")
        await pilot.pause()
        await _choose(pilot, 0)  # yes, it is a name
        assert isinstance(app.screen, TextPrompt)
        assert app.screen.query_one("#field-role").value == ""  # the name is not offered back
        await _prompt(pilot, role="Teacher 1", reason="A name was typed by mistake")
        assert [row[0] for row in _cells(screen.query_one("#members"))] == ["Teacher 1"]
    assert _revisions(db) == [("role", NAME_REMOVED, "A name was typed by mistake")]
    assert b"John Smith" not in db.read_bytes()


async def test_an_edit_keeps_the_earlier_label_and_links_the_conversation_it_now_fits(tmp_path, structure):
    db = tmp_path / "lt.db"
    held = _prepared_case(db, structure, "Health Visitr")
    app = make_app(db)
    async with app.run_test(size=(100, 32), notifications=True) as pilot:
        screen = await _open(pilot)
        await pilot.press("e")
        await pilot.pause()
        await _prompt(pilot, role="Health Visitor", agency="Community Health", reason="")
        assert isinstance(app.screen, TextPrompt)  # a reason is needed: the dialog stays, nothing changed
        assert list_members(app.store, screen.case_id)[0]["role"] == "Health Visitr"
        await _prompt(pilot, reason="Spelling and agency")
        assert _cells(screen.query_one("#members"))[0][:2] == ["Health Visitor", "✎ record sent for checking"]
        assert any(m.startswith("Linked to the conversation") for m in _messages(app))
        assert list_members(app.store, screen.case_id)[0]["conversation_id"] == held
    assert _revisions(db) == [("role", "Health Visitr", "Spelling and agency"),
                              ("agency", "Education", "Spelling and agency")]


async def test_adding_the_member_of_a_conversation_already_held_links_it(tmp_path, structure):
    db = tmp_path / "lt.db"
    _prepared_case(db, structure)
    app = make_app(db)
    async with app.run_test(size=(100, 32), notifications=True) as pilot:
        screen = await _open(pilot)
        await pilot.press("a")
        await pilot.pause()
        await _prompt(pilot, role="Health Visitor", agency="Community Health")
        assert _cells(screen.query_one("#members"))[0][:3] == [
            "Health Visitor", "✎ record sent for checking", "wait for the accuracy check"]
        assert any(m.startswith("Linked to the conversation") for m in _messages(app))


async def test_a_member_is_linked_by_hand_and_then_cannot_be_removed(tmp_path, structure):
    db = tmp_path / "lt.db"
    held = _prepared_case(db, structure, "Health Visitor 1")  # agency Education: does not fit by itself
    app = make_app(db)
    async with app.run_test(size=(100, 32), notifications=True) as pilot:
        screen = await _open(pilot)
        assert _cells(screen.query_one("#members"))[0][1] == "○ to invite"
        await pilot.press("c")
        await pilot.pause()
        assert "Health Visitor, Community Health" in str(app.screen.query_one("#choices").get_option_at_index(0).prompt)
        await _choose(pilot, 0)
        assert _cells(screen.query_one("#members"))[0][1] == "✎ record sent for checking"
        assert list_members(app.store, screen.case_id)[0]["conversation_id"] == held
        await pilot.press("x")
        await pilot.pause()
        assert isinstance(app.screen, CaseGroupScreen)
        assert any("cannot be removed" in m for m in _messages(app))
        assert len(list_members(app.store, screen.case_id)) == 1


async def test_a_member_added_by_mistake_is_removed_after_asking(tmp_path, structure):
    db = tmp_path / "lt.db"
    _prepared_case(db, structure, "Teacher 1", "Teacher 2")
    app = make_app(db)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        screen = await _open(pilot)
        screen.query_one("#members").move_cursor(row=1)
        await pilot.press("x")
        await pilot.pause()
        await _choose(pilot, 1)  # keep them
        assert len(list_members(app.store, screen.case_id)) == 2
        await pilot.press("x")
        await pilot.pause()
        await _choose(pilot, 0)
        await _prompt(pilot, reason="Added twice")
        assert [row[0] for row in _cells(screen.query_one("#members"))] == ["Teacher 1"]
    assert _revisions(db)[0][0] == "removed" and "Teacher 2" in _revisions(db)[0][1]


async def test_arrangements_typed_with_markup_are_shown_as_typed(tmp_path, structure):
    db = tmp_path / "lt.db"
    _prepared_case(db, structure, "Teacher 1")
    app = make_app(db)
    async with app.run_test(size=(100, 32), notifications=True) as pilot:
        screen = await _open(pilot)
        await pilot.press("t")
        await pilot.pause()
        await _prompt(pilot, date="Tuesday 3 March", time="10:00", place="[bold]HQ[/bold]")
        detail = screen.query_one("#prepare-detail").render()
        assert "Arrangements: Tuesday 3 March, 10:00, [bold]HQ[/bold]" in str(detail)
        assert not any(span.style == "bold" and str(detail)[span.start:span.end] == "HQ" for span in detail.spans)
        # The README keeps "arranged" for the lead to record (S): the date and place go into the letter first.
        assert _cells(screen.query_one("#members"))[0][1] == "○ to invite"
