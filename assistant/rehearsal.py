"""Rehearsal: a simulated practitioner who answers from a scenario, and the trainer's debrief.

The practitioner answers fuller to open questions, briefly to closed ones and guardedly to blaming
ones; hidden facts come out only to an open question that touches one of their topics. Every question
is stored with its coach verdict, so the debrief counts exactly what was asked.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

from assistant.cases import add_case, find_case
from assistant.coach import KINDS, Verdict, classify
from assistant.conversation import Conversation, create_conversation
from assistant.exports.document import Document
from assistant.safe_text import clean_input
from assistant.store import Store, StoreError, new_id, now
from assistant.structure import Scenario, Structure

REHEARSAL_CASE_PREFIX = "REHEARSAL-"


@dataclass(frozen=True)
class Reply:
    answer: str
    verdict: Verdict
    facts: tuple[str, ...]


def start_rehearsal(store: Store, structure: Structure, scenario: Scenario, trainee: str = "Trainee") -> str:
    """A rehearsal conversation (mode 'rehearsal') against the scenario's fictional practitioner."""
    reference = f"{REHEARSAL_CASE_PREFIX}{scenario.id}"[:40]
    with store.write():  # the rehearsal case and its conversation together, or neither
        case = find_case(store, reference)
        case_id = case["id"] if case else add_case(store, reference, f"Rehearsal: {scenario.title}"[:200],
                                                   actor="trainer")
        return create_conversation(
            store, structure, case_id=case_id, practitioner_role=scenario.practitioner.role,
            agency=scenario.practitioner.agency, lead_interviewer=trainee, second_interviewer="",
            mode="rehearsal", scenario_id=scenario.id, actor="trainer",
        )


def _touches(topic: str, text: str) -> bool:
    return re.search(r"(?<![\w])" + re.escape(topic.lower()), text) is not None


def respond(scenario: Scenario, structure: Structure, question: str, section_id: str,
            episode_index: int | None, revealed: set[str]) -> Reply:
    """What the simulated practitioner says to one question at one point in the conversation."""
    verdict = classify(question, structure.coach)
    moment = scenario.moments[episode_index] if episode_index is not None and episode_index < len(scenario.moments) \
        else None
    answer_set = scenario.answer_for(section_id)
    if verdict.kind == "hindsight":
        answer = answer_set.guarded if answer_set else "I did what I thought was right at the time."
        return Reply(answer, verdict, ())
    if section_id in ("mindset", "influences") and moment is not None:
        full = moment.mindset if section_id == "mindset" else moment.influences
        brief = full.split(". ")[0].rstrip(".") + "."
    elif answer_set:
        full, brief = answer_set.open, answer_set.closed
    else:
        full = brief = "I'm not sure what to say about that."
    if verdict.kind == "closed":
        return Reply(brief, verdict, ())
    text = question.lower()
    facts = []
    if verdict.kind == "open":
        for fact in scenario.facts:
            if fact.id in revealed or (fact.sections and section_id not in fact.sections):
                continue
            if any(_touches(topic, text) for topic in fact.topics):
                facts.append(fact)
    answer = full + "".join(f" {f.text}" for f in facts)
    return Reply(answer, verdict, tuple(f.id for f in facts))


class Rehearsal:
    """A rehearsal conversation and its scenario, remembering what has been asked and revealed."""

    def __init__(self, store: Store, structure: Structure, scenario: Scenario, conversation_id: str) -> None:
        self.store = store
        self.structure = structure
        self.scenario = scenario
        self.conversation = Conversation(store, structure, conversation_id, actor="trainee")
        if not self.conversation.is_rehearsal:
            raise StoreError("That conversation is not a rehearsal.")

    def questions(self) -> list[dict[str, Any]]:
        rows = self.store.query("SELECT * FROM questions WHERE conversation_id = ? ORDER BY asked_at, rowid",
                                (self.conversation.id,))
        for row in rows:
            row["kinds"] = json.loads(row["kinds"])
            row["facts"] = json.loads(row["facts"])
        return rows

    def revealed(self) -> set[str]:
        return {f for q in self.questions() for f in q["facts"]}

    def ask(self, question: str) -> Reply:
        question = clean_input(question).text.strip()
        if not question:
            raise StoreError("Type the question you would ask.")
        stop = self.conversation.walk.current_stop()
        reply = respond(self.scenario, self.structure, question, stop.section.id,
                        stop.episode_index if stop.episode else None, self.revealed())
        with self.store.write() as conn:
            conn.execute(
                "INSERT INTO questions (id, conversation_id, section_id, episode_id, question, kind, kinds, answer,"
                " facts, asked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (new_id(), self.conversation.id, stop.section.id, stop.episode["id"] if stop.episode else None,
                 question, reply.verdict.kind, json.dumps(list(reply.verdict.kinds)), reply.answer,
                 json.dumps(list(reply.facts)), now()),
            )
        return reply


