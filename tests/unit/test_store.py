"""The store: refusals leave files unchanged, pragmas are in force, the audit trail is append-only."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import stat
from pathlib import Path

import pytest

from assistant.store import StoreError, open_store, verify_audit
from assistant.store.schema import APPLICATION_ID, SCHEMA_VERSION


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def refused(path: Path, expected: str) -> None:
    before = digest(path)
    with pytest.raises(StoreError) as caught:
        open_store(path)
    assert expected in str(caught.value), str(caught.value)
    assert str(caught.value).count("\n") == 0
    assert digest(path) == before
    assert not Path(f"{path}-wal").exists()


def test_new_database_is_private_and_marked(db_path):
    store = open_store(db_path)
    assert store.scalar("PRAGMA application_id") == APPLICATION_ID
    assert store.scalar("PRAGMA user_version") == SCHEMA_VERSION
    for path in (db_path, Path(f"{db_path}-wal"), Path(f"{db_path}-shm")):
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, path
    assert stat.S_IMODE(os.stat(db_path.parent).st_mode) == 0o700
    store.close()


def test_pragmas_in_force(store):
    assert store.scalar("PRAGMA journal_mode") == "wal"
    assert store.scalar("PRAGMA synchronous") == 2  # FULL
    assert store.scalar("PRAGMA foreign_keys") == 1
    assert store.scalar("PRAGMA busy_timeout") > 0
    assert store.scalar("PRAGMA secure_delete") == 1


def test_interface_tables_keep_their_names(store):
    tables = {r["name"] for r in store.query("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"cases", "conversations", "notes", "episodes", "note_tags", "drafts", "prompt_marks", "chronology",
            "events", "notes_fts"} <= tables
    columns = {r["name"] for r in store.query("PRAGMA table_info(notes)")}
    assert {"conversation_id", "body", "checksum"} <= columns
    assert {"reference", "label"} <= {r["name"] for r in store.query("PRAGMA table_info(cases)")}
    assert "mode" in {r["name"] for r in store.query("PRAGMA table_info(conversations)")}


def test_zero_byte_file_refused(tmp_path):
    path = tmp_path / "empty.db"
    path.write_bytes(b"")
    refused(path, "empty file")


def test_random_bytes_refused(tmp_path):
    path = tmp_path / "random.db"
    path.write_bytes(os.urandom(8192))
    # Random bytes look just like an encrypted database until a passphrase is tried.
    refused(path, "not a learning-together database")


def test_csv_refused(tmp_path):
    path = tmp_path / "chronology.csv"
    path.write_text("date,agency,summary,source\n2024-01-01,Police,Call,log\n")
    refused(path, "not an SQLite file")


def test_directory_refused(tmp_path):
    with pytest.raises(StoreError, match="is a folder"):
        open_store(tmp_path)


def test_other_application_sqlite_refused(tmp_path):
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE things (id INTEGER PRIMARY KEY)")
    conn.commit()
    conn.close()
    refused(path, "another application's SQLite database")


def test_newer_version_refused(tmp_path, db_path):
    open_store(db_path).close()
    conn = sqlite3.connect(db_path)
    conn.execute("PRAGMA user_version = 99")
    conn.execute("PRAGMA journal_mode = DELETE")
    conn.close()
    refused(db_path, "created by a newer version of learning-together")


def test_truncated_database_refused(db_path, case_id, store):
    store.close()
    conn = sqlite3.connect(db_path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.execute("PRAGMA journal_mode = DELETE")
    conn.close()
    data = db_path.read_bytes()
    db_path.write_bytes(data[: len(data) // 2])
    refused(db_path, "damaged")


def test_corrupted_page_refused(db_path, store, case_id):
    store.close()
    conn = sqlite3.connect(db_path)
    conn.execute("PRAGMA journal_mode = DELETE")
    conn.close()
    data = bytearray(db_path.read_bytes())
    page_size = int.from_bytes(data[16:18], "big")
    for offset in range(page_size * 2, page_size * 2 + 200):  # scribble over a b-tree page header
        data[offset] = 0xFF
    db_path.write_bytes(bytes(data))
    refused(db_path, "damaged")


def test_single_writer_lock(db_path):
    first = open_store(db_path, exclusive=True)
    with pytest.raises(StoreError, match="already open"):
        open_store(db_path, exclusive=True)
    first.close()
    open_store(db_path, exclusive=True).close()


@pytest.mark.parametrize("statement", [
    "UPDATE events SET actor = 'someone else'",
    "DELETE FROM events",
    "INSERT OR REPLACE INTO events SELECT * FROM events LIMIT 1",
    "INSERT INTO events SELECT * FROM events LIMIT 1 ON CONFLICT(id) DO UPDATE SET actor = 'x'",
    "REPLACE INTO events SELECT * FROM events LIMIT 1",
])
def test_audit_is_append_only_against_plain_sqlite(db_path, store, case_id, statement):
    store.close()
    before = sqlite3.connect(db_path).execute("SELECT * FROM events").fetchall()
    conn = sqlite3.connect(db_path)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute(statement)
    conn.commit()
    conn.close()
    assert sqlite3.connect(db_path).execute("SELECT * FROM events").fetchall() == before


def test_audit_chain_detects_a_changed_event(db_path, store, case_id):
    from assistant.cases import add_case

    add_case(store, "CSPR-2", "Family B")
    add_case(store, "CSPR-3", "Family C")
    assert verify_audit(store) == (3, None)
    store.close()
    conn = sqlite3.connect(db_path)
    conn.execute("DROP TRIGGER events_refuse_update")  # a determined tamperer
    conn.execute("UPDATE events SET actor = 'nobody' WHERE rowid = 2")
    conn.commit()
    conn.close()
    reopened = open_store(db_path)
    count, problem = verify_audit(reopened)
    assert problem is not None and problem.startswith("event 2 ")


def test_failed_write_rolls_back_everything(store, case_id):
    with pytest.raises(RuntimeError):
        with store.write() as conn:
            conn.execute("INSERT INTO cases (id, reference, label, created_at) VALUES ('x', 'R', 'L', 'now')")
            raise RuntimeError("boom")
    assert store.one("SELECT * FROM cases WHERE id = 'x'") is None


def test_backup_is_a_complete_private_copy(store, case_id, tmp_path):
    target = tmp_path / "copy.db"
    store.backup_to(target)
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600
    copy = open_store(target)
    assert copy.scalar("SELECT COUNT(*) FROM cases") == 1
    copy.close()


def test_migration_from_an_older_schema_backs_up_first(tmp_path):
    from tests.unit.pairs import old_schema_database

    path = tmp_path / "old.db"
    old_schema_database(path)
    store = open_store(path)
    assert store.scalar("PRAGMA user_version") == SCHEMA_VERSION
    assert store.one("SELECT name FROM sqlite_master WHERE name = 'findings'")
    backup = tmp_path / f"old.db.before-v{SCHEMA_VERSION}.bak"
    assert backup.exists()
    assert sqlite3.connect(backup).execute("PRAGMA user_version").fetchone()[0] == 1
    assert "source" in {r["name"] for r in store.query("PRAGMA table_info(prompt_marks)")}
    store.close()
