"""The queries a pair prepares for a conversation, from agency records or from other people's accounts.

They wait behind the same gate as the chronology: until the practitioner's own account and a key moment
are captured (or the gate is opened early with a recorded reason) they are not listed and not even
counted, so a glance cannot pull the conversation toward the records. Once the gate is open each is a
prompt of *Questions from the wider picture* (id `prepared:<query id>`, after the structure's own), with
the same marks and coverage; one reaches the practitioner's record only when it is asked
(`ask_prepared_query` turns it into a note under its prompt) or answered in a note under it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable

from assistant.conversation.coverage import prompt_state
from assistant.conversation.model import AUTHOR_ROLES, MAX_NOTE_CHARS, ConversationError, GateLocked
from assistant.safe_text import clean_input
from assistant.store import checksum, new_id, now

if TYPE_CHECKING:
    from assistant.conversation import Conversation
    from assistant.structure import Prompt, Section, Structure

QUERIES_SECTION = "queries"
# Where a prepared query comes from, and the prompt of the wider-picture section it is asked under.
ORIGIN_PROMPTS = {"records": "from_records", "accounts": "from_others"}
ORIGIN_LABELS = {"records": "from records", "accounts": "from other accounts"}
# A prepared query's prompt id; marks and notes are keyed by it like any other prompt's.
PREPARED_PREFIX = "prepared:"


def is_prepared(prompt_id: str) -> bool:
    """True for the prompt of a prepared query (not one the structure wrote)."""
    return prompt_id.startswith(PREPARED_PREFIX)


def hidden_by_gate(structure: Structure, gate_missing: list) -> bool:
    """True while the gate keeps the wider picture out: the same rule as `prepared_queries_locked`."""
    gate = structure.gate
    return bool(gate and gate.locks_chronology and gate_missing)


def prepared_prompts(section: Section, queries: Iterable[dict[str, Any]]) -> tuple[Prompt, ...]:
    """Each query as a prompt, with the probes and listen-for of the section's prompt for its origin."""
    from assistant.structure import Prompt  # pydantic only once a conversation is read

    guidance = {p.id: p for p in section.prompts}
    prompts = []
    for query in queries:
        parent = guidance.get(ORIGIN_PROMPTS.get(query["origin"], ""))
        # Built without validation: the text was cleaned when it was kept, and the id is ours.
        prompts.append(Prompt.model_construct(
            id=PREPARED_PREFIX + query["id"], text=query["text"],
            probes=parent.probes if parent else (), listen_for=parent.listen_for if parent else ()))
    return tuple(prompts)


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
    """The prepared queries in the order written, each with the `prompt_id` of its origin's prompt (whose
    guidance it borrows) and the `note_id` it became once asked — or an empty list while the gate is
    closed."""
    if prepared_queries_locked(conversation):
        return []
    rows = conversation.store.query(
        "SELECT q.*, (n.id IS NOT NULL AND n.deleted_at IS NULL) AS brought_in FROM prepared_queries q"
        " LEFT JOIN notes n ON n.id = q.note_id WHERE q.conversation_id = ? ORDER BY q.position, q.rowid",
        (conversation.id,))
    state = conversation.state()
    for row in rows:
        key = (QUERIES_SECTION, PREPARED_PREFIX + row["id"], None)
        row["prompt_id"] = ORIGIN_PROMPTS[row["origin"]]
        row["brought_in"] = bool(row["brought_in"])
        # Its state as a prompt: marked asked, answered in a note, or brought in as one all count as asked.
        row["state"] = prompt_state(state.marks.get(key), key in state.noted)
        # (A note under one marked "come back later" is an answer too; the mark stays until changed.)
        row["asked"] = row["brought_in"] or key in state.noted or row["state"] == "covered"
    return rows


def prepared_prompt_place(conversation: Conversation, query_id: str) -> tuple[int, int] | None:
    """Where a prepared query sits once the gate is open: (its prompt number, the prompts in
    *Questions from the wider picture*), counting from 1; None while the gate keeps it out."""
    prompt_id = PREPARED_PREFIX + query_id
    for stop in conversation.state().stops:
        prompts = [p.id for p in stop.section.prompts]
        if stop.section.id == QUERIES_SECTION and prompt_id in prompts:
            return prompts.index(prompt_id) + 1, len(prompts)
    return None


def ask_prepared_query(conversation: Conversation, query_id: str, author_role: str = "second") -> str:
    """Bring a prepared query into the conversation: a note in *Questions from the wider picture*, under
    its own prompt (so the record shows what was asked). Returns the note's id."""
    if prepared_queries_locked(conversation):
        raise GateLocked(conversation.gate.message())
    query = next((q for q in prepared_queries(conversation) if q["id"] == query_id), None)
    if query is None:
        raise ConversationError("That prepared query is not part of this conversation.")
    if query["brought_in"]:
        raise ConversationError("That prepared query has already been brought into the conversation.")
    if QUERIES_SECTION not in conversation.structure.section_by_id:
        raise ConversationError("This structure has no section for questions from the wider picture.")
    store = conversation.store
    with store.write() as conn:
        saved = conversation.notes.add(query["text"], author_role=author_role, section_id=QUERIES_SECTION,
                                       prompt_id=PREPARED_PREFIX + query_id)
        conn.execute("UPDATE prepared_queries SET note_id = ?, updated_at = ? WHERE id = ?",
                     (saved.id, now(), query_id))
        store.event("ask", "prepared_query", query_id, {"note": saved.id}, author_role)
    return saved.id


def remove_prepared_query(conversation: Conversation, query_id: str) -> None:
    """Remove a prepared query the pair no longer needs (one already asked, marked or answered stays)."""
    store = conversation.store
    query = store.one("SELECT note_id FROM prepared_queries WHERE id = ? AND conversation_id = ?",
                      (query_id, conversation.id))
    if query is None:
        raise ConversationError("That prepared query is not part of this conversation.")
    if query["note_id"]:
        raise ConversationError("That prepared query has been asked; its note stays with the record.")
    key = (conversation.id, PREPARED_PREFIX + query_id)
    if store.one("SELECT 1 FROM prompt_marks WHERE conversation_id = ? AND prompt_id = ? UNION ALL"
                 " SELECT 1 FROM notes WHERE conversation_id = ? AND prompt_id = ? AND deleted_at IS NULL",
                 (*key, *key)):
        raise ConversationError("That prepared query has been marked or answered; it stays with the conversation.")
    with store.write() as conn:
        conn.execute("DELETE FROM prepared_queries WHERE id = ?", (query_id,))
        store.event("delete", "prepared_query", query_id, {"conversation": conversation.id}, conversation.actor)
