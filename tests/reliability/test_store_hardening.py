"""Hardening of the store: writers and `encrypt`/`rekey` never lose each other's work, no plaintext copy
is left beside an encrypted database, the audit trail cannot be rewritten by someone holding only the
file, every folder is private, and a mistyped --db never silently makes a new database."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from assistant.cases import add_case
from assistant.store import (
    GENESIS_HASH, SQLITE_HEADER, StoreError, WrongPassphrase, chain_head, database_fingerprint, event_hash,
    open_store, verify_audit,
)
from assistant.store.versions import SCHEMA_VERSION

from tests.reliability.harness import ROOT
from tests.unit.pairs import old_schema_database

PASS = "correct horse battery"

WRITER = r"""
import sys, time
from pathlib import Path
from assistant.cases import add_case
from assistant.store import StoreError, open_store
db, stop = Path(sys.argv[1]), Path(sys.argv[2])
i = 0
while not stop.exists():
    try:
        store = open_store(db, create=False)
    except StoreError as error:
        print("REFUSED", error, flush=True)
        break
    try:
        add_case(store, f"W-{i:05d}", "Writer")
    finally:
        store.close()
    print(f"ACK W-{i:05d}", flush=True)  # acknowledged only once the add is committed
    i += 1
    time.sleep(0.003)
