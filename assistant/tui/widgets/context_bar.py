"""The line above the prompt: case, practitioner, the conversation's short id, and (unless turned off) the
time so far in total and at this stop (this section at this key moment), ticking once a second until the
conversation ends. When the line is too long for the screen the family label goes first, then the case
reference, then the agency: the practitioner's role label and the short id stay."""

from __future__ import annotations

import time
from typing import Any

from rich.cells import cell_len
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static

from assistant.conversation import ConversationState, build_coverage
from assistant.conversation.coverage import _seconds_between  # the same measure as the summary's
from assistant.short_ids import short_id
from assistant.tui.safe import safe
from assistant.workflows import format_duration


class ContextBar(Horizontal):
    """Who the conversation is with, and the clock."""

    def __init__(self, clock: bool, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.clock = clock
        self._entered = time.monotonic()
        self._base_total = 0.0
        self._base_section = 0.0
        self._line = ""
        self._parts: list[tuple[str, int]] = []  # (text, the order in which it is left out: 0 never)
        self._running = True  # the clock stops once the conversation has ended

    def compose(self) -> ComposeResult:
        yield Static(id="context-line")
        yield Static(id="clock")

    def on_mount(self) -> None:
        if self.clock:
            self.set_interval(1.0, self.tick)

    def show(self, state: ConversationState, moved: bool) -> None:
        """`moved`: the pair arrived at this stop, so the time here starts from what earlier visits took."""
        running = state.row["status"] == "in_progress"
        if moved or running != self._running:
            self._running = running
            self._entered = time.monotonic()
            self._base_total = build_coverage(state).total_seconds
            stop = state.stop  # "here" is this stop: the section at this key moment, not every moment's
            self._base_section = sum(
                _seconds_between(visit.entered_at, visit.left_at) for visit in state.visits
                if visit.section_id == stop.section.id and visit.episode_id == stop.episode_id)
        row, case = state.row, state.case
        # The short id first, as the commands ask for it; the role label is never left out.
        self._parts = [(f"id {short_id(row['id'])}", 0), (case["reference"], 2), (case["label"], 1),
                       (row["practitioner_role"], 0)] + ([(row["agency"], 3)] if row["agency"] else [])
        self.tick()

    def on_resize(self) -> None:
        self.tick()

    def _show_line(self, room: int) -> None:
        """The case and practitioner in `room` columns, leaving out the least needed parts until it fits."""
        parts = list(self._parts)
        for dropped in (1, 2, 3):
            if cell_len(" · ".join(text for text, _ in parts)) <= room:
                break
            parts = [(text, order) for text, order in parts if order != dropped]
        line = " · ".join(text for text, _ in parts)
        if line != self._line:  # the same line is not repainted on every key
            self._line = line
            self.query_one("#context-line", Static).update(safe(line, "bold", single_line=True))

    def tick(self) -> None:
        clock = ""
        if self.clock:
            elapsed = time.monotonic() - self._entered if self._running else 0.0
            clock = (f"⏱ {format_duration(self._base_total + elapsed)} · "
                     f"here {format_duration(self._base_section + elapsed)}")
            self.query_one("#clock", Static).update(Text(clock, style="dim"))
        clock_room = cell_len(clock) + 1 if clock else 0  # the clock, and a space before it
        # Before the first layout the width is not known yet: the whole line, fitted again on resize.
        self._show_line(self.size.width - clock_room if self.size.width else 10_000)
