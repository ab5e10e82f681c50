"""A rehearsal conversation: every question is stored with its verdict, answer and any fact shared, so the
practitioner's memory and trust, and the debrief, come from exactly what was asked."""

from __future__ import annotations

import json
from typing import Any

from assistant.cases import add_case, find_case
from assistant.conversation import Conversation, create_conversation
from assistant.rehearsal.practitioner import Memory, PastTurn, Reply, respond
from assistant.safe_text import clean_input
from assistant.scenario import Scenario
from assistant.store import Store, StoreError, new_id, now
from assistant.structure import Structure

REHEARSAL_CASE_PREFIX = "REHEARSAL-"


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


class Rehearsal:
    """A rehearsal conversation and its scenario, remembering what has been asked and shared."""

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

    def memory(self) -> Memory:
        return Memory(tuple(PastTurn(q["question"], q["kind"], q["section_id"], q["answer"], tuple(q["facts"]))
                            for q in self.questions()))

    def revealed(self) -> set[str]:
        return self.memory().revealed

    def ask(self, question: str) -> Reply:
        question = clean_input(question).text.strip()
        if not question:
            raise StoreError("Type the question you would ask.")
        stop = self.conversation.walk.current_stop()
        reply = respond(self.scenario, self.structure, question, stop.section.id,
                        stop.episode_index if stop.episode else None, self.memory())
        with self.store.write() as conn:
            conn.execute(
                "INSERT INTO questions (id, conversation_id, section_id, episode_id, question, kind, kinds, answer,"
                " facts, asked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (new_id(), self.conversation.id, stop.section.id, stop.episode["id"] if stop.episode else None,
                 question, reply.verdict.kind, json.dumps(list(reply.verdict.kinds)), reply.answer,
                 json.dumps(list(reply.facts)), now()),
            )
        return reply
