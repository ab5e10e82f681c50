"""The end of a conversation: coverage, time per section, notes per tag, the closing checklist,
then status and the typed-up record."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Footer, Header, Static

from assistant.conversation import STATUS_LABELS, Conversation
from assistant.tui.guard import guarded, report
from assistant.tui.screens.dialogs import Choice
from assistant.tui.keys import shown_in_help
from assistant.tui.safe import safe
from assistant.tui.widgets.checklist import CheckList
from assistant.tui.widgets.wrapping_table import WrapColumn, WrappingTable
from assistant.workflows import ExportResult, export_record_to, format_duration
from assistant.words import counted


def export_record_to_default(app, conversation: Conversation, fmt: str) -> ExportResult | None:
    """Write the typed-up record to the exports folder beside the database; any failure (a folder that
    cannot be made, a name too long for the disk, no space) is one sentence and nothing else changes."""
    try:
        result = export_record_to(conversation, fmt)
    except Exception as error:  # noqa: BLE001 - one sentence, the app carries on
        report(app, error, "saving the record")
        return None
    app.say(f"Record saved: {result.paths[0]}")
    if result.warning:
        app.say(result.warning)
    return result


# The state keeps its width; the prompt takes most of what is left, the section and moment wrap beside it.
COVERAGE_COLUMNS = [WrapColumn("State", 0), WrapColumn("Section", 1), WrapColumn("Moment", 1),
                    WrapColumn("Prompt", 3)]


@shown_in_help("End of conversation", 6)
class SummaryScreen(Screen):
    """Coverage summary and closing checklist; from here the conversation is ended and exported."""

    # With prompts wrapped the coverage table grows with the terminal's height, not a fixed 16 lines.
    CSS = "SummaryScreen #coverage { max-height: 65vh; }"

    BINDINGS = [
        Binding("escape", "back", "Back to conversation", id="summary.back"),
        Binding("ctrl+e", "end", "End conversation", id="summary.end", priority=True),
        Binding("m", "export('md')", "Export Markdown", id="summary.export_md"),
        Binding("w", "export('docx')", "Export Word", id="summary.export_docx"),
        Binding("c", "status('sent_for_checking')", "Sent for checking", id="summary.sent"),
        Binding("k", "status('checked')", "Checked", id="summary.checked"),
    ]

    def __init__(self, conversation: Conversation) -> None:
        super().__init__()
        self.conversation = conversation
        self.warned_of_later = False

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="summary"):
            yield Static(id="summary-title")
            yield Static(Text("Coverage, prompt by prompt", style="bold"))
            yield WrappingTable(id="coverage", cursor_type="row", zebra_stripes=True)
            with Horizontal(id="summary-lower"):
                yield Static(id="time-per-section")
                yield Static(id="tag-counts")
            yield Static(Text("Closing checklist (Space to tick)", style="bold"))
            yield CheckList([(item, i) for i, item in enumerate(self.app.structure.closing_checklist)],
                            ticked=self.conversation.checklist(), id="checklist")
            with Horizontal(classes="buttons"):
                yield Button("End conversation", variant="primary", id="end")
                yield Button("Export record (Word)", id="export-docx")
                yield Button("Export record (Markdown)", id="export-md")
                yield Button("Back", id="back")
        yield Footer()

    def on_mount(self) -> None:
        self._show()

    def _show(self) -> None:
        conversation = self.conversation
        coverage = conversation.coverage()
        row = conversation.row
        title = safe(f"{row['practitioner_role']} · {conversation.case['reference']}", "bold")
        title.append(f" · status: {STATUS_LABELS[row['status']]}")
        if conversation.is_rehearsal:
            title.append("  · REHEARSAL", style="bold reverse")
        self.query_one("#summary-title", Static).update(title)
        self.query_one("#coverage", WrappingTable).show(COVERAGE_COLUMNS, [
            [Text(entry.state), safe(entry.section.title),
             safe(entry.episode["title"], single_line=True) if entry.episode else Text(""),
             safe(entry.prompt.text)]
            for entry in coverage.prompts])
        times = Text("Time per section\n", style="bold")
        for section in self.app.structure.sections:
            seconds = coverage.seconds_by_section.get(section.id)
            if seconds is not None:
                times.append(f"  {section.title}: {format_duration(seconds) if self.app.clock else '—'}\n", style="")
        times.append(f"  Total: {format_duration(coverage.total_seconds) if self.app.clock else '—'}\n")
        self.query_one("#time-per-section", Static).update(times)
        tags = Text("Notes per tag\n", style="bold")
        for tag_id, count in coverage.tag_counts.items():
            tag = self.app.structure.tag_by_id.get(tag_id)
            tags.append(f"  {tag.label if tag else tag_id}: {count}\n", style="")
        if not coverage.tag_counts:
            tags.append("  No tagged notes yet.\n", style="dim")
        self.query_one("#tag-counts", Static).update(tags)
        self.query_one("#end", Button).disabled = row["status"] != "in_progress"

    @on(CheckList.Toggled)
    @guarded
    def _ticked(self, event: CheckList.Toggled) -> None:
        if event.checklist.id == "checklist":
            self.conversation.tick_checklist(event.value, event.ticked)

    @on(Button.Pressed, "#end")
    @guarded
    def action_end(self) -> None:
        later = self.conversation.state().later
        if later and not self.warned_of_later:  # said once; Ctrl+E again ends all the same
            self.warned_of_later = True
            self.app.say(f"{counted(len(later), 'prompt')} {'is' if len(later) == 1 else 'are'} still marked \"come back later\" (F10 in the conversation "
                         "lists them). Press Ctrl+E again to end the conversation anyway.", error=True)
            return
        ticked = len(self.conversation.checklist())
        self.conversation.end()
        missing = len(self.app.structure.closing_checklist) - ticked
        self.app.say("Conversation ended." + (f" {counted(missing, 'closing item')} {'was' if missing == 1 else 'were'} not ticked."
                                              if missing else ""))
        self._show()

    @guarded
    def action_status(self, status: str) -> None:
        """C and K change what the practitioner and the lead are told, so they ask first."""
        label = STATUS_LABELS[status]
        self.app.push_screen(
            Choice(f"Mark this record \"{label}\"?", [(f"Yes, mark it {label}", True), ("Not now", False)],
                   hint="Enter to choose · Esc to leave it as it is"),
            lambda confirmed: self._set_status(status) if confirmed else None)

    @guarded
    def _set_status(self, status: str) -> None:
        self.conversation.set_status(status)
        self.app.say(f"Status: {STATUS_LABELS[status]}.")
        self._show()

    @on(Button.Pressed, "#export-docx")
    @guarded
    def _export_docx(self) -> None:
        self.action_export("docx")

    @on(Button.Pressed, "#export-md")
    @guarded
    def _export_md(self) -> None:
        self.action_export("md")

    @guarded(what="saving the record")
    def action_export(self, fmt: str) -> None:
        export_record_to_default(self.app, self.conversation, fmt)

    @on(Button.Pressed, "#back")
    @guarded
    def action_back(self) -> None:
        self.dismiss(None)
