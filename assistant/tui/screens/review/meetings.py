"""The Meetings tab: the case group's follow-on meetings (first, second, accuracy check), who came, who
was absent and how they will be consulted, the pack shared, and under each meeting the challenges and
corrections raised there with the team's response. N adds a meeting, P someone who attended or was
absent, A a challenge, R records the response, T that the person who raised it has been told.
Nothing here is ever deleted: a changed response keeps the earlier one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable

from rich.text import Text
from textual.message import Message
from textual.widget import Widget
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from assistant.meetings import (CHALLENGE_KINDS, MEETING_KINDS, OUTCOMES, add_challenge, add_meeting, add_person,
                                challenge_log, list_meetings, mark_told, respond)
from assistant.report import SECTION_TITLES
from assistant.review import case_episodes, findings
from assistant.tui.guard import shielded
from assistant.tui.safe import safe
from assistant.tui.screens.dialogs import Choice, TextPrompt
from assistant.tui.screens.review.panes import ReviewPane, in_slices

MEETING_NAMES = {"first": "First follow-on meeting", "second": "Second follow-on meeting",
                 "accuracy": "Accuracy check"}
KIND_WORDS = {"correction": "factual correction", "perspective": "a different perspective",
              "disputes-appraisal": "disputes the appraisal", "new-information": "new information",
              "suggested-change": "suggested change"}
OUTCOME_WORDS = {"accepted": "accepted", "partly": "partly accepted", "not-accepted": "not accepted",
                 "to-check": "to check", "open": "no response yet"}


@dataclass
class MeetingsData:
    meetings: list[dict[str, Any]]
    challenges: list[dict[str, Any]]
    # What a new challenge can be about, as (about key, label): episodes, current findings, report sections.
    targets: list[tuple[str, str]]
    # Every label a recorded challenge may point at, withdrawn findings included.
    labels: dict[str, str]


def about_targets(store: Any, case_id: str) -> list[tuple[str, str]]:
    """The case's episodes, current findings and the report's sections, each as `kind:id` and a label."""
    episodes = [(f"episode:{e['id']}", f"Episode · {e['title']}") for e in case_episodes(store, case_id)]
    found = [(f"finding:{f['id']}", f"Finding · {f['statement']}") for f in findings(store, case_id)]
    sections = [(f"section:{name}", f"Report section · {title}") for name, title in SECTION_TITLES.items()]
    return episodes + found + sections


class MeetingsPane(ReviewPane):
    """Each follow-on meeting with its people, then the challenges raised at it and their responses."""

    KEYS = ("new_meeting", "add_person", "new_challenge", "respond", "mark_told")

    class Loaded(Message):
        def __init__(self, data: MeetingsData) -> None:
            super().__init__()
            self.data = data

    # The option to highlight after the next redraw (a meeting or challenge just added or changed).
    follow: str | None = None

    def parts(self) -> Iterable[Widget]:
        return [Static(Text("N adds a follow-on meeting · P someone who came or was absent · A a challenge or "
                            "correction · R the team's response · T the person has been told"), classes="hint"),
                OptionList(id="meeting-list")]

    def fetch(self) -> Message:
        store = self.app.store
        targets = about_targets(store, self.case_id)
        withdrawn = {f"finding:{f['id']}": f"Finding (withdrawn) · {f['statement']}"
                     for f in findings(store, self.case_id, include_withdrawn=True) if f["withdrawn_at"]}
        return self.Loaded(MeetingsData(list_meetings(store, self.case_id), challenge_log(store, self.case_id),
                                        targets, dict(targets) | withdrawn))

    async def on_meetings_pane_loaded(self, message: Loaded) -> None:
        await self.take(message.data)

    # ---------------------------------------------------------------- drawing
    def _meeting_entry(self, meeting: dict[str, Any]) -> Text:
        text = Text(f"{MEETING_NAMES.get(meeting['kind'], meeting['kind'])} · {meeting['date']}", style="bold")
        if meeting["pack_version"]:
            text.append(" · pack shared: ")
            text.append_text(safe(meeting["pack_version"], single_line=True))
        text.append("\n  Facilitators: ", style="italic")
        text.append_text(safe(meeting["facilitators"] or "—", single_line=True))
        text.append("\n  Attended: ", style="italic")
        text.append_text(safe("; ".join(p["role"] + (f" ({p['agency']})" if p["agency"] else "")
                                        for p in meeting["attendees"]) or "no one recorded yet"))
        for person in meeting["absentees"]:
            text.append("\n  Absent: ", style="italic")
            text.append_text(safe(person["role"] + (f" ({person['agency']})" if person["agency"] else "")))
            text.append(" — to be consulted by ")
            text.append_text(safe(person["consult_how"]))
        return text

    def _challenge_entry(self, challenge: dict[str, Any]) -> Text:
        about = self.loaded.labels.get(f"{challenge['about_kind']}:{challenge['about_id']}",
                                       f"{challenge['about_kind']} (since removed)")
        text = Text("  ◦ ", style="bold")
        text.append_text(safe(about, "bold", single_line=True))
        text.append("\n    Raised by ")
        text.append_text(safe(challenge["raised_by"], single_line=True))
        text.append(f" · {KIND_WORDS.get(challenge['kind'], challenge['kind'])}\n    ")
        text.append_text(safe(challenge["text"]))
        text.append(f"\n    Response: {OUTCOME_WORDS.get(challenge['outcome'], challenge['outcome'])}",
                    style="bold" if challenge["outcome"] == "open" else "")
        if challenge["reason"]:
            text.append(" — ")
            text.append_text(safe(challenge["reason"]))
        if challenge["outcome"] != "open":
            text.append("\n    Decided by ")
            text.append_text(safe(challenge["decided_by"] or "—", single_line=True))
            text.append(" · told: " + ("yes" if challenge["raiser_told"] else "not yet"))
        for earlier in challenge["earlier_responses"]:
            text.append("\n    Earlier response: ", style="dim")
            text.append_text(safe(earlier, "dim"))
        return text

    def entries(self) -> list[tuple[str, dict[str, Any]]]:
        """Meetings and their challenges in the order they are listed: ("meeting" | "challenge", row)."""
        if not self.loaded:
            return []
        listed: list[tuple[str, dict[str, Any]]] = []
        for meeting in self.loaded.meetings:
            listed.append(("meeting", meeting))
            listed += [("challenge", c) for c in self.loaded.challenges if c["meeting_id"] == meeting["id"]]
        return listed

    async def draw(self) -> None:
        options = self.query_one("#meeting-list", OptionList)
        place = options.highlighted
        keep = self.follow or (options.get_option_at_index(place).id
                               if place is not None and place < options.option_count else None)
        self.follow = None
        options.clear_options()
        entries = self.entries()
        await in_slices(entries, lambda item: options.add_option(Option(
            self._meeting_entry(item[1]) if item[0] == "meeting" else self._challenge_entry(item[1]),
            id=f"{item[0]}-{item[1]['id']}")))
        if not entries:
            options.add_option(Option(Text("No follow-on meeting recorded yet: press N.", style="dim"),
                                      id="none", disabled=True))
            return
        ids = [f"{kind}-{row['id']}" for kind, row in entries]
        options.highlighted = ids.index(keep) if keep in ids else min(place or 0, len(ids) - 1)

    def highlighted(self) -> tuple[str, dict[str, Any]] | None:
        entries = self.entries()
        if not entries or not self.query("#meeting-list"):
            return None
        index = self.query_one("#meeting-list", OptionList).highlighted
        return entries[index] if index is not None and index < len(entries) else None

    def _meeting(self) -> dict[str, Any] | None:
        """The highlighted meeting, or the meeting of the highlighted challenge."""
        entry = self.highlighted()
        if entry is None:
            self.app.say("Add a follow-on meeting first (N).")
            return None
        kind, row = entry
        return row if kind == "meeting" else next(m for m in self.loaded.meetings if m["id"] == row["meeting_id"])

    def _challenge(self) -> dict[str, Any] | None:
        entry = self.highlighted()
        if entry is None or entry[0] != "challenge":
            self.app.say("Highlight a challenge first (A records one against the highlighted meeting).")
            return None
        return entry[1]

    # ---------------------------------------------------------------- dialogs
    def _prompt(self, title: str, fields: list[tuple], explanation: str, confirm: str, what: str,
                work: Callable[[dict[str, str]], str | None], ask_before_discarding: bool = False) -> None:
        """A dialog that does `work` itself and stays open, with what was typed, until it succeeds."""

        def act(prompt: TextPrompt, values: dict[str, str]) -> None:
            self.follow = work(values)

        self.app.push_screen(TextPrompt(title, fields, explanation, confirm, action=act, what=what,
                                        ask_before_discarding=ask_before_discarding),
                             shielded(self.app, lambda _: self.reload()))

    def new_meeting(self) -> None:
        def chosen(kind: str | None) -> None:
            if kind is None:
                return
            self._prompt(MEETING_NAMES[kind], [("date", "Date (YYYY-MM-DD)", ""),
                                               ("facilitators", "Facilitators (by role)", ""),
                                               ("pack", "The version of the pack shared", "")],
                         "People who came and who was absent are added next, with P.", "Add", "adding the meeting",
                         lambda v: "meeting-" + add_meeting(self.app.store, self.case_id, kind, v["date"],
                                                            facilitators=v["facilitators"], pack_version=v["pack"]),
                         ask_before_discarding=True)

        self.app.push_screen(Choice("Which follow-on meeting?", [(Text(MEETING_NAMES[k]), k) for k in MEETING_KINDS],
                                    "Enter to choose · Esc to cancel"), shielded(self.app, chosen))

    def add_person(self) -> None:
        meeting = self._meeting()
        if meeting is None:
            return

        held = f"{MEETING_NAMES.get(meeting['kind'], meeting['kind'])} · {meeting['date']}"

        def chosen(attended: bool | None) -> None:
            if attended is None:
                return
            fields = [("role", "Role label", ""), ("agency", "Agency", "")]
            if not attended:
                fields.append(("consult", "How they will be consulted", ""))

            def add(values: dict[str, str]) -> str:
                add_person(self.app.store, meeting["id"], values["role"], values["agency"], attended=attended,
                           consult_how=values.get("consult", ""))
                return f"meeting-{meeting['id']}"

            self._prompt(f"{'Attended' if attended else 'Absent from'}: {held}", fields,
                         "By role and agency only, never a name.", "Add", "adding the person", add)

        self.app.push_screen(Choice(f"{held}: someone who came, or who was absent?", [
            (Text("Attended"), True), (Text("Absent (say how they will be consulted)"), False)],
            "Enter to choose · Esc to cancel"), shielded(self.app, chosen))

    def new_challenge(self) -> None:
        meeting = self._meeting()
        if meeting is None:
            return

        def kind_chosen(about: str, kind: str | None) -> None:
            if kind is None:
                return
            self._prompt(f"A challenge: {KIND_WORDS[kind]}", [("by", "Raised by (role)", ""),
                                                               ("text", "What was said", "")],
                         self.loaded.labels.get(about, ""), "Record", "recording the challenge",
                         lambda v: "challenge-" + add_challenge(self.app.store, meeting["id"], about, v["by"],
                                                                kind, v["text"]),
                         ask_before_discarding=True)

        def about_chosen(about: str | None) -> None:
            if about is None:
                return
            self.app.push_screen(Choice("What kind of challenge?", [(Text(KIND_WORDS[k]), k) for k in CHALLENGE_KINDS],
                                        "Enter to choose · Esc to cancel"),
                                 shielded(self.app, lambda kind: kind_chosen(about, kind)))

        self.app.push_screen(Choice("What is it about?", [(safe(label, single_line=True), key)
                                                           for key, label in self.loaded.targets],
                                    "Type to filter · Enter to choose · Esc to cancel", filterable=True),
                             shielded(self.app, about_chosen))

    def respond(self) -> None:
        challenge = self._challenge()
        if challenge is None:
            return

        def chosen(outcome: str | None) -> None:
            if outcome is None:
                return

            def record(values: dict[str, str]) -> str:
                respond(self.app.store, challenge["id"], outcome, reason=values["reason"],
                        decided_by=values["decided"])
                return f"challenge-{challenge['id']}"

            self._prompt(f"Response: {OUTCOME_WORDS[outcome]}",
                         [("decided", "Who decided (by role)", challenge["decided_by"] or "lead reviewer"),
                          ("reason", "The reason" + (" (needed)" if outcome == "not-accepted" else ""), "")],
                         f"{said}\nThe person who raised it is then told (T).", "Record", "recording the response",
                         record)

        # The dialogs name the challenge they answer: what it is about, who raised it and their words.
        about = self.loaded.labels.get(f"{challenge['about_kind']}:{challenge['about_id']}", challenge["about_kind"])
        said = f"{about}\nRaised by {challenge['raised_by']}: \"{challenge['text']}\""
        self.app.push_screen(Choice("The team's response", [(Text(OUTCOME_WORDS[o]), o) for o in OUTCOMES],
                                    "Enter to choose · Esc to cancel"), shielded(self.app, chosen))

    def mark_told(self) -> None:
        challenge = self._challenge()
        if challenge is None:
            return
        told = mark_told(self.app.store, challenge["id"])
        self.app.say("Recorded: the person who raised it has been told." if told
                     else "They were already told; nothing changed.")
        self.reload()
