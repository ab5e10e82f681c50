"""A newer hand-over from the same pair updates what the lead holds (status moving on, a reopen with its
reason, the closing checklist, a note edited, a moment renamed) where the lead has not changed it too;
everything else stays a conflict, listed in words and resolved keep-mine or keep-theirs, audited."""

from __future__ import annotations

import json
import shutil
import sqlite3

import pytest

from assistant.conversation import Conversation
from assistant.erasure import erase_conversation
from assistant.merge import handover, merge_source
from assistant.merge.conflicts import ConflictError, list_conflicts, resolve_conflict
from assistant.store import open_store
from assistant.structure import load_structure

from tests.unit.pairs import pair_database


@pytest.fixture
def pair(tmp_path):
    return pair_database(tmp_path / "pair1.db", "Health Visitor", ["The home visit", "The missed appointment"])


def hand_over(pair, name):
    """A fresh hand-over copy of the pair's database, as `handover --out NAME --plain` makes it."""
    store = open_store(pair["path"])
    target = pair["path"].with_name(name)
    handover(store, target)
    store.close()
    return target


def working(pair, actor="pair"):
    """The pair's (or, given another path, the lead's) conversation, through the real core."""
    store = open_store(pair["path"])
    return store, Conversation(store, load_structure(), pair["conversation_id"], actor=actor)


def value(db, sql, params=()):
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql, params).fetchone()[0]
    finally:
        conn.close()


def first_merge(tmp_path, pair):
    lead = open_store(tmp_path / "lead.db")
    merge_source(lead, hand_over(pair, "pair1.handover.db"))
    return lead


def test_a_record_checked_after_the_first_hand_over_shows_checked_at_the_lead(tmp_path, pair):
    store, c = working(pair)
    c.set_status("ended")
    store.close()
    lead = first_merge(tmp_path, pair)
    store, c = working(pair)
    c.set_status("sent_for_checking")
    c.set_status("checked")
    c.tick_checklist(0, True)
    c.tick_checklist(2, True)
    store.close()
    report = merge_source(lead, hand_over(pair, "pair1-v2.db"))
    assert report.conflicts == []
    assert report.updated == {"conversations": 1}
    assert "1 row updated" in report.summary()
    assert lead.scalar("SELECT status FROM conversations WHERE id = ?", (pair["conversation_id"],)) == "checked"
    assert [r["item"] for r in lead.query("SELECT item FROM closing_checks ORDER BY item")] == [0, 2]
    detail = json.loads(lead.scalar("SELECT detail FROM events WHERE action = 'merge' ORDER BY rowid DESC LIMIT 1"))
    assert detail["updated"] == {"conversations": 1}
    again = merge_source(lead, hand_over(pair, "pair1-v2b.db"))
    assert sum(again.updated.values()) == 0 and not again.conflicts
    lead.close()


def test_a_note_edited_and_a_moment_renamed_by_the_pair_are_taken_with_the_earlier_version(tmp_path, pair):
    lead = first_merge(tmp_path, pair)
    store, c = working(pair)
    note_id = c.notes.list(section_id="overview")[0]["id"]
    c.notes.edit(note_id, "Health Visitor: my own account, typed up in full.")
    c.moments.rename(pair["episodes"][0], "The first home visit")
    store.close()
    report = merge_source(lead, hand_over(pair, "pair1-v2.db"))
    assert report.conflicts == []
    assert report.updated["notes"] == 1 and report.updated["episodes"] == 1
    assert lead.scalar("SELECT body FROM notes WHERE id = ?", (note_id,)) == \
        "Health Visitor: my own account, typed up in full."
    assert lead.scalar("SELECT body FROM note_versions WHERE note_id = ?", (note_id,)) == \
        "Health Visitor: my own account of the family."
    assert lead.scalar("SELECT title FROM episodes WHERE id = ?", (pair["episodes"][0],)) == "The first home visit"
    assert lead.scalar("SELECT source FROM notes WHERE id = ?", (note_id,)).startswith("pair1-v2.db sha256:")
    lead.close()


def test_a_reopen_with_its_reason_moves_the_status_back_and_a_bare_step_back_is_a_conflict(tmp_path, pair):
    store, c = working(pair)
    c.set_status("ended")
    c.set_status("sent_for_checking")
    store.close()
    lead = first_merge(tmp_path, pair)
    store, c = working(pair)
    c.reopen("The practitioner asked to add a point")
    store.close()
    reopened = merge_source(lead, hand_over(pair, "pair1-v2.db"))
    assert reopened.updated.get("conversations") == 1 and not reopened.conflicts
    assert lead.scalar("SELECT status FROM conversations") == "in_progress"
    assert lead.scalar("SELECT reason FROM revisions WHERE field = 'status'") == "The practitioner asked to add a point"
    # Sent for checking again, then stepped back with no reopen: not a change the lead takes on trust.
    store, c = working(pair)
    c.set_status("sent_for_checking")
    store.close()
    merge_source(lead, hand_over(pair, "pair1-v3.db"))
    store, c = working(pair)
    c.set_status("ended")
    store.close()
    stepped_back = merge_source(lead, hand_over(pair, "pair1-v4.db"))
    assert stepped_back.conflicts == [{"table": "conversations", "id": pair["conversation_id"]}]
    assert lead.scalar("SELECT status FROM conversations") == "sent_for_checking"
    lead.close()


