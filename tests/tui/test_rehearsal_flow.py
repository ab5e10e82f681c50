"""A whole rehearsal through the app: questions, coaching beside each, notes, then the debrief."""

from __future__ import annotations

import json
import re
import sqlite3

import pytest

from assistant.structure import list_scenarios, load_structure
from assistant.tui.screens.rehearsal import DebriefScreen, RehearsalScreen

from tests.tui.helpers import fill, make_app, type_note

SCENARIOS = {s.id: s for s in list_scenarios(load_structure())}
BY_TITLE = sorted(SCENARIOS, key=lambda i: SCENARIOS[i].title)


async def choose(pilot, scenario_id: str) -> None:
    """From home: the rehearsal list (t), then the scenario, listed by title."""
    await pilot.press("t")
    await pilot.pause()
    for _ in range(BY_TITLE.index(scenario_id)):
        await pilot.press("down")
    await pilot.press("enter")
    await pilot.pause()


async def ask(pilot, question: str) -> None:
    """Type a question and press Enter; wait until it is stored (a loaded machine can be slow)."""
    screen = pilot.app.screen
    asked = len(screen.rehearsal.questions())
    await fill(pilot, question=question)
    screen.query_one("#question").focus()
    await pilot.press("enter")
    for _ in range(100):
        await pilot.pause()
        if len(screen.rehearsal.questions()) > asked:
            break
        await pilot.pause(0.05)
    assert len(screen.rehearsal.questions()) == asked + 1, f"not asked: {question}"


async def test_a_rehearsal_ends_in_a_debrief_that_counts_what_was_asked(tmp_path):
    db = tmp_path / "lt.db"
    app = make_app(db)
    async with app.run_test(size=(100, 32)) as pilot:
        await choose(pilot, "health-visitor-housing")
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


# Twenty questions for each scenario: the same conversation shape, with questions about each scenario's
# own facts (reached), something the practitioner could not have known, blame, a leading tag and a repeat.
COMMON_OPENING = ["Thank you for coming. How are you feeling about today?", "What would help you feel comfortable?",
                  "Did you get the letter about today?", "What was that like?", "Is there anything you want to ask us first?"]
BLAME = "Why didn't you do more?"
SPECIFIC = {
    "probation-fax": ["What happened after you sent the form?", "What did you expect to hear back?",
                      "How are the children now?", "What was your caseload like?"],
    "health-visitor-housing": ["What do you remember about the baby's clinic appointments?",
                               "What was your caseload like then?", "How is the baby now?",
                               "How did supervision help you think about it?"],
    "school-dsl-thresholds": ["What did the breakfast club staff notice?",
                              "How did the school's logging system show the concerns?",
                              "How is he getting on at his new school?",
                              "What was it like fitting the DSL role around your teaching?"],
    "paediatric-registrar-bruise": ["How did you go about examining him?",
                                    "How was the department staffed that night?",
                                    "What happened at home between the two visits?",
                                    "What did you make of his development?"],
}


def script(scenario_id: str) -> list[str]:
    first, second, unknown, third = SPECIFIC[scenario_id]
    return [
        "Tell us about the family and your involvement with them.", "What else was going on for you then?",
        "What was happening for you at that point?", first, BLAME, "That sounds like a lot to carry. How did it feel?",
        second, "Was that usual?", "What else was going on for you then?", "How did that feel at the time?", unknown,
        "It was a difficult time, wasn't it?", third, "What stands out for you now when you think about it?",
        "What would you want other practitioners to know?",
    ]


def trust_on_screen(screen) -> int:
    return int(re.search(r"Trust: [a-z ]+ \((\d) of 4\)", str(screen.query_one("#transcript-text").render())).group(1))


@pytest.mark.parametrize("scenario_id", sorted(SPECIFIC))
async def test_twenty_questions_answers_follow_topics(tmp_path, scenario_id):
    assert set(SPECIFIC) == set(SCENARIOS)  # every shipped scenario is rehearsed here
    scenario = SCENARIOS[scenario_id]
    db = tmp_path / "lt.db"
    app = make_app(db)
    async with app.run_test(size=(100, 32)) as pilot:
        await choose(pilot, scenario_id)
        screen = app.screen
        assert isinstance(screen, RehearsalScreen) and screen.scenario.id == scenario_id
        for question in COMMON_OPENING:
            await ask(pilot, question)
        await pilot.press("ctrl+n")
        await pilot.pause()
        for question in script(scenario_id):
            before = trust_on_screen(screen)
            await ask(pilot, question)
            if question == BLAME:
                assert trust_on_screen(screen) < before, "blame lowers trust"
        transcript = str(screen.query_one("#transcript-text").render())
    rows = sqlite3.connect(db).execute("SELECT question, kind, section_id, answer, facts FROM questions"
                                       " ORDER BY asked_at, rowid").fetchall()
    assert len(rows) == 20
    answers = [row[3] for row in rows]
    assert all(a != b for a, b in zip(answers, answers[1:])), "no answer twice in a row"
    assert answers[-1][:60] in transcript.replace("\n", " ") or answers[-1][:30] in transcript
    facts = {f.id: f for f in scenario.facts}
    surfaced = []
    for question, kind, _section, answer, fact_ids in rows:
        for fact_id in json.loads(fact_ids):
            surfaced.append(fact_id)
            assert any(topic.lower() in question.lower() for topic in facts[fact_id].topics), (question, fact_id)
            assert facts[fact_id].text in answer
        for fact in scenario.facts:  # a fact's words come only with it, or as a reminder of it
            if fact.text in answer and fact.id not in json.loads(fact_ids):
                assert answer.startswith("As I said") and fact.id in surfaced, (question, answer)
    assert len(surfaced) >= 2 and len(set(surfaced)) == len(surfaced)
    blame = next(row for row in rows if row[0] == BLAME)
    assert blame[1] == "hindsight" and blame[3] == scenario.answer_for("overview").guarded
    repeat = [row for row in rows if row[0] == "What else was going on for you then?"]
    assert repeat[1][3].startswith("As I said")
    unknown = next(row for row in rows if row[0] == SPECIFIC[scenario_id][2])
    assert "don't know" in unknown[3] and json.loads(unknown[4]) == []
