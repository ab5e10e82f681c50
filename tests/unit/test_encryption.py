"""Encryption at rest and in transit (SQLCipher): no plaintext on disk, clean refusals of a wrong
passphrase, rekey and encrypt round trips, encrypted hand-overs merged into an encrypted lead."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from pathlib import Path

import pytest

from assistant.cases import add_case
from assistant.conversation import Conversation, create_conversation
from assistant.merge import handover, merge_source
from assistant.store import PassphraseNeeded, StoreError, encrypt_database, open_store

SENTINEL = "OKAPI-SENTINEL-5521"
PASS = "correct horse battery"


def every_byte(path: Path) -> bytes:
    return b"".join(Path(f"{path}{s}").read_bytes() for s in ("", "-wal", "-shm") if Path(f"{path}{s}").exists())


def encrypted_pair(path: Path, structure, passphrase: str = PASS, role: str = "Health Visitor") -> tuple:
    store = open_store(path, passphrase=passphrase, encrypt_new=True)
    case_id = add_case(store, "CSPR-1", "Family A")
    c = Conversation(store, structure, create_conversation(store, structure, case_id=case_id, practitioner_role=role))
    c.notes.add(f"{SENTINEL} in the practitioner's words", ["words"], section_id="overview")
    c.drafts.save("overview/", f"{SENTINEL} draft")
    return store, c


def test_no_plaintext_on_disk(tmp_path, structure):
    db = tmp_path / "pair.db"
    store, _ = encrypted_pair(db, structure)
    assert store.encrypted
    assert not db.read_bytes().startswith(b"SQLite format 3")
    assert Path(f"{db}-wal").exists()
    data = every_byte(db)
    assert SENTINEL.encode() not in data and b"overview" not in data
    copy = tmp_path / "handover.db"
    handover(store, copy, passphrase="another passphrase")
    assert SENTINEL.encode() not in copy.read_bytes() and not copy.read_bytes().startswith(b"SQLite format 3")
    assert store.scalar("PRAGMA temp_store") == 2  # memory: no plaintext temporary files
    store.close()


def test_wrong_or_missing_passphrase_leaves_the_file_unchanged(tmp_path, structure, cli):
    db = tmp_path / "pair.db"
    store, _ = encrypted_pair(db, structure)
    store.close()
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    with pytest.raises(PassphraseNeeded):
        open_store(db)
    for attempt in range(3):
        result = cli("case", "list", db=db, env={"LEARNING_TOGETHER_PASSPHRASE": f"wrong guess {attempt}"})
        assert result.returncode == 1
        assert result.stdout == ""
        assert result.stderr == f"Error: {db}: wrong passphrase, or not a learning-together database; it was left as it is.\n"
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before
    ok = cli("case", "list", db=db, env={"LEARNING_TOGETHER_PASSPHRASE": PASS})
    assert ok.returncode == 0 and "CSPR-1" in ok.stdout and "not encrypted" not in ok.stderr


def test_passphrase_from_a_file(tmp_path, structure, cli):
    db = tmp_path / "pair.db"
    encrypted_pair(db, structure)[0].close()
    secret = tmp_path / "secret.txt"
    secret.write_text(PASS + "\n")
    result = cli("--passphrase-file", str(secret), "case", "list", db=db)
    assert result.returncode == 0 and "CSPR-1" in result.stdout


def test_rekey_keeps_every_note(tmp_path, structure):
    db = tmp_path / "pair.db"
    store, c = encrypted_pair(db, structure)
    store.rekey("a brand new passphrase")
    store.close()
    with pytest.raises(StoreError, match="wrong passphrase"):
        open_store(db, passphrase=PASS)
    again = open_store(db, passphrase="a brand new passphrase")
    assert again.scalar("SELECT body FROM notes").startswith(SENTINEL)
    assert again.scalar("SELECT COUNT(*) FROM events WHERE action = 'rekey'") == 1
    again.close()


def test_encrypt_a_plain_database_in_place(tmp_path, structure, cli):
    db = tmp_path / "plain.db"
    store = open_store(db)
    case_id = add_case(store, "CSPR-1", "Family A")
    c = Conversation(store, structure, create_conversation(store, structure, case_id=case_id, practitioner_role="GP"))
    for i in range(5):
        c.notes.add(f"{SENTINEL} note {i}", section_id="overview")
    store.close()
    listed = cli("case", "list", db=db)
    assert "not encrypted" in listed.stderr
    result = cli("encrypt", db=db, env={"LEARNING_TOGETHER_NEW_PASSPHRASE": PASS})
    assert result.returncode == 0, result.stderr
    assert SENTINEL.encode() not in every_byte(db)
    reopened = open_store(db, passphrase=PASS)
    assert reopened.scalar("SELECT COUNT(*) FROM notes") == 5
    assert reopened.scalar("SELECT COUNT(*) FROM events WHERE action = 'encrypt'") == 1
    reopened.close()
    again = cli("encrypt", db=db, env={"LEARNING_TOGETHER_NEW_PASSPHRASE": PASS, "LEARNING_TOGETHER_PASSPHRASE": PASS})
    assert again.returncode == 1 and "already encrypted" in again.stderr


def test_encrypted_handover_merges_into_an_encrypted_lead(tmp_path, structure, cli):
    pair, _ = encrypted_pair(tmp_path / "pair.db", structure)
    handover(pair, tmp_path / "handover.db", passphrase="handover passphrase")
    pair.close()
    lead = open_store(tmp_path / "lead.db", passphrase="lead passphrase", encrypt_new=True)
    with pytest.raises(StoreError, match="passphrase"):
        merge_source(lead, tmp_path / "handover.db")
    with pytest.raises(StoreError, match="wrong passphrase"):
        merge_source(lead, tmp_path / "handover.db", passphrase="not the one")
    report = merge_source(lead, tmp_path / "handover.db", passphrase="handover passphrase")
    assert report.added["notes"] == 1
    assert lead.scalar("SELECT body FROM notes").startswith(SENTINEL)
    lead.close()
    assert SENTINEL.encode() not in every_byte(tmp_path / "lead.db")
    result = cli("merge", str(tmp_path / "handover.db"), db=tmp_path / "lead.db",
                 env={"LEARNING_TOGETHER_PASSPHRASE": "lead passphrase",
                      "LEARNING_TOGETHER_SOURCE_PASSPHRASE": "handover passphrase"})
    assert result.returncode == 0 and "0 rows added" in result.stdout


def test_handover_must_choose_and_plain_is_recorded(tmp_path, structure, cli):
    db = tmp_path / "pair.db"
    encrypted_pair(db, structure)[0].close()
    env = {"LEARNING_TOGETHER_PASSPHRASE": PASS}
    refused = cli("handover", "--out", str(tmp_path / "h.db"), db=db, env=env)
    assert refused.returncode == 1 and "--encrypt" in refused.stderr
    plain = cli("handover", "--out", str(tmp_path / "plain.db"), "--plain", db=db, env=env)
    assert plain.returncode == 0 and "NOT encrypted" in plain.stdout
    assert (tmp_path / "plain.db").read_bytes().startswith(b"SQLite format 3")
    store = open_store(db, passphrase=PASS)
    detail = json.loads(store.scalar("SELECT detail FROM events WHERE action = 'handover'"))
    assert detail["encrypted"] is False
    store.close()
    encrypted = cli("handover", "--out", str(tmp_path / "enc.db"), "--encrypt", db=db,
                    env={**env, "LEARNING_TOGETHER_HANDOVER_PASSPHRASE": "handover passphrase"})
    assert encrypted.returncode == 0 and "(encrypted;" in encrypted.stdout


def test_exports_of_an_encrypted_database_warn(tmp_path, structure, cli):
    db = tmp_path / "pair.db"
    encrypted_pair(db, structure)[0].close()
    result = cli("export", "--case", "CSPR-1", "--format", "json", "--out", str(tmp_path / "x.json"), db=db,
                 env={"LEARNING_TOGETHER_PASSPHRASE": PASS})
    assert result.returncode == 0 and "not encrypted" in result.stderr


def test_init_refuses_short_passphrases_and_existing_files(tmp_path, cli):
    short = cli("init", "--encrypt", db=tmp_path / "a.db", env={"LEARNING_TOGETHER_PASSPHRASE": "short"})
    assert short.returncode == 1 and "at least 8" in short.stderr and not (tmp_path / "a.db").exists()
    made = cli("init", "--encrypt", db=tmp_path / "b.db", env={"LEARNING_TOGETHER_PASSPHRASE": PASS})
    assert made.returncode == 0 and "encrypted" in made.stdout
    again = cli("init", db=tmp_path / "b.db")
    assert again.returncode == 1 and "already exists" in again.stderr
    assert sqlite3.connect  # the plain driver is untouched by the encrypted one
