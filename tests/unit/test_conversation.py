"""One whole conversation driven through the core, then the rows checked."""

from __future__ import annotations

import pytest

from assistant.conversation import Conversation, ConversationError, GateLocked, looks_like_full_name
from assistant.store import verify_audit


def test_a_whole_conversation(conversation: Conversation, store):
    c = conversation
    assert c.walk.current_stop().section.id == "introduction"
    c.notes.add("Introduced ourselves; she said she was terrified of blame.", ["observation"], "lead")
    assert c.walk.step(1).section.id == "overview"
    c.notes.add("I sent the concern form by fax and thought that was my part done.", ["words"])
    assert c.walk.step(1).section.id == "key_moments"
    first = c.moments.add("Sending the fax", "around Easter")
    second = c.moments.add("The strategy meeting", "May")
    third = c.moments.add("Case closed", "summer")
    assert [e["title"] for e in c.moments.list()] == ["Sending the fax", "The strategy meeting", "Case closed"]
    stop = c.walk.step(1)
    assert (stop.section.id, stop.episode["id"], stop.heading) == ("mindset", first, "What made sense at the time: moment 1 of 3")
    c.notes.add("I thought social care would pick it up.", ["words"])
    stop = c.walk.step(1)
    assert (stop.section.id, stop.episode["id"]) == ("influences", first)
    with pytest.raises(ConversationError, match="category"):
        c.notes.add("Forty cases and no admin support.")
    c.notes.add("Forty cases and no admin support.", ["factor_conditions"])
    c.notes.add("Nobody told us the fax number had changed.", ["factor_interagency", "follow_up"])
    stop = c.walk.step(1)
    assert (stop.section.id, stop.episode["id"]) == ("mindset", second)
    c.walk.go_to("influences", third)
    c.notes.add("Supervision was about deadlines.", ["factor_team"])
    assert c.walk.step(1).section.id == "went_well"
    note = c.notes.add("The school kept in touch every week.")
    assert store.query("SELECT tag_id FROM note_tags WHERE note_id = ?", (note.id,)) == [{"tag_id": "went_well"}]
    assert c.walk.step(1).section.id == "queries"  # the gate is open: own account and moments captured
    c.notes.add("Records show two missed appointments she had not been told about.")
    c.walk.step(1)
    c.notes.add("Always phone after a fax, until someone answers.")
    c.walk.step(1)
    c.notes.add("Summary read back; she corrected the order of two visits.")
    coverage = c.end()
    assert c.row["status"] == "ended"
    assert coverage.tag_counts["went_well"] == 1
    assert coverage.tag_counts["factor_conditions"] == 1
    states = {(e.section.id, e.episode_id): e.state for e in coverage.sections}
    assert states[("influences", first)] == "covered"
    assert states[("influences", second)] == "not reached"
    assert states[("mindset", second)] in ("visited", "not reached")
    assert sum(1 for p in coverage.prompts if p.state == "covered") >= 9
    rows = store.query("SELECT section_id, episode_id, author_role FROM notes WHERE conversation_id = ?", (c.id,))
    assert len(rows) == 10
    assert {r["author_role"] for r in rows} == {"lead", "second"}
    assert store.scalar("SELECT COUNT(*) FROM events WHERE action = 'create' AND entity = 'note'") == 10
    assert verify_audit(store)[1] is None
    assert c.row["structure_hash"] == c.structure.content_hash


def test_gate_refuses_then_opens_with_a_recorded_reason(conversation: Conversation, store):
    c = conversation
    assert c.gate.is_locked("queries") and c.gate.chronology_locked()
    with pytest.raises(GateLocked, match="Their own account"):
        c.walk.go_to("queries")
    with pytest.raises(GateLocked):
        c.gate.reveal_chronology()
    with pytest.raises(ConversationError, match="reason"):
        c.walk.go_to("queries", override_reason=" ")
    stop = c.walk.go_to("queries", override_reason="Practitioner asked to see the records first")
    assert stop.section.id == "queries"
    assert not c.gate.is_locked("queries")
    assert c.row["gate_reason"] == "Practitioner asked to see the records first"
    event = store.one("SELECT * FROM events WHERE action = 'gate_override'")
    assert event and "Practitioner" not in event["detail"]  # ids and hashes, never the text
    c.gate.reveal_chronology()
    assert store.scalar("SELECT COUNT(*) FROM events WHERE action = 'reveal'") == 1


