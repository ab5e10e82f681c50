"""Erasure of a conversation or a whole case (a data-protection request, or data kept past its time).

The text goes from every table, the full-text index, the merge conflicts set aside, the write-ahead
log and the backups an upgrade left beside the database; the file is vacuumed so freed pages hold
nothing. The audit trail keeps a tombstone: ids, a hash of what was erased (and of a case's
reference), the reason and who asked, never the content. A later merge reads the tombstones and
leaves the erased rows out, so a hand-over made before the erasure cannot bring them back.

When the deletion is saved but the file cannot be cleaned (another program holds an old snapshot,
or the disk is full), the error says exactly that; running erase again finishes the job.
"""

from __future__ import annotations

import glob
import hashlib
import json
import time
from pathlib import Path
from typing import Any

from assistant.cases import get_case
from assistant.safe_text import clean_input
import assistant.store as _store_module
from assistant.store import Store, StoreError, is_encrypted_file, open_read_only

# Rows that hang off a conversation, deleted children first (foreign keys are enforced).
_CONVERSATION_ROWS = [
    ("finding_links", "target_kind = 'note' AND target_id IN (SELECT id FROM notes WHERE conversation_id = :c)"),
    ("comments", "(target_kind = 'note' AND target_id IN (SELECT id FROM notes WHERE conversation_id = :c))"
                 " OR (target_kind = 'conversation' AND target_id = :c)"),
    ("note_tags", "note_id IN (SELECT id FROM notes WHERE conversation_id = :c)"),
    ("episode_card_notes", "note_id IN (SELECT id FROM notes WHERE conversation_id = :c)"),
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
    ("revisions", "conversation_id = :c"),
    ("conversations", "id = :c"),
]
# Rows that hang off a case, after its conversations have gone.
_CASE_ROWS = [
    ("challenges", "case_id = :k"),
    ("meeting_people", "meeting_id IN (SELECT id FROM meetings WHERE case_id = :k)"),
    ("meetings", "case_id = :k"),
    ("report_accuracy_checks", "case_id = :k"),
    ("report_signoffs", "case_id = :k"),
    ("report_versions", "case_id = :k"),
    ("episode_card_notes", "case_episode_id IN (SELECT id FROM case_episodes WHERE case_id = :k)"),
    ("episode_cards", "case_id = :k"),
    ("finding_links", "finding_id IN (SELECT id FROM findings WHERE case_id = :k)"),
    ("findings", "case_id = :k"),
    ("case_episode_links", "case_episode_id IN (SELECT id FROM case_episodes WHERE case_id = :k)"),
    ("case_episodes", "case_id = :k"),
    ("chronology", "case_id = :k"),
    ("revisions", "case_id = :k"),
    ("case_drafts", "case_id = :k"),
    ("cases", "id = :k"),
]
# Ids whose rows may have been set aside in merge_conflicts, by table and the column to collect.
_CONVERSATION_IDS = [("notes", "conversation_id = :c"), ("episodes", "conversation_id = :c"),
                     ("note_versions", "note_id IN (SELECT id FROM notes WHERE conversation_id = :c)"),
                     ("prompt_marks", "conversation_id = :c"), ("section_visits", "conversation_id = :c")]
CHECKPOINT_TRIES = 2


class Erased(dict):
    """Rows deleted per table; `already` when an earlier erasure had deleted them and only the file was
    cleaned now; `backups` holds one sentence per backup beside the database that was cleaned or deleted."""

    def __init__(self, counts: dict[str, int] | None = None, already: bool = False) -> None:
        super().__init__(counts or {})
        self.already = already
        self.backups: list[str] = []


def reference_hash(reference: str) -> str:
    """How a case tombstone remembers the reference, so a merge can recognise the case by it."""
    return hashlib.sha256(reference.encode("utf-8")).hexdigest()


