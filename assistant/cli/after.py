"""The command line after the conversations: the review's dates (`case set`, `case clock`), the story of
the case (`story`), episode cards (`card`), findings' priority (`finding prioritise`), follow-on meetings
(`meeting`), the challenge log (`challenge`) and the report in versions (`report`, in `assistant.cli.report`).

`assistant.cli` registers these with `register(main)`. Output goes through `visible`.
"""

from __future__ import annotations


import click

from assistant.cli.common import case_by_reference, default_structure, id_by_prefix, open_case, open_db, show_for_case
from assistant.safe_text import visible, visible_json
from assistant.words import counted


def register(main: click.Group) -> None:
    """Add these commands to `main`, and `set`, `clock` and `prioritise` to its case and finding groups."""
    from assistant.cli.report import report

    for command in (story, card, meeting, challenge, report):
        main.add_command(command)
    main.commands["case"].add_command(case_set, "set")
    main.commands["case"].add_command(case_clock, "clock")
    main.commands["finding"].add_command(finding_prioritise, "prioritise")


# ------------------------------------------------------------------ the review's dates
@click.command()
@click.option("--ref", "reference", required=True, help="The case reference.")
@click.option("--started", default=None, help="When the review started (YYYY-MM-DD).")
@click.option("--window-from", default=None, help="The start of the window of time reviewed (YYYY-MM-DD).")
@click.option("--window-to", default=None, help="The end of the window of time reviewed (YYYY-MM-DD).")
@click.pass_context
def case_set(ctx: click.Context, reference: str, started: str | None, window_from: str | None,
             window_to: str | None) -> None:
    """Record when the review started and the window of time it looks at."""
    from assistant.report import set_review_dates

    store, case_id = open_case(ctx, reference)
    set_review_dates(store, case_id, started=started, window_from=window_from, window_to=window_to, actor="cli")
    click.echo("Recorded the review's dates.")


