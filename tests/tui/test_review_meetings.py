"""After the conversations, through Pilot as a lead reviewer would: a first follow-on meeting with who
came and who was absent, three challenges (about an episode, a finding and a report section) and the
team's responses, the person told; the report drafted in versions, compared, signed off and written as
Markdown and Word; findings moved in the priority order."""

from __future__ import annotations

import docx

from assistant.casegroup import add_member
from assistant.meetings import add_challenge, add_meeting, challenge_log, list_meetings, respond
from assistant.report import FINDING_TITLES, SECTION_TITLES, prioritised_findings, report_versions
from assistant.review import add_finding
from assistant.revisions import edit_finding
from assistant.store import open_store
from assistant.structure import load_structure
from assistant.tui.screens.dialogs import Choice, TextPrompt

from tests.tui.helpers import fill, make_app
from tests.tui.test_review import lead_database, open_workspace, settle
from tests.tui.test_review_revisions import _episodes_ready, _footer_keys, _tab

FINDING = dict(statement="Faxes are trusted as delivered.", in_this_case="The concern form went by fax alone.",
               systemic_evidence="Three other teams said the same.", why_it_matters="Concerns can be lost.",
               questions="How do partners confirm a referral has arrived?")


def _case_with_findings(tmp_path, count=1):
    db = lead_database(tmp_path)
    case_id, fax, meeting = _episodes_ready(db)
    store = open_store(db)
    structure = load_structure()
    found = [add_finding(store, structure, case_id, "pattern_crisis", case_episode_ids=[fax],
                         **dict(FINDING, statement=f"{FINDING['statement']} ({n})" if n else FINDING["statement"]))
             for n in range(count)]
    store.close()
    return db, case_id, fax, found


def _said(app):
    return [n.message for n in app._notifications]


def _option_text(screen, list_id, index):
    return str(screen.query_one(f"#{list_id}").get_option_at_index(index).prompt)


async def _choose(pilot, index=0, typed=None):
    """In an open Choice: type to filter (a filterable one) or highlight by position, then Enter."""
    assert isinstance(pilot.app.screen, Choice)
    if typed is not None:
        await pilot.press(*typed)
    else:
        pilot.app.screen.query_one("#choices").highlighted = index
    await pilot.pause()
    await pilot.press("enter")
    await pilot.pause()


async def _submit(pilot, **values):
    assert isinstance(pilot.app.screen, TextPrompt)
    await fill(pilot, **{f"field-{k}": v for k, v in values.items()})
    await pilot.click("#ok")
    await settle(pilot)


