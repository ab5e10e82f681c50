"""An episode's card: the appraisal of practice (what happened, and whether it was adequate given what
was known at the time), the explanation (why it made sense to those involved, with their notes) and the
contributory factors. The hindsight check runs as the appraisal is typed; Esc never loses typed text."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Label, Select, Static, TextArea

from assistant.report import ADEQUACY_WORDS
from assistant.review import episode_accounts
from assistant.story import ADEQUACY, edit_card, episode_card, hindsight_flags, link_explanation_note, set_factors
from assistant.store import StoreError
from assistant.tui.guard import guarded, shielded
from assistant.tui.keys import shown_in_help
from assistant.tui.safe import safe
from assistant.tui.screens.dialogs import Choice, TagPicker
from assistant.tui.screens.review.panes import role
from assistant.tui.widgets.safe_inputs import SafeInput, SafeTextArea

TEXTS = (("what_happened", "What happened"),
         ("appraisal", "Appraisal: was practice adequate, given what was known at the time?"),
         ("explanation", "Explanation: why it made sense to them (Ctrl+L links one of their notes)"))


@shown_in_help("Episode card", 10)
class EpisodeCardScreen(Screen[bool]):
    """Appraise and explain one key practice episode. Dismissed with True once saved, False otherwise."""

    BINDINGS = [
        Binding("ctrl+s", "save", "Save card", id="card.save", priority=True),
        Binding("ctrl+l", "link_note", "Link a note", id="card.link_note", priority=True),
        Binding("ctrl+t", "factors", "Factors", id="card.factors", priority=True),
        Binding("escape", "close", "Close", id="card.close"),
    ]

    def __init__(self, case_episode_id: str) -> None:
        super().__init__()
        self.case_episode_id = case_episode_id

    def compose(self) -> ComposeResult:
        self.card = episode_card(self.app.store, self.app.structure, self.case_episode_id)
        self.factors: list[str] = list(self.card["factors"])
        # A change to words already written needs a reason: it is kept with the earlier wording.
        self.has_words = any(self.card[field] for field, _ in TEXTS) or self.card["adequacy"] != "not_yet"
        yield Header()
        with VerticalScroll(id="card-form"):
            yield Static(safe(f"Episode card: {self.card['title']}", "bold"))
            for field, label in TEXTS:
                yield Label(label)
                if field == "appraisal":
                    yield Select([(ADEQUACY_WORDS[a].capitalize(), a) for a in ADEQUACY], id="card-adequacy",
                                 allow_blank=False, value=self.card["adequacy"])
                yield SafeTextArea(self.card[field], id=f"card-{field}", classes="card-field")
                if field == "appraisal":
                    yield Static("", id="card-hindsight", classes="hint")
            yield Static("", id="card-notes")
            yield Label("Contributory factors (influences) · Ctrl+T to change them")
            yield Static("", id="card-factors")
            if self.has_words:
                yield Label("Why it changes (kept with the earlier wording)")
                yield SafeInput(id="card-reason")
            yield Static("", id="card-error", classes="error")
        yield Footer()

    def on_mount(self) -> None:
        self._show_hindsight()
        self._show_notes()
        self._show_factors()
        self.query_one("#card-what_happened").focus()

    # ---------------------------------------------------------------- what the card shows
    @on(TextArea.Changed, "#card-appraisal, #card-what_happened")
    def _show_hindsight(self) -> None:
        values = self.values()
        flags = hindsight_flags(self.app.structure, f"{values['what_happened']} {values['appraisal']}")
        if not flags:
            line = Text("Hindsight check: nothing flagged.", style="dim")
        else:
            line = Text("Hindsight check: ", style="bold")
            line.append(safe(", ".join(dict.fromkeys(f"“{f['words']}”" for f in flags)), single_line=True))
            line.append(" — was it knowable then? Say what was known at the time.")
        self.query_one("#card-hindsight", Static).update(line)

    def _show_notes(self) -> None:
        notes = self.card["explanation_notes"]
        text = Text("Notes linked to the explanation", style="bold")
        for note in notes:
            text.append("\n• ")
            text.append(safe(note["practitioner_role"], "bold", single_line=True))
            text.append(": ")
            text.append(safe(note["body"], single_line=True))
        if not notes:
            text.append("\n  None yet: Ctrl+L links one of the practitioners' notes.", style="dim")
        self.query_one("#card-notes", Static).update(text)

    def _show_factors(self) -> None:
        tag_by_id = self.app.structure.tag_by_id
        labels = [tag_by_id[t].label for t in self.factors if t in tag_by_id]
        text = Text(", ".join(labels) if labels else "None named yet.")
        edited = self.factors != self.card["factors_from_notes"]
        text.append("  (edited)" if edited else "  (from the linked notes' tags)", style="dim")
        self.query_one("#card-factors", Static).update(text)

    # ---------------------------------------------------------------- what was typed
    def values(self) -> dict[str, Any]:
        texts = {field: self.query_one(f"#card-{field}", SafeTextArea).text for field, _ in TEXTS}
        return {**texts, "adequacy": str(self.query_one("#card-adequacy", Select).value)}

    def _reason(self) -> str:
        return self.query_one("#card-reason", SafeInput).value.strip() if self.has_words else ""

    def _changed(self) -> list[str]:
        values = self.values()
        changed = [f for f, v in values.items() if str(v).strip() != str(self.card[f]).strip()]
        return changed + (["factors"] if self.factors != self.card["factors"] else [])

    # ---------------------------------------------------------------- keys
    @guarded
    def action_save(self) -> None:
        changed = self._changed()
        replaced = [f for f in changed if f != "factors" and self.card[f] not in ("", "not_yet")]
        if replaced and not self._reason():
            self.query_one("#card-error", Static).update(Text(
                "Say why the earlier wording changes (the reason is kept with it), then save again."))
            self.query_one("#card-reason").focus()
            return
        store = self.app.store
        try:
            edit_card(store, self.case_episode_id, reason=self._reason(), **self.values())
            if "factors" in changed:
                set_factors(store, self.app.structure, self.case_episode_id, self.factors, reason=self._reason())
        except StoreError as error:
            self.query_one("#card-error", Static).update(safe(str(error)))
            return
        self.dismiss(True)

    @guarded
    def action_factors(self) -> None:
        def chosen(tags: list[str] | None) -> None:
            if tags is not None:
                self.factors = sorted(tags)
                self._show_factors()

        self.app.push_screen(TagPicker(self.app.structure, self.factors, "Contributory factors for this episode",
                                       only_group="factor"), shielded(self.app, chosen))

    @guarded
    def action_link_note(self) -> None:
        linked = {n["id"] for n in self.card["explanation_notes"]}
        notes = [(account["moment"], note) for account in episode_accounts(
                     self.app.store, self.app.structure, self.case_episode_id)
                 for section in account["notes_by_section"].values() for note in section if note["id"] not in linked]
        if not notes:
            self.app.say("Every note of this episode's key moments is linked already (or there are none).")
            return

        def chosen(note_id: str | None) -> None:
            if note_id:
                link_explanation_note(self.app.store, self.case_episode_id, note_id)
                self.card["explanation_notes"] = episode_card(
                    self.app.store, self.app.structure, self.case_episode_id)["explanation_notes"]
                self._show_notes()

        options = []
        for moment, note in notes:
            label = safe(role(moment), "bold", single_line=True)
            label.append(": ")
            label.append(safe(note["body"], single_line=True))
            options.append((label, note["id"]))
        self.app.push_screen(Choice("Link which note to the explanation?", options,
                                    "Enter links it · Esc to go back"), shielded(self.app, chosen))

    @guarded
    def action_close(self) -> None:
        if not self._changed():
            self.dismiss(False)
            return

        def chosen(what: str | None) -> None:
            if what == "save":
                self.action_save()
            elif what == "discard":
                self.dismiss(False)

        # Going back to the card is highlighted, so Enter (or Esc) alone never loses a word.
        self.app.push_screen(Choice("The card has changes that are not saved yet",
                                    [(Text("Go back to the card (keep what is typed)"), None),
                                     (Text("Save the card and close"), "save"),
                                     (Text("Close without saving (what was typed is lost)"), "discard")],
                                    "Enter to choose · Esc to go back to the card"), shielded(self.app, chosen))