def tombstones(conn: Any) -> tuple[set[str], set[str], set[str]]:
    """Erased conversation ids, case ids and case-reference hashes, from the audit trail's erase events."""
    conversations: set[str] = set()
    cases: set[str] = set()
    references: set[str] = set()
    for entity, entity_id, detail in conn.execute(
            "SELECT entity, entity_id, detail FROM events WHERE action = 'erase'"):
        try:
            detail = json.loads(detail)
        except (TypeError, ValueError):
            detail = {}
        if entity == "conversation":
            conversations.add(entity_id)
        elif entity == "case":
            cases.add(entity_id)
            conversations.update(detail.get("conversations") or {})
            if detail.get("reference_sha256"):
                references.add(detail["reference_sha256"])
    return conversations, cases, references


def _fingerprint(store: Store, conversation_id: str) -> str:
    """A hash of everything erased, so the tombstone can show what went without holding it."""
    digest = hashlib.sha256()
    for row in store.query("SELECT id, checksum FROM notes WHERE conversation_id = ? ORDER BY id", (conversation_id,)):
        digest.update(f"{row['id']}:{row['checksum']}\n".encode())
    return digest.hexdigest()


def _tables(conn: Any) -> set[str]:
    return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def _erase_quoting_reports(conn: Any, conversation_id: str) -> int:
    """Delete the report versions (with their sign-offs) that quote the conversation's notes or key
    moments: a kept version is frozen text, so erasing the words means erasing the versions holding them."""
    words = [r[0] for r in conn.execute(
        "SELECT body FROM notes WHERE conversation_id = ? UNION SELECT title FROM episodes WHERE conversation_id = ?",
        (conversation_id, conversation_id)) if r[0] and r[0].strip()]
    doomed = []
    for version_id, sections in conn.execute(
            "SELECT id, sections FROM report_versions WHERE case_id = (SELECT case_id FROM conversations WHERE id = ?)",
            (conversation_id,)):
        try:
            text = "\n".join(str(part) for s in json.loads(sections) for block in s["blocks"] for part in block)
        except (TypeError, ValueError, KeyError):
            text = sections  # unreadable: judged on its raw text
        if any(w in text for w in words):
            doomed.append(version_id)
    for table in ("report_accuracy_checks", "report_signoffs"):
        conn.executemany(f"DELETE FROM {table} WHERE report_version_id = ?", [(v,) for v in doomed])
    conn.executemany("DELETE FROM report_versions WHERE id = ?", [(v,) for v in doomed])
    return len(doomed)


def _erase_rows(conn: Any, conversation_ids: list[str], case_ids: list[str]) -> dict[str, int]:
    """Delete the conversations and cases with everything hanging off them, and any merge conflict that
    holds a copy of one of their rows; works on any schema version (a backup may be older)."""
    tables = _tables(conn)
    counts: dict[str, int] = {}
    gone: set[str] = set(conversation_ids) | set(case_ids)
    for case_id in case_ids:
        conversation_ids = conversation_ids + [
            r[0] for r in conn.execute("SELECT id FROM conversations WHERE case_id = ?", (case_id,))
            if r[0] not in conversation_ids]
        for table in ("chronology", "findings", "case_episodes"):
            if table in tables:
                gone.update(r[0] for r in conn.execute(f"SELECT id FROM {table} WHERE case_id = ?", (case_id,)))
    for conversation_id in conversation_ids:
        gone.add(conversation_id)
        if "report_versions" in tables:
            counts["report_versions"] = counts.get("report_versions", 0) + _erase_quoting_reports(conn, conversation_id)
        for table, where in _CONVERSATION_IDS:
            gone.update(r[0] for r in conn.execute(f"SELECT id FROM {table} WHERE {where}", {"c": conversation_id}))
        for table, where in _CONVERSATION_ROWS:
            if table in tables:
                counts[table] = counts.get(table, 0) + conn.execute(
                    f"DELETE FROM {table} WHERE {where}", {"c": conversation_id}).rowcount
    for case_id in case_ids:
        for table, where in _CASE_ROWS:
            if table in tables:
                counts[table] = counts.get(table, 0) + conn.execute(
                    f"DELETE FROM {table} WHERE {where}", {"k": case_id}).rowcount
    if "merge_conflicts" in tables:
        doomed = []
        for conflict_id, row_id, incoming in conn.execute("SELECT id, row_id, incoming FROM merge_conflicts"):
            try:
                row = json.loads(incoming)
            except (TypeError, ValueError):
                row = {}
            if not isinstance(row, dict):
                row = {}
            linked = {row.get(k) for k in ("id", "conversation_id", "case_id", "note_id")}
            if row_id in gone or linked & gone:
                doomed.append((conflict_id,))
        conn.executemany("DELETE FROM merge_conflicts WHERE id = ?", doomed)
        if doomed:
            counts["merge_conflicts"] = len(doomed)
    return counts


