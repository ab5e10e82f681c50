"""Revising a conversation from the screen: deleting a key moment (its notes go where the pair says, never
lost), correcting the labels with a reason, and the pair's prepared queries (added before the
conversation; listed and asked only once the gate is open); and the key moments screen (Ctrl+O), where
they are asked for. Each asks in a dialog, then calls the core."""

from __future__ import annotations

from typing import Any, Callable

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from assistant.conversation import STATUS_LABELS, looks_like_full_name, read_only_reason
from assistant.conversation.lifecycle import LABELS
from assistant.conversation.prepared import ORIGIN_LABELS, QUERIES_SECTION, add_prepared_query, prepared_prompt_place
from assistant.store import StoreError
from assistant.tui.guard import guarded, shielded
from assistant.tui.keys import shown_in_help
from assistant.tui.safe import safe
from assistant.tui.screens.dialogs import Choice, TextPrompt
from assistant.words import counted

def ask_reason(app: Any, title: str, label: str, explanation: str, confirm: str,
               then: Callable[[str], Any]) -> None:
    """A one-field dialog for a reason; `then(reason)` runs only when one is given."""

    def answered(values: dict[str, str] | None) -> None:
        if values:
            then(values["reason"])

    app.push_screen(TextPrompt(title, [("reason", label, "")], explanation=explanation, confirm=confirm), answered)


def ask_gate_reason(app: Any, message: str, then: Callable[[str], Any]) -> None:
    gate = app.structure.gate
    ask_reason(app, "Open the wider picture early?", "Reason (recorded in the audit trail)",
               message + " " + (gate.explanation.strip() if gate else ""), "Open with this reason", then)


def show_read_only(notice: Static, row: dict[str, Any]) -> Static:
    """The conversation screen's notice while the record is with the practitioner (or checked): the core
    takes no new work then, so it says why and how to reopen the record; hidden otherwise."""
    if getattr(notice, "status_shown", None) == row["status"]:
        return notice  # changed only when the status did: no layout pass on every key
    notice.status_shown = row["status"]  # type: ignore[attr-defined]
    reason = read_only_reason(row["status"])
    notice.display = bool(reason)
    label = STATUS_LABELS[row["status"]]
    notice.update(Text(f"READ ONLY · record {label} · reopen it to correct it (review workspace › Conversations › O)",
                       style="bold reverse") if reason else "")
    return notice


NO_MOMENT = "no-moment"
LABEL_NAMES = {"practitioner_role": "Practitioner's role label", "agency": "Agency",
               "lead_interviewer": "Lead interviewer", "second_interviewer": "Second interviewer"}


def delete_moment(app: Any, conversation: Any, episode_id: str, then: Callable[[str], Any]) -> None:
    """Ask where the moment's notes go (another moment, or "no moment"), then confirm with a reason."""
    moments = conversation.moments.list()
    moment = next(m for m in moments if m["id"] == episode_id)
    options: list[tuple[Text | str, Any]] = [
        (safe(f"Move them to moment {i}: {m['title']}", single_line=True), m["id"])
        for i, m in enumerate(moments, start=1) if m["id"] != episode_id]
    options.append(("Keep them under \"no moment\"", NO_MOMENT))

    def chosen(target: str | None) -> None:
        if target is None:
            return
        move_to = None if target == NO_MOMENT else target
        where = "no moment" if move_to is None else next(m["title"] for m in moments if m["id"] == move_to)

        def delete(_prompt: TextPrompt, values: dict[str, str]) -> None:
            moved = conversation.moments.delete(episode_id, move_to=move_to, reason=values["reason"])
            then(f"Moment deleted; {counted(moved, 'note')} moved to {where}.")

        app.push_screen(TextPrompt(
            f"Delete the moment \"{moment['title']}\"?", [("reason", "Reason (kept with its name)", "")],
            explanation=f"Its notes, marks and unsaved text move to: {where}. Nothing is lost.",
            confirm="Delete the moment", action=delete, what="deleting the moment"))

    app.push_screen(Choice(f"Where should the notes of \"{moment['title']}\" go?", options,
                           "Enter to choose · Esc to keep the moment"), shielded(app, chosen))


def relabel(app: Any, conversation: Any, then: Callable[[str], Any]) -> None:
    """Correct the role, agency and interviewers' labels; the reason and previous values are kept. A label
    that looks like a person's name is asked about first: removed for good when corrected (the default),
    or kept in the history like any other."""
    row = conversation.row
    names = [name for name in LABELS if looks_like_full_name(row[name] or "")]
    if not names:
        _relabel(app, conversation, then, ())
        return
    first = names[0]
    app.push_screen(Choice(
        f"The {LABEL_NAMES[first].lower()} \"{row[first]}\" looks like a person's name."
        + {1: "", 2: " So does one other label."}.get(len(names), f" So do {len(names) - 1} other labels."),
        [("Remove the name for good when it is corrected (the history says only that a name was removed)", True),
         ("Keep it in the history with the reason, like any other correction", False)],
        "Enter to choose · Esc to leave the labels as they are"),
        shielded(app, lambda remove: None if remove is None else _relabel(
            app, conversation, then, names if remove else ())))


def _relabel(app: Any, conversation: Any, then: Callable[[str], Any], names: Any) -> None:
    row = conversation.row
    fields = [(name, LABEL_NAMES[name], row[name] or "") for name in LABELS]

    def save(_prompt: TextPrompt, values: dict[str, str]) -> None:
        reason = values.pop("reason")
        # An empty field that was empty before is no change (None and "" are both "no label").
        changed = conversation.relabel(reason, earlier_was_a_name=names,
                                       **{k: v for k, v in values.items() if v.strip() or row[k]})
        removed = " The earlier name is not kept." if set(changed) & set(names) else ""
        then("Corrected: " + ", ".join(LABEL_NAMES[c].lower() for c in changed) + "." + removed)

    app.push_screen(TextPrompt(
        "Correct the labels", [*fields, ("reason", "Reason for the correction (kept with the previous values)", "")],
        explanation="Role labels and pseudonyms only, never names.", confirm="Save the correction",
        action=save, what="correcting the labels"))


