"""Rehearsal scenarios (format 2): a fictional practitioner who answers the question asked.

A scenario says what the practitioner says in each section (fully, briefly or guardedly), which facts
they hold back until a question reaches them (by topic, then by kind of question, then by section),
what they bring up themselves once they trust the conversation, and what they could not have known at
the time. Loading and locating errors live in `assistant.structure`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

if TYPE_CHECKING:  # `assistant.structure` loads scenarios, so this module must not import it back
    from assistant.structure import Structure

SCENARIO_FORMAT = 2
# The same identifier and text rules as structure files.
Identifier = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_\-]{0,63}$")]
Text = Annotated[str, Field(min_length=1, max_length=4000)]
QuestionKind = Literal["open", "closed", "leading", "multiple", "hindsight"]
TrustLevel = Annotated[int, Field(ge=0, le=4)]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _require_unique(values: list[str], what: str) -> None:
    duplicates = sorted({v for v in values if values.count(v) > 1})
    if duplicates:
        raise ValueError(f"duplicate {what} '{duplicates[0]}'")


class ScenarioPractitioner(_Frozen):
    role: Text
    agency: Text
    story: Text


class ScenarioAnswer(_Frozen):
    """What the practitioner says in one section when no fact is reached: fully to an open question,
    briefly to a closed one, guardedly to blame; `more` are further things said to later open questions
    in the same section, so the same words never come back twice in a row."""

    section: Identifier
    open: Text
    closed: Text
    guarded: Text
    more: tuple[Text, ...] = ()


class ScenarioMoment(_Frozen):
    title: Text
    approximate_time: Text
    mindset: Text
    influences: Text
    factors: tuple[Identifier, ...] = ()


class ScenarioFact(_Frozen):
    """Something the practitioner knows and shares only when a question reaches it: a question that
    touches one of `topics` (a word or phrase; a topic also matches longer words it begins, so 'refer'
    reaches 'referral'), of one of the `kinds` that unlock it, while trust is at least `needs_trust`."""

    id: Identifier
    section: Identifier
    topics: tuple[Text, ...] = Field(min_length=1)
    text: Text
    kinds: tuple[QuestionKind, ...] = ("open",)
    brief: Text | None = None
    needs_trust: TrustLevel = 0


class ScenarioUnknown(_Frozen):
    """What the practitioner could not have known at the time, and says so honestly."""

    topics: tuple[Text, ...] = Field(min_length=1)
    text: Text


class ScenarioRaise(_Frozen):
    """Something the practitioner brings up unasked, once, after `after` questions in `section`
    and only while trust is at least `needs_trust`."""

    section: Identifier
    after: Annotated[int, Field(ge=1, le=50)] = 2
    needs_trust: TrustLevel = 2
    text: Text


class ScenarioBrief(_Frozen):
    """For a colleague playing the practitioner: the systemic pattern and how to play them."""

    pattern: Text
    playing: Text


class Scenario(_Frozen):
    """A fictional practitioner for rehearsal: what they say, their moments, their facts."""

    kind: Literal["rehearsal"]
    format: Literal[2]
    id: Identifier
    version: Annotated[str, Field(min_length=1, max_length=32)]
    title: Text
    structure: Identifier
    summary: Text
    practitioner: ScenarioPractitioner
    brief: ScenarioBrief
    answers: tuple[ScenarioAnswer, ...] = Field(min_length=1)
    moments: tuple[ScenarioMoment, ...] = Field(min_length=1)
    facts: tuple[ScenarioFact, ...] = Field(min_length=1)
    unknowns: tuple[ScenarioUnknown, ...] = ()
    raises: tuple[ScenarioRaise, ...] = ()

    @model_validator(mode="before")
    @classmethod
    def _format_first(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("kind") == "rehearsal" and "format" not in data:
            raise ValueError("format: this is a format-1 scenario; add format = 2, a [brief], and give each "
                             "fact one section (see the scenario-writing guide)")
        return data

    @model_validator(mode="after")
    def _unique(self) -> "Scenario":
        _require_unique([a.section for a in self.answers], "answer section")
        _require_unique([f.id for f in self.facts], "fact id")
        return self

    def check_against(self, structure: "Structure") -> list[str]:
        """References this scenario makes into `structure` that do not resolve."""
        problems = []
        sections = structure.section_by_id
        if self.structure != structure.id:
            problems.append(f"structure: '{self.structure}' is not the structure '{structure.id}'")
        for answer in self.answers:
            if answer.section not in sections:
                problems.append(f"answers: unknown section '{answer.section}'")
        for fact in self.facts:
            if fact.section not in sections:
                problems.append(f"facts '{fact.id}': unknown section '{fact.section}'")
        for i, raised in enumerate(self.raises):
            if raised.section not in sections:
                problems.append(f"raises[{i}]: unknown section '{raised.section}'")
        for i, moment in enumerate(self.moments):
            for factor in moment.factors:
                tag = structure.tag_by_id.get(factor)
                if tag is None or tag.group != "factor":
                    problems.append(f"moments[{i}]: '{factor}' is not a contributory-factor tag")
        for fact in self.facts:
            for unknown in self.unknowns:
                shared = set(map(str.lower, fact.topics)) & set(map(str.lower, unknown.topics))
                if shared:
                    problems.append(f"facts '{fact.id}': topic '{sorted(shared)[0]}' is also an unknown")
        return problems

    def answer_for(self, section_id: str) -> ScenarioAnswer | None:
        return next((a for a in self.answers if a.section == section_id), None)
