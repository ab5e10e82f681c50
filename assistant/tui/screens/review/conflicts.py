"""The merge conflicts of a case, listed with the value here and the incoming value; M keeps mine (the
copy here), T keeps theirs (the copy from the hand-over), each resolved at once and audited."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from assistant.conversation.model import STATUS_LABELS
from assistant.merge.conflicts import Conflict, resolve_conflict
from assistant.tui.guard import guarded
from assistant.tui.safe import safe

CONFLICTS_HINT = "M keeps mine (the copy here) · T keeps theirs (the incoming copy) · Esc closes"


def conflicts_line(count: int) -> str:
    """The Conversations tab's line about the case's open merge conflicts."""
    if not count:
        return "No open merge conflicts."
    return f"{count} open merge conflict{'s' if count != 1 else ''} · K lists them to keep mine or theirs"


class ConflictsDialog(ModalScreen[None]):
    """A case's merge conflicts, open and resolved; M keeps mine, T keeps theirs."""

    BINDINGS = [Binding("m", "keep('mine')", "Keep mine", id="conflicts.mine"),
                Binding("t", "keep('theirs')", "Keep theirs", id="conflicts.theirs"),
                Binding("escape", "close", "Close", id="conflicts.close")]

    def __init__(self, title: str, conflicts: list[Conflict]) -> None:
        super().__init__()
        self.title_text = title
        self.conflicts = conflicts

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(safe(self.title_text, "bold"))
            yield Static(Text(CONFLICTS_HINT), classes="hint")
            yield OptionList(id="conflict-list")

    def on_mount(self) -> None:
        options = self.query_one("#conflict-list", OptionList)
        for conflict in self.conflicts:
            options.add_option(Option(self._label(conflict), id=conflict.id))
        if not self.conflicts:
            options.add_option(Option(Text("No merge conflicts."), id="none", disabled=True))
        else:
            options.highlighted = 0
        options.focus()

    @staticmethod
    def _label(conflict: Conflict) -> Text:
        state = "• open · " if conflict.open else f"✓ kept {conflict.resolution['keep']} · "
        text = Text(state).append_text(safe(conflict.what, single_line=True))
        text.append("\n  here: ", style="dim").append_text(safe(_words(conflict.mine), single_line=True))
        text.append("\n  incoming: ", style="dim").append_text(safe(_words(conflict.theirs), single_line=True))
        when = conflict.found_at[:16].replace("T", " ")
        return text.append("\n  from ", style="dim").append_text(safe(f"{conflict.file}, {when} UTC", "dim"))

    @guarded
    def action_keep(self, keep: str) -> None:
        options = self.query_one("#conflict-list", OptionList)
        if options.highlighted is None or not self.conflicts:
            return
        conflict = self.conflicts[options.highlighted]
        if not conflict.open:
            self.app.say("That conflict is already resolved.")
            return
        conflict = resolve_conflict(self.app.store, conflict.id, keep, actor="lead reviewer")
        self.conflicts[options.highlighted] = conflict
        options.replace_option_prompt_at_index(options.highlighted, self._label(conflict))

    @guarded
    def action_close(self) -> None:
        self.dismiss(None)


def _words(value: str) -> str:
    return STATUS_LABELS.get(value, value)
