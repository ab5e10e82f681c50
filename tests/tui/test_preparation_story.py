"""A lead reviewer's preparation, told end to end through the real app (Pilot) on a real database file:
the case group and the review's questions (P), a letter, a conversation started for one member, the pair's
prepared queries kept out of sight until the gate opens, then asked as prompts of *Questions from the
wider picture*, seen in the summary and the review's coverage, and the member's stage following the
record through checking."""

from __future__ import annotations

import html
import re

from assistant.cases import add_case
from assistant.casegroup import list_members
from assistant.store import open_store
from assistant.tui.screens.case_group import CaseGroupScreen
from assistant.tui.screens.conversation import ConversationScreen
from assistant.tui.screens.corrections import MomentsScreen
from assistant.tui.screens.home import HomeScreen
from assistant.tui.screens.new_conversation import NewConversationScreen
from assistant.tui.screens.review import ReviewScreen
from assistant.tui.screens.review.coverage import CoveragePane
from assistant.tui.screens.summary import SummaryScreen

from tests.tui.helpers import fill, go_to, make_app, type_note
from tests.tui.helpers import choose_option as choose, confirm_prompt as confirm

QUERIES = ("The health record notes two missed appointments in March: what was happening then?",
           "Another account describes a handover call on a Friday evening.")


def screen_text(app) -> str:
    """Everything the terminal shows now, as plain text (read from the screenshot the app renders)."""
    svg = app.export_screenshot()
    runs = re.findall(r"<text[^>]*>(.*?)</text>", svg, flags=re.S)
    return html.unescape("".join(runs)).replace("\xa0", " ")


def assert_nothing_prepared_shown(app, showing: str) -> None:
    """Neither a prepared query nor any sign of how many there are, on a screen that does show `showing`."""
    shown = screen_text(app)
    assert showing in shown, shown
    assert "prepared" not in shown.lower(), shown
    assert not any(text[:25] in shown for text in QUERIES)


def cells(table) -> list[list[str]]:
    return [[str(getattr(cell, "plain", cell)) for cell in table.get_row_at(i)] for i in range(table.row_count)]






async def prepare_case(pilot) -> CaseGroupScreen:
    """P on the home screen: three members, two questions, a letter to the first."""
    await pilot.press("p")
    await pilot.pause()
    await choose(pilot, 0)
    screen = pilot.app.screen
    assert isinstance(screen, CaseGroupScreen)
    for role, agency in (("Health Visitor 1", "Community Health"), ("Social Worker 1", "Children's Services"),
                         ("GP 1", "Primary Care")):
        await pilot.press("a")
        await pilot.pause()
        await confirm(pilot, role=role, agency=agency)
    questions = screen.query_one("#questions")
    questions.focus()
    await pilot.pause()
    for text in ("How did agencies share what they knew about the baby's health?",
                 "What helped or hindered hearing the mother's own account?"):
        await pilot.press("a")
        await pilot.pause()
        await confirm(pilot, text=text)
    members = screen.query_one("#members")
    members.focus()
    members.move_cursor(row=0)
    await pilot.press("l")
    await pilot.pause()
    await choose(pilot, 1)  # Markdown, recorded as sent
    return screen


async def start_for_member(pilot, member_id: str) -> ConversationScreen:
    await pilot.press("n")
    await pilot.pause()
    assert isinstance(pilot.app.screen, NewConversationScreen)
    pilot.app.screen.query_one("#member").value = member_id
    await pilot.pause()
    await fill(pilot, lead="Reviewer A", second="Reviewer B")
    await pilot.press("ctrl+s")
    await pilot.pause()
    assert isinstance(pilot.app.screen, ConversationScreen)
    return pilot.app.screen


async def prepare_query(pilot, text: str, origin: str) -> None:
    await pilot.press("ctrl+o")
    await pilot.pause()
    assert isinstance(pilot.app.screen, MomentsScreen)
    await pilot.press("q")
    await pilot.pause()
    await confirm(pilot, text=text, origin=origin)
    await pilot.press("escape")
    await pilot.pause()


async def open_coverage(pilot) -> list[list[str]]:
    """The review workspace (V) at its Coverage tab: the table's rows as text."""
    await pilot.press("v")
    await pilot.pause()
    await pilot.press("enter")
    for _ in range(600):  # the pane loads in a worker and adds its rows in slices: wait, but not for ever
        await pilot.pause(0.05)
        screen = pilot.app.screen
        if isinstance(screen, ReviewScreen):
            pane, table = screen.query_one(CoveragePane), screen.query_one("#coverage-table")
            if pane.loaded and table.row_count == len(pane.loaded.rows):
                break
    assert isinstance(pilot.app.screen, ReviewScreen)
    return cells(pilot.app.screen.query_one("#coverage-table"))


def member_status(db, case_id: str, role: str) -> str:
    store = open_store(db)
    try:
        return next(m["status"] for m in list_members(store, case_id) if m["role"] == role)
    finally:
        store.close()


