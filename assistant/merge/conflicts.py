"""The rows a merge set aside, in words, and resolving each: keep the lead's copy or take the incoming one.

A conflict row is never deleted. Resolving it is an audit event (`resolve` on the `merge_conflict`),
which is what marks it resolved, and a `revisions` row keeps the reason given (erasable with its case,
as the audit trail is not). Taking the incoming copy keeps the lead's values as earlier ones: a note's
text as a note version, any other column as a `revisions` row, as corrections are kept.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from assistant.merge.report import MergeError
from assistant.merge.tables import VOLATILE
from assistant.previous import keep_previous
from assistant.safe_text import clean_input
from assistant.store import Store, checksum, new_id, now

KEEP = ("mine", "theirs")
# Columns taken along with the others but not shown: a note's checksum follows its text, and when a
# record was ended follows its status.
UNSHOWN = frozenset({"checksum", "ended_at"})
# How a column is named to a person; any other column by its name with spaces.
COLUMN_WORDS = {"body": "text", "practitioner_role": "role label", "lead_interviewer": "lead reviewer's label",
                "second_interviewer": "second reviewer's label", "deleted_at": "deleted", "episode_id": "key moment"}
# What a row of each table is, within its conversation or case.
ROW_WORDS = {"episodes": "the key moment", "prepared_queries": "a prepared query", "section_visits": "a visit to a part",
             "prompt_marks": "a prompt's mark", "revisions": "an earlier value", "note_versions": "a note's earlier text",
             "case_group_members": "a case group member", "review_questions": "a review question"}
# The audit trail's entity for rows whose replaced values are kept as revisions.
ENTITIES = {"conversations": "conversation", "episodes": "episode", "prepared_queries": "prepared_query",
            "cases": "case", "case_group_members": "case_group_member", "review_questions": "review_question"}


class ConflictError(MergeError):
    """A conflict that cannot be resolved as asked; nothing was changed."""


@dataclass
class Conflict:
    """One row set aside by a merge, with what differs between the lead's copy and the incoming one."""

    id: str
    table: str
    row_id: str
    what: str
    file: str
    found_at: str
    case_id: str | None
    # (column, the lead's value, the incoming value) for each column that differs
    changes: list[tuple[str, Any, Any]] = field(default_factory=list)
    resolution: dict[str, Any] | None = None

    @property
    def open(self) -> bool:
        return self.resolution is None

    @property
    def shown(self) -> list[tuple[str, Any, Any]]:
        return [change for change in self.changes if change[0] not in UNSHOWN]

    @property
    def mine(self) -> str:
        return _values(self.shown, 1)

    @property
    def theirs(self) -> str:
        return _values(self.shown, 2)

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "table": self.table, "row_id": self.row_id, "what": self.what, "mine": self.mine,
                "theirs": self.theirs, "file": self.file, "found_at": self.found_at, "open": self.open,
                "resolution": self.resolution}


def _values(changes: list[tuple[str, Any, Any]], side: int) -> str:
    if len(changes) == 1:
        return _text(changes[0][side])
    return "; ".join(f"{_column(c[0])}: {_text(c[side])}" for c in changes)


def _text(value: Any) -> str:
    return "(empty)" if value is None else str(value)


def _column(name: str) -> str:
    return COLUMN_WORDS.get(name, name.replace("_", " "))


@lru_cache(maxsize=1)
def _section_titles() -> dict[str, str]:
    from assistant.structure import load_structure

    return {section.id: str(section.title) for section in load_structure().sections}


def _row(conn: Any, table: str, row_id: str) -> dict[str, Any] | None:
    cursor = conn.execute(f"SELECT * FROM {table} WHERE id = ?", (row_id,))
    values = cursor.fetchone()
    return None if values is None else dict(zip([d[0] for d in cursor.description], values))


def _conversation_of(conn: Any, table: str, row: dict[str, Any]) -> dict[str, Any] | None:
    if table == "conversations":
        return row
    conversation_id = row.get("conversation_id")
    if table == "note_versions":
        note = _row(conn, "notes", row["note_id"])
        conversation_id = note and note["conversation_id"]
    return _row(conn, "conversations", conversation_id) if conversation_id else None


def _describe(conn: Any, table: str, row: dict[str, Any], columns: list[str]) -> tuple[str, str | None]:
    """What the row is, in words, and its case's id."""
    what = ", ".join(_column(c) for c in columns) or "content"
    conversation = _conversation_of(conn, table, row)
    if conversation is not None:
        whose = f"{conversation['practitioner_role']}'s conversation"
        if table == "conversations":
            return f"{whose}: {what}", conversation["case_id"]
        if table == "notes":
            section = _section_titles().get(row["section_id"], row["section_id"])
            return f"{whose}: a note in “{section}”: {what}", conversation["case_id"]
        if table == "episodes":
            return f"{whose}: the key moment “{row['title']}”: {what}", conversation["case_id"]
        return f"{whose}: {ROW_WORDS.get(table, table.replace('_', ' '))}: {what}", conversation["case_id"]
    case_id = row["id"] if table == "cases" else row.get("case_id")
    case = _row(conn, "cases", case_id) if case_id else None
    where = f"case {case['reference']}" if case else table.replace("_", " ")
    if table == "cases":
        return f"{where}: {what}", case_id
    return f"{where}: {ROW_WORDS.get(table, table.replace('_', ' '))}: {what}", case_id


def _resolutions(conn: Any) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for conflict_id, at, actor, detail in conn.execute(
            "SELECT entity_id, at, actor, detail FROM events WHERE action = 'resolve' AND entity = 'merge_conflict'"):
        recorded = json.loads(detail)
        found[conflict_id] = {"keep": recorded.get("keep"), "at": at, "by": actor,
                              "columns": recorded.get("columns") or []}
    return found


