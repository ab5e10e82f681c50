"""The Findings tab: every finding drafted so far, each against one of SCIE's underlying patterns, with
its earlier wordings, in priority order (the number is its place); F drafts one, E revises the highlighted
one, W withdraws it with a reason (a withdrawn finding stays listed, after the others, marked withdrawn,
with the reason), [ and ] move it up or down the priority order."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

from rich.text import Text
from textual.message import Message
from textual.widget import Widget
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from assistant.report import prioritised_findings, set_priorities
from assistant.review import FINDING_TITLES, case_episodes, findings
from assistant.revisions import finding_history, load_finding_draft, withdraw_finding
from assistant.store import StoreError
from assistant.tui.guard import shielded
from assistant.tui.safe import safe
from assistant.tui.screens.dialogs import Choice, TextPrompt
from assistant.tui.screens.review.finding_form import FindingScreen
from assistant.tui.screens.review.panes import ReviewPane, in_slices, restore_highlight

FINDING_PARTS = tuple((title, field) for field, title in FINDING_TITLES)
FIELD_NAMES = {key: label for label, key in FINDING_PARTS} | {
    "typology_tag": "Underlying pattern", "case_episodes": "Episodes it rests on", "notes": "Notes it rests on"}


@dataclass
class FindingsData:
    findings: list[dict[str, Any]]
    episode_titles: dict[str, str]
    history: dict[str, list[dict[str, Any]]]


class FindingsPane(ReviewPane):
    """Every finding in full, with the episodes it rests on and the wording it replaced."""

    KEYS = ("edit", "withdraw", "priority_up", "priority_down")

    # The finding to highlight after the next redraw (one just moved in the priority order).
    follow: str | None = None

    class Loaded(Message):
        def __init__(self, data: FindingsData) -> None:
            super().__init__()
            self.data = data

    def parts(self) -> Iterable[Widget]:
        return [Static(Text("F drafts a finding against one of SCIE's underlying patterns · E revises the "
                            "highlighted one (earlier wording kept) · W withdraws it with a reason · [ ] move it "
                            "up or down the priority order"), classes="hint"),
                OptionList(id="finding-list")]

    def fetch(self) -> Message:
        store = self.app.store
        titles = {e["id"]: e["title"] for e in case_episodes(store, self.case_id)}
        # Current findings in priority order, then the withdrawn ones (which have no place in it).
        every = prioritised_findings(store, self.case_id) + [
            f for f in findings(store, self.case_id, include_withdrawn=True) if f["withdrawn_at"]]
        return self.Loaded(FindingsData(every, titles, {f["id"]: finding_history(store, f["id"]) for f in every}))

    async def on_findings_pane_loaded(self, message: Loaded) -> None:
        await self.take(message.data)

    @property
    def findings(self) -> list[dict[str, Any]]:
        return self.loaded.findings if self.loaded else []

    def _entry(self, number: int, finding: dict[str, Any]) -> Text:
        structure = self.app.structure
        place = "Withdrawn finding" if finding["withdrawn_at"] else f"Finding {number}"
        text = Text(f"{place} · {structure.tag_by_id[finding['typology_tag']].label}", style="bold")
        if finding["withdrawn_at"]:
            text.append(f"  WITHDRAWN {finding['withdrawn_at'][:10]}: ", style="bold")
            text.append_text(safe(finding["withdrawn_reason"] or ""))
        text.append("\n")
        for label, key in FINDING_PARTS:
            text.append(f"  {label}: ", style="italic")
            text.append_text(safe(finding[key] or "—"))
            text.append("\n")
        if finding["case_episodes"]:
            text.append("  Rests on: ")
            text.append_text(safe(", ".join(self.loaded.episode_titles.get(e, "") for e in finding["case_episodes"])))
            text.append("\n")
        for earlier in self.loaded.history.get(finding["id"], []):
            text.append(f"  Earlier wording · {FIELD_NAMES.get(earlier['field'], earlier['field'])} "
                        f"(replaced {earlier['replaced_at'][:10]}): ", style="dim")
            text.append_text(safe(earlier["old_value"] or "—", "dim"))
            if earlier["reason"]:
                text.append(" — why: ", style="dim")
                text.append_text(safe(earlier["reason"], "dim"))
            text.append("\n")
        return text

    async def draw(self) -> None:
        options = self.query_one("#finding-list", OptionList)
        place = options.highlighted
        options.clear_options()
        numbered = list(enumerate(self.findings, start=1))
        await in_slices(numbered, lambda item: options.add_option(Option(self._entry(*item), id=item[1]["id"])))
        if not self.findings:
            options.add_option(Option(Text("No findings drafted yet: press F.", style="dim"), id="none",
                                      disabled=True))
        ids = [f["id"] for f in self.findings]
        if self.follow in ids:
            options.highlighted = ids.index(self.follow)
        else:
            restore_highlight(options, place)
        self.follow = None

    def highlighted(self) -> dict[str, Any] | None:
        if not self.findings or not self.query("#finding-list"):
            return None
        index = self.query_one("#finding-list", OptionList).highlighted
        return self.findings[index] if index is not None and index < len(self.findings) else None

    # ---------------------------------------------------------------- new, revised, withdrawn
    def _open_form(self, finding: dict[str, Any] | None, preselected: str | None = None) -> None:
        """Open the form, first offering back a half-written version kept for it."""
        store = self.app.store
        draft = load_finding_draft(store, self.case_id, finding["id"] if finding else None)
        episodes = case_episodes(store, self.case_id)  # read now: the Episodes tab may not have been opened

        def open_with(use_draft: bool | None) -> None:
            if use_draft is None:
                return
            self.app.push_screen(FindingScreen(episodes, preselected, case_id=self.case_id, finding=finding,
                                               draft=draft if use_draft else None),
                                 shielded(self.app, self._saved))

        if draft is None:
            open_with(False)
            return
        self.app.push_screen(Choice("A half-written finding was kept", [
            (Text("Carry on with the half-written finding"), True),
            (Text("Start again from the saved wording (the half-written one is replaced when you save)")
             if finding else Text("Start a new finding (the half-written one is replaced when you save)"), False),
        ], "Enter to choose · Esc to cancel"), shielded(self.app, open_with))

    def _saved(self, finding_id: str | None) -> None:
        if finding_id:
            self.screen.refresh_all()
            self.screen.query_one("#review-tabs").active = self.id

    def new_finding(self, preselected: str | None = None) -> None:
        self._open_form(None, preselected)

    def edit(self) -> None:
        finding = self.highlighted()
        if finding is None:
            self.app.say("Highlight a finding first (F drafts a new one).")
            return
        if finding["withdrawn_at"]:
            self.app.say("That finding was withdrawn; it stays as it was when withdrawn.")
            return
        self._open_form(finding)

    def withdraw(self) -> None:
        finding = self.highlighted()
        if finding is None:
            return

        def withdraw_it(prompt: TextPrompt, values: dict[str, str]) -> str | None:
            try:
                withdraw_finding(self.app.store, finding["id"], values["reason"])
            except StoreError as error:
                return str(error)
            return None

        self.app.push_screen(TextPrompt(
            "Withdraw this finding", [("reason", "Why it is withdrawn (kept with it)", "")],
            "It stays listed, marked withdrawn with the reason, and leaves the analysis packs.", "Withdraw",
            action=withdraw_it, what="withdrawing the finding"),
            shielded(self.app, lambda _: self.screen.refresh_all()))

    # ---------------------------------------------------------------- the priority order
    def _move(self, step: int) -> None:
        finding = self.highlighted()
        if finding is None or finding["withdrawn_at"]:
            self.app.say("Highlight a current finding to move it in the priority order.")
            return
        order = [f["id"] for f in self.findings if not f["withdrawn_at"]]
        index = order.index(finding["id"])
        if not 0 <= index + step < len(order):
            self.app.say("It is already " + ("first." if step < 0 else "last."))
            return
        order[index], order[index + step] = order[index + step], order[index]
        set_priorities(self.app.store, self.case_id, order)
        self.follow = finding["id"]
        self.reload()

    def priority_up(self) -> None:
        self._move(-1)

    def priority_down(self) -> None:
        self._move(1)
