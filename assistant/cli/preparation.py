"""The command line before the conversations: the case group (`group`), the introductory letter
(`letter`), the review's questions (`question`) and the pair's prepared queries (`query`).

`assistant.cli` registers `COMMANDS` on its main group. Output goes through `visible`.
"""

from __future__ import annotations

from pathlib import Path
import click

from assistant.cli.common import open_case, open_db, show_for_case
from assistant.safe_text import visible, visible_json
from assistant.words import counted

# The command line's words for the statuses a lead records ("invited" is another word for a letter sent).
STATUS_WORDS = {"to-invite": "to_invite", "invited": "letter_sent", "letter-sent": "letter_sent",
                "arranged": "arranged", "declined": "declined", "absent": "absent"}


def _store(ctx: click.Context, create: bool = False):
    return open_db(ctx, create=create)


def _case(store, reference: str) -> dict:
    """A case by its exact reference (these commands take no id prefix)."""
    from assistant.cases import get_case

    return get_case(store, reference)


def _id(store, kind: str, text: str) -> str:
    """The one id of `kind` that starts with `text`, as every command accepts (see assistant.short_ids)."""
    from assistant.short_ids import resolve_id

    return resolve_id(store, kind, text)


def _tell_link(store, member_id: str, linked: str | None) -> None:
    """Say on stderr that a member was linked to the conversation already held, or which conversations
    fit them when more than one does (stdout stays what the command prints)."""
    from assistant.casegroup import get_member, unlinked_conversations
    from assistant.short_ids import short_id

    if linked:
        status = get_member(store, member_id)["status_label"]
        click.echo(f"Linked to the conversation {short_id(linked)} with the same role label and agency "
                   f"(now: {status}).", err=True)
        return
    fitting = [c["id"] for c in unlinked_conversations(store, member_id) if c["matches"]]
    if len(fitting) > 1:
        click.echo(f"{len(fitting)} conversations of this case have this role label and agency "
                   f"({', '.join(short_id(c) for c in fitting)}); link the right one with: learning-together "
                   f"group link {short_id(member_id)} --conversation ID", err=True)


# ------------------------------------------------------------------ the case group
@click.group()
def group() -> None:
    """The case group: members by role label and agency, and where each stands."""


@group.command("add")
@click.option("--case", "reference", required=True, help="The case reference.")
@click.option("--role", required=True, help="The member's role label, e.g. \"Social Worker 1\" (never a name).")
@click.option("--agency", default="", help="The member's agency.")
@click.pass_context
def group_add(ctx: click.Context, reference: str, role: str, agency: str) -> None:
    """Add a member of the case group; prints the member's id."""
    from assistant.casegroup import add_member, get_member

    store, case_id = open_case(ctx, reference, _case)
    member_id = add_member(store, case_id, role, agency, actor="cli")
    click.echo(member_id)
    _tell_link(store, member_id, get_member(store, member_id)["conversation_id"])