def test_gate_opens_on_its_own_when_the_account_is_captured(conversation: Conversation):
    c = conversation
    c.notes.add("Own account", section_id="overview")
    assert c.gate.is_locked("queries")
    c.moments.add("A moment")
    assert not c.gate.is_locked("queries")


def test_step_passes_over_locked_sections(conversation: Conversation):
    c = conversation
    c.walk.go_to("went_well")
    assert c.walk.step(1).section.id == "suggested_changes"


def test_edit_keeps_the_previous_version_and_needs_a_reason_after_checking(conversation: Conversation, store):
    c = conversation
    note = c.notes.add("First wording")
    c.notes.edit(note.id, "Second wording")
    assert store.query("SELECT body FROM note_versions WHERE note_id = ?", (note.id,)) == [{"body": "First wording"}]
    c.set_status("sent_for_checking")
    with pytest.raises(ConversationError, match="reason"):
        c.notes.edit(note.id, "Third wording")
    c.notes.edit(note.id, "Third wording", reason="Practitioner corrected the date")
    assert c.notes.list()[0]["body"] == "Third wording"
    versions = store.query("SELECT reason FROM note_versions WHERE note_id = ? ORDER BY replaced_at", (note.id,))
    assert versions[-1]["reason"] == "Practitioner corrected the date"


def test_delete_is_recoverable(conversation: Conversation):
    c = conversation
    note = c.notes.add("A note")
    c.notes.delete(note.id)
    assert c.notes.list() == []
    assert len(c.notes.list(include_deleted=True)) == 1
    c.notes.restore(note.id)
    assert [n["body"] for n in c.notes.list()] == ["A note"]


def test_marks_and_later_list(conversation: Conversation):
    c = conversation
    c.walk.go_to("overview")
    c.marks.mark("part_played", "later")
    c.marks.mark("clarify", "declined")
    later = c.marks.later()
    assert [(i.stop.section.id, i.prompt.id) for i in later] == [("overview", "part_played")]
    coverage = c.coverage()
    by_prompt = {(p.section.id, p.prompt.id): p.state for p in coverage.prompts}
    assert by_prompt[("overview", "part_played")] == "come back later"
    assert by_prompt[("overview", "clarify")] == "declined"
    c.notes.add("Came back to it", prompt_id="part_played", section_id="overview")
    assert [i.prompt.id for i in c.marks.later()] == ["part_played"]  # a note does not clear the mark
    c.marks.mark("part_played", "asked", section_id="overview")
    assert c.marks.later() == []
    with pytest.raises(ConversationError):
        c.marks.mark("part_played", "forgotten")


def test_moments_rename_and_reorder(conversation: Conversation):
    c = conversation
    a = c.moments.add("First")
    b = c.moments.add("Second")
    c.moments.move(b, -1)
    assert [e["id"] for e in c.moments.list()] == [b, a]
    c.moments.rename(a, "The first visit", "March")
    assert c.moments.list()[1]["title"] == "The first visit"
    with pytest.raises(ConversationError):
        c.moments.add("   ")


def test_per_moment_notes_need_a_moment(conversation: Conversation):
    with pytest.raises(ConversationError, match="key moment"):
        conversation.notes.add("x", section_id="mindset")


def test_drafts_round_trip(conversation: Conversation, store):
    c = conversation
    c.drafts.save("overview/", "half a sentence")
    assert Conversation(store, c.structure, c.id).drafts.get("overview/") == "half a sentence"
    c.drafts.save("overview/", "")
    assert c.drafts.get("overview/") == ""


def test_invalid_text_is_cleaned_and_reported(conversation: Conversation, store):
    saved = conversation.notes.add("before \ud800 middle \x00 after\r\nnext \x1b[2J")
    assert saved.changes
    body = store.scalar("SELECT body FROM notes WHERE id = ?", (saved.id,))
    assert body == "before \ufffd middle \ufffd after\nnext "


def test_resume_returns_to_the_same_place(conversation: Conversation, store):
    c = conversation
    moment = c.moments.add("Sending the fax")
    c.walk.go_to("influences", moment)
    c.walk.set_prompt(1)
    again = Conversation(store, c.structure, c.id)
    assert again.walk.current_stop().key == ("influences", moment)
    assert again.walk.prompt_index == 1


