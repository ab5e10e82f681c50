"""The command line before the conversations, as a subprocess: `group`, `letter`, `question`, `query`
and `structure check` on the letter template. Exit codes, one-sentence errors, nothing changed on error."""

from __future__ import annotations

import json
import stat

from docx import Document as WordDocument

from assistant.structure import DEFAULT_LETTER

from tests.unit.cli_results import digest as _digest, ok as _ok, refused as _refused


def _case(cli, db) -> None:
    _ok(cli("case", "add", "--ref", "CSPR-1", "--label", "Family A", db=db))


def test_a_lead_builds_the_case_group_and_follows_each_member(cli, tmp_path, structure):
    db = tmp_path / "lt.db"
    _case(cli, db)
    social_worker = _ok(cli("group", "add", "--case", "CSPR-1", "--role", "Social Worker 1",
                            "--agency", "Children's Services", db=db))
    health_visitor = _ok(cli("group", "add", "--case", "CSPR-1", "--role", "Health Visitor 1", db=db))
    gp = _ok(cli("group", "add", "--case", "CSPR-1", "--role", "GP 1", "--agency", "General Practice", db=db))
    assert len({social_worker, health_visitor, gp}) == 3 and all(len(i) >= 16 for i in (gp, health_visitor))

    _ok(cli("group", "set", social_worker, "--status", "letter-sent", db=db))
    _ok(cli("group", "set", health_visitor, "--status", "invited", db=db))
    _ok(cli("group", "set", gp, "--status", "declined", "--reason", "On leave until after the review", db=db))
    listed = json.loads(_ok(cli("group", "list", "--case", "CSPR-1", "--json", db=db)))
    assert [(m["role"], m["status"]) for m in listed] == [
        ("Social Worker 1", "letter_sent"), ("Health Visitor 1", "letter_sent"), ("GP 1", "declined")]
    assert listed[2]["reason"] == "On leave until after the review"
    text = _ok(cli("group", "list", "--case", "CSPR-1", db=db))
    assert "Social Worker 1" in text and "letter sent" in text and "declined: On leave" in text

    from assistant.conversation import Conversation
    from assistant.store import open_store
    from assistant.workflows import start_conversation

    store = open_store(db)
    case_id = store.scalar("SELECT id FROM cases WHERE reference = 'CSPR-1'")
    started = start_conversation(store, structure, case_id, practitioner_role="", member_id=social_worker)
    Conversation(store, structure, started.conversation_id).set_status("sent_for_checking")
    store.close()
    outstanding = _ok(cli("group", "list", "--case", "CSPR-1", "--outstanding", db=db))
    assert "record sent for checking" in outstanding and "wait for the accuracy check" in outstanding
    assert "Health Visitor 1" in outstanding and "GP 1" not in outstanding


def test_group_refusals_change_nothing(cli, tmp_path):
    db = tmp_path / "lt.db"
    _case(cli, db)
    member = _ok(cli("group", "add", "--case", "CSPR-1", "--role", "Teacher 1", db=db))
    before = _digest(db)
    _refused(cli("group", "set", member, "--status", "absent", db=db), "needs a reason")
    _refused(cli("group", "add", "--case", "NO-SUCH", "--role", "Teacher 2", db=db), "no case with reference NO-SUCH")
    _refused(cli("group", "add", "--case", "CSPR-1", "--role", " ", db=db), "role label")
    _refused(cli("group", "set", "no-such-id", "--status", "arranged", db=db), "no case-group member")
    assert _digest(db) == before


def test_the_introductory_letter_in_markdown_and_word(cli, tmp_path):
    db = tmp_path / "lt.db"
    _case(cli, db)
    member = _ok(cli("group", "add", "--case", "CSPR-1", "--role", "Health Visitor 1",
                     "--agency", "Community Health", db=db))
    _ok(cli("group", "arrange", member, "--date", "Tuesday 3 March", "--time", "10:00",
            "--place", "Room 2, Civic Centre", db=db))
    letter = tmp_path / "out" / "letter.md"
    letter.parent.mkdir()  # an export never makes the folder it is told to write into
    assert "Wrote" in _ok(cli("letter", "--member", member, "--format", "md", "--out", str(letter), db=db))
    text = letter.read_text()
    for words in ("What a Learning Together review is", "Learning, not blame", "accuracy", "Confidentiality",
                  "Bringing a colleague", "Support available", "Health Visitor 1, Community Health",
                  "Tuesday 3 March", "Room 2, Civic Centre", "Family A"):
        assert words in text, words
    assert "{" not in text
    assert stat.S_IMODE(letter.stat().st_mode) == 0o600
    listed = json.loads(_ok(cli("group", "list", "--case", "CSPR-1", "--json", db=db)))
    assert listed[0]["status"] == "to_invite"  # writing a letter is not sending it

    word = tmp_path / "letter.docx"
    _ok(cli("letter", "--member", member, "--format", "docx", "--out", str(word), "--sent", db=db))
    paragraphs = [p.text for p in WordDocument(str(word)).paragraphs]
    assert "Bringing a colleague" in paragraphs and any("Room 2, Civic Centre" in p for p in paragraphs)
    listed = json.loads(_ok(cli("group", "list", "--case", "CSPR-1", "--json", db=db)))
    assert listed[0]["status"] == "letter_sent" and listed[0]["letter_sent_at"]

    before = _digest(db)
    _refused(cli("letter", "--member", member, "--format", "md", "--out", str(letter), db=db), "already exists")
    _refused(cli("letter", "--member", "no-such-id", "--format", "md", "--out", str(tmp_path / "x.md"), db=db),
             "no case-group member")
    assert _digest(db) == before and not (tmp_path / "x.md").exists()


