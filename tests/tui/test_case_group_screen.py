"""Preparing a case in the app (P on the home screen): the case group and the review's questions, through
Pilot on a real database file, checked against what the database holds afterwards."""

from __future__ import annotations

import stat

import pytest

from assistant.casegroup import add_member, list_members, set_arrangements, set_member_status
from assistant.cases import add_case
from assistant.review_questions import add_question, list_questions
from assistant.store import open_store
from assistant.tui.screens.case_group import CaseGroupScreen
from assistant.tui.screens.dialogs import Choice, TextPrompt

from tests.tui.helpers import choose_option as _choose, confirm_prompt as _prompt, make_app

SIZES = [(100, 32), (80, 24)]


def _case(db, reference="CSPR-2026-04", label="Family A") -> str:
    store = open_store(db)
    case_id = add_case(store, reference, label)
    store.close()
    return case_id


def _messages(app) -> list[str]:
    return [n.message for n in app._notifications]


def _cells(table) -> list[list[str]]:
    return [[str(getattr(cell, "plain", cell)) for cell in table.get_row_at(i)] for i in range(table.row_count)]


async def _open_preparation(pilot) -> CaseGroupScreen:
    await pilot.press("p")
    await pilot.pause()
    assert isinstance(pilot.app.screen, Choice)
    await pilot.press("enter")
    await pilot.pause()
    assert isinstance(pilot.app.screen, CaseGroupScreen)
    return pilot.app.screen






async def _add_member(pilot, role: str, agency: str) -> None:
    await pilot.press("a")
    await pilot.pause()
    await _prompt(pilot, role=role, agency=agency)


async def test_a_lead_adds_the_case_group_sends_a_letter_records_a_decline_and_sets_the_questions(tmp_path):
    db = tmp_path / "lt.db"
    case_id = _case(db)
    app = make_app(db)
    async with app.run_test(size=(100, 32), notifications=True) as pilot:
        screen = await _open_preparation(pilot)
        await _add_member(pilot, "Health Visitor 1", "Community Health")
        await _add_member(pilot, "Social Worker 1", "Children's Services")
        await _add_member(pilot, "GP", "Primary Care")
        members = screen.query_one("#members")
        assert [row[:3] for row in _cells(members)] == [
            ["Health Visitor 1", "○ to invite", "send the introductory letter"],
            ["Social Worker 1", "○ to invite", "send the introductory letter"],
            ["GP", "○ to invite", "send the introductory letter"]]

        # The first member's arrangements, then the letter as Word, recorded as sent.
        members.move_cursor(row=0)
        await pilot.press("t")
        await pilot.pause()
        await _prompt(pilot, date="Tuesday 3 March", time="10:00", place="Room 2, Civic Centre")
        await pilot.press("l")
        await pilot.pause()
        await _choose(pilot, 0)
        assert _cells(members)[0][1] == "✉ letter sent"
        assert _cells(members)[0][2] == "arrange the conversation"

        # The second declines, with a reason kept beside them.
        members.move_cursor(row=1)
        await pilot.press("s")
        await pilot.pause()
        await _choose(pilot, 3)
        await _prompt(pilot, reason="On long-term leave until the autumn")
        assert _cells(members)[1][1] == "– declined"
        assert _cells(members)[1][2] == "reason: On long-term leave until…"

        # The review's questions: two added, one edited.
        questions = screen.query_one("#questions")
        questions.focus()
        await pilot.pause()
        for text in ("How did agencies share what they knew about the baby's health?",
                     "What helped or hindered hearing the mother's own account?"):
            await pilot.press("a")
            await pilot.pause()
            await _prompt(pilot, text=text)
        questions.move_cursor(row=1)
        await pilot.press("e")
        await pilot.pause()
        await _prompt(pilot, text="What helped or hindered practitioners in hearing the mother's account?")
        assert [row[1] for row in _cells(questions)] == ["✗ unanswered", "✗ unanswered"]
        title = str(screen.query_one("#prepare-title").render())
        assert "3 members, 2 outstanding" in title and "2 not yet answered" in title
        assert not any(m.startswith("An unexpected") for m in _messages(app)), _messages(app)

    store = open_store(db)
    by_role = {m["role"]: m for m in list_members(store, case_id)}
    assert by_role["Health Visitor 1"]["status"] == "letter_sent"
    assert by_role["Health Visitor 1"]["letter_sent_at"]
    assert by_role["Health Visitor 1"]["meeting_place"] == "Room 2, Civic Centre"
    assert (by_role["Social Worker 1"]["status"], by_role["Social Worker 1"]["reason"]) == (
        "declined", "On long-term leave until the autumn")
    assert by_role["GP"]["status"] == "to_invite"
    assert [q["text"] for q in list_questions(store, case_id)] == [
        "How did agencies share what they knew about the baby's health?",
        "What helped or hindered practitioners in hearing the mother's account?"]
    store.close()
    letters = list((tmp_path / "exports").glob("letter-*.docx"))
    assert len(letters) == 1 and letters[0].stat().st_size > 0
    assert stat.S_IMODE(letters[0].stat().st_mode) == 0o600