@pytest.mark.parametrize("text,expected", [
    ("Jane Smith", True), ("Social Worker 1", False), ("Health Visitor", False), ("Family A", False),
    ("Dr Priya Patel", True), ("Reviewer A", False), ("Probation Officer", False),
])
def test_name_warning(text, expected):
    assert looks_like_full_name(text) is expected


def test_closing_checklist_ticks_are_kept(conversation: Conversation, store):
    assert len(conversation.structure.closing_checklist) >= 5
    conversation.tick_checklist(0, True)
    conversation.tick_checklist(2, True)
    conversation.tick_checklist(2, False)
    assert Conversation(store, conversation.structure, conversation.id).checklist() == {0}
    with pytest.raises(ConversationError):
        conversation.tick_checklist(99, True)


def _issued(trace: list[str]) -> list[str]:
    """Statements the core issued (SQLite reports its own inner work with a leading "--")."""
    return [s for s in trace if not s.startswith("--")]


def test_the_screen_snapshot_is_read_in_a_bounded_number_of_statements(conversation: Conversation, store):
    c = conversation
    first, second = c.moments.add("Sending the fax"), c.moments.add("The strategy meeting")
    for i in range(60):
        c.notes.add(f"Note {i}", section_id="overview")
        c.notes.add(f"Moment note {i}", ["factor_conditions"], section_id="influences",
                    episode_id=first if i % 2 else second)
    c.marks.mark("part_played", "later", section_id="overview")
    c.walk.go_to("influences", second)
    trace: list[str] = []
    store.conn.set_trace_callback(trace.append)
    try:
        fresh = Conversation(store, c.structure, c.id)  # reads its snapshot
        assert len(_issued(trace)) == 1
        state = fresh.state()
        assert state.stop.key == ("influences", second) and len(state.notes) == 30
        assert len(state.later) == 1 and state.tag_counts["factor_conditions"] == 60
        trace.clear()
        assert fresh.state() is state  # nothing changed: one cheap check, the snapshot kept
        assert len(_issued(trace)) == 1
        fresh.walk.set_prompt(1)
        trace.clear()
        assert fresh.state().prompt_index == 1  # changed by this connection: its write handed the snapshot back
        assert len(_issued(trace)) == 0
        store.conn.set_trace_callback(None)
        with store.write() as conn:  # the moment the position names goes: a second read finds the stop
            conn.execute("UPDATE conversations SET position_episode = 'gone' WHERE id = ?", (c.id,))
        store.conn.set_trace_callback(trace.append)
        trace.clear()
        assert fresh.state().stop.key == ("influences", first)
        assert len(_issued(trace)) <= 2
    finally:
        store.conn.set_trace_callback(None)


def test_the_snapshot_sees_changes_made_through_another_connection(conversation: Conversation, store, tmp_path):
    from assistant.store import open_store

    state = conversation.state()
    other = open_store(store.path)
    try:
        Conversation(other, conversation.structure, conversation.id).notes.add("From elsewhere", section_id="introduction")
    finally:
        other.close()
    assert conversation.state() is not state
    assert [n["body"] for n in conversation.state().notes] == ["From elsewhere"]


def test_one_rule_decides_a_prompts_state():
    from assistant.conversation import prompt_state

    assert prompt_state(None, True) == "covered"
    assert prompt_state("asked", False) == "covered"
    assert prompt_state("skipped", True) == "covered"  # a note counts whatever the mark says
    assert prompt_state("skipped", False) == "skipped"
    assert prompt_state("declined", False) == "declined"
    assert prompt_state("later", False) == "come back later"
    assert prompt_state("later", True) == "come back later"  # until the pair marks it otherwise
    assert prompt_state(None, False) == "not reached"


def test_a_snapshot_read_inside_a_transaction_is_not_kept(conversation: Conversation, store):
    with pytest.raises(RuntimeError):
        with store.write() as conn:
            conn.execute("UPDATE conversations SET practitioner_role = 'Changed' WHERE id = ?", (conversation.id,))
            assert conversation.state().row["practitioner_role"] == "Changed"
            raise RuntimeError("rolled back")
    assert conversation.row["practitioner_role"] == "Probation Officer"
