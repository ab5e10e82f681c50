"""The command line: `learning-together [--db PATH] COMMAND ...`; with no command, the terminal app.

Every error is one sentence on stderr and a non-zero exit; nothing stored is changed by a failed command.
The commands live by concern: `exchange` (export, hand-over, merge, erase), `protection` (encryption and
the audit trail), `revisions` (correcting work), `preparation` (before the conversations), `practice`
(the coach and rehearsals); the structure, cases, chronology and demo data are here.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from assistant.cli import after, exchange, practice, preparation, protection
from assistant.cli.common import PASSPHRASE_ENV, OneSentenceGroup, default_structure, open_db, secret
from assistant.cli.practice import show_scenario
from assistant.cli.revisions import COMMANDS as REVISION_COMMANDS
from assistant.safe_text import visible, visible_json
from assistant.words import counted

_Group = OneSentenceGroup  # the name the error handling is known by elsewhere


@click.group(cls=OneSentenceGroup, invoke_without_command=True,
             context_settings={"help_option_names": ["-h", "--help"]},
             commands=REVISION_COMMANDS)  # conversation, moment, episode, finding: revising work
@click.option("--db", "db", type=click.Path(dir_okay=True, path_type=Path), default=None,
              help="Database file (default: LEARNING_TOGETHER_DB, else the user data directory).")
@click.option("--passphrase-file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="A file holding the database's passphrase (else LEARNING_TOGETHER_PASSPHRASE, else asked).")
@click.version_option(package_name="learning-together", prog_name="learning-together")
@click.pass_context
def main(ctx: click.Context, db: Path | None, passphrase_file: Path | None) -> None:
    """The Learning Together conversation assistant. With no command, opens the terminal app."""
    ctx.ensure_object(dict)
    ctx.obj.update(db=db, passphrase_file=passphrase_file)
    if ctx.invoked_subcommand is None:
        from assistant.tui.app import run_app

        sys.exit(run_app(db, secret(passphrase_file, PASSPHRASE_ENV, None)))


# ------------------------------------------------------------------ structure
@main.group()
def structure() -> None:
    """Check, describe and print conversation structures and rehearsal scenarios."""


@structure.command("check")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
def structure_check(files: tuple[Path, ...]) -> None:
    """Validate structure or scenario files: exit 0 when all are valid, else 1 with located errors."""
    from assistant.structure import StructureError, check_file

    failed = False
    for path in files:
        try:
            loaded = check_file(path)
            click.echo(visible(f"{path}: valid {loaded.kind} '{loaded.id}' version {loaded.version}"))
        except StructureError as error:
            failed = True
            click.echo(visible(str(error)), err=True)
    sys.exit(1 if failed else 0)


@structure.command("schema")
@click.option("--rehearsal", is_flag=True, help="The schema for rehearsal scenario files instead.")
def structure_schema(rehearsal: bool) -> None:
    """Print the JSON Schema for structure files (or rehearsal scenarios)."""
    from assistant.structure import scenario_json_schema, structure_json_schema

    click.echo(visible_json(scenario_json_schema() if rehearsal else structure_json_schema(), indent=2))


@structure.command("show")
@click.argument("file", required=False, type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["md"]), default="md", show_default=True)
@click.option("--scenario", "scenario_id", help="A rehearsal scenario's page instead (its id).")
@click.option("--brief", is_flag=True, help="With --scenario: the brief for a colleague playing the practitioner.")
def structure_show(file: Path | None, fmt: str, scenario_id: str | None, brief: bool) -> None:
    """Print the structure as a guide to read or hand out (Markdown), or a rehearsal scenario."""
    from assistant.exports.guide import structure_guide

    if scenario_id or brief:
        if not scenario_id:
            raise click.UsageError("--brief needs --scenario ID.")
        return click.echo(visible(show_scenario(scenario_id, brief)), nl=False)
    from assistant.structure import DEFAULT_STRUCTURE, load_structure

    click.echo(visible(structure_guide(load_structure(file or DEFAULT_STRUCTURE))), nl=False)


# ------------------------------------------------------------------ cases
@main.group()
def case() -> None:
    """Add and list cases."""


@case.command("add")
@click.option("--ref", "reference", required=True, help="The case reference, e.g. CSPR-2026-04.")
@click.option("--label", required=True, help="A pseudonymous label, e.g. \"Family A\".")
@click.pass_context
def case_add(ctx: click.Context, reference: str, label: str) -> None:
    """Add a case."""
    from assistant.cases import add_case

    store = open_db(ctx, create=True)
    case_id = add_case(store, reference, label, actor="cli")
    stored = store.scalar("SELECT reference FROM cases WHERE id = ?", (case_id,))  # cleaned of controls
    click.echo(f"Added case {visible(stored)}.")


@case.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def case_list(ctx: click.Context, as_json: bool) -> None:
    """List cases with their conversation counts."""
    from assistant.cases import list_cases

    store = open_db(ctx)
    cases = list_cases(store)
    if as_json:
        click.echo(visible_json(cases, indent=2))
        return
    if not store.encrypted:
        click.echo("Note: this database is not encrypted (see `learning-together encrypt`).", err=True)
    if not cases:
        click.echo("No cases yet. Add one with: learning-together case add --ref REF --label LABEL")
        return
    for row in cases:
        click.echo(
            f"{visible(row['reference']):<16} {visible(row['label']):<32} "
            f"{counted(row['conversations'], 'conversation')}, {row['in_progress']} in progress, "
            f"{counted(row['chronology_entries'], 'chronology entry')}"
        )


# ------------------------------------------------------------------ chronology
@main.group()
def chronology() -> None:
    """The case chronology (shown only after the practitioner's own account)."""


@chronology.command("import")
@click.option("--case", "reference", required=True, help="The case reference.")
@click.argument("file", type=click.Path(path_type=Path))
@click.pass_context
def chronology_import(ctx: click.Context, reference: str, file: Path) -> None:
    """Import a CSV with columns date, agency, summary, source: all rows or none. A date is a year, month
    or day: 2024, 2024-03, 2024-03-01 or 01/03/2024."""
    from assistant.cases import import_chronology

    count = import_chronology(open_db(ctx), reference, file, actor="cli")
    click.echo(f"Imported {count} chronology entries into {visible(reference)}.")


# ------------------------------------------------------------------ demo
@main.command()
@click.option("--cases", default=3, show_default=True, type=click.IntRange(1, 1000))
@click.option("--conversations", default=4, show_default=True, type=click.IntRange(1, 100))
@click.option("--notes", default=40, show_default=True, type=click.IntRange(1, 5000))
@click.option("--seed", default=1, show_default=True, type=int)
@click.option("--review", is_flag=True, help="Also add a whole synthetic review to the first case: episodes, "
              "findings, the review's questions, two follow-on meetings and a report draft.")
@click.pass_context
def demo(ctx: click.Context, cases: int, conversations: int, notes: int, seed: int, review: bool) -> None:
    """Add synthetic, clearly marked demonstration cases (fictional; references start DEMO-)."""
    from assistant.demo import generate_demo

    store, structure_ = open_db(ctx, create=True), default_structure()
    totals = generate_demo(store, structure_, cases=cases, conversations=conversations, notes=notes, seed=seed)
    click.echo(
        f"Added {counted(totals['cases'], 'synthetic case')}, {counted(totals['conversations'], 'conversation')}, "
        f"{counted(totals['notes'], 'note')}."
    )
    if review:
        from assistant.demo import add_demo_review

        added = add_demo_review(store, structure_, seed)
        if added is None:
            click.echo(f"The synthetic review of DEMO-{seed}-001 is already there; nothing was added to it.")
            return
        click.echo(f"Added a synthetic review to {added['reference']}: {added['episodes']} key practice episodes, "
                   f"{added['findings']} findings, {added['questions']} questions, {added['meetings']} follow-on "
                   f"meetings with {added['challenges']} challenges, report version {added['report_version']}.")


for command in (exchange.export, exchange.handover, exchange.merge, exchange.erase, protection.init,
                protection.rekey, protection.encrypt, protection.audit, practice.coach, practice.rehearse,
                *preparation.COMMANDS):
    main.add_command(command)
after.register(main)  # the commands after the conversations join the case and finding groups too
