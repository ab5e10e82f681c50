"""The walk through the structure: its stops, where the pair is, moving on, and section visits.

A `once` section is one stop; consecutive `per_episode` sections repeat together for every key moment
(moment 1: thinking, influences; moment 2: thinking, influences; …), because SCIE asks both for each
moment in turn. `close_visits` and `open_visit` are the one place a section visit is opened or closed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from assistant.conversation.model import ConversationError, ConversationState, GateLocked, Stop
from assistant.store import new_id, now

if TYPE_CHECKING:
    from assistant.conversation import Conversation
    from assistant.structure import Prompt, Structure


def build_stops(structure: Structure, episodes: list[dict[str, Any]],
                extra_prompts: dict[str, tuple[Prompt, ...]] | None = None) -> list[Stop]:
    """The walk; `extra_prompts` adds prompts after a section's own (the prepared queries, once the gate
    lets them in), so every screen that lists, marks or counts prompts sees them the same way."""
    sections = [s.model_copy(update={"prompts": s.prompts + extra_prompts[s.id]})
                if extra_prompts and extra_prompts.get(s.id) else s for s in structure.sections]
    result: list[Stop] = []
    i = 0
    while i < len(sections):
        if sections[i].mode != "per_episode":
            result.append(Stop(sections[i]))
            i += 1
            continue
        block = []
        while i < len(sections) and sections[i].mode == "per_episode":
            block.append(sections[i])
            i += 1
        if not episodes:
            result.extend(Stop(s) for s in block)
        for index, episode in enumerate(episodes):
            result.extend(Stop(s, episode, index, len(episodes)) for s in block)
    return result


def prompt_ids(state: ConversationState, section_id: str) -> set[str]:
    """The prompts a section has in this conversation's walk (the structure's, and any prepared queries)."""
    return {p.id for stop in state.stops if stop.section.id == section_id for p in stop.section.prompts}


def find_stop(stops: list[Stop], section_id: str | None, episode_id: str | None) -> int:
    """The index of the stop at a position; when the moment was removed or the position is stale, the
    first stop of that section (or the first stop)."""
    for index, stop in enumerate(stops):
        if stop.key == (section_id, episode_id):
            return index
    for index, stop in enumerate(stops):
        if stop.section.id == section_id:
            return index
    return 0


def close_visits(conn: Any, conversation_id: str, stamp: str) -> None:
    """Close the conversation's open section visit (there is at most one)."""
    conn.execute(
        "UPDATE section_visits SET left_at = ? WHERE conversation_id = ? AND left_at IS NULL",
        (stamp, conversation_id),
    )


def open_visit(conn: Any, conversation_id: str, section_id: str, episode_id: str | None, stamp: str) -> None:
    conn.execute(
        "INSERT INTO section_visits (id, conversation_id, section_id, episode_id, entered_at)"
        " VALUES (?, ?, ?, ?, ?)",
        (new_id(), conversation_id, section_id, episode_id, stamp),
    )


class Walk:
    """Where the pair is in one conversation, and moving it."""

    def __init__(self, conversation: Conversation) -> None:
        self.conversation = conversation

    def stops(self) -> list[Stop]:
        return list(self.conversation.state().stops)

    def current_stop(self) -> Stop:
        return self.conversation.state().stop

    @property
    def prompt_index(self) -> int:
        return self.conversation.state().prompt_index

    def go_to(self, section_id: str, episode_id: str | None = None, prompt_index: int = 0,
              override_reason: str | None = None, state: ConversationState | None = None) -> Stop:
        """Move to a section (and moment); a locked section needs `override_reason`."""
        conversation = self.conversation
        state = state or conversation.state()
        section = conversation.structure.section_by_id.get(section_id)
        if section is None:
            raise ConversationError(f"There is no section '{section_id}' in this structure.")
        if section_id in state.locked:
            if not override_reason:
                raise GateLocked(conversation.gate.message(state))
            conversation.gate.open(override_reason, state)
        if section.mode == "per_episode" and episode_id is None:
            episode_id = state.episodes[0]["id"] if state.episodes else None
        if section.mode != "per_episode":
            episode_id = None
        if episode_id is not None and not any(e["id"] == episode_id for e in state.episodes):
            raise ConversationError("That key moment is not part of this conversation.")
        stamp = now()
        row = state.row
        with conversation.store.write() as conn:
            if (row["position_section"], row["position_episode"]) != (section_id, episode_id):
                close_visits(conn, conversation.id, stamp)
                open_visit(conn, conversation.id, section_id, episode_id, stamp)
            snapshot = conversation.update_returning_state(
                conn, "position_section = :section, position_episode = :episode, position_prompt = :prompt,"
                " updated_at = :stamp",
                {"section": section_id, "episode": episode_id, "stamp": stamp,
                 "prompt": max(0, min(prompt_index, len(section.prompts) - 1))},
            )
        return conversation.keep(snapshot).stop

    def step(self, delta: int, state: ConversationState | None = None) -> Stop:
        """Move to the next (+1) or previous (-1) stop; locked stops are passed over."""
        state = state or self.conversation.state()
        stops = state.stops
        index = state.stop_index + delta
        while 0 <= index < len(stops) and stops[index].section.id in state.locked:
            index += delta
        if not 0 <= index < len(stops):
            return state.stop
        target = stops[index]
        return self.go_to(target.section.id, target.episode_id, state=state)

    def set_prompt(self, index: int, state: ConversationState | None = None) -> int:
        stop = (state or self.conversation.state()).stop
        index = max(0, min(index, len(stop.section.prompts) - 1))
        with self.conversation.store.write() as conn:
            snapshot = self.conversation.update_returning_state(conn, "position_prompt = :prompt", {"prompt": index})
        self.conversation.keep(snapshot)
        return index

    def pause(self) -> None:
        """Close the open section visit (quitting or leaving the screen) so time is not over-counted."""
        with self.conversation.store.write() as conn:
            close_visits(conn, self.conversation.id, now())

    def resume(self) -> None:
        """Open a visit at the current position (after `pause`)."""
        conversation = self.conversation
        row = conversation.row
        with conversation.store.write() as conn:
            open_already = conn.execute(
                "SELECT 1 FROM section_visits WHERE conversation_id = ? AND left_at IS NULL", (conversation.id,)
            ).fetchone()
            if not open_already:
                open_visit(conn, conversation.id, row["position_section"], row["position_episode"], now())
