"""Merging hostile, damaged or repeated hand-overs: erasure is honoured, chronologies are not copied
twice, every row is checked and cleaned on the way in, and nothing but a regular file is opened."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys

import pytest

from assistant.cases import add_case, import_chronology
from assistant.merge import MergeError, merge_source
from assistant.store import open_store

from tests.conftest import ROOT, run_cli
from tests.unit.pairs import pair_database

CHRONOLOGY = "date,agency,summary,source\n2024-01-01,Police,Call to the home,log 1\n2024-02-03,School,Absent,reg\n"


def count(db, sql, params=()):
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql, params).fetchone()[0]
    finally:
        conn.close()


@pytest.fixture
def pair(tmp_path):
    return pair_database(tmp_path / "pair-a.db", "Probation Officer", ["Sending the fax"])


def crafted(tmp_path, pair, *statements, name="crafted.db"):
    """A copy of a real pair database changed with raw SQL, as a damaged or hostile file would be."""
    target = tmp_path / name
    shutil.copy(pair["path"], target)
    conn = sqlite3.connect(target)
    for sql, params in statements:
        conn.execute(sql, params)
    conn.commit()
    conn.close()
    return target


# ------------------------------------------------------------------ item 4a: tombstones
def test_merging_again_after_a_case_is_erased_brings_nothing_back(cli, tmp_path, pair):
    lead = tmp_path / "lead.db"
    assert cli("merge", str(pair["path"]), db=lead).returncode == 0
    erased = cli("erase", "--case", "CSPR-2026-04", "--reason", "Retention period ended", db=lead)
    assert erased.returncode == 0, erased.stderr
    again = cli("merge", str(pair["path"]), db=lead)
    assert again.returncode == 0, again.stderr
    assert count(lead, "SELECT COUNT(*) FROM cases") == 0
    assert count(lead, "SELECT COUNT(*) FROM notes") == 0
    assert count(lead, "SELECT COUNT(*) FROM conversations") == 0
    assert "rows skipped: erased here" in again.stdout
    skipped = int(again.stdout.split(" rows skipped: erased here")[0].rsplit(" ", 1)[-1])
    assert skipped >= 1 + 1 + 1 + 5  # the case, the conversation, its key moment and its notes


def test_merging_again_after_a_conversation_is_erased_brings_it_not_back(cli, tmp_path, pair):
    other = pair_database(tmp_path / "pair-b.db", "Social Worker 1", ["The referral"])
    lead = tmp_path / "lead.db"
    assert cli("merge", str(pair["path"]), str(other["path"]), db=lead).returncode == 0
    erased = cli("erase", "--conversation", pair["conversation_id"], "--reason", "Consent withdrawn", db=lead)
    assert erased.returncode == 0, erased.stderr
    again = cli("merge", str(pair["path"]), str(other["path"]), db=lead)
    assert again.returncode == 0, again.stderr
    assert count(lead, "SELECT COUNT(*) FROM conversations WHERE id = ?", (pair["conversation_id"],)) == 0
    assert count(lead, "SELECT COUNT(*) FROM notes WHERE conversation_id = ?", (pair["conversation_id"],)) == 0
    assert count(lead, "SELECT COUNT(*) FROM conversations") == 1
    assert count(lead, "SELECT COUNT(*) FROM cases") == 1
    assert "rows skipped: erased here" in again.stdout.splitlines()[0]
    assert "erased here" not in again.stdout.splitlines()[1]


def test_a_case_the_lead_made_itself_stays_erased_and_a_new_one_by_that_reference_is_merged(tmp_path, pair):
    lead = open_store(tmp_path / "lead.db")
    add_case(lead, "CSPR-2026-04", "Family A")  # the lead's own case: another id than the pair's
    merge_source(lead, pair["path"])
    lead.close()
    erased = run_cli("erase", "--case", "CSPR-2026-04", "--reason", "Retention period ended", db=tmp_path / "lead.db")
    assert erased.returncode == 0, erased.stderr
    lead = open_store(tmp_path / "lead.db")
    report = merge_source(lead, pair["path"])  # matched by the tombstone's reference hash
    assert lead.scalar("SELECT COUNT(*) FROM cases") == 0 and report.skipped_erased > 5
    add_case(lead, "CSPR-2026-04", "Family A")  # the reference used again, on purpose
    newer = pair_database(tmp_path / "pair-a.db", "Health Visitor", ["A later visit"])
    merge_source(lead, pair["path"])
    assert lead.scalar("SELECT COUNT(*) FROM conversations") == 1  # the new one, not the erased one
    assert lead.scalar("SELECT id FROM conversations") == newer["conversation_id"]
    lead.close()


# ------------------------------------------------------------------ item 9: chronologies and cases
def test_a_chronology_imported_by_everyone_is_merged_once(tmp_path):
    csv = tmp_path / "chronology.csv"
    csv.write_text(CHRONOLOGY)
    pairs = [pair_database(tmp_path / f"pair-{n}.db", role, ["A moment"])
             for n, role in (("a", "GP"), ("b", "Health Visitor"))]
    lead = open_store(tmp_path / "lead.db")
    add_case(lead, "CSPR-2026-04", "Family A")
    import_chronology(lead, "CSPR-2026-04", csv)
    for p in pairs:
        store = open_store(p["path"])
        import_chronology(store, "CSPR-2026-04", csv)
        store.close()
    for p in pairs:
        merge_source(lead, p["path"])
        merge_source(lead, p["path"])
    assert lead.scalar("SELECT COUNT(*) FROM chronology") == 2
    lead.close()


def test_a_chronology_on_a_rehearsal_only_case_is_left_out(tmp_path, pair):
    rehearsal = pair_database(tmp_path / "pair-a.db", "Trainee", ["Practice"], reference="PRACTICE-1",
                              rehearsal=True)
    csv = tmp_path / "chronology.csv"
    csv.write_text(CHRONOLOGY)
    store = open_store(rehearsal["path"])
    import_chronology(store, "PRACTICE-1", csv)
    store.close()
    lead = open_store(tmp_path / "lead.db")
    report = merge_source(lead, pair["path"])
    assert report.added["conversations"] == 1
    assert lead.scalar("SELECT COUNT(*) FROM chronology") == 0
    assert lead.scalar("SELECT COUNT(*) FROM cases WHERE reference = 'PRACTICE-1'") == 0
    lead.close()


def test_a_case_with_the_same_reference_and_another_label_is_a_conflict(tmp_path, pair):
    lead = open_store(tmp_path / "lead.db")
    add_case(lead, "CSPR-2026-04", "Family B")
    report = merge_source(lead, pair["path"])
    assert lead.scalar("SELECT label FROM cases") == "Family B"
    assert {"table": "cases", "id": lead.scalar("SELECT id FROM cases")} in report.conflicts
    conflict = lead.one("SELECT * FROM merge_conflicts WHERE table_name = 'cases'")
    assert json.loads(conflict["incoming"])["label"] == "Family A"
    assert "case CSPR-2026-04 has another label there" in report.summary()
    merge_source(lead, pair["path"])
    assert lead.scalar("SELECT COUNT(*) FROM merge_conflicts WHERE table_name = 'cases'") == 1
    lead.close()


# ------------------------------------------------------------------ item 10: checked and cleaned
@pytest.mark.parametrize("statement, message", [
    ("UPDATE notes SET id = NULL WHERE rowid = 2", "notes row 2 has no id"),
    ("UPDATE notes SET body = CAST(body AS BLOB), checksum = checksum WHERE rowid = 3",
     "notes row 3: body is not text"),
    ("UPDATE episodes SET position = 'first' WHERE rowid = 1", "episodes row 1: position is not a whole number"),
    ("UPDATE notes SET author_role = 'third' WHERE rowid = 1", "notes row 1 breaks a rule of the table"),
    ("UPDATE conversations SET practitioner_role = X'4142'", "conversations row 1: practitioner_role is not text"),
    ("UPDATE cases SET reference = 'CSPR<1>&x'", "cases row 1: the reference is not allowed"),
])
def test_a_source_with_a_malformed_row_is_refused_whole(tmp_path, pair, statement, message):
    conn = sqlite3.connect(pair["path"])
    conn.execute("PRAGMA ignore_check_constraints = ON")
    conn.execute(statement)
    conn.commit()
    conn.close()
    lead = open_store(tmp_path / "lead.db")
    with pytest.raises(MergeError) as caught:
        merge_source(lead, pair["path"])
    assert message in str(caught.value) and str(caught.value).endswith("nothing was merged.")
    assert str(caught.value).startswith("pair-a.db: ")
    assert lead.scalar("SELECT COUNT(*) FROM notes") == 0 and lead.scalar("SELECT COUNT(*) FROM cases") == 0
    lead.close()


def test_text_is_cleaned_on_the_way_in_and_counted(tmp_path, pair):
    hostile = "\x1b]52;c;SGVsbG8=\x07Clean\x1b[2J words\u202e\x9b31m here"
    from assistant.store import checksum

    source = crafted(
        tmp_path, pair,
        ("UPDATE cases SET reference = 'CSPR\x1b[31m-9', label = ?", ("Family \x1b]0;title\x07A",)),
        ("UPDATE notes SET body = ?, checksum = ? WHERE section_id = 'overview'", (hostile, checksum(hostile))),
        ("UPDATE episodes SET title = ?", ("Sending\u202e the fax\x85",)),
    )
    lead = open_store(tmp_path / "lead.db")
    report = merge_source(lead, source)
    assert report.cleaned == 4
    assert "4 text values cleaned of control characters" in report.summary()
    assert lead.scalar("SELECT reference FROM cases") == "CSPR-9"
    assert lead.scalar("SELECT label FROM cases") == "Family A"
    body = lead.scalar("SELECT body FROM notes WHERE section_id = 'overview'")
    assert body == "Clean words here"
    assert lead.scalar("SELECT checksum FROM notes WHERE section_id = 'overview'") == checksum(body)
    assert lead.scalar("SELECT title FROM episodes") == "Sending the fax"
    again = merge_source(lead, source)
    assert sum(again.added.values()) == 0 and not again.conflicts
    from assistant.exports.case import export_case
    from assistant.structure import load_structure

    for fmt in ("md", "csv", "json"):
        (tmp_path / "out").mkdir(exist_ok=True)  # an export never makes the folder it is told to write into
        for written in export_case(lead, load_structure(), "CSPR-9", fmt, tmp_path / "out" / f"case.{fmt}"):
            text = written.read_text(encoding="utf-8")
            assert not any(c in text for c in "\x1b\x07\x9b\x85\u202e"), written
    lead.close()


def test_case_list_never_prints_raw_escapes(cli, tmp_path, pair):
    label = "Family \x1b]0;owned\x07A\x9b2J\u202e"
    conn = sqlite3.connect(pair["path"])
    conn.execute("UPDATE cases SET label = ?", (label,))
    conn.commit()
    conn.close()
    listed = cli("case", "list", db=pair["path"])
    assert listed.returncode == 0 and "\x1b" not in listed.stdout and "\x9b" not in listed.stdout
    assert "\u202e" not in listed.stdout and "␛" in listed.stdout
    as_json = cli("case", "list", "--json", db=pair["path"])
    assert as_json.returncode == 0
    for raw in ("\x1b", "\x07", "\x9b", "\u202e"):
        assert raw not in as_json.stdout
    assert json.loads(as_json.stdout)[0]["label"] == label  # escaped, not lost


def test_a_multi_file_merge_that_fails_says_what_was_merged(cli, tmp_path, pair):
    bad = crafted(tmp_path, pair, ("UPDATE notes SET id = NULL WHERE rowid = 1", ()), name="bad.db")
    other = pair_database(tmp_path / "pair-b.db", "GP", ["A call"])
    lead = tmp_path / "lead.db"
    result = cli("merge", str(pair["path"]), str(bad), str(other["path"]), db=lead)
    assert result.returncode == 1
    assert result.stdout.startswith("pair-a.db: ")
    assert result.stderr.strip().endswith("pair-a.db was merged; bad.db and pair-b.db were not.")
    errors = [line for line in result.stderr.splitlines() if not line.startswith("Note: created a new")]
    assert "Traceback" not in result.stderr and len(errors) == 1
    assert count(lead, "SELECT COUNT(*) FROM conversations") == 1
    first_fails = cli("merge", str(bad), str(other["path"]), db=tmp_path / "lead-2.db")
    assert first_fails.returncode == 1 and first_fails.stdout == ""
    assert first_fails.stderr.strip().endswith("None of the files was merged (bad.db and pair-b.db).")


# ------------------------------------------------------------------ smaller items
def test_a_named_pipe_is_refused_not_waited_on(tmp_path, pair):
    fifo = tmp_path / "pipe.db"
    os.mkfifo(fifo)
    lead = tmp_path / "lead.db"
    base = [sys.executable, "-m", "assistant", "--db", str(lead)]
    for args in (["merge", str(fifo)], ["chronology", "import", "--case", "CSPR-2026-04", str(fifo)]):
        if args[0] == "chronology":
            shutil.copy(pair["path"], lead)
        result = subprocess.run(base + args, capture_output=True, text=True, cwd=ROOT, timeout=30)
        assert result.returncode == 1
        assert "pipe.db is not a regular file" in result.stderr, result.stderr
    with pytest.raises(MergeError, match="not a regular file"):
        merge_source(open_store(tmp_path / "other-lead.db"), fifo)


def test_the_merge_event_records_the_source_audit_head(tmp_path, pair):
    conn = sqlite3.connect(pair["path"])
    events, last = conn.execute(
        "SELECT COUNT(*), (SELECT hash FROM events ORDER BY rowid DESC LIMIT 1) FROM events").fetchone()
    conn.close()
    lead = open_store(tmp_path / "lead.db")
    merge_source(lead, pair["path"])
    detail = json.loads(lead.scalar("SELECT detail FROM events WHERE action = 'merge'"))
    assert detail["source_events"] == events and events > 5
    assert detail["source_last_hash"] == last
    shorter = crafted(tmp_path, pair, ("DROP TRIGGER events_refuse_delete", ()),
                      ("DELETE FROM events WHERE rowid > 3", ()), name="cut-short.db")
    report = merge_source(lead, shorter)
    assert f"its audit trail holds 3 events, fewer than the {events} of an earlier hand-over" in report.summary()
    lead.close()


def test_an_encrypted_source_without_its_passphrase_names_the_right_option(cli, tmp_path, pair):
    handover = tmp_path / "handed.db"
    made = cli("handover", "--out", str(handover), "--encrypt", db=pair["path"],
               env={"LEARNING_TOGETHER_HANDOVER_PASSPHRASE": "hand-over pass"})
    assert made.returncode == 0, made.stderr
    result = cli("merge", str(handover), db=tmp_path / "lead.db")
    assert result.returncode == 1
    assert "--source-passphrase-file" in result.stderr and "LEARNING_TOGETHER_SOURCE_PASSPHRASE" in result.stderr
    assert "--passphrase-file" not in result.stderr.replace("--source-passphrase-file", "")


def test_a_second_merge_reports_as_many_rows_present_as_the_first_added(tmp_path, pair):
    from assistant.merge import merge_source
    from assistant.store import open_store

    lead = open_store(tmp_path / "lead.db")
    try:
        first = merge_source(lead, pair["path"])
        again = merge_source(lead, pair["path"])
    finally:
        lead.close()
    assert sum(again.added.values()) == 0
    assert again.already_present == sum(first.added.values()) + first.already_present


# ------------------------------------------------------------------ rows the lead already holds
def _offered(lead, source):
    """The source's rows as a merge reads them, marked against the lead inside a write transaction."""
    from assistant.merge.checking import Schema, mark_known
    from assistant.merge.source import open_source, read_rows
    from assistant.merge.tables import KNOWN, MERGED_TABLES

    conn = open_source(source, None)
    schema = Schema(lead, MERGED_TABLES)
    try:
        incoming = read_rows(conn)
        with lead.write() as writing:
            mark_known(writing, schema, incoming)
    finally:
        schema.close()
        conn.close()
    return {table: {str(r.get("id") or (r["note_id"], r["tag_id"])): bool(r.get(KNOWN)) for r in rows}
            for table, rows in incoming.items()}


