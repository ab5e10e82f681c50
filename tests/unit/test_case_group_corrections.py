"""Correcting the case group from the command line, as a subprocess: a member's role label and agency
edited (a person's name typed by mistake is not kept), a member removed, members linked to the
conversations already held, and short ids accepted by every preparation command."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest

from assistant.cases import add_case
from assistant.conversation import Conversation
from assistant.store import open_store
from assistant.workflows import start_conversation

ROOT = Path(__file__).resolve().parents[2]
REMOVED_NAME = "[a person's name, removed]"


def run(db: Path, *args: str) -> subprocess.CompletedProcess:
    """The real command line on `db`."""
    return subprocess.run([sys.executable, "-m", "assistant", "--db", str(db), *args], capture_output=True,
                          text=True, cwd=ROOT, env=dict(os.environ), timeout=60)


def ok(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return result.stdout.strip()


def refused(result: subprocess.CompletedProcess, words: str) -> None:
    assert result.returncode == 1, result.stdout
    assert result.stderr.startswith("Error: ") and words in result.stderr, result.stderr
    assert "Traceback" not in result.stderr and result.stderr.count("\n") == 1


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def members(db: Path) -> list[dict]:
    return json.loads(ok(run(db, "group", "list", "--case", "CSPR-1", "--json")))


def revisions(db: Path, member_id: str) -> list[tuple[str, str, str]]:
    with closing(sqlite3.connect(db)) as conn:
        return conn.execute("SELECT field, old_value, reason FROM revisions WHERE entity = 'case_group_member'"
                            " AND entity_id = ? ORDER BY rowid", (member_id,)).fetchall()


@pytest.fixture
def db(tmp_path, structure) -> Path:
    """A case, CSPR-1, with the health visitor's conversation already sent for checking and the social
    worker's in progress (neither has a case-group member yet)."""
    path = tmp_path / "lt.db"
    store = open_store(path)
    case_id = add_case(store, "CSPR-1", "Family A")
    visit = start_conversation(store, structure, case_id, practitioner_role="Health Visitor",
                               agency="Community Health").conversation_id
    Conversation(store, structure, visit).set_status("sent_for_checking")
    start_conversation(store, structure, case_id, practitioner_role="Social Worker 1", agency="Children's Services")
    store.close()
    return path


def conversation_id(db: Path, role: str) -> str:
    with closing(sqlite3.connect(db)) as conn:
        return conn.execute("SELECT id FROM conversations WHERE practitioner_role = ?", (role,)).fetchone()[0]


def test_a_name_typed_as_a_role_is_replaced_and_not_kept(db):
    member = ok(run(db, "group", "add", "--case", "CSPR-1", "--role", "John Smith", "--agency", "Education"))
    result = run(db, "group", "edit", member[:8], "--role", "Teacher 1", "--reason", "A name was typed by mistake",
                 "--was-a-name")
    assert "Teacher 1" in ok(result)
    assert [(m["role"], m["agency"]) for m in members(db)] == [("Teacher 1", "Education")]
    assert revisions(db, member) == [("role", REMOVED_NAME, "A name was typed by mistake")]
    assert b"John Smith" not in db.read_bytes()
    assert not any(b"John Smith" in p.read_bytes() for p in db.parent.iterdir() if p.is_file())


def test_an_ordinary_correction_keeps_the_earlier_label_and_needs_a_reason(db):
    member = ok(run(db, "group", "add", "--case", "CSPR-1", "--role", "School Nurse", "--agency", "Educaton"))
    before = digest(db)
    refused(run(db, "group", "edit", member[:8], "--agency", "Education"), "reason")
    refused(run(db, "group", "edit", member[:8], "--role", " ", "--reason", "Emptied"), "role label")
    refused(run(db, "group", "edit", "ffffffff", "--role", "Nurse", "--reason", "No such member"),
            "no case-group member whose id starts with 'ffffffff'")
    assert digest(db) == before
    ok(run(db, "group", "edit", member[:6], "--agency", "School Health", "--reason", "Spelling"))
    assert [(m["role"], m["agency"]) for m in members(db)] == [("School Nurse", "School Health")]
    assert revisions(db, member) == [("agency", "Educaton", "Spelling")]


def test_a_member_added_by_mistake_is_removed_but_not_one_linked_to_a_conversation(db):
    linked = ok(run(db, "group", "add", "--case", "CSPR-1", "--role", "Health Visitor", "--agency", "Community Health"))
    mistake = ok(run(db, "group", "add", "--case", "CSPR-1", "--role", "Teacher 2"))
    before = digest(db)
    refused(run(db, "group", "remove", linked[:8], "--reason", "Added twice"), "linked to a conversation")
    refused(run(db, "group", "remove", mistake[:8]), "reason")
    assert digest(db) == before
    assert "Removed" in ok(run(db, "group", "remove", mistake[:8], "--reason", "Not involved in the case"))
    assert [m["id"] for m in members(db)] == [linked]
    assert revisions(db, mistake)[0][2] == "Not involved in the case"
    assert "Teacher 2" in revisions(db, mistake)[0][1]


