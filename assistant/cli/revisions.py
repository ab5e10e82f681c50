"""The command line's commands for revising work: `conversation`, `moment`, `episode` and `finding`.

Registered on the main command by assistant/cli.py, which puts its database opener in `ctx.obj`; every
id may be given as a unique prefix, and every listing shows short ids.
"""

from __future__ import annotations

from typing import Any

import click

from assistant.cli.common import open_db

from assistant.safe_text import visible, visible_json
from assistant.short_ids import resolve_case, resolve_id, short_id
from assistant.words import counted

ACTOR = "cli"
LABEL_NAMES = {"practitioner_role": "role label", "agency": "agency", "lead_interviewer": "lead interviewer",
               "second_interviewer": "second interviewer"}
FINDING_NAMES = {"statement": "statement", "in_this_case": "in this case", "systemic_evidence": "systemic evidence",
                 "how_widespread": "how widespread", "why_it_matters": "why it matters", "questions": "questions", "typology_tag": "category",
                 "case_episodes": "case episodes", "notes": "notes"}


def _structure():
    """The default structure, imported when a command needs it (pydantic is slow to import)."""
    from assistant.structure import load_structure

    return load_structure()


def _store(ctx: click.Context):
    return open_db(ctx)


def _cut(text: str, width: int) -> str:
    """A label shortened to fit its column, so one long label cannot push the others off screen."""
    text = visible(text)
    return text if len(text) <= width else text[: width - 1] + "…"


def _conversation(store, text: str):
    from assistant.conversation import Conversation

    return Conversation(store, _structure(), resolve_id(store, "conversation", text), actor=ACTOR)


def _history(rows: list[dict[str, Any]], names: dict[str, str]) -> None:
    if not rows:
        click.echo("Nothing has been changed yet.")
    for row in rows:
        reason = f" (reason: {visible(row['reason'])})" if row["reason"] else ""
        click.echo(f"{row['replaced_at'][:16].replace('T', ' ')}  {names.get(row['field'], row['field'])} was: "
                   f"{visible(row['old_value'])}{reason}")


# ------------------------------------------------------------------ conversations
@click.group()
def conversation() -> None:
    """List conversations (with short ids), correct their labels, reopen a record."""


