"""The lead reviewer's workspace for one case: coverage, episodes side by side, influences, notes,
findings, conversations (review state and comments) and the chronology. Rehearsals never appear."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import (DataTable, Footer, Header, Label, OptionList, Select, Static, TabbedContent,
                             TabPane)
from textual.widgets.option_list import Option

from assistant.cases import chronology, list_cases
from assistant.exports.case import CASE_FORMATS
from assistant.review import (REVIEW_STATES, add_comment, add_finding, case_episodes, case_moments, comments,
                              coverage_matrix, create_case_episode, episode_accounts, findings, influence_counts,
                              link_moment, live_conversations, resolve_comment, search_notes, set_episode_typology,
                              set_review_state)
from assistant.store import StoreError
from assistant.tui.guard import guarded, shielded
from assistant.tui.keys import shown_in_help
from assistant.tui.safe import safe
from assistant.tui.screens.dialogs import Choice, TagPicker, TextPrompt
from assistant.tui.widgets.checklist import CheckList
from assistant.tui.widgets.safe_inputs import SafeInput, SafeTextArea
from assistant.workflows import export_case_to

STATE_MARKS = {"covered": "✓", "skipped": "–", "declined": "✗", "come back later": "↻", "not reached": "○"}


def _role(row: dict[str, Any]) -> str:
    return row["practitioner_role"] + (f" ({row['agency']})" if row.get("agency") else "")


class ReviewPicker(Choice):
    """Choose the case to review."""

    def __init__(self, cases: list[dict[str, Any]]) -> None:
        options = [(safe(f"{c['reference']} · {c['label']} · {c['conversations']} conversation(s)",
                         single_line=True), c["id"]) for c in cases]
        super().__init__("Review which case?", options, "Enter to open · Esc to cancel")


@shown_in_help("Review workspace", 9)
class ReviewScreen(Screen):
    """Everything the pairs captured for one case, prompt by prompt and episode by episode."""

    BINDINGS = [
        Binding("escape", "back", "Home", id="review.home"),
        Binding("x", "export", "Export", id="review.export"),
        Binding("e", "new_episode", "Link as episode", id="review.new_episode"),
        Binding("l", "link", "Link to episode", show=False, id="review.link"),
        Binding("enter", "open", "Open", show=False, id="review.open"),
        Binding("f", "new_finding", "New finding", id="review.new_finding"),
        Binding("c", "comment", "Comment", id="review.comment"),
        Binding("s", "review_state", "Review state", show=False, id="review.state"),
        Binding("t", "typology", "Patterns", show=False, id="review.typology"),
    ]

    def __init__(self, case_id: str) -> None:
        super().__init__()
        self.case_id = case_id
        self.conversations: list[dict[str, Any]] = []
        self.episodes: list[dict[str, Any]] = []
        self.matrix = None

    def compose(self) -> ComposeResult:
        store = self.app.store
        self.case = store.one("SELECT * FROM cases WHERE id = ?", (self.case_id,))
        yield Header()
        yield Static(safe(f"Review · {self.case['reference']} · {self.case['label']}", "bold"), id="review-title")
        # Only the first pane is built when the workspace opens; each other pane is built the first
        # time it is shown, so opening a large case never holds the screen still.
        with TabbedContent(id="review-tabs"):
            with TabPane("Coverage", id="tab-coverage"):
                yield Static(Text("✓ covered · – skipped · ✗ declined · ↻ come back later · ○ not reached. "
                                  "Enter on a cell reads its notes."), classes="hint")
                yield DataTable(id="coverage-table", cursor_type="cell", zebra_stripes=True)
            for title, pane_id in (("Episodes", "tab-episodes"), ("Influences", "tab-influences"),
                                   ("Notes", "tab-notes"), ("Findings", "tab-findings"),
                                   ("Conversations", "tab-conversations")):
                yield TabPane(title, id=pane_id)
        yield Footer()

    def on_mount(self) -> None:
        self.built_panes: set[str] = set()
        self.data: dict[str, Any] | None = None
        self.refresh_all()

    def _build_pane(self, pane_id: str) -> list:
        if pane_id == "tab-episodes":
            return [Horizontal(
                Vertical(Label("Key moments · Space ticks · E links as one episode · L to an existing one"),
                         CheckList(id="moments"), classes="review-column"),
                Vertical(Label("Case episodes · Enter: accounts side by side · T: patterns"),
                         OptionList(id="case-episodes"), Label("Chronology"),
                         DataTable(id="review-chronology", cursor_type="row"), classes="review-column"))]
        if pane_id == "tab-influences":
            return [DataTable(id="influence-table", zebra_stripes=True), Static(id="influence-together")]
        if pane_id == "tab-notes":
            return [Horizontal(
                SafeInput(placeholder="Search words", id="note-search"),
                Select([], prompt="Any tag", id="filter-tag"),
                Select([], prompt="Any section", id="filter-section"),
                Select([], prompt="Any conversation", id="filter-conversation"),
                Select([("lead", "lead"), ("second", "second")], prompt="Any author", id="filter-author"),
                id="note-filters"), Static(id="note-count"), OptionList(id="note-results")]
        if pane_id == "tab-findings":
            return [Static(Text("F drafts a finding against one of SCIE's underlying patterns."), classes="hint"),
                    VerticalScroll(Static(id="findings-text"))]
        return [Static(Text("S sets the review state · C adds a comment · Enter lists comments (R resolves)."),
                       classes="hint"),
                DataTable(id="conversation-table", cursor_type="row", zebra_stripes=True)]

    @on(TabbedContent.TabActivated, "#review-tabs")
    async def _tab_shown(self, event: TabbedContent.TabActivated) -> None:
        pane_id = event.pane.id
        if pane_id == "tab-coverage" or pane_id in self.built_panes:
            return
        self.built_panes.add(pane_id)
        await event.pane.mount_all(self._build_pane(pane_id))
        if self.data is not None:
            self._fill_pane(pane_id)

    def _fill_pane(self, pane_id: str) -> None:
        if pane_id == "tab-episodes":
            self._fill_episodes()
        elif pane_id == "tab-influences":
            self._fill_influences()
        elif pane_id == "tab-notes":
            self._fill_filters()
            self.run_search()
        elif pane_id == "tab-findings":
            self._fill_findings()
        elif pane_id == "tab-conversations":
            self._fill_conversations()

    def refresh_all(self) -> None:
        self._load()

    @work(thread=True, exclusive=True, group="review-load")
    @guarded(what="loading the case")
    def _load(self) -> None:
        """Every query for the workspace, off the UI thread so a large case never freezes the screen."""
        store, structure = self.app.store, self.app.structure
        try:
            conversations = live_conversations(store, self.case_id)
            data = {
                "conversations": conversations,
                "matrix": coverage_matrix(store, structure, self.case_id),
                "episodes": case_episodes(store, self.case_id),
                "moments": case_moments(store, self.case_id),
                "chronology": chronology(store, self.case_id),
                "counts": influence_counts(store, structure, self.case_id),
                "findings": findings(store, self.case_id),
                "open_comments": {c["id"]: sum(1 for x in comments(store, c["id"]) if not x["resolved"])
                                  for c in conversations},
            }
        except StoreError as error:
            self.app.call_from_thread(self.app.say, str(error), error=True)
            return
        self.app.call_from_thread(self._show, data)

    def _show(self, data: dict[str, Any]) -> None:
        self.data = data
        self.conversations = data["conversations"]
        self.matrix = data["matrix"]
        self.episodes = data["episodes"]
        self._fill_coverage()
        for pane_id in self.built_panes:
            self._fill_pane(pane_id)

    # ---------------------------------------------------------------- coverage
    def _fill_coverage(self) -> None:
        table = self.query_one("#coverage-table", DataTable)
        table.clear(columns=True)
        matrix = self.matrix
        table.add_column("Section · prompt", key="prompt")
        for c in matrix.conversations:
            table.add_column(safe(c["practitioner_role"], single_line=True), key=c["id"])
        for index, row in enumerate(matrix.rows):
            label = Text(f"{row['section'].title[:22]} · {row['prompt'].text[:34]}")
            cells = [Text(f"{STATE_MARKS[row['cells'][c['id']]['state']]} {row['cells'][c['id']]['notes'] or ''}")
                     for c in matrix.conversations]
            table.add_row(label, *cells, key=str(index))

    @guarded
    def _open_coverage_cell(self) -> None:
        table = self.query_one("#coverage-table", DataTable)
        row_index, column_index = table.cursor_coordinate
        if column_index == 0 or self.matrix is None or not self.matrix.conversations:
            return
        row = self.matrix.rows[row_index]
        conversation = self.matrix.conversations[column_index - 1]
        notes = [n for n in search_notes(self.app.store, self.case_id, section=row["section"].id,
                                         conversation=conversation["id"]) if n["prompt_id"] == row["prompt"].id]
        self._show_notes(f"{_role(conversation)} · {row['prompt'].text}", notes)

    def _show_notes(self, title: str, notes: list[dict[str, Any]]) -> None:
        options = [(self._note_label(n), n["id"]) for n in notes] or [(Text("No notes."), None)]
        self.app.push_screen(Choice(title, options, "Esc to close"))

    def _note_label(self, note: dict[str, Any]) -> Text:
        tag_by_id = self.app.structure.tag_by_id
        text = safe(f"{note['practitioner_role']}", "bold", single_line=True)
        if note.get("moment_title"):
            text.append(" · ")
            text.append(safe(note["moment_title"], "italic", single_line=True))
        text.append("\n")
        text.append(safe(note["body"]))
        tags = ", ".join(tag_by_id[t].label for t in note["tags"] if t in tag_by_id)
        if tags:
            text.append(f"\n  {tags}", style="dim")
        return text

    # ---------------------------------------------------------------- episodes
    def _fill_episodes(self) -> None:
        titles = {e["id"]: e["title"] for e in self.episodes}
        moments = self.data["moments"]
        checklist = self.query_one("#moments", CheckList)
        checklist.ticked.clear()
        items = []
        for moment in moments:
            label = safe(f"{moment['practitioner_role']}: ", "bold", single_line=True)
            label.append(safe(moment["title"], single_line=True))
            if moment["approximate_time"]:
                label.append(safe(f" ({moment['approximate_time']})", "dim", single_line=True))
            if moment["case_episode_id"]:
                label.append(safe(f"  → {titles.get(moment['case_episode_id'], '')}", "italic", single_line=True))
            items.append((label, moment["id"]))
        checklist.set_items(items or [(Text("No key moments in this case's conversations yet."), None)])
        options = self.query_one("#case-episodes", OptionList)
        options.clear_options()
        for episode in self.episodes:
            patterns = ", ".join(self.app.structure.tag_by_id[t].label for t in episode["typology"])
            label = safe(episode["title"], "bold", single_line=True)
            label.append(f"  {episode['moments']} account(s)")
            if patterns:
                label.append(f"\n  {patterns}", style="dim")
            options.add_option(Option(label, id=episode["id"]))
        if not self.episodes:
            options.add_option(Option(Text("None yet: tick moments that are the same episode and press E."),
                                      id="none", disabled=True))
        else:
            options.highlighted = 0
        table = self.query_one("#review-chronology", DataTable)
        table.clear(columns=True)
        table.add_columns("Date", "Agency", "Summary")
        for entry in self.data["chronology"]:
            table.add_row(safe(entry["date"]), safe(entry["agency"]), safe(entry["summary"], single_line=True))

    @guarded
    def _ticked_moments(self) -> list[str]:
        found = self.query("#moments")
        return [m for m in found.first(CheckList).ticked if m] if found else []

    @guarded
    def action_new_episode(self) -> None:
        ticked = self._ticked_moments()
        if not ticked:
            self.app.say("Tick the key moments that are the same episode (Space), then press E.")
            return

        def created(values: dict[str, str] | None) -> None:
            if values:
                try:
                    create_case_episode(self.app.store, self.case_id, values["title"], ticked)
                except StoreError as error:
                    self.app.say(str(error), error=True)
                self.refresh_all()

        self.app.push_screen(TextPrompt("A case-level key practice episode", [("title", "Title", "")],
                                        confirm="Link moments"), shielded(self.app, created))

    @guarded
    def action_link(self) -> None:
        ticked = self._ticked_moments()
        if not ticked or not self.episodes:
            self.app.say("Tick moments, then L links them to an existing episode.")
            return

        def chosen(episode_id: str | None) -> None:
            if episode_id:
                for moment in ticked:
                    link_moment(self.app.store, episode_id, moment)
                self.refresh_all()

        self.app.push_screen(Choice("Link to which episode?",
                                    [(safe(e["title"], single_line=True), e["id"]) for e in self.episodes]), chosen)

    def _selected_episode(self) -> str | None:
        if not self.query("#case-episodes"):
            return None
        options = self.query_one("#case-episodes", OptionList)
        if options.highlighted is None:
            return None
        option = options.get_option_at_index(options.highlighted)
        return None if option.id == "none" else option.id

    @on(OptionList.OptionSelected, "#case-episodes")
    @guarded
    def _episode_chosen(self, event: OptionList.OptionSelected) -> None:
        if event.option.id and event.option.id != "none":
            self.app.push_screen(EpisodeScreen(event.option.id))

    @guarded
    def action_typology(self) -> None:
        episode_id = self._selected_episode()
        if not episode_id:
            return
        current = next(e["typology"] for e in self.episodes if e["id"] == episode_id)

        def chosen(tags: list[str] | None) -> None:
            if tags is not None:
                set_episode_typology(self.app.store, self.app.structure, episode_id, tags)
                self.refresh_all()

        self.app.push_screen(TagPicker(self.app.structure, current, "Underlying patterns for this episode",
                                       only_group="typology"), shielded(self.app, chosen))

    # ---------------------------------------------------------------- influences
    def _fill_influences(self) -> None:
        structure = self.app.structure
        counts = self.data["counts"]
        table = self.query_one("#influence-table", DataTable)
        table.clear(columns=True)
        table.add_columns("Category", "Level", "Total", *[safe(c["practitioner_role"], single_line=True)
                                                          for c in self.conversations])
        for factor in counts["factors"]:
            tag = structure.tag_by_id[factor]
            table.add_row(Text(tag.label), Text((tag.level or "").replace("_", " ")),
                          Text(str(counts["totals"].get(factor, 0))),
                          *[Text(str(counts["by_conversation"].get(factor, {}).get(c["id"], 0)))
                            for c in self.conversations])
        together = Text("Named together on the same moment\n", style="bold")
        for item in counts["together"][:12]:
            together.append(f"  {item['moments']} × " + " + ".join(structure.tag_by_id[t].label for t in item["pair"])
                            + "\n", style="")
        if not counts["together"]:
            together.append("  No moment has more than one category yet.\n", style="dim")
        self.query_one("#influence-together", Static).update(together)

    # ---------------------------------------------------------------- notes
    def _fill_filters(self) -> None:
        structure = self.app.structure
        self.query_one("#filter-tag", Select).set_options(
            [(f"{structure.group_by_id[t.group].label}: {t.label}", t.id) for t in structure.codebook.tags])
        self.query_one("#filter-section", Select).set_options([(s.title, s.id) for s in structure.sections])
        self.query_one("#filter-conversation", Select).set_options(
            [(safe(_role(c), single_line=True), c["id"]) for c in self.conversations])

    @on(SafeInput.Changed, "#note-search")
    @on(Select.Changed)
    @guarded(what="the search")
    def _filters_changed(self) -> None:
        self.run_search()

    def _filter_value(self, widget_id: str) -> str | None:
        value = self.query_one(f"#{widget_id}", Select).value
        return None if value is Select.NULL else str(value)

    def run_search(self) -> None:
        if "tab-notes" not in self.built_panes or not self.query("#filter-author"):
            return
        self._search(self.query_one("#note-search", SafeInput).value, self._filter_value("filter-tag"),
                     self._filter_value("filter-section"), self._filter_value("filter-conversation"),
                     self._filter_value("filter-author"))

    @work(thread=True, exclusive=True, group="search")
    @guarded(what="the search")
    def _search(self, text: str, tag: str | None, section: str | None, conversation: str | None,
                author: str | None) -> None:
        """Runs off the UI thread so typing in the search box never stalls."""
        try:
            results = search_notes(self.app.store, self.case_id, text=text, tag=tag, section=section,
                                   conversation=conversation, author=author, limit=300)
        except StoreError as error:
            self.app.call_from_thread(self.app.say, str(error), error=True)
            return
        self.app.call_from_thread(self._show_results, results)

    def _show_results(self, results: list[dict[str, Any]]) -> None:
        options = self.query_one("#note-results", OptionList)
        options.clear_options()
        for note in results:
            options.add_option(Option(self._note_label(note), id=note["id"]))
        more = " (showing the first 300)" if len(results) == 300 else ""
        self.query_one("#note-count", Static).update(Text(f"{len(results)} note(s){more}. C comments on a note."))

    # ---------------------------------------------------------------- findings
    def _fill_findings(self) -> None:
        structure = self.app.structure
        titles = {e["id"]: e["title"] for e in self.episodes}
        text = Text()
        for number, finding in enumerate(self.data["findings"], start=1):
            text.append(f"Finding {number} · {structure.tag_by_id[finding['typology_tag']].label}\n", style="bold")
            for label, key in (("The finding", "statement"), ("How it showed in this case", "in_this_case"),
                               ("Evidence it is systemic", "systemic_evidence"), ("Why it matters", "why_it_matters"),
                               ("Questions for the partners", "questions")):
                text.append(f"  {label}: ", style="italic")
                text.append(safe(finding[key] or "—"))
                text.append("\n")
            if finding["case_episodes"]:
                text.append("  Rests on: ")
                text.append(safe(", ".join(titles.get(e, "") for e in finding["case_episodes"])))
                text.append("\n")
            text.append("\n")
        self.query_one("#findings-text", Static).update(text or Text("No findings drafted yet.", style="dim"))

    @guarded
    def action_new_finding(self) -> None:
        def saved(result: dict[str, Any] | None) -> None:
            if result:
                try:
                    add_finding(self.app.store, self.app.structure, self.case_id, **result)
                except StoreError as error:
                    self.app.say(str(error), error=True)
                self.refresh_all()
                self.query_one("#review-tabs", TabbedContent).active = "tab-findings"

        self.app.push_screen(FindingScreen(self.episodes, self._selected_episode()), shielded(self.app, saved))

    # ---------------------------------------------------------------- conversations and comments
    def _fill_conversations(self) -> None:
        table = self.query_one("#conversation-table", DataTable)
        table.clear(columns=True)
        table.add_columns("Practitioner", "Status", "Notes", "Review", "Open comments")
        for c in self.conversations:
            open_comments = self.data["open_comments"].get(c["id"], 0)
            table.add_row(safe(_role(c), single_line=True), Text(c["status"].replace("_", " ")),
                          Text(str(c["note_count"])), Text(c["review_state"].replace("_", " ")),
                          Text(str(open_comments)), key=c["id"])

    def _comment_target(self) -> tuple[str, str] | None:
        tabs = self.query_one("#review-tabs", TabbedContent)
        if tabs.active == "tab-notes":
            options = self.query_one("#note-results", OptionList)
            if options.highlighted is not None:
                return "note", options.get_option_at_index(options.highlighted).id
        if tabs.active == "tab-conversations" and self.conversations:
            table = self.query_one("#conversation-table", DataTable)
            return "conversation", self.conversations[table.cursor_row]["id"]
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

        self.app.push_screen(TextPrompt(f"Comment on this {target[0]}", [("comment", "Comment", "")]), shielded(self.app, saved))

    @guarded
    def action_review_state(self) -> None:
        if self.query_one("#review-tabs", TabbedContent).active != "tab-conversations" or not self.conversations:
            return
        table = self.query_one("#conversation-table", DataTable)
        conversation = self.conversations[table.cursor_row]
        state = REVIEW_STATES[(REVIEW_STATES.index(conversation["review_state"]) + 1) % len(REVIEW_STATES)]
        set_review_state(self.app.store, conversation["id"], state)
        self.refresh_all()
        table.move_cursor(row=self.conversations.index(next(c for c in self.conversations
                                                            if c["id"] == conversation["id"])))

    @guarded
    def _list_comments(self) -> None:
        table = self.query_one("#conversation-table", DataTable)
        conversation = self.conversations[table.cursor_row]
        items = comments(self.app.store, conversation["id"])
        options = [(Text("✓ " if c["resolved"] else "• ").append(safe(c["body"])), c["id"]) for c in items]

        def chosen(comment_id: str | None) -> None:
            if comment_id:
                resolve_comment(self.app.store, comment_id, True)
                self.refresh_all()

        self.app.push_screen(Choice("Comments (Enter marks one resolved)", options or [(Text("No comments."), None)]),
                             chosen)

    # ---------------------------------------------------------------- export and navigation
    @guarded
    def action_open(self) -> None:
        active = self.query_one("#review-tabs", TabbedContent).active
        if active == "tab-coverage":
            self._open_coverage_cell()
        elif active == "tab-conversations" and self.conversations:
            self._list_comments()

    @on(DataTable.CellSelected, "#coverage-table")
    @guarded
    def _cell_selected(self) -> None:
        self._open_coverage_cell()

    @guarded
    def action_export(self) -> None:
        options = [(Text(label), fmt) for fmt, label in zip(CASE_FORMATS, (
            "Analysis pack (Markdown)", "Analysis pack (Word)", "Notes as CSV (with the codebook)",
            "The whole case as JSON", "REFI-QDA project for NVivo, ATLAS.ti, MAXQDA, QualCoder"))]
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


class EpisodeScreen(Screen):
    """One case episode: every practitioner's account side by side, with their influences."""

    BINDINGS = [Binding("escape", "back", "Back", id="episode.back")]

    def __init__(self, case_episode_id: str) -> None:
        super().__init__()
        self.case_episode_id = case_episode_id

    def compose(self) -> ComposeResult:
        structure = self.app.structure
        store = self.app.store
        episode = store.one("SELECT * FROM case_episodes WHERE id = ?", (self.case_episode_id,))
        accounts = episode_accounts(store, structure, self.case_episode_id)
        yield Header()
        yield Static(safe(f"Episode: {episode['title']}", "bold"), id="episode-title")
        with Horizontal(id="accounts"):
            for account in accounts:
                moment = account["moment"]
                text = safe(_role(moment), "bold")
                text.append("\nIn their words: ", style="italic")
                text.append(safe(moment["title"]))
                if moment["approximate_time"]:
                    text.append(safe(f" ({moment['approximate_time']})"))
                for section in (s for s in structure.sections if s.mode == "per_episode"):
                    text.append(f"\n\n{section.title}\n", style="bold underline")
                    for note in account["notes_by_section"].get(section.id, []):
                        text.append("• ")
                        text.append(safe(note["body"]))
                        labels = [structure.tag_by_id[t].label for t in note["tags"]
                                  if t in structure.tag_by_id and structure.tag_by_id[t].group == "factor"]
                        if labels:
                            text.append(f"  [{', '.join(labels)}]", style="dim")
                        text.append("\n")
                if account["influences"]:
                    text.append("\nCategories named\n", style="bold underline")
                    for factor, count in account["influences"].items():
                        text.append(f"  {structure.tag_by_id[factor].label}: {count}\n")
                yield VerticalScroll(Static(text), classes="account")
            if not accounts:
                yield Static(Text("No moments are linked to this episode."))
        yield Footer()

    @guarded
    def action_back(self) -> None:
        self.app.pop_screen()