def test_what_the_lead_changed_too_stays_a_conflict_and_is_resolved_keep_theirs(tmp_path, pair):
    lead = first_merge(tmp_path, pair)
    mine = Conversation(lead, load_structure(), pair["conversation_id"], actor="lead reviewer")
    note_id = mine.notes.list(section_id="overview")[0]["id"]
    mine.notes.edit(note_id, "The lead's reading of the account.")
    store, c = working(pair)
    c.notes.edit(note_id, "The pair's typed-up account.")
    store.close()
    report = merge_source(lead, hand_over(pair, "pair1-v2.db"))
    assert report.conflicts == [{"table": "notes", "id": note_id}]
    assert lead.scalar("SELECT body FROM notes WHERE id = ?", (note_id,)) == "The lead's reading of the account."
    [conflict] = list_conflicts(lead)
    assert conflict.what == "Health Visitor's conversation: a note in “Their own account”: text"
    assert conflict.mine == "The lead's reading of the account."
    assert conflict.theirs == "The pair's typed-up account."
    assert conflict.file == "pair1-v2.db" and conflict.open
    resolve_conflict(lead, conflict.id, "theirs", reason="The pair's account is the agreed one", actor="cli")
    assert lead.scalar("SELECT body FROM notes WHERE id = ?", (note_id,)) == "The pair's typed-up account."
    assert lead.scalar("SELECT checksum FROM notes WHERE id = ?", (note_id,)) == \
        value(pair["path"], "SELECT checksum FROM notes WHERE id = ?", (note_id,))
    # The lead's version is kept as an earlier version, and the conflict stays on record, resolved.
    assert "The lead's reading of the account." in [
        r["body"] for r in lead.query("SELECT body FROM note_versions WHERE note_id = ?", (note_id,))]
    assert lead.scalar("SELECT COUNT(*) FROM merge_conflicts") == 1
    assert not list_conflicts(lead)[0].open and list_conflicts(lead, open_only=True) == []
    # Listed afterwards with what it was about, both sides now reading the same.
    assert list_conflicts(lead)[0].what == conflict.what
    assert list_conflicts(lead)[0].mine == list_conflicts(lead)[0].theirs == "The pair's typed-up account."
    event = json.loads(lead.scalar("SELECT detail FROM events WHERE action = 'resolve' AND entity = 'merge_conflict'"))
    assert event["keep"] == "theirs" and event["table"] == "notes"
    with pytest.raises(ConflictError, match="already resolved"):
        resolve_conflict(lead, conflict.id, "mine", actor="cli")
    lead.close()


def test_keep_mine_leaves_the_lead_copy_and_the_same_copy_is_not_reported_again(tmp_path, pair):
    lead = first_merge(tmp_path, pair)
    Conversation(lead, load_structure(), pair["conversation_id"], actor="lead reviewer").set_status("checked")
    store, c = working(pair)
    c.set_status("ended")
    store.close()
    newer = hand_over(pair, "pair1-v2.db")
    assert merge_source(lead, newer).conflicts
    [conflict] = list_conflicts(lead)
    assert conflict.what == "Health Visitor's conversation: status"
    assert (conflict.mine, conflict.theirs) == ("checked", "ended")
    before = lead.scalar("SELECT COUNT(*) FROM events")
    resolve_conflict(lead, conflict.id, "mine", reason="Checked here already", actor="cli")
    assert lead.scalar("SELECT status FROM conversations") == "checked"
    assert lead.scalar("SELECT COUNT(*) FROM events") == before + 1
    assert merge_source(lead, newer).conflicts == []
    with pytest.raises(ConflictError, match="no conflict"):
        resolve_conflict(lead, "nonesuch", "mine", actor="cli")
    lead.close()


def test_a_copy_from_another_device_with_the_same_rows_is_never_taken_as_newer(tmp_path, pair):
    lead = first_merge(tmp_path, pair)
    store, c = working(pair)
    c.set_status("ended")
    store.close()
    other = hand_over(pair, "pair1-v2.db")
    foreign = tmp_path / "other-device.db"
    shutil.copy(other, foreign)
    conn = sqlite3.connect(foreign)
    conn.execute("UPDATE settings SET value = 'another-device' WHERE key = 'device_id'")
    conn.commit()
    conn.close()
    report = merge_source(lead, foreign)
    assert {"table": "conversations", "id": pair["conversation_id"]} in report.conflicts
    assert not report.updated
    assert lead.scalar("SELECT status FROM conversations") == "in_progress"
    lead.close()


