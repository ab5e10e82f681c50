"""A whole conversation through the real app, driven by keys, then the database rows checked."""

from __future__ import annotations

import sqlite3

from assistant.tui.screens.conversation import ConversationScreen
from assistant.tui.screens.dialogs import TagPicker, TextPrompt
from assistant.tui.screens.home import HomeScreen
from assistant.tui.screens.new_conversation import NewConversationScreen
from assistant.tui.screens.summary import SummaryScreen

from tests.tui.helpers import fill, go_to, make_app, type_note


async def start_conversation(pilot, ref="CSPR-2026-04", role="Probation Officer"):
    await pilot.press("n")
    await pilot.pause()
    assert isinstance(pilot.app.screen, NewConversationScreen)
    await fill(pilot, **{"case-ref": ref, "case-label": "Family A", "role": role, "agency": "Probation Service",
                         "lead": "Reviewer A", "second": "Reviewer B"})
    await pilot.press("ctrl+s")
    await pilot.pause()
    assert isinstance(pilot.app.screen, ConversationScreen)


async def add_moment(pilot, title: str, when: str) -> None:
    await pilot.press("a")
    await pilot.pause()
    assert isinstance(pilot.app.screen, TextPrompt)
    await fill(pilot, **{"field-title": title, "field-when": when})
    await pilot.press("enter", "enter")
    await pilot.pause()


async def test_a_whole_conversation_from_the_home_screen(tmp_path):
    db = tmp_path / "lt.db"
    app = make_app(db)
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        await start_conversation(pilot)
        await type_note(pilot, "Introductions; she said she had been terrified it would be about blame.")

        # The gate: refused (Esc), then opened with a reason.
        await go_to(pilot, "queries")
        assert isinstance(app.screen, TextPrompt)
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen.conversation.walk.current_stop().section.id == "introduction"
        await go_to(pilot, "queries")
        await fill(pilot, **{"field-reason": "Practitioner asked to start from the records"})
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen.conversation.walk.current_stop().section.id == "queries"
        await type_note(pilot, "Records show the fax number changed in the restructure.")

        await go_to(pilot, "overview")
        await type_note(pilot, "I faxed the concern form and thought that was my part done.")
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert app.screen.conversation.walk.current_stop().section.id == "key_moments"
        await pilot.press("ctrl+o")
        await pilot.pause()
        await add_moment(pilot, "Sending the fax", "around Easter")
        await add_moment(pilot, "The strategy meeting", "May")
        await add_moment(pilot, "Case closed to social care", "summer")
        await pilot.press("escape")
        await pilot.pause()
        await type_note(pilot, "Named three moments; the fax first.")

        for moment in range(3):
            await pilot.press("ctrl+n")
            await pilot.pause()
            stop = app.screen.conversation.walk.current_stop()
            assert (stop.section.id, stop.episode_index) == ("mindset", moment)
            await type_note(pilot, f"At moment {moment + 1} I thought social care had it in hand.")
            await pilot.press("ctrl+n")
            await pilot.pause()
            assert app.screen.conversation.walk.current_stop().section.id == "influences"
            await type_note(pilot, f"Moment {moment + 1}: forty cases and no admin support.")
            assert isinstance(app.screen, TagPicker)  # a factor category is required here
            await fill(pilot, **{"tag-filter": "conditions"})
            await pilot.press("enter")
            await pilot.pause()
            assert isinstance(app.screen, ConversationScreen)

        await pilot.press("ctrl+n")
        await pilot.pause()
        assert app.screen.conversation.walk.current_stop().section.id == "went_well"
        await type_note(pilot, "The school kept in touch every week.")
        await pilot.press("ctrl+n", "ctrl+n")
        await pilot.pause()
        assert app.screen.conversation.walk.current_stop().section.id == "suggested_changes"
        await pilot.press("f5")  # quick tag: suggested change (also the section's default)
        await type_note(pilot, "Always phone after a fax until someone answers.")
        await pilot.press("ctrl+n")
        await pilot.pause()
        await type_note(pilot, "Summary read back and agreed.")
        await pilot.press("f12")
        await pilot.pause()
        assert isinstance(app.screen, SummaryScreen)
        checklist = app.screen.query_one("#checklist")
        checklist.focus()
        for index in (0, 2):
            checklist.highlighted = index
            await pilot.press("space")
        await pilot.pause()
        await pilot.press("ctrl+e")
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("ctrl+q")

    conn = sqlite3.connect(db)
    assert conn.execute("SELECT status, practitioner_role, gate_reason FROM conversations").fetchone() == (
        "ended", "Probation Officer", "Practitioner asked to start from the records")
    assert conn.execute("SELECT COUNT(*) FROM notes").fetchone()[0] == 13
    assert conn.execute("SELECT title FROM episodes ORDER BY position").fetchall() == [
        ("Sending the fax",), ("The strategy meeting",), ("Case closed to social care",)]
    per_moment = conn.execute(
        "SELECT COUNT(DISTINCT episode_id) FROM notes n JOIN note_tags t ON t.note_id = n.id"
        " WHERE n.section_id = 'influences' AND t.tag_id = 'factor_conditions'").fetchone()[0]
    assert per_moment == 3
    assert conn.execute("SELECT COUNT(*) FROM note_tags WHERE tag_id = 'went_well'").fetchone()[0] == 1
    assert conn.execute("SELECT COUNT(*) FROM events WHERE action = 'gate_override'").fetchone()[0] == 1
    assert conn.execute("SELECT COUNT(*) FROM drafts").fetchone()[0] == 0
    assert conn.execute("SELECT item FROM closing_checks ORDER BY item").fetchall() == [(0,), (2,)]


