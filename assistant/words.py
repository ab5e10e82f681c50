"""Counts in words: "1 note", "3 notes", never "3 note(s)" — what every screen, command and report says
when it counts something."""

from __future__ import annotations

from collections.abc import Sequence

# Nouns whose plural is not the noun with an "s".
IRREGULAR = {"entry": "entries", "this": "these", "is": "are", "was": "were", "place": "places",
             "category": "categories", "person": "people", "was not": "were not"}


def plural(noun: str, number: int) -> str:
    """The noun as `number` of them would be called: plural("note", 2) -> "notes"."""
    if number == 1:
        return noun
    head, _, last = noun.rpartition(" ")
    if last in IRREGULAR:
        word = IRREGULAR[last]
    elif last.endswith("y") and last[-2:-1] not in "aeiou":
        word = last[:-1] + "ies"
    elif last.endswith(("s", "x", "ch", "sh")):
        word = last + "es"
    else:
        word = last + "s"
    return f"{head} {word}" if head else word


def counted(number: int, noun: str) -> str:
    """ "1 note", "3 notes", "0 notes"."""
    return f"{number} {plural(noun, number)}"


def listed(items: Sequence[str], joiner: str = "and") -> str:
    """ "2", "2 and 3", "1, 2 and 4"."""
    items = [str(item) for item in items]
    if len(items) < 2:
        return "".join(items)
    return f"{', '.join(items[:-1])} {joiner} {items[-1]}"
