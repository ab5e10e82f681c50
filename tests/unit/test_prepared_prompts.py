"""Prepared queries as prompts of *Questions from the wider picture*: absent (not even counted) while the
gate is closed, then prompts with the same marks and coverage as the structure's, in the conversation,
its summary and the review's coverage — on real SQLite files through the core functions."""

from __future__ import annotations

import pytest

from assistant.conversation import Conversation, ConversationError
from assistant.conversation.prepared import (
    PREPARED_PREFIX, add_prepared_query, ask_prepared_query, is_prepared, remove_prepared_query,
)
from assistant.exports.document import to_markdown
from assistant.exports.record import build_record
from assistant.review import coverage_matrix


def _open_gate(conversation: Conversation) -> None:
    conversation.notes.add("Their own account, in their words", section_id="overview")
    conversation.moments.add("The home visit in March")


def _queries_prompts(conversation: Conversation) -> list:
    stop = next(s for s in conversation.state().stops if s.section.id == "queries")
    return list(stop.section.prompts)


def test_closed_gate_leaves_the_section_as_the_structure_wrote_it(conversation, structure):
    first = add_prepared_query(conversation, "The GP letter of 4 May mentions a missed appointment.")
    add_prepared_query(conversation, "The school describes the child as often tired.", origin="accounts")
    assert [p.id for p in _queries_prompts(conversation)] == [
        p.id for p in structure.section_by_id["queries"].prompts]
    coverage = conversation.coverage()
    assert not any(is_prepared(p.prompt.id) for p in coverage.prompts)
    assert len(coverage.prompts) == sum(len(s.section.prompts) for s in conversation.state().stops)
    with pytest.raises(ConversationError):
        conversation.marks.mark(PREPARED_PREFIX + first, "asked", section_id="queries")


def test_an_open_gate_adds_each_query_as_a_prompt_in_the_order_written(conversation, structure):
    first = add_prepared_query(conversation, "The GP letter of 4 May mentions a missed appointment.")
    second = add_prepared_query(conversation, "The school describes the child as often tired.", origin="accounts")
    _open_gate(conversation)
    prompts = _queries_prompts(conversation)
    structure_ids = [p.id for p in structure.section_by_id["queries"].prompts]
    assert [p.id for p in prompts] == [*structure_ids, PREPARED_PREFIX + first, PREPARED_PREFIX + second]
    assert prompts[-1].text == "The school describes the child as often tired."
    from_others = structure.section_by_id["queries"].prompts[1]
    assert prompts[-1].probes == from_others.probes  # the guidance of the prompt for its origin


def test_prepared_prompts_take_the_same_marks_and_coverage(conversation):
    first = add_prepared_query(conversation, "The GP letter of 4 May mentions a missed appointment.")
    second = add_prepared_query(conversation, "The school describes the child as often tired.", origin="accounts")
    third = add_prepared_query(conversation, "The police log records a call in the night.")
    _open_gate(conversation)
    conversation.marks.mark(PREPARED_PREFIX + first, "asked", section_id="queries")
    conversation.marks.mark(PREPARED_PREFIX + second, "later", section_id="queries")
    conversation.marks.mark(PREPARED_PREFIX + third, "declined", section_id="queries")
    states = {p.prompt.id: p.state for p in conversation.coverage().prompts}
    assert states[PREPARED_PREFIX + first] == "covered"
    assert states[PREPARED_PREFIX + second] == "come back later"
    assert states[PREPARED_PREFIX + third] == "declined"
    later = conversation.state().later
    assert [item.prompt.id for item in later] == [PREPARED_PREFIX + second]
    conversation.notes.add("They recall the call came late on a Friday.", section_id="queries",
                           prompt_id=PREPARED_PREFIX + second)
    assert [item.prompt.id for item in conversation.state().later] == [PREPARED_PREFIX + second]
    conversation.marks.mark(PREPARED_PREFIX + second, "asked", section_id="queries")
    states = {p.prompt.id: p.state for p in conversation.coverage().prompts}
    assert states[PREPARED_PREFIX + second] == "covered"
    assert conversation.state().later == []


def test_asking_files_the_query_under_its_own_prompt(conversation):
    query = add_prepared_query(conversation, "The health record shows a change of address in June.")
    _open_gate(conversation)
    note_id = ask_prepared_query(conversation, query)
    assert conversation.notes.get(note_id)["prompt_id"] == PREPARED_PREFIX + query
    states = {p.prompt.id: p.state for p in conversation.coverage().prompts}
    assert states[PREPARED_PREFIX + query] == "covered"


def test_a_query_with_a_mark_or_an_answer_cannot_be_removed(conversation):
    marked = add_prepared_query(conversation, "The records show a referral in April.")
    spare = add_prepared_query(conversation, "Another account mentions a strategy meeting.", origin="accounts")
    _open_gate(conversation)
    conversation.marks.mark(PREPARED_PREFIX + marked, "skipped", section_id="queries")
    with pytest.raises(ConversationError, match="marked"):
        remove_prepared_query(conversation, marked)
    remove_prepared_query(conversation, spare)
    assert [p.id for p in _queries_prompts(conversation)][-1] == PREPARED_PREFIX + marked


