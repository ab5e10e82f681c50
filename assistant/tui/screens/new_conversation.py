"""New conversation: the case, the practitioner's role label and agency, the pair, consent."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Checkbox, Footer, Header, Label, RadioButton, RadioSet, Select, Static

from assistant.casegroup import list_members
from assistant.cases import list_cases
from assistant.conversation import list_conversations, looks_like_full_name
from assistant.tui.guard import describe
from assistant.tui.keys import shown_in_help
from assistant.tui.safe import safe
from assistant.tui.screens.dialogs import Choice
from assistant.tui.widgets.safe_inputs import SafeInput
from assistant.workflows import NewCase, start_conversation

NEW_CASE = "__new__"
# The labels the form asks about before starting when they look like a person's name, as the form names them.
NAMED_FIELDS = {"role": "The practitioner's role label", "agency": "The agency", "lead": "Lead interviewer",
                "second": "Second interviewer"}
NAME_WARNING = "This looks like a person's name. Please use a role label or pseudonym only."
RECORDS_LABEL = "The pair read records or a chronology before this conversation"
CHOSEN = "(chosen) "  # the consent choice is shown in words: the radio glyph looks the same chosen or not


@shown_in_help("New conversation", 2)
class NewConversationScreen(Screen):
    """A short form; Ctrl+S starts the conversation."""

    BINDINGS = [
        Binding("ctrl+s", "start", "Start conversation", id="new.start", priority=True),
        Binding("escape", "cancel", "Cancel", id="new.cancel"),
    ]

    def compose(self) -> ComposeResult:
        cases = list_cases(self.app.store)
        options = [(safe(f"{c['reference']}: {c['label']}", single_line=True), c["id"]) for c in cases]
        options.append((Text("+ A new case…"), NEW_CASE))
        yield Header()
        with VerticalScroll(id="new-form"):
            yield Static(Text("Start a conversation", style="bold"), classes="form-title")
            yield Label("Case")
            yield Select(options, id="case", allow_blank=False, value=options[0][1])
            with Horizontal(id="new-case-fields"):
                yield SafeInput(placeholder="Reference, e.g. CSPR-2026-04", id="case-ref")
                yield SafeInput(placeholder="Family pseudonym, e.g. Family A", id="case-label")
            yield Label("Case-group member", id="member-label")
            yield Select([], id="member", prompt="Not in the case group")
            yield Label("Practitioner's role label (no names)")
            yield SafeInput(placeholder="e.g. Social Worker 1, Health Visitor", id="role")
            yield Static("", id="role-warning", classes="warning")
            yield Label("Agency")
            yield SafeInput(placeholder="e.g. Children's Social Care", id="agency")
            with Horizontal(classes="pair"):
                yield SafeInput(placeholder="Lead interviewer (role label)", id="lead")
                yield SafeInput(placeholder="Second interviewer, taking notes", id="second")
            yield Static("", id="pair-warning", classes="warning")
            yield Checkbox(RECORDS_LABEL, id="records")
            yield Label("Recording consent")
            with RadioSet(id="consent"):
                yield RadioButton("Not being recorded", value=True, id="consent-not_recorded")
                yield RadioButton("Consents to recording", id="consent-yes")
                yield RadioButton("Does not consent", id="consent-no")
            yield Static("", id="form-error", classes="error")
            with Horizontal(classes="buttons"):
                yield Button("Start conversation", variant="primary", id="start")
                yield Button("Cancel", id="cancel")
        yield Footer()

    def on_mount(self) -> None:
        self._toggle_new_case()
        self._show_states()
        first = "#case-ref" if self._case_value() == NEW_CASE else "#role"
        self.query_one(first, SafeInput).focus()

    def _case_value(self) -> str:
        return str(self.query_one("#case", Select).value)

    @on(Select.Changed, "#case")
    def _toggle_new_case(self) -> None:
        case_id = self._case_value()
        self.query_one("#new-case-fields").display = case_id == NEW_CASE
        members = [] if case_id == NEW_CASE else list_members(self.app.store, case_id)
        member = self.query_one("#member", Select)
        member.set_options([(safe(f"{m['role']}" + (f", {m['agency']}" if m["agency"] else "")
                                  + f" ({m['status_label']})", single_line=True), m["id"]) for m in members])
        member.display = self.query_one("#member-label").display = bool(members)
        self._warn_role()

    @on(Select.Changed, "#member")
    def _fill_from_member(self) -> None:
        """Role and agency come from the member the conversation is with."""
        member_id = self._member_id()
        if member_id is None:
            return
        chosen = next(m for m in list_members(self.app.store, self._case_value()) if m["id"] == member_id)
        self.query_one("#role", SafeInput).value = chosen["role"]
        self.query_one("#agency", SafeInput).value = chosen["agency"] or ""

    def _member_id(self) -> str | None:
        value = self.query_one("#member", Select).value
        return None if value is Select.BLANK or not self.query_one("#member").display else str(value)

    def _warn_role(self) -> None:
        """A person's name, or a label another conversation of this case already has: said, not refused."""
        role = self.query_one("#role", SafeInput).value
        case_id = self._case_value()
        used = [] if case_id == NEW_CASE or not role.strip() else [
            c["practitioner_role"] for c in list_conversations(self.app.store, case_id)
            if c["practitioner_role"].casefold() == role.strip().casefold()]
        warnings = [NAME_WARNING] if looks_like_full_name(role) else []
        if used:
            warnings.append(f"A conversation in this case already has the role label {used[0]}; you may keep "
                            f"it, or add a number (e.g. {used[0]} 2) so the two are easy to tell apart.")
        self.query_one("#role-warning", Static).update(safe(" ".join(warnings)))

    @on(Checkbox.Changed)
    @on(RadioSet.Changed)
    def _show_states(self) -> None:
        """A ticked box and the chosen consent look like the others but for colour (and under NO_COLOR not
        even that): say them in words."""
        records = self.query_one("#records", Checkbox)
        records.label = f"{RECORDS_LABEL} — {'yes' if records.value else 'no'}"
        for button in self.query(RadioButton):
            plain = str(button.label).removeprefix(CHOSEN)
            button.label = CHOSEN + plain if button.value else plain

    @on(SafeInput.Changed)
    def _warn_names(self, event: SafeInput.Changed) -> None:
        if event.input.id == "role":
            self._warn_role()
        elif event.input.id in ("lead", "second"):
            names = [self.query_one(f"#{i}", SafeInput).value for i in ("lead", "second")]
            self.query_one("#pair-warning", Static).update(
                NAME_WARNING if any(looks_like_full_name(n) for n in names) else ""
            )

    @on(Button.Pressed, "#start")
    def action_start(self) -> None:
        """Start the conversation; a label that looks like a person's name is asked about first."""
        named = next((field for field in NAMED_FIELDS
                      if looks_like_full_name(self.query_one(f"#{field}", SafeInput).value)), None)
        if named is None:
            self._start()
            return
        typed = self.query_one(f"#{named}", SafeInput).value.strip()

        def answered(start_anyway: bool | None) -> None:
            if start_anyway:
                self._start()
            else:
                self.query_one(f"#{named}", SafeInput).focus()

        self.app.push_screen(Choice(
            f"{NAMED_FIELDS[named]} \"{typed}\" looks like a person's name.",
            [(Text("Change it: use a role label or pseudonym"), False), (Text("Start anyway"), True)],
            "Enter to choose · Esc to change it"), answered)

    def _start(self) -> None:
        store = self.app.store
        value = lambda name: self.query_one(f"#{name}", SafeInput).value  # noqa: E731
        error = self.query_one("#form-error", Static)
        consent_button = self.query_one("#consent", RadioSet).pressed_button
        consent = consent_button.id.removeprefix("consent-") if consent_button and consent_button.id else "not_recorded"
        try:
            case_id = self._case_value()
            started = start_conversation(
                store, self.app.structure,
                NewCase(value("case-ref"), value("case-label")) if case_id == NEW_CASE else case_id,
                practitioner_role=value("role"), agency=value("agency"), lead_interviewer=value("lead"),
                second_interviewer=value("second"), records_seen_before=self.query_one("#records", Checkbox).value,
                recording_consent=consent, member_id=None if case_id == NEW_CASE else self._member_id(),
            )
        except Exception as problem:  # noqa: BLE001 - one sentence on the form, what was typed is kept
            error.update(safe(describe(problem, "creating the conversation")))
            return
        from assistant.tui.screens.conversation import ConversationScreen

        self.app.switch_screen(ConversationScreen(started.conversation_id))

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.app.pop_screen()
