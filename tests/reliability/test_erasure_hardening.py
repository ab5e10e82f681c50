"""Erasure reaches every copy the database keeps of itself (merge conflicts, upgrade backups), and says
exactly what happened when another reader or a full disk stops it from finishing."""

from __future__ import annotations

import os
import resource
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.cases import add_case
from assistant.conversation import Conversation, create_conversation
from assistant.merge import merge_source
from assistant.store import open_store
from assistant.store.versions import SCHEMA_VERSION

from tests.conftest import ROOT
from tests.unit.pairs import pair_database

SENTINEL = "OKAPI-SENTINEL-4419"
PASS = "a long enough passphrase"


def all_bytes(db: Path) -> bytes:
    return b"".join(Path(f"{db}{s}").read_bytes() for s in ("", "-wal", "-shm") if Path(f"{db}{s}").exists())


def filled(db: Path, structure, passphrase: str | None = None, padding: int = 0) -> str:
    """A database with a conversation to keep (with `padding` notes) and one to erase; returns its id."""
    store = open_store(db, passphrase=passphrase, encrypt_new=passphrase is not None)
    case_id = add_case(store, "CSPR-1", "Family A")
    keep = Conversation(store, structure, create_conversation(store, structure, case_id=case_id,
                                                                practitioner_role="Health Visitor"))
    keep.notes.add("A note that stays.", section_id="overview")
    for n in range(padding):
        keep.notes.add(f"Padding note {n} " + "words " * 400, section_id="overview")
    gone = Conversation(store, structure, create_conversation(store, structure, case_id=case_id,
                                                                practitioner_role="Probation Officer"))
    note = gone.notes.add(f"{SENTINEL} said in confidence", ["words"], section_id="overview")
    gone.notes.edit(note.id, f"{SENTINEL} said in confidence, corrected")
    gone.moments.add(f"{SENTINEL} moment")
    store.close()
    return gone.id


def test_erasure_removes_the_text_from_merge_conflicts(tmp_path, structure, cli):
    pair = pair_database(tmp_path / "pair.db", "Social Worker 1", ["The referral"])
    lead = tmp_path / "lead.db"
    assert cli("merge", str(pair["path"]), db=lead).returncode == 0
    # Changed here and there since the merge: the pair's text is set aside as a conflict.
    for path, text in ((lead, "Read by the lead"), (pair["path"], f"{SENTINEL} typed up later")):
        store = open_store(path)
        c = Conversation(store, structure, pair["conversation_id"])
        c.notes.edit(c.notes.list(section_id="overview")[0]["id"], text)
        store.close()
    assert "1 set aside as conflicts" in cli("merge", str(pair["path"]), db=lead).stdout
    assert SENTINEL.encode() in all_bytes(lead)
    result = cli("erase", "--conversation", pair["conversation_id"], "--reason", "Consent withdrawn", db=lead)
    assert result.returncode == 0, result.stderr
    assert SENTINEL.encode() not in all_bytes(lead)
    assert sqlite3.connect(lead).execute("SELECT COUNT(*) FROM merge_conflicts").fetchone()[0] == 0


