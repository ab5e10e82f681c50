"""A move or a save hands back the conversation's next snapshot; a note is checked against the snapshot
held and written only if no other program changed the database since."""

from __future__ import annotations

import pytest

from assistant.conversation import Conversation, ConversationError
from assistant.store import audit_report, open_store


def test_a_note_is_refused_when_another_program_checked_the_record_after_the_snapshot(conversation, db_path,
                                                                                      structure):
    conversation.notes.add("Before anyone else wrote.")
    conversation.state()  # the snapshot the screen holds
    other = open_store(db_path)
    try:
        Conversation(other, structure, conversation.id).set_status("checked")
    finally:
        other.close()
    with pytest.raises(ConversationError, match="checked"):
        conversation.notes.add("Typed while the record was being checked elsewhere.")
    assert [n["body"] for n in conversation.notes.list()] == ["Before anyone else wrote."]


def test_a_note_saved_after_another_program_wrote_is_checked_afresh_and_saved(conversation, db_path, structure):
    conversation.state()
    other = open_store(db_path)
    try:
        Conversation(other, structure, conversation.id).notes.add("From the other program.")
    finally:
        other.close()
    conversation.notes.add("From this one.", clear_draft="introduction/")
    assert [n["body"] for n in conversation.state().notes] == ["From the other program.", "From this one."]
    assert audit_report(conversation.store).problem is None


def test_the_snapshot_a_move_hands_back_is_what_a_fresh_read_gives(conversation, db_path, structure):
    conversation.notes.add("A note at the start.")
    conversation.drafts.save("overview/", "Half a thought")
    conversation.walk.step(1)
    handed_back = conversation.state()
    again = Conversation(conversation.store, structure, conversation.id).state()
    assert handed_back.stop.key == again.stop.key == ("overview", None)
    assert handed_back.draft == again.draft == "Half a thought"
    assert handed_back.row == again.row
    assert handed_back.notes == again.notes
    assert handed_back.section_states == again.section_states
