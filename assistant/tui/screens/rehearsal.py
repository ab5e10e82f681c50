"""Rehearsal: the conversation screen with a fictional practitioner who answers the trainee's questions,
the coach's verdict beside each question, and the debrief at the end."""

from __future__ import annotations


from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from assistant.coach import classify
from assistant.conversation import list_conversations
from assistant.rehearsal import TRUST_LABELS, Rehearsal, debrief, start_rehearsal
from assistant.rehearsal.debrief import trust_line
from assistant.store import StoreError
from assistant.structure import StructureError, list_scenarios
from assistant.tui.guard import guarded, shielded
from assistant.tui.keys import shown_in_help
from assistant.tui.safe import safe
from assistant.tui.screens.conversation import ConversationScreen
from assistant.tui.screens.dialogs import Choice
from assistant.tui.widgets.safe_inputs import SafeInput
from assistant.workflows import export_debrief_to, format_duration

KIND_LABELS = {"open": "open ✓", "closed": "closed", "leading": "leading", "multiple": "several at once",
               "hindsight": "hindsight or blame"}


def open_rehearsals(app) -> None:
    """From home: resume a rehearsal in progress or start one with a scenario."""
    try:
        scenarios = {s.id: s for s in list_scenarios(app.structure)}
    except StructureError as error:
        app.say(str(error), error=True)
        return
    options = []
    for row in list_conversations(app.store, mode="rehearsal"):
        if row["status"] == "in_progress" and row["scenario_id"] in scenarios:
            label = Text("↻ Resume: ")
            label.append(safe(f"{scenarios[row['scenario_id']].title} ({row['note_count']} notes)", single_line=True))
            options.append((label, ("resume", row["id"], row["scenario_id"])))
    for scenario in scenarios.values():
        label = Text("▶ ", style="bold")
        label.append(safe(scenario.title, "bold"))
        label.append("\n")
        label.append(safe(scenario.summary.strip()))
        options.append((label, ("start", None, scenario.id)))

    def chosen(value) -> None:
        if not value:
            return
        action, conversation_id, scenario_id = value
        scenario = scenarios[scenario_id]
        if action == "start":
            conversation_id = start_rehearsal(app.store, app.structure, scenario)
        app.push_screen(RehearsalScreen(conversation_id, scenario))

    app.push_screen(Choice("Rehearse with a fictional practitioner", options,
                           "Enter to choose · Esc to cancel. Rehearsals never appear in reviews or exports."), shielded(app, chosen))


@shown_in_help("Rehearsal (as well as the conversation keys)", 7)
class RehearsalScreen(ConversationScreen):
    """Ask as you would in the room; the practitioner answers, the coach comments on each question."""

    BINDINGS = [
        Binding("f6", "focus_question", "Ask", id="rehearsal.question", priority=True),
    ]

    def __init__(self, conversation_id: str, scenario) -> None:
        super().__init__(conversation_id)
        self.scenario = scenario

    def compose_extra(self) -> ComposeResult:
        self.rehearsal = Rehearsal(self.app.store, self.app.structure, self.scenario, self.conversation_id)
        yield VerticalScroll(Static(id="transcript-text"), id="transcript")
        yield SafeInput(placeholder="Type the question you would ask, then Enter", id="question")

    def on_mount(self) -> None:
        # Textual also runs ConversationScreen.on_mount; this adds the rehearsal's parts.
        self.sub_title = "REHEARSAL"
        self._show_transcript()

    def focus_start(self) -> None:
        self.query_one("#question").focus()

    def _show_transcript(self) -> None:
        text = Text()
        story = self.scenario.practitioner
        # Scenario files are written by trainers: shown through safe() like any imported text.
        text.append(safe(f"{story.role}, {story.agency} (fictional). ", "bold"))
        text.append(safe(story.story.strip(), "italic"))
        trust = self.rehearsal.memory().trust
        text.append(f"\nTrust: {TRUST_LABELS[trust]} ({trust} of 4)\n", style="bold")
        for question in self.rehearsal.questions()[-12:]:
            text.append("\nYou: ", style="bold")
            text.append(safe(question["question"]))
            text.append(f"  [{KIND_LABELS[question['kind']]}]", style="reverse" if question["kind"] != "open" else "")
            if question["kind"] != "open":
                text.append("\nCoach: ", style="italic")
                text.append(safe(classify(question["question"], self.app.structure.coach).suggestion,
                                 style="italic"))
            text.append("\nPractitioner: ", style="bold")
            text.append(safe(question["answer"]))
            text.append("\n")
        self.query_one("#transcript-text", Static).update(text)
        self.query_one("#transcript", VerticalScroll).scroll_end(animate=False)

    @on(SafeInput.Submitted, "#question")
    @guarded(what="the question")
    def _asked(self, event: SafeInput.Submitted) -> None:
        try:
            reply = self.rehearsal.ask(event.value)
        except StoreError as error:
            self.app.say(str(error), error=True)
            return
        event.input.value = ""
        self._show_transcript()
        if reply.facts:
            self.app.say("The practitioner told you something new.")

    @guarded
    def action_focus_question(self) -> None:
        self.query_one("#question").focus()

    @guarded
    def action_finish(self) -> None:
        self.save_draft_now()
        self.app.push_screen(DebriefScreen(self.rehearsal), lambda _: self._render_all())


