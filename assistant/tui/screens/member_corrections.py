"""Correcting the case group on the preparation screen: a member's role label and agency edited (E),
a member added by mistake removed (X), a member linked to their conversation already held (C).

Each step only calls the core (assistant.casegroup); a refusal is one sentence in the dialog that asked."""

from __future__ import annotations

from typing import Any

from rich.text import Text

from assistant.casegroup import (
    edit_member, get_member, link_conversation, remove_member, unlinked_conversations,
)
from assistant.conversation import looks_like_full_name
from assistant.safe_text import visible
from assistant.short_ids import short_id
from assistant.tui.guard import shielded
from assistant.tui.safe import safe
from assistant.tui.screens.dialogs import Choice, TextPrompt


def _one_line(text: str) -> str:
    return visible(" ".join(str(text).split()))


def tell_link(app, member_id: str, linked: str | None) -> None:
    """Say that a member was just linked to their conversation, or that several conversations fit them."""
    if linked:
        status = get_member(app.store, member_id)["status_label"]
        app.say(f"Linked to the conversation already held with the same role label and agency ({status}).")
        return
    fitting = [c for c in unlinked_conversations(app.store, member_id) if c["matches"]]
    if len(fitting) > 1:
        app.say(f"{len(fitting)} conversations have this role label and agency: press C to link the right one.")


def edit(screen, member: dict[str, Any]) -> None:
    """E: ask first whether a label that looks like a name is one (then it is not kept), then correct it."""
    if not looks_like_full_name(member["role"]):
        _edit_prompt(screen, member, was_a_name=False)
        return
    options = [(Text("Yes: replace it, and keep only that a name was removed"), True),
               (Text("No: correct it, keeping the earlier label with the reason"), False)]
    screen.app.push_screen(
        Choice(f"Is \"{_one_line(member['role'])}\" a person's name?", options,
               "The case group keeps role labels and agencies only"),
        shielded(screen.app, lambda was_a_name: _edit_prompt(screen, member, was_a_name)
                 if was_a_name is not None else None, "the correction"))


def _edit_prompt(screen, member: dict[str, Any], was_a_name: bool) -> None:
    def save(dialog: TextPrompt, values: dict[str, str]) -> None:
        _, linked = edit_member(screen.app.store, member["id"], role=values["role"], agency=values["agency"],
                                reason=values["reason"], was_a_name=was_a_name)
        screen.refresh_all(member=member["id"])
        tell_link(screen.app, member["id"], linked)

    kept = ("The name is not kept: only that a name was removed, with the reason." if was_a_name else
            "The earlier role label and agency are kept with the reason.")
    screen.app.push_screen(TextPrompt(
        "Correct this member of the case group",
        [("role", "Role label, e.g. Social Worker 1 (no names)", "" if was_a_name else member["role"]),
         ("agency", "Agency", member["agency"]), ("reason", "The reason for the correction", "")],
        explanation=kept, confirm="Save", action=save, what="the correction"))


def remove(screen, member: dict[str, Any]) -> None:
    """X: a member added by mistake, after asking; one linked to a conversation stays (said at once)."""
    if member["conversation_id"]:
        screen.app.say("This member is already linked to a conversation, so they cannot be removed.")
        return
    options = [(Text("Remove them (a reason next)"), False), (Text("Keep them"), None)]
    if looks_like_full_name(member["role"]):
        options.insert(1, (Text("Remove them: the role label was a person's name, not to be kept"), True))
    screen.app.push_screen(
        Choice(f"Remove {_one_line(member['role'])} from the case group?", options,
               "For a member added by mistake; who they were stays in the case's history"),
        shielded(screen.app, lambda was_a_name: _remove_prompt(screen, member, was_a_name)
                 if was_a_name is not None else None, "removing the member"))


def _remove_prompt(screen, member: dict[str, Any], was_a_name: bool) -> None:
    def confirm(dialog: TextPrompt, values: dict[str, str]) -> None:
        remove_member(screen.app.store, member["id"], values["reason"], was_a_name=was_a_name)
        screen.refresh_all()

    screen.app.push_screen(TextPrompt(
        f"Removing {_one_line('a name' if was_a_name else member['role'])}",
        [("reason", "The reason, kept in the case's history", "")], confirm="Remove", action=confirm,
        what="removing the member"))


def link(screen, member: dict[str, Any]) -> None:
    """C: choose the conversation already held that is this member's (those that fit come first)."""
    if member["conversation_id"]:
        screen.app.say("This member is already linked to their conversation.")
        return
    conversations = unlinked_conversations(screen.app.store, member["id"])
    if not conversations:
        screen.app.say("Every conversation of this case already has its member; a new one is linked when started.")
        return
    options = []
    for row in conversations:
        who = row["practitioner_role"] + (f", {row['agency']}" if row["agency"] else "")
        label = safe(f"{short_id(row['id'])}  {who}", single_line=True)
        label.append(f" · {row['status_label']}" + (" · same role label and agency" if row["matches"] else ""))
        options.append((label, row["id"]))

    def chosen(conversation_id: str | None) -> None:
        if conversation_id:
            link_conversation(screen.app.store, member["id"], conversation_id)
            screen.refresh_all(member=member["id"])
            screen.app.say(f"Linked: now {get_member(screen.app.store, member['id'])['status_label']}.")

    screen.app.push_screen(
        Choice(f"Which conversation is {_one_line(member['role'])}'s?", options,
               "Their status then follows that conversation's record"),
        shielded(screen.app, chosen, "linking the conversation"))
