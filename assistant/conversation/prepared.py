"""The queries a pair prepares for a conversation, from agency records or from other people's accounts.

They wait behind the same gate as the chronology: until the practitioner's own account and a key moment
are captured (or the gate is opened early with a recorded reason) they are not listed and not even
counted, so a glance cannot pull the conversation toward the records. Once the gate is open they belong
to *Questions from the wider picture*; one reaches the practitioner's record only when it is asked
(`ask_prepared_query` turns it into a note there).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from assistant.conversation.model import AUTHOR_ROLES, MAX_NOTE_CHARS, ConversationError, GateLocked
from assistant.safe_text import clean_input
from assistant.store import checksum, new_id, now

if TYPE_CHECKING:
    from assistant.conversation import Conversation

QUERIES_SECTION = "queries"
# Where a prepared query comes from, and the prompt of the wider-picture section it is asked under.
ORIGIN_PROMPTS = {"records": "from_records", "accounts": "from_others"}
ORIGIN_LABELS = {"records": "from records", "accounts": "from other accounts"}


def prepared_queries_locked(conversation: Conversation) -> bool:
    """True while the gate keeps the wider picture (chronology and prepared queries) out of the room."""
    return conversation.gate.chronology_locked()


def add_prepared_query(conversation: Conversation, text: str, origin: str = "records",
                       author_role: str = "second") -> str:
    """Keep a query the pair has prepared; returns its id (and nothing that would tell how many)."""
    if origin not in ORIGIN_PROMPTS:
        raise ConversationError("A prepared query comes from records or from other accounts.")
    if author_role not in AUTHOR_ROLES:
        raise ConversationError("A prepared query is written by the lead or the second interviewer.")
    text = clean_input(text or "").text.strip()
    if not text:
        raise ConversationError("A prepared query cannot be empty; type the query first.")
    if len(text) > MAX_NOTE_CHARS:
        raise ConversationError(f"A prepared query can be at most {MAX_NOTE_CHARS:,} characters.")
    conversation.require_open()
    store = conversation.store
    query_id = new_id()
    stamp = now()
    with store.write() as conn:
        position = conn.execute("SELECT COALESCE(MAX(position), -1) + 1 FROM prepared_queries"
                                " WHERE conversation_id = ?", (conversation.id,)).fetchone()[0]
        conn.execute(
            "INSERT INTO prepared_queries (id, conversation_id, position, origin, text, author_role, created_at,"
            " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (query_id, conversation.id, position, origin, text, author_role, stamp, stamp))
        store.event("create", "prepared_query", query_id,
                    {"conversation": conversation.id, "origin": origin, "checksum": checksum(text)}, author_role)
    return query_id


def prepared_queries(conversation: Conversation) -> list[dict[str, Any]]:
    """The prepared queries in the order written, each with the `prompt_id` it is asked under and the
    `note_id` it became once asked — or an empty list while the gate is closed."""
    if prepared_queries_locked(conversation):
        return []
    rows = conversation.store.query(
        "SELECT q.*, (n.id IS NOT NULL AND n.deleted_at IS NULL) AS asked FROM prepared_queries q"
        " LEFT JOIN notes n ON n.id = q.note_id WHERE q.conversation_id = ? ORDER BY q.position, q.rowid",
        (conversation.id,))
    for row in rows:
        row["prompt_id"] = ORIGIN_PROMPTS[row["origin"]]
        row["asked"] = bool(row["asked"])
    return rows


def ask_prepared_query(conversation: Conversation, query_id: str, author_role: str = "second") -> str:
    """Bring a prepared query into the conversation: a note in *Questions from the wider picture*, under
    the prompt for its origin. Returns the note's id."""
    if prepared_queries_locked(conversation):
        raise GateLocked(conversation.gate.message())
    query = next((q for q in prepared_queries(conversation) if q["id"] == query_id), None)
    if query is None:
        raise ConversationError("That prepared query is not part of this conversation.")
    if query["asked"]:
        raise ConversationError("That prepared query has already been brought into the conversation.")
    if QUERIES_SECTION not in conversation.structure.section_by_id:
        raise ConversationError("This structure has no section for questions from the wider picture.")
    store = conversation.store
    with store.write() as conn:
        saved = conversation.notes.add(query["text"], author_role=author_role, section_id=QUERIES_SECTION,
                                       prompt_id=query["prompt_id"])
        conn.execute("UPDATE prepared_queries SET note_id = ?, updated_at = ? WHERE id = ?",
                     (saved.id, now(), query_id))
        store.event("ask", "prepared_query", query_id, {"note": saved.id}, author_role)
    return saved.id


def remove_prepared_query(conversation: Conversation, query_id: str) -> None:
    """Remove a prepared query the pair no longer needs (one already asked stays, as its note does)."""
    store = conversation.store
    query = store.one("SELECT note_id FROM prepared_queries WHERE id = ? AND conversation_id = ?",
                      (query_id, conversation.id))
    if query is None:
        raise ConversationError("That prepared query is not part of this conversation.")
    if query["note_id"]:
        raise ConversationError("That prepared query has been asked; its note stays with the record.")
    with store.write() as conn:
        conn.execute("DELETE FROM prepared_queries WHERE id = ?", (query_id,))
        store.event("delete", "prepared_query", query_id, {"conversation": conversation.id}, conversation.actor)
