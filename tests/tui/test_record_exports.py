"""Record exports from the summary screen (W and M) through the real app: names that never collide or
pass the filesystem's limit, changed notes refused, and the notes list in the order notes were written."""

from __future__ import annotations

import stat

from assistant.tui.screens.conversation import ConversationScreen
from assistant.tui.screens.summary import SummaryScreen

from tests.tui.helpers import make_app, type_note
from tests.tui.test_conversation_flow import start_conversation


def _messages(app) -> list[str]:
    return [n.message for n in app._notifications]


async def _to_summary(pilot) -> None:
    await pilot.press("f12")
    await pilot.pause()
    assert isinstance(pilot.app.screen, SummaryScreen)


async def test_two_conversations_with_the_same_role_get_their_own_record_files(tmp_path):
    db = tmp_path / "lt.db"
    app = make_app(db)
    async with app.run_test(size=(100, 32), notifications=True) as pilot:
        await start_conversation(pilot, role="Social Worker 1")
        await type_note(pilot, "The first social worker's account.")
        await _to_summary(pilot)
        await pilot.press("m")
        await pilot.pause()
        await pilot.press("m")  # the same record again: a new file, the first one is kept
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        await start_conversation(pilot, role="Social Worker 1")
        await type_note(pilot, "The second social worker's account.")
        await _to_summary(pilot)
        await pilot.press("m")
        await pilot.pause()
        assert isinstance(app.screen, SummaryScreen)
    files = sorted((tmp_path / "exports").glob("*.md"))
    assert len(files) == 3, files
    texts = [f.read_text() for f in files]
    assert sum("The first social worker's account." in t for t in texts) == 2
    assert sum("The second social worker's account." in t for t in texts) == 1
    assert all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in files)


async def test_a_long_role_label_exports_under_the_name_limit(tmp_path):
    db = tmp_path / "data" / "lt.db"
    app = make_app(db)
    async with app.run_test(size=(100, 32), notifications=True) as pilot:
        await start_conversation(pilot, role="保" * 90)
        await type_note(pilot, "An account under a very long role label.")
        await _to_summary(pilot)
        await pilot.press("w")
        await pilot.pause()
        await pilot.press("m")
        await pilot.pause()
        assert isinstance(app.screen, SummaryScreen)
        assert not any(m.startswith("Cannot") for m in _messages(app)), _messages(app)
    folder = tmp_path / "data" / "exports"
    files = sorted(folder.iterdir())
    assert [f.suffix for f in files] == [".docx", ".md"]
    assert all(len(f.name.encode("utf-8")) <= 255 for f in files)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700


async def test_a_changed_note_is_not_exported_from_the_summary(tmp_path):
    db = tmp_path / "lt.db"
    app = make_app(db)
    async with app.run_test(size=(100, 32), notifications=True) as pilot:
        await start_conversation(pilot)
        await type_note(pilot, "What was really said.")
        app.store.conn.execute("UPDATE notes SET body = 'something else'")
        await _to_summary(pilot)
        await pilot.press("w")
        await pilot.pause()
        await pilot.press("m")
        await pilot.pause()
        assert isinstance(app.screen, SummaryScreen)
        refusals = [m for m in _messages(app) if "checksum" in m]
        assert len(refusals) == 2 and all("\n" not in m for m in refusals)
    assert not (tmp_path / "exports").exists() or list((tmp_path / "exports").iterdir()) == []


async def test_the_notes_list_keeps_writing_order_when_the_clock_steps_back(tmp_path, monkeypatch):
    import assistant.conversation.notes as module  # where notes are stamped

    db = tmp_path / "lt.db"
    app = make_app(db)
    async with app.run_test(size=(100, 32)) as pilot:
        await start_conversation(pilot)
        monkeypatch.setattr(module, "now", lambda: "2026-11-27T10:00:00.000+00:00")
        await type_note(pilot, "Written first.")
        monkeypatch.setattr(module, "now", lambda: "2026-11-27T09:00:00.000+00:00")
        await type_note(pilot, "Written second.")
        monkeypatch.undo()
        assert isinstance(app.screen, ConversationScreen)
        notes = app.screen.query_one("#notes")
        shown = [str(notes.get_option_at_index(i).prompt) for i in range(notes.option_count)]
        assert "Written first." in shown[0] and "Written second." in shown[1]


async def test_the_apps_record_is_the_practitioners_words_without_workflow_tags(tmp_path):
    from docx import Document as WordDocument

    db = tmp_path / "lt.db"
    app = make_app(db)
    async with app.run_test(size=(100, 32), notifications=True) as pilot:
        await start_conversation(pilot)
        await type_note(pilot, "I went back to the office and phoned the school.", save=False)
        await pilot.press("f2", "f4")  # their words, and a follow-up for the pair
        await pilot.press("ctrl+s")
        await pilot.pause()
        await type_note(pilot, "Spoke quickly when the school came up.", save=False)
        await pilot.press("f3")  # the pair's own observation
        await pilot.press("ctrl+s")
        await pilot.pause()
        await _to_summary(pilot)
        await pilot.press("m")
        await pilot.pause()
        await pilot.press("w")
        await pilot.pause()
        assert not any(m.startswith("Cannot") for m in _messages(app)), _messages(app)
    markdown = next((tmp_path / "exports").glob("*.md")).read_text(encoding="utf-8")
    word = WordDocument(str(next((tmp_path / "exports").glob("*.docx"))))
    lines = [p.text for p in word.paragraphs] + [c.text for t in word.tables for r in t.rows for c in r.cells]
    for text in (markdown, "\n".join(lines)):
        assert "I went back to the office and phoned the school." in text
        assert "Follow-up needed" not in text and "Practitioner's words" not in text
    assert "- **Review team's observation:** Spoke quickly when the school came up." in markdown
    assert "Review team's observation: Spoke quickly when the school came up." in lines
