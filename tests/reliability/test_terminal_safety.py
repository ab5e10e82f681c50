"""What reaches the terminal: the app runs in a pseudo-terminal with every byte captured, on a database
whose notes, chronology cells, case label and role carry escape payloads (as a tampered or imported
file could). None of the payload sequences may reach the terminal. Also: a second instance."""

from __future__ import annotations

import hashlib
import sqlite3
import time

from assistant.cases import add_case
from assistant.conversation import Conversation, create_conversation
from assistant.store import checksum, open_store
from assistant.structure import load_structure

from tests.reliability.harness import PtyApp

PAYLOADS = {
    "OSC 0 window title": "\x1b]0;OWNED-TITLE\x07",
    "OSC 52 clipboard": "\x1b]52;c;RVZJTA==\x07",
    "OSC 8 link": "\x1b]8;;https://evil.invalid/\x1b\\",
    "C1 CSI": "\x9b6n",
    "DCS": "\x1bPq-DCS-PAYLOAD\x1b\\",
    "clear screen + title": "\x1b[2J\x1b]2;SECOND-TITLE\x1b\\",
}
# What would show the terminal obeyed a payload: the distinctive part of each sequence.
FORBIDDEN = [b"\x1b]0;OWNED-TITLE", b"\x1b]52;", b"\x1b]8;;https://evil", b"\xc2\x9b6n", b"\x9b6n",
             b"\x1bPq-DCS", b"\x1b]2;SECOND-TITLE"]


def poisoned_database(path):
    structure = load_structure()
    store = open_store(path)
    case_id = add_case(store, "CSPR-1", "Family A")
    conversation_id = create_conversation(store, structure, case_id=case_id, practitioner_role="Health Visitor")
    conversation = Conversation(store, structure, conversation_id)
    conversation.gate.open("records requested")
    note = conversation.notes.add("placeholder", section_id="introduction")
    store.close()
    payload = "".join(PAYLOADS.values())
    conn = sqlite3.connect(path)
    body = f"note start {payload} [/b] [link=https://x]markup[/link] note end"
    conn.execute("UPDATE notes SET body = ?, checksum = ? WHERE id = ?", (body, checksum(body), note.id))
    conn.execute("UPDATE cases SET label = ?", (f"Family {payload} A",))
    conn.execute("UPDATE conversations SET practitioner_role = ?", (f"Role {PAYLOADS['OSC 52 clipboard']}",))
    conn.execute("INSERT INTO chronology (id, case_id, position, date, agency, summary, source_ref, imported_at)"
                 " VALUES ('c1', ?, 0, '2024', ?, ?, 'x', '2024')", (case_id, f"Police {PAYLOADS['C1 CSI']}", f"cell {payload}"))
    conn.commit()
    conn.close()


def test_no_payload_reaches_the_terminal(tmp_path):
    db = tmp_path / "lt.db"
    poisoned_database(db)
    app = PtyApp(db)
    try:
        app.wait_for("CSPR-1")
        app.send("enter")
        app.wait_for("note start")
        app.send("ctrl+r")
        app.wait_for("Chronology")
        time.sleep(0.5)
        app.send("escape", "escape")
        time.sleep(0.5)
        app.send("ctrl+q")
        app.wait()
    finally:
        app.close()
    output = bytes(app.output)
    for forbidden in FORBIDDEN:
        assert forbidden not in output, forbidden
    text = app.text()
    assert "note end" in text and "[/b]" in text and "markup[/link]" in text  # shown literally
    assert "␛" in text  # the payloads are visible as placeholders
    assert "cell " in text  # the chronology was on screen


def test_file_names_with_escapes_never_reach_the_terminal_raw(cli, tmp_path):
    name = tmp_path / "evil\x1b]0;OWNED-TITLE\x07.db"
    result = cli("case", "list", db=name.with_suffix(".csv"))  # not created: a path that is not a database
    name.with_suffix(".csv").write_text("a,b\n")
    result = cli("case", "list", db=name.with_suffix(".csv"))
    assert result.returncode == 1
    assert "\x1b]0;OWNED" not in result.stderr and "␛]0;OWNED-TITLE" in result.stderr


def test_a_second_instance_is_told_and_writes_nothing(tmp_path):
    db = tmp_path / "lt.db"
    holder = open_store(db, exclusive=True)
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    app = PtyApp(db)
    try:
        assert app.wait() == 1
    finally:
        app.close()
    assert "already open in another window or program" in app.text()
    holder.close()
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before
