"""Merging pair databases into the lead reviewer's: idempotent, atomic, conflicts set aside, refusals."""

from __future__ import annotations

import hashlib
import sqlite3

import pytest

from assistant.conversation import Conversation
from assistant.merge import MergeError, handover, merge_source
from assistant.store import StoreError, open_store
from assistant.structure import load_structure

from tests.unit.pairs import pair_database


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def counts(db):
    conn = sqlite3.connect(db)
    return {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
            for t in ("cases", "conversations", "episodes", "notes", "note_tags", "prompt_marks")}


@pytest.fixture
def pairs(tmp_path):
    a = pair_database(tmp_path / "pair-a.db", "Probation Officer", ["Sending the fax", "The strategy meeting"])
    b = pair_database(tmp_path / "pair-b.db", "Social Worker 1", ["The referral arriving", "Closing the case"])
    pair_database(tmp_path / "pair-b.db", "Trainee practice", ["A rehearsal moment"], rehearsal=True)
    for pair in (a, b):
        store = open_store(pair["path"])
        handover(store, pair["path"].with_suffix(".handover.db"))
        store.close()
    return a, b


def test_merge_is_idempotent_and_leaves_sources_unchanged(tmp_path, pairs):
    lead = tmp_path / "lead.db"
    sources = [p["path"].with_suffix(".handover.db") for p in pairs]
    before = [digest(s) for s in sources]
    store = open_store(lead)
    first = [merge_source(store, s) for s in sources]
    after_once = counts(lead)
    again = [merge_source(store, s) for s in sources]
    store.close()
    assert counts(lead) == after_once
    assert after_once["cases"] == 1  # the same reference in both pairs: one case
    assert after_once["conversations"] == 2  # the rehearsal stayed behind
    assert after_once["notes"] == 2 * (1 + 2 * 3 + 1)
    assert all(sum(r.added.values()) == 0 for r in again)
    assert sum(first[0].added.values()) > 0 and not first[0].conflicts
    assert [digest(s) for s in sources] == before
    conn = sqlite3.connect(lead)
    assert conn.execute("SELECT COUNT(*) FROM notes WHERE source LIKE 'pair-a.handover.db sha256:%'").fetchone()[0] == 8
    events = conn.execute("SELECT detail FROM events WHERE action = 'merge'").fetchall()
    assert len(events) == 4 and first[0].sha256 in events[0][0]
    assert conn.execute("SELECT COUNT(*) FROM conversations WHERE mode = 'rehearsal'").fetchone()[0] == 0


def test_conflicting_content_is_set_aside_not_overwritten(tmp_path, pairs):
    a, _ = pairs
    lead = tmp_path / "lead.db"
    store = open_store(lead)
    merge_source(store, a["path"])
    # Changed here and there since the merge: the pair's newer text is set aside, not taken.
    mine = Conversation(store, load_structure(), a["conversation_id"], actor="lead reviewer")
    mine.notes.edit(mine.notes.list(section_id="overview")[0]["id"], "The lead's reading of the account")
    original = store.scalar("SELECT body FROM notes WHERE section_id = 'overview'")
    source = open_store(a["path"])
    c = Conversation(source, load_structure(), a["conversation_id"])
    note_id = c.notes.list(section_id="overview")[0]["id"]
    c.notes.edit(note_id, "A different account, typed up later")
    source.close()
    report = merge_source(store, a["path"])
    assert {"table": "notes", "id": note_id} in report.conflicts
    assert store.scalar("SELECT body FROM notes WHERE id = ?", (note_id,)) == original
    assert store.scalar("SELECT COUNT(*) FROM merge_conflicts WHERE row_id = ?", (note_id,)) == 1
    merge_source(store, a["path"])  # reported again, recorded once
    assert store.scalar("SELECT COUNT(*) FROM merge_conflicts WHERE row_id = ?", (note_id,)) == 1
    store.close()


def test_refuses_foreign_and_newer_sources(tmp_path):
    lead = open_store(tmp_path / "lead.db")
    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE x (id)")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="another application's"):
        merge_source(lead, other)
    newer = tmp_path / "newer.db"
    open_store(newer).close()
    conn = sqlite3.connect(newer)
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    with pytest.raises(StoreError, match="newer version"):
        merge_source(lead, newer)
    assert lead.scalar("SELECT COUNT(*) FROM notes") == 0
    lead.close()


def test_refuses_a_source_with_a_changed_note(tmp_path, pairs):
    a, _ = pairs
    conn = sqlite3.connect(a["path"])
    conn.execute("UPDATE notes SET body = body || ' (altered)' WHERE section_id = 'overview'")
    conn.commit()
    conn.close()
    lead = open_store(tmp_path / "lead.db")
    with pytest.raises(MergeError, match="checksum"):
        merge_source(lead, a["path"])
    assert lead.scalar("SELECT COUNT(*) FROM notes") == 0
    lead.close()


def test_merge_into_itself_is_refused(tmp_path, pairs):
    a, _ = pairs
    store = open_store(a["path"])
    with pytest.raises(MergeError, match="itself"):
        merge_source(store, a["path"])
    store.close()


def test_merge_command_line(cli, tmp_path, pairs):
    a, b = pairs
    lead = tmp_path / "lead.db"
    result = cli("merge", str(a["path"]), str(b["path"]), db=lead)
    assert result.returncode == 0, result.stderr
    assert "8 notes" in result.stdout
    assert "0 rows added" in cli("merge", str(a["path"]), db=lead).stdout
    missing = cli("merge", str(tmp_path / "absent.db"), db=lead)
    assert missing.returncode == 1 and "no file" in missing.stderr.lower()


def test_the_merge_parts_stay_small_and_the_public_names_stay_where_callers_find_them():
    import ast
    from pathlib import Path

    import assistant.merge as merge

    for name in ("MergeError", "MergeReport", "HandoverRefused", "merge_source", "handover", "is_encrypted_source",
                 "check_source_file", "check_handover_target", "file_sha256"):
        assert hasattr(merge, name), name
    for part in Path(merge.__file__).parent.glob("*.py"):
        text = part.read_text(encoding="utf-8")
        assert len(text.splitlines()) <= 450, part.name
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.ClassDef):
                methods = [n for n in node.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
                assert len(methods) <= 30, f"{part.name}: {node.name}"