async def test_resume_at_the_same_place_with_the_draft(tmp_path):
    db = tmp_path / "lt.db"
    app = make_app(db)
    async with app.run_test(size=(100, 32)) as pilot:
        await start_conversation(pilot)
        await go_to(pilot, "overview")
        await pilot.press("f9")  # second prompt
        await type_note(pilot, "half a thought about the", save=False)
        await pilot.press("ctrl+q")
    app = make_app(db)
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ConversationScreen)
        assert screen.conversation.walk.current_stop().section.id == "overview"
        assert screen.conversation.walk.prompt_index == 1
        assert screen.query_one("#editor").text == "half a thought about the"


async def test_markup_and_escapes_in_notes_render_literally(tmp_path):
    db = tmp_path / "lt.db"
    app = make_app(db)
    payload = "[/b] [link=https://x]y[/link] \x1b]0;owned\x07 \x1b[2J end"
    async with app.run_test(size=(100, 32)) as pilot:
        await start_conversation(pilot, role="[bold]Role[/bold]")
        await type_note(pilot, payload)
        notes = app.screen.query_one("#notes")
        rendered = str(notes.get_option_at_index(0).prompt)
        assert "[/b] [link=https://x]y[/link]" in rendered
        assert "\x1b" not in rendered
        await pilot.press("escape")
        await pilot.pause()
        home = app.screen.query_one("#conversations")
        assert "[bold]Role[/bold]" in str(home.get_row_at(0)[2])


async def test_edit_delete_and_undo_in_the_notes_list(tmp_path):
    db = tmp_path / "lt.db"
    app = make_app(db)
    async with app.run_test(size=(100, 32)) as pilot:
        await start_conversation(pilot)
        await type_note(pilot, "First wording")
        notes = app.screen.query_one("#notes")
        notes.focus()
        notes.highlighted = 0
        await pilot.press("e")
        await pilot.pause()
        assert app.screen.query_one("#editor").text == "First wording"
        await type_note(pilot, "Second wording")
        assert [n["body"] for n in app.screen.conversation.notes.list()] == ["Second wording"]
        notes.focus()
        notes.highlighted = 0
        await pilot.press("d")
        await pilot.pause()
        assert app.screen.conversation.notes.list() == []
        await pilot.press("u")
        await pilot.pause()
        assert [n["body"] for n in app.screen.conversation.notes.list()] == ["Second wording"]
