"""Key moments: named in the practitioner's words, renamed, reordered and deleted (their notes kept)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from assistant.conversation.model import ConversationError
from assistant.previous import keep_previous
from assistant.safe_text import clean_input
from assistant.store import checksum, new_id, now

if TYPE_CHECKING:
    from assistant.conversation import Conversation


class Moments:
    def __init__(self, conversation: Conversation) -> None:
        self.conversation = conversation

    def list(self) -> list[dict[str, Any]]:
        return self.conversation.store.query(
            "SELECT * FROM episodes WHERE conversation_id = ? ORDER BY position, created_at", (self.conversation.id,)
        )

    def get(self, episode_id: str) -> dict[str, Any]:
        episode = self.conversation.store.one(
            "SELECT * FROM episodes WHERE id = ? AND conversation_id = ?", (episode_id, self.conversation.id)
        )
        if episode is None:
            raise ConversationError("That key moment is not part of this conversation.")
        return episode

    def add(self, title: str, approximate_time: str = "") -> str:
        """Add a key moment, named in the practitioner's words."""
        conversation = self.conversation
        conversation.require_open()
        title = clean_input(title).text.strip()
        approximate_time = clean_input(approximate_time).text.strip()
        if not title:
            raise ConversationError("Name the moment in the practitioner's words first.")
        if len(title) > 300 or len(approximate_time) > 100:
            raise ConversationError("Keep a moment's name under 300 characters and its time under 100.")
        episode_id = new_id()
        stamp = now()
        with conversation.store.write() as conn:
            position = conn.execute(
                "SELECT COALESCE(MAX(position), -1) + 1 FROM episodes WHERE conversation_id = ?", (conversation.id,)
            ).fetchone()[0]
            conn.execute(
                "INSERT INTO episodes (id, conversation_id, title, approximate_time, position, created_at,"
                " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (episode_id, conversation.id, title, approximate_time, position, stamp, stamp),
            )
            conversation.touch(conn)
            conversation.store.event("create", "episode", episode_id, {"conversation": conversation.id},
                                     conversation.actor)
        return episode_id

    def rename(self, episode_id: str, title: str, approximate_time: str | None = None) -> None:
        conversation = self.conversation
        conversation.require_open()
        title = clean_input(title).text.strip()
        if not title:
            raise ConversationError("A moment needs a name.")
        current = self.get(episode_id)
        time_text = current["approximate_time"] if approximate_time is None \
            else clean_input(approximate_time).text.strip()
        with conversation.store.write() as conn:
            conn.execute(
                "UPDATE episodes SET title = ?, approximate_time = ?, updated_at = ? WHERE id = ?",
                (title, time_text, now(), episode_id),
            )
            conversation.touch(conn)
            conversation.store.event(
                "edit", "episode", episode_id,
                {"old": checksum(current["title"]), "new": checksum(title)}, conversation.actor,
            )

    def move(self, episode_id: str, delta: int) -> None:
        """Move a moment earlier (-1) or later (+1) in the order."""
        self.conversation.require_open()
        order = [e["id"] for e in self.list()]
        index = order.index(self.get(episode_id)["id"])
        target = max(0, min(len(order) - 1, index + delta))
        if target == index:
            return
        order.insert(target, order.pop(index))
        with self.conversation.store.write() as conn:
            conn.executemany(
                "UPDATE episodes SET position = ? WHERE id = ?", [(i, e) for i, e in enumerate(order)]
            )
            self.conversation.touch(conn)

    def delete(self, episode_id: str, move_to: str | None = None, reason: str = "") -> int:
        """Delete a key moment. Its notes, prompt marks, visits and unsaved drafts move to the moment
        `move_to` (another moment of this conversation) or, without one, stay under "no moment"; nothing
        is lost. The moment's name is kept in its history. Returns how many notes were moved."""
        conversation = self.conversation
        conversation.require_open()
        current = self.get(episode_id)
        if move_to is not None:
            if move_to == episode_id:
                raise ConversationError("Move the notes to another moment, or keep them under \"no moment\".")
            self.get(move_to)
        store = conversation.store
        notes = store.scalar("SELECT COUNT(*) FROM notes WHERE episode_id = ?", (episode_id,))
        drafts = store.query("SELECT slot, body FROM drafts WHERE conversation_id = ? AND slot LIKE ?",
                             (conversation.id, f"%/{episode_id}"))
        order = [e["id"] for e in self.list() if e["id"] != episode_id]
        with store.write() as conn:
            conn.execute("UPDATE notes SET episode_id = ?, updated_at = ? WHERE episode_id = ? AND conversation_id = ?",
                         (move_to, now(), episode_id, conversation.id))
            for table in ("prompt_marks", "section_visits", "questions"):
                conn.execute(f"UPDATE {table} SET episode_id = ? WHERE episode_id = ? AND conversation_id = ?",
                             (move_to, episode_id, conversation.id))
            for draft in drafts:
                _move_draft(conn, conversation.id, draft, f"{draft['slot'][:-len(episode_id)]}{move_to or ''}")
            conn.execute("UPDATE conversations SET position_episode = ? WHERE id = ? AND position_episode = ?",
                         (move_to, conversation.id, episode_id))
            conn.execute("DELETE FROM case_episode_links WHERE episode_id = ?", (episode_id,))
            keep_previous(conn, "episode", episode_id, "deleted", current["title"], actor=conversation.actor,
                          reason=clean_input(reason).text.strip(), conversation_id=conversation.id)
            conn.execute("DELETE FROM episodes WHERE id = ?", (episode_id,))
            conn.executemany("UPDATE episodes SET position = ? WHERE id = ?", [(i, e) for i, e in enumerate(order)])
            conversation.touch(conn)
            conversation.store.event("delete", "episode", episode_id,
                                     {"conversation": conversation.id, "notes_moved_to": move_to, "notes": notes},
                                     conversation.actor)
        return notes


def _move_draft(conn: Any, conversation_id: str, draft: dict[str, Any], slot: str) -> None:
    """Move an unsaved draft to the slot of the moment its notes went to; where that slot already holds
    text, the two are kept together rather than one replacing the other."""
    there = conn.execute("SELECT body FROM drafts WHERE conversation_id = ? AND slot = ?",
                         (conversation_id, slot)).fetchone()
    body = draft["body"] if there is None else f"{there[0]}\n\n{draft['body']}"
    conn.execute("DELETE FROM drafts WHERE conversation_id = ? AND slot = ?", (conversation_id, draft["slot"]))
    conn.execute("INSERT INTO drafts (conversation_id, slot, body, updated_at) VALUES (?, ?, ?, ?)"
                 " ON CONFLICT (conversation_id, slot) DO UPDATE SET body = excluded.body,"
                 " updated_at = excluded.updated_at", (conversation_id, slot, body, now()))
