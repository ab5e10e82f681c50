"""Trust fixes a new user asked for: a record sent for checking takes no new work; a real name typed as a
label can be removed for good; impossible chronology dates are refused; an export never makes the folder
it was told to write into; what `case add` prints is what it stored. Real SQLite files, the real CLI."""

from __future__ import annotations

import sqlite3

import pytest

from assistant.cases import add_case, chronology, find_case, import_chronology
from assistant.conversation import Conversation, ConversationError, create_conversation
from assistant.store import StoreError, open_store

REAL_NAME = "Margaret Thornbury"
READ_ONLY = "reopen it to make corrections"


# ------------------------------------------------------------------ 1. sent for checking
@pytest.mark.parametrize("status", ["sent_for_checking", "checked"])
def test_a_record_gone_for_checking_takes_no_new_notes_moments_tags_or_deletions(conversation, status):
    moment = conversation.moments.add("The strategy meeting", "March")
    note = conversation.notes.add("The referral felt routine.", section_id="introduction")
    before = conversation.store.query("SELECT id, body, deleted_at FROM notes ORDER BY id")
    conversation.set_status(status)
    attempts = [
        lambda: conversation.notes.add("A note after the record went out.", section_id="introduction"),
        lambda: conversation.notes.delete(note.id),
        lambda: conversation.notes.set_tags(note.id, []),
        lambda: conversation.moments.add("A moment after the record went out"),
        lambda: conversation.moments.rename(moment, "Renamed"),
        lambda: conversation.moments.move(moment, 1),
        lambda: conversation.moments.delete(moment, reason="not needed"),
        lambda: conversation.marks.mark(conversation.structure.sections[0].prompts[0].id, "asked",
                                        section_id=conversation.structure.sections[0].id),
    ]
    for attempt in attempts:
        with pytest.raises(ConversationError, match=READ_ONLY):
            attempt()
    assert conversation.store.query("SELECT id, body, deleted_at FROM notes ORDER BY id") == before
    assert [m["title"] for m in conversation.moments.list()] == ["The strategy meeting"]
    assert conversation.store.scalar("SELECT COUNT(*) FROM prompt_marks") == 0


def test_sent_for_checking_says_so_and_reopening_lets_notes_in_again(conversation):
    conversation.set_status("sent_for_checking")
    with pytest.raises(ConversationError) as refused:
        conversation.notes.add("Late note.", section_id="introduction")
    assert "sent for checking" in str(refused.value)
    conversation.reopen("The practitioner asked to add a point")
    conversation.notes.add("Late note.", section_id="introduction")
    assert conversation.store.scalar("SELECT COUNT(*) FROM notes") == 1


def test_a_correction_with_a_reason_still_reaches_a_record_sent_for_checking(conversation):
    note = conversation.notes.add("The referal felt routine.", section_id="introduction")
    conversation.set_status("sent_for_checking")
    conversation.notes.edit(note.id, "The referral felt routine.", "Practitioner's correction")
    assert conversation.notes.get(note.id)["body"] == "The referral felt routine."


def test_the_cli_refuses_to_delete_a_moment_of_a_record_sent_for_checking(db_path, cli):
    store = open_store(db_path)
    structure = __import__("assistant.structure", fromlist=["load_structure"]).load_structure()
    conversation = Conversation(store, structure, create_conversation(
        store, structure, case_id=add_case(store, "CSPR-1", "Family A"), practitioner_role="GP"))
    moment = conversation.moments.add("The home visit")
    conversation.set_status("sent_for_checking")
    store.close()
    result = cli("moment", "delete", moment, "--no-moment", "--reason", "not needed", db=db_path)
    assert result.returncode == 1 and READ_ONLY in result.stderr and "Traceback" not in result.stderr
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("SELECT COUNT(*) FROM episodes").fetchone()[0] == 1


