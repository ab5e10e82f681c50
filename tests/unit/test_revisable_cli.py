"""Revising work from the command line, as a subprocess: conversations listed with short ids and named
by any unique prefix, labels corrected, records reopened, moments deleted, case episodes and findings
revised. Every refusal is one sentence, exit status 1, and the database file is left as it was."""

from __future__ import annotations

import hashlib
import json

import pytest

from assistant.cases import add_case
from assistant.conversation import Conversation, create_conversation
from assistant.review import add_finding, create_case_episode
from assistant.store import open_store
from assistant.structure import load_structure


def _digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _refused(result, sentence: str) -> None:
    assert result.returncode == 1, result.stdout + result.stderr
    assert sentence in result.stderr and "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1  # one sentence, one line


@pytest.fixture
def database(tmp_path):
    """A case with two conversations (the first with two moments and notes), a case episode and a finding."""
    structure = load_structure()
    path = tmp_path / "lt.db"
    store = open_store(path)
    case_id = add_case(store, "CSPR-2026-04", "Family A")
    ids = [create_conversation(store, structure, case_id=case_id, practitioner_role=role, agency=agency,
                               lead_interviewer="Reviewer A", second_interviewer="Reviewer B")
           for role, agency in (("Jane Smith", "Children's Social Care"), ("Health Visitor", "Health"))]
    c = Conversation(store, structure, ids[0])
    moments = [c.moments.add("The home visit", "March"), c.moments.add("The phone call", "April")]
    c.notes.add("I thought the family were coping.", ["words"], section_id="mindset", episode_id=moments[0])
    other = Conversation(store, structure, ids[1])
    theirs = other.moments.add("The clinic appointment", "May")
    visit = create_case_episode(store, case_id, "The first contact", [moments[0], theirs])
    call = create_case_episode(store, case_id, "Calls between agencies", [moments[1]])
    finding = add_finding(store, structure, case_id, "pattern_crisis", statement="Faxes are treated as delivered.",
                          case_episode_ids=[visit])
    store.close()
    return {"path": path, "conversations": ids, "moments": moments, "theirs": theirs, "visit": visit,
            "call": call, "finding": finding, "case_id": case_id}


def _open(path):
    return open_store(path)


def test_conversations_are_listed_with_short_ids_and_found_by_a_prefix(cli, database, tmp_path):
    db = database["path"]
    listed = cli("conversation", "list", db=db)
    assert listed.returncode == 0, listed.stderr
    for conversation_id in database["conversations"]:
        assert conversation_id[:8] in listed.stdout and conversation_id not in listed.stdout
    assert "Health Visitor" in listed.stdout and "CSPR-2026-04" in listed.stdout
    as_json = json.loads(cli("conversation", "list", "--case", "CSPR-2026-04", "--json", db=db).stdout)
    assert {row["id"] for row in as_json} == set(database["conversations"])
    assert {row["short_id"] for row in as_json} == {i[:8] for i in database["conversations"]}

    out = tmp_path / "record.md"
    exported = cli("export", "--conversation", database["conversations"][1][:6], "--format", "md",
                   "--out", str(out), db=db)
    assert exported.returncode == 0, exported.stderr
    assert "Health Visitor" in out.read_text()

    before = _digest(db)
    _refused(cli("conversation", "reopen", "zz", "--reason", "A correction", db=db),
             "Error: There is no conversation whose id starts with 'zz'; `conversation list` shows them.")
    _refused(cli("erase", "--conversation", "", "--reason", "A request", db=db), "Error: ")
    assert _digest(db) == before


def test_an_ambiguous_prefix_is_refused_in_one_sentence(cli, tmp_path):
    structure = load_structure()
    db = tmp_path / "many.db"
    store = open_store(db)
    case_id = add_case(store, "CSPR-1", "Family A")
    ids: list[str] = []
    while len({i[0] for i in ids}) == len(ids):  # until two conversations share a first character
        ids.append(create_conversation(store, structure, case_id=case_id, practitioner_role="Health Visitor"))
    store.close()
    shared = ids[-1][0]
    before = _digest(db)
    _refused(cli("conversation", "reopen", shared, "--reason", "A correction", db=db),
             f"Error: The id '{shared}' fits more than one conversation; give more of its characters.")
    assert _digest(db) == before


def test_labels_are_corrected_and_a_checked_record_reopened(cli, database):
    db, conversation_id = database["path"], database["conversations"][0]
    prefix = conversation_id[:8]
    before = _digest(db)
    _refused(cli("conversation", "relabel", prefix, "--role", "Social Worker 1", "--reason", " ", db=db),
             "Error: Give a short reason for changing a label; it is kept with the change.")
    _refused(cli("conversation", "relabel", prefix, "--reason", "typo", db=db),
             "Error: Nothing to change")
    assert _digest(db) == before
    done = cli("conversation", "relabel", prefix, "--role", "Social Worker 1", "--lead", "Reviewer C",
               "--reason", "A real name was typed by mistake", db=db)
    assert done.returncode == 0, done.stderr
    assert "role label" in done.stdout and "lead interviewer" in done.stdout
    assert "Warning" not in done.stderr
    named = cli("conversation", "relabel", prefix, "--second", "Mary Jones", "--reason", "Swapped pairs", db=db)
    assert named.returncode == 0 and "second interviewer looks like a person's name" in named.stderr
    history = cli("conversation", "history", prefix, db=db)
    assert "Jane Smith" in history.stdout and "A real name was typed by mistake" in history.stdout

    store = _open(db)
    Conversation(store, load_structure(), conversation_id).set_status("checked")
    store.close()
    _refused(cli("conversation", "reopen", prefix, "--reason", "", db=db), "Error: Give a short reason")
    reopened = cli("conversation", "reopen", prefix, "--reason", "The practitioner asked for a correction", db=db)
    assert reopened.returncode == 0 and "in progress" in reopened.stdout
    store = _open(db)
    try:
        row = store.one("SELECT * FROM conversations WHERE id = ?", (conversation_id,))
        assert (row["practitioner_role"], row["lead_interviewer"], row["status"]) == (
            "Social Worker 1", "Reviewer C", "in_progress")
        actions = [r["action"] for r in store.query("SELECT action FROM events WHERE entity_id = ?", (conversation_id,))]
        assert actions[-2:] == ["status", "reopen"] and "relabel" in actions
    finally:
        store.close()
    assert cli("audit", "verify", db=db).returncode == 0