def test_unasked_queries_stay_out_of_the_record_even_when_marked(conversation):
    asked = add_prepared_query(conversation, "The records show a referral in April.")
    skipped = add_prepared_query(conversation, "Another account mentions a strategy meeting.", origin="accounts")
    _open_gate(conversation)
    conversation.marks.mark(PREPARED_PREFIX + skipped, "skipped", section_id="queries")
    conversation.notes.add("They remember the referral arriving by fax.", section_id="queries",
                           prompt_id=PREPARED_PREFIX + asked)
    record = to_markdown(build_record(conversation))
    assert "arriving by fax" in record and "strategy meeting" not in record


def test_review_coverage_lists_a_conversations_queries_only_once_its_gate_is_open(store, structure, case_id,
                                                                                  conversation):
    query = add_prepared_query(conversation, "The records show a referral in April.")
    closed = coverage_matrix(store, structure, case_id, prepared=True)
    assert not any(is_prepared(r["prompt"].id) for r in closed.rows)
    assert len(closed.rows) == sum(len(s.prompts) for s in structure.sections)
    _open_gate(conversation)
    conversation.marks.mark(PREPARED_PREFIX + query, "asked", section_id="queries")
    matrix = coverage_matrix(store, structure, case_id, prepared=True)
    rows = [r for r in matrix.rows if is_prepared(r["prompt"].id)]
    assert [r["prompt"].text for r in rows] == ["The records show a referral in April."]
    assert rows[0]["cells"][conversation.id] == {"state": "covered", "notes": 0}
    assert rows[0]["section"].id == "queries"
    index = matrix.rows.index(rows[0])
    assert matrix.rows[index - 1]["section"].id == "queries"  # right after the section's own prompts
    # Without asking for them (the meeting packs), the matrix is the structure's prompts only.
    assert not any(is_prepared(r["prompt"].id) for r in coverage_matrix(store, structure, case_id).rows)


def test_marks_and_answers_of_prepared_queries_travel_in_a_hand_over_and_merge(tmp_path, structure):
    from assistant.cases import find_case
    from assistant.merge import handover, merge_source
    from assistant.store import open_store

    from tests.unit.pairs import pair_database

    made = pair_database(tmp_path / "pair-a.db", "Probation Officer", ["Sending the fax"])
    store = open_store(made["path"])
    pair = Conversation(store, structure, made["conversation_id"])
    asked = add_prepared_query(pair, "The records show the fax number changed in May.")
    later = add_prepared_query(pair, "Another account mentions a call to the duty desk.", origin="accounts")
    pair.marks.mark(PREPARED_PREFIX + asked, "asked", section_id="queries")
    pair.notes.add("They had not been told of the new number.", section_id="queries",
                   prompt_id=PREPARED_PREFIX + asked)
    pair.marks.mark(PREPARED_PREFIX + later, "later", section_id="queries")
    copy = handover(store, made["path"].with_name("a-1.db"))
    store.close()
    lead = open_store(tmp_path / "lead.db")
    merge_source(lead, copy)
    matrix = coverage_matrix(lead, structure, find_case(lead, "CSPR-2026-04")["id"], prepared=True)
    cells = {r["prompt"].text: r["cells"][made["conversation_id"]] for r in matrix.rows if is_prepared(r["prompt"].id)}
    assert cells == {"The records show the fax number changed in May.": {"state": "covered", "notes": 1},
                     "Another account mentions a call to the duty desk.": {"state": "come back later", "notes": 0}}
    merged = Conversation(lead, structure, made["conversation_id"])
    assert [item.prompt.id for item in merged.state().later] == [PREPARED_PREFIX + later]
    lead.close()


def test_the_list_of_queries_says_which_were_asked_however_they_were(conversation):
    marked = add_prepared_query(conversation, "The records show a referral in April.")
    answered = add_prepared_query(conversation, "Another account mentions a strategy meeting.", origin="accounts")
    waiting = add_prepared_query(conversation, "The police log records a call in the night.")
    _open_gate(conversation)
    conversation.marks.mark(PREPARED_PREFIX + marked, "asked", section_id="queries")
    conversation.notes.add("They were not invited to it.", section_id="queries", prompt_id=PREPARED_PREFIX + answered)
    conversation.marks.mark(PREPARED_PREFIX + waiting, "later", section_id="queries")
    from assistant.conversation.prepared import prepared_queries

    listed = {q["id"]: (q["asked"], q["state"]) for q in prepared_queries(conversation)}
    assert listed == {marked: (True, "covered"), answered: (True, "covered"), waiting: (False, "come back later")}
    ask_prepared_query(conversation, marked)  # marked asked, and now brought into the record as a note too
    with pytest.raises(ConversationError, match="already"):
        ask_prepared_query(conversation, marked)