async def test_a_markdown_draft_is_written_without_recording_it_sent(tmp_path):
    db = tmp_path / "lt.db"
    case_id = _case(db)
    store = open_store(db)
    member = add_member(store, case_id, "Police Officer 2", "Police")
    set_arrangements(store, member, date="Friday 6 March", place="Police Station, Room 4")
    store.close()
    app = make_app(db)
    async with app.run_test(size=(100, 32), notifications=True) as pilot:
        screen = await _open_preparation(pilot)
        await pilot.press("l")
        await pilot.pause()
        await _choose(pilot, 3)
        assert _cells(screen.query_one("#members"))[0][1] == "○ to invite"
    letters = list((tmp_path / "exports").glob("letter-*.md"))
    assert len(letters) == 1
    text = letters[0].read_text()
    assert "Police Officer 2, Police" in text and "Police Station, Room 4" in text
    store = open_store(db)
    assert list_members(store, case_id)[0]["status"] == "to_invite"
    store.close()


async def test_a_decline_without_a_reason_stays_in_the_dialog_and_changes_nothing(tmp_path):
    db = tmp_path / "lt.db"
    case_id = _case(db)
    store = open_store(db)
    add_member(store, case_id, "Teacher", "School")
    store.close()
    app = make_app(db)
    async with app.run_test(size=(100, 32), notifications=True) as pilot:
        await _open_preparation(pilot)
        await pilot.press("s")
        await pilot.pause()
        await _choose(pilot, 4)  # absent
        await _prompt(pilot, reason="no")
        assert isinstance(app.screen, TextPrompt)
        error = str(app.screen.query_one("#prompt-error").render())
        assert error == "Recording a member as absent needs a reason, which is kept with them."
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, CaseGroupScreen)
    store = open_store(db)
    assert list_members(store, case_id)[0]["status"] == "to_invite"
    store.close()


async def test_a_question_is_removed_only_after_confirming(tmp_path):
    db = tmp_path / "lt.db"
    case_id = _case(db)
    store = open_store(db)
    add_question(store, case_id, "How were the family's own views heard?")
    add_question(store, case_id, "What shaped the decision to close the case?")
    store.close()
    app = make_app(db)
    async with app.run_test(size=(100, 32), notifications=True) as pilot:
        screen = await _open_preparation(pilot)
        screen.query_one("#questions").focus()
        await pilot.pause()
        await pilot.press("d")
        await pilot.pause()
        await _choose(pilot, 1)  # keep it
        await pilot.press("d")
        await pilot.pause()
        await _choose(pilot, 0)  # remove it
        assert [row[2] for row in _cells(screen.query_one("#questions"))] == [
            "What shaped the decision to close the case?"]
    store = open_store(db)
    assert [q["text"] for q in list_questions(store, case_id)] == ["What shaped the decision to close the case?"]
    store.close()


async def test_a_new_case_can_be_created_for_its_preparation_and_home_counts_who_is_outstanding(tmp_path):
    db = tmp_path / "lt.db"
    app = make_app(db)
    async with app.run_test(size=(100, 32), notifications=True) as pilot:
        await pilot.press("p")
        await pilot.pause()
        await _choose(pilot, 0)  # the only option: "+ A new case…"
        await _prompt(pilot, reference="LCSPR-2026-07", label="Family B")
        assert isinstance(app.screen, CaseGroupScreen)
        await _add_member(pilot, "Health Visitor", "Community Health")
        await _add_member(pilot, "Midwife", "Maternity Services")
        await pilot.press("escape")
        await pilot.pause()
        intro = str(app.screen.query_one("#home-intro").render())
        assert "LCSPR-2026-07: 2 outstanding" in intro


async def test_markup_in_a_role_label_is_shown_as_typed(tmp_path):
    db = tmp_path / "lt.db"
    case_id = _case(db)
    store = open_store(db)
    add_member(store, case_id, "[bold red]Duty Worker[/]", "Early Help")
    store.close()
    app = make_app(db)
    async with app.run_test(size=(100, 32), notifications=True) as pilot:
        screen = await _open_preparation(pilot)
        assert _cells(screen.query_one("#members"))[0][0] == "[bold red]Duty Worker[/]"
        detail = str(screen.query_one("#prepare-detail").render())
        assert "[bold red]Duty Worker[/]" in detail


def _prepared_app(tmp_path):
    db = tmp_path / "lt.db"
    case_id = _case(db)
    store = open_store(db)
    first = add_member(store, case_id, "Health Visitor 1", "Community Health")
    set_arrangements(store, first, date="Tuesday 3 March", time="10:00", place="Room 2, Civic Centre")
    set_member_status(store, first, "arranged")
    add_member(store, case_id, "Social Worker 1", "Children's Services")
    declined = add_member(store, case_id, "GP", "Primary Care")
    set_member_status(store, declined, "declined", "On long-term leave until the autumn")
    add_question(store, case_id, "How did agencies share what they knew about the baby's health?")
    add_question(store, case_id, "What helped or hindered hearing the mother's own account?")
    store.close()
    return make_app(db)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_preparation_snapshot(snap_compare, tmp_path, size):
    assert snap_compare(_prepared_app(tmp_path), terminal_size=size, press=["p", "enter"])


