"""The conversation screen's corrections and small fixes, through the real app on a real database:
editing a note, every mark moving on, the influence picker, Esc from the notes list, the clock; deleting a
key moment, correcting the labels, the conversation's short id; and the pair's prepared queries."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta, timezone

from assistant.cases import add_case
from assistant.conversation import Conversation, create_conversation
from assistant.conversation.prepared import add_prepared_query
from assistant.short_ids import short_id
from assistant.store import new_id, open_store
from assistant.structure import load_structure
from assistant.tui.app import LearningTogetherApp
from assistant.tui.screens.conversation import ConversationScreen
from assistant.tui.screens.corrections import MomentsScreen
from assistant.tui.screens.dialogs import Choice, TagPicker, TextPrompt
from assistant.tui.widgets.notes_list import NotesList

from tests.tui.helpers import fill, go_to, make_app


def _conversation(db, moments: int = 0) -> str:
    structure = load_structure()
    store = open_store(db)
    conversation_id = create_conversation(store, structure, case_id=add_case(store, "B1", "Family A"),
                                          practitioner_role="Health Visitor", agency="Health")
    conversation = Conversation(store, structure, conversation_id)
    for i in range(moments):
        conversation.moments.add(f"Moment {i + 1}", "spring")
    store.close()
    return conversation_id


def _text(widget) -> str:
    return str(widget.render())


async def _open(app, pilot, conversation_id: str) -> ConversationScreen:
    app.push_screen(ConversationScreen(conversation_id))
    await pilot.pause()
    return app.screen


async def test_editing_a_note_puts_the_cursor_at_the_end_with_its_tags_and_esc_goes_back(tmp_path):
    db = tmp_path / "lt.db"
    conversation_id = _conversation(db)
    structure = load_structure()
    tag = structure.codebook.tags[0]
    app = make_app(db)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open(app, pilot, conversation_id)
        screen.conversation.notes.add("She said the referral felt routine.", [tag.id], section_id="introduction")
        screen._render_all()
        await pilot.pause()
        notes = screen.query_one(NotesList)
        assert tag.label in str(notes.get_option_at_index(0).prompt)  # every note shows its tags
        notes.focus()
        notes.highlighted = 0
        await pilot.press("e")
        await pilot.pause()
        editor = screen.editor
        assert editor.has_focus
        assert editor.cursor_location == editor.document.end
        assert "Editing note" in editor.border_title and tag.label in editor.border_title

        notes.focus()
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen and editor.has_focus  # back to the note, not home


async def test_every_mark_moves_on_to_the_next_prompt(tmp_path):
    db = tmp_path / "lt.db"
    conversation_id = _conversation(db)
    app = make_app(db)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open(app, pilot, conversation_id)
        for choice, expected in ((0, 1), (1, 2)):  # asked, then skipped
            if len(screen.state.stop.section.prompts) <= expected:
                break
            await pilot.press("f10")
            await pilot.pause()
            assert isinstance(app.screen, Choice)
            app.screen.query_one("#choices").highlighted = choice
            await pilot.press("enter")
            await pilot.pause()
            assert screen.state.prompt_index == expected


async def test_the_influence_picker_says_when_nothing_is_ticked(tmp_path):
    db = tmp_path / "lt.db"
    conversation_id = _conversation(db)
    structure = load_structure()
    group = structure.codebook.tags[0].group
    app = make_app(db)
    async with app.run_test(size=(120, 40)) as pilot:
        await _open(app, pilot, conversation_id)
        app.push_screen(TagPicker(structure, [], "Which influence is this?", only_group=group))
        await pilot.pause()
        await pilot.press("enter")  # the filter is empty: several influences listed, none ticked
        await pilot.pause()
        assert isinstance(app.screen, TagPicker)
        assert "Nothing is ticked" in _text(app.screen.query_one("#tags-error"))


async def test_the_clock_stops_when_the_conversation_ends_and_here_is_this_moment(tmp_path):
    db = tmp_path / "lt.db"
    conversation_id = _conversation(db, moments=2)
    store = open_store(db)
    first = store.scalar("SELECT id FROM episodes WHERE title = 'Moment 1'")
    an_hour_ago = (datetime.now(timezone.utc) - timedelta(hours=1)).isoformat()
    with store.write() as conn:  # an hour already spent on the first moment's influences
        conn.execute("INSERT INTO section_visits (id, conversation_id, section_id, episode_id, entered_at, left_at)"
                     " VALUES (?, ?, 'influences', ?, ?, ?)",
                     (new_id(), conversation_id, first, an_hour_ago, datetime.now(timezone.utc).isoformat()))
    store.close()
    app = LearningTogetherApp(open_store(db, exclusive=True), load_structure(), clock=True)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open(app, pilot, conversation_id)
        line = _text(screen.query_one("#context-line"))
        assert short_id(conversation_id) in line  # the id a user needs for the command line
        await go_to(pilot, "influences", 1)
        if isinstance(app.screen, TextPrompt):  # the gate does not guard influences; nothing to open
            await pilot.press("escape")
        bar = screen.query_one("#context-bar")
        assert bar._base_section < 60  # the second moment's time here, not the first moment's hour
        assert bar._base_total >= 3500

        screen.conversation.end()
        screen._render_all()
        await pilot.pause()
        before = _text(screen.query_one("#clock"))
        await pilot.pause(1.2)
        bar.tick()
        assert _text(screen.query_one("#clock")) == before


async def test_a_key_moment_is_deleted_with_its_notes_moved_where_the_pair_says(tmp_path):
    db = tmp_path / "lt.db"
    conversation_id = _conversation(db, moments=3)
    app = make_app(db)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open(app, pilot, conversation_id)
        moments = screen.conversation.moments.list()
        screen.conversation.notes.add("At the first moment I rang the school.", section_id="mindset",
                                      episode_id=moments[0]["id"])
        screen.conversation.notes.add("At the third moment the case closed.", section_id="mindset",
                                      episode_id=moments[2]["id"])
        await pilot.press("ctrl+o")
        await pilot.pause()
        assert isinstance(app.screen, MomentsScreen)
        app.screen.query_one("#moment-list").highlighted = 0
        await pilot.press("x")
        await pilot.pause()
        assert isinstance(app.screen, Choice)
        app.screen.query_one("#choices").highlighted = 0  # to moment 2
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, TextPrompt)
        await fill(pilot, **{"field-reason": "Same moment as the second"})
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, MomentsScreen)
        assert "1 note moved to Moment 2" in _text(app.screen.query_one("#moments-error"))

        app.screen.query_one("#moment-list").highlighted = 1  # now "Moment 3"
        await pilot.press("x")
        await pilot.pause()
        await pilot.press("end", "enter")  # "no moment", the last choice
        await pilot.pause()
        await fill(pilot, **{"field-reason": "Not a moment of its own"})
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
    with sqlite3.connect(db) as conn:
        titles = [r[0] for r in conn.execute("SELECT title FROM episodes ORDER BY position")]
        notes = dict(conn.execute("SELECT body, episode_id FROM notes"))
    assert titles == ["Moment 2"]
    assert notes["At the first moment I rang the school."] == moments[1]["id"]
    assert notes["At the third moment the case closed."] is None  # kept, under no moment


async def test_the_labels_are_corrected_with_a_reason(tmp_path):
    db = tmp_path / "lt.db"
    conversation_id = _conversation(db)
    app = make_app(db)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open(app, pilot, conversation_id)
        await pilot.press("ctrl+o")
        await pilot.pause()
        await pilot.press("l")
        await pilot.pause()
        assert isinstance(app.screen, TextPrompt)
        await fill(pilot, **{"field-practitioner_role": "Health Visitor 2", "field-agency": "Community Health",
                             "field-reason": "Two health visitors in this case"})
        app.screen.query_one("#field-reason").focus()
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, MomentsScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert "Health Visitor 2 · Community Health" in _text(screen.query_one("#context-line"))
        history = screen.conversation.label_history()
    assert {(h["field"], h["old_value"]) for h in history} >= {("practitioner_role", "Health Visitor"),
                                                          ("agency", "Health")}


async def test_prepared_queries_stay_out_of_sight_until_the_gate_opens_then_one_is_asked(tmp_path):
    db = tmp_path / "lt.db"
    conversation_id = _conversation(db)
    app = make_app(db)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open(app, pilot, conversation_id)
        await pilot.press("ctrl+o")
        await pilot.pause()
        await pilot.press("q")
        await pilot.pause()
        await fill(pilot, **{"field-text": "Records show two missed home visits in March: what was happening?"})
        await pilot.press("enter", "enter")
        await pilot.pause()
        assert isinstance(app.screen, MomentsScreen)
        await pilot.press("escape")
        await pilot.pause()
        second = add_prepared_query(screen.conversation, "Another account mentions a handover call.", "accounts")

        await go_to(pilot, "queries")
        assert isinstance(app.screen, TextPrompt)  # the gate: refused
        await pilot.press("escape")
        await pilot.pause()
        assert "handover call" not in _text(screen.query_one("#prompt-area"))

        await go_to(pilot, "queries")
        await fill(pilot, **{"field-reason": "Practitioner asked to start from the records"})
        await pilot.press("enter")
        await pilot.pause()
        prompts = [p.text for p in screen.state.stop.section.prompts]
        assert prompts[2:] == ["Records show two missed home visits in March: what was happening?",
                               "Another account mentions a handover call."]
        await pilot.press("f9", "f9", "f9")  # past the structure's two prompts and the first prepared query
        await pilot.pause()
        shown = _text(screen.query_one("#prompt"))
        assert "handover call" in shown and "Prompt 4 of 4" in shown and "prepared" in shown

        await pilot.press("f10")
        await pilot.pause()
        assert isinstance(app.screen, Choice)
        await pilot.press("enter")  # Asked
        await pilot.pause()
        assert screen.state.marks[("queries", f"prepared:{second}", None)] == "asked"
    with sqlite3.connect(db) as conn:  # marking asks; only the practitioner's answer becomes a note
        assert conn.execute("SELECT COUNT(*) FROM notes WHERE section_id = 'queries'").fetchone()[0] == 0


async def test_ending_warns_about_prompts_left_for_later_before_it_ends(tmp_path):
    db = tmp_path / "lt.db"
    conversation_id = _conversation(db)
    app = make_app(db)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open(app, pilot, conversation_id)
        prompt = screen.state.stop.section.prompts[0]
        screen.conversation.marks.mark(prompt.id, "later")
        await pilot.press("f12")
        await pilot.pause()
        await pilot.press("ctrl+e")
        await pilot.pause()
        assert screen.conversation.row["status"] == "in_progress"  # warned, not ended
        assert any("come back later" in str(n.message) for n in app._notifications)
        await pilot.press("ctrl+e")  # a second time: the pair has heard the warning
        await pilot.pause()
        assert screen.conversation.row["status"] == "ended"


async def test_a_note_tagged_from_the_notes_list_shows_its_tags_there(tmp_path):
    db = tmp_path / "lt.db"
    conversation_id = _conversation(db)
    structure = load_structure()
    app = make_app(db)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open(app, pilot, conversation_id)
        screen.conversation.notes.add("First note.", section_id="introduction")
        screen.conversation.notes.add("Second note, to be tagged.", section_id="introduction")
        screen._render_all()
        await pilot.pause()
        notes = screen.query_one(NotesList)
        notes.focus()
        notes.highlighted = 1
        await pilot.press("ctrl+t")
        await pilot.pause()
        assert isinstance(app.screen, TagPicker)
        listing = app.screen.query_one("#tag-list")
        listing.focus()
        listing.highlighted = 0
        await pilot.press("space", "ctrl+s")
        await pilot.pause()
        label = structure.codebook.tags[0].label
        assert label in str(notes.get_option_at_index(1).prompt)
        assert label not in str(notes.get_option_at_index(0).prompt)


async def test_at_80_by_24_the_footer_shows_mark_and_end(tmp_path):
    from textual.widgets._footer import FooterKey

    db = tmp_path / "lt.db"
    conversation_id = _conversation(db)
    app = make_app(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await _open(app, pilot, conversation_id)
        keys = {key.key: key for key in app.screen.query(FooterKey)}
        for key in ("f10", "f12"):
            region = keys[key].region
            assert region.width and region.right <= 80, key


async def test_sent_for_checking_and_checked_ask_first(tmp_path):
    db = tmp_path / "lt.db"
    conversation_id = _conversation(db)
    app = make_app(db)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open(app, pilot, conversation_id)
        await pilot.press("f12")
        await pilot.pause()
        screen.conversation.end()
        await pilot.press("c")
        await pilot.pause()
        assert isinstance(app.screen, Choice)  # asked, not yet changed
        assert screen.conversation.row["status"] == "ended"
        await pilot.press("escape")
        await pilot.pause()
        assert screen.conversation.row["status"] == "ended"  # Esc leaves it as it was
        await pilot.press("c")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert screen.conversation.row["status"] == "sent_for_checking"
        await pilot.press("k")
        await pilot.pause()
        assert isinstance(app.screen, Choice)
        await pilot.press("down", "enter")  # "Not now"
        await pilot.pause()
        assert screen.conversation.row["status"] == "sent_for_checking"
        await pilot.press("k")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT status FROM conversations").fetchone()[0] == "checked"
