"""New conversation: the case, the practitioner's role label and agency, the pair, consent."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Checkbox, Footer, Header, Label, RadioButton, RadioSet, Select, Static

from assistant.cases import list_cases
from assistant.conversation import looks_like_full_name
from assistant.tui.guard import describe
from assistant.tui.keys import shown_in_help
from assistant.tui.safe import safe
from assistant.tui.widgets.safe_inputs import SafeInput
from assistant.workflows import NewCase, start_conversation

NEW_CASE = "__new__"
NAME_WARNING = "This looks like a person's name. Please use a role label or pseudonym only."


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
            yield Label("Practitioner's role label (no names)")
            yield SafeInput(placeholder="e.g. Social Worker 1, Health Visitor", id="role")
            yield Static("", id="role-warning", classes="warning")
            yield Label("Agency")
            yield SafeInput(placeholder="e.g. Children's Social Care", id="agency")
            with Horizontal(classes="pair"):
                yield SafeInput(placeholder="Lead interviewer (role label)", id="lead")
                yield SafeInput(placeholder="Second interviewer, taking notes", id="second")
            yield Static("", id="pair-warning", classes="warning")
            yield Checkbox("The pair read records or a chronology before this conversation", id="records")
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
        first = "#case-ref" if self._case_value() == NEW_CASE else "#role"
        self.query_one(first, SafeInput).focus()

    def _case_value(self) -> str:
        return str(self.query_one("#case", Select).value)

    @on(Select.Changed, "#case")
    def _toggle_new_case(self) -> None:
        self.query_one("#new-case-fields").display = self._case_value() == NEW_CASE

    @on(SafeInput.Changed)
    def _warn_names(self, event: SafeInput.Changed) -> None:
        if event.input.id == "role":
            self.query_one("#role-warning", Static).update(
                NAME_WARNING if looks_like_full_name(event.value) else ""
            )
        elif event.input.id in ("lead", "second"):
            names = [self.query_one(f"#{i}", SafeInput).value for i in ("lead", "second")]
            self.query_one("#pair-warning", Static).update(
                NAME_WARNING if any(looks_like_full_name(n) for n in names) else ""
            )

    @on(Button.Pressed, "#start")
    def action_start(self) -> None:
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
                recording_consent=consent,
            )
        except Exception as problem:  # noqa: BLE001 - one sentence on the form, what was typed is kept
            error.update(safe(describe(problem, "creating the conversation")))
            return
        from assistant.tui.screens.conversation import ConversationScreen

        self.app.switch_screen(ConversationScreen(started.conversation_id))

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.app.pop_screen()