async def test_a_first_meeting_its_people_three_challenges_and_the_responses(tmp_path):
    db, case_id, fax, (finding,) = _case_with_findings(tmp_path)
    app = make_app(db)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await open_workspace(pilot)
        screen = app.screen
        await _tab(pilot, "tab-meetings")
        keys = _footer_keys(screen)
        assert keys["n"] == "Meeting" and keys["p"] == "People" and keys["a"] == "Challenge" \
            and keys["r"] == "Respond" and keys["t"] == "Told"
        listing = screen.query_one("#meeting-list")
        listing.focus()

        await pilot.press("n")
        await _choose(pilot, 0)
        await _submit(pilot, date="4th May", facilitators="Lead reviewer, Reviewer 2", pack="First pack v1")
        assert isinstance(app.screen, TextPrompt) and list_meetings(app.store, case_id) == []
        assert "'4th May' is not a date; write it as YYYY-MM-DD." in str(app.screen.query_one("#prompt-error").render())
        assert app.screen.query_one("#field-facilitators").value == "Lead reviewer, Reviewer 2"
        await _submit(pilot, date="2026-05-04")
        for role, agency in (("Social Worker 1", "Children's services"), ("Probation Officer", "Probation")):
            await pilot.press("p")
            await _choose(pilot, 0)
            await _submit(pilot, role=role, agency=agency)
        await pilot.press("p")
        await _choose(pilot, 1)
        await _submit(pilot, role="Health Visitor", agency="Health", consult="a call with the lead reviewer")
        (meeting,) = list_meetings(app.store, case_id)
        assert meeting["kind"] == "first" and meeting["pack_version"] == "First pack v1"
        assert [p["role"] for p in meeting["attendees"]] == ["Social Worker 1", "Probation Officer"]
        shown = _option_text(screen, "meeting-list", 0)
        assert "First follow-on meeting · 2026-05-04" in shown and "First pack v1" in shown
        assert "Attended: Social Worker 1 (Children's services); Probation Officer (Probation)" in shown
        assert "Absent: Health Visitor (Health) — to be consulted by a call with the lead reviewer" in shown
        assert screen.focused is listing

        # Three challenges: about an episode, a finding and a report section, each found by typing.
        for typed, kind, by, words in ((["e", "p", "i", "s", "o", "d", "e", "space", "f", "a", "x"], 0,
                                        "Social Worker 1", "The fax was sent on the Friday, not the Monday."),
                                       (list("trusted"), 2, "Probation Officer", "Faxes were checked by phone."),
                                       (list("methodology"), 4, "Health Visitor", "Name the health agencies.")):
            await pilot.press("a")
            await _choose(pilot, typed=typed)
            await _choose(pilot, kind)
            await _submit(pilot, by=by, text=words)
        log = challenge_log(app.store, case_id)
        assert [(c["about_kind"], c["about_id"], c["kind"]) for c in log] == [
            ("episode", fax, "correction"), ("finding", finding, "disputes-appraisal"),
            ("section", "methodology", "suggested-change")]
        assert listing.highlighted == 3  # the challenge just added
        assert "Episode · The fax" in _option_text(screen, "meeting-list", 1)
        assert "Raised by Social Worker 1 · factual correction" in _option_text(screen, "meeting-list", 1)
        assert "Response: no response yet" in _option_text(screen, "meeting-list", 3)

        # Accepted; not accepted, refused without a reason and the dialog kept open, then with one; to check.
        listing.highlighted = 1
        await pilot.press("r")
        await _choose(pilot, 0)
        await _submit(pilot)
        listing.highlighted = 2
        await pilot.press("r")
        await _choose(pilot, 2)
        await _submit(pilot, decided="Review team")
        assert isinstance(app.screen, TextPrompt)
        assert "Give the reason a challenge is not accepted" in str(app.screen.query_one("#prompt-error").render())
        assert app.screen.query_one("#field-decided").value == "Review team"
        assert challenge_log(app.store, case_id)[1]["outcome"] == "open"
        await _submit(pilot, reason="The records show no phone check.")
        assert app.screen is screen and listing.highlighted == 2 and screen.focused is listing
        listing.highlighted = 3
        await pilot.press("r")
        await _choose(pilot, 3)
        await _submit(pilot)
        listing.highlighted = 1
        await pilot.press("t")
        await settle(pilot)

        log = challenge_log(app.store, case_id)
        assert [c["outcome"] for c in log] == ["accepted", "not-accepted", "to-check"]
        assert log[1]["reason"] == "The records show no phone check." and log[1]["decided_by"] == "Review team"
        assert [c["raiser_told"] for c in log] == [1, 0, 0]
        assert "Response: accepted\n    Decided by lead reviewer · told: yes" in \
            _option_text(screen, "meeting-list", 1)
        assert "not accepted — The records show no phone check.\n    Decided by Review team · told: not yet" \
            in _option_text(screen, "meeting-list", 2)
        assert listing.highlighted == 1

        # Telling about a challenge with no response yet is refused in one sentence.
        await pilot.press("n")
        await _choose(pilot, 1)
        await _submit(pilot, date="2026-06-01")
        await pilot.press("a")
        await _choose(pilot, typed=list("findings"))
        await _choose(pilot, 3)
        await _submit(pilot, by="Social Worker 1", text="A finding on weekend cover is missing.")
        await pilot.press("t")
        await settle(pilot)
        assert challenge_log(app.store, case_id)[3]["raiser_told"] == 0
        assert app.screen is screen
        assert _said(app)[-1] == "The challenge has no response yet, so there is nothing to tell."
        assert "Second follow-on meeting · 2026-06-01" in _option_text(screen, "meeting-list", 4)