"""


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def private(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


# ------------------------------------------------------------------ A. writers and encrypt/rekey


def test_no_acknowledged_add_is_lost_while_encrypt_runs(tmp_path, cli):
    db = tmp_path / "lt.db"
    open_store(db).close()
    stop = tmp_path / "stop"
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(db), str(stop)], cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(1.5)  # the writer is well into its loop
        outcomes = []
        for _ in range(10):
            result = cli("encrypt", db=db, env={"LEARNING_TOGETHER_NEW_PASSPHRASE": PASS})
            outcomes.append(result)
            if result.returncode == 0:
                break
            assert "is being written by another program" in result.stderr, result.stderr
            assert result.stderr.count("\n") == 1
        assert outcomes[-1].returncode == 0, [o.stderr for o in outcomes]
        time.sleep(0.5)
    finally:
        stop.touch()
        out, err = writer.communicate(timeout=60)
    acknowledged = [line.split()[1] for line in out.splitlines() if line.startswith("ACK ")]
    assert len(acknowledged) >= 20, (out, err)
    assert "REFUSED" in out and "encrypted" in out  # it waited, then found the encrypted file
    assert not db.read_bytes().startswith(SQLITE_HEADER)
    store = open_store(db, passphrase=PASS)
    kept = {row["reference"] for row in store.query("SELECT reference FROM cases")}
    store.close()
    assert set(acknowledged) <= kept, sorted(set(acknowledged) - kept)
    print(f"{len(acknowledged)} acknowledged adds, all kept; encrypt refused {len(outcomes) - 1} time(s) first")


def test_encrypt_refuses_while_the_app_has_the_database_open(tmp_path, cli):
    db = tmp_path / "lt.db"
    app_store = open_store(db, exclusive=True)  # as the terminal app holds it
    add_case(app_store, "CSPR-1", "Family A")
    before = digest(db)
    result = cli("encrypt", db=db, env={"LEARNING_TOGETHER_NEW_PASSPHRASE": PASS})
    assert result.returncode == 1
    assert result.stderr == f"Error: {db.name} is being written by another program; close it and try again.\n"
    assert digest(db) == before and db.read_bytes().startswith(SQLITE_HEADER)
    add_case(app_store, "CSPR-2", "Family B")  # the app carries on writing to the same file
    app_store.close()
    assert cli("encrypt", db=db, env={"LEARNING_TOGETHER_NEW_PASSPHRASE": PASS}).returncode == 0


def test_rekey_refuses_while_another_program_writes(tmp_path, cli):
    db = tmp_path / "lt.db"
    other = open_store(db, passphrase=PASS, encrypt_new=True)
    add_case(other, "CSPR-1", "Family A")
    result = cli("rekey", db=db, env={"LEARNING_TOGETHER_PASSPHRASE": PASS,
                                       "LEARNING_TOGETHER_NEW_PASSPHRASE": "a brand new passphrase"})
    assert result.returncode == 1
    assert "is being written by another program; close it and try again" in result.stderr
    add_case(other, "CSPR-2", "Family B")  # still the old passphrase: nothing changed under it
    other.close()
    again = open_store(db, passphrase=PASS)
    assert again.scalar("SELECT COUNT(*) FROM cases") == 2
    again.close()


def test_the_copy_check_compares_every_table_by_content(tmp_path):
    db = tmp_path / "lt.db"
    store = open_store(db)
    add_case(store, "CSPR-1", "Family A")
    first = database_fingerprint(store.conn)
    assert set(first) >= {"cases", "events", "settings", "notes"}
    copy = tmp_path / "copy.db"
    store.export_copy(copy, PASS)
    encrypted = open_store(copy, passphrase=PASS)
    assert database_fingerprint(encrypted.conn) == first
    encrypted.close()
    with store.write() as conn:  # one changed label, same row counts everywhere
        conn.execute("UPDATE cases SET label = 'Family B'")
    changed = database_fingerprint(store.conn)
    assert changed["cases"][0] == first["cases"][0] and changed["cases"][1] != first["cases"][1]
    store.close()


# ------------------------------------------------------------------ B. no plaintext copy left behind


def test_migration_backup_of_an_encrypted_database_is_encrypted(tmp_path):
    db = tmp_path / "lt.db"
    store = open_store(db, passphrase=PASS, encrypt_new=True)
    add_case(store, "CSPR-1", "Family A")
    store.conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION - 1}")  # as an older release left it
    store.close()
    open_store(db, passphrase=PASS).close()
    backup = tmp_path / f"lt.db.before-v{SCHEMA_VERSION}.bak"
    assert backup.exists() and private(backup) == 0o600
    assert not backup.read_bytes().startswith(SQLITE_HEADER)
    assert b"Family A" not in backup.read_bytes()
    copy = open_store(backup, passphrase=PASS)
    assert copy.scalar("SELECT label FROM cases") == "Family A"
    copy.close()


def test_encrypt_encrypts_the_plain_backups_beside_it_and_names_them(tmp_path, cli):
    db = tmp_path / "lt.db"
    old_schema_database(db)
    store = open_store(db)  # upgraded: a plaintext backup is left beside it
    add_case(store, "CSPR-1", "Family A")
    store.close()
    backup = tmp_path / f"lt.db.before-v{SCHEMA_VERSION}.bak"
    older = tmp_path / "lt.db.before-v3.bak"
    backup.rename(older)
    open_store(older).close()  # still a database; now make a second, current-named backup
    old_schema_database(tmp_path / "other.db")
    (tmp_path / "other.db").rename(backup)
    assert older.read_bytes().startswith(SQLITE_HEADER) and backup.read_bytes().startswith(SQLITE_HEADER)
    result = cli("encrypt", db=db, env={"LEARNING_TOGETHER_NEW_PASSPHRASE": PASS})
    assert result.returncode == 0, result.stderr
    assert older.name in result.stdout and backup.name in result.stdout
    for path in (older, backup):
        assert not path.read_bytes().startswith(SQLITE_HEADER), path
        assert private(path) == 0o600
        copy = open_store(path, passphrase=PASS, create=False)
        copy.close()
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.endswith((".partial", ".encrypting", "-wal", "-shm"))]
    assert leftovers == []


def test_stale_partial_files_of_dead_programs_are_cleaned(tmp_path):
    db = tmp_path / "lt.db"
    open_store(db).close()
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead = int(gone.stdout)
    stale = [tmp_path / f".lt.db.{dead}.partial", tmp_path / f".lt.db.{dead}.encrypting",
             tmp_path / f".lt.db.{dead}.creating", tmp_path / f".handover.db.{dead}.1a2b3c4d.partial",
             tmp_path / ".lt.db.encrypting"]
    live = tmp_path / f".lt.db.{os.getpid()}.partial"
    unrelated = [tmp_path / "notes.partial", tmp_path / ".lt.db.mine.partial"]
    for path in [*stale, live, *unrelated]:
        path.write_bytes(b"SQLite format 3\x00 plaintext")
    open_store(db).close()
    assert [p for p in stale if p.exists()] == [tmp_path / ".lt.db.encrypting"]  # only encrypt removes its own
    assert live.exists() and all(p.exists() for p in unrelated)


def test_partial_names_are_unique(tmp_path):
    from assistant.store import _private_partial

    first = _private_partial(tmp_path / "copy.db")
    second = _private_partial(tmp_path / "copy.db")
    assert first != second and first.exists() and second.exists()
    assert private(first) == 0o600


# ------------------------------------------------------------------ C. the audit trail


def raw_events(db: Path) -> list[dict]:
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    rows = [dict(r) for r in conn.execute("SELECT * FROM events ORDER BY rowid")]
    conn.close()
    return rows


def test_an_event_cannot_be_replaced_by_rowid(tmp_path):
    db = tmp_path / "lt.db"
    store = open_store(db)
    add_case(store, "CSPR-1", "Family A")
    add_case(store, "CSPR-2", "Family B")
    store.close()
    before = raw_events(db)
    conn = sqlite3.connect(db)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute(
            "INSERT OR REPLACE INTO events (rowid, id, device, device_seq, at, utc_offset, actor, action, entity,"
            " entity_id, detail, prev_hash, hash) SELECT rowid, 'a-fresh-id', device, device_seq, at, utc_offset,"
            " 'nobody', action, entity, entity_id, detail, prev_hash, hash FROM events WHERE rowid = 1")
    conn.commit()
    conn.close()
    assert raw_events(db) == before


def test_an_upgraded_database_gets_the_rowid_trigger(tmp_path):
    db = tmp_path / "old.db"
    old_schema_database(db)
    open_store(db).close()
    conn = sqlite3.connect(db)
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
    assert "events_refuse_rowid_reuse" in names
    assert "mac" in {r[1] for r in conn.execute("PRAGMA table_info(events)")}


def rewrite_chain(db: Path, position: int, *, keep_mac: bool = True) -> None:
    """What someone holding only the database file can do: change an event and recompute the chain."""
    conn = sqlite3.connect(db)
    for trigger in ("events_refuse_update", "events_refuse_delete", "events_refuse_replace",
                    "events_refuse_rowid_reuse"):
        conn.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    conn.row_factory = sqlite3.Row
    rows = [dict(r) for r in conn.execute("SELECT rowid AS r, * FROM events ORDER BY rowid")]
    prev = GENESIS_HASH
    for index, row in enumerate(rows, start=1):
        if index == position:
            row["actor"] = "someone else"
        row["prev_hash"] = prev
        row["hash"] = event_hash(row)
        mac = row["mac"] if keep_mac or index < position else None  # seals removed from there on
        conn.execute("UPDATE events SET actor = ?, prev_hash = ?, hash = ?, mac = ? WHERE rowid = ?",
                     (row["actor"], row["prev_hash"], row["hash"], mac, row["r"]))
        prev = row["hash"]
    conn.commit()
    conn.close()


@pytest.mark.parametrize("keep_mac", [True, False])
def test_a_recomputed_chain_is_detected(tmp_path, cli, keep_mac):
    db = tmp_path / "lt.db"
    store = open_store(db)
    for i in range(4):
        add_case(store, f"CSPR-{i}", "Family")
    assert verify_audit(store) == (4, None)
    store.close()
    rewrite_chain(db, 2, keep_mac=keep_mac)
    result = cli("audit", "verify", db=db)
    assert result.returncode == 1, result.stdout
    assert "event 2 " in result.stderr and result.stderr.count("\n") == 1


def test_a_database_on_a_device_without_its_key(tmp_path, cli):
    db = tmp_path / "pair.db"
    store = open_store(db)
    for i in range(3):
        add_case(store, f"CSPR-{i}", "Family")
    store.close()
    elsewhere = {"LEARNING_TOGETHER_CONFIG_DIR": str(tmp_path / "lead-config")}
    result = cli("audit", "verify", db=db, env=elsewhere)
    assert result.returncode == 0, result.stderr
    assert "3 events checked" in result.stdout and "3 cannot be checked on this device" in result.stdout
    rewrite_chain(db, 3, keep_mac=False)  # nulling the newest event's key is still a break
    broken = cli("audit", "verify", db=db, env=elsewhere)
    assert broken.returncode == 1 and "event 3 " in broken.stderr


def test_events_before_keys_existed_are_checked_by_their_chain(tmp_path, cli):
    db = tmp_path / "old.db"
    old_schema_database(db)
    conn = sqlite3.connect(db)
    prev = GENESIS_HASH
    for seq in (1, 2):
        row = {"id": f"old-{seq}", "device": "old-device", "device_seq": seq, "at": "2025-01-01T00:00:00.000+00:00",
               "utc_offset": "+00:00", "actor": "cli", "action": "create", "entity": "case", "entity_id": f"c{seq}",
               "detail": "{}", "prev_hash": prev}
        row["hash"] = event_hash(row)
        conn.execute("INSERT INTO events VALUES (:id, :device, :device_seq, :at, :utc_offset, :actor, :action,"
                     " :entity, :entity_id, :detail, :prev_hash, :hash)", row)
        prev = row["hash"]
    conn.commit()
    conn.close()
    store = open_store(db)
    add_case(store, "CSPR-1", "Family A")
    store.close()
    result = cli("audit", "verify", db=db)
    assert result.returncode == 0, result.stderr
    assert "3 events checked" in result.stdout and "1 keyed" in result.stdout
    assert "2 written before" in result.stdout


def test_the_audit_key_is_private_and_outside_the_database(tmp_path):
    store = open_store(tmp_path / "lt.db")
    add_case(store, "CSPR-1", "Family A")
    store.close()
    config = Path(os.environ["LEARNING_TOGETHER_CONFIG_DIR"])
    keys = [p for p in config.rglob("*") if p.is_file()]
    assert keys and all(private(p) == 0o600 for p in keys)
    assert all(private(p) == 0o700 for p in config.rglob("*") if p.is_dir())
    secret = keys[0].read_bytes()
    assert json.loads(secret)["key"].encode() not in (tmp_path / "lt.db").read_bytes()


def test_chain_head_names_the_newest_event(tmp_path):
    store = open_store(tmp_path / "lt.db")
    assert chain_head(store.conn) == {"events": 0, "head": GENESIS_HASH}
    add_case(store, "CSPR-1", "Family A")
    add_case(store, "CSPR-2", "Family B")
    last = store.scalar("SELECT hash FROM events ORDER BY rowid DESC LIMIT 1")
    assert chain_head(store.conn) == {"events": 2, "head": last}
    store.close()


# ------------------------------------------------------------------ D. folders, passphrases, --db


def test_every_folder_made_is_private(tmp_path):
    store = open_store(tmp_path / "a" / "b" / "c" / "lt.db")
    store.backup_to(tmp_path / "x" / "y" / "copy.db")
    store.close()
    for folder in ("a", "a/b", "a/b/c", "x", "x/y"):
        assert private(tmp_path / folder) == 0o700, folder


def test_make_private_dirs(tmp_path):
    from assistant.store import make_private_dirs

    made = make_private_dirs(tmp_path / "p" / "q")
    assert made == [tmp_path / "p", tmp_path / "p" / "q"]
    assert private(tmp_path / "p") == 0o700 and private(tmp_path / "p" / "q") == 0o700
    before = private(tmp_path)
    assert make_private_dirs(tmp_path) == []
    assert private(tmp_path) == before


def test_a_nul_in_a_passphrase_is_one_sentence(tmp_path, cli):
    db = tmp_path / "lt.db"
    secret = tmp_path / "secret.txt"
    secret.write_text("correct\x00horse battery")
    made = cli("--passphrase-file", str(secret), "init", "--encrypt", db=db)
    assert made.returncode == 1 and "NUL" in made.stderr and "unexpected" not in made.stderr
    assert made.stderr.count("\n") == 1 and not db.exists()
    open_store(db, passphrase=PASS, encrypt_new=True).close()
    before = digest(db)
    opened = cli("--passphrase-file", str(secret), "case", "list", db=db)
    assert opened.returncode == 1 and "NUL" in opened.stderr and "unexpected" not in opened.stderr
    assert digest(db) == before


@pytest.mark.parametrize("command", [
    ["case", "list"],
    ["export", "--case", "CSPR-1", "--format", "json", "--out", "OUT/x.json"],
    ["handover", "--out", "OUT/h.db", "--plain"],
    ["erase", "--case", "CSPR-1", "--reason", "x"],
    ["audit", "verify"],
    ["rekey"],
    ["encrypt"],
    ["chronology", "import", "--case", "CSPR-1", "CHRONO"],
])
def test_commands_that_read_refuse_a_missing_database(tmp_path, cli, command):
    chronology = tmp_path / "chronology.csv"
    chronology.write_text("date,agency,summary,source\n2024-01-01,Police,Call,log\n")
    args = [a.replace("OUT", str(tmp_path / "out")).replace("CHRONO", str(chronology)) for a in command]
    db = tmp_path / "mistyped" / "lt.db"
    result = cli(*args, db=db, env={"LEARNING_TOGETHER_PASSPHRASE": PASS,
                                     "LEARNING_TOGETHER_NEW_PASSPHRASE": PASS})
    assert result.returncode == 1
    assert result.stderr == f"Error: There is no database at {db}; check the path (nothing was created).\n"
    assert not (tmp_path / "mistyped").exists() and not (tmp_path / "out").exists()


@pytest.mark.parametrize("command", [
    ["case", "add", "--ref", "CSPR-1", "--label", "Family A"],
    ["demo", "--cases", "1", "--conversations", "1", "--notes", "2"],
])
def test_commands_that_create_say_so(tmp_path, cli, command):
    db = tmp_path / "new" / "lt.db"
    result = cli(*command, db=db)
    assert result.returncode == 0, result.stderr
    assert f"Note: created a new, unencrypted database at {db}." in result.stderr
    second = cli("case", "list", db=db)
    assert "created a new" not in second.stderr


def test_a_wrong_passphrase_is_its_own_error(tmp_path):
    db = tmp_path / "lt.db"
    open_store(db, passphrase=PASS, encrypt_new=True).close()
    with pytest.raises(WrongPassphrase) as caught:
        open_store(db, passphrase="not the passphrase")
    assert isinstance(caught.value, StoreError) and "wrong passphrase" in str(caught.value)


def test_a_database_carried_to_another_computer_continues_as_a_new_device(tmp_path, monkeypatch):
    db = tmp_path / "pair.db"
    store = open_store(db)
    add_case(store, "CSPR-1", "Family A")
    first_device = store.device_id
    store.close()
    monkeypatch.setenv("LEARNING_TOGETHER_CONFIG_DIR", str(tmp_path / "second-computer"))
    store = open_store(db)
    add_case(store, "CSPR-2", "Family B")
    assert store.device_id != first_device and store.setting("device_id") == store.device_id
    from assistant.store import audit_report

    report = audit_report(store)
    assert (report.problem, report.keyed, report.elsewhere) == (None, 1, 1)
    store.close()
