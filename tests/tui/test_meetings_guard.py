"""Guard rails in the Meetings and Report tabs, through Pilot on a real SQLite file: a person recorded
once per meeting and by role, never a name; Esc asks before a typed meeting or challenge is thrown away;
the response and people dialogs say what they act on; telling twice says so; the Report tab starts on the
newest version and its sign-off dialog lists what is still open."""

from __future__ import annotations

from assistant.meetings import add_challenge, add_meeting, challenge_log, list_meetings, respond
from assistant.report import draft_report, report_versions
from assistant.store import open_store
from assistant.structure import load_structure
from assistant.tui.screens.dialogs import Choice, TextPrompt

from tests.tui.helpers import fill, make_app
from tests.tui.test_review import open_workspace, settle
from tests.tui.test_review_meetings import _case_with_findings, _choose, _said, _submit
from tests.tui.test_review_revisions import _tab


def _error(app) -> str:
    return str(app.screen.query_one("#prompt-error").render())


def _dialog_text(app) -> str:
    return " ".join(str(s.render()) for s in app.screen.query("Static"))


async def _meetings_tab(pilot):
    await open_workspace(pilot)
    await _tab(pilot, "tab-meetings")
    listing = pilot.app.screen.query_one("#meeting-list")
    listing.focus()
    await pilot.pause()
    return listing


async def test_a_person_is_added_once_per_meeting_by_role_never_a_name(tmp_path):
    db, case_id, fax, _ = _case_with_findings(tmp_path)
    store = open_store(db)
    add_meeting(store, case_id, "first", "2026-05-04")
    store.close()
    app = make_app(db)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await _meetings_tab(pilot)
        await pilot.press("p")
        assert "First follow-on meeting · 2026-05-04" in _dialog_text(app)
        await _choose(pilot, 0)
        assert "First follow-on meeting · 2026-05-04" in _dialog_text(app)
        await _submit(pilot, role="Social Worker 1", agency="Children's services")
        assert not isinstance(app.screen, TextPrompt)

        await pilot.press("p")
        await _choose(pilot, 1)
        await _submit(pilot, role="Social Worker 1", agency="Children's services", consult="a call")
        assert isinstance(app.screen, TextPrompt)
        assert "already recorded at this meeting as attending" in _error(app)

        await _submit(pilot, role="Jane Smith", agency="Health", consult="a call")
        assert isinstance(app.screen, TextPrompt)
        assert "looks like a person's name — use a role label" in _error(app)
        assert app.screen.query_one("#field-consult").value == "a call"
        await _submit(pilot, role="Health Visitor 1")
        assert not isinstance(app.screen, TextPrompt)
        (meeting,) = list_meetings(app.store, case_id)
        assert [(p["role"], p["attended"]) for p in meeting["attendees"] + meeting["absentees"]] == [
            ("Social Worker 1", 1), ("Health Visitor 1", 0)]


async def _escape_after_typing(pilot, field: str, words: str) -> None:
    """Type into a dialog's field, press Esc and check the question comes with Keep editing first."""
    await fill(pilot, **{f"field-{field}": words})
    await pilot.press("escape")
    await pilot.pause()
    assert isinstance(pilot.app.screen, Choice)
    assert "Discard what you typed?" in _dialog_text(pilot.app)
    assert pilot.app.screen.query_one("#choices").highlighted == 0
    assert "Keep editing" in str(pilot.app.screen.query_one("#choices").get_option_at_index(0).prompt)


async def test_esc_asks_before_a_typed_meeting_or_challenge_is_thrown_away(tmp_path):
    db, case_id, fax, _ = _case_with_findings(tmp_path)
    app = make_app(db)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await _meetings_tab(pilot)
        screen = app.screen
        # An untouched dialog closes at once.
        await pilot.press("n")
        await _choose(pilot, 0)
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen

        await pilot.press("n")
        await _choose(pilot, 0)
        await _escape_after_typing(pilot, "facilitators", "Lead reviewer, Reviewer 2")
        await pilot.press("enter")  # Keep editing
        await pilot.pause()
        assert isinstance(app.screen, TextPrompt)
        assert app.screen.query_one("#field-facilitators").value == "Lead reviewer, Reviewer 2"
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("escape")  # Esc on the question keeps editing too
        await pilot.pause()
        assert isinstance(app.screen, TextPrompt)
        await _submit(pilot, date="2026-05-04")
        assert len(list_meetings(app.store, case_id)) == 1

        await pilot.press("a")
        await _choose(pilot, typed=list("methodology"))
        await _choose(pilot, 0)
        await _escape_after_typing(pilot, "text", "Name the health agencies.")
        await _choose(pilot, 1)  # Discard
        assert app.screen is screen and challenge_log(app.store, case_id) == []


async def test_respond_and_told_say_what_they_act_on(tmp_path):
    db, case_id, fax, (finding,) = _case_with_findings(tmp_path)
    store = open_store(db)
    meeting = add_meeting(store, case_id, "first", "2026-05-04")
    told = add_challenge(store, meeting, f"finding:{finding}", "Probation Officer", "correction",
                         "It was two faxes, not one.")
    respond(store, told, "accepted")
    add_challenge(store, meeting, "section:methodology", "Health Visitor", "suggested-change",
                             "Name the health agencies.")
    store.close()
    app = make_app(db)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        listing = await _meetings_tab(pilot)
        listing.highlighted = 2
        await pilot.press("r")
        await _choose(pilot, 3)  # to check
        shown = _dialog_text(app)
        assert "Name the health agencies." in shown and "Report section · " in shown and "Methodology" in shown
        assert "Raised by Health Visitor" in shown
        await _submit(pilot)
        await pilot.press("t")
        await settle(pilot)
        assert _said(app)[-1] == "The team is still checking this challenge; tell them once the team has decided."
        assert challenge_log(app.store, case_id)[1]["raiser_told"] == 0

        listing.highlighted = 1
        await pilot.press("t")
        await settle(pilot)
        assert _said(app)[-1] == "Recorded: the person who raised it has been told."
        await pilot.press("t")
        await settle(pilot)
        assert _said(app)[-1] == "They were already told; nothing changed."
        assert [c["raiser_told"] for c in challenge_log(app.store, case_id)] == [1, 0]


async def test_the_report_tab_starts_on_the_newest_version_and_sign_off_lists_what_is_open(tmp_path):
    db, case_id, fax, (finding,) = _case_with_findings(tmp_path)
    store = open_store(db)
    meeting = add_meeting(store, case_id, "accuracy", "2026-07-01")
    add_challenge(store, meeting, "section:story", "Social Worker 1", "correction", "The date is wrong.")
    structure = load_structure()
    draft_report(store, structure, case_id)
    draft_report(store, structure, case_id)
    store.close()
    app = make_app(db)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await open_workspace(pilot)
        screen = app.screen
        await _tab(pilot, "tab-report")
        table = screen.query_one("#report-versions")
        table.focus()
        await pilot.pause()
        assert table.cursor_row == 1

        await pilot.press("s")
        await pilot.pause()
        shown = _dialog_text(app)
        assert "Sign off version 2" in shown
        assert "Still open: 1 challenge has no response yet; no accuracy check is recorded for version 2." in shown
        await _submit(pilot, by="Safeguarding partners' chair")
        assert app.screen is screen
        await pilot.press("s")
        await _submit(pilot, by="Safeguarding partners' chair")
        assert isinstance(app.screen, TextPrompt)
        assert "already signed off by Safeguarding partners' chair" in _error(app)
        assert report_versions(app.store, case_id)[1]["signed_by"] == ["Safeguarding partners' chair"]
