"""Files and privacy, erasure, the audit trail's completeness and tamper evidence, hand-over copies,
and the network: nothing in the product opens a connection."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.cases import add_case, import_chronology
from assistant.conversation import Conversation, ConversationError, create_conversation
from assistant.erasure import erase_case, erase_conversation
from assistant.exports.case import export_case
from assistant.merge import handover, merge_source
from assistant.store import StoreError, open_store, verify_audit

from tests.reliability.harness import ROOT
from tests.unit.pairs import pair_database

SENTINEL = "ZEBRA-SENTINEL-7731"


def all_bytes(db: Path) -> bytes:
    data = b""
    for suffix in ("", "-wal", "-shm"):
        path = Path(f"{db}{suffix}")
        if path.exists():
            data += path.read_bytes()
    return data


@pytest.fixture
def filled(tmp_path, structure):
    db = tmp_path / "data" / "lt.db"
    store = open_store(db)
    case_id = add_case(store, "CSPR-1", "Family A")
    keep = Conversation(store, structure, create_conversation(store, structure, case_id=case_id,
                                                                practitioner_role="Health Visitor"))
    keep.notes.add("A note that stays.", section_id="overview")
    gone = Conversation(store, structure, create_conversation(store, structure, case_id=case_id,
                                                                practitioner_role="Probation Officer"))
    note = gone.notes.add(f"{SENTINEL} said in confidence", ["words"], section_id="overview")
    gone.notes.edit(note.id, f"{SENTINEL} said in confidence, corrected")
    moment = gone.moments.add(f"{SENTINEL} moment")
    gone.notes.add(f"{SENTINEL} influence", ["factor_family"], section_id="influences", episode_id=moment)
    gone.drafts.save("overview/", f"{SENTINEL} draft")
    yield {"db": db, "store": store, "keep": keep, "gone": gone, "tmp": tmp_path}
    store.close()


def test_every_file_is_private(filled, structure):
    store, tmp = filled["store"], filled["tmp"]
    out = filled["db"].parent / "exports"  # the product's own exports folder, made private
    written = [*export_case(store, structure, "CSPR-1", "csv", out / "a.csv"),
               *export_case(store, structure, "CSPR-1", "qdpx", out / "a.qdpx"),
               handover(store, tmp / "handover.db")]
    for path in [filled["db"], Path(f"{filled['db']}-wal"), Path(f"{filled['db']}-shm"), *written]:
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, path
    for folder in (filled["db"].parent, out):
        assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700, folder


def test_erasure_leaves_no_text_anywhere_and_a_tombstone(filled, structure):
    store, db = filled["store"], filled["db"]
    assert SENTINEL.encode() in all_bytes(db)
    counts = erase_conversation(store, filled["gone"].id, "Practitioner withdrew consent", actor="lead reviewer")
    assert counts["notes"] == 2 and counts["note_versions"] == 1 and counts["drafts"] == 1
    assert SENTINEL.encode() not in all_bytes(db)
    assert store.query("SELECT rowid FROM notes_fts WHERE notes_fts MATCH ?", ('"ZEBRA"',)) == []
    tombstone = store.one("SELECT * FROM events WHERE action = 'erase'")
    detail = json.loads(tombstone["detail"])
    assert detail["reason"] == "Practitioner withdrew consent" and len(detail["content_sha256"]) == 64
    assert tombstone["actor"] == "lead reviewer" and SENTINEL not in tombstone["detail"]
    assert verify_audit(store)[1] is None
    export = export_case(store, structure, "CSPR-1", "md", filled["tmp"] / "after.md")[0]
    assert SENTINEL not in export.read_text()
    assert [n["body"] for n in filled["keep"].notes.list()] == ["A note that stays."]


def test_erasing_a_case(filled, cli):
    filled["store"].close()
    result = cli("erase", "--case", "CSPR-1", "--reason", "Retention period ended", db=filled["db"])
    assert result.returncode == 0, result.stderr
    assert SENTINEL.encode() not in all_bytes(filled["db"])
    conn = sqlite3.connect(filled["db"])
    assert conn.execute("SELECT COUNT(*) FROM cases").fetchone()[0] == 0
    assert conn.execute("SELECT COUNT(*) FROM events WHERE action = 'erase' AND entity = 'case'").fetchone()[0] == 1
    refused = cli("erase", "--case", "CSPR-1", "--reason", "x", db=filled["db"])
    assert refused.returncode == 1
    filled["store"] = open_store(filled["db"])


def test_audit_trail_is_complete(tmp_path, structure):
    store = open_store(tmp_path / "lt.db")
    case_id = add_case(store, "CSPR-1", "Family A")
    chronology = tmp_path / "chronology.csv"
    chronology.write_text("date,agency,summary,source\n2024-01-01,Police,Call,log\n")
    import_chronology(store, "CSPR-1", chronology)
    c = Conversation(store, structure, create_conversation(store, structure, case_id=case_id,
                                                             practitioner_role="GP"), actor="lead")
    note = c.notes.add("first", section_id="introduction")
    c.notes.edit(note.id, "second")
    c.notes.delete(note.id)
    c.gate.open("The practitioner asked for the records")
    c.gate.reveal_chronology()
    export_case(store, structure, "CSPR-1", "json", tmp_path / "x.json")
    merge_source(store, pair_database(tmp_path / "pair.db", "Social Worker 1", ["A moment"])["path"])
    actions = {(r["action"], r["entity"]) for r in store.query("SELECT action, entity FROM events")}
    for expected in [("create", "case"), ("import", "chronology"), ("create", "conversation"), ("create", "note"),
                     ("edit", "note"), ("delete", "note"), ("gate_override", "conversation"),
                     ("reveal", "chronology"), ("export", "case"), ("merge", "database")]:
        assert expected in actions, expected
    edit = store.one("SELECT detail FROM events WHERE action = 'edit' AND entity = 'note'")
    assert set(json.loads(edit["detail"])) >= {"old", "new"}
    rows = store.query("SELECT device, device_seq, at, utc_offset, actor FROM events ORDER BY rowid")
    assert [r["device_seq"] for r in rows] == list(range(1, len(rows) + 1))
    assert all(r["at"].endswith("+00:00") and r["utc_offset"][0] in "+-" and r["actor"] for r in rows)
    store.close()


def test_audit_verify_names_the_first_changed_event(filled, cli):
    filled["store"].close()
    conn = sqlite3.connect(filled["db"])
    conn.execute("DROP TRIGGER events_refuse_update")
    conn.execute("UPDATE events SET detail = '{}' WHERE rowid = 3")
    conn.commit()
    conn.close()
    result = cli("audit", "verify", db=filled["db"])
    assert result.returncode == 1 and "event 3 " in result.stderr
    filled["store"] = open_store(filled["db"])


def test_messages_and_events_carry_ids_not_text(filled, structure):
    store, gone = filled["store"], filled["gone"]
    events = " ".join(r["detail"] for r in store.query("SELECT detail FROM events"))
    assert SENTINEL not in events
    with pytest.raises(ConversationError) as caught:
        gone.notes.add(f"{SENTINEL} " * 30_000, section_id="overview")
    assert SENTINEL not in str(caught.value)
    with pytest.raises(ConversationError) as caught:
        gone.notes.add(f"{SENTINEL} no factor", section_id="influences", episode_id=gone.moments.list()[0]["id"])
    assert SENTINEL not in str(caught.value)


def test_handover_holds_committed_notes_and_no_uncommitted_one(filled):
    store, db = filled["store"], filled["db"]
    other = sqlite3.connect(db, isolation_level=None)
    other.execute("BEGIN")
    other.execute("UPDATE cases SET label = 'UNCOMMITTED-LABEL'")
    copy = filled["tmp"] / "handover.db"
    store.backup_to(copy)  # the copy a hand-over makes, taken while another write is open
    other.execute("ROLLBACK")
    conn = sqlite3.connect(copy)
    assert conn.execute("SELECT label FROM cases").fetchone()[0] == "Family A"
    assert conn.execute("SELECT COUNT(*) FROM notes").fetchone()[0] == 3
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    with pytest.raises(StoreError, match="already exists"):
        handover(store, copy)
    handover(store, filled["tmp"] / "second.db")
    assert store.scalar("SELECT COUNT(*) FROM events WHERE action = 'handover'") == 1


NETWORK_PROBE = r"""
import sys
attempts = []
def hook(event, args):
    if event in ("socket.connect", "socket.getaddrinfo", "socket.sendto", "socket.gethostbyname"):
        address = args[1] if event == "socket.connect" else args
        if event != "socket.connect" or not isinstance(address, str):  # AF_UNIX paths are local
            attempts.append(event)
sys.addaudithook(hook)
import asyncio, tempfile, pathlib
from assistant.cli import main
from assistant.store import open_store
from assistant.structure import load_structure
from assistant.tui.app import LearningTogetherApp
tmp = pathlib.Path(tempfile.mkdtemp())
for args in (["demo", "--cases", "1", "--conversations", "2", "--notes", "10"], ["case", "list"],
             ["export", "--case", "DEMO-1-001", "--format", "qdpx", "--out", str(tmp / "x.qdpx")],
             ["structure", "show"]):
    try:
        main(["--db", str(tmp / "lt.db"), *args], standalone_mode=False)
    except SystemExit:
        pass
async def session():
    app = LearningTogetherApp(open_store(tmp / "lt.db", exclusive=True), load_structure(), clock=False)
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("f12")
        await pilot.pause()
asyncio.run(session())
print("ATTEMPTS", attempts)
"""


def test_no_network_connection_is_ever_attempted():
    result = subprocess.run([sys.executable, "-c", NETWORK_PROBE], capture_output=True, text=True, cwd=ROOT,
                            timeout=120)
    assert "ATTEMPTS []" in result.stdout, result.stdout[-2000:] + result.stderr[-2000:]
