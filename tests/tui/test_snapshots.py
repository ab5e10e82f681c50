"""SVG snapshots of each screen at 100×32 and 80×24 (update with `make snapshots` after a deliberate change).

The data is the deterministic synthetic demo and the clock is off, so every run draws the same screen.
"""

from __future__ import annotations

import pytest

from assistant.demo import generate_demo
from assistant.store import open_store
from assistant.structure import load_structure

from tests.tui.helpers import make_app

SIZES = [(100, 32), (80, 24)]


@pytest.fixture(autouse=True)
def steady_cursors(monkeypatch):
    """A blinking cursor is drawn or not depending on the moment the screen is captured (a loaded machine
    shifts it by half a second): hold every cursor steady, shown, as the stored snapshots have it."""
    from textual.widgets import Input, TextArea

    monkeypatch.setattr(TextArea, "_toggle_cursor_blink_visible", lambda self: None)
    monkeypatch.setattr(Input, "_toggle_cursor", lambda self: None)


@pytest.fixture(autouse=True)
def in_the_database_folder(monkeypatch, tmp_path):
    """Home names the database in the encrypt command, relative to the folder the app was started in: start
    every snapshot there, so the command reads the same on every run."""
    monkeypatch.chdir(tmp_path)


async def until_the_editor_has_focus(pilot, seconds: float = 5.0) -> None:
    """On a loaded machine the editor takes its focus back a frame or two after a move."""
    for _ in range(int(seconds / 0.05)):
        if pilot.app.screen.query_one("#editor").has_focus:
            return
        await pilot.pause(0.05)


def demo_app(tmp_path):
    db = tmp_path / "lt.db"
    store = open_store(db)
    generate_demo(store, load_structure(), cases=1, conversations=2, notes=14, seed=3)
    store.close()
    return make_app(db)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_home_empty(snap_compare, tmp_path, size):
    assert snap_compare(make_app(tmp_path / "empty.db"), terminal_size=size)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_home_with_cases(snap_compare, tmp_path, size):
    assert snap_compare(demo_app(tmp_path), terminal_size=size)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_new_conversation(snap_compare, tmp_path, size):
    assert snap_compare(demo_app(tmp_path), terminal_size=size, press=["n"])


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_conversation(snap_compare, tmp_path, size):
    async def at_a_moment(pilot):
        await pilot.press("enter")
        await pilot.pause()
        conversation = pilot.app.screen.conversation
        episode = conversation.moments.list()[1]
        pilot.app.screen.go_to_stop(next(s for s in conversation.walk.stops()
                                         if s.section.id == "influences" and s.episode["id"] == episode["id"]))
        await pilot.pause()
        await until_the_editor_has_focus(pilot)

    assert snap_compare(demo_app(tmp_path), terminal_size=size, run_before=at_a_moment)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_moments(snap_compare, tmp_path, size):
    assert snap_compare(demo_app(tmp_path), terminal_size=size, press=["enter", "_", "ctrl+o"])


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_summary(snap_compare, tmp_path, size):
    assert snap_compare(demo_app(tmp_path), terminal_size=size, press=["enter", "_", "f12"])
