"""Honouring erasure and deletion: rows of conversations and cases erased here (the audit trail's
tombstones) are left out, and so are moments deleted here (their `revisions` rows and delete events),
so an old hand-over cannot bring them back; links to what did not come are emptied."""

from __future__ import annotations

from typing import Any

from assistant.merge.report import MergeReport
from assistant.merge.tables import KNOWN, TABLES, Rows


def leave_out_erased(incoming: Rows, erased_conversations: set[str], erased_cases: set[str],
                     case_map: dict[str, str], report: MergeReport) -> set[str]:
    """Drop the rows of conversations and cases erased here (and rows of cases not merged, such as
    rehearsal-only ones, uncounted); empty a note link whose note was dropped; return the ids of the
    notes dropped."""
    conversations = set(erased_conversations)
    conversations.update(c["id"] for c in incoming["conversations"] if c["case_id"] in erased_cases)
    notes = {n["id"] for n in incoming["notes"] if n["conversation_id"] in conversations}
    for table in TABLES:
        rows = incoming[table.name]
        if table.conversation:
            rows = [r for r in rows if r[table.conversation] not in conversations]
        if table.note:
            rows = [r for r in rows if r[table.note] not in notes]
        if table.case:
            rows = [r for r in rows if r[table.case] not in erased_cases]
        report.skipped_erased += len(incoming[table.name]) - len(rows)
        if table.case:  # a case not merged (rehearsal-only): its rows stay behind, as it does
            rows = [r for r in rows if r[table.case] is None or r[table.case] in case_map]
        if table.optional_note:
            for row in rows:
                if row[table.optional_note] in notes:
                    row[table.optional_note] = None
        incoming[table.name] = rows
    return notes


def deleted_here(conn: Any, incoming: Rows) -> set[str]:
    """Ids of the rows of kinds a merge brings (moments) deleted here or in the source: the `revisions`
    rows that kept their names, and the audit trail's delete events."""
    entities = [t.deleted_entity for t in TABLES if t.deleted_entity]
    marks = ", ".join("?" * len(entities))
    deleted = {r[0] for r in conn.execute(
        f"SELECT entity_id FROM revisions WHERE field = 'deleted' AND entity IN ({marks})"
        f" UNION SELECT entity_id FROM events WHERE action = 'delete' AND entity IN ({marks})", entities * 2)}
    deleted.update(r["entity_id"] for r in incoming.get("revisions", ())
                   if r["field"] == "deleted" and r["entity"] in entities)
    return deleted


def leave_out_deleted(conn: Any, incoming: Rows, report: MergeReport) -> None:
    """Drop the rows deleted here (an older copy still holds them) and empty the links to them, as the
    deletion did (a deleted moment's notes stay under "no moment")."""
    deleted = deleted_here(conn, incoming)
    if not deleted:
        return
    for table in TABLES:
        rows = incoming[table.name]
        if table.deleted_entity:
            incoming[table.name] = [r for r in rows if r.get(KNOWN) or r["id"] not in deleted]
            report.skipped_deleted += len(rows) - len(incoming[table.name])
        for column in table.deleted_references:
            for row in rows:
                if row.get(column) in deleted:
                    row[column] = None


def settle_conversation_links(conn: Any, incoming: Rows) -> None:
    """Keep a row's optional link to a conversation only when that conversation is merged from this
    source or already here, and held by no other row of the lead; else empty it."""
    merged = {c["id"] for c in incoming["conversations"]}
    for table in TABLES:
        column = table.optional_conversation
        if not column:
            continue
        for row in incoming[table.name]:
            linked = row[column]
            if linked is None:
                continue
            here = linked in merged or conn.execute(
                "SELECT 1 FROM conversations WHERE id = ?", (linked,)).fetchone() is not None
            holder = conn.execute(f"SELECT id FROM {table.name} WHERE {column} = ?", (linked,)).fetchone()
            if not here or (holder is not None and holder[0] != row.get("id")):
                row[column] = None
