"""Erasure of a conversation or a whole case (a data-protection request, or data kept past its time).

The text goes from every table, the full-text index and the write-ahead log; the file is vacuumed so
freed pages hold nothing. The audit trail keeps a tombstone: ids, a hash of what was erased, the
reason and who asked, never the content.
"""

from __future__ import annotations

import hashlib
from typing import Any

from assistant.cases import get_case
from assistant.safe_text import clean_input
from assistant.store import Store, StoreError

# Rows that hang off a conversation, deleted children first (foreign keys are enforced).
_CONVERSATION_ROWS = [
    ("finding_links", "target_kind = 'note' AND target_id IN (SELECT id FROM notes WHERE conversation_id = :c)"),
    ("comments", "(target_kind = 'note' AND target_id IN (SELECT id FROM notes WHERE conversation_id = :c))"
                 " OR (target_kind = 'conversation' AND target_id = :c)"),
    ("note_tags", "note_id IN (SELECT id FROM notes WHERE conversation_id = :c)"),
    ("note_versions", "note_id IN (SELECT id FROM notes WHERE conversation_id = :c)"),
    ("notes", "conversation_id = :c"),
    ("case_episode_links", "episode_id IN (SELECT id FROM episodes WHERE conversation_id = :c)"),
    ("episodes", "conversation_id = :c"),
    ("drafts", "conversation_id = :c"),
    ("prompt_marks", "conversation_id = :c"),
    ("section_visits", "conversation_id = :c"),
    ("questions", "conversation_id = :c"),
    ("conversation_reviews", "conversation_id = :c"),
    ("closing_checks", "conversation_id = :c"),
    ("conversations", "id = :c"),
]


def _fingerprint(store: Store, conversation_id: str) -> str:
    """A hash of everything erased, so the tombstone can show what went without holding it."""
    digest = hashlib.sha256()
    for row in store.query("SELECT id, checksum FROM notes WHERE conversation_id = ? ORDER BY id", (conversation_id,)):
        digest.update(f"{row['id']}:{row['checksum']}\n".encode())
    return digest.hexdigest()


def _erase_conversation_rows(store: Store, conversation_id: str) -> dict[str, int]:
    counts = {}
    for table, where in _CONVERSATION_ROWS:
        cursor = store.conn.execute(f"DELETE FROM {table} WHERE {where}", {"c": conversation_id})
        counts[table] = cursor.rowcount
    return counts


def _reason(reason: str) -> str:
    reason = clean_input(reason).text.strip()
    if len(reason) < 3:
        raise StoreError("Erasure needs a reason, which is kept in the audit trail.")
    return reason


def _scrub(store: Store) -> None:
    """Leave no trace in the search index, the write-ahead log or free pages."""
    with store.write() as conn:
        conn.execute("INSERT INTO notes_fts (notes_fts) VALUES ('rebuild')")
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.conn.execute("VACUUM")
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def erase_conversation(store: Store, conversation_id: str, reason: str, actor: str) -> dict[str, Any]:
    reason = _reason(reason)
    row = store.one("SELECT id, case_id FROM conversations WHERE id = ?", (conversation_id,))
    if row is None:
        raise StoreError("There is no conversation with that id in this database.")
    fingerprint = _fingerprint(store, conversation_id)
    with store.write():
        counts = _erase_conversation_rows(store, conversation_id)
        store.event("erase", "conversation", conversation_id,
                    {"case": row["case_id"], "content_sha256": fingerprint, "rows": counts, "reason": reason}, actor)
    _scrub(store)
    return counts


def erase_case(store: Store, reference: str, reason: str, actor: str) -> dict[str, Any]:
    reason = _reason(reason)
    case = get_case(store, reference)
    conversations = [r["id"] for r in store.query("SELECT id FROM conversations WHERE case_id = ?", (case["id"],))]
    fingerprints = {c: _fingerprint(store, c) for c in conversations}
    totals: dict[str, int] = {}
    with store.write() as conn:
        for conversation_id in conversations:
            for table, count in _erase_conversation_rows(store, conversation_id).items():
                totals[table] = totals.get(table, 0) + count
        for table, where in (
            ("finding_links", "finding_id IN (SELECT id FROM findings WHERE case_id = :k)"),
            ("findings", "case_id = :k"),
            ("case_episode_links", "case_episode_id IN (SELECT id FROM case_episodes WHERE case_id = :k)"),
            ("case_episodes", "case_id = :k"),
            ("chronology", "case_id = :k"),
            ("cases", "id = :k"),
        ):
            totals[table] = conn.execute(f"DELETE FROM {table} WHERE {where}", {"k": case["id"]}).rowcount
        store.event("erase", "case", case["id"], {
            "conversations": fingerprints, "rows": totals, "reason": reason}, actor)
    _scrub(store)
    return totals
