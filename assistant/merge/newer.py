"""A newer copy of a row from the pair that made it: taken where the lead has not changed the row too.

The lead knows where a merged row came from by its `source` ("<file> sha256:<16 hex>"), and the merge
event of that file records the device it came from and when the lead took it. A row from the same
device as the incoming copy, that the lead has not changed since (no event of its own on the row after
that merge, or after a conflict on it was last resolved), may be updated as its Table's `newer` says.
Nothing here decides anything for a row the lead made itself or took from another device.
"""

from __future__ import annotations

import json
from typing import Any

from assistant.merge.tables import VOLATILE, Rows, Table, content

# The order a record moves on in; a step back needs the pair's reopen.
STATUS_ORDER = ("in_progress", "ended", "sent_for_checking", "checked")
# Audit actions that read or classify a row without changing it.
LOOKING = ("export", "review_state", "reveal")


class Origins:
    """Where the lead's merged rows came from and when, read once per merge from its audit trail."""

    def __init__(self, conn: Any, device: str | None) -> None:
        self.conn = conn
        self.device = device
        self._latest: dict[tuple[str, str], str] | None = None
        self._resolved: dict[str, str] = {}
        self.merged: dict[str, tuple[str | None, str]] = {}
        for at, detail in conn.execute("SELECT at, detail FROM events WHERE action = 'merge' ORDER BY rowid"):
            try:
                recorded = json.loads(detail)
            except (TypeError, ValueError):
                continue
            sha = recorded.get("sha256") if isinstance(recorded, dict) else None
            if isinstance(sha, str) and sha[:16] not in self.merged:  # the first merge of a file wrote its rows
                self.merged[sha[:16]] = (recorded.get("source_device"), at)

    def taken_at(self, source: Any) -> str | None:
        """When the lead took a row with this `source` from the incoming copy's device; None when the row
        is the lead's own, from another device, or from a file whose merge is not on record."""
        if not self.device or not isinstance(source, str) or " sha256:" not in source:
            return None
        device, at = self.merged.get(source.rsplit("sha256:", 1)[1], (None, ""))
        return at if device == self.device else None

    def changed_here(self, entity: str, row_id: str, since: str) -> bool:
        """Whether the lead's audit trail holds a change of its own to the row after `since`, or after a
        conflict on the row was last resolved, whichever is later."""
        if self._latest is None:
            self._read_trail()
        since = max(since, self._resolved.get(row_id, ""))
        return self._latest.get((entity, row_id), "") > since

    def _read_trail(self) -> None:
        """The latest change and resolution of each row, in one pass each (events have no index by row),
        read only when some row differs."""
        marks = ", ".join("?" * len(LOOKING))
        self._latest = {(entity, row_id): at for entity, row_id, at in self.conn.execute(
            f"SELECT entity, entity_id, MAX(at) FROM events WHERE action NOT IN ({marks}) AND action <> 'merge'"
            " GROUP BY entity, entity_id", LOOKING)}
        self._resolved = {row_id: at for row_id, at in self.conn.execute(
            "SELECT json_extract(detail, '$.row_id'), MAX(at) FROM events WHERE action = 'resolve'"
            " AND entity = 'merge_conflict' GROUP BY 1") if row_id}


def _reopened(conversation_id: str, old_status: str, after: str, incoming: Rows) -> bool:
    """Whether the pair reopened the record from `old_status` after the lead's copy was written."""
    return any(r["entity"] == "conversation" and r["entity_id"] == conversation_id and r["field"] == "status"
               and r["old_value"] == old_status and str(r["replaced_at"]) > after
               for r in incoming.get("revisions", []))


def _status_may_move(lead: dict[str, Any], row: dict[str, Any], incoming: Rows) -> bool:
    old, new = lead["status"], row["status"]
    if old not in STATUS_ORDER or new not in STATUS_ORDER:
        return False
    return STATUS_ORDER.index(new) >= STATUS_ORDER.index(old) or _reopened(lead["id"], old, lead["updated_at"], incoming)


def compare(table: Table, lead: dict[str, Any], row: dict[str, Any], origins: Origins, incoming: Rows) -> str:
    """"newer" (take the copy), "older" (the lead holds a newer copy from the same origin: present) or
    "" (a conflict), for a row whose id the lead holds with other content."""
    since = origins.taken_at(lead.get("source"))
    if not table.newer or since is None:
        return ""
    # The columns that tie a row to its case, conversation or note never move.
    ties = {"id", "case_id", table.conversation, table.note} - {None}
    if any(column in row and row[column] != lead.get(column) for column in ties):
        return ""
    if table.newer == "filled":
        differing = [c for c, v in content(row).items() if c in lead and lead[c] != v]
        if all(lead[c] is None for c in differing):
            return "newer"
        # Filled on both sides (a visit closed here and there): the lead's stays, nothing to decide.
        return "older" if all(lead[c] is not None for c in differing) else ""
    ours, theirs = lead.get("updated_at"), row.get("updated_at")
    if not isinstance(ours, str) or not isinstance(theirs, str):
        return ""
    if origins.changed_here(table.entity, lead["id"], since):
        return ""
    if theirs < ours:
        # Older than the copy the lead took from the same pair: present. Older than a time written here
        # (a resolution, the record walked through here): not known to be older, so a conflict.
        return "older" if ours <= since else ""
    if table.name == "conversations" and not _status_may_move(lead, row, incoming):
        return ""
    return "newer"


def take(conn: Any, table: str, lead: dict[str, Any], row: dict[str, Any], provenance: str) -> None:
    """Write the newer copy's values over the lead's row, naming the hand-over it came from."""
    names = [c for c in row if c != "id" and c in lead and (c not in VOLATILE or c == "updated_at")]
    values = [row[c] for c in names]
    if "source" in lead:
        names.append("source")
        values.append(provenance)
    conn.execute(f"UPDATE {table} SET {', '.join(f'{c} = ?' for c in names)} WHERE id = ?", [*values, lead["id"]])