def test_a_member_matching_a_conversation_already_held_is_linked_and_follows_it(db):
    result = run(db, "group", "add", "--case", "CSPR-1", "--role", "Health Visitor", "--agency", "Community Health")
    member = ok(result)
    assert len(member.splitlines()) == 1  # stdout stays just the id
    assert "Linked" in result.stderr and conversation_id(db, "Health Visitor")[:8] in result.stderr
    [listed] = members(db)
    assert (listed["status"], listed["conversation_id"]) == ("sent_for_checking", conversation_id(db, "Health Visitor"))
    assert "record sent for checking" in ok(run(db, "group", "list", "--case", "CSPR-1"))


def test_an_edit_that_now_matches_links_the_conversation(db):
    member = ok(run(db, "group", "add", "--case", "CSPR-1", "--role", "Social Worker", "--agency", "Children's Services"))
    assert members(db)[0]["status"] == "to_invite"
    result = run(db, "group", "edit", member[:8], "--role", "Social Worker 1", "--reason", "Numbered as in records")
    assert "Linked" in ok(result) + result.stderr
    assert members(db)[0]["status"] == "held"


def test_several_matching_conversations_are_offered_and_linked_by_hand(db, structure):
    store = open_store(db)
    case_id = store.scalar("SELECT id FROM cases")
    start_conversation(store, structure, case_id, practitioner_role="GP", agency="Primary Care")
    start_conversation(store, structure, case_id, practitioner_role="GP", agency="Primary Care")
    store.close()
    result = run(db, "group", "add", "--case", "CSPR-1", "--role", "GP", "--agency", "Primary Care")
    member = ok(result)
    assert "group link" in result.stderr and members(db)[0]["conversation_id"] is None
    with closing(sqlite3.connect(db)) as conn:
        first, second = [r[0] for r in conn.execute("SELECT id FROM conversations WHERE practitioner_role = 'GP'"
                                                    " ORDER BY rowid")]
    ok(run(db, "group", "link", member[:8], "--conversation", second[:8]))
    assert members(db)[0]["conversation_id"] == second
    other = ok(run(db, "group", "add", "--case", "CSPR-1", "--role", "GP 2", "--agency", "Primary Care"))
    before = digest(db)
    refused(run(db, "group", "link", other[:8], "--conversation", second[:8]), "already belongs")
    assert digest(db) == before


def test_every_preparation_command_takes_a_short_id(db, tmp_path):
    conversation = conversation_id(db, "Social Worker 1")
    query = ok(run(db, "query", "add", "--conversation", conversation[:8], "--text", "What did the records show?"))
    assert json.loads(ok(run(db, "query", "list", "--conversation", conversation[:8], "--json"))) == {"locked": True}
    refused(run(db, "query", "list", "--conversation", "ffffffff"), "no conversation whose id starts with")
    ok(run(db, "query", "remove", query[:8], "--conversation", conversation[:8]))

    member = ok(run(db, "group", "add", "--case", "CSPR-1", "--role", "Teacher 1", "--agency", "Education"))
    ok(run(db, "group", "arrange", member[:8], "--place", "Room 2"))
    ok(run(db, "letter", "--member", member[:8], "--format", "md", "--out", str(tmp_path / "letter.md"), "--sent"))
    assert members(db)[-1]["status"] == "letter_sent"
    ok(run(db, "group", "set", member[:8], "--status", "arranged"))
    assert members(db)[-1]["status"] == "arranged"

    question = ok(run(db, "question", "add", "--case", "CSPR-1", "--text", "How was information shared?"))
    ok(run(db, "question", "edit", question[:8], "--text", "How did agencies share what they knew?"))
    ok(run(db, "question", "remove", question[:8]))
    refused(run(db, "question", "remove", "ffffffff"), "no question whose id starts with")


def test_a_member_who_checked_the_report_stays_and_an_edit_that_changes_nothing_needs_no_reason(db, structure):
    from assistant.casegroup import add_member
    from assistant.report import draft_report, record_accuracy_check

    store = open_store(db)
    case_id = store.scalar("SELECT id FROM cases")
    member = add_member(store, case_id, "Teacher 1", "Education")
    draft_report(store, structure, case_id)
    record_accuracy_check(store, case_id, 1, member, "confirmed")
    store.close()
    before = digest(db)
    refused(run(db, "group", "remove", member[:8], "--reason", "Added by mistake"), "checked the report")
    assert ok(run(db, "group", "edit", member[:8], "--role", "Teacher 1")) == "Nothing to change."
    assert digest(db) == before
