"""The command line as a subprocess: exit codes, one-sentence errors, nothing changed on error."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys

from assistant.structure import DEFAULT_STRUCTURE

from tests.conftest import ROOT


def test_structure_check_good_and_misspelt(cli, tmp_path):
    ok = cli("structure", "check", str(DEFAULT_STRUCTURE))
    assert ok.returncode == 0 and "valid structure 'learning-together'" in ok.stdout
    bad = tmp_path / "bad.toml"
    bad.write_text(DEFAULT_STRUCTURE.read_text().replace('title = "Key moments"', 'titel = "Key moments"'))
    result = cli("structure", "check", str(bad))
    assert result.returncode == 1
    assert str(bad) in result.stderr and "titel: unknown key" in result.stderr
    assert "Traceback" not in result.stderr


def test_structure_show_prints_the_whole_guide(cli, structure):
    result = cli("structure", "show")
    assert result.returncode == 0
    for section in structure.sections:
        assert section.title in result.stdout
        for prompt in section.prompts:
            assert prompt.text.replace("\n", " ")[:40] in result.stdout.replace("\n", " ")


def test_structure_schema_is_json(cli):
    result = cli("structure", "schema")
    assert json.loads(result.stdout)["title"] == "Learning Together conversation structure"


def test_case_add_list_and_errors(cli, tmp_path):
    db = tmp_path / "lt.db"
    assert cli("case", "add", "--ref", "CSPR-1", "--label", "Family A", db=db).returncode == 0
    listed = cli("case", "list", db=db)
    assert "CSPR-1" in listed.stdout and "Family A" in listed.stdout
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    again = cli("case", "add", "--ref", "CSPR-1", "--label", "Family B", db=db)
    assert again.returncode == 1
    assert again.stderr.strip() == "Error: A case with reference CSPR-1 already exists."
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before


def test_db_from_environment(cli, tmp_path):
    db = tmp_path / "env.db"
    cli("case", "add", "--ref", "R1", "--label", "Family A", env={"LEARNING_TOGETHER_DB": str(db)})
    assert db.exists()


def test_refusals_are_one_sentence(cli, tmp_path):
    csv = tmp_path / "not-a-db.csv"
    csv.write_text("a,b\n")
    result = cli("case", "list", db=csv)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "not an SQLite file" in result.stderr
    assert csv.read_text() == "a,b\n"


def test_chronology_import_and_failure(cli, tmp_path):
    db = tmp_path / "lt.db"
    cli("case", "add", "--ref", "CSPR-1", "--label", "Family A", db=db)
    good = tmp_path / "good.csv"
    good.write_text("date,agency,summary,source\n2024-01-01,Police,Call,log 1\n")
    assert "Imported 1" in cli("chronology", "import", "--case", "CSPR-1", str(good), db=db).stdout
    bad = tmp_path / "bad.csv"
    bad.write_text("date,agency,summary,source\n2024,Police\n")
    result = cli("chronology", "import", "--case", "CSPR-1", str(bad), db=db)
    assert result.returncode == 1 and "line 2" in result.stderr and "Traceback" not in result.stderr


def test_demo_is_deterministic_and_marked(cli, tmp_path):
    first, second, other = tmp_path / "a.db", tmp_path / "b.db", tmp_path / "c.db"
    for db, seed in ((first, "7"), (second, "7"), (other, "8")):
        result = cli("demo", "--cases", "2", "--conversations", "3", "--notes", "20", "--seed", seed, db=db)
        assert result.returncode == 0, result.stderr
    import sqlite3

    def ids(db):
        return sqlite3.connect(db).execute("SELECT id, body FROM notes ORDER BY id").fetchall()

    assert ids(first) == ids(second)
    assert not set(i for i, _ in ids(first)) & set(i for i, _ in ids(other))
    labels = [r[0] for r in sqlite3.connect(first).execute("SELECT label FROM cases")]
    assert all("(synthetic)" in label for label in labels)
    assert len(ids(first)) == 2 * 3 * 20


def test_audit_verify(cli, tmp_path):
    db = tmp_path / "lt.db"
    cli("case", "add", "--ref", "CSPR-1", "--label", "Family A", db=db)
    result = cli("audit", "verify", db=db)
    assert result.returncode == 0 and "1 events checked" in result.stdout


def test_core_does_not_import_textual():
    code = ("import sys, assistant.cli, assistant.conversation, assistant.store, assistant.structure, "
            "assistant.coach, assistant.cases, assistant.demo, assistant.exports.record, assistant.exports.guide; "
            "print('textual' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert result.stdout.strip() == "False", result.stderr


def test_console_script_is_installed():
    assert shutil.which("learning-together", path=str(ROOT / ".venv" / "bin")) or shutil.which("learning-together")
