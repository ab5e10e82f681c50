"""The first-run screen creates the database: encrypted with a passphrase, or plain by choice."""

from __future__ import annotations

from pathlib import Path

from assistant.store import is_encrypted_file, open_store
from assistant.structure import load_structure
from assistant.tui.app import LearningTogetherApp
from assistant.tui.screens.first_run import FirstRunScreen
from assistant.tui.screens.home import HomeScreen

from tests.tui.helpers import fill, type_note
from tests.tui.test_conversation_flow import start_conversation


async def test_first_run_creates_an_encrypted_database_and_a_conversation_follows(tmp_path):
    db = tmp_path / "new" / "lt.db"
    app = LearningTogetherApp(None, load_structure, clock=False, first_run_path=db)
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, FirstRunScreen)
        await fill(pilot, passphrase="short", confirm="short")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "at least 8 characters" in str(app.screen.query_one("#first-run-error").render())
        assert not db.exists()
        await fill(pilot, passphrase="correct horse battery", confirm="correct horse batery")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "differ" in str(app.screen.query_one("#first-run-error").render())
        await fill(pilot, passphrase="correct horse battery", confirm="correct horse battery")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        assert "not encrypted" not in str(app.screen.query_one("#home-intro").render())
        await start_conversation(pilot)
        await type_note(pilot, "WOMBAT-SENTINEL said this")
        await pilot.press("ctrl+q")
    assert is_encrypted_file(db)
    assert b"WOMBAT-SENTINEL" not in b"".join(Path(f"{db}{s}").read_bytes() for s in ("", "-wal", "-shm")
                                             if Path(f"{db}{s}").exists())
    store = open_store(db, passphrase="correct horse battery")
    assert store.scalar("SELECT body FROM notes") == "WOMBAT-SENTINEL said this"
    store.close()


async def test_first_run_without_encryption_says_so(tmp_path):
    db = tmp_path / "lt.db"
    app = LearningTogetherApp(None, load_structure, clock=False, first_run_path=db)
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.pause()
        await pilot.click("#create-plain")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        assert "This database is not encrypted" in str(app.screen.query_one("#home-intro").render())
    assert not is_encrypted_file(db)


async def test_a_pair_hands_over_an_encrypted_copy_from_the_home_screen(tmp_path):
    from assistant.merge import merge_source
    from tests.tui.helpers import make_app

    db = tmp_path / "pair.db"
    app = make_app(db)
    out = tmp_path / "handover.db"
    async with app.run_test(size=(100, 32)) as pilot:
        await start_conversation(pilot)
        await type_note(pilot, "KOALA-SENTINEL account")
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("h")
        await pilot.pause()
        await fill(pilot, **{"field-path": str(out), "field-passphrase": "handover passphrase",
                             "field-confirm": "handover passphrase"})
        await pilot.press("enter", "enter", "enter")
        await pilot.pause()
    assert is_encrypted_file(out) and b"KOALA-SENTINEL" not in out.read_bytes()
    lead = open_store(tmp_path / "lead.db")
    assert merge_source(lead, out, passphrase="handover passphrase").added["notes"] == 1
    lead.close()


def _fully_shown(app, selector: str) -> bool:
    """The widget sits whole inside the first-run form as it is on screen now, without scrolling."""
    form = app.screen.query_one("#first-run")
    region = app.screen.query_one(selector).region
    return bool(region) and form.region.contains_region(region)


async def test_at_80_by_24_both_choices_show_and_each_has_a_footer_key(tmp_path):
    db = tmp_path / "lt.db"
    app = LearningTogetherApp(None, load_structure, clock=False, first_run_path=db)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert _fully_shown(app, "#create-encrypted")
        assert _fully_shown(app, "#create-plain")
        footer_keys = {binding.description for (_, binding, enabled, _) in app.screen.active_bindings.values()
                       if binding.show and enabled}
        assert {"Create encrypted database", "Without encryption"} <= footer_keys
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
    assert not is_encrypted_file(db)
