"""Notes (with their tags and earlier versions) and drafts, the editor's unsaved text."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Iterable

from assistant.conversation.gate import locked_sections, missing_sections
from assistant.conversation.prepared import is_prepared
from assistant.conversation.walk import prompt_ids
from assistant.conversation.model import (
    AUTHOR_ROLES, MAX_NOTE_CHARS, ConversationError, ConversationState, GateLocked, SavedNote,
)
from assistant.safe_text import clean_input
from assistant.store import checksum, new_id, now

if TYPE_CHECKING:
    from assistant.conversation import Conversation
    from assistant.structure import Section

NOTE_SELECT = "SELECT n.*, (SELECT json_group_array(tag_id) FROM note_tags t WHERE t.note_id = n.id) AS tags FROM notes n"


def with_tags(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for row in rows:
        row["tags"] = json.loads(row["tags"])
    return rows


class Notes:
    def __init__(self, conversation: Conversation) -> None:
        self.conversation = conversation

    def list(self, section_id: str | None = None, episode_id: str | None = "any",
             include_deleted: bool = False) -> list[dict[str, Any]]:
        """Notes with their tags (a list) in the order they were written (not by clock time, which can step
        back); filter by section and moment."""
        where = ["n.conversation_id = ?"]
        params: list[Any] = [self.conversation.id]
        if section_id is not None:
            where.append("n.section_id = ?")
            params.append(section_id)
        if episode_id != "any":
            where.append("n.episode_id IS ?")
            params.append(episode_id)
        if not include_deleted:
            where.append("n.deleted_at IS NULL")
        return with_tags(self.conversation.store.query(
            f"{NOTE_SELECT} WHERE {' AND '.join(where)} ORDER BY n.rowid", params))

    def get(self, note_id: str) -> dict[str, Any]:
        note = self.conversation.store.one(
            "SELECT * FROM notes WHERE id = ? AND conversation_id = ?", (note_id, self.conversation.id))
        if note is None:
            raise ConversationError("That note is not part of this conversation.")
        return note

    def versions(self, note_id: str) -> list[dict[str, Any]]:
        """A note's earlier texts, oldest first."""
        self.get(note_id)
        return self.conversation.store.query(
            "SELECT * FROM note_versions WHERE note_id = ? ORDER BY rowid", (note_id,))

    def check_tags(self, section: Section, tags: Iterable[str]) -> list[str]:
        structure = self.conversation.structure
        tags = list(dict.fromkeys([*section.default_tags, *tags]))
        unknown = [t for t in tags if t not in structure.tag_by_id]
        if unknown:
            raise ConversationError(f"'{unknown[0]}' is not a tag in this structure's codebook.")
        group = section.requires_tag_group
        if group and not any(structure.tag_by_id[t].group == group for t in tags):
            label = structure.group_by_id[group].label.lower()
            raise ConversationError(f"A note in \"{section.title}\" needs a {label} category (Ctrl+T).")
        return tags

    def _status_row(self) -> dict:
        row = self.conversation.store.one(
            "SELECT status, gate_opened_at FROM conversations WHERE id = ?", (self.conversation.id,))
        if row is None:
            raise ConversationError("There is no conversation with that id in this database.")
        return row

    def _locked(self, section_id: str, row: dict, state: ConversationState | None) -> bool:
        """Whether the gate still locks `section_id` (from the snapshot when there is one)."""
        if state is not None:
            return section_id in state.locked
        structure = self.conversation.structure
        if structure.gate is None or section_id not in structure.gate.locks or row["gate_opened_at"]:
            return False
        store, conversation_id = self.conversation.store, self.conversation.id
        required = list(structure.gate.requires)
        noted = {r["section_id"] for r in store.query(
            "SELECT DISTINCT section_id FROM notes WHERE conversation_id = ? AND deleted_at IS NULL"
            f" AND section_id IN ({', '.join('?' * len(required))})", (conversation_id, *required))}
        has_moments = store.one("SELECT 1 AS one FROM episodes WHERE conversation_id = ? LIMIT 1",
                                (conversation_id,)) is not None
        return section_id in locked_sections(structure, missing_sections(structure, row, noted, has_moments))

    def add(self, body: str, tags: Iterable[str] = (), author_role: str = "second",
            section_id: str | None = None, episode_id: str | None = None,
            prompt_id: str | None = None, clear_draft: str | None = None) -> SavedNote:
        """Save a note with its tags and audit event in one transaction (and, given `clear_draft`, remove
        that draft slot in the same transaction).

        Defaults to the current section, moment and prompt. Text is cleaned of characters SQLite
        cannot store; `SavedNote.changes` says what was changed so the user can be told.
        """
        arguments = (body, tags, author_role, section_id, episode_id, prompt_id, clear_draft)
        # A note for the current stop is checked against the snapshot already held, and is written only
        # if no other program has changed the database since; if one has, it is checked again afresh.
        saved = self._add(*arguments, state=self.conversation.held_state() if section_id is None else None)
        return saved or self._add(*arguments, state=self.conversation.state())  # type: ignore[return-value]

    def _add(self, body: str, tags: Iterable[str], author_role: str, section_id: str | None,
             episode_id: str | None, prompt_id: str | None, clear_draft: str | None,
             state: ConversationState | None) -> SavedNote | None:
        """None when `state` turned out to be out of date (nothing was written)."""
        conversation = self.conversation
        # A note for a named section needs just the status and the gate, which stay two small reads
        # however many notes exist.
        row = state.row if state is not None else self._status_row()
        conversation.require_open(row)
        cleaned = clean_input(body)
        text = cleaned.text
        if not text.strip():
            raise ConversationError("The note is empty; type something first.")
        if len(text) > MAX_NOTE_CHARS:
            raise ConversationError(
                f"A note can be at most {MAX_NOTE_CHARS:,} characters; split it into smaller notes."
            )
        if author_role not in AUTHOR_ROLES:
            raise ConversationError("A note's author is the lead or the second interviewer.")
        if section_id is None and state is not None:
            section_id, episode_id = state.stop.section.id, state.stop.episode_id
            prompt_id = prompt_id or state.prompt.id
        section = conversation.structure.section_by_id.get(section_id or "")
        if section is None:
            raise ConversationError(f"There is no section '{section_id}' in this structure.")
        if section.mode == "per_episode" and episode_id is None:
            raise ConversationError("Name a key moment first: notes here belong to a moment.")
        if prompt_id is None:
            prompt_id = section.prompts[0].id
        elif prompt_id not in {p.id for p in section.prompts} and (
                not is_prepared(prompt_id) or prompt_id not in prompt_ids(state or conversation.state(), section.id)):
            raise ConversationError(f"Section '{section.id}' has no prompt '{prompt_id}'.")
        if self._locked(section.id, row, state):
            raise GateLocked(conversation.gate.message())
        tags = self.check_tags(section, tags)
        note_id = new_id()
        stamp = now()
        store = conversation.store
        with store.write() as conn:
            values = (note_id, conversation.id, section.id, prompt_id, episode_id, author_role, text, checksum(text),
                      stamp, stamp)
            columns = ("INSERT INTO notes (id, conversation_id, section_id, prompt_id, episode_id, author_role, body,"
                       " checksum, created_at, updated_at)")
            if state is None:
                written = conn.execute(f"{columns} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", values).rowcount
            else:  # only if the snapshot checked against is still the database's
                written = conn.execute(f"{columns} SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?"
                                       " WHERE (SELECT data_version FROM pragma_data_version) = ?",
                                       (*values, state.data_version)).rowcount
            if not written:
                return None  # another program changed the database since the snapshot: nothing to undo
            if tags:  # one statement for all of them
                conn.execute("INSERT INTO note_tags (note_id, tag_id) SELECT ?, value FROM json_each(?)",
                             (note_id, json.dumps(tags)))
            if clear_draft is not None:
                conn.execute("DELETE FROM drafts WHERE conversation_id = ? AND slot = ?", (conversation.id, clear_draft))
            # A note for the current stop hands back the screen's next snapshot; one for a named section
            # (imports, demo data) does not, so saving stays as quick however many notes there are.
            snapshot = None
            if state is not None:
                snapshot = conversation.update_returning_state(conn, "updated_at = :stamp", {"stamp": stamp},
                                                               chain_head_for=store.device_id)
            else:
                conversation.touch(conn)
            store.event(
                "create", "note", note_id,
                {"conversation": conversation.id, "section": section.id, "checksum": checksum(text), "tags": tags},
                author_role, head=snapshot.pop("_chain") if snapshot else None,
            )
        if snapshot is not None:
            conversation.keep(snapshot)
        return SavedNote(note_id, cleaned.changes)

    def edit(self, note_id: str, body: str, reason: str = "", clear_draft: str | None = None) -> SavedNote:
        """Change a note's text, keeping the previous version; after checking, a reason is required."""
        conversation = self.conversation
        note = self.get(note_id)
        status = conversation.row["status"]
        reason = clean_input(reason).text.strip()
        if status in ("sent_for_checking", "checked") and not reason:
            raise ConversationError("This record has gone for checking; give a reason for the correction.")
        cleaned = clean_input(body)
        if not cleaned.text.strip():
            raise ConversationError("A note cannot be made empty; delete it instead.")
        if cleaned.text == note["body"] and clear_draft is None:
            return SavedNote(note_id, cleaned.changes)
        stamp = now()
        with conversation.store.write() as conn:
            if cleaned.text != note["body"]:
                conn.execute(
                    "INSERT INTO note_versions (id, note_id, body, checksum, replaced_at, reason)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    (new_id(), note_id, note["body"], note["checksum"], stamp, reason),
                )
                conn.execute(
                    "UPDATE notes SET body = ?, checksum = ?, updated_at = ? WHERE id = ?",
                    (cleaned.text, checksum(cleaned.text), stamp, note_id),
                )
                conversation.touch(conn)
                conversation.store.event(
                    "edit", "note", note_id,
                    {"old": note["checksum"], "new": checksum(cleaned.text), "reason_given": bool(reason)},
                    conversation.actor,
                )
            if clear_draft is not None:
                conn.execute("DELETE FROM drafts WHERE conversation_id = ? AND slot = ?", (conversation.id, clear_draft))
        return SavedNote(note_id, cleaned.changes)

    def set_tags(self, note_id: str, tags: Iterable[str]) -> None:
        conversation = self.conversation
        conversation.require_open()
        note = self.get(note_id)
        section = conversation.structure.section_by_id[note["section_id"]]
        tags = self.check_tags(section, tags)
        old = [r["tag_id"] for r in conversation.store.query(
            "SELECT tag_id FROM note_tags WHERE note_id = ?", (note_id,))]
        with conversation.store.write() as conn:
            conn.execute("DELETE FROM note_tags WHERE note_id = ?", (note_id,))
            conn.executemany("INSERT INTO note_tags (note_id, tag_id) VALUES (?, ?)", [(note_id, t) for t in tags])
            conversation.touch(conn)
            conversation.store.event("edit", "note_tags", note_id, {"old": sorted(old), "new": sorted(tags)},
                                     conversation.actor)

    def delete(self, note_id: str) -> None:
        """Delete recoverably: the note is hidden, and `restore` brings it back."""
        self._set_deleted(note_id, now(), "delete")

    def restore(self, note_id: str) -> None:
        self._set_deleted(note_id, None, "restore")

    def _set_deleted(self, note_id: str, deleted_at: str | None, action: str) -> None:
        conversation = self.conversation
        conversation.require_open()
        self.get(note_id)
        with conversation.store.write() as conn:
            conn.execute("UPDATE notes SET deleted_at = ? WHERE id = ?", (deleted_at, note_id))
            conversation.touch(conn)
            conversation.store.event(action, "note", note_id, {"conversation": conversation.id}, conversation.actor)


class Drafts:
    """The editor's unsaved text, one per slot (a section and moment, or `edit/<note id>`)."""

    def __init__(self, conversation: Conversation) -> None:
        self.conversation = conversation

    def save(self, slot: str, text: str) -> None:
        """Keep the editor's unsaved text (an empty text removes the draft)."""
        conversation = self.conversation
        text = clean_input(text).text
        changes_before = getattr(conversation.store.conn, "total_changes", -1)
        with conversation.store.write() as conn:
            if text.strip():
                conn.execute(
                    "INSERT INTO drafts (conversation_id, slot, body, updated_at) VALUES (?, ?, ?, ?)"
                    " ON CONFLICT (conversation_id, slot) DO UPDATE SET body = excluded.body,"
                    " updated_at = excluded.updated_at",
                    (conversation.id, slot, text, now()),
                )
            else:
                conn.execute("DELETE FROM drafts WHERE conversation_id = ? AND slot = ?", (conversation.id, slot))
        conversation.kept_draft(changes_before, slot, text if text.strip() else "")

    def get(self, slot: str) -> str:
        return self.conversation.store.scalar(
            "SELECT body FROM drafts WHERE conversation_id = ? AND slot = ?", (self.conversation.id, slot)
        ) or ""
