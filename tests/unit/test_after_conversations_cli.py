"""The command line after the conversations, as a subprocess: the review's dates, the story, episode
cards, follow-on meetings, the challenge log and the report. Exit codes, one-sentence errors, nothing
changed on error."""

from __future__ import annotations

import json

from docx import Document as WordDocument

from assistant.cases import add_case
from assistant.conversation import Conversation, create_conversation
from assistant.review import add_finding, create_case_episode
from assistant.store import open_store

from tests.unit.cli_results import digest as _digest, ok as _ok, refused as _refused


def _case_with_two_accounts(db, structure) -> dict:
    """Two practitioners' accounts of one strategy discussion, linked as a case episode, and a finding."""
    store = open_store(db)
    case_id = add_case(store, "CSPR-1", "Family A")
    moments = []
    for role, words in (("Social Worker 1", "I thought health were leading."),
                        ("Health Visitor 1", "I understood social care had it.")):
        c = Conversation(store, structure, create_conversation(store, structure, case_id=case_id,
                                                               practitioner_role=role, agency=f"{role} agency"))
        c.notes.add(f"{role}: my own account.", section_id="overview")
        moment = c.moments.add("The strategy discussion")
        c.notes.add(words, ["words"], section_id="mindset", episode_id=moment)
        c.notes.add("Cover for two colleagues that week.", ["factor_conditions"], section_id="influences",
                    episode_id=moment)
        moments.append(moment)
    episode = create_case_episode(store, case_id, "The strategy discussion", moments)
    finding = add_finding(store, structure, case_id, "pattern_crisis", statement="Lead agency unclear",
                          in_this_case="At the strategy discussion.", systemic_evidence="Three other cases.",
                          why_it_matters="Work falls between agencies.", questions="How will leads be recorded?")
    store.close()
    return {"episode": episode, "finding": finding}


