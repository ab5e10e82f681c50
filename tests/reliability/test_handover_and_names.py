"""Hand-over copies are audited or not there at all and never land on the database's own files; long
names fit the disk's limit; named pipes are refused before they are opened."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import stat
from pathlib import Path

import pytest

from assistant.cases import add_case
from assistant.conversation import Conversation, create_conversation
from assistant.store import chain_head, open_read_only, open_store

PASS = "correct horse battery"
HANDOVER_PASS = "handover passphrase"


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _one_sentence(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr and lines[0].startswith("Error: ") and "unexpected" not in stderr, stderr
    return lines[0]


def _files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def _handovers(db: Path) -> int:
    conn = sqlite3.connect(db)
    try:
        return conn.execute("SELECT COUNT(*) FROM events WHERE action = 'handover'").fetchone()[0]
    finally:
        conn.close()


@pytest.fixture
def pair(tmp_path, structure):
    """A plain pair database with a case and a note, closed so the CLI can use it."""
    db = tmp_path / "pair.db"
    store = open_store(db)
    case_id = add_case(store, "CSPR-1", "Family A")
    conversation = Conversation(store, structure, create_conversation(store, structure, case_id=case_id,
                                                                      practitioner_role="Health Visitor"))
    conversation.notes.add("In the practitioner's own words.", section_id="overview")
    store.close()
    out = tmp_path / "out"
    out.mkdir(mode=0o700)
    return {"db": db, "tmp": tmp_path, "out": out}


def _handover(cli, db: Path, out: Path, encrypted: bool = False, **kwargs):
    if encrypted:
        return cli("handover", "--out", str(out), "--encrypt", db=db,
                   env={"LEARNING_TOGETHER_HANDOVER_PASSPHRASE": HANDOVER_PASS}, **kwargs)
    return cli("handover", "--out", str(out), "--plain", db=db, **kwargs)


# ------------------------------------------------------------------ 1. audited or not there at all


@pytest.mark.parametrize("encrypted", [False, True], ids=["plain", "encrypted"])
def test_handover_while_another_program_holds_the_write_lock_leaves_no_copy(cli, pair, encrypted):
    holder = sqlite3.connect(pair["db"], isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        result = _handover(cli, pair["db"], pair["out"] / "h.db", encrypted)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.returncode == 1
    line = _one_sentence(result.stderr)
    assert "busy" in line and "no hand-over copy was written" in line
    assert _files(pair["out"]) == []
    assert _handovers(pair["db"]) == 0
    again = _handover(cli, pair["db"], pair["out"] / "h.db", encrypted)
    assert again.returncode == 0, again.stderr
    assert _files(pair["out"]) == ["h.db"] and _handovers(pair["db"]) == 1


def test_handover_whose_audit_event_cannot_be_written_leaves_no_copy(cli, pair):
    conn = sqlite3.connect(pair["db"])
    conn.execute("CREATE TRIGGER refuse_events BEFORE INSERT ON events "
                 "WHEN NEW.action = 'handover' BEGIN SELECT RAISE(ABORT, 'refused for the test'); END")
    conn.commit()
    conn.close()
    result = _handover(cli, pair["db"], pair["out"] / "h.db")
    assert result.returncode == 1
    line = _one_sentence(result.stderr)
    assert "audit trail" in line and "no hand-over copy was written" in line
    assert _files(pair["out"]) == [] and _handovers(pair["db"]) == 0


@pytest.mark.parametrize("encrypted", [False, True], ids=["plain", "encrypted"])
def test_handover_event_records_the_chain_head_of_the_copy(cli, pair, encrypted):
    copy = pair["out"] / "h.db"
    result = _handover(cli, pair["db"], copy, encrypted)
    assert result.returncode == 0, result.stderr
    conn = sqlite3.connect(pair["db"])
    detail = json.loads(conn.execute("SELECT detail FROM events WHERE action = 'handover'").fetchone()[0])
    conn.close()
    reader = open_read_only(copy, HANDOVER_PASS if encrypted else None)
    try:
        head = chain_head(reader)
    finally:
        reader.close()
    assert head["events"] > 0
    assert detail["events"] == head["events"] and detail["head"] == head["head"]
    assert detail["sha256"] == _sha(copy) and detail["encrypted"] is encrypted
    assert stat.S_IMODE(copy.stat().st_mode) == 0o600


# ------------------------------------------------------------------ 2. names near the disk's limit


@pytest.mark.parametrize("encrypted", [False, True], ids=["plain", "encrypted"])
def test_a_250_byte_handover_name_is_written_and_a_300_byte_one_is_one_sentence(cli, pair, encrypted):
    long_ok = pair["out"] / ("h" * 247 + ".db")
    result = _handover(cli, pair["db"], long_ok, encrypted)
    assert result.returncode == 0, result.stderr
    assert _files(pair["out"]) == [long_ok.name] and _handovers(pair["db"]) == 1
    merged = cli("merge", str(long_ok), db=pair["tmp"] / "lead.db",
                 env={"LEARNING_TOGETHER_SOURCE_PASSPHRASE": HANDOVER_PASS})
    assert merged.returncode == 0 and "rows added" in merged.stdout, merged.stderr
    too_long = pair["out"] / ("h" * 297 + ".db")
    result = _handover(cli, pair["db"], too_long, encrypted)
    assert result.returncode == 1
    line = _one_sentence(result.stderr)
    assert "too long" in line
    assert _files(pair["out"]) == [long_ok.name] and _handovers(pair["db"]) == 1


def test_a_250_byte_database_name_can_be_created_used_and_kept_from_encrypt(cli, tmp_path):
    made = tmp_path / ("d" * 247 + ".db")
    result = cli("init", db=made)
    assert result.returncode == 0, result.stderr
    added = tmp_path / ("a" * 247 + ".db")
    result = cli("case", "add", "--ref", "CSPR-1", "--label", "Family A", db=added)
    assert result.returncode == 0, result.stderr
    listed = cli("case", "list", db=added)
    assert listed.returncode == 0 and "CSPR-1" in listed.stdout
    assert not [n for n in _files(tmp_path) if n.endswith((".partial", ".creating", ".encrypting"))]
    # The writers' lock beside a long name still works: encrypt waits for another program to close it.
    store = open_store(added, create=False)
    try:
        refused = cli("encrypt", db=added, env={"LEARNING_TOGETHER_NEW_PASSPHRASE": PASS})
    finally:
        store.close()
    assert refused.returncode == 1 and "another program" in _one_sentence(refused.stderr)
    assert open_store(added, create=False).encrypted is False
    encrypted = cli("encrypt", db=added, env={"LEARNING_TOGETHER_NEW_PASSPHRASE": PASS})
    assert encrypted.returncode == 0, encrypted.stderr
    listed = cli("case", "list", db=added, env={"LEARNING_TOGETHER_PASSPHRASE": PASS})
    assert listed.returncode == 0 and "CSPR-1" in listed.stdout


def test_a_300_byte_database_name_is_one_sentence(cli, tmp_path):
    for command in (["init"], ["case", "add", "--ref", "CSPR-1", "--label", "Family A"]):
        result = cli(*command, db=tmp_path / ("d" * 297 + ".db"))
        assert result.returncode == 1
        assert "too long" in _one_sentence(result.stderr)
    assert _files(tmp_path) == []


# ------------------------------------------------------------------ 3. named pipes are never opened


@pytest.mark.parametrize("command", [
    ["--passphrase-file", "FIFO", "case", "list"],
    ["--passphrase-file", "FIFO", "init", "--encrypt"],
    ["handover", "--out", "OUT", "--encrypt", "--handover-passphrase-file", "FIFO"],
    ["rekey", "--new-passphrase-file", "FIFO"],
    ["encrypt", "--new-passphrase-file", "FIFO"],
    ["structure", "check", "FIFO"],
    ["structure", "show", "FIFO"],
])
def test_a_named_pipe_is_refused_before_it_is_opened(cli, pair, command):
    fifo = pair["tmp"] / "pipe"
    os.mkfifo(fifo)
    before = _sha(pair["db"])
    args = [str(fifo) if a == "FIFO" else str(pair["out"] / "h.db") if a == "OUT" else a for a in command]
    db = pair["tmp"] / "new.db" if "init" in command else pair["db"]
    env = {"LEARNING_TOGETHER_PASSPHRASE": ""}
    result = cli(*args, db=db, env=env, timeout=20)
    assert result.returncode == 1
    if command[:2] == ["structure", "check"]:  # located problems, one line per file
        assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
        assert "not a regular file" in result.stderr
    else:
        assert "not a regular file" in _one_sentence(result.stderr)
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    assert _sha(pair["db"]) == before and not (pair["tmp"] / "new.db").exists()
    assert _files(pair["out"]) == []


def test_structure_show_of_a_folder_is_one_sentence(cli, tmp_path):
    result = cli("structure", "show", str(tmp_path))
    assert result.returncode == 1
    assert "is a folder" in _one_sentence(result.stderr)


def test_a_named_pipe_as_the_database_is_refused(cli, tmp_path):
    fifo = tmp_path / "lt.db"
    os.mkfifo(fifo)
    for command in (["case", "list"], ["case", "add", "--ref", "CSPR-1", "--label", "Family A"], ["init"],
                    ["encrypt"]):
        result = cli(*command, db=fifo, env={"LEARNING_TOGETHER_NEW_PASSPHRASE": PASS}, timeout=20)
        assert result.returncode == 1
        _one_sentence(result.stderr)
    assert stat.S_ISFIFO(fifo.stat().st_mode)


# ------------------------------------------------------------------ 4. never onto the database's own files


@pytest.mark.parametrize("suffix", ["", "-wal", "-shm", "-journal"])
def test_handover_never_lands_on_the_database_or_its_companions(cli, pair, suffix):
    target = Path(f"{pair['db']}{suffix}")
    before = _sha(pair["db"])
    result = _handover(cli, pair["db"], target)
    assert result.returncode == 1
    assert "database" in _one_sentence(result.stderr)
    assert _sha(pair["db"]) == before
    assert suffix not in ("-journal",) or not target.exists()
    assert _handovers(pair["db"]) == 0
    listed = cli("case", "list", db=pair["db"])
    assert listed.returncode == 0 and "CSPR-1" in listed.stdout


def test_handover_through_a_link_to_the_database_is_refused(cli, pair):
    link = pair["out"] / "link.db"
    link.symlink_to(pair["db"])
    dangling = pair["out"] / "dangling.db"
    dangling.symlink_to(pair["tmp"] / "nowhere.db")
    before = _sha(pair["db"])
    for target in (link, dangling):
        result = _handover(cli, pair["db"], target)
        assert result.returncode == 1
        _one_sentence(result.stderr)
    assert _sha(pair["db"]) == before and not (pair["tmp"] / "nowhere.db").exists()
    assert _handovers(pair["db"]) == 0


def test_handover_onto_an_existing_file_a_folder_or_under_a_file_is_one_sentence(cli, pair):
    existing = pair["out"] / "earlier.db"
    existing.write_text("an earlier hand-over\n")
    folder = pair["out"] / "folder"
    folder.mkdir()
    under_a_file = existing / "h.db"
    for target, words in ((existing, "already exists"), (folder, "folder"), (under_a_file, "cannot")):
        result = _handover(cli, pair["db"], target)
        assert result.returncode == 1
        assert words in _one_sentence(result.stderr).lower()
    assert existing.read_text() == "an earlier hand-over\n" and list(folder.iterdir()) == []
    assert _files(pair["out"]) == ["earlier.db", "folder"] and _handovers(pair["db"]) == 0


# ------------------------------------------------------------------ partial names


def test_a_live_programs_partial_with_an_all_digit_random_part_is_kept(tmp_path):
    """The random part of a partial name can come out all digits; it is never taken for a dead pid."""
    db = tmp_path / "lt.db"
    open_store(db).close()
    live = [tmp_path / f".lt.{os.getpid()}.12345678.encrypting",
            tmp_path / f".lt.db.{os.getpid()}.20240101.partial"]
    for path in live:
        path.write_bytes(b"being built")
    open_store(db).close()
    assert all(path.exists() for path in live)


def test_partial_names_are_short_whatever_the_target(tmp_path):
    from assistant.store import _private_partial

    partial = _private_partial(tmp_path / ("p" * 250))
    assert partial.exists() and len(partial.name) < 40 and partial.name.startswith(".lt.")
    assert stat.S_IMODE(partial.stat().st_mode) == 0o600


def test_a_failed_handover_leaves_no_folder_it_made(cli, pair):
    holder = sqlite3.connect(pair["db"], isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    exports = pair["db"].parent / "exports"  # the one folder a hand-over may make: the product's own
    try:
        result = _handover(cli, pair["db"], exports / "new" / "deeper" / "h.db")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.returncode == 1 and "no hand-over copy was written" in _one_sentence(result.stderr)
    assert not exports.exists()
    made = _handover(cli, pair["db"], exports / "new" / "deeper" / "h.db")
    assert made.returncode == 0, made.stderr
    for folder in (exports, exports / "new", exports / "new" / "deeper"):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700


def test_encrypt_through_a_link_encrypts_the_database_itself(cli, pair):
    link = pair["out"] / "link.db"
    link.symlink_to(pair["db"])
    result = cli("encrypt", db=link, env={"LEARNING_TOGETHER_NEW_PASSPHRASE": PASS})
    assert result.returncode == 0, result.stderr
    assert link.is_symlink() and link.resolve() == pair["db"].resolve()
    assert not pair["db"].read_bytes().startswith(b"SQLite format 3")
    for db in (pair["db"], link):
        listed = cli("case", "list", db=db, env={"LEARNING_TOGETHER_PASSPHRASE": PASS})
        assert listed.returncode == 0 and "CSPR-1" in listed.stdout


def test_no_export_or_handover_replaces_the_writers_lock_file(cli, pair):
    from assistant.store import writers_lock_path

    lock = writers_lock_path(pair["db"])
    open_store(pair["db"]).close()
    inode = lock.stat().st_ino
    exported = cli("export", "--case", "CSPR-1", "--format", "md", "--out", str(lock), "--force", db=pair["db"])
    assert exported.returncode == 1 and "database" in _one_sentence(exported.stderr)
    handed = _handover(cli, pair["db"], lock)
    assert handed.returncode == 1 and "database" in _one_sentence(handed.stderr)
    assert lock.stat().st_ino == inode and lock.stat().st_size == 0
