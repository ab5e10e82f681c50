"""Revising a conversation from the screen: deleting a key moment (its notes go where the pair says, never
lost), correcting the labels with a reason, and the pair's prepared queries (added before the
conversation; listed and asked only once the gate is open). Each asks in a dialog, then calls the core."""

from __future__ import annotations

from typing import Any, Callable

from rich.text import Text

from assistant.conversation.lifecycle import LABELS
from assistant.conversation.prepared import ORIGIN_LABELS, add_prepared_query, ask_prepared_query
from assistant.tui.guard import shielded
from assistant.tui.safe import safe
from assistant.tui.screens.dialogs import Choice, TextPrompt

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
            then(f"Moment deleted; {moved} note(s) moved to {where}.")

        app.push_screen(TextPrompt(
            f"Delete the moment \"{moment['title']}\"?", [("reason", "Reason (kept with its name)", "")],
            explanation=f"Its notes, marks and unsaved text move to: {where}. Nothing is lost.",
            confirm="Delete the moment", action=delete, what="deleting the moment"))

    app.push_screen(Choice(f"Where should the notes of \"{moment['title']}\" go?", options,
                           "Enter to choose · Esc to keep the moment"), shielded(app, chosen))


def relabel(app: Any, conversation: Any, then: Callable[[str], Any]) -> None:
    """Correct the role, agency and interviewers' labels; the reason and previous values are kept."""
    row = conversation.row
    fields = [(name, LABEL_NAMES[name], row[name] or "") for name in LABELS]

    def save(_prompt: TextPrompt, values: dict[str, str]) -> None:
        reason = values.pop("reason")
        # An empty field that was empty before is no change (None and "" are both "no label").
        changed = conversation.relabel(reason, **{k: v for k, v in values.items() if v.strip() or row[k]})
        then("Corrected: " + ", ".join(LABEL_NAMES[c].lower() for c in changed) + ".")

    app.push_screen(TextPrompt(
        "Correct the labels", [*fields, ("reason", "Reason for the correction (kept with the previous values)", "")],
        explanation="Role labels and pseudonyms only, never names.", confirm="Save the correction",
        action=save, what="correcting the labels"))


def prepare_query(app: Any, conversation: Any, then: Callable[[str], Any]) -> None:
    """A query the pair prepared from records or other accounts; kept out of sight until the gate opens."""

    def save(_prompt: TextPrompt, values: dict[str, str]) -> None:
        origin = "accounts" if values["origin"].strip().lower().startswith("a") else "records"
        add_prepared_query(conversation, values["text"], origin)
        then(f"Prepared query kept ({ORIGIN_LABELS[origin]}). It appears in Questions from the wider picture "
             "once the practitioner's own account and a key moment are captured.")

    app.push_screen(TextPrompt(
        "A prepared query", [("text", "The query", ""), ("origin", "From records (R) or other accounts (A)", "R")],
        confirm="Keep the query", action=save, what="keeping the prepared query"))


def prepared_options(queries: list[dict[str, Any]]) -> list[tuple[Text | str, Any]]:
    """The F10 list's entries for prepared queries not yet asked: Enter on one asks it."""
    options: list[tuple[Text | str, Any]] = []
    for query in queries:
        if not query["asked"]:
            label = Text("? Ask prepared query: ")
            label.append(safe(query["text"], single_line=True))
            options.append((label, ("ask", query["id"])))
    return options


def ask(conversation: Any, query_id: str, author_role: str) -> str:
    """Bring the query into the conversation as a note; what to tell the pair."""
    ask_prepared_query(conversation, query_id, author_role)
    return "Asked: the prepared query is now a note in this section."
