"""The key registry: every screen whose keys help lists registers itself here.

Screens and the app depend on this module, never the other way round, so the help screen reads every
screen's bindings without importing the app or its sibling screens.
"""

from __future__ import annotations

from typing import Callable, TypeVar

from textual.binding import Binding

Registered = TypeVar("Registered", bound=type)

_GROUPS: dict[str, tuple[int, type]] = {}


def shown_in_help(title: str, order: int) -> Callable[[Registered], Registered]:
    """Class decorator: list this screen's (or the app's) BINDINGS in help under `title`."""

    def register(cls: Registered) -> Registered:
        _GROUPS[title] = (order, cls)
        return cls

    return register


def help_groups() -> dict[str, list[Binding]]:
    """Every registered group's bindings, in the order help shows them."""
    ordered = sorted(_GROUPS.items(), key=lambda item: item[1][0])
    return {title: list(cls.BINDINGS) for title, (_, cls) in ordered}


def help_title(screen_class: type) -> str | None:
    """The help group of a screen (or of the nearest registered class it is built on), if it has one."""
    titles = {cls: title for title, (_, cls) in _GROUPS.items()}
    return next((titles[cls] for cls in screen_class.__mro__ if cls in titles), None)
