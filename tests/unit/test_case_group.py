"""Before the conversations: the case group, the introductory letter, the review's questions and the
pair's prepared queries — on real SQLite files, through the core functions the screens will call."""

from __future__ import annotations

import hashlib
import sqlite3

import pytest

from assistant.casegroup import (
    CaseGroupError, add_member, get_member, link_conversation, list_members, outstanding, outstanding_counts,
    record_letter_sent,
    set_arrangements, set_member_status,
)
from assistant.conversation import Conversation, ConversationError, GateLocked
from assistant.conversation.prepared import (
    add_prepared_query, ask_prepared_query, prepared_queries, prepared_queries_locked,
)
from assistant.review_questions import (
    ReviewQuestionError, add_question, link_finding, list_questions, questions_for_finding, remove_question,
    unanswered_questions, unlink_finding,
)
from assistant.store import open_store, verify_audit
from assistant.workflows import start_conversation


def _fingerprint(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _open_gate(conversation: Conversation) -> None:
    conversation.notes.add("Their own account, in their words", section_id="overview")
    conversation.moments.add("The home visit in March")


# ---------------------------------------------------------------- the case group
def test_members_move_from_invitation_to_checked_with_their_conversation(store, structure, case_id):
    health_visitor = add_member(store, case_id, "Health Visitor 1", "Community Health")
    social_worker = add_member(store, case_id, "Social Worker 1", "Children's Services")
    assert [m["status"] for m in list_members(store, case_id)] == ["to_invite", "to_invite"]

    record_letter_sent(store, health_visitor)
    assert get_member(store, health_visitor)["status"] == "letter_sent"
    assert get_member(store, health_visitor)["letter_sent_at"]
    set_arrangements(store, health_visitor, date="Tuesday 3 March", time="10:00", place="Room 2, Civic Centre")
    set_member_status(store, health_visitor, "arranged")
    assert get_member(store, health_visitor)["meeting_place"] == "Room 2, Civic Centre"

    started = start_conversation(store, structure, case_id, practitioner_role="Health Visitor 1",
                                 member_id=health_visitor)
    assert get_member(store, health_visitor)["conversation_id"] == started.conversation_id
    assert get_member(store, health_visitor)["status"] == "held"
    conversation = Conversation(store, structure, started.conversation_id)
    conversation.set_status("ended")
    assert get_member(store, health_visitor)["status"] == "held"
    conversation.set_status("sent_for_checking")
    assert get_member(store, health_visitor)["status"] == "sent_for_checking"
    conversation.set_status("checked")
    assert get_member(store, health_visitor)["status"] == "checked"

    assert [m["id"] for m in outstanding(store, case_id)] == [social_worker]
    assert outstanding_counts(store) == {case_id: 1}
    assert outstanding(store, case_id)[0]["next_step"] == "send the introductory letter"
    events = {(e["action"], e["entity"]) for e in store.query("SELECT action, entity FROM events")}
    assert {("create", "case_group_member"), ("letter_sent", "case_group_member"),
            ("status", "case_group_member"), ("arrange", "case_group_member"),
            ("link", "case_group_member")} <= events
    assert verify_audit(store)[1] is None


def test_absent_and_declined_need_a_reason_and_are_not_outstanding(store, case_id):
    member = add_member(store, case_id, "GP 1", "General Practice")
    with pytest.raises(CaseGroupError, match="reason"):
        set_member_status(store, member, "declined")
    assert get_member(store, member)["status"] == "to_invite"
    set_member_status(store, member, "declined", reason="On long-term leave; a colleague will attend instead")
    row = get_member(store, member)
    assert row["status"] == "declined" and row["reason"].startswith("On long-term leave")
    assert outstanding(store, case_id) == []
    event = store.one("SELECT detail FROM events WHERE action = 'status' AND entity = 'case_group_member'")
    assert "long-term" not in event["detail"]  # the reason is kept with the member, only its checksum audited
    set_member_status(store, member, "arranged")
    assert get_member(store, member)["reason"] == ""


def test_refusals_are_one_sentence_and_change_nothing(store, structure, case_id, db_path):
    from assistant.cases import add_case

    member = add_member(store, case_id, "Social Worker 1", "Children's Services")
    other_case = add_case(store, "CSPR-2026-05", "Family B")
    elsewhere = start_conversation(store, structure, other_case, practitioner_role="Teacher 1")
    before = store.query("SELECT * FROM case_group_members")
    events = store.scalar("SELECT COUNT(*) FROM events")
    refusals = [
        lambda: add_member(store, case_id, "   "),
        lambda: add_member(store, "no-such-case", "Teacher 1"),
        lambda: set_member_status(store, member, "held"),
        lambda: set_member_status(store, "no-such-member", "arranged"),
        lambda: link_conversation(store, member, elsewhere.conversation_id),
        lambda: start_conversation(store, structure, case_id, practitioner_role="Teacher 1", member_id="nope"),
    ]
    for refuse in refusals:
        with pytest.raises(CaseGroupError) as caught:
            refuse()
        message = str(caught.value)
        assert message.endswith(".") and "\n" not in message
    assert store.query("SELECT * FROM case_group_members") == before
    assert store.scalar("SELECT COUNT(*) FROM events") == events
    assert store.scalar("SELECT COUNT(*) FROM conversations WHERE case_id = ?", (case_id,)) == 0


def test_a_member_links_to_one_conversation_and_then_follows_it(store, structure, case_id):
    member = add_member(store, case_id, "Social Worker 1", "Children's Services")
    first = start_conversation(store, structure, case_id, practitioner_role="Social Worker 1", member_id=member)
    second = start_conversation(store, structure, case_id, practitioner_role="Social Worker 2")
    with pytest.raises(CaseGroupError, match="already linked"):
        link_conversation(store, member, second.conversation_id)
    with pytest.raises(CaseGroupError, match="follows its conversation"):
        set_member_status(store, member, "absent", reason="Did not attend")
    assert get_member(store, member)["conversation_id"] == first.conversation_id
    other = add_member(store, case_id, "Team Manager 1", "Children's Services")
    with pytest.raises(CaseGroupError, match="already belongs"):
        link_conversation(store, other, first.conversation_id)


def test_start_conversation_takes_the_role_and_agency_from_the_member(store, structure, case_id):
    member = add_member(store, case_id, "Designated Nurse", "Health Trust")
    started = start_conversation(store, structure, case_id, practitioner_role="", member_id=member)
    row = store.one("SELECT practitioner_role, agency FROM conversations WHERE id = ?", (started.conversation_id,))
    assert row == {"practitioner_role": "Designated Nurse", "agency": "Health Trust"}


# ---------------------------------------------------------------- the review's questions
def test_questions_are_answered_by_findings_and_unanswered_ones_are_listed(store, structure, case_id):
    from assistant.review import add_finding

    first = add_question(store, case_id, "How did agencies share what they knew about the family's moves?")
    second = add_question(store, case_id, "What helped or hindered hearing the child's voice?")
    assert [q["text"][:10] for q in list_questions(store, case_id)] == ["How did ag", "What helpe"]
    finding = add_finding(store, structure, case_id, "pattern_tools",
                          statement="Information about moves between areas is not routinely shared.")
    link_finding(store, finding, first)
    assert [q["id"] for q in unanswered_questions(store, case_id)] == [second]
    assert [q["id"] for q in questions_for_finding(store, finding)] == [first]
    assert list_questions(store, case_id)[0]["findings"] == [finding]
    unlink_finding(store, finding, first)
    assert {q["id"] for q in unanswered_questions(store, case_id)} == {first, second}
    link_finding(store, finding, second)
    remove_question(store, second)
    assert questions_for_finding(store, finding) == []
    with pytest.raises(ReviewQuestionError, match="empty"):
        add_question(store, case_id, "  ")


def test_a_finding_answers_only_its_own_cases_questions(store, structure, case_id):
    from assistant.cases import add_case
    from assistant.review import add_finding

    other_case = add_case(store, "CSPR-2026-05", "Family B")
    question = add_question(store, other_case, "How were concerns escalated?")
    finding = add_finding(store, structure, case_id, "pattern_tools", statement="A finding.")
    with pytest.raises(ReviewQuestionError, match="same case"):
        link_finding(store, finding, question)
    assert questions_for_finding(store, finding) == []


def test_a_review_keeps_to_a_handful_of_questions(store, case_id):
    from assistant.review_questions import MAX_QUESTIONS

    for number in range(MAX_QUESTIONS):
        add_question(store, case_id, f"Question number {number + 1}?")
    with pytest.raises(ReviewQuestionError, match=str(MAX_QUESTIONS)):
        add_question(store, case_id, "One question too many?")
    assert len(list_questions(store, case_id)) == MAX_QUESTIONS


# ---------------------------------------------------------------- prepared queries
def test_prepared_queries_stay_hidden_and_uncounted_until_the_gate_opens(conversation: Conversation, store):
    first = add_prepared_query(conversation, "The GP letter of 4 May mentions a missed appointment.")
    add_prepared_query(conversation, "The school describes the child as often tired.", origin="accounts")
    assert prepared_queries_locked(conversation)
    assert prepared_queries(conversation) == []
    with pytest.raises(GateLocked) as caught:
        ask_prepared_query(conversation, first)
    assert "2" not in str(caught.value) and "quer" not in str(caught.value).lower()
    assert store.scalar("SELECT COUNT(*) FROM notes WHERE section_id = 'queries'") == 0

    _open_gate(conversation)
    assert not prepared_queries_locked(conversation)
    listed = prepared_queries(conversation)
    assert [q["origin"] for q in listed] == ["records", "accounts"]
    assert [q["prompt_id"] for q in listed] == ["from_records", "from_others"]


def test_a_prepared_query_becomes_a_note_in_questions_from_the_wider_picture(conversation: Conversation, store):
    query = add_prepared_query(conversation, "The health record shows a change of address in June.")
    _open_gate(conversation)
    note_id = ask_prepared_query(conversation, query, author_role="lead")
    note = conversation.notes.get(note_id)
    assert (note["section_id"], note["prompt_id"]) == ("queries", f"prepared:{query}")
    assert note["body"] == "The health record shows a change of address in June."
    assert prepared_queries(conversation)[0]["note_id"] == note_id
    with pytest.raises(ConversationError, match="already"):
        ask_prepared_query(conversation, query)
    assert store.scalar("SELECT COUNT(*) FROM notes WHERE section_id = 'queries'") == 1


def test_only_an_asked_prepared_query_reaches_the_practitioners_record(conversation: Conversation):
    from assistant.exports.document import to_markdown
    from assistant.exports.record import build_record

    asked = add_prepared_query(conversation, "The records show a referral in April.")
    add_prepared_query(conversation, "Another account mentions a strategy meeting.", origin="accounts")
    _open_gate(conversation)
    ask_prepared_query(conversation, asked)
    record = to_markdown(build_record(conversation))
    assert "referral in April" in record and "strategy meeting" not in record


def test_an_early_opening_with_a_reason_opens_the_prepared_queries(conversation: Conversation):
    add_prepared_query(conversation, "The police log records a call in the night.")
    conversation.gate.open("The practitioner asked to go through the records first")
    assert len(prepared_queries(conversation)) == 1


def test_prepared_queries_refuse_empty_text_and_unknown_origins(conversation: Conversation, store):
    for text, origin in (("   ", "records"), ("A query.", "gossip")):
        with pytest.raises(ConversationError):
            add_prepared_query(conversation, text, origin=origin)
    assert store.scalar("SELECT COUNT(*) FROM prepared_queries") == 0


# ---------------------------------------------------------------- the schema
def test_a_version_7_database_upgrades_and_keeps_its_conversations(tmp_path, structure):
    from sqlite_utils import Database

    from assistant.store.schema import SCHEMA_VERSION, migrations
    from assistant.store.versions import APPLICATION_ID

    path = tmp_path / "v7.db"
    first_after_7 = next(m.name for m in migrations._migrations if int(m.name[1:4]) > 7)
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    migrations.apply(Database(conn), stop_before=first_after_7)
    conn.execute("INSERT INTO settings VALUES ('device_id', 'old-device')")
    conn.execute("INSERT INTO cases (id, reference, label, created_at) VALUES ('c1', 'CSPR-7', 'Family A', 'then')")
    conn.execute("PRAGMA user_version = 7")
    conn.commit()
    conn.close()

    store = open_store(path)
    try:
        assert store.scalar("PRAGMA user_version") == SCHEMA_VERSION >= 9
        member = add_member(store, "c1", "Social Worker 1", "Children's Services")
        started = start_conversation(store, structure, "c1", practitioner_role="", member_id=member)
        add_question(store, "c1", "What made it hard to see the pattern of missed appointments?")
        conversation = Conversation(store, structure, started.conversation_id)
        add_prepared_query(conversation, "The records note a missed appointment.")
        assert get_member(store, member)["status"] == "held"
        tables = {r["name"] for r in store.query("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert {"case_group_members", "review_questions", "finding_questions", "prepared_queries"} <= tables
    finally:
        store.close()
    assert (tmp_path / f"v7.db.before-v{SCHEMA_VERSION}.bak").exists()


def test_erasing_a_case_or_a_conversation_takes_the_preparation_with_it(store, structure, case_id):
    from assistant.erasure import erase_case, erase_conversation
    from assistant.review import add_finding

    member = add_member(store, case_id, "Social Worker 1", "Children's Services")
    started = start_conversation(store, structure, case_id, practitioner_role="", member_id=member)
    conversation = Conversation(store, structure, started.conversation_id)
    add_prepared_query(conversation, "The records note a missed appointment.")
    _open_gate(conversation)
    ask_prepared_query(conversation, prepared_queries(conversation)[0]["id"])
    erase_conversation(store, started.conversation_id, "Withdrawn at the practitioner's request", actor="lead")
    assert store.scalar("SELECT COUNT(*) FROM prepared_queries") == 0
    assert get_member(store, member)["conversation_id"] is None
    assert get_member(store, member)["status"] == "to_invite"

    finding = add_finding(store, structure, case_id, "pattern_tools", statement="A finding.")
    link_finding(store, finding, add_question(store, case_id, "How were concerns escalated?"))
    erase_case(store, "CSPR-2026-04", "Case withdrawn from the review", actor="lead")
    for table in ("case_group_members", "review_questions", "finding_questions"):
        assert store.scalar(f"SELECT COUNT(*) FROM {table}") == 0


# ---------------------------------------------------------------- the introductory letter
def test_the_letter_goes_to_the_exports_folder_and_sending_it_is_recorded(store, case_id):
    from assistant.workflows import export_letter_to, exports_folder

    member = add_member(store, case_id, "Team Manager 1", "Children's Services")
    result = export_letter_to(store, member, "md", mark_sent=True)
    [path] = result.paths
    assert path.parent == exports_folder(store) and path.suffix == ".md"
    assert "Team Manager 1, Children's Services" in path.read_text()
    assert "to be agreed with you" in path.read_text()  # no arrangements yet: the template's own words
    assert get_member(store, member)["status"] == "letter_sent"
    event = store.one("SELECT detail FROM events WHERE action = 'export' AND entity = 'letter'")
    assert "Team Manager" not in event["detail"]


def test_a_letter_refused_leaves_the_member_where_they_were(store, case_id, tmp_path):
    from assistant.store import StoreError
    from assistant.workflows import export_letter_to

    member = add_member(store, case_id, "Team Manager 1", "Children's Services")
    taken = tmp_path / "letter.md"
    taken.write_text("someone else's file")
    with pytest.raises(StoreError, match="already exists"):
        export_letter_to(store, member, "md", taken, mark_sent=True)
    assert taken.read_text() == "someone else's file"
    assert get_member(store, member)["status"] == "to_invite"
    assert store.scalar("SELECT COUNT(*) FROM events WHERE entity = 'letter'") == 0


def test_a_letter_template_missing_a_topic_or_using_an_unknown_field_is_refused(tmp_path):
    from assistant.structure import DEFAULT_LETTER, StructureError, load_letter_template

    assert load_letter_template().id == "introductory-letter"
    broken = tmp_path / "letter.toml"
    broken.write_text(DEFAULT_LETTER.read_text().replace('id = "support"', 'id = "help"')
                      .replace("{case_label}", "{family_name}").replace("To: {addressee}", "To: {addressee.__class__}"))
    with pytest.raises(StructureError) as caught:
        load_letter_template(broken)
    message = str(caught.value)
    assert "'support' (the support available)" in message and "{family_name}" in message
    assert "addressee.__class__" in message