def test_an_erased_conversation_stays_erased_whatever_a_newer_copy_holds(tmp_path, pair):
    lead = first_merge(tmp_path, pair)
    erase_conversation(lead, pair["conversation_id"], "Consent withdrawn", actor="cli")
    store, c = working(pair)
    c.set_status("checked")
    store.close()
    report = merge_source(lead, hand_over(pair, "pair1-v2.db"))
    assert sum(report.updated.values()) == 0 and sum(report.added.values()) == 0
    assert lead.scalar("SELECT COUNT(*) FROM conversations") == 0
    lead.close()


def test_conflicts_listed_for_a_case_and_resolved_from_the_command_line(cli, tmp_path, pair):
    lead_path = tmp_path / "lead.db"
    assert cli("merge", str(hand_over(pair, "pair1.handover.db")), db=lead_path).returncode == 0
    lead = open_store(lead_path)
    Conversation(lead, load_structure(), pair["conversation_id"], actor="lead reviewer").set_status("ended")
    lead.close()
    store, c = working(pair)
    c.moments.rename(pair["episodes"][1], "The appointment missed in May")  # before it is sent: read only after
    c.set_status("ended")
    c.set_status("sent_for_checking")
    store.close()
    merged = cli("merge", str(hand_over(pair, "pair1-v2.db")), db=lead_path)
    assert "1 row updated" in merged.stdout and "1 set aside as conflicts" in merged.stdout
    assert "merge conflicts" in merged.stdout
    listed = cli("merge", "conflicts", db=lead_path)
    assert listed.returncode == 0, listed.stderr
    assert "Health Visitor's conversation: status" in listed.stdout
    assert "here: ended" in listed.stdout and "incoming: sent for checking" in listed.stdout
    assert "pair1-v2.db" in listed.stdout
    as_json = json.loads(cli("merge", "conflicts", "--case", "CSPR-2026-04", "--json", db=lead_path).stdout)
    assert [(c["table"], c["mine"], c["theirs"], c["open"]) for c in as_json] == \
        [("conversations", "ended", "sent_for_checking", True)]
    unknown = cli("merge", "conflicts", "--case", "CSPR-2099-01", db=lead_path)
    assert unknown.returncode == 1 and "no case" in unknown.stderr.lower() and "Traceback" not in unknown.stderr
    wrong = cli("merge", "resolve", as_json[0]["id"], "--keep", "both", db=lead_path)
    assert wrong.returncode != 0 and "Traceback" not in wrong.stderr
    resolved = cli("merge", "resolve", as_json[0]["id"][:8], "--keep", "theirs", "--reason", "The pair sent it on",
                   db=lead_path)
    assert resolved.returncode == 0, resolved.stderr
    assert "resolved" in resolved.stdout.lower()
    assert value(lead_path, "SELECT status FROM conversations") == "sent_for_checking"
    assert "No open merge conflicts" in cli("merge", "conflicts", db=lead_path).stdout
    assert "resolved: kept theirs" in cli("merge", "conflicts", "--all", db=lead_path).stdout
    twice = cli("merge", "resolve", as_json[0]["id"], "--keep", "mine", db=lead_path)
    assert twice.returncode == 1 and "already resolved" in twice.stderr and "Traceback" not in twice.stderr
    # Merging files goes on as before beside the new commands.
    assert "0 rows added" in cli("merge", str(hand_over(pair, "pair1-v3.db")), db=lead_path).stdout


def test_the_reason_for_a_resolution_is_erased_with_its_conversation(tmp_path, pair):
    lead = first_merge(tmp_path, pair)
    Conversation(lead, load_structure(), pair["conversation_id"], actor="lead reviewer").set_status("checked")
    store, c = working(pair)
    c.set_status("ended")
    store.close()
    merge_source(lead, hand_over(pair, "pair1-v2.db"))
    [conflict] = list_conflicts(lead)
    resolve_conflict(lead, conflict.id, "mine", reason="The Health Visitor's record was checked here", actor="cli")
    assert lead.scalar("SELECT COUNT(*) FROM revisions WHERE entity = 'merge_conflict'") == 1
    erase_conversation(lead, pair["conversation_id"], "Consent withdrawn", actor="cli")
    assert lead.scalar("SELECT COUNT(*) FROM revisions WHERE entity = 'merge_conflict'") == 0
    assert list_conflicts(lead) == []
    lead.close()
