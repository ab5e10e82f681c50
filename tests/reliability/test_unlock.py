"""Unlocking an encrypted database at a terminal, the one way the command line and the app share
(assistant.workflows.unlock): a wrong passphrase is said and asked again, three times at most; a
passphrase given in the environment is tried once. Real processes in a pseudo-terminal."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from assistant.cases import add_case
from assistant.store import open_store

from tests.reliability.harness import PtyApp

PASS = "correct horse battery"
SCRIPT = Path(__file__).with_name("cli_in_pty.py")


def _encrypted(db: Path) -> Path:
    store = open_store(db, passphrase=PASS, encrypt_new=True)
    add_case(store, "CSPR-1", "Family A")
    store.close()
    return db


def _prompted(process: PtyApp, times: int, prompt: str = "Passphrase", timeout: float = 15.0) -> None:
    """Wait until the prompt has been shown `times` times, and a moment more: a hidden prompt drops what
    was typed before it turned the echo off."""
    deadline = time.monotonic() + timeout
    while process.text().count(prompt) < times:
        assert time.monotonic() < deadline, f"{prompt!r} was not shown {times} times"
        time.sleep(0.05)
    time.sleep(0.3)


def test_the_app_asks_again_after_a_wrong_passphrase(tmp_path):
    app = PtyApp(_encrypted(tmp_path / "lt.db"))
    try:
        _prompted(app, 1)
        app.send(b"not the passphrase\r")
        _prompted(app, 2)
        assert "Wrong passphrase; try again." in app.text()
        app.send(PASS.encode() + b"\r")
        app.wait_for("New conversation")  # the home screen
        app.send("ctrl+q")
        assert app.wait() == 0
    finally:
        app.close()
    assert PASS not in app.text()


def test_the_app_stops_after_three_wrong_passphrases(tmp_path):
    app = PtyApp(_encrypted(tmp_path / "lt.db"))
    try:
        for attempt in range(3):
            _prompted(app, attempt + 1)
            app.send(f"wrong {attempt}\r".encode())
        assert app.wait() == 1
    finally:
        app.close()
    assert app.text().count("Wrong passphrase; try again.") == 2
    assert "Error:" in app.text() and "Traceback" not in app.text()


def test_the_command_line_asks_again_after_a_wrong_passphrase(tmp_path):
    db = _encrypted(tmp_path / "lt.db")
    cli = PtyApp(db, script=SCRIPT, args=("case", "list"))
    try:
        _prompted(cli, 1)
        cli.send(b"not the passphrase\r")
        _prompted(cli, 2)
        assert "Wrong passphrase; try again." in cli.text()
        cli.send(PASS.encode() + b"\r")
        assert cli.wait() == 0
    finally:
        cli.close()
    assert "CSPR-1" in cli.text() and PASS not in cli.text()


def test_a_passphrase_from_the_environment_is_tried_once(tmp_path):
    db = _encrypted(tmp_path / "lt.db")
    cli = PtyApp(db, script=SCRIPT, args=("case", "list"),
                 extra_env={"LEARNING_TOGETHER_PASSPHRASE": "not the passphrase"})
    try:
        assert cli.wait() == 1
    finally:
        cli.close()
    assert "Passphrase" not in cli.text().replace("passphrase", "")  # never asked
    assert "Error:" in cli.text() and "Wrong passphrase; try again." not in cli.text()


assert sys.platform != "win32"  # pseudo-terminals
