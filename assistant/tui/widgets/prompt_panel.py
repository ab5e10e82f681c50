"""The current prompt, large and calm, with the section's purpose, and probes and what to listen for on
demand (Ctrl+L)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from assistant.conversation import MARK_LABELS, ConversationState
from assistant.conversation.prepared import is_prepared
from assistant.tui.safe import safe
from assistant.words import counted


class PromptPanel(VerticalScroll):
    """Section heading, prompt, guidance and the "left for later" line."""

    def compose(self) -> ComposeResult:
        yield Static(id="section-heading")
        yield Static(id="prompt")
        yield Static(id="guidance")
        yield Static(id="later-line")

    _shown: tuple = ()  # what is on screen, so an unchanged panel is not repainted

    def show(self, state: ConversationState, *, guidance: bool, narrow: bool) -> None:
        """The pair's prepared queries are prompts of their section once the gate is open (the snapshot
        has them then, and before that has neither them nor their number)."""
        shown = (state.stop, state.prompt_index, state.mark, len(state.later), guidance, narrow)
        if shown == self._shown:
            return
        self._shown = shown
        stop = state.stop
        section = stop.section
        index = state.prompt_index
        prompt = section.prompts[index]
        heading = Text(section.title, style="bold")
        if section.mode == "per_episode":
            if stop.episode:
                heading.append(f"  ·  Moment {stop.episode_index + 1} of {stop.episode_count} — ")
                heading.append(safe(stop.episode["title"], "italic", single_line=True))
            else:
                heading.append("  ·  no key moments yet: name them in Key moments (Ctrl+O)")
        if not narrow:  # on a small terminal the purpose moves behind Ctrl+L
            heading.append(f"\n{section.purpose.strip()}", style="dim")
        self.query_one("#section-heading", Static).update(heading)
        prompt_text = safe(prompt.text, "bold")  # a prepared query is the pair's own text
        status = f"\nPrompt {index + 1} of {len(section.prompts)}"
        if is_prepared(prompt.id):
            status += " · a query the pair prepared"
        if state.mark:
            status += f" · marked {MARK_LABELS[state.mark]}"
        prompt_text.append(status + "  (F8/F9 other prompts, F10 mark)", style="dim")
        self.query_one("#prompt", Static).update(prompt_text)
        self.query_one("#guidance", Static).update(self._guidance(state, guidance, narrow))
        later = state.later
        line = Text(f"{counted(len(later), 'prompt')} left for later (F10 to see them).", style="dim") if later else Text("")
        self.query_one("#later-line", Static).update(line)

    @staticmethod
    def _guidance(state: ConversationState, shown: bool, narrow: bool) -> Text:
        section = state.stop.section
        if shown:
            prompt = section.prompts[state.prompt_index]
            text = Text()
            if narrow:
                text.append(f"  {section.purpose.strip()}\n", style="dim")
            for probe in prompt.probes:
                text.append(f"  › {probe}\n")
            for listen in prompt.listen_for:
                text.append(f"  Listen for: {listen}\n", style="italic")
            if section.hindsight_reminder:
                text.append(f"  ⚑ {section.hindsight_reminder}\n", style="italic")
            return text or Text("  No probes for this prompt.")
        if section.hindsight_reminder:
            return Text(f"⚑ {section.hindsight_reminder}", style="italic")
        return Text("Ctrl+L shows probes and what to listen for.", style="dim")