# ------------------------------------------------------------------ 2b. a real name removed for good
def test_relabel_can_say_the_earlier_value_was_a_persons_name_and_it_is_gone_from_the_merged_database(
        tmp_path, cli):
    pair, lead, copy = tmp_path / "pair.db", tmp_path / "lead.db", tmp_path / "handover.db"
    store = open_store(pair)
    structure = __import__("assistant.structure", fromlist=["load_structure"]).load_structure()
    conversation_id = create_conversation(store, structure, case_id=add_case(store, "CSPR-1", "Family A"),
                                          practitioner_role=REAL_NAME, agency="Health")
    store.close()
    result = cli("conversation", "relabel", conversation_id, "--role", "Health Visitor 1",
                 "--reason", "A real name was typed", "--earlier-was-a-name", db=pair)
    assert result.returncode == 0, result.stderr
    assert "not kept" in result.stdout
    history = cli("conversation", "history", conversation_id, db=pair).stdout
    assert "[a person's name, removed]" in history and "A real name was typed" in history
    assert REAL_NAME not in history
    assert cli("handover", "--out", str(copy), "--plain", db=pair).returncode == 0
    assert cli("init", db=lead).returncode == 0
    merged = cli("merge", str(copy), db=lead)
    assert merged.returncode == 0, merged.stderr
    for path in (lead, copy):
        with sqlite3.connect(path) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            assert conn.execute("SELECT practitioner_role FROM conversations").fetchone()[0] == "Health Visitor 1"
        for name in (REAL_NAME, "Thornbury"):
            for part in (path, *path.parent.glob(path.name + "-*")):
                assert name.encode() not in part.read_bytes(), part


def test_without_saying_so_the_earlier_value_is_kept_as_before(conversation):
    conversation.relabel("Wrong agency", agency="Probation")
    assert [r["old_value"] for r in conversation.label_history()] == ["Probation Service"]


def test_the_audit_event_of_a_removed_name_holds_nothing_derived_from_it(conversation):
    import hashlib
    import json

    conversation.relabel("Real name", practitioner_role=REAL_NAME)
    conversation.relabel("A real name was typed", earlier_was_a_name=True, practitioner_role="Probation Officer")
    events = conversation.store.query("SELECT detail FROM events WHERE action = 'relabel' ORDER BY rowid")
    digest = hashlib.sha256(REAL_NAME.encode()).hexdigest()
    assert digest in events[0]["detail"]  # an ordinary relabel keeps the hash of the new value...
    assert digest not in events[1]["detail"] and REAL_NAME not in events[1]["detail"]  # ...not this one
    assert json.loads(events[1]["detail"])["names_removed"] == ["practitioner_role"]
    assert REAL_NAME not in json.dumps(conversation.label_history())


def test_only_the_labels_said_to_be_names_are_removed(conversation):
    conversation.relabel("Real names", lead_interviewer=REAL_NAME, agency="Health")
    conversation.relabel("A real name was typed", earlier_was_a_name=["lead_interviewer"],
                         lead_interviewer="Reviewer A", agency="Probation Service")
    kept = [(r["field"], r["old_value"]) for r in conversation.label_history()][2:]
    assert sorted(kept) == [("agency", "Health"), ("lead_interviewer", "[a person's name, removed]")]


# ------------------------------------------------------------------ 3. chronology dates
def _write(tmp_path, text: str):
    path = tmp_path / "chronology.csv"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("date", ["2025-13-45", "2025-02-30", "45/13/2025", "yesterday", "2025-1", "20250101"])
def test_an_impossible_date_refuses_the_whole_file_naming_the_line(store, tmp_path, date):
    add_case(store, "CSPR-1", "Family A")
    import_chronology(store, "CSPR-1", _write(tmp_path, "date,agency,summary,source\n2024-03-01,Health,Visit,EPR\n"))
    bad = _write(tmp_path, f"date,agency,summary,source\n2024-04-01,GP,Seen,x\n{date},GP,=HYPERLINK(\"http://x\"),x\n")
    with pytest.raises(StoreError, match="line 3") as refused:
        import_chronology(store, "CSPR-1", bad)
    assert str(refused.value).count(".") <= 3 and date in str(refused.value)
    assert [e["summary"] for e in chronology(store, find_case(store, "CSPR-1")["id"])] == ["Visit"]


@pytest.mark.parametrize("date", ["2024", "2024-03", "2024-03-01", "01/03/2024", "2024-02-29"])
def test_the_documented_date_forms_import(store, tmp_path, date):
    add_case(store, "CSPR-1", "Family A")
    assert import_chronology(store, "CSPR-1", _write(tmp_path, f"date,agency,summary,source\n{date},GP,Seen,x\n")) == 1