def test_a_lead_takes_a_case_from_the_story_to_a_signed_off_report(cli, tmp_path, structure):
    db = tmp_path / "lt.db"
    made = _case_with_two_accounts(db, structure)
    episode = made["episode"][:8]
    _ok(cli("case", "set", "--ref", "CSPR-1", "--started", "2026-03-02", "--window-from", "2025-06-01",
            "--window-to", "2026-01-31", db=db))
    clock = json.loads(_ok(cli("case", "clock", "--ref", "CSPR-1", "--json", db=db)))
    assert clock["rapid_review_by"] == "2026-03-23" and clock["six_months"] == "2026-09-02"
    _ok(cli("story", "place", "--episode", episode, "--date", "2025-11-04", db=db))
    shown = _ok(cli("story", "show", "--case", "CSPR-1", db=db))
    assert "I thought health were leading." in shown and "I understood social care had it." in shown
    _ok(cli("card", "set", "--episode", episode, "--what-happened", "A discussion ended with no lead agency.",
            "--adequacy", "mixed", "--appraisal", "The health visitor should have followed it up.", db=db))
    card = json.loads(_ok(cli("card", "show", "--episode", episode, "--json", db=db)))
    assert [f["words"] for f in card["hindsight"]] == ["should have"]
    assert card["factors"] == ["factor_conditions"]
    assert "Hindsight check" in _ok(cli("card", "show", "--episode", episode, db=db))

    first = _ok(cli("meeting", "add", "--case", "CSPR-1", "--kind", "first", "--date", "2026-05-12", db=db))
    _ok(cli("meeting", "attend", "--meeting", first[:8], "--role", "Social Worker 1", "--agency", "CSC", db=db))
    _ok(cli("meeting", "attend", "--meeting", first[:8], "--role", "GP 1", "--absent", "--consult",
            "A call the following week", db=db))
    ids = [_ok(cli("challenge", "add", "--meeting", first[:8], "--about", about, "--by", "Health Visitor 1",
                   "--kind", kind, "--text", text, db=db))
           for about, kind, text in ((f"episode:{episode}", "correction", "It was a phone call, not a meeting."),
                                     (f"episode:{episode}", "disputes-appraisal", "Health had no reason to."),
                                     (f"finding:{made['finding'][:8]}", "new-information", "A fourth case."))]
    _ok(cli("challenge", "respond", ids[0][:8], "--outcome", "accepted", db=db))
    _ok(cli("challenge", "respond", ids[1][:8], "--outcome", "partly", "--reason", "Appraisal reworded", db=db))
    _ok(cli("challenge", "respond", ids[2][:8], "--outcome", "to-check", db=db))
    _ok(cli("challenge", "told", ids[0][:8], db=db))
    log = json.loads(_ok(cli("challenge", "list", "--case", "CSPR-1", "--json", db=db)))
    assert [(c["kind"], c["outcome"], c["raiser_told"]) for c in log] == [
        ("correction", "accepted", 1), ("disputes-appraisal", "partly", 0), ("new-information", "to-check", 0)]

    assert _ok(cli("report", "draft", "--case", "CSPR-1", db=db)) == "1"
    _ok(cli("card", "set", "--episode", episode, "--what-happened", "A phone call ended with no lead agency.",
            "--appraisal", "Given what each knew then, each thought the other was leading.",
            "--reason", "Accepted at the first follow-on meeting", db=db))
    assert _ok(cli("report", "draft", "--case", "CSPR-1", db=db)) == "2"
    diff = _ok(cli("report", "diff", "--case", "CSPR-1", "--from", "1", "--to", "2", db=db))
    assert "Appraisal of practice: changed" in diff and "Findings: unchanged" in diff
    assert "+- What happened: A phone call ended with no lead agency." in diff

    _ok(cli("meeting", "add", "--case", "CSPR-1", "--kind", "second", "--date", "2026-06-20", db=db))
    accuracy = _ok(cli("meeting", "add", "--case", "CSPR-1", "--kind", "accuracy", "--date", "2026-07-10", db=db))
    _ok(cli("challenge", "add", "--meeting", accuracy[:8], "--about", "section:methodology", "--by", "GP 1",
            "--kind", "correction", "--text", "I was consulted by phone.", db=db))
    member = _ok(cli("group", "add", "--case", "CSPR-1", "--role", "GP 1", "--agency", "General Practice", db=db))
    _ok(cli("report", "check", "--case", "CSPR-1", "--version", "2", "--member", member[:8], "--outcome",
            "corrections", db=db))
    checks = json.loads(_ok(cli("report", "checks", "--case", "CSPR-1", "--version", "2", "--json", db=db)))
    assert [(c["role"], c["outcome"]) for c in checks] == [("GP 1", "corrections")]
    _ok(cli("report", "signoff", "--case", "CSPR-1", "--version", "2", "--by", "Safeguarding partners' chair", db=db))
    versions = json.loads(_ok(cli("report", "versions", "--case", "CSPR-1", "--json", db=db)))
    assert [(v["number"], v["signed_by"]) for v in versions] == [(1, []), (2, ["Safeguarding partners' chair"])]
    assert [m["kind"] for m in json.loads(_ok(cli("meeting", "list", "--case", "CSPR-1", "--json", db=db)))] == [
        "first", "second", "accuracy"]

    _ok(cli("report", "export", "--case", "CSPR-1", "--version", "2", "--format", "md", "--out",
            str(tmp_path / "report.md"), db=db))
    markdown = (tmp_path / "report.md").read_text(encoding="utf-8")
    order = ["1. Introduction", "2. Methodology", "3. The story of the case", "4. Appraisal of practice",
             "5. Findings", "6. Questions for the safeguarding partners", "Appendix: the challenge log"]
    assert [markdown.index(t) for t in order] == sorted(markdown.index(t) for t in order)
    assert "It was a phone call, not a meeting." in markdown and "signed off by" in markdown
    _ok(cli("report", "export", "--case", "CSPR-1", "--format", "docx", "--out", str(tmp_path / "r.docx"), db=db))
    assert "1. Introduction" in [p.text for p in WordDocument(str(tmp_path / "r.docx")).paragraphs]


def test_refusals_are_one_sentence_and_change_nothing(cli, tmp_path, structure):
    db = tmp_path / "lt.db"
    made = _case_with_two_accounts(db, structure)
    meeting = _ok(cli("meeting", "add", "--case", "CSPR-1", "--kind", "first", "--date", "2026-05-12", db=db))
    challenge = _ok(cli("challenge", "add", "--meeting", meeting, "--about", "section:story", "--by", "GP 1",
                        "--kind", "perspective", "--text", "I saw it differently.", db=db))
    before = _digest(db)
    _refused(cli("challenge", "respond", challenge, "--outcome", "not-accepted", db=db), "reason")
    _refused(cli("meeting", "add", "--case", "CSPR-1", "--kind", "first", "--date", "May", db=db), "YYYY-MM-DD")
    _refused(cli("meeting", "attend", "--meeting", "zzz", "--role", "GP 1", db=db), "No single meeting")
    _refused(cli("challenge", "add", "--meeting", meeting, "--about", "section:summary", "--by", "GP 1",
                 "--kind", "correction", "--text", "x", db=db), "report section")
    _refused(cli("story", "place", "--episode", made["episode"][:8], "--date", "last spring", db=db), "YYYY-MM-DD")
    _refused(cli("report", "export", "--case", "CSPR-1", "--format", "md", "--out", str(tmp_path / "r.md"), db=db),
             "no version yet")
    _refused(cli("report", "signoff", "--case", "CSPR-1", "--version", "3", "--by", "Chair", db=db),
             "no such version")
    _refused(cli("case", "set", "--ref", "CSPR-1", "--window-from", "2026-02-01", "--window-to", "2026-01-01",
                 db=db), "start before it ends")
    assert _digest(db) == before
    assert not (tmp_path / "r.md").exists()
