"""The gate: sections (and the case chronology) stay locked until the practitioner's own account is
captured, unless opened early with a reason that is recorded."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable

from assistant.conversation.model import ConversationError, ConversationState, GateLocked
from assistant.safe_text import clean_input
from assistant.store import checksum, now

if TYPE_CHECKING:
    from assistant.conversation import Conversation
    from assistant.structure import Section, Structure


def missing_sections(structure: Structure, row: dict[str, Any], noted_sections: Iterable[str],
                     has_moments: bool) -> list[Section]:
    """Sections that must have notes before the gate opens (empty when it is open)."""
    gate = structure.gate
    if gate is None or row["gate_opened_at"]:
        return []
    noted = set(noted_sections)
    missing = []
    for section_id in gate.requires:
        section = structure.section_by_id[section_id]
        if section_id in noted or (section.captures_episodes and has_moments):
            continue
        missing.append(section)
    return missing


def locked_sections(structure: Structure, missing: list[Section]) -> frozenset[str]:
    gate = structure.gate
    return frozenset(gate.locks) if gate and missing else frozenset()


class Gate:
    def __init__(self, conversation: Conversation) -> None:
        self.conversation = conversation

    def missing(self) -> list[Section]:
        return list(self.conversation.state().gate_missing)

    def is_open(self) -> bool:
        return self.conversation.state().gate_open

    def is_locked(self, section_id: str) -> bool:
        return section_id in self.conversation.state().locked

    def chronology_locked(self, state: ConversationState | None = None) -> bool:
        gate = self.conversation.structure.gate
        return bool(gate and gate.locks_chronology and not (state or self.conversation.state()).gate_open)

    def message(self, state: ConversationState | None = None) -> str:
        missing = ", ".join(f'"{s.title}"' for s in (state or self.conversation.state()).gate_missing)
        return f"Locked until the practitioner's own account is captured (still needed: {missing})."

    def open(self, reason: str, state: ConversationState | None = None) -> None:
        """Open the gate early; the reason is recorded with the conversation and in the audit trail."""
        conversation = self.conversation
        reason = clean_input(reason).text.strip()
        if len(reason) < 3:
            raise ConversationError("Opening early needs a reason, which is recorded.")
        missing = [s.id for s in (state or conversation.state()).gate_missing]
        with conversation.store.write() as conn:
            conn.execute(
                "UPDATE conversations SET gate_opened_at = ?, gate_reason = ?, updated_at = ? WHERE id = ?",
                (now(), reason, now(), conversation.id),
            )
            conversation.store.event(
                "gate_override", "conversation", conversation.id,
                {"missing": missing, "reason_checksum": checksum(reason)}, conversation.actor,
            )

    def reveal_chronology(self) -> list[dict[str, Any]]:
        """The case chronology, once the gate is open; the reveal is recorded."""
        conversation = self.conversation
        state = conversation.state()
        if self.chronology_locked(state):
            raise GateLocked(self.message(state))
        from assistant.cases import chronology

        case_id = state.row["case_id"]
        entries = chronology(conversation.store, case_id)
        with conversation.store.write():
            conversation.store.event("reveal", "chronology", case_id, {"conversation": conversation.id},
                                     conversation.actor)
        return entries
