"""Any failure in a handler that does work is one sentence on screen, what was typed is kept, and the app
keeps running: merging a folder or a crafted file, a hand-over or an export that cannot be written, a bad
autosave setting, a NUL in a first-run passphrase. Driven through Pilot against real files."""

from __future__ import annotations

import shutil
import sqlite3

import pytest

from assistant.tui.app import LearningTogetherApp
from assistant.tui.screens.conversation import ConversationScreen
from assistant.tui.screens.dialogs import TextPrompt
from assistant.tui.screens.home import HomeScreen
from assistant.tui.screens.summary import SummaryScreen
from assistant.structure import load_structure

from tests.tui.helpers import fill, make_app, work_done
from tests.tui.test_conversation_flow import start_conversation
from tests.tui.test_review import open_workspace, lead_database, settle
from tests.unit.pairs import pair_database

PASSPHRASE = "correct horse battery staple"


def messages(app):
    return [n.message for n in app._notifications]


def one_sentence(text: str) -> bool:
    return bool(text) and "Traceback" not in text and "\n" not in text.strip() and text.strip().endswith(".")


async def merge_dialog(pilot, paths: str, passphrase: str = PASSPHRASE) -> TextPrompt:
    await pilot.press("g")
    await pilot.pause()
    dialog = pilot.app.screen
    assert isinstance(dialog, TextPrompt)
    await fill(pilot, **{"field-paths": paths, "field-passphrase": passphrase})
    await pilot.click("#ok")
    await pilot.pause()
    await work_done(pilot.app)
    await pilot.pause()
    return dialog


def dialog_error(app) -> str:
    return str(app.screen.query_one("#prompt-error").render())


def crafted_sources(tmp_path):
    """Files a lead reviewer might be handed: not databases, damaged, or tampered with."""
    text = tmp_path / "notes.db"
    text.write_text("these are not the notes you are looking for\n")
    real = pair_database(tmp_path / "real.db", "Probation Officer", ["Sending the fax"])["path"]
    truncated = tmp_path / "truncated.db"
    truncated.write_bytes(real.read_bytes()[: 4096 + 100])
    blob = tmp_path / "blob.db"
    shutil.copy(real, blob)
    conn = sqlite3.connect(blob)
    conn.execute("DROP TRIGGER IF EXISTS notes_no_update")
    for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
        conn.execute(f'DROP TRIGGER "{name}"')
    conn.execute("UPDATE conversations SET practitioner_role = ?", (b"\x00\xff\xfe binary",))
    conn.execute("UPDATE notes SET body = ?", (b"\x80\x81 not text",))
    conn.commit()
    conn.close()
    return {"a text file named .db": text, "a truncated database": truncated, "BLOBs where text belongs": blob}


async def test_merging_a_folder_with_a_passphrase_is_one_sentence_and_keeps_the_dialog(tmp_path):
    folder = tmp_path / "handovers"
    folder.mkdir()
    app = make_app(tmp_path / "lead.db")
    async with app.run_test(size=(100, 32), notifications=True) as pilot:
        dialog = await merge_dialog(pilot, str(folder))
        assert app.screen is dialog  # still open: what was typed is kept
        assert app.screen.query_one("#field-paths").value == str(folder)
        problem = dialog_error(app)
        assert one_sentence(problem) and "folder" in problem
        assert app.is_running


@pytest.mark.parametrize("kind", ["a text file named .db", "a truncated database", "BLOBs where text belongs"])
async def test_merging_a_crafted_file_is_one_sentence(tmp_path, kind):
    source = crafted_sources(tmp_path)[kind]
    app = make_app(tmp_path / "lead.db")
    async with app.run_test(size=(100, 32), notifications=True) as pilot:
        dialog = await merge_dialog(pilot, str(source), passphrase="")
        assert app.is_running
        if app.screen is dialog:  # refused: the message is in the dialog and the path kept
            assert one_sentence(dialog_error(app)), dialog_error(app)
            assert app.screen.query_one("#field-paths").value == str(source)
        else:  # merged: whatever was in it is shown safely
            assert isinstance(app.screen, HomeScreen)
            assert all(one_sentence(m) for m in messages(app)), messages(app)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)


async def test_merging_a_file_in_a_folder_whose_name_has_a_space(tmp_path):
    usb = tmp_path / "USB DISK"
    usb.mkdir()
    a = pair_database(usb / "pair-a.db", "Probation Officer", ["Sending the fax"])
    b = pair_database(tmp_path / "pair b.db", "Social Worker 1", ["The fax that never arrived"])
    app = make_app(tmp_path / "lead.db")
    async with app.run_test(size=(100, 32), notifications=True) as pilot:
        await merge_dialog(pilot, str(a["path"]), passphrase="")
        assert isinstance(app.screen, HomeScreen), dialog_error(app)
        assert app.screen.query_one("#conversations").row_count == 1
        # several files: separated by ";" (or quoted, as a file manager pastes them)
        await merge_dialog(pilot, f"{a['path']} ; '{b['path']}'", passphrase="")
        assert isinstance(app.screen, HomeScreen), dialog_error(app)
        assert app.screen.query_one("#conversations").row_count == 2


