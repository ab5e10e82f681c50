"""The command line for the review's report: `report draft`, `versions`, `export`, `diff`, `signoff`,
and each case-group member's accuracy check (`check`, `checks`). Registered by `assistant.cli.after`."""

from __future__ import annotations

from pathlib import Path

import click

from assistant.cli.common import case_by_reference, default_structure, id_by_prefix, open_case, open_db, show_for_case
from assistant.safe_text import visible


# ------------------------------------------------------------------ the report
@click.group()
def report() -> None:
    """The review's report in numbered versions: draft, list, export, diff and sign-off."""


@report.command("draft")
@click.option("--case", "reference", required=True, help="The case reference.")
@click.pass_context
def report_draft(ctx: click.Context, reference: str) -> None:
    """Assemble a new version of the report from what is in the store; prints its number."""
    from assistant.report import draft_report

    store, case_id = open_case(ctx, reference)
    click.echo(draft_report(store, default_structure(), case_id, actor="cli"))
    warn_of_hindsight(store, case_id)


def warn_of_hindsight(store, case_id: str) -> None:
    """A warning on stderr for each card still judging with hindsight ("should have"); nothing is refused."""
    from assistant.story import hindsight_left

    left = hindsight_left(store, default_structure(), case_id)
    if left:
        click.echo("Warning: hindsight language is still in these episode cards (reword it as what was known "
                   "and done at the time):", err=True)
        for line in left:
            click.echo(visible(f"  {line}"), err=True)


@report.command("versions")
@click.option("--case", "reference", required=True, help="The case reference.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def report_versions_command(ctx: click.Context, reference: str, as_json: bool) -> None:
    """Every version of the report, with who signed it off."""
    from assistant.report import report_versions

    show_for_case(ctx, reference, report_versions, _print_versions, as_json)


def _print_versions(versions: list[dict]) -> None:
    if not versions:
        click.echo("No version yet. Draft one with: learning-together report draft --case REF")
    for row in versions:
        signed = f"  signed off by {', '.join(row['signed_by'])}" if row["signed_by"] else ""
        click.echo(visible(f"{row['number']}  {row['created_at']}  {row['sha256'][:12]}{signed}"))


@report.command("export")
@click.option("--case", "reference", required=True, help="The case reference.")
@click.option("--version", "number", type=click.IntRange(1), default=None, help="The version (default: newest).")
@click.option("--format", "fmt", required=True, type=click.Choice(["md", "docx"]))
@click.option("--out", required=True, type=click.Path(path_type=Path), help="The file to write.")
@click.option("--force", is_flag=True, help="Replace an existing file (never a database).")
@click.option("--accept-names", is_flag=True,
              help="Write the report even though text that may identify someone is listed.")
@click.pass_context
def report_export(ctx: click.Context, reference: str, number: int | None, fmt: str, out: Path, force: bool,
                  accept_names: bool) -> None:
    """Write a version of the report as Markdown or Word; text that may identify someone is listed first,
    and the report is written only with --accept-names."""
    from assistant.exports.report import export_report, report_identifying

    store = open_db(ctx)
    case = case_by_reference(store, reference)
    found = report_identifying(store, case, number, default_structure())
    if found:
        click.echo("Text that may identify someone (check each before the report is shared):")
        for candidate in found:
            click.echo(visible(f"  {candidate.words} ({candidate.kind}; first in “{candidate.where}”)"))
    path = export_report(store, case, fmt, out, number=number, force=force, actor="cli",
                         accept_names=accept_names, structure=default_structure())
    click.echo(f"Wrote {visible(str(path))}")


@report.command("diff")
@click.option("--case", "reference", required=True, help="The case reference.")
@click.option("--from", "old", required=True, type=click.IntRange(1), help="The earlier version.")
@click.option("--to", "new", required=True, type=click.IntRange(1), help="The later version.")
@click.pass_context
def report_diff_command(ctx: click.Context, reference: str, old: int, new: int) -> None:
    """What changed between two versions, section by section."""
    from assistant.report import report_diff

    store, case_id = open_case(ctx, reference)
    for section in report_diff(store, case_id, old, new):
        click.echo(visible(f"{section['title']}: {'changed' if section['changed'] else 'unchanged'}"))
        for line in section["lines"]:
            click.echo(visible(f"  {line}"))


@report.command("signoff")
@click.option("--case", "reference", required=True, help="The case reference.")
@click.option("--version", "number", required=True, type=click.IntRange(1), help="The version signed off.")
@click.option("--by", "signed_by", required=True, help="Who signed it off, by role.")
@click.pass_context
def report_signoff(ctx: click.Context, reference: str, number: int, signed_by: str) -> None:
    """Record that the safeguarding partners signed off a version of the report; warns of what is open."""
    from assistant.report import open_before_sign_off, sign_off

    store, case_id = open_case(ctx, reference)
    still_open = open_before_sign_off(store, case_id, number)
    sign_off(store, case_id, number, signed_by, actor="cli")
    if still_open:
        click.echo(f"Warning: signed off while {'; '.join(still_open)}.", err=True)
    click.echo(f"Recorded the sign-off of version {number}.")


@report.command("check")
@click.option("--case", "reference", required=True, help="The case reference.")
@click.option("--version", "number", required=True, type=click.IntRange(1), help="The version checked.")
@click.option("--member", "member_id", required=True, help="The case-group member's id (a unique prefix will do).")
@click.option("--outcome", required=True, type=click.Choice(["confirmed", "corrections"]))
@click.pass_context
def report_check(ctx: click.Context, reference: str, number: int, member_id: str, outcome: str) -> None:
    """Record a member's accuracy check of a version (corrections go in the challenge log)."""
    from assistant.report import record_accuracy_check

    store = open_db(ctx)
    member = id_by_prefix(store, "case_group_members", "case-group member", member_id)
    record_accuracy_check(store, case_by_reference(store, reference)["id"], number, member, outcome, actor="cli")
    click.echo(f"Recorded: {outcome}.")


@report.command("checks")
@click.option("--case", "reference", required=True, help="The case reference.")
@click.option("--version", "number", required=True, type=click.IntRange(1), help="The version checked.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def report_checks(ctx: click.Context, reference: str, number: int, as_json: bool) -> None:
    """Where each case-group member stands on the accuracy check of a version."""
    from assistant.report import accuracy_checks

    show_for_case(ctx, reference, lambda store, case_id: accuracy_checks(store, case_id, number), _print_checks,
                  as_json)


def _print_checks(checks: list[dict]) -> None:
    for member in checks:
        click.echo(visible(f"{member['id'][:8]}  {member['role']:<30} {member['outcome']}"))
