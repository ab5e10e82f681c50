"""Revisable work in the core: findings edited and withdrawn (with drafts), case episodes renamed, merged,
unlinked and deleted, key moments deleted with their notes kept, labels corrected, records reopened,
and ids given by a unique prefix. Real SQLite files throughout; every change is audited."""

from __future__ import annotations

import json
import sqlite3

import pytest
from sqlite_utils import Database

from assistant.cases import add_case, get_case
from assistant.conversation import Conversation, ConversationError, create_conversation
from assistant.merge import merge_source
from assistant.previous import previous_values
from assistant.review import (ReviewError, add_finding, case_episodes, create_case_episode, episode_accounts,
                              findings)
from assistant.revisions import (delete_case_episode, discard_finding_draft, edit_finding, finding_history,
                                 load_finding_draft, merge_case_episodes, rename_case_episode,
                                 save_finding_draft, unlink_from_episode, withdraw_finding)
from assistant.short_ids import IdError, resolve_case, resolve_id, short_id
from assistant.store import audit_report, open_store
from assistant.store.schema import APPLICATION_ID, migrations
from assistant.store.versions import SCHEMA_VERSION

from tests.unit.pairs import pair_database


def _events(store, entity: str, entity_id: str) -> list[str]:
    return [r["action"] for r in store.query(
        "SELECT action FROM events WHERE entity = ? AND entity_id = ? ORDER BY rowid", (entity, entity_id))]