def prepare_query(app: Any, conversation: Any, then: Callable[[str], Any]) -> None:
    """A query the pair prepared from records or other accounts; kept out of sight until the gate opens."""

    def save(_prompt: TextPrompt, values: dict[str, str]) -> None:
        origin = "accounts" if values["origin"].strip().lower().startswith("a") else "records"
        query_id = add_prepared_query(conversation, values["text"], origin)
        kept = f"Prepared query kept ({ORIGIN_LABELS[origin]})."
        place = prepared_prompt_place(conversation, query_id)
        if place is None:  # the gate is shut: say when it will appear, not where
            then(f"{kept} It appears in Questions from the wider picture once the practitioner's own account "
                 "and a key moment are captured.")
            return
        title = conversation.structure.section_by_id[QUERIES_SECTION].title
        then(f"{kept} It is now prompt {place[0]} of {place[1]} of {title} (Ctrl+G to go there).")

    app.push_screen(TextPrompt(
        "A prepared query", [("text", "The query", ""), ("origin", "From records (R) or other accounts (A)", "R")],
        confirm="Keep the query", action=save, what="keeping the prepared query"))


@shown_in_help("Key moments", 4)
class MomentsScreen(ModalScreen[None]):
    """The practitioner's key moments: add, rename, reorder, delete, at any point in the conversation; and
    the conversation's preparation and labels: the pair's prepared queries, the role and agency labels."""

    BINDINGS = [
        Binding("a", "add", "Add", id="moments.add"),
        Binding("r", "rename", "Rename", id="moments.rename"),
        Binding("x", "delete", "Delete", id="moments.delete"),
        Binding("q", "prepare_query", "Prepared query", id="moments.query"),
        Binding("l", "relabel", "Correct labels", id="moments.labels"),
        Binding("[", "move(-1)", "Earlier", id="moments.earlier"),
        Binding("]", "move(1)", "Later", id="moments.later"),
        Binding("escape", "close", "Close", id="moments.close"),
    ]

    def __init__(self, conversation) -> None:
        super().__init__()
        self.conversation = conversation

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(Text("Key moments, in the practitioner's words", style="bold"))
            yield Static(Text("A add · R rename · X delete · [ ] move earlier or later · Esc close\n"
                              "Q add a prepared query · L correct the labels"), classes="hint")
            yield OptionList(id="moment-list")
            yield Static("", id="moments-error", classes="error")

    def on_mount(self) -> None:
        self._refresh()

    def _refresh(self, highlight: str | None = None) -> None:
        options = self.query_one("#moment-list", OptionList)
        options.clear_options()
        episodes = self.conversation.moments.list()
        for index, episode in enumerate(episodes, start=1):
            when = f" ({episode['approximate_time']})" if episode["approximate_time"] else ""
            options.add_option(Option(safe(f"{index}. {episode['title']}{when}"), id=episode["id"]))
        if not episodes:
            options.add_option(Option(Text("No key moments yet: press A to add the first."), id="none",
                                      disabled=True))
        if highlight:
            options.highlighted = next(i for i, e in enumerate(episodes) if e["id"] == highlight)
        options.focus()

    def _selected(self) -> str | None:
        options = self.query_one("#moment-list", OptionList)
        if options.highlighted is None:
            return None
        option = options.get_option_at_index(options.highlighted)
        return None if option.id == "none" else option.id

    @guarded
    def action_add(self) -> None:
        def added(values: dict[str, str] | None) -> None:
            if values:
                try:
                    new = self.conversation.moments.add(values["title"], values["when"])
                    self._refresh(new)
                except StoreError as error:
                    self.query_one("#moments-error", Static).update(safe(str(error)))

        self.app.push_screen(TextPrompt(
            "A key moment", [("title", "In the practitioner's words", ""), ("when", "Roughly when", "")],
            confirm="Add moment"), shielded(self.app, added))

    @guarded
    def action_rename(self) -> None:
        episode_id = self._selected()
        if not episode_id:
            return
        episode = next(e for e in self.conversation.moments.list() if e["id"] == episode_id)

        def renamed(values: dict[str, str] | None) -> None:
            if values:
                self.conversation.moments.rename(episode_id, values["title"], values["when"])
                self._refresh(episode_id)

        self.app.push_screen(TextPrompt(
            "Rename the moment", [("title", "In the practitioner's words", episode["title"]),
                                  ("when", "Roughly when", episode["approximate_time"])]), shielded(self.app, renamed))

    def _say(self, text: str) -> None:
        self.query_one("#moments-error", Static).update(safe(text))

    @guarded
    def action_delete(self) -> None:
        episode_id = self._selected()
        if episode_id:
            delete_moment(self.app, self.conversation, episode_id, lambda said: (self._say(said), self._refresh()))

    @guarded
    def action_prepare_query(self) -> None:
        prepare_query(self.app, self.conversation, self._say)

    @guarded
    def action_relabel(self) -> None:
        relabel(self.app, self.conversation, self._say)

    @guarded
    def action_move(self, delta: int) -> None:
        episode_id = self._selected()
        if episode_id:
            self.conversation.moments.move(episode_id, delta)
            self._refresh(episode_id)

    @guarded
    def action_close(self) -> None:
        self.dismiss(None)
