"""Prompt marks (the conversation's paradata), the "come back later" list and coverage.

`prompt_state` is the one place that decides a prompt's state from its latest mark and whether it has
notes (or, for the key-moments prompt, `answered_by_moments`); the conversation screen, the later list,
the summary and the review's coverage matrix all use it. "Come back later" is the mark: it stays until
the pair marks the prompt otherwise, whatever is noted under it meanwhile.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from assistant.conversation.model import (
    MARK_LABELS, MARKS, ConversationError, ConversationState, Coverage, LaterItem, PromptCoverage, PromptKey, SectionCoverage, Stop,
    Visit,
)
from assistant.conversation.walk import prompt_ids
from assistant.store import new_id, now

if TYPE_CHECKING:
    from assistant.conversation import Conversation
    from assistant.structure import Section

PROMPT_STATES = ("covered", "skipped", "declined", "come back later", "not reached")


def prompt_state(mark: str | None, noted: bool) -> str:
    """A prompt's state: come back later (marked so, notes or not), covered (a note, or marked asked),
    skipped, declined, or not reached."""
    if mark == "later":  # a first note is often why the pair wants to come back: it does not clear the mark
        return MARK_LABELS[mark]
    if noted or mark == "asked":
        return "covered"
    if mark in ("skipped", "declined"):
        return MARK_LABELS[mark]
    return "not reached"


def answered_by_moments(section: Section, prompt_id: str, has_moments: bool) -> bool:
    """True for the key-moments prompt (the first of the section that captures moments) once moments are
    named: its answer is the moments themselves, kept as moments rather than as notes."""
    first = section.prompts[0].id if section.prompts else None
    return has_moments and section.captures_episodes and first == prompt_id


def stop_prompt_states(stop: Stop, marks: dict[PromptKey, str], noted: frozenset[PromptKey],
                       has_moments: bool) -> list[str]:
    """The state of each of a stop's prompts, in order."""
    states = []
    for prompt in stop.section.prompts:
        key = (stop.section.id, prompt.id, stop.episode_id)
        states.append(prompt_state(marks.get(key),
                                   key in noted or answered_by_moments(stop.section, prompt.id, has_moments)))
    return states


def section_state(stop: Stop, prompt_states: list[str], *, locked: bool, noted: bool, visited: bool,
                  has_moments: bool) -> str:
    """A stop's state: locked, covered, skipped (every prompt skipped or declined), visited or not reached."""
    if locked:
        return "locked"
    if noted or "covered" in prompt_states:
        return "covered"
    if stop.section.captures_episodes and has_moments:
        return "covered"
    if prompt_states and all(s in ("skipped", "declined") for s in prompt_states):
        return "skipped"
    return "visited" if visited else "not reached"


def stop_states(stops: list[Stop], marks: dict[PromptKey, str], noted: frozenset[PromptKey],
                visits: list[Visit], locked: frozenset[str], has_moments: bool) -> list[str]:
    noted_sections = {(s, e) for s, _, e in noted}
    visited = {(v.section_id, v.episode_id) for v in visits}
    states = []
    for stop in stops:
        prompts = stop_prompt_states(stop, marks, noted, has_moments)
        states.append(section_state(stop, prompts, locked=stop.section.id in locked,
                                    noted=stop.key in noted_sections, visited=stop.key in visited,
                                    has_moments=has_moments))
    return states


def later_items(stops: list[Stop], marks: dict[PromptKey, str]) -> list[LaterItem]:
    """Prompts whose latest mark is "come back later", in structure order (notes under them or not)."""
    result = []
    for stop in stops:
        for index, prompt in enumerate(stop.section.prompts):
            if marks.get((stop.section.id, prompt.id, stop.episode_id)) == "later":
                result.append(LaterItem(stop, prompt, index))
    return result


def _seconds_between(start: str, end: str | None) -> float:
    finish = datetime.fromisoformat(end or now())
    return max(0.0, (finish - datetime.fromisoformat(start)).total_seconds())


def build_coverage(state: ConversationState) -> Coverage:
    """The coverage summary from a snapshot; time in an open visit is counted up to now."""
    coverage = Coverage(tag_counts=dict(state.tag_counts))
    for visit in state.visits:
        seconds = _seconds_between(visit.entered_at, visit.left_at)
        coverage.seconds_by_section[visit.section_id] = coverage.seconds_by_section.get(visit.section_id, 0.0) + seconds
        coverage.total_seconds += seconds
    for stop, section_state_ in zip(state.stops, state.section_states):
        prompt_states = stop_prompt_states(stop, state.marks, state.noted, bool(state.episodes))
        for prompt, prompt_state_ in zip(stop.section.prompts, prompt_states):
            coverage.prompts.append(PromptCoverage(stop.section, stop.episode, prompt, prompt_state_))
        coverage.sections.append(SectionCoverage(stop, section_state_))
    return coverage


class Marks:
    """Marking prompts asked, skipped, declined or "come back later"."""

    def __init__(self, conversation: Conversation) -> None:
        self.conversation = conversation

    def mark(self, prompt_id: str, mark: str, section_id: str | None = None, episode_id: str | None = None) -> None:
        """Record that a prompt was asked, skipped, declined or left for later."""
        conversation = self.conversation
        if mark not in MARKS:
            raise ConversationError(f"A prompt can be marked {', '.join(MARKS)}.")
        state = conversation.state()
        if section_id is None:
            section_id, episode_id = state.stop.section.id, state.stop.episode_id
        if section_id not in conversation.structure.section_by_id:
            raise ConversationError(f"There is no section '{section_id}' in this structure.")
        # The walk's prompts, not only the structure's: a prepared query is marked once the gate is open.
        if prompt_id not in prompt_ids(state, section_id):
            raise ConversationError(f"Section '{section_id}' has no prompt '{prompt_id}'.")
        with conversation.store.write() as conn:
            conn.execute(
                "INSERT INTO prompt_marks (id, conversation_id, section_id, prompt_id, episode_id, mark, marked_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (new_id(), conversation.id, section_id, prompt_id, episode_id, mark, now()),
            )
            conversation.touch(conn)

    def latest(self) -> dict[PromptKey, str]:
        """The latest mark of each prompt (section, prompt, moment), in the order written."""
        return dict(self.conversation.state().marks)

    def later(self) -> list[LaterItem]:
        return list(self.conversation.state().later)
