"""Small fixes the lead reviewer asked for, through Pilot on a real SQLite file: the prepare picker filters
as it is typed in, the Notes tab takes typing into its search box, the finding form's error is seen, and
impossible arrangements are refused with the dialog kept open."""

from __future__ import annotations

from assistant.cases import list_cases
from assistant.casegroup import add_member, list_members
from assistant.cases import add_case
from assistant.demo import generate_demo
from assistant.store import open_store
from assistant.tui.screens.case_group import CaseGroupScreen
from assistant.tui.screens.dialogs import Choice, TextPrompt
from assistant.tui.screens.review import ReviewScreen
from assistant.tui.screens.review.finding_form import FindingScreen
from assistant.tui.widgets.safe_inputs import SafeInput, SafeTextArea

from tests.tui.helpers import fill, make_app
from tests.tui.test_review import settle


def _demo(tmp_path, structure, cases=3):
    db = tmp_path / "demo.db"
    store = open_store(db)
    generate_demo(store, structure, cases=cases, conversations=2, notes=20, seed=1)
    references = {c["reference"]: c["id"] for c in list_cases(store)}
    store.close()
    return db, references


async def test_the_prepare_picker_narrows_to_what_is_typed(tmp_path, structure):
    db, references = _demo(tmp_path, structure)
    assert {"DEMO-1-001", "DEMO-1-003"} <= set(references)
    app = make_app(db)
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.press("p")
        await pilot.pause()
        assert isinstance(app.screen, Choice)
        await pilot.press("0", "0", "1")
        await pilot.pause()
        assert app.screen.query_one("#choices").option_count == 1
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, CaseGroupScreen)
        assert app.screen.case_id == references["DEMO-1-001"]


async def _open_notes(pilot, case_id):
    pilot.app.push_screen(ReviewScreen(case_id))
    await settle(pilot)
    screen = pilot.app.screen
    for _ in range(4):  # Coverage, Episodes, Story, Influences, then Notes
        await pilot.press("greater_than_sign")
        await settle(pilot)
    assert screen.query_one("#review-tabs").active == "tab-notes"
    return screen


async def test_typing_on_the_notes_tab_searches_and_runs_no_command(tmp_path, structure):
    db, references = _demo(tmp_path, structure, cases=1)
    case_id = references["DEMO-1-001"]
    store = open_store(db)
    before = store.scalar("SELECT COUNT(*) FROM findings")
    store.close()
    app = make_app(db)
    async with app.run_test(size=(100, 32)) as pilot:
        screen = await _open_notes(pilot, case_id)
        search = screen.query_one("#note-search", SafeInput)
        assert app.focused is search
        await pilot.press("f", "a", "x")
        await settle(pilot)
        assert app.screen is screen  # no finding form, no export dialog
        assert search.value == "fax"
        # Down from the search box reaches the notes found, where the review's keys work again.
        await pilot.press("backspace", "backspace", "backspace")
        await settle(pilot)
        await pilot.press("down")
        await pilot.pause()
        assert app.focused is screen.query_one("#note-results")
        await pilot.press("f")
        await pilot.pause()
        assert isinstance(app.screen, FindingScreen)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen
        # From the search box, > still moves on to the next tab rather than being typed.
        screen.query_one("#note-search").focus()
        await pilot.pause()
        await pilot.press("greater_than_sign")
        await settle(pilot)
        assert search.value == "" and screen.query_one("#review-tabs").active == "tab-findings"
    store = open_store(db)
    assert store.scalar("SELECT COUNT(*) FROM findings") == before
    store.close()


async def test_a_finding_without_a_statement_says_so_where_it_is_seen(tmp_path, structure):
    db, references = _demo(tmp_path, structure, cases=1)
    app = make_app(db)
    async with app.run_test(size=(100, 32)) as pilot:
        app.push_screen(ReviewScreen(references["DEMO-1-001"]))
        await settle(pilot)
        await pilot.press("f")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, FindingScreen)
        statement = form.query_one("#finding-statement", SafeTextArea)
        assert app.focused is statement  # the form opens at its top
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is form
        assert str(form.query_one("#finding-error").render()) == "A finding needs a statement."
        # Seen on the screen as drawn, not below the part of the form in view.
        assert "A finding needs a statement." in app.export_screenshot().replace("&#160;", " ")
        # From further down the form, the statement field takes the focus, to be written at once.
        form.query_one("#finding-episodes").focus()
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.focused is statement


async def test_an_impossible_date_or_time_keeps_the_dialog_open_with_what_was_typed(tmp_path):
    db = tmp_path / "lt.db"
    store = open_store(db)
    case_id = add_case(store, "CSPR-2026-04", "Family A")
    add_member(store, case_id, "Health Visitor 1")
    store.close()
    app = make_app(db)
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.press("p")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, CaseGroupScreen)
        await pilot.press("t")
        await pilot.pause()
        for date, time, words in (("2026-02-30", "10:00", "not a date that exists"),
                                  ("2026-03-03", "25:99", "not a time of day")):
            dialog = app.screen
            assert isinstance(dialog, TextPrompt)
            await fill(pilot, **{"field-date": date, "field-time": time, "field-place": "Room 2"})
            await pilot.press("ctrl+s")
            await pilot.pause()
            assert app.screen is dialog
            assert words in str(dialog.query_one("#prompt-error").render())
            assert dialog.query_one("#field-date", SafeInput).value == date
            assert dialog.query_one("#field-time", SafeInput).value == time
        await fill(pilot, **{"field-date": "2026-03-03", "field-time": "2:30pm"})
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, CaseGroupScreen)
    store = open_store(db)
    member = list_members(store, case_id)[0]
    assert (member["meeting_date"], member["meeting_time"], member["meeting_place"]) == ("2026-03-03", "2:30pm",
                                                                                         "Room 2")
    store.close()
