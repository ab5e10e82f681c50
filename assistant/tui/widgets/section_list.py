"""The conversation's sections down the left, each with its state as a glyph (never colour alone).

Each option carries its stop; choosing one posts `SectionList.StopChosen` for the screen to move there.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from assistant.conversation import ConversationState, Stop
from assistant.tui.safe import safe

STATE_GLYPHS = {
    "current": "▶",
    "covered": "✓",
    "visited": "•",
    "skipped": "–",
    "not reached": "○",
    "locked": "⊘",
}


class StopOption(Option):
    """An option that knows which stop of the walk it stands for."""

    def __init__(self, prompt: Text, stop: Stop, index: int) -> None:
        super().__init__(prompt, id=str(index))
        self.stop = stop


class SectionList(OptionList):
    """The walk's stops; Enter or a click asks to go to one."""

    @dataclass
    class StopChosen(Message):
        stop: Stop

    _shown: tuple = ()  # what is on screen, so an unchanged list is not rebuilt and repainted

    def show(self, snapshot: ConversationState) -> None:
        highlighted = None
        options = []
        for index, (stop, state) in enumerate(zip(snapshot.stops, snapshot.section_states)):
            if index == snapshot.stop_index:
                state = "current"
                highlighted = index
            glyph = STATE_GLYPHS[state]
            if stop.episode:
                label = Text(f"{glyph} ")
                label.append(safe(f"M{stop.episode_index + 1} {stop.section.title}", single_line=True))
            else:
                label = Text(f"{glyph} {stop.section.title}")
            if state == "current":
                label.stylize("bold")
            options.append(StopOption(label, stop, index))
        shown = (tuple(option.prompt.plain for option in options), highlighted)
        if shown == self._shown:
            return  # nothing changed: no repaint
        self._shown = shown
        self.clear_options()
        self.add_options(options)  # at once: one layout, not one per option
        if highlighted is not None:
            self.highlighted = highlighted

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if isinstance(event.option, StopOption):
            self.post_message(self.StopChosen(event.option.stop))


def go_to_options(snapshot: ConversationState) -> tuple[list[tuple[Text, Stop]], int]:
    """The Go to list's entries (every stop with its state in words) and the current one's index."""
    options = []
    current = 0
    for index, (stop, state) in enumerate(zip(snapshot.stops, snapshot.section_states)):
        if index == snapshot.stop_index:
            state, current = "current", index
        label = Text(f"{STATE_GLYPHS[state]} {stop.section.title}")
        if stop.episode:
            label.append(f" · moment {stop.episode_index + 1}: ")
            label.append(safe(stop.episode["title"], single_line=True))
        label.append(f"  ({state})", style="dim")
        options.append((label, stop))
    return options, current
