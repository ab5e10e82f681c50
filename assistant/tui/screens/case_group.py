"""Preparing a case before its conversations (P on the home screen): the case group — who is to be seen,
by role label and agency, where each stands and what the review team does next, their arrangements and
introductory letter — and the questions the review will try to answer.

The screen only calls the core (assistant.casegroup, assistant.review_questions, the letter export in
assistant.workflows); every refusal is one sentence, in the dialog that asked or on screen."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from assistant.casegroup import (
    NEEDS_REASON, NEXT_STEPS, RECORDED_STATUSES, STATUS_LABELS, add_member, get_member, list_members,
    set_arrangements, set_member_status,
)
from assistant.cases import add_case, list_cases
from assistant.conversation import looks_like_full_name
from assistant.review_questions import add_question, edit_question, list_questions, remove_question
from assistant.safe_text import visible
from assistant.tui.guard import guarded, shielded
from assistant.tui.keys import shown_in_help
from assistant.tui.safe import safe
from assistant.tui.screens import member_corrections
from assistant.tui.screens.dialogs import Choice, TextPrompt
from assistant.workflows import export_letter_to
from assistant.words import counted

NEW_CASE = "__new__"
NAME_WARNING = ("That role label looks like a person's name; the case group keeps role labels and agencies "
                "only, so please change it to a role label (E).")
# The letter's choices: the format, and whether writing it also records that it went out.
LETTER_CHOICES = [
    ("Word, and record that it was sent", ("docx", True)),
    ("Markdown, and record that it was sent", ("md", True)),
    ("Word only: a draft to read first, not sent yet", ("docx", False)),
    ("Markdown only: a draft to read first, not sent yet", ("md", False)),
]
# Shown as text beside each stage, so no stage is told apart by colour alone.
REASON_CELL = 24
STATUS_GLYPHS = {"to_invite": "○", "letter_sent": "✉", "arranged": "◷", "held": "▶", "sent_for_checking": "✎",
                 "checked": "✓", "declined": "–", "absent": "–"}


@shown_in_help("Preparing a case: the case group", 12)
class MembersTable(DataTable):
    """The case group, one member a row; its keys act on the highlighted member."""

    BINDINGS = [
        Binding("a", "screen.add_member", "Add member", id="group.add"),
        Binding("e", "screen.edit_member", "Edit", id="group.edit"),
        Binding("x", "screen.remove_member", "Remove", id="group.remove"),
        Binding("c", "screen.link_conversation", "Link conversation", id="group.link"),
        Binding("l", "screen.letter", "Letter", id="group.letter"),
        Binding("s", "screen.status", "Status", id="group.status"),
        Binding("t", "screen.arrangements", "Time and place", id="group.arrangements"),
    ]


@shown_in_help("Preparing a case: the review's questions", 13)
class QuestionsTable(DataTable):
    """The questions the review will try to answer; its keys act on the highlighted question."""

    BINDINGS = [
        Binding("a", "screen.add_question", "Add question", id="questions.add"),
        Binding("e", "screen.edit_question", "Edit", id="questions.edit"),
        Binding("d", "screen.remove_question", "Remove", id="questions.remove"),
    ]


@shown_in_help("Preparing a case", 11)
class CaseGroupScreen(Screen):
    """A case's preparation: the case group above, the review's questions below (Tab moves between them)."""

    DEFAULT_CSS = """
    #prepare { padding: 0 1; height: 1fr; }
    #prepare-title { height: auto; }
    .prepare-heading { margin-top: 1; text-style: bold; }
    #members { height: 1fr; min-height: 4; }
    #questions { height: auto; max-height: 8; }
    #prepare-detail { height: auto; max-height: 5; border-top: solid $primary-background; }
    """

    BINDINGS = [Binding("escape", "back", "Home", id="prepare.home")]

    def __init__(self, case_id: str) -> None:
        super().__init__()
        self.case_id = case_id
        self.members: list[dict[str, Any]] = []
        self.questions: list[dict[str, Any]] = []

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="prepare"):
            yield Static(id="prepare-title")
            yield Static(Text("The case group  (A add · E edit · X remove · C link · L letter · S status · "
                              "T time and place)"),
                         classes="prepare-heading")
            yield MembersTable(id="members", cursor_type="row", zebra_stripes=True)
            yield Static(Text("The review's questions  (Tab here: A add · E edit · D remove)"),
                         classes="prepare-heading")
            yield QuestionsTable(id="questions", cursor_type="row", zebra_stripes=True)
            yield Static(id="prepare-detail")
        yield Footer()

    def on_mount(self) -> None:
        self.case = self.app.store.one("SELECT * FROM cases WHERE id = ?", (self.case_id,))
        self.query_one("#members", DataTable).add_columns("Role", "Status", "Next step", "Agency")
        self.query_one("#questions", DataTable).add_columns("#", "Answered", "Question")
        self.refresh_all()
        self.query_one("#members", DataTable).focus()

    # ---------------------------------------------------------------- drawing
    def refresh_all(self, member: str | None = None, question: str | None = None) -> None:
        """Read the case group and the questions again; the cursor stays on `member` / `question`, or
        on the row it was on."""
        store = self.app.store
        self.members = list_members(store, self.case_id)
        self.questions = list_questions(store, self.case_id)
        self._fill(self.query_one("#members", DataTable), self.members, member, self._member_cells)
        self._fill(self.query_one("#questions", DataTable), self.questions, question, self._question_cells)
        outstanding = sum(1 for m in self.members if m["status"] in NEXT_STEPS)
        unanswered = sum(1 for q in self.questions if not q["findings"])
        title = safe(f"Preparing {self.case['reference']} · {self.case['label']}", "bold", single_line=True)
        title.append(f"\n{counted(len(self.members), 'member')}, {outstanding} outstanding · "
                     f"{counted(len(self.questions), 'question')}, {unanswered} not yet answered by a finding")
        self.query_one("#prepare-title", Static).update(title)
        self._show_detail()

    @staticmethod
    def _fill(table: DataTable, rows: list[dict[str, Any]], keep: str | None, cells) -> None:
        current = keep or (_key_at(table) if table.row_count else None)
        cursor = table.cursor_row
        table.clear()
        for row in rows:
            table.add_row(*cells(row), key=row["id"])
        ids = [row["id"] for row in rows]
        if rows:
            table.move_cursor(row=ids.index(current) if current in ids else min(cursor, len(rows) - 1))

    @staticmethod
    def _member_cells(member: dict[str, Any]) -> list[Text]:
        status = member["status"]
        if status in NEEDS_REASON:
            # Cut short so the agency stays in sight at 80 columns; the detail below has it whole.
            reason = member["reason"]
            next_step = safe(f"reason: {reason[:REASON_CELL] + '…' if len(reason) > REASON_CELL else reason}",
                             single_line=True)
        else:
            next_step = Text(NEXT_STEPS.get(status, "done"))
        return [safe(member["role"], single_line=True), Text(f"{STATUS_GLYPHS[status]} {STATUS_LABELS[status]}"),
                next_step, safe(member["agency"] or "—", single_line=True)]

    @staticmethod
    def _question_cells(question: dict[str, Any]) -> list[Text]:
        answered = len(question["findings"])
        # The question last: a long one runs off the right, never hiding whether it is answered.
        return [Text(str(question["number"])), Text(f"✓ {counted(answered, 'finding')}" if answered else "✗ unanswered"),
                safe(question["text"], single_line=True)]

    def _show_detail(self) -> None:
        """The whole of the highlighted row, below both tables: a question or a member's arrangements."""
        detail = self.query_one("#prepare-detail", Static)
        if self.focused is self.query_one("#questions"):
            question = self._current(self.questions, "#questions")
            text = (safe(f"{question['number']}. {question['text']}") if question else
                    Text("No questions yet: press A to add the first question the review will try to answer."))
        else:
            member = self._current(self.members, "#members")
            text = _member_detail(member) if member else Text(
                "No members yet: press A to add the first, by role label and agency (never a name).")
        detail.update(text)

    @on(DataTable.RowHighlighted)
    def _highlighted(self) -> None:
        self._show_detail()

    def on_descendant_focus(self) -> None:
        self._show_detail()

    def _current(self, rows: list[dict[str, Any]], selector: str) -> dict[str, Any] | None:
        table = self.query_one(selector, DataTable)
        if not rows or not table.row_count:
            return None
        key = _key_at(table)
        return next((row for row in rows if row["id"] == key), None)

    def _member(self) -> dict[str, Any] | None:
        member = self._current(self.members, "#members")
        if member is None:
            self.app.say("Add a member of the case group first (A).")
        return member

    def _question(self) -> dict[str, Any] | None:
        question = self._current(self.questions, "#questions")
        if question is None:
            self.app.say("Add one of the review's questions first (A).")
        return question

    # ---------------------------------------------------------------- the case group
    @guarded
    def action_add_member(self) -> None:
        def add(dialog: TextPrompt, values: dict[str, str]) -> None:
            member_id = add_member(self.app.store, self.case_id, values["role"], values["agency"])
            self.refresh_all(member=member_id)
            if looks_like_full_name(values["role"]):
                self.app.say(NAME_WARNING)
            member_corrections.tell_link(self.app, member_id, get_member(self.app.store, member_id)["conversation_id"])

        self.app.push_screen(TextPrompt(
            "Add a member of the case group",
            [("role", "Role label, e.g. Social Worker 1 (no names)", ""), ("agency", "Agency", "")],
            explanation="The frontline practitioners and first-line managers involved in the case.",
            confirm="Add", action=add, what="adding the member"))

    @guarded
    def action_edit_member(self) -> None:
        if (member := self._member()) is not None:
            member_corrections.edit(self, member)

    @guarded
    def action_remove_member(self) -> None:
        if (member := self._member()) is not None:
            member_corrections.remove(self, member)

    @guarded
    def action_link_conversation(self) -> None:
        if (member := self._member()) is not None:
            member_corrections.link(self, member)

    @guarded
    def action_letter(self) -> None:
        member = self._member()
        if member is None:
            return
        options = [(Text(label), value) for label, value in LETTER_CHOICES]
        self.app.push_screen(
            Choice(f"The introductory letter to {_one_line(member['role'])}", options,
                   "Written to exports/ beside the database, from the letter template kept with the structures"),
            shielded(self.app, lambda choice: self._write_letter(member["id"], *choice) if choice else None,
                     "the letter"))

    def _write_letter(self, member_id: str, fmt: str, sent: bool) -> None:
        result = export_letter_to(self.app.store, member_id, fmt, mark_sent=sent)
        self.refresh_all(member=member_id)
        recorded = " and recorded as sent" if sent else " (not recorded as sent)"
        self.app.say(f"Letter written{recorded}: " + ", ".join(str(p) for p in result.paths))
        if result.warning:
            self.app.say(result.warning)

    @guarded
    def action_status(self) -> None:
        member = self._member()
        if member is None:
            return
        options = [(Text(f"{STATUS_GLYPHS[s]} {STATUS_LABELS[s]}" + (" (with a reason)" if s in NEEDS_REASON
                                                                     else "")), s) for s in RECORDED_STATUSES]
        recorded = RECORDED_STATUSES.index(member["recorded_status"])
        self.app.push_screen(
            Choice(f"Where {_one_line(member['role'])} stands", options,
                   "Once their conversation starts, the stage follows its record by itself", recorded),
            shielded(self.app, lambda status: self._set_status(member, status) if status else None,
                     "the status"))

    def _set_status(self, member: dict[str, Any], status: str) -> None:
        if status not in NEEDS_REASON:
            set_member_status(self.app.store, member["id"], status)
            self.refresh_all(member=member["id"])
            return

        def record(dialog: TextPrompt, values: dict[str, str]) -> None:
            set_member_status(self.app.store, member["id"], status, values["reason"])
            self.refresh_all(member=member["id"])

        self.app.push_screen(TextPrompt(
            f"Recording {_one_line(member['role'])} as {status}", [("reason", "The reason, kept with them",
                                                                    member["reason"] or "")],
            confirm="Record", action=record, what="the status"))

    @guarded
    def action_arrangements(self) -> None:
        member = self._member()
        if member is None:
            return

        def arrange(dialog: TextPrompt, values: dict[str, str]) -> None:
            set_arrangements(self.app.store, member["id"], date=values["date"], time=values["time"],
                             place=values["place"])
            self.refresh_all(member=member["id"])

        self.app.push_screen(TextPrompt(
            f"The conversation with {_one_line(member['role'])}",
            [("date", "Date", member["meeting_date"] or ""), ("time", "Time", member["meeting_time"] or ""),
             ("place", "Place", member["meeting_place"] or "")],
            explanation="As the member will read them in their letter.", confirm="Save", action=arrange,
            what="the arrangements"))

    # ---------------------------------------------------------------- the review's questions
    @guarded
    def action_add_question(self) -> None:
        def add(dialog: TextPrompt, values: dict[str, str]) -> None:
            self.refresh_all(question=add_question(self.app.store, self.case_id, values["text"]))

        self.app.push_screen(TextPrompt(
            "A question the review will try to answer", [("text", "The question", "")],
            explanation="A handful per review, in place of terms of reference; findings say which they answer.",
            confirm="Add", action=add, what="adding the question"))

    @guarded
    def action_edit_question(self) -> None:
        question = self._question()
        if question is None:
            return

        def edit(dialog: TextPrompt, values: dict[str, str]) -> None:
            edit_question(self.app.store, question["id"], values["text"])
            self.refresh_all(question=question["id"])

        self.app.push_screen(TextPrompt(f"Question {question['number']}", [("text", "The question",
                                                                              question["text"])],
                                        confirm="Save", action=edit, what="the question"))

    @guarded
    def action_remove_question(self) -> None:
        question = self._question()
        if question is None:
            return
        linked = len(question["findings"])
        remove = "Remove it" + (f" (the {counted(linked, 'finding')} answering it {'is' if linked == 1 else 'are'} unlinked)"
                               if linked else "")
        self.app.push_screen(
            Choice(f"Remove question {question['number']}?", [(Text(remove), True), (Text("Keep it"), False)]),
            shielded(self.app, lambda yes: self._remove(question["id"]) if yes else None, "removing the question"))

    def _remove(self, question_id: str) -> None:
        remove_question(self.app.store, question_id)
        self.refresh_all()

    @guarded
    def action_back(self) -> None:
        self.app.pop_screen()


