"""The question coach: what kind of question was asked, and a gentler way to ask it.

Pure functions over the structure's word lists (`[coach]` in the structure file). Kinds, from most to
least serious: hindsight (hindsight or blame language), leading, multiple, closed; otherwise open.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from functools import lru_cache

from assistant.structure import CoachWords, Structure

KINDS = ("hindsight", "leading", "multiple", "closed", "open")
SEVERITY = ("hindsight", "leading", "multiple", "closed")
_FILLERS = {"so", "and", "ok", "okay", "right", "well", "now", "just", "then", "but", "um", "er", "erm"}
_CLAUSE_JOIN = re.compile(
    r"\b(?:and|or|also)\s+(?:then\s+)?(?:what|how|why|who|when|where|did|do|does|was|were|is|are|could|would|"
    r"can|have|had)\b"
)


@dataclass(frozen=True)
class Trigger:
    kind: str
    words: str


@dataclass(frozen=True)
class Verdict:
    """The most serious kind, every kind that applies, what triggered each, and a suggestion."""

    kind: str
    kinds: tuple[str, ...]
    triggers: tuple[Trigger, ...] = field(default_factory=tuple)
    suggestion: str = ""

    def as_json(self) -> dict:
        data = asdict(self)
        data["kinds"] = list(self.kinds)
        data["triggers"] = [asdict(t) for t in self.triggers]
        return data


def _normalise(text: str) -> str:
    text = text.replace("\u2019", "'").replace("\u2018", "'").lower()
    return re.sub(r"\s+", " ", text).strip()


@lru_cache(maxsize=64)
def _phrase_pattern(phrases: tuple[str, ...]) -> re.Pattern[str]:
    ordered = sorted({_normalise(p) for p in phrases}, key=len, reverse=True)
    return re.compile(r"(?<![\w'])(?:" + "|".join(re.escape(p) for p in ordered) + r")(?![\w'])")


def _find(phrases: tuple[str, ...], text: str) -> list[str]:
    return [m.group(0) for m in _phrase_pattern(phrases).finditer(text)]


def _without_fillers(text: str) -> str:
    """The question without opening fillers ("so", "and", "okay" …)."""
    tokens = text.split(" ")
    while tokens and tokens[0].strip(",.") in _FILLERS:
        tokens = tokens[1:]
    return " ".join(tokens).strip(" ,.")


def _starter(words: CoachWords, text: str) -> tuple[str | None, str]:
    """Which list the question's opening words belong to: ('open'|'closed'|None, the words)."""
    opening = _without_fillers(text)
    best: tuple[int, str | None, str] = (0, None, "")
    for kind, phrases in (("open", words.open_starters), ("closed", words.closed_starters)):
        for phrase in phrases:
            phrase = _normalise(phrase)
            if opening == phrase or opening.startswith(phrase + " ") or opening.startswith(phrase + ","):
                if len(phrase) > best[0] or (len(phrase) == best[0] and kind == "open"):
                    best = (len(phrase), kind, phrase)
    return best[1], best[2]


def _first_question(question: str) -> str:
    """The first of several questions, to suggest asking on its own."""
    head = question.split("?")[0]
    match = _CLAUSE_JOIN.search(head.lower())
    if match:
        head = head[: match.start()]
    return head.strip(" ,;") + "?"


def classify(question: str, words: CoachWords) -> Verdict:
    """Classify one question; see the module docstring for the order of seriousness."""
    text = _normalise(question)
    triggers: list[Trigger] = []
    for phrase in _find(words.hindsight, text):
        triggers.append(Trigger("hindsight", phrase))
    for phrase in _find(words.leading, text):
        # "why didn't you" is hindsight; its tail "didn't you" is not also leading.
        if not any(phrase in t.words for t in triggers if t.kind == "hindsight"):
            triggers.append(Trigger("leading", phrase))
    questions = text.count("?")
    if questions >= 2:
        triggers.append(Trigger("multiple", f"{questions} question marks"))
    else:
        join = _CLAUSE_JOIN.search(_without_fillers(text))
        if join and join.start() > 0:  # "And how did that feel?" is one question
            triggers.append(Trigger("multiple", join.group(0)))
    starter_kind, starter = _starter(words, text)
    if starter_kind == "closed":
        triggers.append(Trigger("closed", starter))
    elif starter_kind is None and text.endswith("?") and not any(t.kind == "leading" for t in triggers):
        triggers.append(Trigger("closed", "a statement asked as a yes/no question"))
    kinds = tuple(k for k in SEVERITY if any(t.kind == k for t in triggers)) or ("open",)
    kind = kinds[0]
    return Verdict(kind, kinds, tuple(triggers), _suggest(kind, question, words))


def _suggest(kind: str, question: str, words: CoachWords) -> str:
    if kind == "open":
        return ""
    if kind == "multiple":
        return words.suggestions.multiple + f"\"{_first_question(question.strip())}\""
    return getattr(words.suggestions, kind)


def note_hints(structure: Structure, text: str) -> list[str]:
    """Gentle hints when a note uses hindsight or blame language; never a block."""
    found = _find(structure.coach.hindsight, _normalise(text[-5000:]))
    if not found:
        return []
    phrases = ", ".join(f"\u201c{p}\u201d" for p in dict.fromkeys(found))
    return [f"{phrases} can carry hindsight. Could it be written as what was happening at the time?"]
