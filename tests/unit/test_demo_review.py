"""`demo --review`: a whole synthetic review on top of the demonstration data, through the real command
line and a real SQLite file; safe to run twice."""

from __future__ import annotations

import json

from assistant.meetings import challenge_log, list_meetings
from assistant.report import FINDING_TITLES, prioritised_findings, report_versions
from assistant.review_questions import list_questions
from assistant.store import open_store
from assistant.story import episode_cards, hindsight_flags, story_of_the_case

REVIEW = ("demo", "--cases", "2", "--conversations", "4", "--notes", "40", "--seed", "3", "--review")
COUNTED = ("case_episodes", "findings", "review_questions", "meetings", "meeting_people", "challenges",
           "report_versions", "episode_cards", "cases", "notes")


def _counts(db) -> dict[str, int]:
    store = open_store(db)
    try:
        return {t: store.one(f"SELECT COUNT(*) AS n FROM {t}")["n"] for t in COUNTED}
    finally:
        store.close()


def test_the_demo_review_is_whole_fictional_and_free_of_hindsight(cli, tmp_path, structure):
    db = tmp_path / "lt.db"
    result = cli(*REVIEW, db=db)
    assert result.returncode == 0, result.stderr
    assert "DEMO-3-001" in result.stdout and "synthetic review" in result.stdout
    store = open_store(db)
    case = store.one("SELECT * FROM cases WHERE reference = 'DEMO-3-001'")
    assert "(synthetic)" in case["label"] and case["started_on"]

    cards = episode_cards(store, structure, case["id"])
    assert len(cards) >= 3
    for card in cards:
        assert card["story_date"] and card["adequacy"] != "not_yet", card["title"]
        assert card["what_happened"] and card["appraisal"] and card["explanation"] and card["factors"]
        assert card["hindsight"] == [], card["hindsight"]
        assert "should have" not in (card["appraisal"] + card["what_happened"]).lower()
    story = story_of_the_case(store, case["id"])
    assert not story["unplaced"]
    dates = [i["date"] for i in story["story"] if i["kind"] == "episode"]
    assert dates == sorted(dates)
    assert any(len(i["perspectives"]) >= 2 for i in story["story"] if i["kind"] == "episode")

    findings = prioritised_findings(store, case["id"])
    assert len(findings) >= 3 and [f["priority"] for f in findings] == list(range(1, len(findings) + 1))
    for finding in findings:
        assert all(finding[field] for field, _ in FINDING_TITLES), finding
        assert structure.tag_by_id[finding["typology_tag"]].group == "typology"
        assert finding["case_episodes"] and finding["notes"]
        assert hindsight_flags(structure, " ".join(finding[field] for field, _ in FINDING_TITLES)) == []
    questions = list_questions(store, case["id"])
    assert len(questions) >= 3
    assert any(q["findings"] for q in questions) and any(not q["findings"] for q in questions)

    meetings = list_meetings(store, case["id"])
    assert [m["kind"] for m in meetings] == ["first", "second"]
    assert all(len(m["attendees"]) >= 3 and m["pack_version"].startswith(m["kind"] + "-") for m in meetings)
    assert any(m["absentees"] for m in meetings)
    log = challenge_log(store, case["id"])
    assert {c["meeting_kind"] for c in log} == {"first", "second"}
    assert all(c["outcome"] != "open" for c in log)
    refused = [c for c in log if c["outcome"] == "not-accepted"]
    assert len(refused) == 1 and len(refused[0]["reason"]) > 20
    assert {c["about_kind"] for c in log} >= {"episode", "finding"}
    assert len(report_versions(store, case["id"])) == 1
    roles = {r["practitioner_role"] for r in store.query(
        "SELECT practitioner_role FROM conversations WHERE case_id = ?", (case["id"],))}
    people = {p["role"] for m in meetings for p in m["attendees"] + m["absentees"]}
    assert roles <= people
    store.close()

    # The packs for both meetings hold nothing that looks like a name, so they are written without asking.
    for which in ("first", "second"):
        out = tmp_path / f"{which}.md"
        written = cli("export", "--case", "DEMO-3-001", "--pack", which, "--format", "md", "--out", str(out), db=db)
        assert written.returncode == 0, written.stdout + written.stderr
        assert "may identify" not in written.stdout
        version = next(l for l in written.stdout.splitlines() if l.startswith("Pack version: ")).split()[2]
        assert version in [m["pack_version"] for m in meetings]
    out = tmp_path / "case.json"
    assert cli("export", "--case", "DEMO-3-001", "--format", "json", "--out", str(out), db=db).returncode == 0
    data = json.loads(out.read_text())
    assert len(data["meetings"]) == 2 and len(data["challenges"]) == len(log)


def test_a_second_run_adds_nothing_and_says_so(cli, tmp_path):
    db = tmp_path / "lt.db"
    assert cli(*REVIEW, db=db).returncode == 0
    before = _counts(db)
    again = cli(*REVIEW, db=db)
    assert again.returncode == 0, again.stderr
    assert "already" in again.stdout and "Traceback" not in again.stderr
    assert _counts(db) == before


def test_the_same_seed_gives_the_same_review(cli, tmp_path):
    databases = [tmp_path / "a.db", tmp_path / "b.db"]
    for db in databases:
        assert cli(*REVIEW, db=db).returncode == 0
    words = []
    for db in databases:
        store = open_store(db)
        words.append([(f["statement"], f["priority"]) for f in store.query("SELECT * FROM findings ORDER BY priority")])
        store.close()
    assert words[0] == words[1] and words[0]