async def test_help_lists_the_preparation_keys_from_the_home_screen(tmp_path, monkeypatch):
    """As in a fresh app, where the preparation screen's module has not been loaded yet."""
    import sys

    import assistant.tui.screens
    from assistant.tui import keys

    monkeypatch.setattr(keys, "_GROUPS", {t: v for t, v in keys._GROUPS.items() if not t.startswith("Preparing")})
    monkeypatch.delitem(sys.modules, "assistant.tui.screens.case_group")
    monkeypatch.delattr(assistant.tui.screens, "case_group")
    app = make_app(tmp_path / "lt.db")
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.press("f1")
        await pilot.pause()
        text = str(app.screen.query_one("#help-text").render())
    assert "Prepare" in text
    for title in ("Preparing a case: the case group", "Preparing a case: the review's questions"):
        assert title in text
    assert "Time and place" in text and "Add question" in text


async def test_a_letter_that_cannot_be_written_is_one_sentence_and_the_member_stays_to_invite(tmp_path):
    db = tmp_path / "lt.db"
    case_id = _case(db)
    store = open_store(db)
    add_member(store, case_id, "Health Visitor 1", "Community Health")
    store.close()
    (tmp_path / "exports").write_text("a file where the exports folder would be")
    app = make_app(db)
    async with app.run_test(size=(100, 32), notifications=True) as pilot:
        screen = await _open_preparation(pilot)
        await pilot.press("l")
        await pilot.pause()
        await _choose(pilot, 0)
        assert app.screen is screen
        errors = [n.message for n in app._notifications if n.severity == "error"]
        assert len(errors) == 1 and errors[0].startswith("Cannot write letter-"), errors
        assert errors[0].endswith("nothing was exported.") and errors[0].count(". ") == 0
        assert _cells(screen.query_one("#members"))[0][1] == "○ to invite"
    store = open_store(db)
    assert list_members(store, case_id)[0]["status"] == "to_invite"
    store.close()


async def test_a_member_whose_conversation_started_follows_it_and_refuses_a_status(tmp_path):
    from assistant.structure import load_structure
    from assistant.workflows import start_conversation

    db = tmp_path / "lt.db"
    case_id = _case(db)
    store = open_store(db)
    member = add_member(store, case_id, "Social Worker 1", "Children's Services")
    set_member_status(store, member, "arranged")
    start_conversation(store, load_structure(), case_id, practitioner_role="", member_id=member)
    store.close()
    app = make_app(db)
    async with app.run_test(size=(100, 32), notifications=True) as pilot:
        screen = await _open_preparation(pilot)
        assert _cells(screen.query_one("#members"))[0][1:3] == ["▶ conversation held", "send the record for checking"]
        assert "Their conversation has started" in str(screen.query_one("#prepare-detail").render())
        await pilot.press("s")
        await pilot.pause()
        await _choose(pilot, 0)  # back to "to invite": refused, in one sentence
        assert app.screen is screen
        assert _messages(app)[-1] == ("This member's conversation has started, so their status follows its "
                                      "conversation's record.")
        assert _cells(screen.query_one("#members"))[0][1] == "▶ conversation held"


async def test_escapes_in_merged_text_never_reach_the_terminal_and_a_name_gets_a_gentle_warning(tmp_path):
    db = tmp_path / "lt.db"
    case_id = _case(db)
    store = open_store(db)
    member = add_member(store, case_id, "Placeholder", "Agency")
    # As a row merged from a pair's file might arrive: written past the app's own input cleaning.
    with store.write() as conn:
        conn.execute("UPDATE case_group_members SET role = ?, reason = ? WHERE id = ?",
                     ("Duty\x1b[2J Worker", "\x1b]0;title\x07", member))
    store.close()
    app = make_app(db)
    async with app.run_test(size=(100, 32), notifications=True) as pilot:
        screen = await _open_preparation(pilot)
        shown = _cells(screen.query_one("#members"))[0][0] + str(screen.query_one("#prepare-detail").render())
        assert "\x1b" not in shown and "Worker" in shown
        await _add_member(pilot, "John Smith", "Police")
        assert any("looks like a person's name" in m for m in _messages(app)), _messages(app)


async def test_the_whole_question_shows_below_when_the_questions_have_focus(tmp_path):
    db = tmp_path / "lt.db"
    case_id = _case(db)
    long_question = "How did " + "the agencies' different thresholds for concern " * 6 + "shape what happened?"
    store = open_store(db)
    add_question(store, case_id, long_question)
    store.close()
    app = make_app(db)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        screen = await _open_preparation(pilot)
        assert "No members yet" in str(screen.query_one("#prepare-detail").render())
        await pilot.press("tab")
        await pilot.pause()
        assert screen.focused is screen.query_one("#questions")
        detail = " ".join(str(screen.query_one("#prepare-detail").render()).split())
        assert detail == "1. " + " ".join(long_question.split())
