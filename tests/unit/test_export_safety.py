"""Exports never replace what they should not, are audited or absent, ship only intact notes, fit the
filesystem's name limit, keep notes in the order they were written, and date a conversation by the
local day it was held."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import sqlite3
import stat
from pathlib import Path

import pytest
from docx import Document as WordDocument

from assistant.cases import add_case
from assistant.conversation import Conversation, create_conversation
from assistant.exports.case import export_case
from assistant.exports.record import export_record
from assistant.store import StoreError, open_store


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _one_sentence(stderr: str) -> None:
    lines = [line for line in stderr.strip().splitlines() if not line.startswith("Warning:")]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr and lines[0].startswith("Error: ")


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".partial"))


@pytest.fixture
def filled(tmp_path, structure):
    """A plain database with one case and one conversation with notes, closed so the CLI can use it."""
    db = tmp_path / "lead.db"
    store = open_store(db)
    case_id = add_case(store, "CSPR-1", "Family A")
    conversation_id = create_conversation(store, structure, case_id=case_id, practitioner_role="Social Worker 1")
    conversation = Conversation(store, structure, conversation_id)
    conversation.notes.add("My own account of the family.", ["words"], section_id="overview")
    conversation.notes.add("We met weekly with school.", section_id="went_well")
    store.close()
    return {"db": db, "tmp": tmp_path, "conversation_id": conversation_id, "case_id": case_id}


# ------------------------------------------------------------------ 1. never replace what must not be replaced


def test_export_refuses_an_existing_file_unless_forced(cli, filled):
    out = filled["tmp"] / "pack.md"
    out.write_text("an earlier export I still need\n")
    refused = cli("export", "--case", "CSPR-1", "--format", "md", "--out", str(out), db=filled["db"])
    assert refused.returncode == 1
    _one_sentence(refused.stderr)
    assert "already exists" in refused.stderr and "--force" in refused.stderr
    assert out.read_text() == "an earlier export I still need\n"
    forced = cli("export", "--case", "CSPR-1", "--format", "md", "--out", str(out), "--force", db=filled["db"])
    assert forced.returncode == 0, forced.stderr
    assert out.read_text().startswith("# Analysis pack")
    record = cli("export", "--conversation", filled["conversation_id"], "--format", "md", "--out", str(out),
                 db=filled["db"])
    assert record.returncode == 1 and "already exists" in record.stderr
    assert out.read_text().startswith("# Analysis pack")


def test_no_export_replaces_the_database_even_when_forced(cli, filled):
    db, tmp = filled["db"], filled["tmp"]
    before = _sha(db)
    (tmp / "link-to-db.md").symlink_to(db)
    os.link(db, tmp / "hardlink.md")
    other = tmp / "other.sqlite"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.close()
    other_before = _sha(other)
    encrypted = tmp / "encrypted.md"
    open_store(encrypted, passphrase="a long passphrase", encrypt_new=True).close()
    encrypted_before = _sha(encrypted)
    targets = [db, Path(f"{db}-wal"), Path(f"{db}-shm"), Path(f"{db}-journal"), tmp / "link-to-db.md",
               tmp / "hardlink.md", other, encrypted, tmp / "sub" / ".." / "lead.db"]
    for target in targets:
        for fmt, option in (("md", "--case"), ("json", "--case"), ("md", "--conversation")):
            subject = "CSPR-1" if option == "--case" else filled["conversation_id"]
            result = cli("export", option, subject, "--format", fmt, "--out", str(target), "--force", db=db)
            assert result.returncode == 1, (target, result.stdout)
            _one_sentence(result.stderr)
            assert "database" in result.stderr
    assert _sha(db) == before and _sha(other) == other_before and _sha(encrypted) == encrypted_before
    assert not Path(f"{db}-journal").exists()
    store = open_store(db)
    assert store.scalar("SELECT COUNT(*) FROM notes") == 2
    assert store.scalar("SELECT COUNT(*) FROM events WHERE action = 'export'") == 0
    store.close()


def test_csv_checks_both_files_before_writing_either(cli, filled):
    tmp = filled["tmp"]
    codebook = tmp / "notes-codebook.csv"
    codebook.write_text("my own codebook\n")
    result = cli("export", "--case", "CSPR-1", "--format", "csv", "--out", str(tmp / "notes.csv"), db=filled["db"])
    assert result.returncode == 1 and "notes-codebook.csv" in result.stderr
    _one_sentence(result.stderr)
    assert not (tmp / "notes.csv").exists() and codebook.read_text() == "my own codebook\n"
    # The codebook sibling may not be the database either, forced or not.
    db_named = tmp / "x-codebook.csv"
    os.link(filled["db"], db_named)
    forced = cli("export", "--case", "CSPR-1", "--format", "csv", "--out", str(tmp / "x.csv"), "--force",
                 db=filled["db"])
    assert forced.returncode == 1 and "database" in forced.stderr
    assert not (tmp / "x.csv").exists()
    assert _leftovers(tmp) == []


def test_choose_export_path_never_collides(filled):
    from assistant.exports.files import choose_export_path

    folder = filled["tmp"] / "exports"
    first = choose_export_path(folder, "CSPR-1-Social Worker 1-record", "md")
    first.parent.mkdir(mode=0o700)
    first.write_text("one")
    second = choose_export_path(folder, "CSPR-1-Social Worker 1-record", "md")
    assert second != first and second.name.endswith("-2.md")
    second.write_text("two")
    assert choose_export_path(folder, "CSPR-1-Social Worker 1-record", "md").name.endswith("-3.md")
    # A csv export also needs its codebook name free.
    (folder / "case-codebook.csv").write_text("taken")
    chosen = choose_export_path(folder, "case", "csv", siblings=("-codebook.csv",))
    assert chosen.name == "case-2.csv"


def test_a_pipe_or_device_is_never_an_export_target(cli, filled):
    fifo = filled["tmp"] / "pipe.md"
    os.mkfifo(fifo)
    for target in (fifo, Path("/dev/null")):
        result = cli("export", "--case", "CSPR-1", "--format", "md", "--out", str(target), "--force",
                     db=filled["db"], timeout=20)
        assert result.returncode == 1 and "not an ordinary file" in result.stderr
        _one_sentence(result.stderr)
    assert stat.S_ISFIFO(fifo.stat().st_mode)


# ------------------------------------------------------------------ 7. audited or not there at all


def test_no_export_file_remains_when_its_audit_event_cannot_be_written(filled, structure):
    store = open_store(filled["db"])
    store.conn.execute("CREATE TEMP TRIGGER refuse_events BEFORE INSERT ON events "
                       "BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END")
    out = filled["tmp"] / "out"
    for fmt in ("md", "docx", "csv", "json", "qdpx"):
        with pytest.raises(StoreError) as refused:
            export_case(store, structure, "CSPR-1", fmt, out / f"case.{fmt}")
        assert "\n" not in str(refused.value) and str(refused.value).count(". ") == 0
    conversation = Conversation(store, structure, filled["conversation_id"])
    for fmt in ("md", "docx"):
        with pytest.raises(StoreError):
            export_record(conversation, fmt, out / f"record.{fmt}")
    assert not out.exists()  # not even the folder the export would have made
    kept = filled["tmp"] / "kept.md"
    kept.write_text("the earlier export\n")
    with pytest.raises(StoreError):
        export_case(store, structure, "CSPR-1", "md", kept, force=True)
    assert kept.read_text() == "the earlier export\n"  # a forced replacement is put back
    assert _leftovers(filled["tmp"]) == [] and not [p for p in filled["tmp"].iterdir() if ".replaced" in p.name]
    store.conn.execute("DROP TRIGGER refuse_events")
    assert store.scalar("SELECT COUNT(*) FROM events WHERE action = 'export'") == 0
    store.close()


def test_cli_export_while_another_program_holds_the_write_lock_leaves_nothing(cli, filled):
    holder = sqlite3.connect(filled["db"], isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        out = filled["tmp"] / "busy"
        out.mkdir()
        case = cli("export", "--case", "CSPR-1", "--format", "csv", "--out", str(out / "notes.csv"), db=filled["db"])
        record = cli("export", "--conversation", filled["conversation_id"], "--format", "docx", "--out",
                     str(out / "record.docx"), db=filled["db"])
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    for result in (case, record):
        assert result.returncode == 1
        _one_sentence(result.stderr)
        assert "nothing was exported" in result.stderr
    assert not out.exists() or list(out.iterdir()) == []
    assert sqlite3.connect(filled["db"]).execute(
        "SELECT COUNT(*) FROM events WHERE action = 'export'").fetchone()[0] == 0


# ------------------------------------------------------------------ 8. every export checks checksums


def test_record_export_refuses_a_changed_note(cli, filled, structure):
    conn = sqlite3.connect(filled["db"])
    conn.execute("UPDATE notes SET body = 'changed behind our back' WHERE section_id = 'went_well'")
    conn.commit()
    conn.close()
    out = filled["tmp"] / "record.md"
    result = cli("export", "--conversation", filled["conversation_id"], "--format", "md", "--out", str(out),
                 db=filled["db"])
    assert result.returncode == 1 and "checksum" in result.stderr
    _one_sentence(result.stderr)
    assert not out.exists()
    store = open_store(filled["db"])
    with pytest.raises(StoreError, match="checksum"):
        export_record(Conversation(store, structure, filled["conversation_id"]), "docx", filled["tmp"] / "r.docx")
    assert not (filled["tmp"] / "r.docx").exists()
    store.close()


# ------------------------------------------------------------------ 12. names within the filesystem's limit


def test_a_250_character_out_name_is_written_and_a_too_long_one_is_one_sentence(cli, filled):
    long_ok = filled["tmp"] / ("r" * 247 + ".md")
    result = cli("export", "--conversation", filled["conversation_id"], "--format", "md", "--out", str(long_ok),
                 db=filled["db"])
    assert result.returncode == 0, result.stderr
    assert long_ok.exists()
    too_long = filled["tmp"] / ("r" * 300 + ".md")
    result = cli("export", "--conversation", filled["conversation_id"], "--format", "md", "--out",
                 str(too_long), db=filled["db"])
    assert result.returncode == 1
    _one_sentence(result.stderr)
    # The codebook's longer name is checked before the notes file is written.
    near = filled["tmp"] / ("c" * 247 + ".csv")
    result = cli("export", "--case", "CSPR-1", "--format", "csv", "--out", str(near), db=filled["db"])
    assert result.returncode == 1
    _one_sentence(result.stderr)
    assert not near.exists() and _leftovers(filled["tmp"]) == []


def test_a_write_failure_is_one_sentence(cli, filled):
    blocker = filled["tmp"] / "a-file"
    blocker.write_text("not a folder")
    result = cli("export", "--case", "CSPR-1", "--format", "json", "--out", str(blocker / "x.json"), db=filled["db"])
    assert result.returncode == 1
    _one_sentence(result.stderr)


def test_every_folder_an_export_creates_is_private(cli, filled):
    exports = filled["db"].parent / "exports"  # the one folder an export makes: the product's own
    out = exports / "a" / "b" / "pack.md"
    result = cli("export", "--case", "CSPR-1", "--format", "md", "--out", str(out), db=filled["db"])
    assert result.returncode == 0, result.stderr
    for folder in (exports, exports / "a", exports / "a" / "b"):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
    assert stat.S_IMODE(out.stat().st_mode) == 0o600


def test_shorten_name_counts_bytes():
    from assistant.exports.files import MAX_NAME_BYTES, shorten_name

    name = shorten_name("保" * 90 + "-record", ".docx")
    assert len(name.encode("utf-8")) <= MAX_NAME_BYTES and name.endswith(".docx")
    assert name.startswith("保保")
    assert shorten_name("short", ".md") == "short.md"


# ------------------------------------------------------------------ 13. the order notes were written in


def test_notes_keep_the_order_they_were_written_when_the_clock_steps_back(filled, structure, monkeypatch):
    import assistant.conversation.notes as module  # where notes are stamped

    store = open_store(filled["db"])
    conversation = Conversation(store, structure, filled["conversation_id"])
    monkeypatch.setattr(module, "now", lambda: "2026-11-27T10:00:00.000+00:00")
    conversation.notes.add("Written first, before the clock stepped back.", section_id="overview")
    monkeypatch.setattr(module, "now", lambda: "2026-11-27T09:00:00.000+00:00")
    conversation.notes.add("Written second, after the clock stepped back.", section_id="overview")
    monkeypatch.undo()

    bodies = [n["body"] for n in conversation.notes.list("overview")]
    assert bodies.index("Written first, before the clock stepped back.") < bodies.index(
        "Written second, after the clock stepped back.")
    record = export_record(conversation, "md", filled["tmp"] / "record.md").read_text()
    assert record.index("Written first") < record.index("Written second")
    rows = list(csv.DictReader(io.StringIO(
        export_case(store, structure, "CSPR-1", "csv", filled["tmp"] / "notes.csv")[0].read_text())))
    order = [r["body"] for r in rows]
    assert order.index("Written first, before the clock stepped back.") < order.index(
        "Written second, after the clock stepped back.")
    data = json.loads(export_case(store, structure, "CSPR-1", "json", filled["tmp"] / "case.json")[0].read_text())
    order = [n["body"] for n in data["conversations"][0]["notes"]]
    assert order.index("Written first, before the clock stepped back.") < order.index(
        "Written second, after the clock stepped back.")
    store.close()


def test_the_latest_prompt_mark_is_the_last_written_when_the_clock_steps_back(filled, structure, monkeypatch):
    import assistant.conversation.coverage as module  # where marks are stamped
    from assistant.review import coverage_matrix

    store = open_store(filled["db"])
    conversation = Conversation(store, structure, filled["conversation_id"])
    monkeypatch.setattr(module, "now", lambda: "2026-11-27T10:00:00.000+00:00")
    conversation.marks.mark("from_records", "later", section_id="queries")
    monkeypatch.setattr(module, "now", lambda: "2026-11-27T09:00:00.000+00:00")
    conversation.marks.mark("from_records", "skipped", section_id="queries")
    monkeypatch.undo()
    assert conversation.marks.latest()[("queries", "from_records", None)] == "skipped"
    cells = {(r["section"].id, r["prompt"].id): r["cells"]
             for r in coverage_matrix(store, structure, filled["case_id"]).rows}
    assert cells[("queries", "from_records")][filled["conversation_id"]]["state"] == "skipped"
    store.close()


# ------------------------------------------------------------------ 14. held on the local day


def test_held_on_is_the_local_date_of_the_conversation(tmp_path, structure, monkeypatch):
    import assistant.conversation.lifecycle as module  # where conversations are created

    store = open_store(tmp_path / "lt.db")
    case_id = add_case(store, "CSPR-1", "Family A")
    monkeypatch.setattr(module, "now", lambda: "2026-06-30T23:30:00.000+00:00")
    monkeypatch.setattr(module, "local_offset", lambda: "+01:00")
    conversation_id = create_conversation(store, structure, case_id=case_id, practitioner_role="Health Visitor")
    monkeypatch.undo()
    conversation = Conversation(store, structure, conversation_id)
    conversation.notes.add("An account.", section_id="overview")
    assert store.scalar("SELECT utc_offset FROM conversations") == "+01:00"

    record = export_record(conversation, "md", tmp_path / "r.md").read_text()
    assert "| Held on | 2026-07-01 |" in record and "2026-06-30" not in record
    word = WordDocument(str(export_record(conversation, "docx", tmp_path / "r.docx")))
    assert "2026-07-01" in [c.text for t in word.tables for r in t.rows for c in r.cells]
    pack = export_case(store, structure, "CSPR-1", "md", tmp_path / "pack.md")[0].read_text()
    assert "held 2026-07-01" in pack
    data = json.loads(export_case(store, structure, "CSPR-1", "json", tmp_path / "c.json")[0].read_text())
    exported = data["conversations"][0]
    assert exported["held_on"] == "2026-07-01" and exported["utc_offset"] == "+01:00"
    assert exported["created_at"] == "2026-06-30T23:30:00.000+00:00"
    store.close()


def test_m007_backfills_the_offset_from_the_create_event(tmp_path, structure, monkeypatch):
    import assistant.store.audit as store_module  # where the events take their offset

    db = tmp_path / "lt.db"
    store = open_store(db)
    case_id = add_case(store, "CSPR-1", "Family A")
    monkeypatch.setattr(store_module, "local_offset", lambda: "-05:00")
    conversation_id = create_conversation(store, structure, case_id=case_id, practitioner_role="GP")
    monkeypatch.undo()
    store.close()
    # Make it a schema-5 database again: no column, the migration not yet applied.
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("ALTER TABLE conversations DROP COLUMN utc_offset")
    conn.execute("DELETE FROM _sqlite_migrations WHERE name = 'm007_conversation_utc_offset'")
    conn.execute("PRAGMA user_version = 5")
    conn.close()
    store = open_store(db)
    assert store.scalar("SELECT utc_offset FROM conversations WHERE id = ?", (conversation_id,)) == "-05:00"
    store.close()


def test_an_older_pair_database_merges_again_without_a_false_conflict(tmp_path):
    from assistant.merge import merge_source
    from tests.unit.pairs import pair_database

    pair_database(tmp_path / "a.db", "GP", ["The home visit"])
    conn = sqlite3.connect(tmp_path / "a.db", isolation_level=None)  # as schema 5 left it: no offset column
    conn.execute("ALTER TABLE conversations DROP COLUMN utc_offset")
    conn.execute("DELETE FROM _sqlite_migrations WHERE name = 'm007_conversation_utc_offset'")
    conn.execute("PRAGMA user_version = 5")
    conn.close()
    lead = open_store(tmp_path / "lead.db")
    merge_source(lead, tmp_path / "a.db")
    again = merge_source(lead, tmp_path / "a.db")
    assert again.conflicts == [] and sum(again.added.values()) == 0
    assert lead.scalar("SELECT COUNT(*) FROM merge_conflicts") == 0
    lead.close()
