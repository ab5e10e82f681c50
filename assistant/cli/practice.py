"""Practice commands for the command line: the question coach and a rehearsal read from standard input.

Registered on the main command group by `assistant.cli`, whose error handling they share.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import click

from assistant.safe_text import visible, visible_json



def load_structure():
    """The default structure, imported when a command needs it (pydantic is slow to import)."""
    from assistant.structure import load_structure as load

    return load()

@click.command()
@click.argument("question")
@click.option("--json", "as_json", is_flag=True, help="Print the verdict as JSON.")
def coach(question: str, as_json: bool) -> None:
    """Classify a question: open, closed, leading, multiple or hindsight, with a gentler wording."""
    from assistant.coach import classify

    verdict = classify(question, load_structure().coach)
    if as_json:
        click.echo(visible_json(verdict.as_json()))
        return
    click.echo(f"{verdict.kind}" + (f" (also: {', '.join(verdict.kinds[1:])})" if len(verdict.kinds) > 1 else ""))
    for trigger in verdict.triggers:
        click.echo(f"  {trigger.kind}: {visible(trigger.words)}")
    if verdict.suggestion:
        click.echo(f"Try: {visible(verdict.suggestion)}")


@click.command()
@click.option("--scenario", "scenario_id", required=True, help="The scenario's id (see `structure show --scenario`).")
@click.option("--json", "as_json", is_flag=True, help='Print {"turns": [...], "debrief": {...}} as JSON.')
def rehearse(scenario_id: str, as_json: bool) -> None:
    """Rehearse with a fictional practitioner: one question a line on standard input.

    A line such as "[overview]" moves to that section; blank lines and "#" lines are passed over. Each
    question gets the practitioner's answer, the coach's verdict and any fact surfaced, then the debrief.
    Nothing is kept: the rehearsal runs in a throwaway database."""
    from assistant.rehearsal.transcript import find_scenario, rehearse_lines, transcript_text
    from assistant.store import open_store

    structure = load_structure()
    scenario = find_scenario(structure, scenario_id)
    lines = click.get_text_stream("stdin").read().splitlines()
    with tempfile.TemporaryDirectory(prefix="lt-rehearsal-") as folder:
        store = open_store(Path(folder) / "rehearsal.db")
        try:
            result = rehearse_lines(store, structure, scenario, lines)
        finally:
            store.close()
    click.echo(visible_json(result, indent=2) if as_json else visible(transcript_text(result)), nl=as_json)


def show_scenario(scenario_id: str, brief: bool) -> str:
    """`structure show --scenario ID [--brief]`: the trainee's page, or the role-player's brief."""
    from assistant.rehearsal.brief import role_player_brief, trainee_view
    from assistant.rehearsal.transcript import find_scenario

    structure = load_structure()
    scenario = find_scenario(structure, scenario_id)
    return role_player_brief(scenario, structure) if brief else trainee_view(scenario)
