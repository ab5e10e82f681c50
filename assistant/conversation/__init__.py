"""One conversation's logic, free of any UI, as a small facade over its parts:

- `walk` (walk.py): the stops, where the pair is, moving on, and section visits;
- `moments` (moments.py): the key moments;
- `notes` and `drafts` (notes.py): notes, their tags and versions, and the editor's unsaved text;
- `gate` (gate.py): what stays locked until the practitioner's own account is captured;
- `marks` and `coverage()` (coverage.py): prompt marks, the "later" list, and what was covered;
- lifecycle.py: creating and listing conversations, status, the closing checklist, `held_on`;
- `state()` (state.py): everything the screen shows, read in one statement and kept until the
  database changes.
"""

from __future__ import annotations

import dataclasses
import json
from typing import TYPE_CHECKING, Any, Iterable

from assistant.conversation import lifecycle
from assistant.conversation.coverage import MARK_LABELS, Marks, build_coverage, prompt_state
from assistant.conversation.gate import Gate
from assistant.conversation.lifecycle import create_conversation, held_on, list_conversations
from assistant.conversation.model import (
    AUTHOR_ROLES, CONSENT, MARKS, MAX_NOTE_CHARS, STATUS_LABELS, STATUSES, ConversationError,
    ConversationState, Coverage, GateLocked, LaterItem, PromptCoverage, SavedNote, SectionCoverage, Stop,
    looks_like_full_name, read_only_reason,
)
from assistant.conversation.moments import Moments
from assistant.conversation.notes import Drafts, Notes
from assistant.conversation.state import RETURNING_SNAPSHOT, read_state
from assistant.conversation.walk import Walk
from assistant.previous import previous_values
from assistant.store import Store, now

if TYPE_CHECKING:
    from assistant.structure import Structure

__all__ = [
    "AUTHOR_ROLES", "CONSENT", "MARKS", "MARK_LABELS", "MAX_NOTE_CHARS", "STATUSES", "STATUS_LABELS",
    "Conversation", "ConversationError", "ConversationState", "Coverage", "GateLocked", "LaterItem",
    "PromptCoverage", "SavedNote", "SectionCoverage", "Stop", "build_coverage", "create_conversation", "held_on", "list_conversations", "looks_like_full_name", "prompt_state", "read_only_reason",
]


class OpenMarks(Marks):
    """Prompt marks, refused like new notes once the record has gone to the practitioner."""

    def mark(self, prompt_id: str, mark: str, section_id: str | None = None, episode_id: str | None = None) -> None:
        self.conversation.require_open()
        super().mark(prompt_id, mark, section_id, episode_id)


