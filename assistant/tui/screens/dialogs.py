"""Small modal dialogs used across the screens."""

from __future__ import annotations

import functools
from typing import Any, Callable

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Label, OptionList, Static
from textual.widgets.option_list import Option

from assistant.structure import Structure
from assistant.tui.guard import describe, guarded
from assistant.tui.keys import shown_in_help
from assistant.tui.safe import safe
from assistant.tui.widgets.checklist import CheckList
from assistant.tui.widgets.safe_inputs import SafeInput
from assistant.tui.widgets.wrapping_table import WrapColumn, WrappingTable


def clear_the_way(dialog: ModalScreen) -> None:
    """Toasts already showing are dismissed when a dialog opens: they sit above every screen, and at 80×24
    the bottom right where they stack is where a centred dialog has its choices and buttons. Each toast has
    been on screen since the key that raised it, before the dialog was asked for."""
    dialog.app.clear_notifications()


@shown_in_help("Tag picker", 5)
class TagPicker(ModalScreen[list[str] | None]):
    """The whole codebook, searchable; Space ticks, Enter applies."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="tags.cancel"),
        Binding("ctrl+s", "apply", "Apply", id="tags.apply", priority=True),
    ]

    def __init__(self, structure: Structure, selected: list[str], title: str = "Tags",
                 only_group: str | None = None) -> None:
        super().__init__()
        self.structure = structure
        self.selected = list(selected)
        self.title_text = title
        self.only_group = only_group

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Text(self.title_text, style="bold"))
            yield Static(Text("Type to filter · Tab to the list · Space to tick · Enter to apply · Esc to cancel"),
                         classes="hint")
            yield SafeInput(placeholder="Filter tags", id="tag-filter")
            yield CheckList(id="tag-list", ticked=set(self.selected))
            yield Static("", id="tags-error", classes="error")

    def on_mount(self) -> None:
        self._fill("")
        self.query_one("#tag-filter").focus()

    def _fill(self, text: str) -> None:
        needle = text.lower().strip()
        items = []
        for tag in self.structure.codebook.tags:
            if self.only_group and tag.group != self.only_group:
                continue
            label = f"{self.structure.group_by_id[tag.group].label} › {tag.label}"
            if needle and needle not in label.lower() and needle not in tag.description.lower():
                continue
            items.append((Text(label), tag.id))
        self.query_one("#tag-list", CheckList).set_items(items)

    @on(SafeInput.Changed, "#tag-filter")
    def _filter(self, event: SafeInput.Changed) -> None:
        self._fill(event.value)

    @on(SafeInput.Submitted, "#tag-filter")
    def _submitted(self) -> None:
        listing = self.query_one("#tag-list", CheckList)
        if len(listing.values) == 1 and not listing.ticked:
            listing.ticked.add(listing.values[0])
        self.action_apply()

    @on(OptionList.OptionSelected, "#tag-list")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        listing = self.query_one("#tag-list", CheckList)
        if not listing.ticked and listing.highlighted is not None:
            listing.ticked.add(listing.values[listing.highlighted])
        self.action_apply()

    @guarded
    def action_apply(self) -> None:
        ticked = self.query_one("#tag-list", CheckList).ticked
        if self.only_group and not ticked:  # the influence picker: a category is what it is for
            self.query_one("#tags-error", Static).update(Text(
                "Nothing is ticked yet: Space ticks the highlighted influence, or Esc to go back to the note."))
            return
        order = [t.id for t in self.structure.codebook.tags]
        self.dismiss(sorted(ticked, key=order.index))

    @guarded
    def action_cancel(self) -> None:
        self.dismiss(None)


class Choice(ModalScreen[Any]):
    """Pick one of a list of options (Enter), or Esc to cancel. A `filterable` list (a long one, such as
    500 cases) has a box above it: typing narrows the list to the options containing every word typed."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="choice.cancel")]

    def __init__(self, title: str, options: list[tuple[Text | str, Any]], hint: str = "",
                 highlighted: int = 0, filterable: bool = False) -> None:
        super().__init__()
        self.title_text = title
        self.options = options
        self.hint = hint
        self.highlighted = highlighted
        self.filterable = filterable

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(safe(self.title_text, "bold"))
            if self.hint:
                yield Static(Text(self.hint), classes="hint")
            if self.filterable:
                yield SafeInput(placeholder="Type to filter", id="choice-filter")
            yield OptionList(*self._shown(""), id="choices")

    # A filterable list shows this many matches at most: laying out hundreds of options at once holds the
    # screen still for seconds, and typing a few characters narrows any list below it.
    SHOWN = 100

    def _shown(self, typed: str) -> list[Option]:
        words = typed.lower().split()
        matching = [Option(label if isinstance(label, Text) else Text(label), id=str(i))
                    for i, (label, _) in enumerate(self.options)
                    if all(w in str(label).lower() for w in words)]
        if not self.filterable or len(matching) <= self.SHOWN:
            return matching
        more = Option(Text(f"… and {len(matching) - self.SHOWN} more: type to narrow the list", style="dim"),
                      id="more", disabled=True)
        return [*matching[:self.SHOWN], more]

    def on_mount(self) -> None:
        clear_the_way(self)
        options = self.query_one("#choices", OptionList)
        options.highlighted = min(self.highlighted, max(0, len(self.options) - 1))
        if self.filterable:
            self.query_one("#choice-filter").focus()
        else:
            options.focus()

    @on(SafeInput.Changed, "#choice-filter")
    def _filter(self, event: SafeInput.Changed) -> None:
        options = self.query_one("#choices", OptionList)
        options.clear_options()
        options.add_options(self._shown(event.value))
        if options.option_count:
            options.highlighted = 0

    @on(SafeInput.Submitted, "#choice-filter")
    def _filter_submitted(self) -> None:
        options = self.query_one("#choices", OptionList)
        if options.option_count and options.highlighted is not None:
            chosen = options.get_option_at_index(options.highlighted).id
            if chosen != "more":
                self.dismiss(self.options[int(chosen)][1])

    def on_key(self, event) -> None:
        # From the filter box, the arrow keys move through the list, so typing and choosing need no Tab.
        if self.filterable and event.key in ("down", "up") and self.focused is self.query_one("#choice-filter"):
            options = self.query_one("#choices", OptionList)
            options.action_cursor_down() if event.key == "down" else options.action_cursor_up()
            event.stop()

    @on(OptionList.OptionSelected, "#choices")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.options[int(event.option.id)][1])

    @guarded
    def action_cancel(self) -> None:
        self.dismiss(None)