def _reason(reason: str) -> str:
    reason = clean_input(reason).text.strip()
    if len(reason) < 3:
        raise StoreError("Erasure needs a reason, which is kept in the audit trail.")
    return reason


def _checkpoint(conn: Any) -> bool:
    """Copy the write-ahead log into the file and empty it; False while another reader's snapshot
    keeps old pages needed (each try waits the busy timeout first)."""
    for attempt in range(CHECKPOINT_TRIES):
        busy, log, done = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        if not busy and log in (0, -1) and done in (0, -1):
            return True
        time.sleep(0.2)
    return False


def _scrub(store: Store, what: str) -> None:
    """Leave no trace in the search index, the write-ahead log or free pages; say exactly what is left
    when that cannot be done."""
    try:
        with store.write() as conn:
            conn.execute("INSERT INTO notes_fts (notes_fts) VALUES ('rebuild')")
        with store.lock:
            store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            store.conn.execute("VACUUM")
            clean = _checkpoint(store.conn)
    except (StoreError, *_store_module.DATABASE_ERRORS) as error:
        raise StoreError(
            f"{what} was erased from the tables, but the file could not be compacted, so the old text may still "
            f"be on disk; free some space and run erase again ({_cause(error)})."
        ) from None
    if not clean:
        raise StoreError(
            f"{what} was erased from the database, but another program is reading it, so the old text is still"
            " on disk (in the file or its write-ahead log); close that program and run erase again."
        )


def _cause(error: BaseException) -> str:
    text = str(error).lower()
    if "full" in text or "disk" in text or "i/o" in text:
        return "the disk refused the write"
    if "locked" in text or "busy" in text:
        return "the database is busy"
    return error.__class__.__name__


def _backups(store: Store) -> list[Path]:
    """The copies an upgrade leaves beside the database (`NAME.before-vN.bak`)."""
    path = Path(store.path)
    return sorted(p for p in path.parent.glob(f"{glob.escape(path.name)}.before-v*.bak") if p.is_file())


def _clean_backups(store: Store, conversation_ids: list[str], case_ids: list[str], result: Erased) -> None:
    """Erase the same rows from every upgrade backup, or delete a backup that cannot be cleaned."""
    for backup in _backups(store):
        passphrase = store.passphrase if is_encrypted_file(backup) else None
        conn = None
        try:
            if is_encrypted_file(backup) and passphrase is None:
                raise StoreError("no passphrase")
            conn = open_read_only(backup, passphrase)  # to check it opens before changing anything
            conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
            conn.close()
            conn = None
        except (StoreError, *_store_module.DATABASE_ERRORS):
            if conn is not None:
                conn.close()
            backup.unlink()
            result.backups.append(f"{backup.name} could not be opened with this database's passphrase, "
                                  "so it was deleted.")
            continue
        try:
            conn = _open_backup(backup, passphrase)
            conn.execute("BEGIN IMMEDIATE")
            _erase_rows(conn, conversation_ids, case_ids)
            if "notes_fts" in _tables(conn):
                conn.execute("INSERT INTO notes_fts (notes_fts) VALUES ('rebuild')")
            conn.execute("COMMIT")
            conn.execute("VACUUM")
            conn.close()
            conn = None
            for suffix in ("-journal", "-wal", "-shm"):
                Path(f"{backup}{suffix}").unlink(missing_ok=True)
            result.backups.append(f"Also erased from {backup.name}, the copy kept from before an upgrade.")
        except (StoreError, *_store_module.DATABASE_ERRORS, OSError):
            if conn is not None:
                try:
                    conn.close()
                except _store_module.DATABASE_ERRORS:
                    pass
            backup.unlink(missing_ok=True)
            for suffix in ("-journal", "-wal", "-shm"):
                Path(f"{backup}{suffix}").unlink(missing_ok=True)
            result.backups.append(f"{backup.name} could not be cleaned, so it was deleted.")


