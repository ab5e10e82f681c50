"""What the command-line modules after the conversations share: the store opened as every command opens
--db (handed over by `assistant.cli` through `register`), a case by reference, an id by unique prefix."""

from __future__ import annotations

from typing import Any, Callable

import click

OPENERS: dict[str, Callable[..., Any]] = {}


def store_for(ctx: click.Context):
    return OPENERS["store"](ctx, create=False)


def case_by_reference(store, reference: str) -> dict[str, Any]:
    from assistant.short_ids import resolve_case

    return resolve_case(store, reference)


def id_by_prefix(store, table: str, noun: str, text: str) -> str:
    """The one id in `table` that starts with `text`."""
    from assistant.short_ids import IdError

    text = (text or "").strip().lower()
    found = store.query(f"SELECT id FROM {table} WHERE substr(id, 1, ?) = ? LIMIT 2", (len(text), text)) if text else []
    if len(found) != 1:
        raise IdError(f"No single {noun} has an id starting '{text[:40]}'; give more of its characters.")
    return found[0]["id"]


def default_structure():
    from assistant.structure import load_structure

    return load_structure()
