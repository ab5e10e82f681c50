"""F1: every key binding, by screen, generated from the screens themselves."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from assistant.tui.keys import help_groups, help_title

GLYPH_LEGEND = "Section states: ▶ current · ✓ covered · • visited · – skipped · ○ not reached · ⊘ locked"


# Key names as a keyboard prints them.
KEY_NAMES = {"pageup": "PgUp", "pagedown": "PgDn", "left_square_bracket": "[", "right_square_bracket": "]",
             "less_than_sign": "<", "greater_than_sign": ">"}


def _key_label(key: str) -> str:
    """"ctrl+s,f10" -> "Ctrl+S, F10"; "ctrl+pageup" -> "Ctrl+PgUp"."""
    labels = []
    for part in key.split(","):
        words = [KEY_NAMES.get(w) or (w.upper() if len(w) == 1 or w[0] == "f" and w[1:].isdigit()
                                      else w.capitalize()) for w in part.split("+")]
        labels.append("+".join(words))
    return ", ".join(labels)


def _description(binding: Binding) -> str:
    if binding.tooltip:  # a footer entry that stands for two keys says in its tooltip what this one does
        return binding.tooltip
    if binding.description:
        return binding.description
    return (binding.id or binding.action).split(".")[-1].replace("_", " ")


class HelpScreen(ModalScreen[None]):
    """Keys for every screen; the current screen's first."""

    BINDINGS = [Binding("escape,f1", "close", "Close", id="help.close")]

    def __init__(self, current: Screen) -> None:
        super().__init__()
        self.current = current

    def compose(self) -> ComposeResult:
        text = Text("Keys  (Esc to close · Ctrl+P opens the command palette)\n\n", style="bold")
        text.append(GLYPH_LEGEND + "\n\n")
        text.append("In the conversation, the quick tags are F2 Practitioner's words, F3 Interviewer "
                    "observation, F4 Follow-up needed, F5 Suggested change. In the notes list: E edit, "
                    "D delete, U undo delete, Ctrl+T tags.\n\n")
        # The screen F1 was pressed on comes first, so its keys are what the help opens at.
        groups = help_groups()
        first = help_title(type(self.current))
        if first in groups:
            groups = {first: groups.pop(first), **groups}
        for title, bindings in groups.items():
            text.append(f"{title}\n", style="bold underline")
            for binding in bindings:
                text.append(f"  {_key_label(binding.key):<18} {_description(binding)}\n")
            text.append("\n")
        with VerticalScroll(classes="dialog wide"):
            yield Static(text, id="help-text")

    def action_close(self) -> None:
        self.dismiss(None)