class Conversation:
    """One conversation, read and changed through its store."""

    def __init__(self, store: Store, structure: Structure, conversation_id: str, actor: str = "second") -> None:
        self.store = store
        self.structure = structure
        self.id = conversation_id
        self.actor = actor
        self._state: ConversationState | None = None
        self._changes = -1
        self._fresh = False  # the snapshot came back with this connection's own write: no need to check it
        self.walk = Walk(self)
        self.moments = Moments(self)
        self.notes = Notes(self)
        self.drafts = Drafts(self)
        self.gate = Gate(self)
        self.marks = OpenMarks(self)
        self.state()  # raises ConversationError when the conversation does not exist

    # ---------------------------------------------------------------- the snapshot
    def state(self) -> ConversationState:
        """Everything the screen shows. Read again only when the database has changed since: by this
        connection (its change count) or by another (SQLite's data version) — at most one statement."""
        changes = getattr(self.store.conn, "total_changes", None)
        state = self._state
        if state is not None and changes is not None and changes == self._changes:
            if self._fresh:
                self._fresh = False
                return state
            version = self.store.scalar("PRAGMA data_version")
            if version == state.data_version:
                return state
        state = read_state(self)
        if getattr(self.store.conn, "in_transaction", True):
            self._state = None  # read inside a transaction that may yet be rolled back: not kept
        else:
            self._state, self._changes = state, (changes if changes is not None else -1)
        return state

    def update_returning_state(self, conn: Any, assignments: str, params: dict[str, Any],
                               chain_head_for: str | None = None) -> dict[str, Any]:
        """Inside a write: `UPDATE conversations SET <assignments>` on this conversation, handing back the
        snapshot's row as it stands after the transaction's changes (pass it to `keep` after the commit).
        With `chain_head_for` (a device id) the row also carries "_chain": the audit chain's head and that
        device's last number, for the event written next (`Store.event(head=…)`)."""
        chain = ""
        if chain_head_for is not None:
            chain = (", json_array((SELECT hash FROM events ORDER BY rowid DESC LIMIT 1),"
                     " (SELECT MAX(device_seq) FROM events WHERE device = :chain_device), :chain_device) AS _chain")
            params = {**params, "chain_device": chain_head_for}
        row = conn.execute(f"UPDATE conversations SET {assignments} WHERE id = :id {RETURNING_SNAPSHOT}{chain}",
                           {**params, "id": self.id}).fetchone()
        if row is None:
            raise ConversationError("That conversation does not exist in this database.")
        row = dict(row)
        if chain:
            row["_chain"] = tuple(json.loads(row["_chain"]))
        return row

    def held_state(self) -> ConversationState:
        """The snapshot held, when this connection has changed nothing since reading it, else a fresh one;
        whether another program changed the database is for the caller to check (its data_version)."""
        changes = getattr(self.store.conn, "total_changes", None)
        if self._state is not None and changes is not None and changes == self._changes:
            return self._state
        return self.state()

    def keep(self, row: dict[str, Any]) -> ConversationState:
        """After the commit: the snapshot the write handed back is the current one, without reading again."""
        state = read_state(self, row)
        if getattr(self.store.conn, "in_transaction", True):
            self._state = None  # written inside a caller's transaction that may yet be rolled back: not kept
            return state
        self._state, self._changes = state, getattr(self.store.conn, "total_changes", -1)
        self._fresh = True
        return state

    def kept_draft(self, changes_before: int, slot: str, text: str) -> None:
        """After saving a draft: the snapshot stays current (only its draft changed), so the next key reads
        nothing but SQLite's data version."""
        state = self._state
        if state is None or changes_before != self._changes or getattr(self.store.conn, "in_transaction", True):
            self._state = None
            return
        if slot == state.stop.slot:
            self._state = dataclasses.replace(state, draft=text)
        self._changes = getattr(self.store.conn, "total_changes", -1)

    @property
    def row(self) -> dict[str, Any]:
        return dict(self.state().row)

    @property
    def case(self) -> dict[str, Any]:
        return self.store.one(
            "SELECT c.* FROM cases c JOIN conversations v ON v.case_id = c.id WHERE v.id = ?", (self.id,)
        )  # type: ignore[return-value]

    @property
    def is_rehearsal(self) -> bool:
        return self.state().row["mode"] == "rehearsal"

    def touch(self, conn: Any) -> None:
        conn.execute("UPDATE conversations SET updated_at = ? WHERE id = ?", (now(), self.id))

    def require_open(self, row: dict[str, Any] | None = None) -> None:
        """Refuse new work once the record has gone to the practitioner: what they check must be what the
        analysis uses. Corrections with a reason (`notes.edit`) and relabelling stay possible."""
        refusal = read_only_reason((row or self.state().row)["status"])
        if refusal:
            raise ConversationError(refusal)

    # ---------------------------------------------------------------- coverage and status
    def coverage(self) -> Coverage:
        return build_coverage(self.state())

    def checklist(self) -> set[int]:
        return lifecycle.checklist(self)

    def tick_checklist(self, item: int, ticked: bool) -> None:
        lifecycle.tick_checklist(self, item, ticked)

    def set_status(self, status: str, reason: str = "") -> None:
        lifecycle.set_status(self, status, reason)

    def reopen(self, reason: str) -> None:
        """Back to in progress to make corrections, with a reason (kept and audited)."""
        lifecycle.reopen(self, reason)

    def relabel(self, reason: str, *, earlier_was_a_name: bool | Iterable[str] = False,
                **labels: str | None) -> list[str]:
        """Correct practitioner_role, agency, lead_interviewer or second_interviewer, with a reason; the
        replaced values `earlier_was_a_name` covers (all, or the labels named) are not kept: a name."""
        return lifecycle.relabel(self, reason, earlier_was_a_name=earlier_was_a_name, **labels)

    def label_history(self) -> list[dict[str, Any]]:
        """The labels and statuses this conversation's corrections replaced, oldest first, with reasons."""
        return [r for r in previous_values(self.store, "conversation", self.id) if r["field"] in lifecycle.LABELS]

    def end(self) -> Coverage:
        """Finish the conversation: status "ended"; returns the coverage summary."""
        self.set_status("ended")
        return self.coverage()