def test_a_row_is_known_only_when_the_lead_holds_it_value_for_value_and_type_for_type(tmp_path, pair):
    lead = open_store(tmp_path / "lead.db")
    merge_source(lead, pair["path"])
    notes = [r["id"] for r in lead.query("SELECT id FROM notes ORDER BY rowid")]
    episode = lead.scalar("SELECT id FROM episodes ORDER BY rowid LIMIT 1")
    source = crafted(
        tmp_path, pair,
        ("UPDATE notes SET updated_at = '2030-01-01T00:00:00+00:00' WHERE id = ?", (notes[0],)),  # not content
        ("UPDATE notes SET body = 'Another account', checksum = ? WHERE id = ?", ("x", notes[1])),  # content
        ("UPDATE notes SET updated_at = X'35' WHERE id = ?", (notes[2],)),  # not content, but not text either
        ("UPDATE episodes SET position = 1.5 WHERE id = ?", (episode,)),  # not the lead's whole number
    )
    offered = _offered(lead, source)
    lead.close()
    assert offered["notes"][notes[0]] is True
    assert offered["notes"][notes[1]] is False
    assert offered["notes"][notes[2]] is False
    assert all(offered["notes"][n] for n in notes[3:])
    assert offered["episodes"][episode] is False
    assert offered["note_tags"] and all(offered["note_tags"].values())
    assert not any(offered["cases"].values()) and not any(offered["chronology"].values())