def _open_backup(path: Path, passphrase: str | None) -> Any:
    if passphrase is None:
        import sqlite3

        conn = sqlite3.connect(str(path), isolation_level=None)
    else:
        import sqlcipher3.dbapi2 as driver

        conn = driver.connect(str(path), isolation_level=None)
        conn.execute("PRAGMA cipher_log_level = NONE")
        conn.execute("PRAGMA key = '" + passphrase.replace("'", "''") + "'")
    conn.execute("PRAGMA secure_delete = ON")
    conn.execute("PRAGMA journal_mode = DELETE")
    return conn


def _already_erased(store: Store, conversation_ids: list[str], case_ids: list[str], what: str) -> Erased:
    """An earlier erasure deleted the rows; finish cleaning the file, conflicts and backups."""
    result = Erased(already=True)
    with store.write() as conn:
        result.update(_erase_rows(conn, conversation_ids, case_ids))
    _scrub(store, what)
    _clean_backups(store, conversation_ids, case_ids, result)
    return result


def erase_conversation(store: Store, conversation_id: str, reason: str, actor: str) -> Erased:
    reason = _reason(reason)
    row = store.one("SELECT id, case_id FROM conversations WHERE id = ?", (conversation_id,))
    if row is None:
        if conversation_id in tombstones(store.conn)[0]:
            return _already_erased(store, [conversation_id], [], "The conversation")
        raise StoreError("There is no conversation with that id in this database.")
    fingerprint = _fingerprint(store, conversation_id)
    with store.write() as conn:
        result = Erased(_erase_rows(conn, [conversation_id], []))
        store.event("erase", "conversation", conversation_id,
                    {"case": row["case_id"], "content_sha256": fingerprint, "rows": dict(result), "reason": reason},
                    actor)
    _scrub(store, "The conversation")
    _clean_backups(store, [conversation_id], [], result)
    return result


def erase_case(store: Store, reference: str, reason: str, actor: str) -> Erased:
    reason = _reason(reason)
    try:
        case = get_case(store, reference)
    except StoreError:
        for detail in store.query("SELECT entity_id, detail FROM events WHERE action = 'erase' AND entity = 'case'"):
            if json.loads(detail["detail"]).get("reference_sha256") == reference_hash(reference):
                conversations = list(json.loads(detail["detail"]).get("conversations") or {})
                return _already_erased(store, conversations, [detail["entity_id"]], f"Case {reference}")
        raise
    conversations = [r["id"] for r in store.query("SELECT id FROM conversations WHERE case_id = ?", (case["id"],))]
    fingerprints = {c: _fingerprint(store, c) for c in conversations}
    with store.write():
        result = Erased(_erase_rows(store.conn, conversations, [case["id"]]))
        store.event("erase", "case", case["id"], {
            "conversations": fingerprints, "rows": dict(result), "reason": reason,
            "reference_sha256": reference_hash(case["reference"])}, actor)
    _scrub(store, f"Case {case['reference']}")
    _clean_backups(store, conversations, [case["id"]], result)
    return result
