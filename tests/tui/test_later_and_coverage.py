"""How a conversation counts its prompts, through the real app on a real SQLite file: the key-moments
prompt is covered once moments are named (in the conversation and in the review's coverage alike); a
prompt marked "come back later" stays on the later list with a note under it until the pair marks it
otherwise; and a prepared query kept once the gate is open says where it now is."""

from __future__ import annotations

from assistant.cases import add_case
from assistant.conversation import Conversation, create_conversation
from assistant.store import open_store
from assistant.structure import load_structure
from assistant.tui.screens.conversation import ConversationScreen
from assistant.tui.screens.corrections import MomentsScreen
from assistant.tui.screens.dialogs import Choice
from assistant.tui.screens.review import ReviewScreen

from tests.tui.helpers import fill, make_app, type_note
from tests.tui.test_review import settle

MOMENTS = ["The first home visit", "The referral", "The strategy meeting", "The case closing"]


def _case_with_two_conversations(db) -> tuple[str, list[str]]:
    """Two practitioners who each named four key moments in Ctrl+O, with no note under the prompt."""
    structure = load_structure()
    store = open_store(db)
    case_id = add_case(store, "B1", "Family A")
    ids = []
    for role, agency in (("Health Visitor", "Health"), ("Social Worker", "Children's Services")):
        conversation_id = create_conversation(store, structure, case_id=case_id, practitioner_role=role,
                                              agency=agency)
        conversation = Conversation(store, structure, conversation_id)
        for title in MOMENTS:
            conversation.moments.add(title, "spring")
        ids.append(conversation_id)
    store.close()
    return case_id, ids


async def _open(app, pilot, conversation_id: str) -> ConversationScreen:
    app.push_screen(ConversationScreen(conversation_id))
    await pilot.pause()
    return app.screen


async def test_named_moments_cover_the_key_moments_prompt_in_the_review_and_the_conversation(tmp_path):
    db = tmp_path / "lt.db"
    case_id, ids = _case_with_two_conversations(db)
    app = make_app(db)
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await _open(app, pilot, ids[0])
        states = {p.prompt.id: p.state for p in screen.conversation.coverage().prompts if p.section.id == "key_moments"}
        assert states == {"turning_points": "covered", "moments_order": "not reached"}
        await pilot.press("escape")  # home, the draft kept
        await pilot.pause()

        app.push_screen(ReviewScreen(case_id))
        await settle(pilot)
        review = app.screen
        matrix = review.query_one("CoveragePane").matrix
        row = next(r for r in matrix.rows if r["prompt"].id == "turning_points")
        assert [row["cells"][i]["state"] for i in ids] == ["covered", "covered"]
        table = review.query_one("#coverage-table")
        index = matrix.rows.index(row)
        shown = [str(table.get_cell_at((index, column))) for column in (1, 2)]
        assert all("✓" in cell and "○" not in cell for cell in shown)


async def test_a_prompt_marked_later_with_a_note_stays_on_every_later_list(tmp_path):
    db = tmp_path / "lt.db"
    _, ids = _case_with_two_conversations(db)
    app = make_app(db)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open(app, pilot, ids[0])
        first, second = screen.state.stop.section.prompts[:2]
        await type_note(pilot, "They began with the family's move in the winter.")  # a note, then later
        for _ in range(2):  # mark the first and then the second prompt "come back later" with F10
            await pilot.press("f10")
            await pilot.pause()
            assert isinstance(app.screen, Choice)
            app.screen.query_one("#choices").highlighted = 3  # Come back later
            await pilot.press("enter")
            await pilot.pause()
        await pilot.press("f8", "f8")  # back to the first prompt, which has the note
        await pilot.pause()
        assert "marked come back later" in str(screen.query_one("#prompt").render())
        assert "2 prompts left for later" in str(screen.query_one("#later-line").render())
        later = [(item.stop.section.id, item.prompt.id) for item in screen.state.later]
        section = screen.state.stop.section.id
        assert later == [(section, first.id), (section, second.id)]

        await pilot.press("f10")
        await pilot.pause()
        choices = app.screen.query_one("#choices")
        listed = [str(choices.get_option_at_index(i).prompt) for i in range(choices.option_count)]
        assert sum("Later:" in text for text in listed) == 2
        assert any(first.text[:30] in text for text in listed if "Later:" in text)
        await pilot.press("escape")
        await pilot.pause()

        states = {p.prompt.id: p.state for p in screen.conversation.coverage().prompts if p.section.id == section}
        assert states[first.id] == states[second.id] == "come back later"
        await pilot.press("f12")
        await pilot.pause()
        await pilot.press("ctrl+e")
        await pilot.pause()
        warning = [str(n.message) for n in app._notifications if "come back later" in str(n.message)]
        assert warning and warning[-1].startswith("2 prompts are still marked")
        assert screen.conversation.row["status"] == "in_progress"
        await pilot.press("escape")
        await pilot.pause()

        await pilot.press("f10")  # marked asked now: off the list, covered by its note
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert [item.prompt.id for item in screen.state.later] == [second.id]
        assert "1 prompt left for later" in str(screen.query_one("#later-line").render())


async def test_a_query_kept_once_the_gate_is_open_says_which_prompt_it_now_is(tmp_path):
    db = tmp_path / "lt.db"
    _, ids = _case_with_two_conversations(db)
    app = make_app(db)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open(app, pilot, ids[0])
        screen.conversation.notes.add("They led the visits for the family.", section_id="overview")
        assert screen.conversation.state().gate_open
        await pilot.press("ctrl+o")
        await pilot.pause()
        await pilot.press("q")
        await pilot.pause()
        await fill(pilot, **{"field-text": "Records show two missed home visits in March: what was happening?"})
        await pilot.press("enter", "enter")
        await pilot.pause()
        assert isinstance(app.screen, MomentsScreen)
        said = " ".join(str(app.screen.query_one("#moments-error").render()).split())
        assert said.startswith("Prepared query kept")
        assert "once the practitioner's own account" not in said
        assert "now prompt 3 of 3 of Questions from the wider picture" in said
        queries = next(s for s in screen.conversation.state().stops if s.section.id == "queries")
        assert queries.section.prompts[2].text.startswith("Records show two missed home visits")