class _Body(VerticalScroll, can_focus=False):
    """The fields and folder tree of a tall dialog: it scrolls to whichever of them has focus, so it needs
    no stop of its own in the Tab order (fields, tree, OK, Cancel, and round again)."""


class TextPrompt(ModalScreen[dict[str, str] | None]):
    """One or more single-line fields, e.g. a key moment's name and time, or a reason. Enter moves to the
    next field and submits from the last; Ctrl+S submits from anywhere."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="prompt.cancel"),
        Binding("ctrl+s", "submit", "Submit", id="prompt.submit", priority=True),
    ]

    def __init__(self, title: str, fields: list[tuple], explanation: str = "", confirm: str = "Save", *,
                 action: Callable[["TextPrompt", dict[str, str]], str | None] | None = None,
                 what: str = "that", background: bool = False, browse: dict[str, Any] | None = None,
                 ask_before_discarding: bool = False) -> None:
        """fields: (name, label, initial value[, hidden]) — hidden fields are for passphrases.

        `ask_before_discarding` makes Esc (or Cancel) after typing ask "Discard what you typed?" first,
        for dialogs whose words took a while to write (a challenge, a meeting).

        `browse` shows a folder tree that fills a path field: {"field": name, "several": bool,
        "folders": bool} (see FileBrowser); typing the path still works.

        With an `action`, the dialog does the work itself and stays open until it succeeds: the action
        returns None when done, or one sentence saying what is wrong; any exception it raises becomes one
        sentence too (naming `what`). Either way what was typed is kept. `background` runs the action in
        a worker thread (merging, copying) so the screen keeps answering.
        """
        super().__init__()
        self.title_text = title
        self.fields = fields
        self.explanation = explanation
        self.confirm = confirm
        self.action = action
        self.what = what
        self.background = background
        self.browse = browse
        self.ask_before_discarding = ask_before_discarding

    def compose(self) -> ComposeResult:
        # With a folder tree the dialog may be taller than a small terminal: the fields and the tree
        # scroll, while the error line and the buttons stay in view below them.
        with Vertical(classes="dialog browsing" if self.browse else "dialog"):
            with (_Body(id="prompt-body") if self.browse else Vertical(id="prompt-body")):
                yield Static(Text(self.title_text, style="bold"))
                if self.explanation:
                    yield Static(safe(self.explanation), classes="hint")
                for name, label, value, *secret in self.fields:
                    yield Label(label)
                    yield SafeInput(value=value, id=f"field-{name}", password=bool(secret and secret[0]))
                if self.browse:
                    from assistant.tui.widgets.file_browser import FileBrowser

                    start = next(f[2] for f in self.fields if f[0] == self.browse["field"])
                    yield FileBrowser(self.browse["field"], start, several=self.browse.get("several", False),
                                      folders=self.browse.get("folders", False))
            yield Static("", id="prompt-error", classes="error")
            with Horizontal(classes="buttons"):
                yield Button(self.confirm, variant="primary", id="ok")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        clear_the_way(self)
        self.query_one(SafeInput).focus()

    @on(SafeInput.Submitted)
    def _next_or_submit(self, event: SafeInput.Submitted) -> None:
        inputs = list(self.query(SafeInput))
        index = inputs.index(event.input)
        if index + 1 < len(inputs):
            inputs[index + 1].focus()
        else:
            self._ok()

    def action_submit(self) -> None:
        self._ok()

    @on(Button.Pressed, "#ok")
    def _ok(self) -> None:
        values = {field[0]: self.query_one(f"#field-{field[0]}", SafeInput).value for field in self.fields}
        first = self.fields[0][0]
        if not values[first].strip():
            self.query_one("#prompt-error", Static).update(Text(f"{self.fields[0][1]} is needed."))
            return
        if self.action is None:
            self.dismiss(values)
            return
        if self.working:
            return
        self.working = True
        self.query_one("#ok", Button).disabled = True
        self.query_one("#prompt-error", Static).update(Text("Working…"))
        if self.background:
            self.run_worker(functools.partial(self._act_in_thread, values), thread=True, group="prompt-action")
        else:
            self._finish(self._act(values))

    working = False

    def _act(self, values: dict[str, str]) -> str | None:
        try:
            return self.action(self, values)
        except Exception as error:  # noqa: BLE001 - one sentence in the dialog, never a crash
            return describe(error, self.what)

    def _act_in_thread(self, values: dict[str, str]) -> None:
        problem = self._act(values)
        try:
            self.app.call_from_thread(self._finish, problem)
        except RuntimeError:
            pass  # the app closed meanwhile

    def _finish(self, problem: str | None) -> None:
        self.working = False
        if self not in self.app.screen_stack:
            return  # cancelled while the work ran: nothing left to show it in
        if problem is None:
            self.dismiss(None)
            return
        error = self.query_one("#prompt-error", Static)
        error.update(_problem_text(problem, error.size.width))
        self.query_one("#ok", Button).disabled = False
        if self.focused is None or self.focused.id == "ok":
            self.query(SafeInput).first().focus()

    def set_field(self, name: str, value: str) -> None:
        """Change what a field holds (e.g. only the files that could not be merged)."""
        self.query_one(f"#field-{name}", SafeInput).value = value

    def _typed(self) -> bool:
        return any(self.query_one(f"#field-{field[0]}", SafeInput).value != field[2] for field in self.fields)

    @on(Button.Pressed, "#cancel")
    @guarded
    def action_cancel(self) -> None:
        if not (self.ask_before_discarding and self._typed()):
            self.dismiss(None)
            return

        def chosen(what: str | None) -> None:
            if what == "discard":
                self.dismiss(None)

        # Keep editing is highlighted, so Enter (or Esc) alone never loses a word.
        self.app.push_screen(Choice("Discard what you typed?", [(Text("Keep editing"), None),
                                                                 (Text("Discard"), "discard")],
                                    "Enter to choose · Esc to keep editing"), chosen)


def _problem_text(problem: str, width: int) -> Text:
    """One sentence wraps; a problem of several lines (a heading, then one line per file) keeps each file
    on a line of its own, cut to the dialog's width so every file stays in view."""
    heading, *items = problem.split("\n")
    shown = safe(heading)
    for item in items:
        line = safe(item, single_line=True)
        if width > 0:
            line.truncate(width, overflow="ellipsis")
        shown.append("\n")
        shown.append_text(line)
    return shown


