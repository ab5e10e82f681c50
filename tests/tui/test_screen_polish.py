"""Screen problems a new user met at 80×24, each driven through the real app."""

from __future__ import annotations

from textual.widgets._toast import Toast

from assistant.short_ids import short_id
from assistant.store import open_store
from assistant.structure import load_structure
from assistant.tui.app import LearningTogetherApp
from assistant.tui.screens.dialogs import Choice, TextPrompt
from assistant.tui.screens.home import HomeScreen

from tests.tui.helpers import fill, make_app, type_note, work_done
from tests.tui.test_conversation_flow import start_conversation
from tests.unit.pairs import pair_database


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


def _focus_name(app) -> str:
    focused = app.screen.focused
    return f"{type(focused).__name__}#{focused.id}" if focused else "nothing"


async def test_tab_in_a_path_dialog_goes_fields_tree_ok_cancel_and_round_again(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = make_app(tmp_path / "lt.db")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("h")
        await pilot.pause()
        seen = [_focus_name(app)]
        for _ in range(6):
            await pilot.press("tab")
            await pilot.pause()
            seen.append(_focus_name(app))
        assert seen == ["SafeInput#field-path", "SafeInput#field-passphrase", "SafeInput#field-confirm",
                        "FileBrowser#browse-path", "Button#ok", "Button#cancel", "SafeInput#field-path"]
        await pilot.press("shift+tab")
        await pilot.pause()
        assert _focus_name(app) == "Button#cancel"


async def test_ctrl_s_submits_a_dialog_from_its_first_field(tmp_path):
    source = pair_database(tmp_path / "a.db", "Probation Officer", ["Sending the fax"])
    app = make_app(tmp_path / "lead.db")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("g")
        await pilot.pause()
        await fill(pilot, **{"field-paths": str(source["path"])})
        assert _focus_name(app) == "SafeInput#field-paths"
        await pilot.press("ctrl+s")
        await pilot.pause()
        await work_done(app)
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        assert app.screen.query_one("#conversations").row_count == 1


async def test_enter_on_a_file_in_the_tree_fills_the_path_and_enter_in_the_last_field_submits(tmp_path,
                                                                                               monkeypatch):
    monkeypatch.chdir(tmp_path)
    source = pair_database(tmp_path / "a.db", "Probation Officer", ["Sending the fax"])
    app = make_app(tmp_path / "lead.db")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("g")
        await pilot.pause()
        tree = app.screen.query_one("DirectoryTree")
        tree.focus()
        for _ in range(20):
            await pilot.pause()
            if tree.cursor_node is not None and tree.cursor_node.data and tree.cursor_node.data.path.name == "a.db":
                break
            await pilot.press("down")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, TextPrompt)  # chosen, not yet merged
        assert app.screen.query_one("#field-paths").value == str(source["path"])
        app.screen.query_one("#field-passphrase").focus()
        await pilot.press("enter")  # the last field
        await pilot.pause()
        await work_done(app)
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        assert app.screen.query_one("#conversations").row_count == 1


async def test_each_file_that_could_not_be_merged_says_why_on_a_line_of_its_own(tmp_path):
    folder = tmp_path / "a folder"
    folder.mkdir()
    missing = tmp_path / "not-there.db"
    garbled = tmp_path / "garbled.db"
    garbled.write_bytes(b"this is not a database at all" * 50)
    app = make_app(tmp_path / "lead.db")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("g")
        await pilot.pause()
        await fill(pilot, **{"field-paths": f"{folder}; {missing}; {garbled}"})
        await pilot.press("ctrl+s")
        await pilot.pause()
        await work_done(app)
        await pilot.pause()
        assert isinstance(app.screen, TextPrompt)
        error = app.screen.query_one("#prompt-error")
        lines = [error.render_line(y).text.rstrip() for y in range(error.size.height)]
        assert lines[0] == "3 files were not merged:"
        assert [line.split(":")[0] for line in lines[1:]] == ["a folder", "not-there.db", "garbled.db"]
        assert all(len(line) <= error.size.width for line in lines)
        assert "folder" in lines[1].split(":", 1)[1]


async def test_toasts_from_the_exports_do_not_cover_the_status_question(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = make_app(tmp_path / "lt.db")
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await start_conversation(pilot)
        await type_note(pilot, "They said the referral form went by fax.")
        await pilot.press("f12")
        await pilot.pause()
        await pilot.press("ctrl+e")
        await pilot.pause()
        for key in ("w", "m"):
            await pilot.press(key)
            await pilot.pause()
            await work_done(app)
            await pilot.pause()
        assert len(app.screen.query(Toast)) >= 2  # the exports were announced
        await pilot.press("c")
        await pilot.pause()
        assert isinstance(app.screen, Choice)
        dialog = app.screen.query_one(".dialog")
        covering = [toast for toast in app.screen.query(Toast) if toast.region.overlaps(dialog.region)]
        assert covering == []
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen.conversation.state().row["status"] == "sent_for_checking"