async def test_the_report_drafted_compared_signed_off_and_exported(tmp_path):
    db, case_id, fax, (finding,) = _case_with_findings(tmp_path)
    store = open_store(db)
    meeting = add_meeting(store, case_id, "first", "2026-05-04")
    challenge = add_challenge(store, meeting, f"finding:{finding}", "Probation Officer", "correction",
                              "It was two faxes, not one.")
    respond(store, challenge, "accepted")
    member = add_member(store, case_id, "Social Worker 1", "Children's services")
    store.close()
    app = make_app(db)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await open_workspace(pilot)
        screen = app.screen
        await _tab(pilot, "tab-report")
        keys = _footer_keys(screen)
        assert keys["d"] == "Draft" and keys["v"] == "Read" and keys["c"] == "Compare" \
            and keys["s"] == "Sign off" and keys["x"] == "Write" and keys["a"] == "Accuracy"
        table = screen.query_one("#report-versions")
        table.focus()
        await pilot.press("d")
        await settle(pilot)
        # The accepted correction, made to the finding, then a second version.
        edit_finding(app.store, app.structure, finding, reason="Accepted at the first meeting",
                     in_this_case="The concern form went by two faxes, neither confirmed.")
        await pilot.press("d")
        await settle(pilot)
        versions = report_versions(app.store, case_id)
        assert [v["number"] for v in versions] == [1, 2] and table.row_count == 2
        assert table.cursor_row == 1

        await pilot.press("v")
        await pilot.pause()
        reading = str(app.screen.query_one("#report-reader-text").render())
        titles = [f"{n}. {t}" for n, t in enumerate(SECTION_TITLES.values(), start=1)]
        assert all(t in reading for t in titles)
        assert [reading.index(t) for t in titles] == sorted(reading.index(t) for t in titles)
        await pilot.press("escape")
        await pilot.pause()

        await pilot.press("c")
        await _choose(pilot, 0)
        changes = str(app.screen.query_one("#report-reader-text").render())
        assert "Findings: changed" in changes and "Introduction: unchanged" in changes
        assert "− How it showed in this case: The concern form went by fax alone." in changes
        assert "+ How it showed in this case: The concern form went by two faxes, neither confirmed." in changes
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen and screen.focused is table and table.cursor_row == 1

        await pilot.press("s")
        await _submit(pilot, by="Safeguarding partners' chair")
        assert report_versions(app.store, case_id)[1]["signed_by"] == ["Safeguarding partners' chair"]
        assert "Safeguarding partners' chair" in str(table.get_row_at(1)[3])

        await pilot.press("a")
        await _choose(pilot, 0)
        await _choose(pilot, 0)
        assert "1 confirmed" in str(table.get_row_at(1)[4])

        written = {}
        for index, fmt in enumerate(("md", "docx")):
            out = tmp_path / f"report.{fmt}"
            await pilot.press("x")
            await _choose(pilot, index)
            await _submit(pilot, path=str(out))
            assert app.screen is screen and _said(app)[-1] == f"Exported: {out}"
            written[fmt] = out
        markdown = written["md"].read_text(encoding="utf-8")
        word = "\n".join(p.text for p in docx.Document(written["docx"]).paragraphs)
        for text in (markdown, word):
            assert "Version 2 (signed off by Safeguarding partners' chair)" in text
            assert [text.index(t) for t in titles] == sorted(text.index(t) for t in titles)
            for _, title in FINDING_TITLES:
                assert title in text
            assert "neither confirmed" in text and "How we know it is not a one-off" in text

        # An existing file is kept unless the lead says to replace it.
        before = written["md"].read_bytes()
        await pilot.press("x")
        await _choose(pilot, 0)
        await _submit(pilot, path=str(written["md"]))
        assert isinstance(app.screen, TextPrompt) and written["md"].read_bytes() == before
        assert "already exists" in str(app.screen.query_one("#prompt-error").render())
        await _submit(pilot, replace="yes")
        assert app.screen is screen

        await pilot.press("d")
        await settle(pilot)
        assert table.row_count == 3 and table.cursor_row == 2
        assert _said(app)[-1].startswith("Drafted version 3 (it says on its first page that it follows a signed-off")
        await pilot.press("v")
        await pilot.pause()
        assert "follows version 2, which was signed off by Safeguarding partners' chair" in \
            str(app.screen.query_one("#report-reader-text").render())
        assert member


