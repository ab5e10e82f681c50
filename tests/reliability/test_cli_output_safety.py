"""Every line the command line prints goes through the same cleaning as the screen: a crafted structure
file, case label or chronology never makes the terminal obey an escape sequence (window title, clipboard,
links), and JSON stays valid JSON with the same data."""

from __future__ import annotations

import json
import sqlite3

import pytest

from assistant.structure import DEFAULT_STRUCTURE

PAYLOAD = "\x1b]0;pwned\x07"
C1 = "\x9b6n"
RAW = ("\x1b", "\x07", "\x9b", "\u202e")


def assert_clean(*outputs: str) -> None:
    for output in outputs:
        for raw in RAW:
            assert raw not in output, (raw, output[:300])


def toml_escaped(text: str) -> str:
    return "".join(f"\\u{ord(c):04x}" if ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F or c == "\u202e" else c
                   for c in text)


def crafted_structure(tmp_path):
    text = DEFAULT_STRUCTURE.read_text()
    text = text.replace('version = "1.0.0"', f'version = "1.0.0{toml_escaped(PAYLOAD)}"', 1)
    text = text.replace('title = "Learning Together conversation"',
                        f'title = "Learning Together {toml_escaped(PAYLOAD + C1)}\\u202econversation"', 1)
    path = tmp_path / "crafted.toml"
    path.write_text(text)
    return path


@pytest.mark.parametrize("command", ["check", "show"])
def test_a_crafted_structure_file_prints_no_escape_sequences(cli, tmp_path, command):
    path = crafted_structure(tmp_path)
    result = cli("structure", command, str(path))
    assert_clean(result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    shown = result.stdout + result.stderr
    assert "␛]0;pwned␇" in shown  # visible as placeholders, not obeyed


def test_case_list_and_json_print_no_escape_sequences(cli, tmp_path):
    db = tmp_path / "lt.db"
    assert cli("case", "add", "--ref", "CSPR-1", "--label", "Family A", db=db).returncode == 0
    label = f"Family {PAYLOAD}{C1}\u202e A"  # as a tampered or imported database could hold it
    conn = sqlite3.connect(db)
    conn.execute("UPDATE cases SET label = ?, reference = ?", (label, f"CSPR{PAYLOAD}"))
    conn.commit()
    conn.close()
    plain = cli("case", "list", db=db)
    as_json = cli("case", "list", "--json", db=db)
    assert_clean(plain.stdout, plain.stderr, as_json.stdout, as_json.stderr)
    assert json.loads(as_json.stdout)[0]["label"] == label  # escaped, not altered


def test_an_os_error_names_the_file_safely(cli, tmp_path):
    blocker = tmp_path / f"not-a-folder{PAYLOAD}"
    blocker.write_text("a file where a folder should be")
    result = cli("init", db=blocker / "lt.db")
    assert result.returncode == 1
    assert_clean(result.stdout, result.stderr)
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_structure_show_of_a_broken_file_names_the_problem(cli, tmp_path):
    broken = tmp_path / "broken.toml"
    broken.write_bytes(b'kind = "structure"\ntitle = "a\x1b]0;pwned\x07"\n')  # raw controls: not valid TOML
    result = cli("structure", "show", str(broken))
    assert result.returncode == 1
    assert_clean(result.stdout, result.stderr)
    assert "TOML syntax" in result.stderr and "line 2" in result.stderr
    assert "unexpected problem" not in result.stderr