def test_erasure_cleans_the_upgrade_backup_beside_the_database(tmp_path, structure, cli):
    db = tmp_path / "data" / "lt.db"
    gone = filled(db, structure)
    backup = db.with_name(f"{db.name}.before-v{SCHEMA_VERSION}.bak")
    store = open_store(db)
    store.backup_to(backup)  # as an upgrade makes it
    store.close()
    assert SENTINEL.encode() in backup.read_bytes()
    result = cli("erase", "--conversation", gone, "--reason", "Consent withdrawn", db=db)
    assert result.returncode == 0, result.stderr
    assert f"Also erased from {backup.name}" in result.stdout
    assert SENTINEL.encode() not in all_bytes(db) and SENTINEL.encode() not in all_bytes(backup)
    kept = sqlite3.connect(backup)
    assert kept.execute("SELECT body FROM notes").fetchall() == [("A note that stays.",)]
    assert kept.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_erasure_cleans_an_encrypted_backup_and_deletes_one_it_cannot_open(tmp_path, structure, cli):
    import sqlcipher3.dbapi2 as cipher

    db = tmp_path / "data" / "lt.db"
    filled(db, structure, passphrase=PASS)
    backup = db.with_name(f"{db.name}.before-v{SCHEMA_VERSION}.bak")
    older = db.with_name(f"{db.name}.before-v4.bak")
    store = open_store(db, passphrase=PASS)
    store.backup_to(older)
    store.rekey("the passphrase of today")
    store.backup_to(backup)
    store.close()
    env = {"LEARNING_TOGETHER_PASSPHRASE": "the passphrase of today"}
    result = cli("erase", "--case", "CSPR-1", "--reason", "Retention period ended", db=db, env=env)
    assert result.returncode == 0, result.stderr
    assert f"Also erased from {backup.name}" in result.stdout
    assert f"{older.name} could not be opened with this database's passphrase, so it was deleted" in result.stdout
    assert not older.exists()
    conn = cipher.connect(str(backup))
    conn.execute("PRAGMA key = 'the passphrase of today'")
    assert conn.execute("SELECT COUNT(*) FROM notes").fetchone()[0] == 0
    assert conn.execute("SELECT COUNT(*) FROM cases").fetchone()[0] == 0


def test_erasure_while_another_program_reads_says_the_text_is_still_on_disk(tmp_path, structure, cli):
    db = tmp_path / "data" / "lt.db"
    gone = filled(db, structure)
    reader = sqlite3.connect(db, isolation_level=None)
    reader.execute("BEGIN")
    assert reader.execute("SELECT COUNT(*) FROM notes").fetchone()[0] == 2  # holds a snapshot
    result = cli("erase", "--conversation", gone, "--reason", "Consent withdrawn", db=db)
    assert result.returncode == 1
    assert ("erased from the database, but another program is reading it, so the old text is still on disk"
            " (in the file or its write-ahead log); close that program and run erase again") in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert SENTINEL.encode() in all_bytes(db)  # the honest part: it is still there
    reader.execute("ROLLBACK")
    reader.close()
    assert sqlite3.connect(db).execute("SELECT COUNT(*) FROM conversations WHERE id = ?", (gone,)).fetchone()[0] == 0
    again = cli("erase", "--conversation", gone, "--reason", "Consent withdrawn", db=db)
    assert again.returncode == 0, again.stderr
    assert "already erased" in again.stdout
    assert SENTINEL.encode() not in all_bytes(db)


def test_erasure_on_a_full_disk_says_the_rows_went_but_the_file_was_not_compacted(tmp_path, structure):
    db = tmp_path / "data" / "lt.db"
    gone = filled(db, structure, padding=600)  # a few megabytes, the erased conversation at the end
    size = db.stat().st_size
    assert size > 3_000_000

    def small_disk():  # files may grow no further than 1 MB: writes beyond fail like a full disk
        resource.setrlimit(resource.RLIMIT_FSIZE, (1_000_000, resource.RLIM_INFINITY))

    command = [sys.executable, "-m", "assistant", "--db", str(db), "erase", "--conversation", gone,
               "--reason", "Consent withdrawn"]
    result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=120, preexec_fn=small_disk)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "nothing was changed" not in result.stderr
    assert ("was erased from the tables, but the file could not be compacted, so the old text may still be on"
            " disk; free some space and run erase again") in result.stderr, result.stderr
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT COUNT(*) FROM conversations WHERE id = ?", (gone,)).fetchone()[0] == 0
    assert conn.execute("SELECT COUNT(*) FROM events WHERE action = 'erase'").fetchone()[0] == 1
    conn.close()
    again = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert again.returncode == 0, again.stderr
    assert SENTINEL.encode() not in all_bytes(db)


@pytest.fixture(autouse=True)
def _private_umask():
    old = os.umask(0o077)
    yield
    os.umask(old)
