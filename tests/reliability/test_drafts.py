"""Draft recovery: text typed and autosaved survives SIGKILL; SIGTERM and SIGHUP save before exit."""

from __future__ import annotations

import signal
import sqlite3
import time

import pytest

from assistant.cases import add_case
from assistant.conversation import create_conversation
from assistant.store import open_store
from assistant.structure import load_structure

from tests.reliability.harness import PtyApp
from tests.tui.helpers import make_app


def prepared(db):
    store = open_store(db)
    case_id = add_case(store, "CSPR-1", "Family A")
    create_conversation(store, load_structure(), case_id=case_id, practitioner_role="Health Visitor")
    store.close()


def drafts(db):
    return [r[0] for r in sqlite3.connect(db).execute("SELECT body FROM drafts")]


def open_conversation(app: PtyApp) -> None:
    app.wait_for("Health Visitor")
    app.send("enter")
    app.wait_for("Note")
    time.sleep(0.5)


def test_autosaved_draft_survives_sigkill_and_is_offered_back(tmp_path):
    db = tmp_path / "lt.db"
    prepared(db)
    app = PtyApp(db)
    try:
        open_conversation(app)
        app.type("She said the baby's weight was fine at the last check")
        time.sleep(1.6)  # past the autosave interval
        app.signal(signal.SIGKILL)
        app.wait()
    finally:
        app.close()
    assert drafts(db) == ["She said the baby's weight was fine at the last check"]


async def test_restart_offers_the_draft_back_verbatim(tmp_path):
    db = tmp_path / "lt.db"
    prepared(db)
    app = PtyApp(db)
    try:
        open_conversation(app)
        app.type("Words typed before the crash")
        time.sleep(1.6)
        app.signal(signal.SIGKILL)
        app.wait()
    finally:
        app.close()
    tui = make_app(db)
    async with tui.run_test(size=(100, 32)) as pilot:
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert tui.screen.query_one("#editor").text == "Words typed before the crash"


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_sigterm_and_sighup_save_the_draft_first(tmp_path, signum):
    db = tmp_path / "lt.db"
    prepared(db)
    app = PtyApp(db, extra_env={"LEARNING_TOGETHER_AUTOSAVE_SECONDS": "600"})  # only the signal can save
    try:
        open_conversation(app)
        app.type("typed just now")
        app.wait_for("typed just now")
        app.signal(signum)
        app.wait()
    finally:
        app.close()
    assert drafts(db) == ["typed just now"]