# Dates and sources are short and settle at their own width; the summary takes most of what is left.
CHRONOLOGY_COLUMNS = [WrapColumn("Date", 1), WrapColumn("Agency", 2), WrapColumn("Summary", 6),
                      WrapColumn("Source", 1)]


class ChronologyScreen(ModalScreen[None]):
    """The case chronology, shown only once the gate is open; every column stays on screen and long
    entries wrap."""

    # Wider than other dialogs on a wide terminal, so long summaries take fewer lines; the table scrolls
    # within the dialog so the hint below it stays in view.
    CSS = """
    ChronologyScreen .dialog.wide { width: 95%; max-width: 160; }
    ChronologyScreen #chronology-table { height: auto; max-height: 70vh; }
    """
    BINDINGS = [Binding("escape", "close", "Close", id="chronology.close")]

    def __init__(self, entries: list[dict[str, Any]], title: str) -> None:
        super().__init__()
        self.entries = entries
        self.title_text = title

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide"):
            yield Static(safe(self.title_text, "bold"))
            if not self.entries:
                yield Static(Text("No chronology has been imported for this case. "
                                  "Use: learning-together chronology import --case REF FILE.csv"))
            yield WrappingTable(id="chronology-table", cursor_type="row", zebra_stripes=True)
            yield Static(Text("Esc to close"), classes="hint")

    def on_mount(self) -> None:
        table = self.query_one("#chronology-table", WrappingTable)
        table.show(CHRONOLOGY_COLUMNS, [
            [safe(entry["date"], single_line=True), safe(entry["agency"], single_line=True),
             safe(entry["summary"], single_line=True), safe(entry["source_ref"], single_line=True)]
            for entry in self.entries])
        table.focus()

    @guarded
    def action_close(self) -> None:
        self.dismiss(None)
