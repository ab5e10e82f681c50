"""The lead reviewer's workspace for one case: coverage, episodes side by side, influences, notes,
findings, conversations (review state and comments) and the chronology. Rehearsals never appear.

The screen holds the tabs and the keys; each tab is a pane of its own (one module each) that reads its
data in a thread worker and draws itself from the typed message that worker posts."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Header, Static, TabbedContent

from assistant.cases import list_cases
from assistant.exports.case import CASE_FORMATS
from assistant.review import add_comment
from assistant.review_questions import list_questions
from assistant.store import StoreError
from assistant.tui.guard import guarded, shielded
from assistant.tui.keys import shown_in_help
from assistant.tui.safe import safe
from assistant.tui.screens.dialogs import Choice, TextPrompt
from assistant.tui.screens.review.conversations import ConversationsPane
from assistant.tui.screens.review.coverage import CoveragePane
from assistant.tui.screens.review.episodes import EpisodesPane
from assistant.tui.screens.review.findings import FindingsPane
from assistant.tui.screens.review.influences import InfluencesPane
from assistant.tui.screens.review.meetings import MeetingsPane
from assistant.tui.screens.review.notes import NotesPane
from assistant.tui.screens.review.panes import ReviewPane
from assistant.tui.screens.review.story import QuestionsScreen, StoryPane, context_lines
from assistant.tui.screens.review.report import ReportPane
from assistant.workflows import export_case_to
from assistant.words import counted

EXPORT_LABELS = ("Analysis pack (Markdown)", "Analysis pack (Word)", "Notes as CSV (with the codebook)",
                 "The whole case as JSON", "REFI-QDA project for NVivo, ATLAS.ti, MAXQDA, QualCoder")


class ReviewPicker(Choice):
    """Choose the case to review."""

    def __init__(self, cases: list[dict[str, Any]]) -> None:
        options = [(safe(f"{c['reference']} · {c['label']} · {counted(c['conversations'], 'conversation')}",
                         single_line=True), c["id"]) for c in cases]
        super().__init__("Review which case?", options, "Type to filter · Enter to open · Esc to cancel",
                         filterable=True)


@shown_in_help("Review workspace", 9)
class ReviewScreen(Screen):
    """Everything the pairs captured for one case, prompt by prompt and episode by episode."""

    # Keys that act on one tab call a method of that tab's pane (`pane('…')`); each is shown in the footer
    # only on its own tab, so one letter can mean one thing per tab (E links moments, or edits a finding).
    BINDINGS = [
        Binding("escape", "back", "Home", id="review.home"),
        # Before the case's export, so on the Report tab X writes the highlighted version of the report.
        Binding("x", "pane('export_version')", "Write", id="review.report_export"),
        Binding("x", "export", "Export", id="review.export"),
        Binding("f", "new_finding", "New finding", id="review.new_finding"),
        Binding("c", "comment", "Comment", id="review.comment"),
        Binding("enter", "open", "Open", show=False, id="review.open"),
        Binding("e", "pane('new_episode')", "Link as episode", id="review.new_episode"),
        Binding("l", "pane('link')", "Link to episode", id="review.link"),
        Binding("t", "pane('typology')", "Patterns", id="review.typology"),
        Binding("r", "pane('rename')", "Rename", id="review.rename_episode"),
        Binding("u", "pane('unlink')", "Unlink moment", id="review.unlink_moment"),
        Binding("m", "pane('merge')", "Merge", id="review.merge_episodes"),
        Binding("d", "pane('delete')", "Delete", id="review.delete_episode"),
        Binding("e", "pane('edit')", "Edit finding", id="review.edit_finding"),
        Binding("w", "pane('withdraw')", "Withdraw", id="review.withdraw_finding"),
        Binding("s", "pane('next_review_state')", "Review state", id="review.state"),
        Binding("o", "pane('reopen')", "Reopen", id="review.reopen"),
        Binding("k", "pane('conflicts')", "Merge conflicts", id="review.conflicts"),
        Binding("p", "pane('place')", "Place", id="review.story_place"),
        Binding("a", "pane('differ')", "Accounts differ", id="review.story_differ"),
        Binding("o", "pane('card')", "Open card", id="review.story_card"),
        # Tabs change from wherever the focus is, not only from the tab bar: one short footer entry, after
        # the tab's own keys. Ctrl+PgUp/PgDn come first even in the search box (where [ and ] are typed).
        # < and > move between tabs; [ and ] keep their meaning elsewhere (earlier / later, priority).
        Binding("less_than_sign", "next_tab(-1)", "Previous tab", show=False, id="review.previous_tab"),
        Binding("greater_than_sign", "next_tab(1)", "Tabs", key_display="< >", tooltip="Next tab",
                id="review.next_tab"),
        Binding("ctrl+pageup", "next_tab(-1)", "Previous tab", show=False, priority=True, id="review.previous_page"),
        Binding("ctrl+pagedown", "next_tab(1)", "Next tab", show=False, priority=True, id="review.next_page"),
        Binding("q", "questions", "The review's questions", show=False, id="review.questions"),
        Binding("left_square_bracket", "pane('priority_up')", "Priority up", key_display="[",
                id="review.finding_priority_up"),
        Binding("right_square_bracket", "pane('priority_down')", "Priority down", key_display="]",
                id="review.finding_priority_down"),
        Binding("n", "pane('new_meeting')", "Meeting", id="review.meeting_add"),
        Binding("p", "pane('add_person')", "People", id="review.meeting_person"),
        Binding("a", "pane('new_challenge')", "Challenge", id="review.challenge_add"),
        Binding("r", "pane('respond')", "Respond", id="review.challenge_respond"),
        Binding("t", "pane('mark_told')", "Told", id="review.challenge_told"),
        Binding("d", "pane('draft')", "Draft", id="review.report_draft"),
        Binding("v", "pane('view')", "Read", id="review.report_view"),
        Binding("c", "pane('compare')", "Compare", id="review.report_diff"),
        Binding("s", "pane('sign')", "Sign off", id="review.report_signoff"),
        Binding("a", "pane('accuracy')", "Accuracy", id="review.report_accuracy"),
    ]

    def __init__(self, case_id: str) -> None:
        super().__init__()
        self.case_id = case_id
        self.focus_in_tab = False  # set by [ and ]: the focus follows into the tab they show

    def compose(self) -> ComposeResult:
        self.case = self.app.store.one("SELECT * FROM cases WHERE id = ?", (self.case_id,))
        yield Header()
        yield Static(safe(f"Review · {self.case['reference']} · {self.case['label']}", "bold"), id="review-title")
        yield Static(context_lines(self.app.store, self.case), id="review-context")
        # Only the coverage pane is built when the workspace opens; each other pane builds its widgets the
        # first time it is shown, so opening a large case never holds the screen still.
        with TabbedContent(id="review-tabs"):
            yield CoveragePane("Coverage", self.case_id, id="tab-coverage", built=True)
            yield EpisodesPane("Episodes", self.case_id, id="tab-episodes")
            yield StoryPane("Story", self.case_id, id="tab-story")
            yield InfluencesPane("Influences", self.case_id, id="tab-influences")
            yield NotesPane("Notes", self.case_id, id="tab-notes")
            yield FindingsPane("Findings", self.case_id, id="tab-findings")
            yield ConversationsPane("Conversations", self.case_id, id="tab-conversations")
            yield MeetingsPane("Meetings", self.case_id, id="tab-meetings")
            yield ReportPane("Report", self.case_id, id="tab-report")
        yield Footer()

    def on_mount(self) -> None:
        self.opened = False
        self.query_one(CoveragePane).reload()

    @on(CoveragePane.Loaded)
    def _coverage_drawn(self) -> None:
        # The other panes read their data once coverage is drawn, so their workers do not compete with
        # the first paint; each is ready before its tab is first shown.
        if not self.opened:
            self.opened = True
            for pane in self.query(ReviewPane):
                if not isinstance(pane, CoveragePane):
                    pane.reload()

    def refresh_all(self) -> None:
        """Read every pane's data again (each in its own worker); built panes redraw when it arrives."""
        for pane in self.query(ReviewPane):
            pane.reload()

    @on(TabbedContent.TabActivated, "#review-tabs")
    async def _tab_shown(self, event: TabbedContent.TabActivated) -> None:
        if isinstance(event.pane, ReviewPane):
            await event.pane.show()
            # A click or the tab bar's arrow keys leave the focus where it is, except on Notes, whose
            # search box takes the focus so that typing there never runs a command.
            if self.focus_in_tab or isinstance(event.pane, NotesPane):
                self.focus_in_tab = False
                event.pane.focus_first()

    @property
    def conversations(self) -> list[dict[str, Any]]:
        return self.query_one(ConversationsPane).conversations

    @property
    def episodes(self) -> list[dict[str, Any]]:
        return self.query_one(EpisodesPane).episodes

    def _active(self) -> str:
        return self.query_one("#review-tabs", TabbedContent).active

    # ---------------------------------------------------------------- keys, handed to the pane they concern
    def _active_pane(self) -> ReviewPane | None:
        pane = self.query_one("#review-tabs", TabbedContent).active_pane
        return pane if isinstance(pane, ReviewPane) else None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "pane":
            pane = self._active_pane()
            return pane is not None and parameters[0] in pane.KEYS
        if action == "comment":
            return self._active() in ("tab-notes", "tab-conversations")
        return True

    @on(TabbedContent.TabActivated, "#review-tabs")
    def _keys_follow_the_tab(self) -> None:
        self.refresh_bindings()

    @guarded
    def action_pane(self, method: str) -> None:
        pane = self._active_pane()
        if pane is not None and method in pane.KEYS:
            getattr(pane, method)()

    @guarded
    def action_next_tab(self, step: int) -> None:
        """Show the next (or previous) tab; the focus follows into it (see _tab_shown), so its keys work
        at once."""
        tabs = self.query_one("#review-tabs", TabbedContent)
        panes = [pane.id for pane in tabs.query(ReviewPane)]
        self.focus_in_tab = True
        tabs.active = panes[(panes.index(tabs.active) + step) % len(panes)]

    @guarded
    def action_open(self) -> None:
        active = self._active()
        if active == "tab-coverage":
            self.query_one(CoveragePane).open_cell()
        elif active == "tab-conversations":
            self.query_one(ConversationsPane).list_comments()

    @guarded
    def action_questions(self) -> None:
        self.app.push_screen(QuestionsScreen(list_questions(self.app.store, self.case_id)))

    @guarded
    def action_new_finding(self) -> None:
        # Only an episode highlighted on the Episodes tab, where F was pressed, is ticked for the reviewer.
        chosen = self.query_one(EpisodesPane).selected_episode() if self._active() == "tab-episodes" else None
        self.query_one(FindingsPane).new_finding(chosen)

    def _comment_target(self) -> tuple[str, str] | None:
        active = self._active()
        if active == "tab-notes":
            note = self.query_one(NotesPane).highlighted_note()
            if note is not None:
                return "note", note
        if active == "tab-conversations":
            conversation = self.query_one(ConversationsPane).current()
            if conversation is not None:
                return "conversation", conversation["id"]
        return None

    @guarded
    def action_comment(self) -> None:
        target = self._comment_target()
        if not target:
            self.app.say("Choose a note (Notes tab) or a conversation (Conversations tab) first.")
            return

        def saved(values: dict[str, str] | None) -> None:
            if values:
                add_comment(self.app.store, target[0], target[1], values["comment"])
                self.refresh_all()

        about = self.query_one(NotesPane).about(target[1]) if target[0] == "note" else ""
        self.app.push_screen(TextPrompt(f"Comment on this {target[0]}", [("comment", "Comment", "")], about),
                             shielded(self.app, saved))

    # ---------------------------------------------------------------- export and navigation
    @guarded
    def action_export(self) -> None:
        options = [(Text(label), fmt) for fmt, label in zip(CASE_FORMATS, EXPORT_LABELS)]
        self.app.push_screen(Choice("Export this case", options, "Files go to exports/ beside the database"),
                             shielded(self.app, lambda fmt: self._export(fmt) if fmt else None, "the export"))

    @work(thread=True, group="export")
    @guarded(what="the export")
    def _export(self, fmt: str) -> None:
        try:
            result = export_case_to(self.app.store, self.app.structure, self.case["reference"], fmt)
        except StoreError as error:
            self.app.call_from_thread(self.app.say, str(error), error=True)
            return
        self.app.call_from_thread(self.app.say, "Exported: " + ", ".join(str(p) for p in result.paths))
        if result.warning:
            self.app.call_from_thread(self.app.say, result.warning)

    @guarded
    def action_back(self) -> None:
        self.app.pop_screen()


def open_review(app) -> None:
    """From home: choose a case with live conversations and open its workspace."""
    cases = [c for c in list_cases(app.store)]
    if not cases:
        app.say("There are no cases yet: merge the pairs' databases (G) or start a conversation (N).")
        return
    app.push_screen(ReviewPicker(cases), lambda case_id: app.push_screen(ReviewScreen(case_id)) if case_id else None)
