"""Screen problems a new user met at 80×24, each driven through the real app."""

from __future__ import annotations

from tests.tui.helpers import make_app, type_note
from tests.tui.test_conversation_flow import start_conversation


def visible_lines(widget) -> list[str]:
    """The text the widget shows now, one string per screen row."""
    return [widget.render_line(y).text for y in range(widget.scrollable_content_region.height)]


async def test_a_wrapped_note_keeps_its_tag_line_once_the_notes_list_scrolls(tmp_path):
    app = make_app(tmp_path / "lt.db")
    async with app.run_test(size=(80, 24)) as pilot:
        await start_conversation(pilot)
        notes = app.screen.query_one("#notes")
        width = notes.scrollable_content_region.width
        # One word that fills the line below the author without a scrollbar, and folds once a scrollbar
        # takes its columns: the note then needs one more line.
        body = "x" * (width - 1)
        await pilot.press("f2")
        await type_note(pilot, body)
        assert notes.scrollable_content_region.width == width
        await type_note(pilot, " ".join(["A long account of the week the family moved house."] * 6))
        notes.scroll_home(animate=False)
        await pilot.pause()
        shown = visible_lines(notes)
        assert notes.scrollable_content_region.width < width  # the list now scrolls
        assert "".join(line.strip() for line in shown[1:3]) == body
        assert "Practitioner's words" in shown[3], shown
