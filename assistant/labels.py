"""Labels that tell a case's conversations apart wherever they are named side by side: coverage
columns, the review's conversation list, the analysis packs.

A role label used once in the case is shown as it is. Where two conversations share it, each gets one
distinguishing mark: the short date it was held, else the interviewer pair, else its short id — the
first of these that differs across every conversation sharing the label. Long labels are shortened
with an ellipsis to the width asked for; the mark is never cut, so two labels never become one.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any, Callable, Iterable

from assistant.conversation import held_on
from assistant.short_ids import short_id

ELLIPSIS = "…"
SEPARATOR = " · "


def _base(conversation: dict[str, Any], with_agency: bool) -> str:
    role = " ".join(str(conversation["practitioner_role"]).split())
    agency = " ".join(str(conversation.get("agency") or "").split())
    return f"{role} ({agency})" if with_agency and agency else role


def _short_date(conversation: dict[str, Any]) -> str:
    held = held_on(conversation)
    try:
        day = date.fromisoformat(held)
    except ValueError:
        return held
    return f"{day.day} {day.strftime('%b')}"


def _interviewers(conversation: dict[str, Any]) -> str:
    pair = [str(conversation.get(k) or "").strip() for k in ("lead_interviewer", "second_interviewer")]
    return " & ".join(p for p in pair if p)


# The marks tried, in order, for conversations that share a label.
MARKS: tuple[Callable[[dict[str, Any]], str], ...] = (_short_date, _interviewers, lambda c: short_id(c["id"]))


def _mark_for(group: list[dict[str, Any]]) -> Callable[[dict[str, Any]], str]:
    """The first mark that differs across every conversation of the group (the short id always does)."""
    for mark in MARKS[:-1]:
        values = [mark(c) for c in group]
        if all(values) and len(set(values)) == len(values):
            return mark
    return MARKS[-1]


def shorten(text: str, width: int | None) -> str:
    """`text` cut to `width` characters, the cut shown by an ellipsis."""
    if width is None or len(text) <= width:
        return text
    return text[:max(0, width - 1)].rstrip() + ELLIPSIS


def _fit(base: str, mark: str, width: int | None) -> str:
    if not mark:
        return shorten(base, width)
    tail = SEPARATOR + mark
    if width is None or len(base) + len(tail) <= width:
        return base + tail
    room = width - len(tail)
    if room < 2:  # too narrow for both: the mark alone still tells them apart
        return shorten(mark, width)
    return shorten(base, room) + tail


def conversation_labels(conversations: Iterable[dict[str, Any]], width: int | None = None,
                        with_agency: bool = False) -> dict[str, str]:
    """Each conversation's display label by id, distinct across the conversations given (one case's);
    `with_agency` adds the agency in brackets; `width` caps each label's length."""
    rows = list(conversations)
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        groups[_base(row, with_agency).casefold()].append(row)
    labels: dict[str, str] = {}
    for group in groups.values():
        mark = _mark_for(group) if len(group) > 1 else (lambda c: "")
        for row in group:
            labels[row["id"]] = _fit(_base(row, with_agency), mark(row), width)
    # Shortening can make two different long labels read the same: those take the short id as well.
    seen: dict[str, list[str]] = defaultdict(list)
    for conversation_id, label in labels.items():
        seen[label.casefold()].append(conversation_id)
    by_id = {row["id"]: row for row in rows}
    for same in (ids for ids in seen.values() if len(ids) > 1):
        for conversation_id in same:
            labels[conversation_id] = _fit(_base(by_id[conversation_id], with_agency), short_id(conversation_id),
                                           width)
    return labels