async def test_findings_move_up_and_down_the_priority_order(tmp_path):
    db, case_id, fax, found = _case_with_findings(tmp_path, count=3)
    app = make_app(db)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_workspace(pilot)
        screen = app.screen
        await _tab(pilot, "tab-findings")
        keys = _footer_keys(screen)
        assert keys["left_square_bracket"] == "Priority up" and keys["right_square_bracket"] == "Priority down"
        options = screen.query_one("#finding-list")
        options.focus()
        options.highlighted = 2
        await pilot.press("left_square_bracket")
        await settle(pilot)
        assert [f["id"] for f in prioritised_findings(app.store, case_id)] == [found[0], found[2], found[1]]
        assert options.highlighted == 1
        assert _option_text(screen, "finding-list", 1).startswith("Finding 2") and "(2)" in \
            _option_text(screen, "finding-list", 1)
        await pilot.press("left_square_bracket")
        await settle(pilot)
        await pilot.press("left_square_bracket")  # already first: said so, nothing changed
        await settle(pilot)
        assert [f["id"] for f in prioritised_findings(app.store, case_id)] == [found[2], found[0], found[1]]
        assert options.highlighted == 0 and "(2)" in _option_text(screen, "finding-list", 0)
        await pilot.press("right_square_bracket")
        await settle(pilot)
        assert [f["id"] for f in prioritised_findings(app.store, case_id)] == [found[0], found[2], found[1]]
        assert options.highlighted == 1 and screen.focused is options


# ------------------------------------------------------------------ how the two tabs look
def _reviewed_demo(tmp_path):
    """The deterministic demo case with a finding, a first meeting (one absentee), three challenges with
    responses, and two report versions, the second signed off; times fixed so every run draws the same."""
    from tests.tui.test_review_snapshots import review_app

    app, case_id = review_app(tmp_path)
    store = app.store
    structure = app.structure
    finding = add_finding(store, structure, case_id, "pattern_crisis", **FINDING)
    meeting = add_meeting(store, case_id, "first", "2026-05-04", facilitators="Lead reviewer, Reviewer 2",
                          pack_version="First pack v1")
    from assistant.meetings import add_person, mark_told

    add_person(store, meeting, "Social Worker 1", "Children's services")
    add_person(store, meeting, "Health Visitor", "Health", attended=False, consult_how="a call with the lead")
    first = add_challenge(store, meeting, f"finding:{finding}", "Social Worker 1", "correction",
                          "It was two faxes, not one.")
    second = add_challenge(store, meeting, "section:methodology", "Health Visitor", "suggested-change",
                           "Name the health agencies.")
    add_challenge(store, meeting, f"finding:{finding}", "Social Worker 1", "perspective", "Cover was thin.")
    respond(store, first, "accepted")
    mark_told(store, first)
    respond(store, second, "not-accepted", reason="Agencies are named by role only.", decided_by="Review team")
    from assistant.report import draft_report, record_accuracy_check, sign_off

    checked = add_member(store, case_id, "Social Worker 1", "Children's services")
    add_member(store, case_id, "Health Visitor", "Health")
    draft_report(store, structure, case_id)
    draft_report(store, structure, case_id)
    sign_off(store, case_id, 2, "Safeguarding partners' chair")
    record_accuracy_check(store, case_id, 2, checked, "confirmed")
    with store.write() as conn:
        conn.execute("UPDATE report_versions SET created_at = '2026-06-0' || number || 'T10:00:00+00:00'")
    return app, case_id


async def _open_tab(pilot, case_id, tab, widget):
    from assistant.tui.screens.review import ReviewScreen

    pilot.app.push_screen(ReviewScreen(case_id))
    await settle(pilot)
    await _tab(pilot, tab)
    pilot.app.screen.query_one(widget).focus()
    await pilot.pause()


def test_meetings_tab_snapshot(snap_compare, tmp_path):
    app, case_id = _reviewed_demo(tmp_path)
    assert snap_compare(app, terminal_size=(100, 32),
                        run_before=lambda pilot: _open_tab(pilot, case_id, "tab-meetings", "#meeting-list"))


def test_report_tab_snapshot(snap_compare, tmp_path):
    app, case_id = _reviewed_demo(tmp_path)
    assert snap_compare(app, terminal_size=(100, 32),
                        run_before=lambda pilot: _open_tab(pilot, case_id, "tab-report", "#report-versions"))


async def test_help_lists_the_new_keys_with_their_tab(tmp_path):
    db, case_id, fax, found = _case_with_findings(tmp_path)
    app = make_app(db)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_workspace(pilot)
        await pilot.press("f1")
        await pilot.pause()
        shown = str(app.screen.query_one("#help-text").render())
        assert "N                  Meetings tab: add a follow-on meeting (first, second or accuracy check)" in shown
        assert "[                  Findings tab: move the highlighted finding up the priority order" in shown
        assert "X                  Report tab: write the highlighted version as Markdown or Word" in shown
        assert "Left_square_bracket" not in shown
