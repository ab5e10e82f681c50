"""The question coach: what kind of question was asked, and a gentler way to ask it.

Pure functions over the structure's word lists and shapes (`[coach]` and `[coach.shapes]` in the structure
file). Kinds, from most to least serious: hindsight (hindsight or blame, in words or in the shape of a
negated "why wasn't…" question), leading (including tag questions), multiple, closed; otherwise open.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from functools import lru_cache

from assistant.structure import CoachWords, Structure

KINDS = ("hindsight", "leading", "multiple", "closed", "open")
SEVERITY = ("hindsight", "leading", "multiple", "closed")
_FILLERS = {"so", "and", "ok", "okay", "right", "well", "now", "just", "then", "but", "um", "er", "erm"}
# "Missed" next to one of these is a plain fact about attendance ("when the appointments were missed"), not
# blame; "missed the signs", "you missed" and "we missed" still are.
_ATTENDANCE = {"appointment", "appointments", "visit", "visits", "session", "sessions", "meeting", "meetings",
               "clinic", "clinics", "contact", "contacts", "check-up", "check-ups", "dose", "doses", "school",
               "nursery", "lesson", "lessons", "class", "classes"}
_BLAMED = {"you", "we", "i"}  # "you missed the appointment" points at someone
# A polite request ("Can you tell me about…", "Could you describe…") is one request like "Tell me about…".
_POLITE = re.compile(r"^(?:can|could|would|will) (?:you|we) (?:please )?")
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


def _hindsight(phrases: tuple[str, ...], text: str) -> list[str]:
    """The hindsight or blame phrases in `text`, leaving out "missed" where it only says what was not
    attended (see _ATTENDANCE)."""
    found = []
    for match in _phrase_pattern(phrases).finditer(text):
        if match.group(0) == "missed":
            before = re.findall(r"[\w'-]+", text[:match.start()])
            after = re.findall(r"[\w'-]+", text[match.end():])
            near = set(before[-3:]) | set(after[:3])
            if near & _ATTENDANCE and not (before and before[-1] in _BLAMED):
                continue
        found.append(match.group(0))
    return found


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


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+", text) if s.strip(" .!?")]


def _opens_with(text: str, phrases: tuple[str, ...]) -> str | None:
    """The longest of `phrases` the text opens with (after fillers), as whole words."""
    opening = _without_fillers(text)
    found = [p for p in map(_normalise, phrases) if re.match(re.escape(p) + r"(?![\w'])", opening)]
    return max(found, key=len) if found else None


def _asks(sentence: str, words: CoachWords) -> bool:
    """Whether a sentence asks something, rather than reflecting back ("That sounds hard.")."""
    return sentence.endswith("?") or _opens_with(sentence, words.shapes.asking_openings) is not None \
        or _starter(words, sentence)[0] is not None


def _main_clause(text: str, words: CoachWords, limit: int = 7) -> str:
    """The first few words, up to a subordinating word: where a question's own negation sits."""
    tokens = text.split(" ")[:limit]
    subordinators = {_normalise(w) for w in words.shapes.subordinators}
    for i, token in enumerate(tokens[1:], start=1):
        if token.strip(",") in subordinators:
            return " ".join(tokens[:i])
    return " ".join(tokens)


def _blame_shape(question: str, words: CoachWords) -> str | None:
    """Blame carried by the shape of a question: "Why wasn't…", "Did no one…", "Should it have…"."""
    shapes = words.shapes
    opening = _opens_with(question, shapes.blame_openings)
    if opening:
        clause = _main_clause(_without_fillers(question), words)[len(opening):]
        for negation in map(_normalise, shapes.negations):
            if re.search((r"\w" if negation == "n't" else r"(?<![\w'])") + re.escape(negation) + r"(?![\w'])", clause):
                return f"{opening} … {negation}"
    nobody = _opens_with(question, shapes.nobody_openings)
    if nobody:
        return nobody
    obligation = _opens_with(question, shapes.obligation_openings)
    if obligation and re.search(r"(?<![\w'])have (?:been|\w+ed)\b", _main_clause(question, words, 9)):
        return f"{obligation} … have"
    return None