def _key_at(table: DataTable) -> str:
    return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value


def _one_line(text: str) -> str:
    """Untrusted text for a dialog's title, made safe here (the dialogs draw their titles as given)."""
    return visible(" ".join(str(text).split()))


def _member_detail(member: dict[str, Any]) -> Text:
    """One member in full: who, where they stand, the arrangements and the next step (or the reason)."""
    who = f"{member['role']}, {member['agency']}" if member["agency"] else member["role"]
    text = safe(who, "bold", single_line=True)
    text.append(f" · {STATUS_LABELS[member['status']]}")
    arrangements = [member["meeting_date"], member["meeting_time"], member["meeting_place"]]
    if any(arrangements):
        text.append("\nArrangements: ")
        text.append_text(safe(", ".join(a for a in arrangements if a), single_line=True))
    else:
        text.append("\nNo date, time or place yet (T sets them).")
    if member["status"] in NEEDS_REASON:
        text.append("\nReason: ")
        text.append_text(safe(member["reason"], single_line=True))
    elif member["conversation_id"]:
        text.append("\nTheir conversation has started: the stage follows its record.")
    if member["status"] in NEXT_STEPS:
        text.append(f"\nNext: {NEXT_STEPS[member['status']]}.")
    return text


def open_case_group(app) -> None:
    """From home: choose the case to prepare (or create one), then open its preparation."""
    options: list[tuple[Text, str]] = [
        (safe(f"{c['reference']} · {c['label']}", single_line=True), c["id"]) for c in list_cases(app.store)]
    options.append((Text("+ A new case…"), NEW_CASE))

    def chosen(case_id: str | None) -> None:
        if case_id == NEW_CASE:
            app.push_screen(TextPrompt(
                "A new case to prepare", [("reference", "Reference, e.g. CSPR-2026-04", ""),
                                          ("label", "Family pseudonym, e.g. Family A", "")],
                confirm="Create", action=_create_case, what="the new case"))
        elif case_id:
            app.push_screen(CaseGroupScreen(case_id))

    app.push_screen(Choice("Prepare which case?", options, "Type to narrow · Enter to open · Esc to cancel",
                           filterable=True),
                    shielded(app, chosen, "opening the case"))


def _create_case(dialog: TextPrompt, values: dict[str, str]) -> None:
    case_id = add_case(dialog.app.store, values["reference"], values["label"])
    # The dialog closes itself once this returns; the preparation opens beneath it.
    dialog.app.call_later(dialog.app.push_screen, CaseGroupScreen(case_id))
