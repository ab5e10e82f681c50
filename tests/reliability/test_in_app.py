"""In-app failures through Pilot: a failing audit insert, a full disk, a read-only database, another
program holding the write lock, a 10 MB paste and invalid Unicode. The text is never lost."""

from __future__ import annotations

import sqlite3

from textual import events

from assistant.tui.widgets.safe_inputs import PASTE_LIMIT

from tests.tui.helpers import make_app, type_note
from tests.tui.test_conversation_flow import start_conversation


def notes(db):
    return [r[0] for r in sqlite3.connect(db).execute("SELECT body FROM notes ORDER BY created_at")]


def messages(app):
    return [n.message for n in app._notifications]


async def test_a_failing_audit_insert_saves_nothing_and_keeps_the_text(tmp_path):
    db = tmp_path / "lt.db"
    app = make_app(db)
    async with app.run_test(size=(100, 32), notifications=True) as pilot:
        await start_conversation(pilot)
        other = sqlite3.connect(db)
        other.execute("CREATE TRIGGER fail_audit BEFORE INSERT ON events BEGIN SELECT RAISE(ABORT, 'disk error'); END")
        other.commit()
        await type_note(pilot, "The practitioner's exact words")
        assert notes(db) == []
        assert app.screen.query_one("#editor").text == "The practitioner's exact words"
        assert any("The note was not saved" in m and "still in the editor" in m for m in messages(app))
        other.execute("DROP TRIGGER fail_audit")
        other.commit()
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert notes(db) == ["The practitioner's exact words"]
        assert app.screen.query_one("#editor").text == ""


async def test_disk_full_keeps_the_text_and_earlier_notes(tmp_path):
    db = tmp_path / "lt.db"
    app = make_app(db)
    async with app.run_test(size=(100, 32), notifications=True) as pilot:
        await start_conversation(pilot)
        await type_note(pilot, "An earlier note")
        pages = app.store.scalar("PRAGMA page_count")
        app.store.conn.execute(f"PRAGMA max_page_count = {pages}")
        big = "a long account " * 5000
        await type_note(pilot, big)
        assert any("full" in m for m in messages(app))
        assert app.screen.query_one("#editor").text == big
        app.store.conn.execute("PRAGMA max_page_count = 1073741823")
    assert notes(db) == ["An earlier note"]


async def test_read_only_database_keeps_the_text(tmp_path):
    db = tmp_path / "lt.db"
    app = make_app(db)
    async with app.run_test(size=(100, 32), notifications=True) as pilot:
        await start_conversation(pilot)
        app.store.conn.execute("PRAGMA query_only = ON")
        await type_note(pilot, "Typed while the database is read-only")
        assert any("read-only" in m for m in messages(app))
        assert app.screen.query_one("#editor").text == "Typed while the database is read-only"
        editor = app.screen.query_one("#editor")
        for extra in range(8):  # keep typing while autosave keeps failing
            editor.insert(f" more{extra}")
            await pilot.pause(0.25)
        autosave_messages = [m for m in messages(app) if "The draft is kept on screen" in m]
        assert len(autosave_messages) == 1  # told once; autosave backs off, no tight retry loop
        app.store.conn.execute("PRAGMA query_only = OFF")


async def test_busy_lock_keeps_the_note_and_saves_it_when_the_lock_goes(tmp_path):
    db = tmp_path / "lt.db"
    app = make_app(db)
    async with app.run_test(size=(100, 32), notifications=True) as pilot:
        await start_conversation(pilot)
        other = sqlite3.connect(db, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        await type_note(pilot, "Said while another program held the lock")
        assert any("busy" in m for m in messages(app))
        assert app.screen.query_one("#editor").text == "Said while another program held the lock"
        await pilot.press("f9")  # the screen still answers keys meanwhile
        await pilot.pause()
        other.execute("COMMIT")
        await pilot.pause(2.5)  # the retry runs every second
        assert app.screen.query_one("#editor").text == ""
    assert notes(db) == ["Said while another program held the lock"]


async def test_a_huge_paste_is_refused_and_the_draft_kept(tmp_path):
    db = tmp_path / "lt.db"
    app = make_app(db)
    async with app.run_test(size=(100, 32), notifications=True) as pilot:
        await start_conversation(pilot)
        editor = app.screen.query_one("#editor")
        editor.text = "my draft"
        await pilot.pause()
        app.post_message(events.Paste(  # as the terminal driver delivers it
            "x" * 10_000_000))
        await pilot.pause()
        assert editor.text == "my draft"
        assert any(f"{PASTE_LIMIT:,}" in m for m in messages(app))


async def test_invalid_unicode_in_a_paste_is_replaced_and_the_note_saves(tmp_path):
    db = tmp_path / "lt.db"
    app = make_app(db)
    async with app.run_test(size=(100, 32), notifications=True) as pilot:
        await start_conversation(pilot)
        editor = app.screen.query_one("#editor")
        editor.focus()
        app.post_message(events.Paste(  # as the terminal driver delivers it
            "before\ud800 after\x00 \u202eevil\r\nnext\x1b]0;title\x07"))
        await pilot.pause()
        assert any("cleaned" in m for m in messages(app))
        await pilot.press("ctrl+s")
        await pilot.pause()
    assert notes(db) == ["before\ufffd after\ufffd evil\nnext"]
