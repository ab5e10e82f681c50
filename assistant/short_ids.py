"""Short ids: the first characters of an id, shown where a person needs one, and any unique prefix of
an id accepted wherever one is asked for. A complete id is taken as it is (so a command can still say
that an erased conversation was already erased)."""

from __future__ import annotations

import re
from typing import Any

from assistant.store import Store, StoreError

SHORT = 8
# What each kind of id names, and where its rows are.
KINDS = {
    "case": ("cases", "case", "`case list`"),
    "conversation": ("conversations", "conversation", "`conversation list`"),
    "moment": ("episodes", "key moment", "`moment list`"),
    "case_episode": ("case_episodes", "case episode", "`episode list`"),
    "finding": ("findings", "finding", "`finding list`"),
    "note": ("notes", "note", None),
    "comment": ("comments", "comment", None),
    "member": ("case_group_members", "case-group member", "`group list`"),
    "question": ("review_questions", "question", "`question list`"),
    "prepared_query": ("prepared_queries", "prepared query", "`query list`"),
}
_COMPLETE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


class IdError(StoreError):
    """An id prefix that names nothing, or more than one thing."""


def short_id(full_id: str) -> str:
    return full_id[:SHORT]


def _matching(store: Store, table: str, prefix: str) -> list[str]:
    """At most two ids starting with `prefix` (two are enough to know it is not unique)."""
    if not prefix or not re.fullmatch(r"[0-9a-f-]+", prefix):
        return []
    return [r["id"] for r in store.query(
        f"SELECT id FROM {table} WHERE substr(id, 1, ?) = ? LIMIT 2", (len(prefix), prefix))]


def resolve_id(store: Store, kind: str, text: str) -> str:
    """The one id of `kind` that starts with `text` (letters in either case)."""
    table, noun, listing = KINDS[kind]
    prefix = (text or "").strip().lower()
    if _COMPLETE.match(prefix):
        return prefix
    found = _matching(store, table, prefix)
    if len(found) > 1:
        raise IdError(f"The id '{text}' fits more than one {noun}; give more of its characters.")
    if not found:
        hint = f"; {listing} shows them" if listing else ""
        raise IdError(f"There is no {noun} whose id starts with '{text}'{hint}.")
    return found[0]


def resolve_case(store: Store, text: str) -> dict[str, Any]:
    """A case by its reference, else by a unique prefix of its id."""
    case = store.one("SELECT * FROM cases WHERE reference = ?", ((text or "").strip(),))
    if case is not None:
        return case
    found = _matching(store, "cases", (text or "").strip().lower())
    if len(found) > 1:
        raise IdError(f"The id '{text}' fits more than one case; give more of its characters or the reference.")
    if not found:
        raise IdError(f"There is no case with reference or id {text}; `case list` shows the cases.")
    return store.one("SELECT * FROM cases WHERE id = ?", (found[0],))  # type: ignore[return-value]
