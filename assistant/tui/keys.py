"""The key registry: every screen whose keys help lists registers itself here.

Screens and the app depend on this module, never the other way round, so the help screen reads every
screen's bindings without importing the app or its sibling screens.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Callable, TypeVar

from textual.binding import Binding

Registered = TypeVar("Registered", bound=type)

_GROUPS: dict[str, tuple[int, type]] = {}

# Fuller words for help than the footer has room for, by binding id: the footer shows a key only on its
# own tab, so there a word or two is enough, while help lists every tab's keys together.
HELP_TEXT = {
    "review.finding_priority_up": "Findings tab: move the highlighted finding up the priority order",
    "review.finding_priority_down": "Findings tab: move the highlighted finding down the priority order",
    "review.meeting_add": "Meetings tab: add a follow-on meeting (first, second or accuracy check)",
    "review.meeting_person": "Meetings tab: someone who attended, or was absent and how they will be consulted",
    "review.challenge_add": "Meetings tab: record a challenge or correction about an episode, finding or "
                            "report section",
    "review.challenge_respond": "Meetings tab: the team's response to the highlighted challenge",
    "review.challenge_told": "Meetings tab: the person who raised it has been told the response",
    "review.report_draft": "Report tab: draft a new version of the report from what is recorded now",
    "review.report_view": "Report tab: read the highlighted version, section by section",
    "review.report_diff": "Report tab: what changed between the highlighted version and another",
    "review.report_signoff": "Report tab: record who signed off the highlighted version",
    "review.report_export": "Report tab: write the highlighted version as Markdown or Word",
    "review.report_accuracy": "Report tab: a case-group member's accuracy check of the highlighted version",
}


def shown_in_help(title: str, order: int) -> Callable[[Registered], Registered]:
    """Class decorator: list this screen's (or the app's) BINDINGS in help under `title`."""

    def register(cls: Registered) -> Registered:
        _GROUPS[title] = (order, cls)
        return cls

    return register


def help_groups() -> dict[str, list[Binding]]:
    """Every registered group's bindings, in the order help shows them, with their fuller help text and
    the key as the footer shows it ("[" rather than "left_square_bracket")."""
    ordered = sorted(_GROUPS.items(), key=lambda item: item[1][0])
    return {title: [replace(b, description=HELP_TEXT.get(b.id or "", b.description), key=b.key_display or b.key)
                    for b in cls.BINDINGS] for title, (_, cls) in ordered}


def help_title(screen_class: type) -> str | None:
    """The help group of a screen (or of the nearest registered class it is built on), if it has one."""
    titles = {cls: title for title, (_, cls) in _GROUPS.items()}
    return next((titles[cls] for cls in screen_class.__mro__ if cls in titles), None)
