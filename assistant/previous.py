"""The value a correction replaced, kept with its reason: earlier wordings of findings, earlier labels
of a conversation, the titles of episodes and moments that were renamed, merged or deleted.

The audit trail holds only hashes of these words (it keeps no content), so the words themselves live
in the `revisions` table, which erasure clears with the conversation or case they belong to.
"""

from __future__ import annotations

from typing import Any

from assistant.store import Store, new_id, now


def keep_previous(conn: Any, entity: str, entity_id: str, field: str, old_value: str, *, actor: str,
                  reason: str = "", case_id: str | None = None, conversation_id: str | None = None) -> None:
    """Record what `field` held before a change; call inside the change's own `Store.write()`."""
    conn.execute(
        "INSERT INTO revisions (id, entity, entity_id, field, old_value, reason, case_id, conversation_id, actor,"
        " replaced_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (new_id(), entity, entity_id, field, old_value, reason, case_id, conversation_id, actor, now()),
    )


def previous_values(store: Store, entity: str, entity_id: str) -> list[dict[str, Any]]:
    """Every value replaced on one thing, oldest first: field, old_value, reason, actor, replaced_at."""
    return store.query(
        "SELECT * FROM revisions WHERE entity = ? AND entity_id = ? ORDER BY rowid", (entity, entity_id))
