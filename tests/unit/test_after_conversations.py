"""After the conversations: the story of the case, episode cards, follow-on meetings with their
challenge log, and the report in versions — on real SQLite files, through the core functions."""

from __future__ import annotations

import hashlib
import sqlite3

import pytest

from assistant.conversation import Conversation, create_conversation
from assistant.review import create_case_episode
from assistant.store import open_store, verify_audit
from assistant.story import (
    StoryError, card_history, edit_card, episode_card, link_explanation_note, place_episode, set_factors,
    story_of_the_case,
)


def _fingerprint(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _practitioner(store, structure, case_id, role, agency, moment, words, factor):
    """One live conversation: a key moment in the practitioner's words, with a tagged note."""
    conversation_id = create_conversation(store, structure, case_id=case_id, practitioner_role=role, agency=agency,
                                          lead_interviewer="Reviewer A", second_interviewer="Reviewer B")
    c = Conversation(store, structure, conversation_id)
    c.notes.add(f"{role}: my own account of the family.", section_id="overview")
    moment_id = c.moments.add(moment, "spring")
    thinking = c.notes.add(words, ["words"], section_id="mindset", episode_id=moment_id)
    c.notes.add(f"{role}: a new system that week.", [factor], section_id="influences", episode_id=moment_id)
    return moment_id, thinking.id


@pytest.fixture
def two_accounts(store, structure, case_id):
    """Two practitioners' accounts of the same strategy discussion, linked as one case episode."""
    sw_moment, sw_note = _practitioner(store, structure, case_id, "Social Worker 1", "Children's Services",
                                       "The strategy discussion", "I thought health were leading on it.",
                                       "factor_conditions")
    hv_moment, hv_note = _practitioner(store, structure, case_id, "Health Visitor 1", "Community Health",
                                       "The phone call about the referral", "I understood social care had it.",
                                       "factor_interagency")
    strategy = create_case_episode(store, case_id, "The strategy discussion", [sw_moment, hv_moment])
    return {"episode": strategy, "notes": [sw_note, hv_note]}


# ---------------------------------------------------------------- the story of the case
def test_the_story_orders_episodes_with_each_perspective_and_the_chronology_between(
        store, structure, case_id, two_accounts, tmp_path):
    from assistant.cases import import_chronology

    csv = tmp_path / "chronology.csv"
    csv.write_text("date,agency,summary,source\n2026-01-10,Health,Birth visit,HV records\n"
                   "2026-02-20,Police,Call-out to the home,Log 12\n2026-04-02,School,Absent three days,Register\n",
                   encoding="utf-8")
    import_chronology(store, "CSPR-2026-04", csv)
    later = create_case_episode(store, case_id, "The case closure")
    place_episode(store, later, on="2026-03-30")
    place_episode(store, two_accounts["episode"], on="2026-02-01")
    unplaced = create_case_episode(store, case_id, "The school meeting")
    edit_card(store, two_accounts["episode"],
              accounts_differ="Each thought the other agency was leading after the discussion.")

    timeline = story_of_the_case(store, case_id)
    kinds = [(item["kind"], item.get("title") or item.get("summary")) for item in timeline["story"]]
    assert kinds == [("chronology", "Birth visit"), ("episode", "The strategy discussion"),
                     ("chronology", "Call-out to the home"), ("episode", "The case closure"),
                     ("chronology", "Absent three days")]
    strategy = timeline["story"][1]
    assert [p["practitioner_role"] for p in strategy["perspectives"]] == ["Social Worker 1", "Health Visitor 1"]
    assert [p["title"] for p in strategy["perspectives"]] == ["The strategy discussion",
                                                              "The phone call about the referral"]
    bodies = [n["body"] for p in strategy["perspectives"] for n in p["notes"]]
    assert "I thought health were leading on it." in bodies and "I understood social care had it." in bodies
    assert strategy["accounts_differ"].startswith("Each thought the other agency")
    assert timeline["unplaced"] == [{"id": unplaced, "title": "The school meeting"}]

    # A position the lead gives puts the episode first, whatever its date; no entry shows twice, and an
    # entry on an episode's own day comes just before it.
    place_episode(store, later, position=1)
    place_episode(store, two_accounts["episode"], on="2026-02-20", position=2)
    reordered = [(i["kind"], i.get("title") or i.get("summary")) for i in story_of_the_case(store, case_id)["story"]]
    assert reordered == [("chronology", "Birth visit"), ("chronology", "Call-out to the home"),
                         ("episode", "The case closure"), ("episode", "The strategy discussion"),
                         ("chronology", "Absent three days")]
    assert verify_audit(store)[1] is None


def test_a_wrong_date_or_episode_is_refused_and_changes_nothing(store, case_id, two_accounts, db_path):
    before = _fingerprint(db_path)
    with pytest.raises(StoryError, match="YYYY-MM-DD"):
        place_episode(store, two_accounts["episode"], on="last spring")
    with pytest.raises(StoryError, match="date or a position"):
        place_episode(store, two_accounts["episode"])
    with pytest.raises(StoryError, match="no case episode"):
        place_episode(store, "nope", on="2026-01-01")
    assert _fingerprint(db_path) == before


# ---------------------------------------------------------------- episode cards
def test_an_episode_card_appraises_explains_and_keeps_every_wording(store, structure, case_id, two_accounts):
    episode = two_accounts["episode"]
    edit_card(store, episode, what_happened="The discussion ended without a named lead agency.",
              adequacy="not_adequate",
              appraisal="The social worker should have named a lead agency at the end of the discussion.")
    card = episode_card(store, structure, episode)
    assert card["adequacy"] == "not_adequate"
    assert [f["words"] for f in card["hindsight"]] == ["should have"]
    assert card["factors"] == ["factor_conditions", "factor_interagency"] and not card["factors_edited"]

    edit_card(store, episode, appraisal="Given what each knew then, no agency was named as leading; "
              "each had reason to think another was.", explanation="It made sense to both: the meeting "
              "notes recorded actions but not who owned them.", reason="Keep hindsight out")
    link_explanation_note(store, episode, two_accounts["notes"][1])
    set_factors(store, structure, episode, ["factor_interagency"], reason="Conditions were not the driver")
    card = episode_card(store, structure, episode)
    assert card["hindsight"] == []
    assert card["factors"] == ["factor_interagency"] and card["factors_edited"]
    assert [n["id"] for n in card["explanation_notes"]] == [two_accounts["notes"][1]]
    history = card_history(store, episode)
    assert [(h["field"], h["old_value"][:30]) for h in history] == [
        ("appraisal", "The social worker should have "), ("factors", "from the notes")]
    assert history[0]["reason"] == "Keep hindsight out"
    rows = store.query("SELECT detail FROM events WHERE entity = 'episode_card'")
    assert rows and all("should have" not in r["detail"] for r in rows)
    assert verify_audit(store)[1] is None


def test_a_card_refuses_unknown_fields_factors_and_other_cases_notes(store, structure, case_id, two_accounts,
                                                                      db_path):
    from assistant.cases import add_case

    other_case = add_case(store, "CSPR-OTHER", "Family B")
    _, other_note = _practitioner(store, structure, other_case, "GP 1", "General Practice", "Surgery visit",
                                  "Seemed fine.", "factor_role")
    before = _fingerprint(db_path)
    episode = two_accounts["episode"]
    with pytest.raises(StoryError, match="no 'blame'"):
        edit_card(store, episode, blame="x")
    with pytest.raises(StoryError, match="Adequacy"):
        edit_card(store, episode, adequacy="poor", appraisal="text")
    with pytest.raises(StoryError, match="contributory factors"):
        set_factors(store, structure, episode, ["typology_tag_not_a_factor"])
    with pytest.raises(StoryError, match="same case"):
        link_explanation_note(store, episode, other_note)
    assert _fingerprint(db_path) == before


# ---------------------------------------------------------------- follow-on meetings and the challenge log
def test_a_first_meeting_records_people_and_a_challenge_log_that_keeps_every_response(
        store, structure, case_id, two_accounts):
    from assistant.meetings import (
        add_challenge, add_meeting, add_person, challenge_log, list_meetings, mark_told, respond,
    )

    meeting = add_meeting(store, case_id, "first", "2026-05-12", facilitators="Lead Reviewer, Reviewer B",
                          pack_version="first pack v1")
    add_person(store, meeting, "Social Worker 1", "Children's Services")
    add_person(store, meeting, "Health Visitor 1", "Community Health", attended=False,
               consult_how="A call with the lead reviewer the following week")
    episode = two_accounts["episode"][:8]
    correction = add_challenge(store, meeting, f"episode:{episode}", "Social Worker 1", "correction",
                               "The discussion was on the Tuesday, not the Monday.")
    dispute = add_challenge(store, meeting, f"episode:{episode}", "Social Worker 1", "disputes-appraisal",
                            "Health had agreed to lead at the time.")
    respond(store, correction[:8], "to-check")
    respond(store, correction, "accepted", decided_by="Review team")
    respond(store, dispute, "not-accepted", reason="Both sets of notes say no lead was agreed.")
    mark_told(store, dispute)

    [held] = list_meetings(store, case_id)
    assert held["kind"] == "first" and held["pack_version"] == "first pack v1"
    assert [p["role"] for p in held["attendees"]] == ["Social Worker 1"]
    assert held["absentees"][0]["consult_how"].startswith("A call")
    log = challenge_log(store, case_id)
    assert [(c["kind"], c["outcome"], c["raiser_told"]) for c in log] == [
        ("correction", "accepted", 0), ("disputes-appraisal", "not-accepted", 1)]
    assert log[0]["about_id"] == two_accounts["episode"] and log[0]["decided_by"] == "Review team"
    assert log[0]["earlier_responses"] == ["to-check"]
    assert log[1]["reason"].startswith("Both sets")
    actions = [e["action"] for e in store.query("SELECT action FROM events WHERE entity IN ('meeting', 'challenge')")]
    assert actions == ["create", "attend", "absent", "create", "create", "respond", "respond", "respond", "told"]
    assert verify_audit(store)[1] is None


def test_meeting_and_challenge_refusals_change_nothing(store, case_id, two_accounts, db_path):
    from assistant.meetings import MeetingError, add_challenge, add_meeting, add_person, respond

    meeting = add_meeting(store, case_id, "accuracy", "2026-07-01")
    challenge = add_challenge(store, meeting, "section:story", "GP 1", "suggested-change", "Say more about why.")
    before = _fingerprint(db_path)
    for call, words in [
        (lambda: add_meeting(store, case_id, "third", "2026-07-01"), "one of first"),
        (lambda: add_meeting(store, case_id, "first", "July"), "YYYY-MM-DD"),
        (lambda: add_person(store, meeting, "GP 1", attended=False), "consulted"),
        (lambda: add_challenge(store, meeting, "section:summary", "GP 1", "correction", "x"), "report section"),
        (lambda: add_challenge(store, meeting, "finding:ffff", "GP 1", "correction", "x"), "No single finding"),
        (lambda: add_challenge(store, meeting, "section:story", "GP 1", "complaint", "x"), "kind is one of"),
        (lambda: add_challenge(store, meeting, "section:story", "GP 1", "correction", "  "), "cannot be empty"),
        (lambda: respond(store, challenge, "not-accepted"), "reason"),
        (lambda: respond(store, challenge, "rejected", reason="no"), "response is one of"),
    ]:
        with pytest.raises(MeetingError, match=words):
            call()
    assert _fingerprint(db_path) == before


# ---------------------------------------------------------------- the report
def _reviewed_case(store, structure, case_id, two_accounts):
    """A case taken through appraisal, two findings in priority order and a first meeting."""
    from assistant.meetings import add_challenge, add_meeting, add_person, respond
    from assistant.report import set_priorities, set_review_dates
    from assistant.review import add_finding
    from assistant.review_questions import add_question, link_finding

    set_review_dates(store, case_id, started="2026-03-02", window_from="2025-06-01", window_to="2026-01-31")
    answered = add_question(store, case_id, "How did agencies agree who was leading?")
    add_question(store, case_id, "What helped the family engage?")
    episode = two_accounts["episode"]
    place_episode(store, episode, on="2025-11-04")
    edit_card(store, episode, what_happened="The discussion ended without a named lead agency.", adequacy="mixed",
              appraisal="Each agency acted on what it believed the other had agreed.",
              explanation="Meeting notes recorded actions but not who owned them.")
    first = add_finding(store, structure, case_id, "pattern_crisis", statement="Lead agency unclear",
                        in_this_case="At the strategy discussion.", systemic_evidence="Three other cases.",
                        how_widespread="Seen in two of the four localities.", why_it_matters="Work falls between agencies.", questions="How will leads be recorded?")
    second = add_finding(store, structure, case_id, "pattern_tools", statement="Referral form hides risk",
                         in_this_case="The health referral.", systemic_evidence="Audit of forms.",
                         why_it_matters="Risk is not seen.", questions="Will the form be reviewed?")
    set_priorities(store, case_id, [second, first])
    link_finding(store, first, answered)
    meeting = add_meeting(store, case_id, "first", "2026-05-12", facilitators="Lead Reviewer")
    add_person(store, meeting, "Social Worker 1", "Children's Services")
    accepted = add_challenge(store, meeting, f"episode:{episode}", "Health Visitor 1", "correction",
                             "It was a phone call, not a meeting.")
    respond(store, accepted, "accepted")
    return {"episode": episode, "findings": [second, first], "meeting": meeting}


def test_report_versions_carry_every_section_and_diff_shows_an_accepted_change(
        store, structure, case_id, two_accounts, tmp_path, db_path):
    from docx import Document as WordDocument

    from assistant.cases import get_case
    from assistant.exports.report import export_report
    from assistant.report import (
        ReportError, draft_report, report_diff, report_version, report_versions, review_clock, sign_off,
    )

    reviewed = _reviewed_case(store, structure, case_id, two_accounts)
    assert draft_report(store, structure, case_id) == 1
    one = report_version(store, case_id, 1)
    assert [s["name"] for s in one["sections"]] == ["introduction", "methodology", "story", "appraisal",
                                                     "findings", "questions"]
    text = {s["name"]: "\n".join(str(b[-1]) for b in s["blocks"]) for s in one["sections"]}
    assert "2025-06-01" in text["introduction"] and "No finding yet answers question 2." in text["introduction"]
    assert "Social Worker 1, Children's Services" in text["methodology"]
    assert "1 accepted" in text["methodology"] and structure.version in text["methodology"]
    assert "I understood social care had it." in text["story"]
    assert "Meeting notes recorded actions" in text["appraisal"]
    assert text["findings"].index("Referral form hides risk") < text["findings"].index("Lead agency unclear")
    assert "Will the form be reviewed?" in text["questions"]

    # The accepted correction is reflected, and the next version shows it against the first.
    edit_card(store, reviewed["episode"], what_happened="A phone call ended without a named lead agency.",
              reason="Accepted correction at the first follow-on meeting")
    assert draft_report(store, structure, case_id) == 2
    diff = {d["name"]: d for d in report_diff(store, case_id, 1, 2)}
    assert [n for n, d in diff.items() if d["changed"]] == ["appraisal"]
    assert "+- What happened: A phone call ended without a named lead agency." in diff["appraisal"]["lines"]
    assert "-- What happened: The discussion ended without a named lead agency." in diff["appraisal"]["lines"]

    sign_off(store, case_id, 2, "Safeguarding partners' chair")
    assert draft_report(store, structure, case_id) == 3
    three = report_version(store, case_id, 3)
    assert three["sections"][0]["blocks"][0][1].startswith("This draft follows version 2, which was signed off")
    versions = report_versions(store, case_id)
    assert [(v["number"], v["signed_by"]) for v in versions] == [(1, []), (2, ["Safeguarding partners' chair"]),
                                                                (3, [])]
    assert len({v["sha256"] for v in versions}) == 3

    case = get_case(store, "CSPR-2026-04")
    markdown = export_report(store, case, "md", tmp_path / "report.md", number=2).read_text(encoding="utf-8")
    titles = ["1. Introduction", "2. Methodology", "3. The story of the case", "4. Appraisal of practice",
              "5. Findings", "6. Questions for the safeguarding partners", "Appendix: the challenge log"]
    assert [markdown.index(t) for t in titles] == sorted(markdown.index(t) for t in titles)
    for title in ("The finding", "How it showed in this case", "How we know it is not a one-off",
                  "How widespread it is", "Why it matters", "Underlying pattern"):
        assert markdown.count(f"**{title}**") == 2
    assert "Seen in two of the four localities." in markdown
    assert "signed off by Safeguarding partners' chair" in markdown
    word = export_report(store, case, "docx", tmp_path / "report.docx", number=2)
    paragraphs = [p.text for p in WordDocument(str(word)).paragraphs]
    assert [t for t in titles[:-1] if t in paragraphs] == titles[:-1]

    clock = review_clock(case, today=__import__("datetime").date(2026, 6, 1))
    assert clock == {"started": "2026-03-02", "rapid_review_by": "2026-03-23", "six_months": "2026-09-02",
                     "days_since_start": 91, "days_left": 93}
    before = _fingerprint(db_path)
    with pytest.raises(ReportError, match="no such version"):
        sign_off(store, case_id, 9, "Chair")
    with pytest.raises(ReportError, match="who signed"):
        sign_off(store, case_id, 1, "  ")
    assert _fingerprint(db_path) == before
    assert verify_audit(store)[1] is None


# ---------------------------------------------------------------- erasure and the schema
def test_erasing_a_conversation_takes_report_versions_quoting_it_and_a_case_takes_everything(
        store, structure, case_id, two_accounts):
    from assistant.erasure import erase_case, erase_conversation
    from assistant.report import draft_report, report_versions, sign_off

    reviewed = _reviewed_case(store, structure, case_id, two_accounts)
    link_explanation_note(store, reviewed["episode"], two_accounts["notes"][1])
    draft_report(store, structure, case_id)
    sign_off(store, case_id, 1, "Safeguarding partners' chair")
    health_visitor = store.scalar("SELECT id FROM conversations WHERE practitioner_role = 'Health Visitor 1'")
    erase_conversation(store, health_visitor, "Withdrawn at the practitioner's request", actor="lead")
    assert report_versions(store, case_id) == []
    assert store.scalar("SELECT COUNT(*) FROM report_signoffs") == 0
    assert store.scalar("SELECT COUNT(*) FROM episode_card_notes") == 0
    assert store.scalar("SELECT COUNT(*) FROM episode_cards") == 1
    draft_report(store, structure, case_id)
    assert "I understood social care had it." not in store.scalar("SELECT sections FROM report_versions")

    erase_case(store, "CSPR-2026-04", "Case withdrawn from the review", actor="lead")
    for table in ("episode_cards", "episode_card_notes", "meetings", "meeting_people", "challenges",
                  "report_versions", "report_signoffs", "report_accuracy_checks", "revisions"):
        assert store.scalar(f"SELECT COUNT(*) FROM {table}") == 0, table
    assert verify_audit(store)[1] is None


def test_a_version_9_database_upgrades_and_takes_the_work_after_the_conversations(tmp_path, structure):
    from sqlite_utils import Database

    from assistant.report import draft_report, review_clock, set_review_dates
    from assistant.store.schema import SCHEMA_VERSION, migrations
    from assistant.store.versions import APPLICATION_ID

    path = tmp_path / "v9.db"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    migrations.apply(Database(conn), stop_before="m010_after_the_conversations")
    conn.execute("INSERT INTO settings VALUES ('device_id', 'old-device')")
    conn.execute("INSERT INTO cases (id, reference, label, created_at) VALUES ('c1', 'CSPR-9', 'Family A', 'then')")
    conn.execute("INSERT INTO case_episodes (id, case_id, title, created_at, updated_at)"
                 " VALUES ('e1', 'c1', 'The home visit', 'then', 'then')")
    conn.execute("INSERT INTO findings (id, case_id, typology_tag, statement, systemic_evidence, created_at,"
                 " updated_at) VALUES ('f1', 'c1', 'pattern_crisis', 'Lead agency unclear', 'Three cases.', 'then',"
                 " 'then')")
    conn.execute("PRAGMA user_version = 9")
    conn.commit()
    conn.close()

    store = open_store(path)
    try:
        assert store.scalar("PRAGMA user_version") == SCHEMA_VERSION == 11
        # SCIE's "How widespread it is" arrives empty beside the older finding's words, and can be written.
        from assistant.revisions import edit_finding

        assert store.one("SELECT systemic_evidence, how_widespread FROM findings WHERE id = 'f1'") == {
            "systemic_evidence": "Three cases.", "how_widespread": ""}
        edit_finding(store, structure, "f1", how_widespread="Every locality.", reason="From the audit")
        assert store.scalar("SELECT how_widespread FROM findings WHERE id = 'f1'") == "Every locality."
        place_episode(store, "e1", on="2026-01-05")
        edit_card(store, "e1", appraisal="Adequate given what was known then.")
        set_review_dates(store, "c1", started="2026-02-02")
        assert draft_report(store, structure, "c1") == 1
        case = store.one("SELECT * FROM cases WHERE id = 'c1'")
        assert review_clock(case)["six_months"] == "2026-08-02"
        assert story_of_the_case(store, "c1")["story"][0]["title"] == "The home visit"
    finally:
        store.close()
    assert (tmp_path / f"v9.db.before-v{SCHEMA_VERSION}.bak").exists()


def test_every_case_group_member_checks_a_version_for_accuracy(store, structure, case_id, two_accounts, db_path):
    from assistant.casegroup import add_member
    from assistant.report import ReportError, accuracy_checks, draft_report, record_accuracy_check

    social_worker = add_member(store, case_id, "Social Worker 1", "Children's Services")
    health_visitor = add_member(store, case_id, "Health Visitor 1", "Community Health")
    draft_report(store, structure, case_id)
    record_accuracy_check(store, case_id, 1, social_worker, "confirmed")
    record_accuracy_check(store, case_id, 1, health_visitor, "corrections")
    record_accuracy_check(store, case_id, 1, health_visitor, "confirmed")
    checks = accuracy_checks(store, case_id, 1)
    assert [(c["role"], c["outcome"]) for c in checks] == [("Social Worker 1", "confirmed"),
                                                            ("Health Visitor 1", "confirmed")]
    draft_report(store, structure, case_id)
    assert [c["outcome"] for c in accuracy_checks(store, case_id, 2)] == ["not yet", "not yet"]
    before = _fingerprint(db_path)
    with pytest.raises(ReportError, match="confirmed or corrections"):
        record_accuracy_check(store, case_id, 1, social_worker, "fine")
    with pytest.raises(ReportError, match="case group"):
        record_accuracy_check(store, case_id, 1, "nobody", "confirmed")
    assert _fingerprint(db_path) == before


def test_merging_or_deleting_a_case_episode_keeps_its_cards_words(store, structure, case_id, two_accounts):
    from assistant.previous import previous_values
    from assistant.revisions import delete_case_episode, merge_case_episodes

    other = create_case_episode(store, case_id, "The follow-up call")
    edit_card(store, other, appraisal="Adequate given what was known then.")
    link_explanation_note(store, other, two_accounts["notes"][0])
    merge_case_episodes(store, two_accounts["episode"], other)
    assert store.scalar("SELECT COUNT(*) FROM episode_cards") == 0
    kept = previous_values(store, "episode_card", other)
    assert [(k["field"], k["old_value"], k["case_id"]) for k in kept] == [
        ("appraisal", "Adequate given what was known then.", case_id)]
    edit_card(store, two_accounts["episode"], what_happened="A phone call.")
    delete_case_episode(store, two_accounts["episode"], reason="Not a key practice episode after all")
    assert store.scalar("SELECT COUNT(*) FROM episode_cards") == 0
    assert previous_values(store, "episode_card", two_accounts["episode"])[0]["old_value"] == "A phone call."
    assert story_of_the_case(store, case_id)["story"] == []
