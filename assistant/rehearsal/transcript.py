"""A whole rehearsal from a list of questions: for the command line (trainers, tests) and its printout.

One question a line; a line such as "[overview]" moves to that section first; blank lines and lines
starting with "#" are passed over.
"""

from __future__ import annotations

import re
from typing import Any, Iterable

from assistant.errors import LearningTogetherError
from assistant.rehearsal.debrief import debrief, trust_line
from assistant.rehearsal.practitioner import TRUST_LABELS
from assistant.rehearsal.session import Rehearsal, start_rehearsal
from assistant.scenario import Scenario
from assistant.store import Store
from assistant.structure import Structure, list_scenarios

SECTION_LINE = re.compile(r"^\[\s*([a-z][a-z0-9_\-]{0,63})\s*\]$")
MAX_QUESTIONS = 500


class RehearsalError(LearningTogetherError):
    """A rehearsal that cannot run as asked: an unknown scenario or too many questions."""


def find_scenario(structure: Structure, scenario_id: str) -> Scenario:
    scenarios = {s.id: s for s in list_scenarios(structure)}
    if scenario_id not in scenarios:
        raise RehearsalError(f"There is no rehearsal scenario '{scenario_id}'; the scenarios are: "
                             f"{', '.join(sorted(scenarios))}.")
    return scenarios[scenario_id]


def rehearse_lines(store: Store, structure: Structure, scenario: Scenario, lines: Iterable[str]) -> dict[str, Any]:
    """Ask every question in turn; `{"turns": [...], "debrief": {...}}`."""
    rehearsal = Rehearsal(store, structure, scenario, start_rehearsal(store, structure, scenario))
    facts = {f.id: f.text for f in scenario.facts}
    turns: list[dict[str, Any]] = []
    for line in lines:
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if match := SECTION_LINE.match(line):
            rehearsal.conversation.walk.go_to(match.group(1), override_reason="rehearsal: moved on by the trainer")
            continue
        if len(turns) >= MAX_QUESTIONS:
            raise RehearsalError(f"A rehearsal takes at most {MAX_QUESTIONS} questions.")
        section = rehearsal.conversation.walk.current_stop().section.id
        reply = rehearsal.ask(line)
        turns.append({
            "section": section, "question": line, "kind": reply.verdict.kind, "kinds": list(reply.verdict.kinds),
            "suggestion": reply.verdict.suggestion, "answer": reply.answer,
            "facts": [{"id": f, "text": facts[f]} for f in reply.facts],
            "trust": reply.trust, "trust_label": TRUST_LABELS[reply.trust],
        })
    return {"scenario": scenario.id, "turns": turns, "debrief": debrief(rehearsal)}


def transcript_text(result: dict[str, Any]) -> str:
    """The rehearsal as plain text: each question with its verdict, the answer, any fact; then the debrief."""
    lines = []
    for turn in result["turns"]:
        lines.append(f"You ({turn['section']}): {turn['question']}  [{turn['kind']}]")
        if turn["suggestion"]:
            lines.append(f"Coach: {turn['suggestion']}")
        lines.append(f"Practitioner: {turn['answer']}")
        lines += [f"  (fact surfaced: {fact['id']})" for fact in turn["facts"]]
        lines.append("")
    figures = result["debrief"]
    lines.append(f"Debrief: {figures['scenario']}")
    lines.append(f"  {figures['questions']} questions: "
                 + ", ".join(f"{kind} {n}" for kind, n in figures["kinds"].items()))
    lines.append(f"  {figures['prompts_covered']} of {figures['prompts_total']} prompts covered.")
    lines.append(f"  Facts surfaced: {', '.join(figures['facts_surfaced']) or 'none'}; "
                 f"not surfaced: {', '.join(figures['facts_missed']) or 'none'}.")
    lines.append(f"  Trust: {trust_line(figures)}.")
    for item in figures["flagged"]:
        lines.append(f"  Practise again ({item['kind']}): {item['question']} → {item['suggestion']}")
    return "\n".join(lines) + "\n"