def test_the_cli_refuses_an_impossible_date_and_keeps_the_chronology(db_path, tmp_path, cli):
    good = _write(tmp_path, "date,agency,summary,source\n2024-03-01,Health,Visit,EPR\n")
    cli("case", "add", "--ref", "CSPR-1", "--label", "Family A", db=db_path)
    assert cli("chronology", "import", "--case", "CSPR-1", str(good), db=db_path).returncode == 0
    bad = tmp_path / "bad.csv"
    bad.write_text('date,agency,summary,source\n2025-13-45,GP,=HYPERLINK("http://x"),x\n', encoding="utf-8")
    result = cli("chronology", "import", "--case", "CSPR-1", str(bad), db=db_path)
    assert result.returncode == 1 and "line 2" in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("SELECT date, summary FROM chronology").fetchall() == [("2024-03-01", "Visit")]


def test_formula_looking_cells_are_neutralised_in_the_csv_export(db_path, tmp_path, cli):
    structure = __import__("assistant.structure", fromlist=["load_structure"]).load_structure()
    store = open_store(db_path)
    conversation = Conversation(store, structure, create_conversation(
        store, structure, case_id=add_case(store, "CSPR-1", "Family A"), practitioner_role="GP"))
    for body in ('=HYPERLINK("http://x")', "+1+2", "-3+4", "@SUM(A1)"):
        conversation.notes.add(body, section_id="introduction")
    store.close()
    out = tmp_path / "out"
    out.mkdir()
    result = cli("export", "--case", "CSPR-1", "--format", "csv", "--out", str(out / "case.csv"), db=db_path)
    assert result.returncode == 0, result.stderr
    import csv

    cells = [cell for path in out.glob("*.csv") for row in csv.reader(path.open(encoding="utf-8-sig"))
             for cell in row]
    for body in ('=HYPERLINK("http://x")', "+1+2", "-3+4", "@SUM(A1)"):
        assert body not in cells and any(cell.endswith(body) for cell in cells)
    assert not any(cell[:1] in ("=", "+", "-", "@") for cell in cells if cell)


# ------------------------------------------------------------------ 4. --out into a missing folder
def _case_with_a_report_and_member(db_path, cli) -> str:
    """A case with a drafted report and one case-group member; the member's id."""
    assert cli("case", "add", "--ref", "CSPR-1", "--label", "Family A", db=db_path).returncode == 0
    assert cli("report", "draft", "--case", "CSPR-1", db=db_path).returncode == 0
    return cli("group", "add", "--case", "CSPR-1", "--role", "GP", db=db_path).stdout.strip()


@pytest.mark.parametrize("command", [
    ["export", "--case", "CSPR-1", "--format", "md", "--out", "OUT"],
    ["export", "--case", "CSPR-1", "--format", "csv", "--out", "OUT"],
    ["export", "--case", "CSPR-1", "--pack", "first", "--format", "md", "--out", "OUT"],
    ["report", "export", "--case", "CSPR-1", "--format", "md", "--out", "OUT"],
    ["letter", "--member", "MEMBER", "--format", "md", "--out", "OUT"],
    ["handover", "--plain", "--out", "OUT"],
])
def test_an_explicit_out_into_a_missing_folder_is_refused_and_nothing_is_made(db_path, tmp_path, cli, command):
    member = _case_with_a_report_and_member(db_path, cli)
    missing = tmp_path / "nonexistent" / "dir"
    args = [a.replace("OUT", str(missing / "x.md")).replace("MEMBER", member) for a in command]
    result = cli(*args, db=db_path)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"The folder {missing} does not exist." in result.stderr
    assert not (tmp_path / "nonexistent").exists()


def test_the_products_own_exports_folder_is_still_made_private(db_path, tmp_path, cli):
    _case_with_a_report_and_member(db_path, cli)
    target = db_path.parent / "exports" / "case.md"
    result = cli("export", "--case", "CSPR-1", "--format", "md", "--out", str(target), db=db_path)
    assert result.returncode == 0, result.stderr
    assert target.exists() and (target.parent.stat().st_mode & 0o777) == 0o700


# ------------------------------------------------------------------ 5. case add prints what it stored
def test_case_add_prints_the_reference_it_stored(db_path, cli):
    result = cli("case", "add", "--ref", "EVIL-\x1b[31m1", "--label", "Family A", db=db_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "Added case EVIL-1."
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("SELECT reference FROM cases").fetchall() == [("EVIL-1",)]