def test_a_moment_is_deleted_with_its_notes_moved_where_the_user_says(cli, database):
    db = database["path"]
    first, second = database["moments"]
    listed = cli("moment", "list", database["conversations"][0][:8], db=db)
    assert listed.returncode == 0 and first[:8] in listed.stdout and "The home visit" in listed.stdout
    before = _digest(db)
    _refused(cli("moment", "delete", first[:8], db=db),
             "Error: Say where its notes go: --move-to another moment, or --no-moment to keep them under no moment.")
    _refused(cli("moment", "delete", first[:8], "--move-to", database["theirs"][:8], db=db),
             "Error: That key moment is not part of this conversation.")
    assert _digest(db) == before
    done = cli("moment", "delete", first[:8], "--move-to", second[:8], db=db)
    assert done.returncode == 0, done.stderr
    assert "1 note" in done.stdout and "The phone call" in done.stdout
    store = _open(db)
    try:
        assert store.scalar("SELECT COUNT(*) FROM episodes WHERE id = ?", (first,)) == 0
        assert store.scalar("SELECT episode_id FROM notes") == second
    finally:
        store.close()
    kept = cli("moment", "delete", second[:8], "--no-moment", db=db)
    assert kept.returncode == 0 and "no moment" in kept.stdout


def test_case_episodes_are_revised_from_the_command_line(cli, database):
    db, visit, call = database["path"], database["visit"], database["call"]
    listed = cli("episode", "list", "--case", "CSPR-2026-04", db=db)
    assert listed.returncode == 0 and visit[:8] in listed.stdout and "The first contact" in listed.stdout
    assert cli("episode", "rename", visit[:8], "First contacts", db=db).returncode == 0
    unlinked = cli("episode", "unlink", visit[:8], database["theirs"][:8], db=db)
    assert unlinked.returncode == 0, unlinked.stderr
    before = _digest(db)
    _refused(cli("episode", "unlink", visit[:8], database["theirs"][:8], db=db),
             "Error: That key moment is not linked to this case episode.")
    _refused(cli("episode", "merge", visit[:8], visit[:8], db=db), "Error: An episode cannot be merged with itself")
    assert _digest(db) == before
    merged = cli("episode", "merge", visit[:8], call[:8], "--title", "Early contacts", db=db)
    assert merged.returncode == 0, merged.stderr
    listed = cli("episode", "list", "--case", database["case_id"][:8], db=db)
    assert "Early contacts" in listed.stdout and call[:8] not in listed.stdout
    assert cli("episode", "delete", visit[:8], "--reason", "Split differently", db=db).returncode == 0
    assert "No case episodes" in cli("episode", "list", "--case", "CSPR-2026-04", db=db).stdout
    store = _open(db)
    try:
        assert store.scalar("SELECT COUNT(*) FROM episodes") == 3
        assert [r["action"] for r in store.query(
            "SELECT action FROM events WHERE entity_id = ? ORDER BY rowid", (visit,))] == [
            "create", "edit", "unlink", "merge", "delete"]
    finally:
        store.close()


def test_findings_are_edited_withdrawn_and_their_history_shown(cli, database):
    db, finding = database["path"], database["finding"]
    listed = cli("finding", "list", "--case", "CSPR-2026-04", db=db)
    assert finding[:8] in listed.stdout and "Faxes are treated as delivered." in listed.stdout
    before = _digest(db)
    _refused(cli("finding", "edit", finding[:8], "--typology", "factor_interagency", db=db),
             "Error: 'factor_interagency' is not one of the underlying-pattern categories.")
    _refused(cli("finding", "edit", finding[:8], "--statement", " ", db=db), "Error: A finding needs a statement.")
    assert _digest(db) == before
    edited = cli("finding", "edit", finding[:8], "--statement", "Referrals by fax are assumed to arrive.",
                 "--questions", "How is receipt confirmed?", "--reason", "After the meeting", db=db)
    assert edited.returncode == 0 and "statement" in edited.stdout and "questions" in edited.stdout
    history = cli("finding", "history", finding[:8], db=db)
    assert "Faxes are treated as delivered." in history.stdout and "After the meeting" in history.stdout
    _refused(cli("finding", "withdraw", finding[:8], "--reason", "", db=db), "Error: Give a short reason")
    assert cli("finding", "withdraw", finding[:8], "--reason", "Not borne out", db=db).returncode == 0
    assert finding[:8] not in cli("finding", "list", "--case", "CSPR-2026-04", db=db).stdout
    everything = cli("finding", "list", "--case", "CSPR-2026-04", "--all", db=db).stdout
    assert finding[:8] in everything and "withdrawn: Not borne out" in everything
