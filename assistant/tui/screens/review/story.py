"""The Story tab: the case's key practice episodes in the story's order as one timeline, each with every
practitioner's perspective in their own words, the chronology entries between episodes, and where the
lead marked that accounts differ. Also the workspace's context lines (the review's questions and its
clock) and the full list of questions."""

from __future__ import annotations

from typing import Any, Iterable

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Label, OptionList, Static
from textual.widgets.option_list import Option

from assistant.report import review_clock
from assistant.review_questions import list_questions
from assistant.story import edit_card, place_episode, story_of_the_case
from assistant.tui.guard import guarded, shielded
from assistant.tui.safe import safe
from assistant.tui.screens.dialogs import Choice, TextPrompt
from assistant.tui.screens.review.episode_card import EpisodeCardScreen
from assistant.tui.screens.review.panes import ReviewPane, role

STORY_HINT = "P place (a date or a position) · A accounts differ · O or Enter: the card"


def episode_label(item: dict[str, Any]) -> Text:
    """One episode in the timeline: where it sits, its title, the lead's marker, every perspective."""
    where = " · ".join(w for w in (f"#{item['position']}" if item.get("position") else "", item.get("date") or "")
                       if w)
    text = Text(f"{where}  " if where else "", style="bold")
    text.append(safe(item["title"], "bold", single_line=True))
    if item.get("accounts_differ"):
        text.append("\n  ≠ Accounts differ: ", style="bold reverse")
        text.append(safe(item["accounts_differ"], "italic", single_line=True))
    for perspective in item.get("perspectives", []):
        text.append("\n  ")
        text.append(safe(role(perspective), "bold", single_line=True))
        text.append(": “")
        text.append(safe(perspective["title"], single_line=True))
        text.append("”")
        if perspective["approximate_time"]:
            text.append(safe(f" ({perspective['approximate_time']})", "dim", single_line=True))
        for note in perspective["notes"]:
            text.append("\n    · ")
            text.append(safe(note["body"], single_line=True))
    if "perspectives" in item and not item["perspectives"]:
        text.append("\n  No practitioner's key moment is linked to it yet.", style="dim")
    return text


def chronology_label(entry: dict[str, Any]) -> Text:
    text = Text("  ┊ ", style="dim")
    text.append(safe(f"{entry['date']} · {entry['agency']}: ", "dim", single_line=True))
    text.append(safe(entry["summary"], "dim", single_line=True))
    return text


def _heading(words: str) -> Option:
    return Option(Text(words, style="bold underline"), disabled=True)


