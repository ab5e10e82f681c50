"""How a conversation counts its prompts, on a real SQLite file: the key-moments prompt is answered by
the moments named; "come back later" is the mark until the pair marks the prompt otherwise; and where a
prepared query kept with the gate open now sits."""

from __future__ import annotations

from assistant.conversation import Conversation, create_conversation, prompt_state
from assistant.conversation.prepared import add_prepared_query, prepared_prompt_place
from assistant.exports.case import export_case
from assistant.review import coverage_matrix


def _states(conversation: Conversation, section_id: str) -> dict[str, str]:
    return {p.prompt.id: p.state for p in conversation.coverage().prompts if p.section.id == section_id}


def test_naming_moments_covers_the_key_moments_prompt_and_only_it(conversation: Conversation):
    assert _states(conversation, "key_moments") == {"turning_points": "not reached", "moments_order": "not reached"}
    conversation.moments.add("The first home visit", "spring")
    assert _states(conversation, "key_moments") == {"turning_points": "covered", "moments_order": "not reached"}
    stop = next(s for s in conversation.state().stops if s.section.id == "key_moments")
    assert conversation.state().section_states[conversation.state().stops.index(stop)] == "covered"


def test_the_review_coverage_says_the_same_as_each_conversation(store, structure, case_id, conversation):
    other = Conversation(store, structure, create_conversation(store, structure, case_id=case_id,
                                                               practitioner_role="Social Worker",
                                                               agency="Children's Services"))
    for title in ("The referral", "The strategy meeting", "The case closing", "The handover"):
        conversation.moments.add(title)
    matrix = coverage_matrix(store, structure, case_id)
    cells = {row["prompt"].id: row["cells"] for row in matrix.rows if row["section"].id == "key_moments"}
    assert cells["turning_points"][conversation.id] == {"state": "covered", "notes": 0}
    assert cells["turning_points"][other.id] == {"state": "not reached", "notes": 0}  # no moments named there
    assert cells["moments_order"][conversation.id]["state"] == "not reached"
    for c in (conversation, other):  # every cell as the conversation's own coverage has it
        own = {(p.section.id, p.prompt.id): p.state for p in c.coverage().prompts}
        assert all(row["cells"][c.id]["state"] == own[(row["section"].id, row["prompt"].id)]
                   for row in matrix.rows if row["section"].mode == "once")


def test_later_is_the_mark_until_the_pair_marks_it_otherwise():
    assert prompt_state("later", True) == "come back later"  # a note under it does not clear it
    assert prompt_state("later", False) == "come back later"
    assert prompt_state("asked", True) == "covered"
    assert prompt_state("skipped", True) == "covered"


def test_a_later_prompt_with_a_note_is_on_the_list_and_in_the_coverage(store, structure, case_id, conversation):
    conversation.walk.go_to("overview")
    conversation.notes.add("Started with the move in winter", prompt_id="own_story", section_id="overview")
    conversation.marks.mark("own_story", "later", section_id="overview")
    conversation.marks.mark("part_played", "later", section_id="overview")
    conversation.notes.add("Came back to it", prompt_id="part_played", section_id="overview")
    state = conversation.state()
    assert [item.prompt.id for item in state.later] == ["own_story", "part_played"]
    assert _states(conversation, "overview")["own_story"] == "come back later"
    cells = {row["prompt"].id: row["cells"][conversation.id] for row in coverage_matrix(store, structure, case_id).rows}
    assert cells["own_story"] == {"state": "come back later", "notes": 1}
    conversation.marks.mark("own_story", "asked", section_id="overview")
    assert [item.prompt.id for item in conversation.state().later] == ["part_played"]
    assert _states(conversation, "overview")["own_story"] == "covered"


def test_a_prepared_query_has_a_place_only_once_the_gate_is_open(conversation: Conversation):
    early = add_prepared_query(conversation, "The GP letter of 4 May mentions a missed appointment.")
    assert prepared_prompt_place(conversation, early) is None  # not even counted while the gate is shut
    conversation.notes.add("Their own account, in their words", section_id="overview")
    conversation.moments.add("The home visit in March")
    assert prepared_prompt_place(conversation, early) == (3, 3)
    later = add_prepared_query(conversation, "The school describes the child as often tired.", origin="accounts")
    assert prepared_prompt_place(conversation, later) == (4, 4)


def test_the_analysis_pack_counts_the_key_moments_prompt_as_covered(store, structure, case_id, conversation,
                                                                      tmp_path):
    for title in ("The referral", "The strategy meeting"):
        conversation.moments.add(title)
    conversation.marks.mark("own_story", "later", section_id="overview")
    conversation.notes.add("Started with the move in winter", prompt_id="own_story", section_id="overview")
    out = tmp_path / "out"
    out.mkdir()
    pack = export_case(store, structure, "CSPR-2026-04", "md", out / "pack.md")[0].read_text()
    rows = {line.split("|")[2].strip(): line.split("|")[3].strip() for line in pack.splitlines()
            if line.startswith("| Key moments") or line.startswith("| Their own account")}
    key_prompt = structure.section_by_id["key_moments"].prompts[0].text
    own_story = next(p.text for p in structure.section_by_id["overview"].prompts if p.id == "own_story")
    assert rows[key_prompt] == "covered"
    assert rows[own_story] == "come back later"


def test_a_query_answered_under_a_later_mark_counts_as_asked_and_still_later(conversation: Conversation):
    from assistant.conversation.prepared import PREPARED_PREFIX, prepared_queries

    conversation.notes.add("Their own account, in their words", section_id="overview")
    conversation.moments.add("The home visit in March")
    query = add_prepared_query(conversation, "The police log records a call in the night.")
    conversation.marks.mark(PREPARED_PREFIX + query, "later", section_id="queries")
    conversation.notes.add("They recall it came late on a Friday.", section_id="queries",
                           prompt_id=PREPARED_PREFIX + query)
    listed = {q["id"]: (q["asked"], q["state"]) for q in prepared_queries(conversation)}
    assert listed == {query: (True, "come back later")}