@click.command()
@click.option("--ref", "reference", required=True, help="The case reference.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def case_clock(ctx: click.Context, reference: str, as_json: bool) -> None:
    """The rapid-review date, the six-month publication date and the days left."""
    from assistant.report import review_clock

    clock = review_clock(case_by_reference(open_db(ctx), reference))
    if as_json:
        click.echo(visible_json(clock, indent=2))
    elif clock is None:
        click.echo("No start date yet; record it with: learning-together case set --ref REF --started DATE")
    else:
        click.echo(f"Started {clock['started']}; rapid review by {clock['rapid_review_by']} (15 working days, "
                   f"weekends only); six months on {clock['six_months']}: {clock['days_left']} days left "
                   f"({clock['days_since_start']} since the start).")


# ------------------------------------------------------------------ the story and the episode cards
@click.group()
def story() -> None:
    """The story of the case: key practice episodes in order, each practitioner's perspective."""


@story.command("place")
@click.option("--episode", "episode_id", required=True, help="The case episode's id (a unique prefix will do).")
@click.option("--date", "on", default=None, help="The episode's date (YYYY-MM-DD).")
@click.option("--position", type=click.IntRange(1), default=None, help="Its position in the story (1 is first).")
@click.pass_context
def story_place(ctx: click.Context, episode_id: str, on: str | None, position: int | None) -> None:
    """Place an episode in the story by a date, a position, or both."""
    from assistant.short_ids import resolve_id
    from assistant.story import place_episode

    store = open_db(ctx)
    place_episode(store, resolve_id(store, "case_episode", episode_id), on=on, position=position, actor="cli")
    click.echo("Placed the episode in the story.")


@story.command("show")
@click.option("--case", "reference", required=True, help="The case reference.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def story_show(ctx: click.Context, reference: str, as_json: bool) -> None:
    """The timeline: episodes with each perspective, the chronology between, where accounts differ."""
    from assistant.story import story_of_the_case

    show_for_case(ctx, reference, story_of_the_case, _print_story, as_json)


def _print_story(timeline: dict) -> None:
    for item in timeline["story"]:
        if item["kind"] == "chronology":
            click.echo(visible(f"  {item['date']}  {item['agency']}: {item['summary']}"))
            continue
        click.echo(visible(f"{item['id'][:8]}  {item['date'] or '#' + str(item['position'])}  {item['title']}"))
        for view in item["perspectives"]:
            click.echo(visible(f"    {view['practitioner_role']}: \u201c{view['title']}\u201d"))
            for note in view["notes"]:
                click.echo(visible(f"      {note['body']}"))
        if item["accounts_differ"]:
            click.echo(visible(f"    Where accounts differ: {item['accounts_differ']}"))
    for episode in timeline["unplaced"]:
        click.echo(visible(f"Not yet placed: {episode['id'][:8]}  {episode['title']}"))


@click.group()
def card() -> None:
    """Episode cards: appraisal of practice, explanation, contributory factors, hindsight check."""


@card.command("set")
@click.option("--episode", "episode_id", required=True, help="The case episode's id (a unique prefix will do).")
@click.option("--what-happened", default=None, help="What happened.")
@click.option("--adequacy", type=click.Choice(["not_yet", "good", "adequate", "mixed", "not_adequate"]), default=None,
              help="Whether practice was adequate given what was known at the time.")
@click.option("--appraisal", default=None, help="The appraisal of practice.")
@click.option("--explanation", default=None, help="Why it made sense to those involved.")
@click.option("--differ", "accounts_differ", default=None, help="Where the practitioners' accounts differ.")
@click.option("--link-note", "note_ids", multiple=True, help="A note the explanation rests on (repeatable).")
@click.option("--factor", "factors", multiple=True, help="Set the contributory factors by hand (repeatable).")
@click.option("--reason", default="", help="Why the wording changed (kept with the earlier wording).")
@click.pass_context
def card_set(ctx: click.Context, episode_id: str, what_happened: str | None, adequacy: str | None,
             appraisal: str | None, explanation: str | None, accounts_differ: str | None,
             note_ids: tuple[str, ...], factors: tuple[str, ...], reason: str) -> None:
    """Write or revise an episode's card; every earlier wording is kept."""
    from assistant.short_ids import resolve_id
    from assistant.story import edit_card, link_explanation_note, set_factors

    store = open_db(ctx)
    episode = resolve_id(store, "case_episode", episode_id)
    notes = [resolve_id(store, "note", n) for n in note_ids]
    changed = edit_card(store, episode, what_happened=what_happened, adequacy=adequacy, appraisal=appraisal,
                        explanation=explanation, accounts_differ=accounts_differ, reason=reason, actor="cli")
    for note in notes:
        link_explanation_note(store, episode, note, actor="cli")
    if factors:
        set_factors(store, default_structure(), episode, list(factors), reason=reason, actor="cli")
    click.echo(f"Changed: {', '.join(changed)}." if changed else "The card's words are as they were.")


@card.command("show")
@click.option("--episode", "episode_id", required=True, help="The case episode's id (a unique prefix will do).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def card_show(ctx: click.Context, episode_id: str, as_json: bool) -> None:
    """An episode's card with its contributory factors and the hindsight check."""
    from assistant.short_ids import resolve_id
    from assistant.story import episode_card

    store = open_db(ctx)
    shown = episode_card(store, default_structure(), resolve_id(store, "case_episode", episode_id))
    if as_json:
        click.echo(visible_json(shown, indent=2))
        return
    for label, key in (("What happened", "what_happened"), ("Adequacy", "adequacy"), ("Appraisal", "appraisal"),
                       ("Explanation", "explanation"), ("Where accounts differ", "accounts_differ")):
        click.echo(visible(f"{label}: {shown[key]}"))
    click.echo(visible(f"Contributory factors: {', '.join(shown['factors']) or 'none'}"
                       + (" (edited)" if shown["factors_edited"] else " (from the notes)")))
    for flag in shown["hindsight"]:
        click.echo(visible(f"Hindsight check: \u201c{flag['words']}\u201d in: {flag['sentence']}"))


@click.command()
@click.option("--case", "reference", required=True, help="The case reference.")
@click.argument("finding_ids", nargs=-1, required=True)
@click.pass_context
def finding_prioritise(ctx: click.Context, reference: str, finding_ids: tuple[str, ...]) -> None:
    """Put the case's findings in priority order, most in need of improvement first."""
    from assistant.report import set_priorities
    from assistant.short_ids import resolve_id

    store = open_db(ctx)
    ordered = [resolve_id(store, "finding", f) for f in finding_ids]
    set_priorities(store, case_by_reference(store, reference)["id"], ordered, actor="cli")
    click.echo(f"Put {counted(len(finding_ids), 'finding')} in order.")


# ------------------------------------------------------------------ follow-on meetings
@click.group()
def meeting() -> None:
    """The case group's follow-on meetings: first, second and the accuracy check."""


@meeting.command("add")
@click.option("--case", "reference", required=True, help="The case reference.")
@click.option("--kind", required=True, type=click.Choice(["first", "second", "accuracy"]))
@click.option("--date", "on", required=True, help="The meeting's date (YYYY-MM-DD).")
@click.option("--facilitators", default="", help="Who facilitated, by role.")
@click.option("--pack-version", default="", help="The version of the pack that was shared.")
@click.pass_context
def meeting_add(ctx: click.Context, reference: str, kind: str, on: str, facilitators: str, pack_version: str) -> None:
    """Record a follow-on meeting; prints its id."""
    from assistant.meetings import add_meeting

    store, case_id = open_case(ctx, reference)
    click.echo(add_meeting(store, case_id, kind, on, facilitators=facilitators, pack_version=pack_version,
                           actor="cli"))


@meeting.command("attend")
@click.option("--meeting", "meeting_id", required=True, help="The meeting's id (a unique prefix will do).")
@click.option("--role", required=True, help="The person's role label (never a name).")
@click.option("--agency", default="", help="Their agency.")
@click.option("--absent", is_flag=True, help="They were absent (say how they will be consulted).")
@click.option("--consult", "consult_how", default="", help="How an absent member will be consulted.")
@click.option("--allow-name", is_flag=True, help="Keep a role label that looks like a person's name.")
@click.pass_context
def meeting_attend(ctx: click.Context, meeting_id: str, role: str, agency: str, absent: bool, consult_how: str,
                   allow_name: bool) -> None:
    """Record who attended, or who was absent and how they will be consulted."""
    from assistant.meetings import add_person

    store = open_db(ctx)
    add_person(store, id_by_prefix(store, "meetings", "meeting", meeting_id), role, agency, attended=not absent,
               consult_how=consult_how, allow_name=allow_name, actor="cli")
    click.echo("Recorded as absent." if absent else "Recorded as attending.")


@meeting.command("list")
@click.option("--case", "reference", required=True, help="The case reference.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def meeting_list(ctx: click.Context, reference: str, as_json: bool) -> None:
    """The case's follow-on meetings with who attended and who was absent."""
    from assistant.meetings import list_meetings

    show_for_case(ctx, reference, list_meetings, _print_meetings, as_json)


def _print_meetings(meetings: list[dict]) -> None:
    for held in meetings:
        click.echo(visible(f"{held['id'][:8]}  {held['date']}  {held['kind']}: {len(held['attendees'])} attended, "
                           f"{len(held['absentees'])} absent"))


# ------------------------------------------------------------------ the challenge log
@click.group()
def challenge() -> None:
    """The challenge log: corrections and challenges from the case group, and the team's responses."""


@challenge.command("add")
@click.option("--meeting", "meeting_id", required=True, help="The meeting's id (a unique prefix will do).")
@click.option("--about", required=True, help="episode:ID, finding:ID or section:NAME.")
@click.option("--by", "raised_by", required=True, help="The role of the person who raised it.")
@click.option("--kind", required=True, type=click.Choice(["correction", "perspective", "disputes-appraisal",
                                                          "new-information", "suggested-change"]))
@click.option("--text", required=True, help="What was said.")
@click.pass_context
def challenge_add(ctx: click.Context, meeting_id: str, about: str, raised_by: str, kind: str, text: str) -> None:
    """Record a challenge or correction; prints its id."""
    from assistant.meetings import add_challenge

    store = open_db(ctx)
    click.echo(add_challenge(store, id_by_prefix(store, "meetings", "meeting", meeting_id), about, raised_by, kind,
                             text, actor="cli"))


@challenge.command("respond")
@click.argument("challenge_id")
@click.option("--outcome", required=True, type=click.Choice(["accepted", "partly", "not-accepted", "to-check"]))
@click.option("--reason", default="", help="Why (needed when not accepted).")
@click.option("--decided-by", default="lead reviewer", show_default=True, help="Who decided, by role.")
@click.pass_context
def challenge_respond(ctx: click.Context, challenge_id: str, outcome: str, reason: str, decided_by: str) -> None:
    """Record the team's response to a challenge (an earlier response is kept)."""
    from assistant.meetings import respond

    respond(open_db(ctx), challenge_id, outcome, reason=reason, decided_by=decided_by, actor="cli")
    click.echo(f"Recorded: {outcome}.")


@challenge.command("told")
@click.argument("challenge_id")
@click.pass_context
def challenge_told(ctx: click.Context, challenge_id: str) -> None:
    """Record that the person who raised a challenge has been told the response."""
    from assistant.meetings import mark_told

    told = mark_told(open_db(ctx), challenge_id, actor="cli")
    click.echo("Recorded that they have been told." if told else "They were already told; nothing changed.")


@challenge.command("list")
@click.option("--case", "reference", required=True, help="The case reference.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def challenge_list(ctx: click.Context, reference: str, as_json: bool) -> None:
    """The case's challenge log, oldest first."""
    from assistant.meetings import challenge_log

    show_for_case(ctx, reference, challenge_log, _print_challenges, as_json)


def _print_challenges(log: list[dict]) -> None:
    if not log:
        click.echo("No challenges recorded yet.")
    for row in log:
        told = "told" if row["raiser_told"] else "not yet told"
        click.echo(visible(f"{row['id'][:8]}  {row['meeting_kind']} {row['meeting_date']}  {row['about_kind']} "
                           f"{row['about_id'][:8]}  {row['raised_by']}  {row['kind']}: {row['text']}  -> "
                           f"{row['outcome']}" + (f" ({row['reason']})" if row["reason"] else "") + f", {told}"))