async def test_a_lead_prepares_a_case_and_the_pairs_queries_wait_for_the_own_account(tmp_path):
    db = tmp_path / "lt.db"
    store = open_store(db)
    case_id = add_case(store, "CSPR-2026-04", "Family A")
    store.close()
    app = make_app(db)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        group = await prepare_case(pilot)
        rows = cells(group.query_one("#members"))
        assert [r[0] for r in rows] == ["Health Visitor 1", "Social Worker 1", "GP 1"]
        assert rows[0][1] == "✉ letter sent"
        assert "2 not yet answered" in str(group.query_one("#prepare-title").render())
        letters = list((tmp_path / "exports").glob("letter-*.md"))
        assert len(letters) == 1 and "Health Visitor 1" in letters[0].read_text(encoding="utf-8")
        member_id = group.members[0]["id"]
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)

        screen = await start_for_member(pilot, member_id)
        assert screen.conversation.row["practitioner_role"] == "Health Visitor 1"
        assert member_status(db, case_id, "Health Visitor 1") == "held"
        await prepare_query(pilot, QUERIES[0], "R")
        await prepare_query(pilot, QUERIES[1], "A")
        assert isinstance(app.screen, ConversationScreen)

        # Before the gate: no query and no number of them on any screen.
        assert_nothing_prepared_shown(app, "Introduce yourselves")
        await pilot.press("ctrl+g")
        await pilot.pause()
        assert_nothing_prepared_shown(app, "Questions from the wider picture")  # the Go to list, locked
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("f12")
        await pilot.pause()
        assert isinstance(app.screen, SummaryScreen)
        assert_nothing_prepared_shown(app, "Coverage, prompt by prompt")
        structure_prompts = sum(len(s.prompts) for s in app.structure.sections)
        assert app.screen.query_one("#coverage").row_count == structure_prompts  # not even counted
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        coverage = await open_coverage(pilot)
        assert_nothing_prepared_shown(app, "Questions from the wider picture")
        assert len(coverage) == structure_prompts
        await pilot.press("escape")
        await pilot.pause()

        # The own account and a key moment open the gate.
        await pilot.press("enter")  # resume the conversation
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ConversationScreen)
        await go_to(pilot, "overview")
        await type_note(pilot, "She describes the first months of the case as a steady routine of visits.")
        assert_nothing_prepared_shown(app, "steady routine")
        await pilot.press("ctrl+o")
        await pilot.pause()
        await pilot.press("a")
        await pilot.pause()
        await fill(pilot, **{"field-title": "The March home visit", "field-when": "March"})
        await pilot.press("enter", "enter")
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        await go_to(pilot, "queries")
        assert screen.state.stop.section.id == "queries"  # no reason asked: the gate is open

        # Then they are prompts of Questions from the wider picture, after the structure's two.
        shown = []
        for _ in range(4):
            shown.append(str(screen.query_one("#prompt").render()))
            await pilot.press("f9")
            await pilot.pause()
        assert [QUERIES[0] in s for s in shown] == [False, False, True, False]
        assert [QUERIES[1] in s for s in shown] == [False, False, False, True]
        assert "Prompt 4 of 4 · a query the pair prepared" in shown[3]

        # The first is asked: the practitioner's answer is a note under it, then F10 marks it asked.
        await pilot.press("f8")
        await pilot.pause()
        assert QUERIES[0] in str(screen.query_one("#prompt").render())
        await type_note(pilot, "She recalls the appointments clashed with a child protection conference.")
        await pilot.press("f10")
        await pilot.pause()
        await choose(pilot, 0)  # Asked
        mark_key = next(k for k in screen.state.marks if k[1].startswith("prepared:"))
        assert screen.state.marks[mark_key] == "asked"

        # The summary: both queries, the asked one covered; then the record through checking.
        await pilot.press("f12")
        await pilot.pause()
        summary = app.screen.query_one("#coverage")
        rows = {r[3]: r[0] for r in cells(summary)}
        assert rows[QUERIES[0]] == "covered" and rows[QUERIES[1]] == "not reached"
        assert summary.row_count == structure_prompts + 2
        await pilot.press("ctrl+e")
        await pilot.pause()
        assert screen.conversation.row["status"] == "ended"
        assert member_status(db, case_id, "Health Visitor 1") == "held"
        await pilot.press("c")
        await pilot.pause()
        await choose(pilot, 0)
        assert member_status(db, case_id, "Health Visitor 1") == "sent_for_checking"
        await pilot.press("k")
        await pilot.pause()
        await choose(pilot, 0)
        assert member_status(db, case_id, "Health Visitor 1") == "checked"
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()

        # The review's coverage: the asked query covered, with its note, in its section.
        coverage = await open_coverage(pilot)
        prepared = [r for r in coverage if "Prepared:" in r[0]]
        assert len(prepared) == 2 and len(coverage) == structure_prompts + 2
        assert "two missed appointments" in prepared[0][0] and prepared[0][1].strip() == "✓ 1"
        assert prepared[1][1].strip() == "○"
        await pilot.press("escape")
        await pilot.pause()

        # The case group shows the member checked.
        await pilot.press("p")
        await pilot.pause()
        await choose(pilot, 0)
        rows = cells(app.screen.query_one("#members"))
        assert "checked" in rows[0][1]
        assert not any(str(n.message).startswith("An unexpected") for n in app._notifications)