def _tag_question(question: str, words: CoachWords) -> str | None:
    """A tag on the end ("…, isn't it?", "…, right?") that asks for agreement."""
    match = re.search(r",\s*([\w' ]+?)\s*\?$", question)
    if not match:
        return None
    tag = match.group(1)
    shapes = words.shapes
    if tag in {_normalise(e) for e in shapes.tag_endings}:
        return tag
    parts = tag.split(" ")
    auxiliaries = {_normalise(a) for a in shapes.tag_auxiliaries}
    pronouns = {_normalise(p) for p in shapes.tag_pronouns}
    if len(parts) == 2 and parts[0] in auxiliaries and parts[1] in pronouns:
        return tag
    if len(parts) == 3 and parts[1] == "not" and parts[0] in auxiliaries and parts[2] in pronouns:
        return tag
    return None


def classify(question: str, words: CoachWords) -> Verdict:
    """Classify one question; see the module docstring for the order of seriousness.

    Words are looked for across the whole question; its shape is read sentence by sentence, so a
    reflection before the question ("That sounds hard. How was it?") is not counted as a question."""
    text = _normalise(question)
    triggers: list[Trigger] = []
    for phrase in _hindsight(words.hindsight, text):
        triggers.append(Trigger("hindsight", phrase))
    asks = [s for s in _sentences(text) if _asks(s, words)] or [text]
    for sentence in asks:
        blame = _blame_shape(sentence, words)
        if blame and not any(blame.startswith(t.words) or t.words.startswith(blame) for t in triggers):
            triggers.append(Trigger("hindsight", blame))
    for phrase in _find(words.leading, text):
        # "why didn't you" is hindsight; its tail "didn't you" is not also leading.
        if not any(phrase in t.words for t in triggers if t.kind == "hindsight"):
            triggers.append(Trigger("leading", phrase))
    tag = _tag_question(asks[-1], words)
    if tag and not any(t.kind == "leading" for t in triggers):
        triggers.append(Trigger("leading", f"the tag \u201c{tag}?\u201d"))
    if len(asks) >= 2:
        triggers.append(Trigger("multiple", f"{len(asks)} questions in one"))
    else:
        triggers += _joined_questions(asks[0], words)
    triggers += _closed_or_statement(asks[0], words, triggers)
    kinds = tuple(k for k in SEVERITY if any(t.kind == k for t in triggers)) or ("open",)
    kind = kinds[0]
    return Verdict(kind, kinds, tuple(triggers), _suggest(kind, question, words))


def _joined_questions(sentence: str, words: CoachWords) -> list[Trigger]:
    """'What did you see and who did you tell?' is two questions; 'Tell me about X and what
    happened next' is one request whose clauses all hang from "tell me about"."""
    if _opens_with(_POLITE.sub("", _without_fillers(sentence)), words.shapes.asking_openings):
        return []
    join = _CLAUSE_JOIN.search(_without_fillers(sentence))
    if join and join.start() > 0:  # "And how did that feel?" is one question
        return [Trigger("multiple", join.group(0))]
    return []


def _closed_or_statement(sentence: str, words: CoachWords, triggers: list[Trigger]) -> list[Trigger]:
    starter_kind, starter = _starter(words, sentence)
    if starter_kind == "closed":
        return [Trigger("closed", starter)]
    if starter_kind is None and sentence.endswith("?") and not any(t.kind == "leading" for t in triggers):
        if _without_fillers(sentence) != sentence and sentence.split(" ")[0].strip(",") == "so":
            # "So the school was waiting for social care?" hands the practitioner a conclusion.
            return [Trigger("leading", "so … ? (a conclusion to agree with)")]
        assumed = _find(words.shapes.assumptions, sentence) if words.shapes.assumptions else []
        if assumed:
            return [Trigger("leading", f"{assumed[0]} … ? (an assumption to agree with)")]
        return [Trigger("closed", "a statement asked as a yes/no question")]
    return []


def _suggest(kind: str, question: str, words: CoachWords) -> str:
    if kind == "open":
        return ""
    if kind == "multiple":
        return words.suggestions.multiple + f"\"{_first_question(question.strip())}\""
    return getattr(words.suggestions, kind)


def note_hints(structure: Structure, text: str) -> list[str]:
    """Gentle hints when a note uses hindsight or blame language; never a block."""
    found = _hindsight(structure.coach.hindsight, _normalise(text[-5000:]))
    if not found:
        return []
    phrases = ", ".join(f"\u201c{p}\u201d" for p in dict.fromkeys(found))
    return [f"{phrases} can carry hindsight. Could it be written as what was happening at the time?"]