def debrief(rehearsal: Rehearsal) -> dict[str, Any]:
    """Figures for the trainer: time, coverage, facts surfaced and missed, question kinds, flagged questions."""
    coverage = rehearsal.conversation.coverage()
    questions = rehearsal.questions()
    kinds = Counter(q["kind"] for q in questions)
    revealed = rehearsal.revealed()
    flagged = []
    for q in questions:
        if q["kind"] != "open":
            verdict = classify(q["question"], rehearsal.structure.coach)
            flagged.append({"question": q["question"], "kind": q["kind"], "suggestion": verdict.suggestion,
                            "triggers": [t.words for t in verdict.triggers]})
    sections_covered = sorted({e.section.id for e in coverage.sections if e.state == "covered"},
                              key=[s.id for s in rehearsal.structure.sections].index)
    return {
        "scenario": rehearsal.scenario.title,
        "questions": len(questions),
        "kinds": {k: kinds.get(k, 0) for k in KINDS},
        "open_share": (kinds.get("open", 0) / len(questions)) if questions else 0.0,
        "seconds_by_section": coverage.seconds_by_section,
        "total_seconds": coverage.total_seconds,
        "sections_covered": sections_covered,
        "prompts_covered": sum(1 for p in coverage.prompts if p.state == "covered"),
        "prompts_total": len(coverage.prompts),
        "facts_surfaced": [f.id for f in rehearsal.scenario.facts if f.id in revealed],
        "facts_missed": [f.id for f in rehearsal.scenario.facts if f.id not in revealed],
        "flagged": flagged,
    }


def debrief_document(rehearsal: Rehearsal) -> Document:
    figures = debrief(rehearsal)
    structure = rehearsal.structure
    facts = {f.id: f.text for f in rehearsal.scenario.facts}
    doc = Document()
    doc.heading(f"Rehearsal debrief: {figures['scenario']}")
    doc.paragraph("REHEARSAL: a fictional practitioner. Not part of any review.", italic=True)
    doc.heading("Questions asked", 2)
    doc.table(["Kind", "Count"], [[k, str(figures["kinds"][k])] for k in KINDS]
              + [["all", str(figures["questions"])]])
    doc.paragraph(f"Open questions: {figures['open_share']:.0%} of all questions.")
    doc.heading("Coverage", 2)
    doc.paragraph(f"{figures['prompts_covered']} of {figures['prompts_total']} prompts covered.")
    doc.table(["Section", "Covered", "Time (min:s)"], [
        [s.title, "yes" if s.id in figures["sections_covered"] else "no",
         _minutes(figures["seconds_by_section"].get(s.id, 0.0))] for s in structure.sections])
    doc.heading("What the practitioner could have told you", 2)
    for fact_id in figures["facts_surfaced"]:
        doc.bullet(facts[fact_id], "Surfaced:")
    for fact_id in figures["facts_missed"]:
        doc.bullet(facts[fact_id], "Not surfaced:")
    doc.heading("Questions to practise again", 2)
    if not figures["flagged"]:
        doc.paragraph("Every question was open. Well done.")
    for item in figures["flagged"]:
        doc.bullet(f"{item['question']} → {item['suggestion']}", f"{item['kind']}:")
    return doc


def _minutes(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 60}:{seconds % 60:02d}"
