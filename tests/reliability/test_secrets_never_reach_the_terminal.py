"""Passphrases never reach the terminal, whatever fails: the app runs in a pseudo-terminal with every byte
it writes captured. A merge of a folder with a passphrase is one sentence; a crash (reached only through a
bug, forced here by a test build of the app) prints one sentence and frames, never locals or the
exception's message; a NUL typed at the unlock prompt is one sentence and the prompt asks again."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.store import open_store

from tests.reliability.harness import PtyApp

PASSPHRASE = "Zebra-Quartz-Lantern-7731"
CRASHER = Path(__file__).with_name("crashing_app.py")


def assert_no_secret(output: bytes) -> None:
    assert PASSPHRASE.encode() not in output
    assert PASSPHRASE[:12].encode() not in output  # not even cut short by a narrow column
    for word in (b"Traceback", b"locals", b"passphrase ="):
        assert word not in output, word


def test_merging_a_folder_with_a_passphrase_never_shows_it(tmp_path):
    folder = tmp_path / "USB DISK"
    folder.mkdir()
    db = tmp_path / "lead.db"
    open_store(db).close()
    app = PtyApp(db)
    try:
        app.wait_for("Welcome")
        app.send("g")
        app.wait_for("Merge the pairs")
        app.type(str(folder))
        app.send("tab")
        app.type(PASSPHRASE)
        app.send("enter")
        app.wait_for("is a folder")
        app.send("escape")
        app.send("ctrl+q")
        assert app.wait() == 0
    finally:
        app.close()
    assert_no_secret(bytes(app.output))


@pytest.mark.parametrize("key", ["f11", "f12"], ids=["in a handler", "in a worker thread"])
def test_a_crash_prints_one_sentence_and_no_locals(tmp_path, key):
    db = tmp_path / "lt.db"
    open_store(db).close()
    app = PtyApp(db, script=CRASHER, args=(PASSPHRASE,))
    try:
        app.wait_for("Welcome")
        app.send(key)
        assert app.wait() == 1
    finally:
        app.close()
    output = bytes(app.output)
    assert_no_secret(output)
    text = app.text()
    name = "RuntimeError" if key == "f11" else "ValueError"
    assert f"Learning Together stopped: an unexpected problem ({name})" in text
    assert "crashing_app.py" in text  # where it happened is still shown


def test_a_nul_at_the_unlock_prompt_is_one_sentence_and_asks_again(tmp_path):
    db = tmp_path / "lt.db"
    open_store(db, passphrase=PASSPHRASE, encrypt_new=True).close()
    app = PtyApp(db)
    try:
        app.wait_for("Passphrase for")
        assert "lt.db" in app.text().replace("\r", "").replace("\n", "")  # the prompt names the database
        app.send(b"Zebra\x00Quartz\r")
        app.wait_for("cannot contain a NUL character")
        app.send(PASSPHRASE.encode() + b"\r")
        app.wait_for("Welcome")
        app.send("ctrl+q")
        assert app.wait() == 0
    finally:
        app.close()
    assert_no_secret(bytes(app.output))
