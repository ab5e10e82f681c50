"""Screen problems a new user met at 80×24, each driven through the real app."""

from __future__ import annotations

from assistant.short_ids import short_id
from assistant.store import open_store
from assistant.structure import load_structure
from assistant.tui.app import LearningTogetherApp

from tests.tui.helpers import fill, make_app, type_note
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


async def header_at(tmp_path, size: tuple[int, int]) -> str:
    """The conversation header's text, with the clock running, as the pair sees it."""
    app = LearningTogetherApp(open_store(tmp_path / "lt.db", exclusive=True), load_structure(), clock=True)
    async with app.run_test(size=size) as pilot:
        await pilot.press("n")
        await pilot.pause()
        await fill(pilot, **{"case-ref": "CSPR-2026-04", "case-label": "Family Z", "role": "Health Visitor 2",
                             "agency": "Community Health Trust", "lead": "Reviewer A", "second": "Reviewer B"})
        await pilot.press("ctrl+s")
        await pilot.pause()
        bar = app.screen.query_one("#context-line")
        clock = app.screen.query_one("#clock")
        conversation_id = app.screen.conversation_id
        line = bar.render_line(0).text.rstrip()
        assert line.startswith(f"id {short_id(conversation_id)} · ")
        assert "⏱" in clock.render_line(0).text
        assert bar.region.right <= clock.region.x  # the two never overlap
        return line


async def test_at_80_columns_the_header_keeps_the_practitioner_and_cuts_the_family_first(tmp_path):
    line = await header_at(tmp_path, (80, 24))
    assert "Health Visitor 2" in line
    assert "…" not in line.split("Health Visitor 2")[0]  # the role label itself is whole
    assert "Family Z" not in line


async def test_a_wide_header_shows_the_case_the_family_and_the_practitioner(tmp_path):
    line = await header_at(tmp_path, (160, 40))
    assert line.endswith("CSPR-2026-04 · Family Z · Health Visitor 2 · Community Health Trust")