def _fingerprint(store) -> list:
    """Every row of every table but the audit trail's own seals, to show nothing changed."""
    tables = [r["name"] for r in store.query(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'notes_fts%' ORDER BY name")]
    return [(t, store.query(f"SELECT * FROM {t} ORDER BY rowid")) for t in tables]


@pytest.fixture
def lead(tmp_path, structure):
    a = pair_database(tmp_path / "a.db", "Probation Officer", ["Sending the fax", "The strategy meeting"])
    b = pair_database(tmp_path / "b.db", "Social Worker 1", ["The fax that never arrived"])
    store = open_store(tmp_path / "lead.db")
    merge_source(store, a["path"])
    merge_source(store, b["path"])
    case = get_case(store, "CSPR-2026-04")
    fax = create_case_episode(store, case["id"], "The concern form by fax", [a["episodes"][0], b["episodes"][0]])
    meeting = create_case_episode(store, case["id"], "Strategy meeting", [a["episodes"][1]])
    finding = add_finding(store, structure, case["id"], "pattern_crisis",
                          statement="Faxes are treated as delivered.", in_this_case="Both assumed receipt.",
                          case_episode_ids=[meeting])
    yield {"store": store, "case": case, "fax": fax, "meeting": meeting, "finding": finding, "a": a, "b": b}
    store.close()


# ------------------------------------------------------------------ findings


def test_a_finding_is_edited_with_every_earlier_wording_kept(lead, structure):
    store, finding = lead["store"], lead["finding"]
    edit_finding(store, structure, finding, reason="Sharper wording after the meeting",
                 statement="Referrals by fax are assumed to arrive.", questions="How is receipt confirmed?",
                 typology_tag="pattern_tools", case_episode_ids=[lead["fax"]])
    edit_finding(store, structure, finding, statement="Referrals by fax are assumed to have arrived.")
    row = findings(store, lead["case"]["id"])[0]
    assert row["statement"] == "Referrals by fax are assumed to have arrived."
    assert row["questions"] == "How is receipt confirmed?" and row["typology_tag"] == "pattern_tools"
    assert row["in_this_case"] == "Both assumed receipt."  # untouched fields stay
    assert row["case_episodes"] == [lead["fax"]]
    history = finding_history(store, finding)
    statements = [h["old_value"] for h in history if h["field"] == "statement"]
    assert statements == ["Faxes are treated as delivered.", "Referrals by fax are assumed to arrive."]
    assert {h["field"] for h in history} == {"statement", "questions", "typology_tag", "case_episodes"}
    assert [h["reason"] for h in history if h["field"] == "questions"] == ["Sharper wording after the meeting"]
    assert json.loads(next(h["old_value"] for h in history if h["field"] == "case_episodes")) == [lead["meeting"]]
    assert _events(store, "finding", finding) == ["create", "edit", "edit"]
    assert audit_report(store).problem is None


def test_a_finding_edit_that_fails_changes_nothing(lead, structure):
    store, finding = lead["store"], lead["finding"]
    before = _fingerprint(store)
    for changes, message in (({"statement": "   "}, "A finding needs a statement."),
                             ({"typology_tag": "factor_interagency"}, "underlying-pattern"),
                             ({"case_episode_ids": ["not-an-episode"]}, "case episode"),
                             ({"colour": "red"}, "cannot be edited")):
        with pytest.raises(ReviewError, match=message):
            edit_finding(store, structure, finding, **changes)
    with pytest.raises(ReviewError, match="no finding"):
        edit_finding(store, structure, "no-such-finding", statement="x")
    assert _fingerprint(store) == before


def test_a_withdrawn_finding_stays_visible_as_withdrawn_and_leaves_the_packs(lead, structure):
    store, finding, case_id = lead["store"], lead["finding"], lead["case"]["id"]
    with pytest.raises(ReviewError, match="reason"):
        withdraw_finding(store, finding, "")
    withdraw_finding(store, finding, "Not supported by the other accounts")
    assert findings(store, case_id) == []  # what the packs read
    shown = findings(store, case_id, include_withdrawn=True)
    assert shown[0]["id"] == finding and shown[0]["withdrawn_reason"] == "Not supported by the other accounts"
    assert shown[0]["withdrawn_at"]
    with pytest.raises(ReviewError, match="withdrawn"):
        edit_finding(store, structure, finding, statement="Changed after withdrawal")
    with pytest.raises(ReviewError, match="already withdrawn"):
        withdraw_finding(store, finding, "again")
    assert _events(store, "finding", finding) == ["create", "withdraw"]


def test_a_half_written_finding_is_kept_and_offered_back(lead):
    store, case_id = lead["store"], lead["case"]["id"]
    assert load_finding_draft(store, case_id) is None
    save_finding_draft(store, case_id, {"typology_tag": "pattern_crisis", "statement": "Half a thou"})
    save_finding_draft(store, case_id, {"typology_tag": "pattern_crisis", "statement": "Half a thought"})
    save_finding_draft(store, case_id, {"statement": "Reworded"}, finding_id=lead["finding"])
    store.close()
    reopened = open_store(store.path)
    try:
        assert load_finding_draft(reopened, case_id) == {"typology_tag": "pattern_crisis",
                                                         "statement": "Half a thought"}
        assert load_finding_draft(reopened, case_id, finding_id=lead["finding"]) == {"statement": "Reworded"}
        discard_finding_draft(reopened, case_id)
        assert load_finding_draft(reopened, case_id) is None
        assert load_finding_draft(reopened, case_id, finding_id=lead["finding"]) is not None
        with pytest.raises(ReviewError, match="draft"):
            save_finding_draft(reopened, case_id, {"colour": "red"})
    finally:
        reopened.close()
        lead["store"] = open_store(store.path)


# ------------------------------------------------------------------ case episodes


def test_case_episodes_are_renamed_unlinked_merged_and_deleted(lead, structure):
    store, case_id, fax, meeting = lead["store"], lead["case"]["id"], lead["fax"], lead["meeting"]
    rename_case_episode(store, fax, "Referral by fax")
    assert {e["id"]: e["title"] for e in case_episodes(store, case_id)}[fax] == "Referral by fax"
    assert [p["old_value"] for p in previous_values(store, "case_episode", fax)] == ["The concern form by fax"]

    unlink_from_episode(store, fax, lead["b"]["episodes"][0])
    assert [a["moment"]["id"] for a in episode_accounts(store, structure, fax)] == [lead["a"]["episodes"][0]]
    with pytest.raises(ReviewError, match="not linked"):
        unlink_from_episode(store, fax, lead["b"]["episodes"][0])

    merge_case_episodes(store, fax, meeting)
    remaining = case_episodes(store, case_id)
    assert [e["id"] for e in remaining] == [fax] and remaining[0]["moments"] == 2
    assert findings(store, case_id)[0]["case_episodes"] == [fax]  # the finding's evidence follows the merge
    assert "Strategy meeting" in previous_values(store, "case_episode", fax)[-1]["old_value"]
    with pytest.raises(ReviewError, match="itself"):
        merge_case_episodes(store, fax, fax)

    delete_case_episode(store, fax, reason="Split differently")
    assert case_episodes(store, case_id) == []
    assert findings(store, case_id)[0]["case_episodes"] == []
    assert store.scalar("SELECT COUNT(*) FROM episodes") == 3  # the practitioners' moments stay
    assert _events(store, "case_episode", fax) == ["create", "edit", "unlink", "merge", "delete"]
    assert _events(store, "case_episode", meeting) == ["create", "merge"]
    assert audit_report(store).problem is None


def test_case_episode_refusals_change_nothing(lead, tmp_path):
    store = lead["store"]
    other_case = add_case(store, "CSPR-2026-09", "Family B")
    elsewhere = create_case_episode(store, other_case, "Elsewhere")
    before = _fingerprint(store)
    with pytest.raises(ReviewError, match="title"):
        rename_case_episode(store, lead["fax"], "  ")
    with pytest.raises(ReviewError, match="same case"):
        merge_case_episodes(store, lead["fax"], elsewhere)
    with pytest.raises(ReviewError, match="no longer exists"):
        delete_case_episode(store, "gone")
    assert _fingerprint(store) == before


# ------------------------------------------------------------------ key moments, labels, reopening


@pytest.fixture
def held(store, structure, case_id):
    conversation_id = create_conversation(
        store, structure, case_id=case_id, practitioner_role="Jane Smith", agency="Children's Social Care",
        lead_interviewer="Reviewer A", second_interviewer="Reviewer B")
    c = Conversation(store, structure, conversation_id, actor="lead")
    first, second = c.moments.add("The home visit", "March"), c.moments.add("The phone call", "April")
    c.notes.add("I thought the family were coping.", ["words"], section_id="mindset", episode_id=first)
    c.notes.add("No time to read the file.", ["factor_conditions"], section_id="influences", episode_id=first)
    c.drafts.save(f"mindset/{first}", "half a sentence about the visit")
    return c, first, second


def test_deleting_a_moment_moves_its_notes_to_the_chosen_moment(held, structure):
    c, first, second = held
    moved = c.moments.delete(first, move_to=second)
    assert moved == 2
    assert [m["id"] for m in c.moments.list()] == [second] and c.moments.list()[0]["position"] == 0
    assert {n["episode_id"] for n in c.notes.list()} == {second}
    assert c.drafts.get(f"mindset/{second}") == "half a sentence about the visit"
    assert [p["old_value"] for p in previous_values(c.store, "episode", first)] == ["The home visit"]
    assert _events(c.store, "episode", first) == ["create", "delete"]


def test_deleting_a_moment_can_keep_its_notes_under_no_moment(held):
    c, first, second = held
    c.walk.go_to("mindset", first)  # the pair is at the moment that goes
    c.moments.delete(first)
    reopened = Conversation(c.store, c.structure, c.id)
    assert reopened.state().stop.episode_id != first  # the conversation still opens, somewhere that exists
    notes = c.notes.list()
    assert len(notes) == 2 and {n["episode_id"] for n in notes} == {None}
    assert c.drafts.get("mindset/") == "half a sentence about the visit"
    assert [m["id"] for m in c.moments.list()] == [second]


def test_a_moment_delete_that_fails_changes_nothing(held):
    c, first, second = held
    before = _fingerprint(c.store)
    with pytest.raises(ConversationError, match="another"):
        c.moments.delete(first, move_to=first)
    with pytest.raises(ConversationError, match="not part of this conversation"):
        c.moments.delete(first, move_to="elsewhere")
    c.set_status("checked")
    before = _fingerprint(c.store)
    with pytest.raises(ConversationError, match="reopen"):
        c.moments.delete(first, move_to=second)
    assert _fingerprint(c.store) == before


def test_labels_are_corrected_with_a_reason_and_the_previous_value_kept(held):
    c = held[0]
    c.set_status("sent_for_checking")
    changed = c.relabel("A real name was typed by mistake", practitioner_role="Social Worker 1",
                        second_interviewer="Reviewer C")
    assert changed == ["practitioner_role", "second_interviewer"]
    row = c.row
    assert row["practitioner_role"] == "Social Worker 1" and row["second_interviewer"] == "Reviewer C"
    assert row["agency"] == "Children's Social Care"
    kept = {p["field"]: (p["old_value"], p["reason"]) for p in c.label_history()}
    assert kept == {"practitioner_role": ("Jane Smith", "A real name was typed by mistake"),
                    "second_interviewer": ("Reviewer B", "A real name was typed by mistake")}
    assert _events(c.store, "conversation", c.id)[-1] == "relabel"
    detail = c.store.scalar("SELECT detail FROM events WHERE action = 'relabel'")
    assert "Jane Smith" not in detail  # the audit trail holds hashes, never the words


def test_label_refusals_change_nothing(held):
    c = held[0]
    before = _fingerprint(c.store)
    for kwargs, message in (({"practitioner_role": "Social Worker 1"}, "reason"),
                            ({"reason": "typo", "practitioner_role": "  "}, "role label"),
                            ({"reason": "typo"}, "Nothing"),
                            ({"reason": "typo", "agency": "Children's Social Care"}, "Nothing")):
        reason = kwargs.pop("reason", "")
        with pytest.raises(ConversationError, match=message):
            c.relabel(reason, **kwargs)
    assert _fingerprint(c.store) == before


def test_a_checked_record_is_reopened_with_a_reason(held):
    c = held[0]
    with pytest.raises(ConversationError, match="already in progress"):
        c.reopen("To correct a date")
    c.set_status("checked")
    before = _fingerprint(c.store)
    with pytest.raises(ConversationError, match="reason"):
        c.reopen(" ")
    assert _fingerprint(c.store) == before
    c.reopen("The practitioner asked for a correction")
    assert c.row["status"] == "in_progress"
    c.notes.add("A correction.", ["words"], section_id="overview")  # no longer refused
    assert [(p["old_value"], p["reason"]) for p in previous_values(c.store, "conversation", c.id)] == [
        ("checked", "The practitioner asked for a correction")]
    assert _events(c.store, "conversation", c.id)[-1] == "reopen"


# ------------------------------------------------------------------ ids by prefix


def test_ids_are_accepted_by_a_unique_prefix(store, structure, case_id):
    ids = []
    while len({i[:1] for i in ids}) == len(ids) or len(ids) < 2:  # until two share a first character
        ids.append(create_conversation(store, structure, case_id=case_id, practitioner_role="Health Visitor"))
    assert resolve_id(store, "conversation", ids[0][:8]) == ids[0]
    assert resolve_id(store, "conversation", ids[0].upper()[:10]) == ids[0]
    assert short_id(ids[0]) == ids[0][:8]
    shared = next(i[:1] for i in ids if [j[:1] for j in ids].count(i[:1]) > 1)
    with pytest.raises(IdError, match="more than one conversation"):
        resolve_id(store, "conversation", shared)
    with pytest.raises(IdError, match="no conversation"):
        resolve_id(store, "conversation", "zz")
    assert resolve_case(store, "CSPR-2026-04")["id"] == case_id
    assert resolve_case(store, case_id[:6])["id"] == case_id
    with pytest.raises(IdError, match="no case"):
        resolve_case(store, "CSPR-1999-01")


# ------------------------------------------------------------------ upgrading an older database


def test_a_schema_7_database_upgrades_and_keeps_its_findings(tmp_path, structure):
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    migrations.apply(Database(conn), stop_before="m008_revisions")
    conn.execute("INSERT INTO settings VALUES ('device_id', 'old-device')")
    conn.execute("INSERT INTO cases VALUES ('case-1', 'CSPR-7', 'Family A', '2026-01-01', NULL)")
    conn.execute("INSERT INTO findings (id, case_id, typology_tag, statement, created_at, updated_at)"
                 " VALUES ('finding-1', 'case-1', 'pattern_crisis', 'An old finding.', '2026-01-01', '2026-01-01')")
    conn.execute("PRAGMA user_version = 7")
    conn.commit()
    conn.close()
    store = open_store(path)
    try:
        assert store.scalar("PRAGMA user_version") == SCHEMA_VERSION >= 8
        assert [f["statement"] for f in findings(store, "case-1")] == ["An old finding."]
        assert findings(store, "case-1")[0]["withdrawn_at"] is None
        edit_finding(store, structure, "finding-1", statement="A revised finding.")
        assert finding_history(store, "finding-1")[0]["old_value"] == "An old finding."
        save_finding_draft(store, "case-1", {"statement": "draft"})
        assert load_finding_draft(store, "case-1") == {"statement": "draft"}
    finally:
        store.close()


def test_erasing_takes_the_kept_earlier_values_with_it(held, structure):
    from assistant.erasure import erase_case, erase_conversation

    c, first, _ = held
    store, case_id = c.store, c.row["case_id"]
    c.relabel("A real name was typed by mistake", practitioner_role="Social Worker 1")
    c.moments.delete(first)
    assert store.scalar("SELECT COUNT(*) FROM revisions WHERE conversation_id = ?", (c.id,)) == 2
    erase_conversation(store, c.id, "Data protection request", actor="lead")
    assert store.scalar("SELECT COUNT(*) FROM revisions") == 0
    finding = add_finding(store, structure, case_id, "pattern_crisis", statement="A first wording.")
    edit_finding(store, structure, finding, statement="A second wording.")
    save_finding_draft(store, case_id, {"statement": "A half-written finding"})
    erase_case(store, "CSPR-2026-04", "Kept past its time", actor="lead")
    assert store.scalar("SELECT COUNT(*) FROM revisions") == 0
    assert store.scalar("SELECT COUNT(*) FROM case_drafts") == 0