@conversation.command("list")
@click.option("--case", "case_text", help="Only this case (its reference or id).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def conversation_list(ctx: click.Context, case_text: str | None, as_json: bool) -> None:
    """List live conversations, newest first, with the short id that names each one."""
    from assistant.conversation import STATUS_LABELS, held_on, list_conversations

    store = _store(ctx)
    rows = list_conversations(store, resolve_case(store, case_text)["id"] if case_text else None)
    if as_json:
        keep = ("id", "reference", "practitioner_role", "agency", "lead_interviewer", "second_interviewer",
                "status", "note_count")
        click.echo(visible_json([{**{k: r[k] for k in keep}, "short_id": short_id(r["id"]), "held_on": held_on(r)}
                                 for r in rows], indent=2))
        return
    if not rows:
        click.echo("No conversations yet.")
    for row in rows:
        who = row["practitioner_role"] + (f" ({row['agency']})" if row["agency"] else "")
        click.echo(f"{short_id(row['id'])}  {_cut(row['reference'], 16):<16} {_cut(who, 48):<48} "
                   f"{STATUS_LABELS[row['status']]:<17} {held_on(row)}  {counted(row['note_count'], 'note')}")


@conversation.command("relabel")
@click.argument("conversation_id")
@click.option("--role", "practitioner_role", help="The practitioner's role label, e.g. \"Social Worker 1\".")
@click.option("--agency", help="The practitioner's agency.")
@click.option("--lead", "lead_interviewer", help="The lead interviewer's label.")
@click.option("--second", "second_interviewer", help="The second interviewer's label.")
@click.option("--reason", required=True, help="Why (kept with the earlier value).")
@click.option("--earlier-was-a-name", is_flag=True,
              help="The earlier value was a person's name: it is not kept (the history says a name was removed).")
@click.pass_context
def conversation_relabel(ctx: click.Context, conversation_id: str, reason: str, earlier_was_a_name: bool,
                         **labels: str | None) -> None:
    """Correct a conversation's labels; the earlier values are kept with the reason, unless they were a
    person's name (--earlier-was-a-name)."""
    from assistant.conversation import looks_like_full_name

    changed = _conversation(_store(ctx), conversation_id).relabel(
        reason, earlier_was_a_name=earlier_was_a_name, **labels)
    kept = "it was a person's name, so it is not kept" if earlier_was_a_name else "the earlier value is kept"
    click.echo(f"Changed the {', '.join(LABEL_NAMES[c] for c in changed)}; {kept}.")
    for label in changed:
        if looks_like_full_name(labels[label] or ""):  # a gentle warning, as the new-conversation form gives
            click.echo(f"Warning: the new {LABEL_NAMES[label]} looks like a person's name; use role labels "
                       "(\"Social Worker 1\") and pseudonyms only.", err=True)


@conversation.command("reopen")
@click.argument("conversation_id")
@click.option("--reason", required=True, help="Why the record is reopened (kept and audited).")
@click.pass_context
def conversation_reopen(ctx: click.Context, conversation_id: str, reason: str) -> None:
    """Reopen an ended, sent-for-checking or checked record to make corrections."""
    _conversation(_store(ctx), conversation_id).reopen(reason)
    click.echo("The conversation is in progress again; corrections can be made.")


@conversation.command("history")
@click.argument("conversation_id")
@click.pass_context
def conversation_history(ctx: click.Context, conversation_id: str) -> None:
    """The labels and statuses a conversation's corrections replaced, with their reasons."""
    from assistant.previous import previous_values

    found = _conversation(_store(ctx), conversation_id)
    _history(previous_values(found.store, "conversation", found.id), {**LABEL_NAMES, "status": "status"})


# ------------------------------------------------------------------ key moments
@click.group()
def moment() -> None:
    """List and delete a conversation's key moments."""


@moment.command("list")
@click.argument("conversation_id")
@click.pass_context
def moment_list(ctx: click.Context, conversation_id: str) -> None:
    """A conversation's key moments in order, with short ids and note counts."""
    found = _conversation(_store(ctx), conversation_id)
    counts = {r["episode_id"]: r["n"] for r in found.store.query(
        "SELECT episode_id, COUNT(*) AS n FROM notes WHERE conversation_id = ? AND deleted_at IS NULL"
        " GROUP BY episode_id", (found.id,))}
    moments = found.moments.list()
    if not moments:
        click.echo("No key moments yet.")
    for number, row in enumerate(moments, start=1):
        when = f" ({visible(row['approximate_time'])})" if row["approximate_time"] else ""
        click.echo(f"{short_id(row['id'])}  {number}. {visible(row['title'])}{when}  "
                   f"{counted(counts.get(row['id'], 0), 'note')}")


@moment.command("delete")
@click.argument("moment_id")
@click.option("--move-to", "move_to", help="The moment (of the same conversation) its notes move to.")
@click.option("--no-moment", is_flag=True, help="Keep its notes under \"no moment\".")
@click.option("--reason", default="", help="Why (kept with the moment's name).")
@click.pass_context
def moment_delete(ctx: click.Context, moment_id: str, move_to: str | None, no_moment: bool, reason: str) -> None:
    """Delete a key moment; its notes are never lost: they move to another moment or to no moment."""
    from assistant.conversation import ConversationError

    if bool(move_to) == no_moment:
        raise ConversationError("Say where its notes go: --move-to another moment, or --no-moment to keep them"
                                " under no moment.")
    store = _store(ctx)
    episode_id = resolve_id(store, "moment", moment_id)
    owner = store.scalar("SELECT conversation_id FROM episodes WHERE id = ?", (episode_id,))
    if owner is None:
        raise ConversationError("There is no key moment with that id; `moment list` shows a conversation's moments.")
    found = _conversation(store, owner)
    target = resolve_id(store, "moment", move_to) if move_to else None
    moved = found.moments.delete(episode_id, target, reason)
    where = "no moment" if target is None else f"'{visible(found.moments.get(target)['title'])}'"
    click.echo(f"Deleted the moment; {counted(moved, 'note')} {'is' if moved == 1 else 'are'} now under {where}.")


# ------------------------------------------------------------------ case episodes
@click.group()
def episode() -> None:
    """Revise a case's key practice episodes: list, rename, unlink, merge, delete."""


@episode.command("list")
@click.option("--case", "case_text", required=True, help="The case (its reference or id).")
@click.pass_context
def episode_list(ctx: click.Context, case_text: str) -> None:
    """A case's episodes with short ids, each with its practitioners' moments."""
    from assistant.review import case_episodes, case_moments

    store = _store(ctx)
    case_id = resolve_case(store, case_text)["id"]
    moments = case_moments(store, case_id)
    episodes = case_episodes(store, case_id)
    if not episodes:
        click.echo("No case episodes yet.")
    for row in episodes:
        click.echo(f"{short_id(row['id'])}  {visible(row['title'])}  ({counted(row['moments'], 'moment')})")
        for item in (m for m in moments if m["case_episode_id"] == row["id"]):
            click.echo(f"    {short_id(item['id'])}  {_cut(item['practitioner_role'], 40)}: {visible(item['title'])}")


@episode.command("rename")
@click.argument("episode_id")
@click.argument("title")
@click.pass_context
def episode_rename(ctx: click.Context, episode_id: str, title: str) -> None:
    """Give a case episode a new title (the earlier one is kept)."""
    from assistant.revisions import rename_case_episode

    store = _store(ctx)
    rename_case_episode(store, resolve_id(store, "case_episode", episode_id), title, actor=ACTOR)
    click.echo("Renamed the episode.")


@episode.command("unlink")
@click.argument("episode_id")
@click.argument("moment_id")
@click.pass_context
def episode_unlink(ctx: click.Context, episode_id: str, moment_id: str) -> None:
    """Take a practitioner's moment out of a case episode (the moment stays)."""
    from assistant.revisions import unlink_from_episode

    store = _store(ctx)
    unlink_from_episode(store, resolve_id(store, "case_episode", episode_id), resolve_id(store, "moment", moment_id),
                        actor=ACTOR)
    click.echo("Unlinked the moment from the episode.")


@episode.command("merge")
@click.argument("keep_id")
@click.argument("other_id")
@click.option("--title", help="A title for the merged episode (else the first one's).")
@click.pass_context
def episode_merge(ctx: click.Context, keep_id: str, other_id: str, title: str | None) -> None:
    """Merge OTHER into KEEP: its moments, patterns and finding links join KEEP."""
    from assistant.revisions import merge_case_episodes

    store = _store(ctx)
    merge_case_episodes(store, resolve_id(store, "case_episode", keep_id), resolve_id(store, "case_episode", other_id),
                        title, actor=ACTOR)
    click.echo("Merged the two episodes into one.")


@episode.command("delete")
@click.argument("episode_id")
@click.option("--reason", default="", help="Why (kept with the episode's title).")
@click.pass_context
def episode_delete(ctx: click.Context, episode_id: str, reason: str) -> None:
    """Delete a case episode; its moments stay, unlinked."""
    from assistant.revisions import delete_case_episode

    store = _store(ctx)
    delete_case_episode(store, resolve_id(store, "case_episode", episode_id), reason, actor=ACTOR)
    click.echo("Deleted the episode; its moments stay, unlinked.")


# ------------------------------------------------------------------ findings
@click.group()
def finding() -> None:
    """Revise a case's findings: list, edit, withdraw, and each one's history."""


@finding.command("list")
@click.option("--case", "case_text", required=True, help="The case (its reference or id).")
@click.option("--all", "include_withdrawn", is_flag=True, help="Include withdrawn findings.")
@click.pass_context
def finding_list(ctx: click.Context, case_text: str, include_withdrawn: bool) -> None:
    """A case's findings with short ids (withdrawn ones with --all, marked as withdrawn)."""
    from assistant.review import findings

    store = _store(ctx)
    rows = findings(store, resolve_case(store, case_text)["id"], include_withdrawn=include_withdrawn)
    if not rows:
        click.echo("No findings yet.")
    for row in rows:
        mark = f"  [withdrawn: {visible(row['withdrawn_reason'])}]" if row["withdrawn_at"] else ""
        click.echo(f"{short_id(row['id'])}  {row['typology_tag']}: {visible(row['statement'])}{mark}")


@finding.command("edit")
@click.argument("finding_id")
@click.option("--statement")
@click.option("--in-this-case", "in_this_case")
@click.option("--systemic-evidence", "systemic_evidence")
@click.option("--how-widespread", "how_widespread")
@click.option("--why-it-matters", "why_it_matters")
@click.option("--questions")
@click.option("--typology", "typology_tag", help="An underlying-pattern category id, e.g. pattern_crisis.")
@click.option("--reason", default="", help="Why (kept with the earlier wording).")
@click.pass_context
def finding_edit(ctx: click.Context, finding_id: str, reason: str, **fields: str | None) -> None:
    """Change a finding's fields; every earlier wording is kept."""
    from assistant.revisions import edit_finding

    store = _store(ctx)
    changed = edit_finding(store, _structure(), resolve_id(store, "finding", finding_id), reason=reason,
                           actor=ACTOR, **{k: v for k, v in fields.items() if v is not None})
    click.echo(f"Changed the {', '.join(FINDING_NAMES[c] for c in changed)}; the earlier wording is kept."
               if changed else "Nothing changed: the finding already says that.")


@finding.command("withdraw")
@click.argument("finding_id")
@click.option("--reason", required=True, help="Why the finding is withdrawn (kept with it).")
@click.pass_context
def finding_withdraw(ctx: click.Context, finding_id: str, reason: str) -> None:
    """Withdraw a finding: it stays, marked withdrawn, and leaves the packs."""
    from assistant.revisions import withdraw_finding

    store = _store(ctx)
    withdraw_finding(store, resolve_id(store, "finding", finding_id), reason, actor=ACTOR)
    click.echo("Withdrew the finding; it stays in the list as withdrawn and leaves the packs.")


@finding.command("history")
@click.argument("finding_id")
@click.pass_context
def finding_history_command(ctx: click.Context, finding_id: str) -> None:
    """Every earlier wording of a finding, with the reasons given."""
    from assistant.revisions import finding_history

    store = _store(ctx)
    _history(finding_history(store, resolve_id(store, "finding", finding_id)), FINDING_NAMES)


COMMANDS = (conversation, moment, episode, finding)
