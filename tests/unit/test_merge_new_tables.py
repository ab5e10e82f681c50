"""Merging the tables of revisable work (schema 8) and of the stages before the conversations (schema 9):
what a pair's hand-over carries reaches the lead once, and what was erased, deleted or withdrawn here
stays so."""

from __future__ import annotations

import shutil
import sqlite3

import pytest

from assistant.casegroup import add_member, link_conversation, record_letter_sent, set_arrangements
from assistant.cases import find_case
from assistant.conversation import Conversation
from assistant.conversation.prepared import add_prepared_query, ask_prepared_query
from assistant.erasure import erase_case, erase_conversation
from assistant.merge import handover, merge_source
from assistant.review import add_finding, create_case_episode
from assistant.review_questions import add_question, link_finding
from assistant.revisions import delete_case_episode, save_finding_draft, withdraw_finding
from assistant.store import open_store
from assistant.structure import load_structure

from tests.unit.pairs import pair_database

NEW_TABLES = ("revisions", "case_group_members", "review_questions", "finding_questions", "prepared_queries")


def rows(db, table, where="1"):
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(f"SELECT * FROM {table} WHERE {where}")]
    finally:
        conn.close()


def counts(db):
    conn = sqlite3.connect(db)
    try:
        return {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
                for t in (*NEW_TABLES, "case_drafts", "episodes", "notes", "findings")}
    finally:
        conn.close()


def stages_before(path, pair):
    """The pair's work before and around the conversation, done with the real core functions."""
    structure = load_structure()
    store = open_store(path)
    case_id = find_case(store, "CSPR-2026-04")["id"]
    member = add_member(store, case_id, "Probation Officer", "Probation service")
    record_letter_sent(store, member)
    set_arrangements(store, member, date="2026-05-04", time="10:00", place="Room 2")
    link_conversation(store, member, pair["conversation_id"])
    question = add_question(store, case_id, "How did agencies share what they knew about the family?")
    finding = add_finding(store, structure, case_id, "pattern_tools", statement="Referral forms lose context.")
    link_finding(store, finding, question)
    save_finding_draft(store, case_id, {"statement": "Half a thought about supervision"})
    c = Conversation(store, structure, pair["conversation_id"])
    c.gate.open("Agreed with the practitioner to look at records early")
    asked = add_prepared_query(c, "The records show a visit in March; what do you recall of it?")
    add_prepared_query(c, "Who else was at the strategy meeting?", origin="accounts")
    note_id = ask_prepared_query(c, asked)
    c.relabel("A name was typed by mistake", agency="Probation service")
    c.moments.delete(pair["episodes"][1], reason="Recorded twice")
    store.close()
    return {"member": member, "question": question, "finding": finding, "note": note_id}


@pytest.fixture
def pair(tmp_path):
    made = pair_database(tmp_path / "pair-a.db", "Probation Officer", ["Sending the fax", "Sending the fax again"])
    made.update(stages_before(made["path"], made))
    return made


def hand_over(pair, name):
    store = open_store(pair["path"])
    out = handover(store, pair["path"].with_name(name))
    store.close()
    return out


def test_each_new_table_travels_once_and_drafts_stay_behind(tmp_path, pair):
    copy = hand_over(pair, "a-1.db")
    lead = open_store(tmp_path / "lead.db")
    first = merge_source(lead, copy)
    after = counts(lead.path)
    again = merge_source(lead, copy)
    lead.close()
    assert counts(lead.path) == after
    assert sum(again.added.values()) == 0 and not again.conflicts
    assert first.added["revisions"] == 2  # the earlier agency and the deleted moment's name
    assert {(r["entity"], r["field"]) for r in rows(lead.path, "revisions")} == {
        ("conversation", "agency"), ("episode", "deleted")}
    assert first.added["case_group_members"] == 1 and first.added["review_questions"] == 1
    assert first.added["prepared_queries"] == 2
    member = rows(lead.path, "case_group_members")[0]
    assert member["conversation_id"] == pair["conversation_id"] and member["meeting_place"] == "Room 2"
    assert member["letter_sent_at"] and member["source"].startswith("a-1.db sha256:")
    asked = rows(lead.path, "prepared_queries", "note_id IS NOT NULL")
    assert [q["note_id"] for q in asked] == [pair["note"]]
    assert after["case_drafts"] == 0 and after["findings"] == 0
    assert after["finding_questions"] == 0  # its finding is not here
    assert rows(lead.path, "review_questions")[0]["case_id"] == rows(lead.path, "cases")[0]["id"]


def test_a_finding_linked_to_a_question_travels_when_both_are_here(tmp_path, pair):
    lead_path = tmp_path / "lead.db"
    shutil.copy(hand_over(pair, "a-1.db"), lead_path)  # a lead who began from the pair's copy
    with sqlite3.connect(lead_path) as conn:
        conn.execute("DELETE FROM finding_questions")
    report = merge_source(open_store(lead_path), hand_over(pair, "a-2.db"))
    assert report.added["finding_questions"] == 1
    assert [(r["finding_id"], r["question_id"]) for r in rows(lead_path, "finding_questions")] == [
        (pair["finding"], pair["question"])]