class StoryPane(ReviewPane):
    """The story of the case as one timeline; the not yet placed episodes above it."""

    KEYS = ("place", "differ", "card")

    class Loaded(Message):
        def __init__(self, data: dict[str, Any]) -> None:
            super().__init__()
            self.data = data

    def parts(self) -> Iterable[Widget]:
        yield Label(STORY_HINT)
        yield OptionList(id="story-list")

    def fetch(self) -> Message:
        return self.Loaded(story_of_the_case(self.app.store, self.case_id))

    async def on_story_pane_loaded(self, message: Loaded) -> None:
        await self.take(message.data)

    async def draw(self) -> None:
        options = self.query_one("#story-list", OptionList)
        was = self.highlighted_id()
        options.clear_options()
        # The episodes still to place come first: the lead sees what is left to do.
        if self.loaded["unplaced"]:
            options.add_option(_heading("Not yet placed: P gives each a date or a position in the story"))
            options.add_options([Option(episode_label(e), id=e["id"]) for e in self.loaded["unplaced"]])
            options.add_option(_heading("The story of the case"))
        for item in self.loaded["story"]:
            options.add_option(Option(episode_label(item), id=item["id"]) if item["kind"] == "episode"
                               else Option(chronology_label(item), disabled=True))
        if self.loaded["undated_chronology"]:
            options.add_option(_heading("Chronology entries without a date"))
            options.add_options([Option(chronology_label(e), disabled=True)
                                 for e in self.loaded["undated_chronology"]])
        if not options.option_count:
            options.add_option(Option(Text("No case episodes yet: link key moments into episodes on the "
                                           "Episodes tab (E)."), disabled=True))
        if was is not None:
            try:
                options.highlighted = options.get_option_index(was)
            except Exception:  # noqa: BLE001 - the episode is gone: leave the highlight where Textual put it
                pass

    # ---------------------------------------------------------------- the highlighted episode
    def highlighted_id(self) -> str | None:
        found = self.query("#story-list")
        if not found:
            return None
        options = found.first(OptionList)
        if options.highlighted is None:
            return None
        return options.get_option_at_index(options.highlighted).id

    def _episode(self) -> dict[str, Any] | None:
        episode_id = self.highlighted_id()
        items = [i for i in self.loaded["story"] if i["kind"] == "episode"] + self.loaded["unplaced"] \
            if self.loaded else []
        episode = next((i for i in items if i["id"] == episode_id), None)
        if episode is None:
            self.app.say("Highlight an episode in the story first.")
        return episode

    def place(self) -> None:
        episode = self._episode()
        if episode is None:
            return

        def act(_prompt: TextPrompt, values: dict[str, str]) -> None:
            # Each word is a position (a whole number) or a date; either may come alone.
            words = values["when"].split()
            positions = [int(w) for w in words if w.isdigit()]
            dates = [w for w in words if not w.isdigit()]
            place_episode(self.app.store, episode["id"], on=dates[0] if dates else None,
                          position=positions[0] if positions else None)
            self.screen.refresh_all()

        current = " ".join(str(v) for v in (episode.get("position"), episode.get("date")) if v)
        self.app.push_screen(TextPrompt(
            f"Place “{episode['title']}” in the story",
            [("when", "A date (YYYY-MM-DD), a position (1 is first), or both", current)],
            "A position orders the story before any date; an episode with only a date sits by its date.",
            "Place", action=act, what="placing the episode"))

    def differ(self) -> None:
        episode = self._episode()
        if episode is None:
            return
        store = self.app.store

        def noted(values: dict[str, str] | None) -> None:
            if values:
                edit_card(store, episode["id"], accounts_differ=values["note"])
                self.screen.refresh_all()

        def ask_note() -> None:
            self.app.push_screen(TextPrompt(
                f"Where do the accounts of “{episode['title']}” differ?",
                [("note", "A short note", episode.get("accounts_differ") or "")],
                "Marked in the story so the case group can talk it through; no account is judged right.",
                "Mark"), shielded(self.app, noted))

        if not episode.get("accounts_differ"):
            ask_note()
            return

        def chosen(what: str | None) -> None:
            if what == "change":
                ask_note()
            elif what == "unmark":
                edit_card(store, episode["id"], accounts_differ="")
                self.screen.refresh_all()

        self.app.push_screen(Choice(f"The accounts of “{episode['title']}” are marked as differing",
                                    [(Text("Change the note"), "change"),
                                     (Text("Unmark: the accounts do not differ"), "unmark"),
                                     (Text("Keep it as it is"), None)], highlighted=2),
                             shielded(self.app, chosen))

    def card(self) -> None:
        episode = self._episode()
        if episode is not None:
            self.app.push_screen(EpisodeCardScreen(episode["id"]),
                                 shielded(self.app, lambda saved: self.screen.refresh_all() if saved else None))

    @on(OptionList.OptionSelected, "#story-list")
    @guarded
    def _episode_chosen(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self.card()


# ------------------------------------------------------------------ the workspace's context lines


def context_lines(store: Any, case: dict[str, Any]) -> Text:
    """Two lines under the workspace's title: the review's questions (numbered, cut to fit) and its clock."""
    questions = list_questions(store, case["id"])
    text = Text(no_wrap=True, overflow="ellipsis", end="")
    if questions:
        text.append("Questions (Q): ", style="bold")
        text.append(safe("  ".join(f"{q['number']}. {q['text']}" for q in questions), single_line=True))
    else:
        text.append("No review questions yet: add them when preparing the case.", style="dim")
    text.append("\n")
    clock = review_clock(case)
    text.append("Clock: ", style="bold")
    if clock is None:
        text.append(safe(f"no start date (case set --ref {case['reference']} --started YYYY-MM-DD)", "dim",
                         single_line=True))
    else:
        # Days left first: on a narrow terminal the line is cut from the right.
        left = clock["days_left"]
        text.append(f"{left} days left" if left >= 0 else f"{-left} days past the six months", style="bold")
        text.append(f" · six months {clock['six_months']} · rapid review {clock['rapid_review_by']}"
                    f" · started {clock['started']}")
    return text


class QuestionsScreen(ModalScreen[None]):
    """Every question the review asks, in full."""

    BINDINGS = [Binding("escape,q", "close", "Close", id="questions.close")]

    def __init__(self, questions: list[dict[str, Any]]) -> None:
        super().__init__()
        self.questions = questions

    def compose(self) -> ComposeResult:
        text = Text()
        for question in self.questions:
            text.append(f"{question['number']}. ", style="bold")
            text.append(safe(question["text"]))
            text.append("\n")
        with Vertical(classes="dialog"):
            yield Static(Text("The review's questions", style="bold"))
            with VerticalScroll(id="questions-scroll"):
                yield Static(text if self.questions else Text("No questions yet."), id="questions-text")
            yield Static(Text("Esc to close"), classes="hint")

    @guarded
    def action_close(self) -> None:
        self.dismiss(None)