@shown_in_help("Draft a finding", 10)
class FindingScreen(Screen[dict[str, Any] | None]):
    """Draft a finding: the finding, how it showed, evidence it is systemic, why it matters, questions."""

    BINDINGS = [
        Binding("ctrl+s", "save", "Save finding", id="finding.save", priority=True),
        Binding("escape", "cancel", "Cancel", id="finding.cancel"),
    ]
    FIELDS = (("statement", "The finding"), ("in_this_case", "How it showed in this case"),
              ("systemic_evidence", "Evidence that it is systemic, not a one-off"),
              ("why_it_matters", "Why it matters"), ("questions", "Questions for the safeguarding partners"))

    def __init__(self, episodes: list[dict[str, Any]], preselected: str | None) -> None:
        super().__init__()
        self.episodes = episodes
        self.preselected = preselected

    def compose(self) -> ComposeResult:
        structure = self.app.structure
        yield Header()
        with VerticalScroll(id="finding-form"):
            yield Label("Underlying pattern (SCIE typology)")
            yield Select([(t.label, t.id) for t in structure.tags_in_group("typology")], id="finding-typology",
                         allow_blank=False)
            for field_id, label in self.FIELDS:
                yield Label(label)
                yield SafeTextArea(id=f"finding-{field_id}", classes="finding-field")
            yield Label("Rests on these episodes (Space to tick)")
            yield CheckList([(safe(e["title"], single_line=True), e["id"]) for e in self.episodes],
                            ticked={self.preselected} if self.preselected else set(), id="finding-episodes")
            yield Static("", id="finding-error", classes="error")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#finding-statement").focus()

    @guarded
    def action_save(self) -> None:
        values = {f: self.query_one(f"#finding-{f}", SafeTextArea).text for f, _ in self.FIELDS}
        if not values["statement"].strip():
            self.query_one("#finding-error", Static).update(Text("A finding needs a statement."))
            return
        self.dismiss({"typology_tag": str(self.query_one("#finding-typology", Select).value),
                      "case_episode_ids": sorted(self.query_one("#finding-episodes", CheckList).ticked), **values})

    @guarded
    def action_cancel(self) -> None:
        self.dismiss(None)


def open_review(app) -> None:
    """From home: choose a case with live conversations and open its workspace."""
    cases = [c for c in list_cases(app.store)]
    if not cases:
        app.say("There are no cases yet: merge the pairs' databases (G) or start a conversation (N).")
        return
    app.push_screen(ReviewPicker(cases), lambda case_id: app.push_screen(ReviewScreen(case_id)) if case_id else None)
