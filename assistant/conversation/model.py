"""What the conversation core hands out: its errors, its constants and its typed results (a stop in the
walk, a saved note, the coverage summary and the one-read snapshot the screen renders from)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from assistant.store import StoreError

if TYPE_CHECKING:  # the structure's models (and pydantic) are not needed to list conversations
    from assistant.structure import Prompt, Section

MARKS = ("asked", "skipped", "declined", "later")
MARK_LABELS = {"asked": "asked", "skipped": "skipped", "declined": "declined", "later": "come back later"}
STATUSES = ("in_progress", "ended", "sent_for_checking", "checked")
STATUS_LABELS = {
    "in_progress": "in progress",
    "ended": "ended",
    "sent_for_checking": "sent for checking",
    "checked": "checked",
}
AUTHOR_ROLES = ("lead", "second")
CONSENT = ("yes", "no", "not_recorded")
MAX_NOTE_CHARS = 100_000
# Two or more capitalised words that are not role words: a gentle hint that a real name was typed.
_ROLE_WORDS = {
    "social", "worker", "health", "visitor", "probation", "officer", "manager", "team", "practice",
    "school", "nurse", "police", "gp", "family", "child", "mother", "father", "midwife", "senior",
    "practitioner", "teacher", "head", "lead", "reviewer", "designated", "safeguarding", "consultant",
    "paediatrician", "housing", "support", "early", "help", "mental", "worker", "adult", "services",
    "children's", "childrens", "the", "of", "and", "a", "b", "c", "d", "1", "2", "3", "dr", "officer",
    "duty", "assistant", "deputy", "named", "unit", "agency", "service", "county", "council", "trust",
}

# (section id, prompt id, moment id or None): where a note or a mark belongs.
PromptKey = tuple[str, str, "str | None"]


# Once the record has gone to the practitioner (or come back checked) it takes no new work: what they
# check must be what the analysis uses. Reopening it (with a reason) lets work in again.
READ_ONLY_REASONS = {
    "sent_for_checking": "This conversation's record has been sent for checking; reopen it to make corrections.",
    "checked": "This conversation's record has been checked; reopen it to make corrections.",
}


def read_only_reason(status: str) -> str:
    """Why a record with this status takes no new notes, moments, marks or tags ("" when it does)."""
    return READ_ONLY_REASONS.get(status, "")


class ConversationError(StoreError):
    """A conversation request that cannot be carried out, in one sentence; nothing was changed."""


class GateLocked(ConversationError):
    """The section or the chronology is locked until the practitioner's own account is captured."""


def looks_like_full_name(text: str) -> bool:
    """True when text looks like a person's full name rather than a role label or pseudonym."""
    words = re.findall(r"[A-Za-z][A-Za-z'\-]*", text)
    for first, second in zip(words, words[1:]):
        if all(len(w) > 1 and w[0].isupper() and w.lower() not in _ROLE_WORDS for w in (first, second)):
            return True
    return False


@dataclass(frozen=True)
class Stop:
    """One place in the walk: a section, and for per-moment sections, which moment."""

    section: Section
    episode: dict[str, Any] | None = None
    episode_index: int = 0
    episode_count: int = 0

    @property
    def episode_id(self) -> str | None:
        return self.episode["id"] if self.episode else None

    @property
    def key(self) -> tuple[str, str | None]:
        return (self.section.id, self.episode_id)

    @property
    def slot(self) -> str:
        """The draft slot: one unsaved note per section and moment."""
        return f"{self.section.id}/{self.episode_id or ''}"

    @property
    def heading(self) -> str:
        if self.section.mode != "per_episode":
            return self.section.title
        if not self.episode:
            return f"{self.section.title}: no key moments named yet"
        return f"{self.section.title}: moment {self.episode_index + 1} of {self.episode_count}"


@dataclass(frozen=True)
class SavedNote:
    id: str
    changes: tuple[str, ...] = ()


@dataclass(frozen=True)
class PromptCoverage:
    """One prompt at one stop: covered, skipped, declined, come back later or not reached."""

    section: Section
    episode: dict[str, Any] | None
    prompt: Prompt
    state: str


@dataclass(frozen=True)
class SectionCoverage:
    """One stop: covered, skipped, visited, not reached, or locked by the gate."""

    stop: Stop
    state: str

    @property
    def section(self) -> Section:
        return self.stop.section

    @property
    def episode(self) -> dict[str, Any] | None:
        return self.stop.episode

    @property
    def episode_id(self) -> str | None:
        return self.stop.episode_id


@dataclass
class Coverage:
    """What a conversation covered: per prompt, per section (covered, skipped, visited, not reached, or
    locked by the gate), notes per tag and time per section."""

    prompts: list[PromptCoverage] = field(default_factory=list)
    sections: list[SectionCoverage] = field(default_factory=list)
    tag_counts: dict[str, int] = field(default_factory=dict)
    seconds_by_section: dict[str, float] = field(default_factory=dict)
    total_seconds: float = 0.0


@dataclass(frozen=True)
class LaterItem:
    """A prompt marked "come back later" and not covered since."""

    stop: Stop
    prompt: Prompt
    prompt_index: int


@dataclass(frozen=True)
class Visit:
    section_id: str
    episode_id: str | None
    entered_at: str
    left_at: str | None


@dataclass(frozen=True)
class ConversationState:
    """Everything the conversation screen shows, read in one go (see `state.read_state`)."""

    row: dict[str, Any]                       # the conversation's row
    case: dict[str, Any]                      # its case's reference and label
    episodes: list[dict[str, Any]]            # key moments, in order
    stops: list[Stop]                         # the walk
    stop: Stop                                # where the pair is
    stop_index: int
    prompt_index: int
    marks: dict[PromptKey, str]               # the latest mark of each prompt
    noted: frozenset[PromptKey]               # prompts with at least one note
    gate_missing: list[Section]               # sections the gate still waits for (empty: open)
    locked: frozenset[str]                    # section ids locked by the gate
    visits: list[Visit]
    tag_counts: dict[str, int]
    section_states: list[str]                 # one per stop: covered, skipped, visited, not reached, locked
    later: list[LaterItem]
    notes: list[dict[str, Any]]               # the notes at the current stop, in writing order
    draft: str                                # the unsaved note at the current stop
    data_version: int = 0

    @property
    def prompt(self) -> Prompt:
        return self.stop.section.prompts[self.prompt_index]

    @property
    def mark(self) -> str | None:
        """The current prompt's latest mark."""
        return self.marks.get((self.stop.section.id, self.prompt.id, self.stop.episode_id))

    @property
    def gate_open(self) -> bool:
        return not self.gate_missing

    @property
    def note_count(self) -> int:
        return len(self.notes)
