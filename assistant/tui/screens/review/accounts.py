"""One case episode: every practitioner's account side by side, with the influences they named."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from assistant.labels import conversation_labels
from assistant.review import episode_accounts, live_conversations
from assistant.tui.guard import guarded
from assistant.tui.safe import safe
from assistant.tui.screens.review.panes import role


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
        # Two practitioners with the same role label are told apart here as everywhere else.
        names = conversation_labels(live_conversations(store, episode["case_id"]), with_agency=True)
        yield Header()
        yield Static(safe(f"Episode: {episode['title']}", "bold"), id="episode-title")
        with Horizontal(id="accounts"):
            for account in accounts:
                moment = account["moment"]
                text = safe(names.get(moment["conversation_id"]) or role(moment), "bold")
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