@shown_in_help("Rehearsal debrief", 8)
class DebriefScreen(Screen):
    """The trainer's debrief: what was covered, which facts surfaced, and how each question was put."""

    BINDINGS = [
        Binding("escape", "back", "Back", id="debrief.back"),
        Binding("ctrl+e", "end", "End rehearsal", id="debrief.end", priority=True),
        Binding("x", "export", "Export Markdown", id="debrief.export"),
    ]

    def __init__(self, rehearsal: Rehearsal) -> None:
        super().__init__()
        self.rehearsal = rehearsal

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(Text("REHEARSAL · debrief", style="bold reverse"), classes="banner")
        yield VerticalScroll(Static(id="debrief-text"), id="debrief")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = "REHEARSAL"
        figures = debrief(self.rehearsal)
        structure = self.rehearsal.structure
        facts = {f.id: f.text for f in self.rehearsal.scenario.facts}
        text = safe(figures["scenario"], "bold")
        text.append("\n\n")
        text.append(f"{figures['questions']} questions: " + ", ".join(
            f"{KIND_LABELS[k]} {n}" for k, n in figures["kinds"].items()) + f"  ({figures['open_share']:.0%} open)\n")
        text.append(f"{figures['prompts_covered']} of {figures['prompts_total']} prompts covered"
                    f" ({len(figures['prompts_asked'])} asked in your questions).\n")
        text.append(f"Trust: {trust_line(figures)}\n\n")
        text.append("Time per section\n", style="bold")
        for section in structure.sections:
            seconds = figures["seconds_by_section"].get(section.id)
            mark = "✓" if section.id in figures["sections_covered"] else "○"
            shown = "" if seconds is None or not self.app.clock else f"  {format_duration(seconds)}"
            text.append(f"  {mark} {section.title}{shown}\n")
        text.append("\nFacts the practitioner shared\n", style="bold")
        for fact_id in figures["facts_surfaced"]:
            text.append("  ✓ ")
            text.append(safe(facts[fact_id]))
            text.append("\n")
        text.append("Facts that never came out (ask openly about these areas next time)\n", style="bold")
        for fact_id in figures["facts_missed"]:
            text.append("  ○ ")
            text.append(safe(facts[fact_id]))
            text.append("\n")
        text.append("\nQuestions to practise again\n", style="bold")
        for item in figures["flagged"]:
            text.append("  • ")
            text.append(safe(item["question"]))
            text.append(f"  [{KIND_LABELS[item['kind']]}]\n    → ", style="italic")
            text.append(safe(item["suggestion"], "italic"))
            text.append("\n")
        if not figures["flagged"]:
            text.append("  Every question was open.\n")
        self.query_one("#debrief-text", Static).update(text)

    @guarded
    def action_end(self) -> None:
        self.rehearsal.conversation.set_status("ended")
        self.app.say("Rehearsal ended.")

    @guarded
    def action_export(self) -> None:
        try:
            result = export_debrief_to(self.rehearsal)
        except StoreError as error:
            self.app.say(str(error), error=True)
            return
        self.app.say(f"Debrief saved: {result.paths[0]}")

    @guarded
    def action_back(self) -> None:
        self.dismiss(None)