def test_nothing_is_known_to_a_lead_that_has_not_merged_the_source(tmp_path, pair):
    lead = open_store(tmp_path / "lead.db")
    offered = _offered(lead, pair["path"])
    lead.close()
    assert offered["notes"] and not any(v for rows in offered.values() for v in rows.values())


def test_a_row_the_lead_holds_exactly_is_present_even_where_cleaning_would_change_it(tmp_path, pair):
    # Only rows that may be written are cleaned: a row identical to the lead's is not a conflict.
    from assistant.store import checksum

    lead_path = tmp_path / "lead.db"
    lead = open_store(lead_path)
    merge_source(lead, pair["path"])
    note = lead.scalar("SELECT id FROM notes WHERE section_id = 'overview'")
    lead.close()
    body = "Own account\x07 with a bell"
    statement = ("UPDATE notes SET body = ?, checksum = ? WHERE id = ?", (body, checksum(body), note))
    conn = sqlite3.connect(lead_path)
    conn.execute(*statement)
    conn.commit()
    conn.close()
    source = crafted(tmp_path, pair, statement)
    lead = open_store(lead_path)
    again = merge_source(lead, source)
    lead.close()
    assert not again.conflicts and again.cleaned == 0 and sum(again.added.values()) == 0


@pytest.mark.parametrize("statement, message", [
    ("UPDATE notes SET author_role = 'third' WHERE rowid = 1", "notes row 1 breaks a rule of the table"),
    ("UPDATE notes SET updated_at = X'35' WHERE rowid = 2", "notes row 2: updated_at is not text"),
    ("UPDATE episodes SET position = 'first' WHERE rowid = 1", "episodes row 1: position is not a whole number"),
])
def test_a_known_id_with_a_bad_row_is_still_refused_whole(tmp_path, pair, statement, message):
    lead = open_store(tmp_path / "lead.db")
    merge_source(lead, pair["path"])
    events = lead.scalar("SELECT COUNT(*) FROM events")
    conn = sqlite3.connect(pair["path"])
    conn.execute("PRAGMA ignore_check_constraints = ON")
    conn.execute(statement)
    conn.commit()
    conn.close()
    with pytest.raises(MergeError) as caught:
        merge_source(lead, pair["path"])
    assert message in str(caught.value) and str(caught.value).endswith("nothing was merged.")
    assert lead.scalar("SELECT COUNT(*) FROM events") == events
    assert lead.scalar("SELECT COUNT(*) FROM merge_conflicts") == 0
    lead.close()


def test_text_passed_over_by_cleaning_is_exactly_the_text_cleaning_leaves_alone():
    # The quick test that lets plain text skip cleaning must never pass over text cleaning would change.
    from assistant.merge.checking import _unchanged_by_cleaning
    from assistant.safe_text import clean_input

    samples = [chr(c) for c in range(0x100)] + [f"a{chr(c)}b" for c in range(0x100)]
    samples += ["plain words\tand\nlines", "\x1b[31mred", "\r\n", "caf\u00e9", "\u202eflipped", "", "\ud800"]
    for text in samples:
        if _unchanged_by_cleaning(text):
            assert not clean_input(text).changed, repr(text)
    assert _unchanged_by_cleaning("plain words\tand\nlines") and not _unchanged_by_cleaning("\x7f")