def test_structure_check_checks_the_letter_template(cli, tmp_path):
    _ok_text = _ok(cli("structure", "check", str(DEFAULT_LETTER)))
    assert "valid letter 'introductory-letter' version" in _ok_text
    broken = tmp_path / "letter.toml"
    broken.write_text(DEFAULT_LETTER.read_text().replace("{date}", "{meeting_day}").replace(
        'id = "colleague"', 'id = "companion"'))
    result = cli("structure", "check", str(broken))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "unknown field {meeting_day}" in result.stderr and "sections (id 'arrangements')" in result.stderr
    assert "'colleague' (that they can bring a colleague)" in result.stderr


def test_the_reviews_questions_and_the_findings_that_answer_them(cli, tmp_path, structure):
    db = tmp_path / "lt.db"
    _case(cli, db)
    first = _ok(cli("question", "add", "--case", "CSPR-1", "--text",
                    "How did agencies share what they knew about the family's moves?", db=db))
    second = _ok(cli("question", "add", "--case", "CSPR-1", "--text",
                     "What helped or hindered hearing the child's voice?", db=db))
    listed = _ok(cli("question", "list", "--case", "CSPR-1", db=db))
    assert listed.index("family's moves") < listed.index("child's voice")

    from assistant.review import add_finding
    from assistant.store import open_store

    store = open_store(db)
    case_id = store.scalar("SELECT id FROM cases WHERE reference = 'CSPR-1'")
    finding = add_finding(store, structure, case_id, "pattern_tools", statement="Moves are not shared.")
    store.close()
    _ok(cli("question", "link", "--finding", finding, "--question", first, db=db))
    unanswered = json.loads(_ok(cli("question", "list", "--case", "CSPR-1", "--unanswered", "--json", db=db)))
    assert [q["id"] for q in unanswered] == [second]
    before = _digest(db)
    _refused(cli("question", "add", "--case", "CSPR-1", "--text", "   ", db=db), "cannot be empty")
    _refused(cli("question", "link", "--finding", "nope", "--question", first, db=db), "no finding")
    assert _digest(db) == before


def test_prepared_queries_are_neither_listed_nor_counted_until_the_gate_opens(cli, tmp_path, structure):
    from assistant.conversation import Conversation
    from assistant.store import open_store
    from assistant.workflows import start_conversation

    db = tmp_path / "lt.db"
    _case(cli, db)
    store = open_store(db)
    case_id = store.scalar("SELECT id FROM cases WHERE reference = 'CSPR-1'")
    conversation_id = start_conversation(store, structure, case_id, practitioner_role="Teacher 1").conversation_id
    store.close()
    first = _ok(cli("query", "add", "--conversation", conversation_id, "--text",
                    "The school nurse's record mentions weight loss in the spring.", db=db))
    _ok(cli("query", "add", "--conversation", conversation_id, "--text",
            "Another account describes the family moving twice.", "--from", "accounts", db=db))
    locked = cli("query", "list", "--conversation", conversation_id, db=db)
    assert locked.returncode == 0 and "locked" in locked.stdout
    assert "2" not in locked.stdout + locked.stderr and "weight" not in locked.stdout
    as_json = cli("query", "list", "--conversation", conversation_id, "--json", db=db)
    assert json.loads(as_json.stdout) == {"locked": True}

    store = open_store(db)
    conversation = Conversation(store, structure, conversation_id)
    conversation.gate.open("The practitioner asked to see the records first")
    store.close()
    listed = json.loads(_ok(cli("query", "list", "--conversation", conversation_id, "--json", db=db)))
    assert listed["locked"] is False and [q["id"] for q in listed["queries"]][0] == first
    assert [q["origin"] for q in listed["queries"]] == ["records", "accounts"]
    assert "weight loss" in _ok(cli("query", "list", "--conversation", conversation_id, db=db))
    _ok(cli("query", "ask", first, "--conversation", conversation_id, db=db))
    listed = json.loads(_ok(cli("query", "list", "--conversation", conversation_id, "--json", db=db)))
    assert listed["queries"][0]["asked"] is True
    before = _digest(db)
    _refused(cli("query", "add", "--conversation", conversation_id, "--text", " ", db=db), "cannot be empty")
    _refused(cli("query", "add", "--conversation", "nope", "--text", "A query", db=db), "no conversation whose id starts with")
    assert _digest(db) == before


def test_hostile_text_prints_no_escape_sequences(cli, tmp_path):
    db = tmp_path / "lt.db"
    _case(cli, db)
    member = _ok(cli("group", "add", "--case", "CSPR-1", "--role", "Worker \x1b]52;c;aGk=\x07 1",
                     "--agency", "Agency \x1b[2J", db=db))
    _ok(cli("question", "add", "--case", "CSPR-1", "--text", "Why \x1b[31mred\x1b[0m?", db=db))
    for args in (("group", "list", "--case", "CSPR-1"), ("group", "list", "--case", "CSPR-1", "--json"),
                 ("question", "list", "--case", "CSPR-1"), ("group", "set", member, "--status", "arranged")):
        result = cli(*args, db=db)
        assert result.returncode == 0 and "\x1b" not in result.stdout + result.stderr
