"""Conversation structures and rehearsal scenarios as validated, frozen data.

A structure file is TOML. `load_structure` and `load_scenario` are the only ways in: every failure
(syntax, nesting, encoding, size, validation, references) becomes one `StructureError` that names the
file and each location by section and prompt id.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, ValidationError, model_validator

from assistant.errors import LearningTogetherError
from assistant.paths import not_a_regular_file

if TYPE_CHECKING:  # imported where used: the scenario models build on the structure's
    from assistant.letters import LetterTemplate
    from assistant.scenario import Scenario

MAX_STRUCTURE_BYTES = 512 * 1024


def _structures_dir() -> Path:
    """The shipped structures: inside the installed package (`assistant/_structures`, put there by the
    wheel), else `structures/` at the top of a source checkout or editable install."""
    packaged = resources.files("assistant") / "_structures"
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parent.parent / "structures"


STRUCTURES_DIR = _structures_dir()
DEFAULT_STRUCTURE = STRUCTURES_DIR / "learning-together.toml"
REHEARSALS_DIR = STRUCTURES_DIR / "rehearsals"
DEFAULT_LETTER = STRUCTURES_DIR / "letters" / "introductory-letter.toml"

Identifier = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_\-]{0,63}$")]
Text = Annotated[str, Field(min_length=1, max_length=4000)]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Prompt(_Frozen):
    """One question or step the pair works through."""

    id: Identifier
    text: Text
    probes: tuple[Text, ...] = ()
    listen_for: tuple[Text, ...] = ()


class Section(_Frozen):
    """A part of the conversation; `per_episode` sections repeat for every key moment."""

    id: Identifier
    title: Text
    purpose: Text
    mode: Literal["once", "per_episode"] = "once"
    prompts: tuple[Prompt, ...] = Field(min_length=1)
    default_tags: tuple[Identifier, ...] = ()
    hindsight_reminder: Text | None = None
    captures_episodes: StrictBool = False
    requires_tag_group: Identifier | None = None

    @model_validator(mode="after")
    def _unique_prompts(self) -> "Section":
        _require_unique([p.id for p in self.prompts], "prompt id")
        return self


class Gate(_Frozen):
    """Sections (and the chronology) kept locked until the own-account sections have notes."""

    requires: tuple[Identifier, ...] = Field(min_length=1)
    locks: tuple[Identifier, ...] = ()
    locks_chronology: StrictBool = True
    explanation: Text


class TagGroup(_Frozen):
    id: Identifier
    label: Text
    description: Text
    analysis_only: StrictBool = False


class Tag(_Frozen):
    id: Identifier
    group: Identifier
    label: Text
    description: Text
    level: Literal["frontline", "local_strategic", "national"] | None = None
    key: Annotated[str, Field(pattern=r"^f([2-5])$")] | None = None


class Codebook(_Frozen):
    groups: tuple[TagGroup, ...] = Field(min_length=1)
    tags: tuple[Tag, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _check(self) -> "Codebook":
        _require_unique([g.id for g in self.groups], "tag group id")
        _require_unique([t.id for t in self.tags], "tag id")
        _require_unique([t.key for t in self.tags if t.key], "tag key")
        groups = {g.id for g in self.groups}
        for tag in self.tags:
            if tag.group not in groups:
                raise ValueError(f"tag '{tag.id}' names unknown group '{tag.group}'")
        return self


class CoachSuggestions(_Frozen):
    """What the coach suggests instead, by kind of question."""

    hindsight: Text
    leading: Text
    multiple: Text
    closed: Text


class CoachShapes(_Frozen):
    """The shapes of a question the coach reads beyond single words (see `[coach.shapes]`)."""

    blame_openings: tuple[Text, ...] = Field(min_length=1)
    negations: tuple[Text, ...] = Field(min_length=1)
    nobody_openings: tuple[Text, ...] = Field(min_length=1)
    obligation_openings: tuple[Text, ...] = Field(min_length=1)
    subordinators: tuple[Text, ...] = ()
    tag_auxiliaries: tuple[Text, ...] = Field(min_length=1)
    tag_pronouns: tuple[Text, ...] = Field(min_length=1)
    tag_endings: tuple[Text, ...] = ()
    assumptions: tuple[Text, ...] = ()
    asking_openings: tuple[Text, ...] = Field(min_length=1)


class CoachWords(_Frozen):
    """Word lists for the question coach; matching is whole-word and case-insensitive."""

    hindsight: tuple[Text, ...] = Field(min_length=1)
    leading: tuple[Text, ...] = Field(min_length=1)
    closed_starters: tuple[Text, ...] = Field(min_length=1)
    open_starters: tuple[Text, ...] = Field(min_length=1)
    rewordings: tuple[Text, ...] = Field(min_length=1)
    suggestions: "CoachSuggestions"
    shapes: CoachShapes


class Structure(_Frozen):
    """A whole conversation structure with its codebook."""

    kind: Literal["structure"] = "structure"
    id: Identifier
    version: Annotated[str, Field(min_length=1, max_length=32)]
    title: Text
    source: Text
    description: Text
    sections: tuple[Section, ...] = Field(min_length=1)
    gate: Gate | None = None
    codebook: Codebook
    quick_tags: tuple[Identifier, ...] = ()
    closing_checklist: tuple[Text, ...] = ()
    coach: CoachWords

    @model_validator(mode="after")
    def _references(self) -> "Structure":
        section_ids = [s.id for s in self.sections]
        _require_unique(section_ids, "section id")
        tag_ids = {t.id for t in self.codebook.tags}
        group_ids = {g.id for g in self.codebook.groups}
        for section in self.sections:
            for tag in section.default_tags:
                if tag not in tag_ids:
                    raise ValueError(f"section '{section.id}' default tag '{tag}' is not in the codebook")
            if section.requires_tag_group and section.requires_tag_group not in group_ids:
                raise ValueError(
                    f"section '{section.id}' requires unknown tag group '{section.requires_tag_group}'"
                )
        if sum(s.captures_episodes for s in self.sections) > 1:
            raise ValueError("only one section may capture key moments")
        for tag in self.quick_tags:
            if tag not in tag_ids:
                raise ValueError(f"quick tag '{tag}' is not in the codebook")
        if self.gate:
            for ref in (*self.gate.requires, *self.gate.locks):
                if ref not in section_ids:
                    raise ValueError(f"gate names unknown section '{ref}'")
            if set(self.gate.requires) & set(self.gate.locks):
                raise ValueError("a section cannot both open the gate and be locked by it")
        return self

    # Lookups used everywhere; computed once because models are frozen.
    @cached_property
    def section_by_id(self) -> dict[str, Section]:
        return {s.id: s for s in self.sections}

    @cached_property
    def tag_by_id(self) -> dict[str, Tag]:
        return {t.id: t for t in self.codebook.tags}

    @cached_property
    def group_by_id(self) -> dict[str, TagGroup]:
        return {g.id: g for g in self.codebook.groups}

    def tags_in_group(self, group: str) -> tuple[Tag, ...]:
        return tuple(t for t in self.codebook.tags if t.group == group)

    @cached_property
    def content_hash(self) -> str:
        canonical = json.dumps(self.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


# ------------------------------------------------------------------ loading


class StructureError(LearningTogetherError):
    """A structure or scenario file that cannot be used, with every problem located.

    A plain exception, not a frozen dataclass: Python sets `__traceback__` on an exception that passes
    through a context manager (the command line's do), which a frozen dataclass refuses."""

    def __init__(self, path: str, problems: tuple[str, ...]) -> None:
        super().__init__(path, problems)
        self.path = path
        self.problems = tuple(problems)

    def __str__(self) -> str:
        if len(self.problems) == 1:
            return f"{self.path}: {self.problems[0]}"
        return f"{self.path}: {len(self.problems)} problems\n" + "\n".join(f"  {p}" for p in self.problems)


def _require_unique(values: list[str], what: str) -> None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise ValueError(f"duplicate {what} '{value}'")
        seen.add(value)


def _read_toml(path: Path) -> dict[str, Any]:
    name = str(path)
    try:
        if path.is_dir():
            raise StructureError(name, ("is a folder, not a structure file",))
        problem = not_a_regular_file(path)
        if problem is not None and problem.startswith("is "):  # a pipe would make the read wait forever
            raise StructureError(name, (f"{problem}; give a structure or scenario file",))
        size = path.stat().st_size
    except FileNotFoundError:
        raise StructureError(name, ("no such file",)) from None
    except OSError as error:
        raise StructureError(name, (f"cannot be read ({error.strerror})",)) from None
    if size > MAX_STRUCTURE_BYTES:
        raise StructureError(name, (f"is {size:,} bytes; the limit is {MAX_STRUCTURE_BYTES:,}",))
    try:
        raw = path.read_bytes()
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise StructureError(name, (f"line {line}: not valid UTF-8 text",)) from None
    except OSError as error:
        raise StructureError(name, (f"cannot be read ({error.strerror})",)) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise StructureError(name, (f"TOML syntax: {error}",)) from None
    except RecursionError:
        raise StructureError(name, ("nested too deeply to be a structure",)) from None


def _locate(data: Any, loc: tuple[Any, ...]) -> str:
    """Turn a pydantic location into a path that names section and prompt ids."""
    parts: list[str] = []
    node = data
    for step in loc:
        if isinstance(step, int):
            label = f"[{step}]"
            if isinstance(node, list) and 0 <= step < len(node):
                node = node[step]
                if isinstance(node, dict) and isinstance(node.get("id"), str):
                    label = f"[{step}] (id '{node['id']}')"
            else:
                node = None
            if parts:
                parts[-1] += label
            else:
                parts.append(label)
        else:
            parts.append(str(step))
            node = node.get(step) if isinstance(node, dict) else None
    return ".".join(parts) or "(top level)"


def _problems(error: ValidationError, data: dict[str, Any]) -> tuple[str, ...]:
    problems = []
    for item in error.errors(include_url=False):
        loc = tuple(p for p in item["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        message = item["msg"]
        if item["type"] == "extra_forbidden":
            message = "unknown key (misspelt?)"
        elif message.startswith("Value error, "):
            message = message.removeprefix("Value error, ")
        problems.append(f"{_locate(data, loc)}: {message}")
    return tuple(problems)


def load_structure(path: str | Path = DEFAULT_STRUCTURE) -> Structure:
    """Load and validate a conversation structure, or raise `StructureError`."""
    path = Path(path)
    data = _read_toml(path)
    if data.get("kind") == "rehearsal":
        raise StructureError(str(path), ("is a rehearsal scenario, not a conversation structure",))
    try:
        return Structure.model_validate(data)
    except ValidationError as error:
        raise StructureError(str(path), _problems(error, data)) from None
    except RecursionError:
        raise StructureError(str(path), ("nested too deeply to be a structure",)) from None


def load_scenario(path: str | Path, structure: Structure | None = None) -> "Scenario":
    """Load and validate a rehearsal scenario (checked against `structure` when given)."""
    from assistant.scenario import Scenario

    path = Path(path)
    data = _read_toml(path)
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as error:
        raise StructureError(str(path), _problems(error, data)) from None
    except RecursionError:
        raise StructureError(str(path), ("nested too deeply to be a scenario",)) from None
    if structure is not None:
        problems = scenario.check_against(structure)
        if problems:
            raise StructureError(str(path), tuple(problems))
    return scenario


def check_file(path: str | Path) -> "Structure | Scenario | LetterTemplate":
    """Validate a structure, scenario or letter-template file, whichever it declares itself to be."""
    path = Path(path)
    data = _read_toml(path)
    if data.get("kind") == "rehearsal":
        return load_scenario(path, load_structure())
    if data.get("kind") == "letter":
        return load_letter_template(path)
    return load_structure(path)


def load_letter_template(path: str | Path = DEFAULT_LETTER) -> "LetterTemplate":
    """Load and check an introductory-letter template (its topics and its fields in braces)."""
    from assistant.letters import LetterTemplate

    path = Path(path)
    data = _read_toml(path)
    if data.get("kind") != "letter":
        raise StructureError(str(path), ('is not a letter template (it needs kind = "letter")',))
    try:
        return LetterTemplate.model_validate(data)
    except ValidationError as error:
        raise StructureError(str(path), _problems(error, data)) from None


def list_scenarios(structure: Structure) -> list["Scenario"]:
    """Every valid rehearsal scenario shipped with the product, by title."""
    scenarios = []
    for path in sorted(REHEARSALS_DIR.glob("*.toml")):
        scenarios.append(load_scenario(path, structure))
    return sorted(scenarios, key=lambda s: s.title)


def scenario_json_schema() -> dict[str, Any]:
    """The JSON Schema editors use to check rehearsal scenario files."""
    from assistant.scenario import Scenario

    schema = Scenario.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "Learning Together rehearsal scenario"
    return schema


def structure_json_schema() -> dict[str, Any]:
    """The JSON Schema editors use to check structure files."""
    schema = Structure.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "Learning Together conversation structure"
    return schema