async def test_a_failed_file_among_several_keeps_only_the_failed_path(tmp_path):
    a = pair_database(tmp_path / "pair-a.db", "Probation Officer", ["Sending the fax"])
    missing = tmp_path / "USB DISK" / "pair-b.db"
    app = make_app(tmp_path / "lead.db")
    async with app.run_test(size=(100, 32), notifications=True) as pilot:
        dialog = await merge_dialog(pilot, f"{a['path']}; {missing}", passphrase="")
        assert app.screen is dialog
        assert app.screen.query_one("#field-paths").value == str(missing)
        assert one_sentence(dialog_error(app))
        assert any(m.startswith("pair-a.db:") for m in messages(app)), messages(app)  # the good file merged
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen.query_one("#conversations").row_count == 1


async def test_a_hand_over_that_cannot_be_written_is_one_sentence_and_keeps_the_dialog(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the folder should be")
    target = blocker / "handover.db"
    app = make_app(tmp_path / "pair.db")
    async with app.run_test(size=(100, 32), notifications=True) as pilot:
        await pilot.press("h")
        await pilot.pause()
        dialog = app.screen
        await fill(pilot, **{"field-path": str(target), "field-passphrase": PASSPHRASE, "field-confirm": PASSPHRASE})
        await pilot.click("#ok")
        await pilot.pause()
        await work_done(app)
        await pilot.pause()
        assert app.screen is dialog
        assert app.screen.query_one("#field-path").value == str(target)
        assert one_sentence(dialog_error(app)), dialog_error(app)
        assert not target.exists()


@pytest.mark.parametrize("key", ["w", "m"])
async def test_a_record_export_that_cannot_be_written_is_one_sentence(tmp_path, key):
    db = tmp_path / "lt.db"
    (tmp_path / "exports").write_text("a file where the exports folder should be")
    app = make_app(db)
    async with app.run_test(size=(100, 32), notifications=True) as pilot:
        await start_conversation(pilot, role="役" * 90)
        await pilot.press("f12")
        await pilot.pause()
        assert isinstance(app.screen, SummaryScreen)
        await pilot.press(key)
        await pilot.pause()
        assert app.is_running and isinstance(app.screen, SummaryScreen)
        errors = [n.message for n in app._notifications if n.severity == "error"]
        assert errors and all(one_sentence(m) for m in errors), errors


async def test_a_case_export_that_cannot_be_written_is_one_sentence(tmp_path):
    db = lead_database(tmp_path)
    (tmp_path / "exports").write_text("a file where the exports folder should be")
    app = make_app(db)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await open_workspace(pilot)
        await pilot.press("x")
        await pilot.pause()
        await pilot.press("enter")
        await settle(pilot)
        assert app.is_running
        errors = [n.message for n in app._notifications if n.severity == "error"]
        assert errors and all(one_sentence(m) for m in errors), errors


@pytest.mark.parametrize("setting", ["soon", "-1", "0", "1e308", "nan", "inf"])
async def test_a_bad_autosave_setting_falls_back_with_a_notice(tmp_path, monkeypatch, setting):
    monkeypatch.setenv("LEARNING_TOGETHER_AUTOSAVE_SECONDS", setting)
    app = make_app(tmp_path / "lt.db")
    async with app.run_test(size=(100, 32), notifications=True) as pilot:
        await start_conversation(pilot)
        assert isinstance(app.screen, ConversationScreen)
        notices = [m for m in messages(app) if "LEARNING_TOGETHER_AUTOSAVE_SECONDS" in m]
        assert len(notices) == 1 and one_sentence(notices[0]), messages(app)
        app.screen.query_one("#editor").text = "kept by autosave"
        await pilot.pause(1.0)
    row = sqlite3.connect(tmp_path / "lt.db").execute("SELECT count(*) FROM drafts WHERE body LIKE 'kept%'")
    assert row.fetchone()[0] == 1


async def test_a_nul_in_a_first_run_passphrase_is_one_sentence(tmp_path):
    path = tmp_path / "new.db"
    app = LearningTogetherApp(None, load_structure(), clock=False, first_run_path=path)
    async with app.run_test(size=(100, 32), notifications=True) as pilot:
        await fill(pilot, passphrase="abc\x00defghij", confirm="abc\x00defghij")
        await pilot.click("#create-encrypted")
        await pilot.pause()
        assert app.is_running
        problem = str(app.screen.query_one("#first-run-error").render())
        assert one_sentence(problem) and "NUL" in problem
        assert app.screen.query_one("#passphrase").value == "abc\x00defghij"
    assert not path.exists()


@pytest.mark.parametrize("key", ["w", "m"])
async def test_a_record_for_a_very_long_role_label_never_stops_the_app(tmp_path, key):
    """A role of 90 CJK characters makes a file name past the 255-byte limit: the record is either saved
    under a shortened name or refused in one sentence; the app carries on either way."""
    app = make_app(tmp_path / "lt.db")
    async with app.run_test(size=(100, 32), notifications=True) as pilot:
        await start_conversation(pilot, role="役" * 90)
        await pilot.press("f12")
        await pilot.pause()
        await pilot.press(key)
        await pilot.pause()
        assert app.is_running and isinstance(app.screen, SummaryScreen)
        said = messages(app)
        assert any(m.startswith("Record saved") for m in said) or any(
            n.severity == "error" and one_sentence(n.message) for n in app._notifications), said
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ConversationScreen)
