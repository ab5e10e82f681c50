"""Helpers for driving the real app through Pilot."""

from __future__ import annotations

from pathlib import Path

from assistant.store import open_store
from assistant.structure import load_structure
from assistant.tui.app import LearningTogetherApp


async def work_done(app) -> None:
    """Wait for the app's own background work to finish.

    The folder tree in path dialogs keeps a loader worker alive for as long as it is shown, so waiting for
    every worker would never return; only workers outside the ``_loader`` group are awaited."""
    own = [worker for worker in app.workers if worker.group != "_loader"]
    if own:  # an empty list would mean "every worker" to Textual
        await app.workers.wait_for_complete(own)


def make_app(db: Path) -> LearningTogetherApp:
    return LearningTogetherApp(open_store(db, exclusive=True), load_structure(), clock=False)


async def type_note(pilot, text: str, save: bool = True) -> None:
    editor = pilot.app.screen.query_one("#editor")
    editor.text = text
    await pilot.pause()
    if save:
        await pilot.press("ctrl+s")
        await pilot.pause()


async def fill(pilot, **values: str) -> None:
    for widget_id, value in values.items():
        pilot.app.screen.query_one(f"#{widget_id}").value = value
    await pilot.pause()


async def go_to(pilot, section_id: str, episode_index: int | None = None) -> None:
    """Open the Go to list (Ctrl+G), highlight a section and press Enter."""
    screen = pilot.app.screen
    entries = screen.conversation.coverage().sections
    index = next(i for i, e in enumerate(entries) if e.section.id == section_id
                 and (episode_index is None or (e.stop.episode_index == episode_index)))
    await pilot.press("ctrl+g")
    await pilot.pause()
    pilot.app.screen.query_one("#choices").highlighted = index
    await pilot.press("enter")
    await pilot.pause()


async def confirm_prompt(pilot, **values: str) -> None:
    """Fill the open dialog's fields (by field name) and confirm it."""
    from assistant.tui.screens.dialogs import TextPrompt

    assert isinstance(pilot.app.screen, TextPrompt)
    await fill(pilot, **{f"field-{name}": value for name, value in values.items()})
    # A button ignores a click while its last press is still showing (0.2 s): a second confirm of the same
    # dialog, straight after a refused one, waits for it as a person would.
    ok = pilot.app.screen.query_one("#ok")
    for _ in range(20):
        if not ok.has_class("-active"):
            break
        await pilot.pause(0.05)
    await pilot.click("#ok")
    await pilot.pause()


async def choose_option(pilot, index: int) -> None:
    """Highlight an option of the open choice dialog and press Enter."""
    from assistant.tui.screens.dialogs import Choice

    assert isinstance(pilot.app.screen, Choice)
    pilot.app.screen.query_one("#choices").highlighted = index
    await pilot.press("enter")
    await pilot.pause()
