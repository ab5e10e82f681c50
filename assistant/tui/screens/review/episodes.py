"""The Episodes tab: every key moment from the case's conversations, ticked and linked into case-level
key practice episodes, with the case chronology beside them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable

from rich.text import Text
from textual import on
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from assistant.cases import chronology
from assistant.labels import conversation_labels
from assistant.review import (case_episodes, case_moments, create_case_episode, link_moment, live_conversations,
                              set_episode_typology)
from assistant.revisions import delete_case_episode, merge_case_episodes, rename_case_episode, unlink_from_episode
from assistant.store import StoreError
from assistant.tui.guard import guarded, shielded
from assistant.tui.safe import safe
from assistant.tui.screens.dialogs import CHRONOLOGY_COLUMNS, Choice, TagPicker, TextPrompt
from assistant.tui.screens.review.accounts import EpisodeScreen
from assistant.tui.screens.review.panes import ReviewPane, restore_highlight
from assistant.tui.widgets.checklist import CheckList
from assistant.tui.widgets.wrapping_table import WrappingTable
from assistant.words import counted


@dataclass
class EpisodesData:
    episodes: list[dict[str, Any]]
    moments: list[dict[str, Any]]
    chronology: list[dict[str, Any]]
    labels: dict[str, str]


class EpisodesPane(ReviewPane):
    """Key moments on the left, case episodes and the chronology on the right."""

    KEYS = ("new_episode", "link", "typology", "rename", "unlink", "merge", "delete")

    class Loaded(Message):
        def __init__(self, data: EpisodesData) -> None:
            super().__init__()
            self.data = data

    def parts(self) -> Iterable[Widget]:
        # Each column's keys wrap within it, and the chronology spans the width below both, so every
        # column of it (the source too) stays on screen at 80 columns.
        yield Horizontal(
            Vertical(Label("Key moments · Space ticks · E links as one episode · L to an existing one · "
                           "U unlinks from its episode", classes="hint"),
                     CheckList(id="moments"), classes="review-column"),
            Vertical(Label("Case episodes · Enter: accounts side by side · T patterns · R rename · M merge · "
                           "D delete (moments stay)", classes="hint"),
                     OptionList(id="case-episodes"), classes="review-column"), id="episode-columns")
        yield Label("Chronology", classes="hint")
        yield WrappingTable(id="review-chronology", cursor_type="row", zebra_stripes=True)

    def fetch(self) -> Message:
        store = self.app.store
        labels = conversation_labels(live_conversations(store, self.case_id), width=40)
        return self.Loaded(EpisodesData(case_episodes(store, self.case_id), case_moments(store, self.case_id),
                                        chronology(store, self.case_id), labels))

    async def on_episodes_pane_loaded(self, message: Loaded) -> None:
        await self.take(message.data)

    @property
    def episodes(self) -> list[dict[str, Any]]:
        return self.loaded.episodes if self.loaded else []

    async def draw(self) -> None:
        self._draw_moments()
        self._draw_episodes()
        self.query_one("#review-chronology", WrappingTable).show(CHRONOLOGY_COLUMNS, [
            [safe(entry["date"], single_line=True), safe(entry["agency"], single_line=True),
             safe(entry["summary"], single_line=True), safe(entry["source_ref"], single_line=True)]
            for entry in self.loaded.chronology])

    def _draw_moments(self) -> None:
        titles = {e["id"]: e["title"] for e in self.episodes}
        checklist = self.query_one("#moments", CheckList)
        checklist.ticked.clear()
        items = []
        for moment in self.loaded.moments:
            who = self.loaded.labels.get(moment["conversation_id"], moment["practitioner_role"])
            label = safe(f"{who}: ", "bold", single_line=True)
            label.append(safe(moment["title"], single_line=True))
            if moment["approximate_time"]:
                label.append(safe(f" ({moment['approximate_time']})", "dim", single_line=True))
            if moment["case_episode_id"]:
                label.append(safe(f"  → {titles.get(moment['case_episode_id'], '')}", "italic", single_line=True))
            items.append((label, moment["id"]))
        checklist.set_items(items or [(Text("No key moments in this case's conversations yet."), None)])

    def _draw_episodes(self) -> None:
        options = self.query_one("#case-episodes", OptionList)
        place = options.highlighted
        options.clear_options()
        for episode in self.episodes:
            patterns = ", ".join(self.app.structure.tag_by_id[t].label for t in episode["typology"])
            label = safe(episode["title"], "bold", single_line=True)
            label.append(f"  {counted(episode['moments'], 'account')}")
            if patterns:
                label.append(f"\n  {patterns}", style="dim")
            options.add_option(Option(label, id=episode["id"]))
        if not self.episodes:
            options.add_option(Option(Text("None yet: tick moments that are the same episode and press E."),
                                      id="none", disabled=True))
        else:
            restore_highlight(options, place)

    # ---------------------------------------------------------------- linking moments into episodes
    def ticked_moments(self) -> list[str]:
        found = self.query("#moments")
        return [m for m in found.first(CheckList).ticked if m] if found else []

    def selected_episode(self) -> str | None:
        if not self.query("#case-episodes"):
            return None
        options = self.query_one("#case-episodes", OptionList)
        if options.highlighted is None:
            return None
        option = options.get_option_at_index(options.highlighted)
        return None if option.id == "none" else option.id

    def new_episode(self) -> None:
        ticked = self.ticked_moments()
        if not ticked:
            self.app.say("Tick the key moments that are the same episode (Space), then press E.")
            return

        def created(values: dict[str, str] | None) -> None:
            if values:
                try:
                    create_case_episode(self.app.store, self.case_id, values["title"], ticked)
                except StoreError as error:
                    self.app.say(str(error), error=True)
                self.screen.refresh_all()

        self.app.push_screen(TextPrompt("A case-level key practice episode", [("title", "Title", "")],
                                        confirm="Link moments"), shielded(self.app, created))

    def link(self) -> None:
        ticked = self.ticked_moments()
        if not ticked or not self.episodes:
            self.app.say("Tick moments, then L links them to an existing episode.")
            return

        def chosen(episode_id: str | None) -> None:
            if episode_id:
                for moment in ticked:
                    link_moment(self.app.store, episode_id, moment)
                self.screen.refresh_all()

        self.app.push_screen(Choice("Link to which episode?",
                                    [(safe(e["title"], single_line=True), e["id"]) for e in self.episodes]), chosen)

    def typology(self) -> None:
        episode_id = self.selected_episode()
        if not episode_id:
            return
        current = next(e["typology"] for e in self.episodes if e["id"] == episode_id)

        def chosen(tags: list[str] | None) -> None:
            if tags is not None:
                set_episode_typology(self.app.store, self.app.structure, episode_id, tags)
                self.screen.refresh_all()

        self.app.push_screen(TagPicker(self.app.structure, current, "Underlying patterns for this episode",
                                       only_group="typology"), shielded(self.app, chosen))

    # ---------------------------------------------------------------- revising episodes
    def _episode(self) -> dict[str, Any] | None:
        episode_id = self.selected_episode()
        if episode_id is None:
            self.app.say("Highlight a case episode first (right-hand list).")
        return next((e for e in self.episodes if e["id"] == episode_id), None)

    def _confirm(self, title: str, do: str, then: Callable[[], None]) -> None:
        """Ask before a change that takes something away; Keep it is highlighted, so Enter alone is safe."""
        def chosen(yes: bool | None) -> None:
            if yes:
                then()
                self.screen.refresh_all()

        self.app.push_screen(Choice(title, [(Text(do), True), (Text("Keep it as it is"), None)],
                                    "Enter to choose · Esc to keep it", highlighted=1), shielded(self.app, chosen))

    def rename(self) -> None:
        episode = self._episode()
        if episode is None:
            return

        def renamed(values: dict[str, str] | None) -> None:
            if values:
                rename_case_episode(self.app.store, episode["id"], values["title"])
                self.screen.refresh_all()

        self.app.push_screen(TextPrompt("Rename the case episode", [("title", "Title", episode["title"])],
                                        "The earlier title is kept in its history.", "Rename"),
                             shielded(self.app, renamed))

    def unlink(self) -> None:
        moments = self.query_one("#moments", CheckList)
        index = moments.highlighted
        moment = self.loaded.moments[index] if index is not None and index < len(self.loaded.moments) else None
        if moment is None or not moment["case_episode_id"]:
            self.app.say("Highlight a key moment that is linked to an episode (marked →), then press U.")
            return
        title = next((e["title"] for e in self.episodes if e["id"] == moment["case_episode_id"]), "")
        self._confirm(f"Unlink “{moment['title']}” from “{title}”?",
                      "Unlink the moment (the moment and its notes stay)",
                      lambda: unlink_from_episode(self.app.store, moment["case_episode_id"], moment["id"]))

    def merge(self) -> None:
        episode = self._episode()
        if episode is None:
            return
        others = [e for e in self.episodes if e["id"] != episode["id"]]
        if not others:
            self.app.say("There is no other episode to merge this one with.")
            return

        def into(keep_id: str | None) -> None:
            if keep_id:
                keep = next(e for e in others if e["id"] == keep_id)
                self._confirm(f"Merge “{episode['title']}” into “{keep['title']}”?",
                              f"Merge: its moments join “{keep['title']}”, which keeps its title",
                              lambda: merge_case_episodes(self.app.store, keep_id, episode["id"]))

        self.app.push_screen(Choice(f"Merge “{episode['title']}” into which episode?",
                                    [(safe(e["title"], single_line=True), e["id"]) for e in others]),
                             shielded(self.app, into))

    def delete(self) -> None:
        episode = self._episode()
        if episode is None:
            return
        self._confirm(f"Delete the episode “{episode['title']}”?",
                      f"Delete the episode (its {counted(episode['moments'], 'moment')} stay, unlinked)",
                      lambda: delete_case_episode(self.app.store, episode["id"]))

    @on(OptionList.OptionSelected, "#case-episodes")
    @guarded
    def _episode_chosen(self, event: OptionList.OptionSelected) -> None:
        if event.option.id and event.option.id != "none":
            self.app.push_screen(EpisodeScreen(event.option.id))