def test_a_member_keeps_no_link_to_a_conversation_not_merged(tmp_path, pair):
    copy = hand_over(pair, "a-1.db")
    lead = open_store(tmp_path / "lead.db")
    merge_source(lead, copy)
    erase_conversation(lead, pair["conversation_id"], "Consent withdrawn", "lead reviewer")
    lead.close()
    with sqlite3.connect(tmp_path / "lead.db") as conn:
        conn.execute("DELETE FROM case_group_members")
    lead = open_store(tmp_path / "lead.db")
    report = merge_source(lead, copy)
    lead.close()
    assert report.added["case_group_members"] == 1
    assert rows(lead.path, "case_group_members")[0]["conversation_id"] is None
    assert counts(lead.path)["prepared_queries"] == 0
    assert counts(lead.path)["revisions"] == 0  # the erased conversation's history stays gone


def test_an_erased_case_gets_none_of_its_new_rows_back(tmp_path, pair):
    copy = hand_over(pair, "a-1.db")
    lead = open_store(tmp_path / "lead.db")
    merge_source(lead, copy)
    erase_case(lead, "CSPR-2026-04", "Retention period ended", "lead reviewer")
    store = open_store(pair["path"])
    case_id = find_case(store, "CSPR-2026-04")["id"]
    add_member(store, case_id, "Health Visitor", "Health")
    add_question(store, case_id, "What did the health service know?")
    store.close()
    report = merge_source(lead, hand_over(pair, "a-2.db"))
    lead.close()
    assert report.skipped_erased > 0
    assert all(n == 0 for n in (counts(lead.path)[t] for t in NEW_TABLES))


def test_a_moment_deleted_by_the_pair_does_not_come_back_from_an_older_copy(tmp_path):
    pair = pair_database(tmp_path / "pair-b.db", "Social Worker 1", ["The referral arriving", "Closing the case"])
    older = hand_over(pair, "b-1.db")
    store = open_store(pair["path"])
    Conversation(store, load_structure(), pair["conversation_id"]).moments.delete(pair["episodes"][0],
                                                                                  reason="Not a key moment")
    store.close()
    newer = hand_over(pair, "b-2.db")
    lead = open_store(tmp_path / "lead.db")
    merge_source(lead, newer)
    report = merge_source(lead, older)
    again = merge_source(lead, older)
    lead.close()
    assert [e["id"] for e in rows(lead.path, "episodes")] == [pair["episodes"][1]]
    assert report.added["episodes"] == 0 and report.skipped_deleted == 1
    assert "1 row skipped: deleted here" in report.summary()
    assert sum(again.added.values()) == 0
    # its notes stay as the newer copy has them, under "no moment"
    assert rows(lead.path, "notes", f"episode_id = '{pair['episodes'][0]}'") == []


def test_a_deleted_case_episode_and_a_withdrawn_finding_stay_so(tmp_path):
    structure = load_structure()
    pair = pair_database(tmp_path / "pair-c.db", "Health Visitor", ["The home visit"])
    store = open_store(pair["path"])
    case_id = find_case(store, "CSPR-2026-04")["id"]
    episode = create_case_episode(store, case_id, "Information sharing at the visit", pair["episodes"])
    finding = add_finding(store, structure, case_id, "pattern_tools", statement="Forms lose context.")
    store.close()
    older = hand_over(pair, "c-1.db")
    lead_path = tmp_path / "lead.db"
    shutil.copy(older, lead_path)  # the lead's own work began from this copy
    lead = open_store(lead_path)
    delete_case_episode(lead, episode, reason="Folded into another episode")
    withdraw_finding(lead, finding, "The evidence did not hold up")
    report = merge_source(lead, older)
    lead.close()
    assert rows(lead_path, "case_episodes", f"id = '{episode}'") == []
    withdrawn = rows(lead_path, "findings", f"id = '{finding}'")[0]
    assert withdrawn["withdrawn_at"] and withdrawn["withdrawn_reason"] == "The evidence did not hold up"
    assert not [c for c in report.conflicts if c["table"] in ("findings", "case_episodes")]


def test_a_member_whose_stage_differs_is_set_aside_and_a_later_touch_is_not(tmp_path, pair):
    lead = open_store(tmp_path / "lead.db")
    merge_source(lead, hand_over(pair, "a-1.db"))
    saved = rows(pair["path"], "case_group_members")[0]["updated_at"]
    store = open_store(pair["path"])
    # The same arrangements saved again: only when the member was last saved changes.
    set_arrangements(store, pair["member"], date="2026-05-04", time="10:00", place="Room 2")
    assert rows(pair["path"], "case_group_members")[0]["updated_at"] != saved
    touched = merge_source(lead, hand_over(pair, "a-2.db"))
    set_arrangements(store, pair["member"], date="2026-05-11", time="14:00", place="Room 3")
    store.close()
    moved = merge_source(lead, hand_over(pair, "a-3.db"))
    lead.close()
    assert not touched.conflicts and touched.added["case_group_members"] == 0
    assert moved.conflicts == [{"table": "case_group_members", "id": pair["member"]}]
    assert rows(lead.path, "case_group_members")[0]["meeting_place"] == "Room 2"
