"""One whole conversation driven through the core, then the rows checked."""

from __future__ import annotations

import pytest

from assistant.conversation import Conversation, ConversationError, GateLocked, looks_like_full_name
from assistant.store import verify_audit


def test_a_whole_conversation(conversation: Conversation, store):
    c = conversation
    assert c.current_stop().section.id == "introduction"
    c.add_note("Introduced ourselves; she said she was terrified of blame.", ["observation"], "lead")
    assert c.step(1).section.id == "overview"
    c.add_note("I sent the concern form by fax and thought that was my part done.", ["words"])
    assert c.step(1).section.id == "key_moments"
    first = c.add_episode("Sending the fax", "around Easter")
    second = c.add_episode("The strategy meeting", "May")
    third = c.add_episode("Case closed", "summer")
    assert [e["title"] for e in c.episodes()] == ["Sending the fax", "The strategy meeting", "Case closed"]
    stop = c.step(1)
    assert (stop.section.id, stop.episode["id"], stop.heading) == ("mindset", first, "What made sense at the time: moment 1 of 3")
    c.add_note("I thought social care would pick it up.", ["words"])
    stop = c.step(1)
    assert (stop.section.id, stop.episode["id"]) == ("influences", first)
    with pytest.raises(ConversationError, match="category"):
        c.add_note("Forty cases and no admin support.")
    c.add_note("Forty cases and no admin support.", ["factor_conditions"])
    c.add_note("Nobody told us the fax number had changed.", ["factor_interagency", "follow_up"])
    stop = c.step(1)
    assert (stop.section.id, stop.episode["id"]) == ("mindset", second)
    c.go_to("influences", third)
    c.add_note("Supervision was about deadlines.", ["factor_team"])
    assert c.step(1).section.id == "went_well"
    note = c.add_note("The school kept in touch every week.")
    assert store.query("SELECT tag_id FROM note_tags WHERE note_id = ?", (note.id,)) == [{"tag_id": "went_well"}]
    assert c.step(1).section.id == "queries"  # the gate is open: own account and moments captured
    c.add_note("Records show two missed appointments she had not been told about.")
    c.step(1)
    c.add_note("Always phone after a fax, until someone answers.")
    c.step(1)
    c.add_note("Summary read back; she corrected the order of two visits.")
    coverage = c.end()
    assert c.row["status"] == "ended"
    assert coverage.tag_counts["went_well"] == 1
    assert coverage.tag_counts["factor_conditions"] == 1
    states = {(e["section"].id, e["episode_id"]): e["state"] for e in coverage.sections}
    assert states[("influences", first)] == "covered"
    assert states[("influences", second)] == "not reached"
    assert states[("mindset", second)] in ("visited", "not reached")
    assert sum(1 for p in coverage.prompts if p["state"] == "covered") >= 9
    rows = store.query("SELECT section_id, episode_id, author_role FROM notes WHERE conversation_id = ?", (c.id,))
    assert len(rows) == 10
    assert {r["author_role"] for r in rows} == {"lead", "second"}
    assert store.scalar("SELECT COUNT(*) FROM events WHERE action = 'create' AND entity = 'note'") == 10
    assert verify_audit(store)[1] is None
    assert c.row["structure_hash"] == c.structure.content_hash


def test_gate_refuses_then_opens_with_a_recorded_reason(conversation: Conversation, store):
    c = conversation
    assert c.is_locked("queries") and c.chronology_locked()
    with pytest.raises(GateLocked, match="Their own account"):
        c.go_to("queries")
    with pytest.raises(GateLocked):
        c.reveal_chronology()
    with pytest.raises(ConversationError, match="reason"):
        c.go_to("queries", override_reason=" ")
    stop = c.go_to("queries", override_reason="Practitioner asked to see the records first")
    assert stop.section.id == "queries"
    assert not c.is_locked("queries")
    assert c.row["gate_reason"] == "Practitioner asked to see the records first"
    event = store.one("SELECT * FROM events WHERE action = 'gate_override'")
    assert event and "Practitioner" not in event["detail"]  # ids and hashes, never the text
    c.reveal_chronology()
    assert store.scalar("SELECT COUNT(*) FROM events WHERE action = 'reveal'") == 1