def _conflict(conn: Any, record: dict[str, Any], resolutions: dict[str, dict[str, Any]]) -> Conflict:
    incoming = json.loads(record["incoming"])
    table, row_id = record["table_name"], record["row_id"]
    lead = _row(conn, table, row_id)
    conflict = Conflict(record["id"], table, row_id, f"{table.replace('_', ' ')}: no longer here",
                        Path(record["source_path"]).name, record["found_at"], None,
                        resolution=resolutions.get(record["id"]))
    if lead is not None:
        conflict.changes = [(c, lead[c], v) for c, v in incoming.items()
                            if c in lead and c not in VOLATILE and lead[c] != v and c != "id"]
        if not conflict.changes and conflict.resolution:  # the incoming copy was taken: both now read the same
            conflict.changes = [(c, lead[c], incoming[c]) for c in conflict.resolution["columns"] if c in incoming]
        conflict.what, conflict.case_id = _describe(conn, table, lead, [c[0] for c in conflict.shown])
    return conflict


def list_conflicts(store: Store, case_id: str | None = None, open_only: bool = False) -> list[Conflict]:
    """Every conflict a merge set aside (of one case, when given), oldest first."""
    resolutions = _resolutions(store.conn)
    cursor = store.conn.execute("SELECT * FROM merge_conflicts ORDER BY found_at, rowid")
    names = [d[0] for d in cursor.description]
    conflicts = [_conflict(store.conn, dict(zip(names, values)), resolutions) for values in cursor.fetchall()]
    return [c for c in conflicts if (case_id is None or c.case_id == case_id) and not (open_only and not c.open)]


def find_conflict(store: Store, text: str) -> Conflict:
    """The conflict whose id is `text` or starts with it."""
    prefix = (text or "").strip().lower()
    found = [c for c in list_conflicts(store) if re.fullmatch(r"[0-9a-f-]+", prefix) and c.id.startswith(prefix)]
    if len(found) > 1:
        raise ConflictError(f"The id '{text}' fits more than one merge conflict; give more of its characters.")
    if not found:
        raise ConflictError(f"There is no conflict whose id starts with '{text}'; `merge conflicts` lists them.")
    return found[0]


def _take_theirs(conn: Any, conflict: Conflict, reason: str, actor: str) -> None:
    """Write the incoming values over the lead's row, keeping the lead's as earlier values."""
    if not conflict.changes:
        raise ConflictError("The lead's copy of that row is no longer here (erased or deleted); there is nothing "
                            "to take the incoming copy into. Keep mine to close it.")
    lead = _row(conn, conflict.table, conflict.row_id)
    if conflict.table == "notes":
        incoming = dict((c, theirs) for c, _, theirs in conflict.changes)
        body = incoming.get("body", lead["body"])
        if checksum(body) != incoming.get("checksum", lead["checksum"]):
            raise ConflictError("The incoming note's text does not match its checksum; nothing was changed.")
        conn.execute("INSERT INTO note_versions (id, note_id, body, checksum, replaced_at, reason)"
                     " VALUES (?, ?, ?, ?, ?, ?)", (new_id(), lead["id"], lead["body"], lead["checksum"], now(),
                                                    reason))
    else:
        conversation = _conversation_of(conn, conflict.table, lead)
        for column, mine, _ in conflict.changes:
            keep_previous(conn, ENTITIES.get(conflict.table, conflict.table), conflict.row_id, column,
                          _text(mine), actor=actor, reason=reason, case_id=conflict.case_id,
                          conversation_id=conversation and conversation["id"])
    assignments = [f"{column} = ?" for column, _, _ in conflict.changes]
    values = [theirs for _, _, theirs in conflict.changes]
    if "source" in lead:  # the row now holds that hand-over's copy; a newer one from the same pair may follow
        path, sha = conn.execute("SELECT source_path, source_sha256 FROM merge_conflicts WHERE id = ?",
                                 (conflict.id,)).fetchone()
        assignments.append("source = ?")
        values.append(f"{Path(path).name} sha256:{sha[:16]}")
    conn.execute(f"UPDATE {conflict.table} SET {', '.join(assignments)} WHERE id = ?", [*values, conflict.row_id])


def resolve_conflict(store: Store, conflict_id: str, keep: str, reason: str = "", actor: str = "lead reviewer") \
        -> Conflict:
    """Resolve one conflict: keep "mine" (the lead's copy stays) or "theirs" (the incoming copy is taken).
    Audited; the conflict row stays, marked resolved by the event."""
    if keep not in KEEP:
        raise ConflictError("Keep either mine (the copy here) or theirs (the incoming copy).")
    conflict = find_conflict(store, conflict_id)
    if not conflict.open:
        raise ConflictError(f"That merge conflict was already resolved (kept {conflict.resolution['keep']}, "
                            f"{conflict.resolution['at'][:10]}).")
    reason = clean_input(reason or "").text.strip()[:500]
    with store.write() as conn:
        lead = _row(conn, conflict.table, conflict.row_id)
        conversation = _conversation_of(conn, conflict.table, lead) if lead else None
        if keep == "theirs":
            _take_theirs(conn, conflict, reason, actor)
        # The reason goes with its case and conversation, so erasing either erases it too.
        keep_previous(conn, "merge_conflict", conflict.id, "resolution", "open", actor=actor, reason=reason,
                      case_id=conflict.case_id, conversation_id=conversation and conversation["id"])
        store.event("resolve", "merge_conflict", conflict.id, {
            "table": conflict.table, "row_id": conflict.row_id, "keep": keep,
            "columns": [c[0] for c in conflict.changes], "reason_sha256": checksum(reason)}, actor)
    conflict.resolution = {"keep": keep, "at": now(), "by": actor}
    return conflict
