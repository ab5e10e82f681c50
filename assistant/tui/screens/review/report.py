"""The Report tab: every kept version of the review's report (number, when, hash, who signed it off and
where the case group's accuracy check stands). D drafts a new version from what is in the store, V reads
the highlighted one section by section, C compares two versions, S records a sign-off, X writes a version
as Markdown or Word, A records a case-group member's accuracy check. Versions are never overwritten."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import DataTable, Static

from assistant.exports.files import choose_export_path, safe_stem
from assistant.exports.report import export_report, report_identifying
from assistant.report import (ACCURACY_OUTCOMES, accuracy_checks, draft_report, open_before_sign_off,
                              record_accuracy_check, report_diff, report_version, report_versions, section_lines,
                              sign_off)
from assistant.story import hindsight_left
from assistant.tui.guard import guarded, shielded
from assistant.tui.safe import safe
from assistant.tui.screens.dialogs import Choice, TextPrompt
from assistant.tui.screens.review.panes import ReviewPane, restore_table_place, table_place
from assistant.workflows import exports_folder

FORMAT_LABELS = {"md": "Markdown", "docx": "Word"}


@dataclass
class ReportData:
    versions: list[dict[str, Any]]
    # Per version number: each case-group member with their latest accuracy check of it.
    checks: dict[int, list[dict[str, Any]]]


def check_summary(members: list[dict[str, Any]]) -> str:
    """Where the accuracy check of one version stands, e.g. "2 confirmed, 1 not yet"."""
    if not members:
        return "no case group"
    counts = {o: sum(1 for m in members if m["outcome"] == o) for o in (*ACCURACY_OUTCOMES, "not yet")}
    return ", ".join(f"{n} {o}" for o, n in counts.items() if n)


class ReportReader(ModalScreen[None]):
    """A version's sections, or what changed between two versions, to read and scroll; nothing to edit."""

    # As tall as the terminal allows, the text scrolling inside while the title and hint stay in view.
    CSS = """
    ReportReader #report-reader { height: 90%; }
    ReportReader #report-reader-body { height: 1fr; }
    """
    BINDINGS = [Binding("escape", "close", "Close", id="report.close")]

    def __init__(self, title: str, body: Text) -> None:
        super().__init__()
        self.title_text = title
        self.body = body

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog wide", id="report-reader"):
            yield Static(safe(self.title_text, "bold"))
            with VerticalScroll(id="report-reader-body"):
                yield Static(self.body, id="report-reader-text")
            yield Static(Text("↑↓ PgUp PgDn to scroll · Esc to close"), classes="hint")

    def on_mount(self) -> None:
        self.query_one("#report-reader-body").focus()

    @guarded
    def action_close(self) -> None:
        self.dismiss(None)


def version_text(version: dict[str, Any]) -> Text:
    text = Text()
    for number, section in enumerate(version["sections"], start=1):
        text.append(f"{number}. {section['title']}\n", style="bold underline")
        for line in section_lines(section):
            text.append_text(safe(line, "bold" if line.startswith("## ") else ""))
            text.append("\n")
        text.append("\n")
    return text


def diff_text(sections: list[dict[str, Any]]) -> Text:
    text = Text()
    for section in sections:
        text.append(f"{section['title']}: ", style="bold")
        text.append("changed\n" if section["changed"] else "unchanged\n", style="bold" if section["changed"] else "dim")
        for line in section["lines"]:
            if line.startswith("@@"):  # where the next change is: a gap marker reads better than line numbers
                text.append("  ⋯\n", style="dim")
                continue
            mark, body = line[:1], line[1:]
            body = body[2:] if body.startswith("- ") else body  # the section's own bullet, not the change
            marker, style = {"+": ("+ ", "green"), "-": ("− ", "red")}.get(mark, ("  ", "dim"))
            text.append_text(safe(f"  {marker}{body}", style))
            text.append("\n")
    return text