def test_gate_opens_on_its_own_when_the_account_is_captured(conversation: Conversation):
    c = conversation
    c.add_note("Own account", section_id="overview")
    assert c.is_locked("queries")
    c.add_episode("A moment")
    assert not c.is_locked("queries")


def test_step_passes_over_locked_sections(conversation: Conversation):
    c = conversation
    c.go_to("went_well")
    assert c.step(1).section.id == "suggested_changes"


def test_edit_keeps_the_previous_version_and_needs_a_reason_after_checking(conversation: Conversation, store):
    c = conversation
    note = c.add_note("First wording")
    c.edit_note(note.id, "Second wording")
    assert store.query("SELECT body FROM note_versions WHERE note_id = ?", (note.id,)) == [{"body": "First wording"}]
    c.set_status("sent_for_checking")
    with pytest.raises(ConversationError, match="reason"):
        c.edit_note(note.id, "Third wording")
    c.edit_note(note.id, "Third wording", reason="Practitioner corrected the date")
    assert c.notes()[0]["body"] == "Third wording"
    versions = store.query("SELECT reason FROM note_versions WHERE note_id = ? ORDER BY replaced_at", (note.id,))
    assert versions[-1]["reason"] == "Practitioner corrected the date"


def test_delete_is_recoverable(conversation: Conversation):
    c = conversation
    note = c.add_note("A note")
    c.delete_note(note.id)
    assert c.notes() == []
    assert len(c.notes(include_deleted=True)) == 1
    c.restore_note(note.id)
    assert [n["body"] for n in c.notes()] == ["A note"]


def test_marks_and_later_list(conversation: Conversation):
    c = conversation
    c.go_to("overview")
    c.mark_prompt("part_played", "later")
    c.mark_prompt("clarify", "declined")
    later = c.later()
    assert [(i["stop"].section.id, i["prompt"].id) for i in later] == [("overview", "part_played")]
    coverage = c.coverage()
    by_prompt = {(p["section"].id, p["prompt"].id): p["state"] for p in coverage.prompts}
    assert by_prompt[("overview", "part_played")] == "come back later"
    assert by_prompt[("overview", "clarify")] == "declined"
    c.add_note("Came back to it", prompt_id="part_played", section_id="overview")
    assert c.later() == []
    with pytest.raises(ConversationError):
        c.mark_prompt("part_played", "forgotten")


def test_moments_rename_and_reorder(conversation: Conversation):
    c = conversation
    a = c.add_episode("First")
    b = c.add_episode("Second")
    c.move_episode(b, -1)
    assert [e["id"] for e in c.episodes()] == [b, a]
    c.rename_episode(a, "The first visit", "March")
    assert c.episodes()[1]["title"] == "The first visit"
    with pytest.raises(ConversationError):
        c.add_episode("   ")


def test_per_moment_notes_need_a_moment(conversation: Conversation):
    with pytest.raises(ConversationError, match="key moment"):
        conversation.add_note("x", section_id="mindset")


def test_drafts_round_trip(conversation: Conversation, store):
    c = conversation
    c.save_draft("overview/", "half a sentence")
    assert Conversation(store, c.structure, c.id).draft("overview/") == "half a sentence"
    c.save_draft("overview/", "")
    assert c.draft("overview/") == ""


def test_invalid_text_is_cleaned_and_reported(conversation: Conversation, store):
    saved = conversation.add_note("before \ud800 middle \x00 after\r\nnext \x1b[2J")
    assert saved.changes
    body = store.scalar("SELECT body FROM notes WHERE id = ?", (saved.id,))
    assert body == "before \ufffd middle \ufffd after\nnext "


def test_resume_returns_to_the_same_place(conversation: Conversation, store):
    c = conversation
    moment = c.add_episode("Sending the fax")
    c.go_to("influences", moment)
    c.set_prompt(1)
    again = Conversation(store, c.structure, c.id)
    assert again.current_stop().key == ("influences", moment)
    assert again.prompt_index == 1


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
