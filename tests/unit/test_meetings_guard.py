"""Guard rails on follow-on meetings and the report's sign-off: one person recorded once per meeting,
role labels not names, sign-off once per role and never of an older version, and the person who raised a
challenge told only once the team has decided — on real SQLite files, and through the real CLI."""

from __future__ import annotations

import hashlib

import pytest

from assistant.meetings import MeetingError, add_challenge, add_meeting, add_person, list_meetings, mark_told, respond
from assistant.report import ReportError, draft_report, open_before_sign_off, sign_off


def _fingerprint(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_same_person_is_recorded_once_per_meeting(store, case_id, db_path):
    meeting = add_meeting(store, case_id, "first", "2026-05-01")
    add_person(store, meeting, "Social Worker 1", "Children's Services")
    before = _fingerprint(db_path)
    with pytest.raises(MeetingError, match="already recorded"):
        add_person(store, meeting, "social worker 1", "Children's Services")
    with pytest.raises(MeetingError, match="already recorded"):
        add_person(store, meeting, "Social Worker 1", "Children's Services", attended=False, consult_how="a call")
    assert _fingerprint(db_path) == before
    # The same role from another agency is another person; so is the same person at another meeting.
    add_person(store, meeting, "Social Worker 1", "Early Help")
    second = add_meeting(store, case_id, "second", "2026-06-01")
    add_person(store, second, "Social Worker 1", "Children's Services", attended=False, consult_how="a call")
    first = list_meetings(store, case_id)[0]
    assert (len(first["attendees"]), len(first["absentees"])) == (2, 0)


def test_a_role_that_looks_like_a_name_is_refused_unless_allowed(store, case_id, db_path):
    meeting = add_meeting(store, case_id, "first", "2026-05-01")
    before = _fingerprint(db_path)
    with pytest.raises(MeetingError, match="looks like a person's name"):
        add_person(store, meeting, "Jane Smith", "Children's Services")
    assert _fingerprint(db_path) == before
    add_person(store, meeting, "Jane Smith", "Children's Services", allow_name=True)
    add_person(store, meeting, "Team Manager", "Children's Services")
    assert len(list_meetings(store, case_id)[0]["attendees"]) == 2


def test_the_cli_refuses_a_second_record_of_the_same_person(db_path, store, case_id, cli):
    meeting = add_meeting(store, case_id, "first", "2026-05-01")
    store.close()
    first = cli("meeting", "attend", "--meeting", meeting[:8], "--role", "Social Worker 1", db=db_path)
    assert first.returncode == 0, first.stderr
    again = cli("meeting", "attend", "--meeting", meeting[:8], "--role", "Social Worker 1", db=db_path)
    absent = cli("meeting", "attend", "--meeting", meeting[:8], "--role", "Social Worker 1", "--absent",
                 "--consult", "a call", db=db_path)
    named = cli("meeting", "attend", "--meeting", meeting[:8], "--role", "Jane Smith", db=db_path)
    for refused in (again, absent, named):
        assert refused.returncode != 0 and "Traceback" not in refused.stderr
    assert "already recorded" in again.stderr and "already recorded" in absent.stderr
    assert "looks like a person's name" in named.stderr
    listed = cli("meeting", "list", "--case", "CSPR-2026-04", db=db_path)
    assert "1 attended, 0 absent" in listed.stdout
    kept = cli("meeting", "attend", "--meeting", meeting[:8], "--role", "Jane Smith", "--allow-name", db=db_path)
    assert kept.returncode == 0, kept.stderr
    assert "2 attended, 0 absent" in cli("meeting", "list", "--case", "CSPR-2026-04", db=db_path).stdout


# ---------------------------------------------------------------- sign-off
def test_sign_off_once_per_role_and_never_an_older_version(store, structure, case_id, db_path):
    draft_report(store, structure, case_id)
    draft_report(store, structure, case_id)
    sign_off(store, case_id, 2, "Safeguarding partners' chair")
    before = _fingerprint(db_path)
    with pytest.raises(ReportError, match="already signed off by Safeguarding partners' chair"):
        sign_off(store, case_id, 2, "safeguarding partners' chair")
    with pytest.raises(ReportError, match="Version 2 is already signed off, so the older version 1"):
        sign_off(store, case_id, 1, "Independent scrutineer")
    assert _fingerprint(db_path) == before
    sign_off(store, case_id, 2, "Independent scrutineer")


def test_what_is_open_before_sign_off_is_listed(store, structure, case_id, db_path):
    from assistant.casegroup import add_member
    from assistant.report import record_accuracy_check

    draft_report(store, structure, case_id)
    assert open_before_sign_off(store, case_id, 1) == ["no accuracy check is recorded for version 1"]
    meeting = add_meeting(store, case_id, "accuracy", "2026-07-01")
    open_one = add_challenge(store, meeting, "section:story", "Social Worker 1", "correction", "The date is wrong.")
    checking = add_challenge(store, meeting, "section:findings", "Health Visitor 1", "perspective", "Seen otherwise.")
    respond(store, checking, "to-check")
    member = add_member(store, case_id, "Social Worker 1", "Children's Services")
    record_accuracy_check(store, case_id, 1, member, "confirmed")
    assert open_before_sign_off(store, case_id, 1) == ["1 challenge has no response yet",
                                                       "1 challenge is still to check"]
    respond(store, open_one, "accepted")
    respond(store, checking, "partly", reason="Both views now in the story.")
    assert open_before_sign_off(store, case_id, 1) == []


def test_told_only_once_the_team_has_decided(store, case_id, db_path):
    meeting = add_meeting(store, case_id, "accuracy", "2026-07-01")
    challenge = add_challenge(store, meeting, "section:story", "Social Worker 1", "correction", "The date is wrong.")
    with pytest.raises(MeetingError, match="no response yet"):
        mark_told(store, challenge)
    respond(store, challenge, "to-check")
    before = _fingerprint(db_path)
    with pytest.raises(MeetingError, match="once the team has decided"):
        mark_told(store, challenge)
    assert _fingerprint(db_path) == before
    respond(store, challenge, "accepted")
    assert mark_told(store, challenge) is True
    assert mark_told(store, challenge) is False  # already told: nothing written again


def test_the_cli_warns_of_what_is_open_at_sign_off_and_says_already_told(db_path, store, structure, case_id, cli):
    meeting = add_meeting(store, case_id, "accuracy", "2026-07-01")
    challenge = add_challenge(store, meeting, "section:story", "Social Worker 1", "correction", "The date is wrong.")
    respond(store, challenge, "to-check")
    draft_report(store, structure, case_id)
    store.close()
    told = cli("challenge", "told", challenge[:8], db=db_path)
    assert told.returncode != 0 and "tell them once the team has decided" in told.stderr
    signed = cli("report", "signoff", "--case", "CSPR-2026-04", "--version", "1", "--by", "Chair", db=db_path)
    assert signed.returncode == 0, signed.stderr
    assert "Recorded the sign-off of version 1." in signed.stdout
    assert "1 challenge is still to check" in signed.stderr and "no accuracy check" in signed.stderr
    twice = cli("report", "signoff", "--case", "CSPR-2026-04", "--version", "1", "--by", "Chair", db=db_path)
    assert twice.returncode != 0 and "already signed off by Chair" in twice.stderr
    assert cli("challenge", "respond", challenge[:8], "--outcome", "accepted", db=db_path).returncode == 0
    assert "Recorded that they have been told." in cli("challenge", "told", challenge[:8], db=db_path).stdout
    again = cli("challenge", "told", challenge[:8], db=db_path)
    assert again.returncode == 0 and "already told" in again.stdout
