"""A whole rehearsal through the app: questions, coaching beside each, notes, then the debrief."""

from __future__ import annotations

import sqlite3

from assistant.tui.screens.rehearsal import DebriefScreen, RehearsalScreen

from tests.tui.helpers import fill, make_app, type_note


async def ask(pilot, question: str) -> None:
    await fill(pilot, question=question)
    pilot.app.screen.query_one("#question").focus()
    await pilot.press("enter")
    await pilot.pause()


async def test_a_rehearsal_ends_in_a_debrief_that_counts_what_was_asked(tmp_path):
    db = tmp_path / "lt.db"
    app = make_app(db)
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.press("t")
        await pilot.pause()
        await pilot.press("enter")  # the first scenario: the health visitor
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, RehearsalScreen)
        assert "REHEARSAL" in str(screen.query_one("#rehearsal-banner").render())
        await pilot.press("ctrl+n")
        await pilot.pause()
        await ask(pilot, "Tell us about the family and your involvement.")
        transcript = str(screen.query_one("#transcript-text").render())
        assert "new-birth visit" in transcript and "[open ✓]" in transcript
        await ask(pilot, "Why didn't you check the clinic appointments?")
        transcript = str(screen.query_one("#transcript-text").render())
        assert "[hindsight or blame]" in transcript and "Ask about then, not now" in transcript
        await ask(pilot, "Did you visit after the move?")
        await ask(pilot, "What do you remember about the baby's clinic appointments?")
        assert "three weigh-in appointments" in str(screen.query_one("#transcript-text").render())
        screen.query_one("#editor").focus()
        await type_note(pilot, "Mum disclosed at four months; focus moved to housing.")
        await pilot.press("f12")
        await pilot.pause()
        assert isinstance(app.screen, DebriefScreen)
        text = str(app.screen.query_one("#debrief-text").render())
        assert "4 questions:" in text
        assert "hindsight or blame 1" in text and "closed 1" in text and "open ✓ 2" in text
        assert "three weigh-in appointments" in text  # surfaced
        assert "Nothing comes to the named health visitor" in text  # not surfaced
        await pilot.press("x")
        await pilot.pause()
        await pilot.press("ctrl+e")
        await pilot.pause()
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT mode, status FROM conversations").fetchone() == ("rehearsal", "ended")
    assert conn.execute("SELECT COUNT(*) FROM questions").fetchone()[0] == 4
    assert conn.execute("SELECT COUNT(*) FROM notes").fetchone()[0] == 1
    exported = list((tmp_path / "exports").glob("rehearsal-health-visitor-housing-*-debrief.md"))
    assert exported and "Questions to practise again" in exported[0].read_text()
