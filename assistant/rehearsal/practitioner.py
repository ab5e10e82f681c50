"""The simulated practitioner: answers the question asked, remembers what was said, and trusts more or less.

The answer is chosen first by what the question is about (a fact whose topics it touches, or something
the practitioner could not have known then), then by its kind (blame is met guardedly, closed and leading
questions briefly), then by the section of the conversation. Trust rises with open questions and falls
with blaming or leading ones; it decides how fully the practitioner answers and what they will share.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from assistant.coach import Verdict, classify
from assistant.scenario import Scenario, ScenarioFact
from assistant.structure import Structure

TRUST_START, TRUST_MAX = 2, 4
TRUST_LABELS = ("closed off", "guarded", "cautious", "open", "very open")
# How each kind of question moves trust: blame costs most, an open question earns a little.
TRUST_CHANGE = {"open": 1, "closed": 0, "multiple": 0, "leading": -1, "hindsight": -2}
AS_I_SAID = "As I said, "
# Said when the only answer left would repeat the one just given.
NOTHING_TO_ADD = ("I'm not sure I can add much more to that.", "I think I've told you what I remember about that.")
MOMENT_SECTIONS = ("mindset", "influences")


@dataclass(frozen=True)
class PastTurn:
    question: str
    kind: str
    section_id: str
    answer: str
    facts: tuple[str, ...] = ()


@dataclass(frozen=True)
class Memory:
    """What the practitioner remembers of the conversation so far, oldest first."""

    turns: tuple[PastTurn, ...] = field(default_factory=tuple)

    @property
    def revealed(self) -> set[str]:
        return {f for turn in self.turns for f in turn.facts}

    def trust_over_time(self) -> list[int]:
        """Trust after each turn, starting from `TRUST_START`."""
        levels, trust = [], TRUST_START
        for turn in self.turns:
            trust = _moved(trust, turn.kind)
            levels.append(trust)
        return levels

    @property
    def trust(self) -> int:
        levels = self.trust_over_time()
        return levels[-1] if levels else TRUST_START

    @property
    def last_answer(self) -> str | None:
        return self.turns[-1].answer if self.turns else None


@dataclass(frozen=True)
class Reply:
    answer: str
    verdict: Verdict
    facts: tuple[str, ...]
    trust: int = TRUST_START


def _moved(trust: int, kind: str) -> int:
    return max(0, min(TRUST_MAX, trust + TRUST_CHANGE.get(kind, 0)))


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text[:2] != "I " and text[:2] != "I'" else text


def _first_sentence(text: str) -> str:
    return re.split(r"(?<=[.!?])\s+", text.strip())[0]


def _normalised(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\u2019", "'").lower()).strip(" ?.!")


def touches(topics: tuple[str, ...], question: str) -> int:
    """How strongly a question touches a list of topics: the length of every topic it contains (a topic
    matches at the start of a word, so 'refer' reaches 'referral')."""
    text = _normalised(question)
    return sum(len(t) for t in topics if re.search(r"(?<![\w])" + re.escape(t.lower()), text))


def _facts_touched(scenario: Scenario, question: str, section_id: str) -> list[tuple[int, ScenarioFact]]:
    """Facts the question is about, most strongly first; the current section breaks ties."""
    scored = [(touches(f.topics, question), f) for f in scenario.facts]
    ranked = sorted(((s, i, f) for i, (s, f) in enumerate(scored) if s),
                    key=lambda item: (-item[0], item[2].section != section_id, item[1]))
    return [(s, f) for s, _, f in ranked]


def _section_answers(scenario: Scenario, section_id: str, episode_index: int | None) -> tuple[list[str], str, str]:
    """(full answers in order, brief answer, guarded answer) for the section, or the key moment's own."""
    answer_set = scenario.answer_for(section_id)
    guarded = answer_set.guarded if answer_set else "I did what I thought was right at the time."
    if section_id in MOMENT_SECTIONS and episode_index is not None and episode_index < len(scenario.moments):
        moment = scenario.moments[episode_index]
        full = moment.mindset if section_id == "mindset" else moment.influences
        return [full], _first_sentence(full), guarded
    if answer_set:
        return [answer_set.open, *answer_set.more], answer_set.closed, guarded
    return ["I'm not sure what to say about that."], "I'm not sure.", guarded


def _by_topic(scenario: Scenario, question: str, kind: str, section_id: str, trust: int,
              memory: Memory) -> tuple[str, tuple[str, ...]] | None:
    """The answer to what the question is about, when it is about a fact or an unknown."""
    touched = _facts_touched(scenario, question, section_id)
    unknown = max(((touches(u.topics, question), u) for u in scenario.unknowns), key=lambda p: p[0],
                  default=(0, None))
    if unknown[1] is not None and unknown[0] > (touched[0][0] if touched else 0):
        return unknown[1].text, ()
    if not touched:
        return None
    revealed = memory.revealed
    for _, fact in touched:
        if fact.id not in revealed and kind in fact.kinds and trust >= fact.needs_trust:
            return fact.text, (fact.id,)
    best = touched[0][1]
    if best.id in revealed:
        return AS_I_SAID + _lower_first(best.text), ()
    if best.brief and kind in ("closed", "leading"):
        return best.brief, ()
    return None  # about a fact not yet unlocked: answered by kind and section, giving nothing away


def _by_section(full: list[str], brief: str, guarded: str, kind: str, trust: int, section_id: str,
                memory: Memory) -> str:
    if kind in ("closed", "leading") or trust == 1:
        return brief
    if trust == 0:
        return guarded
    said = [t.answer for t in memory.turns if t.section_id == section_id]
    for answer in full:
        if not any(earlier.startswith(answer) for earlier in said):  # said already, perhaps with more after it
            return answer
    return AS_I_SAID + _lower_first(_first_sentence(full[0]))


def _raised(scenario: Scenario, section_id: str, trust: int, memory: Memory) -> str:
    """Something the practitioner brings up unasked, once, when the section has run long enough."""
    asked_here = 1 + sum(1 for t in memory.turns if t.section_id == section_id)
    for raised in scenario.raises:
        if raised.section == section_id and asked_here >= raised.after and trust >= raised.needs_trust \
                and not any(raised.text in t.answer for t in memory.turns):
            return raised.text
    return ""


def respond(scenario: Scenario, structure: Structure, question: str, section_id: str,
            episode_index: int | None, memory: Memory | None = None) -> Reply:
    """What the simulated practitioner says to one question at one point in the conversation."""
    memory = memory or Memory()
    verdict = classify(question, structure.coach)
    trust = _moved(memory.trust, verdict.kind)
    full, brief, guarded = _section_answers(scenario, section_id, episode_index)
    facts: tuple[str, ...] = ()
    earlier = next((t for t in reversed(memory.turns) if _normalised(t.question) == _normalised(question)), None)
    if verdict.kind == "hindsight":
        answer = guarded
    elif earlier is not None and not earlier.answer.startswith(AS_I_SAID):
        answer = AS_I_SAID + _lower_first(_first_sentence(earlier.answer))
    else:
        topical = _by_topic(scenario, question, verdict.kind, section_id, trust, memory)
        if topical:
            answer, facts = topical
        else:
            answer = _by_section(full, brief, guarded, verdict.kind, trust, section_id, memory)
            if verdict.kind == "open" and (extra := _raised(scenario, section_id, trust, memory)):
                answer = f"{answer} {extra}"
    if answer == memory.last_answer:
        answer = next(line for line in NOTHING_TO_ADD if line != memory.last_answer)
    return Reply(answer, verdict, facts, trust)
