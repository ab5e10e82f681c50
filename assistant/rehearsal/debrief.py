"""The trainer's debrief: what was asked, which prompts the questions (or notes) covered, the facts that
surfaced and those that never did, how trust moved, and a better wording for every flagged question."""

from __future__ import annotations

import re
from collections import Counter
from typing import TYPE_CHECKING, Any

from assistant.coach import KINDS, classify
from assistant.exports.document import Document
from assistant.rehearsal.practitioner import TRUST_LABELS, TRUST_START

if TYPE_CHECKING:
    from assistant.rehearsal.session import Rehearsal
    from assistant.structure import Prompt, Structure

# Words that carry no meaning of their own when comparing a question with a prompt.
_STOPWORDS = frozenset("""
a an and any are as at be did do does for from had has have how i in is it me of on or so than that the
their them then there these they this those to us was we were what when where which who why with you
your yours can could would will just about tell
""".split())
# A question covers a prompt when it carries at least two of the prompt's own words and this share of them
# (a word counts when it begins the same way: "understood" and "understand").
CLOSE_ENOUGH = 0.5


def _stems(text: str) -> set[str]:
    words = re.findall(r"[a-z']+", text.lower().replace("\u2019", "'"))
    return {w[:6] for w in words if w not in _STOPWORDS and len(w) > 2}


def asks_prompt(question: str, prompt: "Prompt") -> bool:
    """Whether a question asks a prompt, in its own words or close to them."""
    wanted = _stems(prompt.text)
    if not wanted:
        return False
    shared = wanted & _stems(question)
    return len(shared) >= min(2, len(wanted)) and len(shared) / len(wanted) >= CLOSE_ENOUGH


def prompts_asked(structure: "Structure", questions: list[str]) -> set[tuple[str, str]]:
    """(section id, prompt id) of every prompt some question asked."""
    return {(section.id, prompt.id) for section in structure.sections for prompt in section.prompts
            if any(asks_prompt(q, prompt) for q in questions)}


def debrief(rehearsal: "Rehearsal") -> dict[str, Any]:
    """Figures for the trainer: time, coverage, facts surfaced and missed, trust, flagged questions."""
    structure = rehearsal.structure
    coverage = rehearsal.conversation.coverage()
    questions = rehearsal.questions()
    memory = rehearsal.memory()
    kinds = Counter(q["kind"] for q in questions)
    revealed = memory.revealed
    flagged = []
    for q in questions:
        if q["kind"] != "open":
            verdict = classify(q["question"], structure.coach)
            flagged.append({"question": q["question"], "kind": q["kind"], "suggestion": verdict.suggestion,
                            "triggers": [t.words for t in verdict.triggers]})
    sections_covered = sorted({e.section.id for e in coverage.sections if e.state == "covered"},
                              key=[s.id for s in structure.sections].index)
    noted = {(p.section.id, p.prompt.id) for p in coverage.prompts if p.state == "covered"}
    asked = prompts_asked(structure, [q["question"] for q in questions])
    all_prompts = [(s.id, p.id) for s in structure.sections for p in s.prompts]
    trust = memory.trust_over_time()
    return {
        "scenario": rehearsal.scenario.title,
        "questions": len(questions),
        "kinds": {k: kinds.get(k, 0) for k in KINDS},
        "open_share": (kinds.get("open", 0) / len(questions)) if questions else 0.0,
        "seconds_by_section": coverage.seconds_by_section,
        "total_seconds": coverage.total_seconds,
        "sections_covered": sections_covered,
        "prompts_covered": sum(1 for key in all_prompts if key in noted or key in asked),
        "prompts_asked": [f"{s}.{p}" for s, p in all_prompts if (s, p) in asked],
        "prompts_total": len(all_prompts),
        "facts_surfaced": [f.id for f in rehearsal.scenario.facts if f.id in revealed],
        "facts_missed": [f.id for f in rehearsal.scenario.facts if f.id not in revealed],
        "trust": {"start": TRUST_START, "after_each_question": trust,
                  "end": trust[-1] if trust else TRUST_START, "labels": list(TRUST_LABELS)},
        "flagged": flagged,
    }


def debrief_document(rehearsal: "Rehearsal") -> Document:
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
    doc.paragraph("Trust over the conversation: " + trust_line(figures) + ".")
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


def trust_line(figures: dict[str, Any]) -> str:
    """Trust from the start through every question, as numbers out of four, with the final word."""
    trust = figures["trust"]
    steps = " → ".join(str(level) for level in [trust["start"], *trust["after_each_question"]])
    return f"{steps} (of 4; ended {TRUST_LABELS[trust['end']]})"


def _minutes(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 60}:{seconds % 60:02d}"
