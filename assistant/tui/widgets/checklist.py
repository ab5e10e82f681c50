"""A list of items that can be ticked, with the state shown as ☑ / ☐ text, never by colour alone."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option


class CheckList(OptionList):
    """Space (or a click) ticks and unticks the highlighted item."""

    BINDINGS = [Binding("space", "toggle", "Tick", id="checklist.toggle")]

    @dataclass
    class Toggled(Message):
        checklist: "CheckList"
        value: Any
        ticked: bool

    def __init__(self, items: list[tuple[Text | str, Any]] | None = None, ticked: set | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._items: list[tuple[Text, Any]] = []
        self.ticked: set = set(ticked or ())
        if items:
            self.set_items(items)

    def set_items(self, items: list[tuple[Text | str, Any]]) -> None:
        self._items = [(label if isinstance(label, Text) else Text(label), value) for label, value in items]
        highlighted = self.highlighted
        self.clear_options()
        for index, (label, value) in enumerate(self._items):
            self.add_option(Option(self._label(label, value), id=str(index)))
        if self._items:
            self.highlighted = min(highlighted or 0, len(self._items) - 1)

    def _label(self, label: Text, value: Any) -> Text:
        text = Text("☑ " if value in self.ticked else "☐ ")
        text.append_text(label)
        return text

    @property
    def values(self) -> list[Any]:
        return [value for _, value in self._items]

    def action_toggle(self) -> None:
        if self.highlighted is None or not self._items:
            return
        label, value = self._items[self.highlighted]
        if value in self.ticked:
            self.ticked.discard(value)
        else:
            self.ticked.add(value)
        self.replace_option_prompt_at_index(self.highlighted, self._label(label, value))
        self.post_message(self.Toggled(self, value, value in self.ticked))
