"""The line above the prompt: case, practitioner, the conversation's short id, and (unless turned off) the
time so far in total and at this stop (this section at this key moment), ticking once a second until the
conversation ends."""

from __future__ import annotations

import time
from typing import Any

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
        who = f"{row['practitioner_role']}" + (f" · {row['agency']}" if row["agency"] else "")
        # The short id first: at 80 columns the end of the line is cut, and the id is what commands ask for.
        line = f"id {short_id(row['id'])} · {case['reference']} · {case['label']} · {who}"
        if line != self._line:  # the same line is not repainted on every key
            self._line = line
            self.query_one("#context-line", Static).update(safe(line, "bold", single_line=True))
        self.tick()

    def tick(self) -> None:
        if not self.clock:
            return
        elapsed = time.monotonic() - self._entered if self._running else 0.0
        self.query_one("#clock", Static).update(Text(
            f"⏱ {format_duration(self._base_total + elapsed)} · here {format_duration(self._base_section + elapsed)}",
            style="dim",
        ))
