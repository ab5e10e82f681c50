"""Key moments: named in the practitioner's words, renamed and reordered."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from assistant.conversation.model import ConversationError
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