class ReportPane(ReviewPane):
    """The report's versions, newest last, with what can be done to the highlighted one."""

    KEYS = ("draft", "view", "compare", "sign", "export_version", "accuracy")

    # The version to highlight after the next redraw (one just drafted).
    follow: int | None = None

    class Loaded(Message):
        def __init__(self, data: ReportData) -> None:
            super().__init__()
            self.data = data

    def parts(self) -> Iterable[Widget]:
        return [Static(Text("D drafts a new version from what is recorded now · V reads the highlighted one · "
                            "C compares it with another · S records a sign-off · X writes it as Markdown or "
                            "Word · A records a case-group member's accuracy check"), classes="hint"),
                DataTable(id="report-versions", cursor_type="row", zebra_stripes=True)]

    def fetch(self) -> Message:
        store = self.app.store
        versions = report_versions(store, self.case_id)
        return self.Loaded(ReportData(versions, {v["number"]: accuracy_checks(store, self.case_id, v["number"])
                                                  for v in versions}))

    async def on_report_pane_loaded(self, message: Loaded) -> None:
        await self.take(message.data)

    @property
    def versions(self) -> list[dict[str, Any]]:
        return self.loaded.versions if self.loaded else []

    async def draw(self) -> None:
        table = self.query_one("#report-versions", DataTable)
        place = table_place(table)
        table.clear(columns=True)
        table.add_columns("Version", "Drafted", "Hash", "Signed off by", "Accuracy check")
        for version in self.versions:
            table.add_row(str(version["number"]), version["created_at"][:16].replace("T", " "),
                          version["sha256"][:12],
                          safe(", ".join(version["signed_by"]) or "not signed off", single_line=True),
                          check_summary(self.loaded.checks.get(version["number"], [])), key=str(version["number"]))
        if not self.versions:
            table.add_row(Text("No version yet: press D to draft one.", style="dim"), "", "", "", "", key="none")
        if not self.placed and self.versions:
            # First drawn on the newest version, so A and S act on the latest unless another is chosen.
            self.follow = self.follow or self.versions[-1]["number"]
        self.placed = self.placed or bool(self.versions)
        if self.follow is not None and self.versions:
            table.move_cursor(row=table.get_row_index(str(self.follow)), animate=False)
        else:
            restore_table_place(table, place)
        self.follow = None

    placed = False

    def highlighted(self) -> dict[str, Any] | None:
        if not self.versions or not self.query("#report-versions"):
            self.app.say("The report has no version yet: press D to draft one.")
            return None
        row = self.query_one("#report-versions", DataTable).cursor_row
        return self.versions[min(max(row, 0), len(self.versions) - 1)]

    # ---------------------------------------------------------------- the keys
    def draft(self) -> None:
        number = draft_report(self.app.store, self.app.structure, self.case_id)
        signed = any(v["signed_by"] for v in self.versions)
        said = f"Drafted version {number}" + (" (it says on its first page that it follows a signed-off "
                                              "version)." if signed else ".")
        left = hindsight_left(self.app.store, self.app.structure, self.case_id)
        if left:  # a warning, not a refusal: the lead decides whether to reword the card
            said += " Hindsight language is still in these episode cards: " + "; ".join(left) + "."
        self.app.say(said)
        self.follow = number
        self.reload()

    def view(self) -> None:
        version = self.highlighted()
        if version is not None:
            full = report_version(self.app.store, self.case_id, version["number"])
            self.app.push_screen(ReportReader(f"The report, version {version['number']}", version_text(full)))

    def compare(self) -> None:
        version = self.highlighted()
        if version is None:
            return
        others = [v for v in self.versions if v["number"] != version["number"]]
        if not others:
            self.app.say("There is only one version: draft another (D) to compare them.")
            return

        def chosen(other: int | None) -> None:
            if other is None:
                return
            old, new = sorted((other, version["number"]))
            self.app.push_screen(ReportReader(f"What changed from version {old} to version {new}",
                                              diff_text(report_diff(self.app.store, self.case_id, old, new))))

        self.app.push_screen(Choice(f"Compare version {version['number']} with", [
            (Text(f"Version {v['number']} · {v['created_at'][:16].replace('T', ' ')}"), v["number"]) for v in others],
            "Enter to choose · Esc to cancel", highlighted=len(others) - 1), shielded(self.app, chosen))

    def sign(self) -> None:
        version = self.highlighted()
        if version is None:
            return

        def record(prompt: TextPrompt, values: dict[str, str]) -> None:
            sign_off(self.app.store, self.case_id, version["number"], values["by"])

        # Signing with work still open is allowed, but the lead sees what it is before they do.
        still_open = open_before_sign_off(self.app.store, self.case_id, version["number"])
        warning = f"Still open: {'; '.join(still_open)}.\n" if still_open else ""
        self.app.push_screen(TextPrompt(
            f"Sign off version {version['number']}", [("by", "Signed off by (role)", "")],
            f"{warning}Version {version['number']} (sha256 {version['sha256'][:12]}…) is recorded as signed off; "
            "a later draft says so on its first page.", "Record the sign-off", action=record, what="the sign-off"),
            shielded(self.app, lambda _: self.reload()))

    def export_version(self) -> None:
        version = self.highlighted()
        if version is None:
            return

        def chosen(fmt: str | None) -> None:
            if fmt is None:
                return
            reference = self.screen.case["reference"]
            target = choose_export_path(exports_folder(self.app.store),
                                        f"report-{safe_stem(reference)}-v{version['number']}", fmt)

            def write(prompt: TextPrompt, values: dict[str, str]) -> None:
                # Runs in a worker thread (a long report takes a moment to lay out as Word).
                replace = values["replace"].strip().lower() in ("y", "yes")
                written = export_report(self.app.store, self.screen.case, fmt, Path(values["path"]).expanduser(),
                                        number=version["number"], force=replace, accept_names=True,
                                        structure=self.app.structure)
                self.app.call_from_thread(self.app.say, f"Exported: {written}")

            def ask_where(accepted: bool | None = True) -> None:
                if not accepted:
                    return
                self.app.push_screen(TextPrompt(
                    f"Write version {version['number']} as {FORMAT_LABELS[fmt]}",
                    [("path", "File", str(target)),
                     ("replace", "Replace the file if it is already there? (yes/no)", "no")],
                    "An existing file is kept unless you say yes; a database is never replaced.", "Write",
                    action=write, what="the export", background=True), shielded(self.app, lambda _: None))

            found = report_identifying(self.app.store, self.screen.case, version["number"], self.app.structure)
            if not found:
                ask_where()
                return
            # The same check as the meeting packs: the lead reads each before the report is shared.
            listed = "\n".join(f"  {c.words} ({c.kind}; first in “{c.where}”)" for c in found)
            self.app.push_screen(Choice(
                "Text that may identify someone", [(Text("Write it as it is"), True),
                                                   (Text("Not now: correct them first"), False)],
                safe(f"Check each before the report is shared:\n{listed}").plain),
                shielded(self.app, ask_where))

        self.app.push_screen(Choice(f"Write version {version['number']} as", [
            (Text(label), fmt) for fmt, label in FORMAT_LABELS.items()], "Enter to choose · Esc to cancel"),
            shielded(self.app, chosen))

    def accuracy(self) -> None:
        version = self.highlighted()
        if version is None:
            return
        members = self.loaded.checks.get(version["number"], [])
        if not members:
            self.app.say("This case has no case group recorded yet; add its members in the case group screen.")
            return

        def outcome_chosen(member: dict[str, Any], outcome: str | None) -> None:
            if outcome is not None:
                record_accuracy_check(self.app.store, self.case_id, version["number"], member["id"], outcome)
                self.reload()

        def member_chosen(member: dict[str, Any] | None) -> None:
            if member is not None:
                self.app.push_screen(Choice("Their accuracy check", [
                    (Text("Confirmed as accurate"), "confirmed"),
                    (Text("Corrections (record them as challenges against report sections)"), "corrections")],
                    "Enter to choose · Esc to cancel"), shielded(self.app, lambda o: outcome_chosen(member, o)))

        self.app.push_screen(Choice(f"Accuracy check of version {version['number']}: who?", [
            (safe(f"{m['role']}" + (f" ({m['agency']})" if m["agency"] else "") + f" · {m['outcome']}",
                  single_line=True), m) for m in members], "Enter to choose · Esc to cancel"),
            shielded(self.app, member_chosen))