@group.command("list")
@click.option("--case", "reference", required=True, help="The case reference.")
@click.option("--outstanding", is_flag=True, help="Only members whose part is not finished, with the next step.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def group_list(ctx: click.Context, reference: str, outstanding: bool, as_json: bool) -> None:
    """The case group and the status of each member."""
    from assistant.casegroup import list_members
    from assistant.casegroup import outstanding as outstanding_members

    def show(members: list[dict]) -> None:
        if not members:
            click.echo("Nobody is outstanding." if outstanding else
                       "No case-group members yet. Add one with: learning-together group add --case REF --role ROLE")
        for member in members:
            who = member["role"] + (f", {member['agency']}" if member["agency"] else "")
            status = member["status_label"] + (f": {member['reason']}" if member["reason"] else "")
            step = f"  (next: {member['next_step']})" if outstanding else ""
            click.echo(f"{member['id']}  {visible(who):<40} {visible(status)}{step}")

    show_for_case(ctx, reference, outstanding_members if outstanding else list_members, show, as_json, _case)


@group.command("set")
@click.argument("member_id")
@click.option("--status", required=True, type=click.Choice(list(STATUS_WORDS)))
@click.option("--reason", default="", help="Why a member is absent or declined (kept with the member).")
@click.pass_context
def group_set(ctx: click.Context, member_id: str, status: str, reason: str) -> None:
    """Record where a member stands before their conversation (the rest follows the conversation)."""
    from assistant.casegroup import STATUS_LABELS, set_member_status

    store = _store(ctx)
    set_member_status(store, _id(store, "member", member_id), STATUS_WORDS[status], reason, actor="cli")
    click.echo(f"Recorded: {STATUS_LABELS[STATUS_WORDS[status]]}.")


@group.command("arrange")
@click.argument("member_id")
@click.option("--date", default="", help="The date of the conversation, as the letter should give it: "
              "YYYY-MM-DD or in words (Tuesday 3 March); a date that does not exist is refused.")
@click.option("--time", "time_", default="", help="The time: 24-hour HH:MM (14:30) or with am/pm (2:30pm, 10am).")
@click.option("--place", default="", help="The place.")
@click.pass_context
def group_arrange(ctx: click.Context, member_id: str, date: str, time_: str, place: str) -> None:
    """Record the date, time and place of a member's conversation (they appear in the letter)."""
    from assistant.casegroup import set_arrangements

    store = _store(ctx)
    set_arrangements(store, _id(store, "member", member_id), date=date, time=time_, place=place, actor="cli")
    click.echo("Recorded the arrangements.")


@group.command("edit")
@click.argument("member_id")
@click.option("--role", default=None, help="The corrected role label (never a name).")
@click.option("--agency", default=None, help="The corrected agency.")
@click.option("--reason", default="", help="Why it is corrected (kept with the earlier value).")
@click.option("--was-a-name", is_flag=True, help="The earlier value was a person's name: do not keep it.")
@click.pass_context
def group_edit(ctx: click.Context, member_id: str, role: str | None, agency: str | None, reason: str,
               was_a_name: bool) -> None:
    """Correct a member's role label or agency (the earlier value is kept, unless it was a name)."""
    from assistant.casegroup import edit_member, get_member

    store = _store(ctx)
    member_id = _id(store, "member", member_id)
    changed, linked = edit_member(store, member_id, role=role, agency=agency, reason=reason, was_a_name=was_a_name,
                                  actor="cli")
    member = get_member(store, member_id)
    who = member["role"] + (f", {member['agency']}" if member["agency"] else "")
    click.echo(f"Corrected: {visible(who)}." if changed else "Nothing to change.")
    _tell_link(store, member_id, linked)


@group.command("remove")
@click.argument("member_id")
@click.option("--reason", default="", help="Why the member is removed (kept in the case's history).")
@click.option("--was-a-name", is_flag=True, help="Their role label was a person's name: do not keep it.")
@click.pass_context
def group_remove(ctx: click.Context, member_id: str, reason: str, was_a_name: bool) -> None:
    """Remove a member added by mistake (not one linked to a conversation)."""
    from assistant.casegroup import remove_member

    store = _store(ctx)
    remove_member(store, _id(store, "member", member_id), reason, was_a_name=was_a_name, actor="cli")
    click.echo("Removed the member.")


@group.command("link")
@click.argument("member_id")
@click.option("--conversation", "conversation_id", required=True, help="The conversation's id (a prefix will do).")
@click.pass_context
def group_link(ctx: click.Context, member_id: str, conversation_id: str) -> None:
    """Link a member to their conversation already held: their status then follows it."""
    from assistant.casegroup import get_member, link_conversation

    store = _store(ctx)
    member_id = _id(store, "member", member_id)
    link_conversation(store, member_id, _id(store, "conversation", conversation_id), actor="cli")
    click.echo(f"Linked; now: {get_member(store, member_id)['status_label']}.")


# ------------------------------------------------------------------ the introductory letter
@click.command()
@click.option("--member", "member_id", required=True, help="The case-group member's id (see `group list`).")
@click.option("--format", "fmt", required=True, type=click.Choice(["md", "docx"]))
@click.option("--out", required=True, type=click.Path(path_type=Path), help="The file to write.")
@click.option("--template", type=click.Path(path_type=Path), default=None,
              help="A letter template (default: the one kept with the structures).")
@click.option("--sent", is_flag=True, help="Also record that the letter was sent (the member's status moves on).")
@click.option("--force", is_flag=True, help="Replace an existing file (never a database).")
@click.pass_context
def letter(ctx: click.Context, member_id: str, fmt: str, out: Path, template: Path | None, sent: bool,
           force: bool) -> None:
    """Write a member's introductory letter as Markdown or Word."""
    from assistant.workflows import export_letter_to

    store = _store(ctx)
    result = export_letter_to(store, _id(store, "member", member_id), fmt, out, force=force, mark_sent=sent, template=template,
                              actor="cli")
    for path in result.paths:
        click.echo(f"Wrote {visible(str(path))}")
    if result.warning:
        click.echo(f"Warning: {result.warning}", err=True)


# ------------------------------------------------------------------ the review's questions
@click.group()
def question() -> None:
    """The questions the review will try to answer (a handful per case)."""


@question.command("add")
@click.option("--case", "reference", required=True, help="The case reference.")
@click.option("--text", required=True, help="The question.")
@click.pass_context
def question_add(ctx: click.Context, reference: str, text: str) -> None:
    """Add one of the review's questions; prints its id."""
    from assistant.review_questions import add_question

    store, case_id = open_case(ctx, reference, _case)
    click.echo(add_question(store, case_id, text, actor="cli"))


@question.command("list")
@click.option("--case", "reference", required=True, help="The case reference.")
@click.option("--unanswered", is_flag=True, help="Only the questions no finding answers yet.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def question_list(ctx: click.Context, reference: str, unanswered: bool, as_json: bool) -> None:
    """The review's questions, each with how many findings answer it."""
    from assistant.review_questions import list_questions, unanswered_questions

    show_for_case(ctx, reference, unanswered_questions if unanswered else list_questions, _print_questions, as_json,
                  _case)


def _print_questions(questions: list[dict]) -> None:
    for row in questions:
        answered = f"answered by {counted(len(row['findings']), 'finding')}" if row["findings"] else "not yet answered"
        click.echo(f"{row['number']}. {visible(row['text'])}\n   {row['id']}  {answered}")


@question.command("edit")
@click.argument("question_id")
@click.option("--text", required=True, help="The question's new wording.")
@click.pass_context
def question_edit(ctx: click.Context, question_id: str, text: str) -> None:
    """Reword one of the review's questions."""
    from assistant.review_questions import edit_question

    store = _store(ctx)
    edit_question(store, _id(store, "question", question_id), text, actor="cli")
    click.echo("Reworded the question.")


@question.command("remove")
@click.argument("question_id")
@click.pass_context
def question_remove(ctx: click.Context, question_id: str) -> None:
    """Remove one of the review's questions (and which findings answered it)."""
    from assistant.review_questions import remove_question

    store = _store(ctx)
    remove_question(store, _id(store, "question", question_id), actor="cli")
    click.echo("Removed the question.")


@question.command("link")
@click.option("--finding", "finding_id", required=True, help="The finding's id.")
@click.option("--question", "question_id", required=True, help="The question's id.")
@click.option("--remove", is_flag=True, help="Say the finding no longer answers the question.")
@click.pass_context
def question_link(ctx: click.Context, finding_id: str, question_id: str, remove: bool) -> None:
    """Record that a finding answers one of the review's questions."""
    from assistant.review_questions import link_finding, unlink_finding

    store = _store(ctx)
    (unlink_finding if remove else link_finding)(store, _id(store, "finding", finding_id),
                                                 _id(store, "question", question_id), actor="cli")
    click.echo("Unlinked." if remove else "Linked.")


# ------------------------------------------------------------------ prepared queries
@click.group()
def query() -> None:
    """Queries the pair prepares for a conversation; locked until the practitioner's own account is in."""


def _conversation(ctx: click.Context, conversation_id: str, actor: str = "cli"):
    from assistant.conversation import Conversation
    from assistant.structure import load_structure

    store = _store(ctx)
    return Conversation(store, load_structure(), _id(store, "conversation", conversation_id), actor=actor)


@query.command("add")
@click.option("--conversation", "conversation_id", required=True, help="The conversation's id.")
@click.option("--text", required=True, help="The query.")
@click.option("--from", "origin", type=click.Choice(["records", "accounts"]), default="records", show_default=True,
              help="Where it comes from: agency records or other people's accounts.")
@click.option("--by", "author_role", type=click.Choice(["lead", "second"]), default="second", show_default=True)
@click.pass_context
def query_add(ctx: click.Context, conversation_id: str, text: str, origin: str, author_role: str) -> None:
    """Add a prepared query; prints its id (never how many there are)."""
    from assistant.conversation.prepared import add_prepared_query

    click.echo(add_prepared_query(_conversation(ctx, conversation_id), text, origin, author_role))


@query.command("list")
@click.option("--conversation", "conversation_id", required=True, help="The conversation's id.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def query_list(ctx: click.Context, conversation_id: str, as_json: bool) -> None:
    """The prepared queries, once the gate is open; until then, only that they are locked."""
    from assistant.conversation.prepared import ORIGIN_LABELS, prepared_queries, prepared_queries_locked

    conversation = _conversation(ctx, conversation_id)
    if prepared_queries_locked(conversation):
        if as_json:
            click.echo(visible_json({"locked": True}))
        else:
            click.echo("Prepared queries stay locked until the practitioner's own account and a key moment are "
                       "captured.")
        return
    queries = prepared_queries(conversation)
    if as_json:
        click.echo(visible_json({"locked": False, "queries": queries}, indent=2))
        return
    for row in queries:
        asked = "asked" if row["asked"] else "not yet asked"
        click.echo(f"{row['id']}  ({ORIGIN_LABELS[row['origin']]}, {asked})  {visible(row['text'])}")


@query.command("ask")
@click.argument("query_id")
@click.option("--conversation", "conversation_id", required=True, help="The conversation's id.")
@click.option("--by", "author_role", type=click.Choice(["lead", "second"]), default="second", show_default=True)
@click.pass_context
def query_ask(ctx: click.Context, query_id: str, conversation_id: str, author_role: str) -> None:
    """Bring a prepared query into the conversation, as a note in Questions from the wider picture."""
    from assistant.conversation.prepared import ask_prepared_query

    conversation = _conversation(ctx, conversation_id)
    note_id = ask_prepared_query(conversation, _id(conversation.store, "prepared_query", query_id), author_role)
    click.echo(f"Added note {note_id}.")


@query.command("remove")
@click.argument("query_id")
@click.option("--conversation", "conversation_id", required=True, help="The conversation's id.")
@click.pass_context
def query_remove(ctx: click.Context, query_id: str, conversation_id: str) -> None:
    """Remove a prepared query that has not been asked."""
    from assistant.conversation.prepared import remove_prepared_query

    conversation = _conversation(ctx, conversation_id)
    remove_prepared_query(conversation, _id(conversation.store, "prepared_query", query_id))
    click.echo("Removed the prepared query.")


COMMANDS = [group, letter, question, query]
