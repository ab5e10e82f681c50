"""The command line: `learning-together [--db PATH] COMMAND ...`; with no command, the terminal app.

Every error is one sentence on stderr and a non-zero exit; nothing stored is changed by a failed command.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from assistant import settings
from assistant.errors import LearningTogetherError
from assistant.revision_commands import COMMANDS as REVISION_COMMANDS, resolve_case, resolve_id
from assistant.safe_text import visible, visible_json
from assistant.store import StoreError, open_store
from assistant.structure import DEFAULT_STRUCTURE, StructureError, load_structure


class _Group(click.Group):
    """Turns the product's own errors into one clean sentence and exit status 1."""

    def invoke(self, ctx: click.Context):  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except LearningTogetherError as error:
            click.echo(f"Error: {visible(str(error))}", err=True)
            ctx.exit(1)
        except PermissionError as error:
            click.echo(f"Error: permission denied for {visible(str(error.filename))}.", err=True)
            ctx.exit(1)
        except OSError as error:
            name = visible(str(error.filename)) if error.filename else "a file"
            click.echo(f"Error: {name}: {visible(error.strerror or error.__class__.__name__)}.", err=True)
            ctx.exit(1)
        except (click.exceptions.Exit, click.ClickException, click.exceptions.Abort, SystemExit):
            raise
        except Exception as error:  # never a traceback: one sentence, and the write was rolled back
            click.echo(f"Error: an unexpected problem ({error.__class__.__name__}) stopped the command; "
                       "nothing was changed. Please report it.", err=True)
            ctx.exit(1)


PASSPHRASE_ENV = settings.PASSPHRASE_ENV


def _secret(file: Path | None, env: str, prompt: str | None, confirm: bool = False) -> str | None:
    """A passphrase from a file, then an environment variable, then (at a terminal) a hidden prompt.
    Never from a command-line argument, where other users could read it. Only a regular file is read:
    a named pipe or device is refused before it is opened (reading one could wait forever)."""
    if file is not None:
        return settings.passphrase_from_file(file)
    if value := settings.passphrase_from_env(env):
        return value
    if prompt and sys.stdin.isatty():
        return click.prompt(prompt, hide_input=True, confirmation_prompt=confirm, err=True)
    return None


def _store(ctx: click.Context, *, exclusive: bool = False, create: bool = False):
    """Open --db; an encrypted database is unlocked with the passphrase (three tries at a terminal).
    The store is closed when the command ends, whatever happens, so its locks are let go.

    Only commands that add data `create` a missing database, and they say so; the others refuse it, so
    a mistyped --db never silently starts an empty one.
    """
    from assistant.store import check_name
    from assistant.workflows import passphrase_prompt, unlock

    path = settings.db_path(ctx.obj["db"])
    check_name(path, "database")
    existed = path.exists()
    ask = (lambda: click.prompt(passphrase_prompt(path), hide_input=True, err=True)) if sys.stdin.isatty() else None
    store = unlock(path, ask, 3, passphrase=_secret(ctx.obj["passphrase_file"], PASSPHRASE_ENV, None),
                   tell=lambda message: click.echo(message, err=True), exclusive=exclusive, create=create)
    ctx.call_on_close(store.close)
    if not existed:
        click.echo(f"Note: created a new, unencrypted database at {visible(str(path))}.", err=True)
    return store


@click.group(cls=_Group, invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]},
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
    ctx.obj.update(db=db, passphrase_file=passphrase_file, open_store=_store)
    if ctx.invoked_subcommand is None:
        from assistant.tui.app import run_app

        sys.exit(run_app(db, _secret(passphrase_file, PASSPHRASE_ENV, None)))


# ------------------------------------------------------------------ structure
@main.group()
def structure() -> None:
    """Check, describe and print conversation structures and rehearsal scenarios."""


@structure.command("check")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
def structure_check(files: tuple[Path, ...]) -> None:
    """Validate structure or scenario files: exit 0 when all are valid, else 1 with located errors."""
    from assistant.structure import check_file

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
def structure_show(file: Path | None, fmt: str) -> None:
    """Print the structure as a guide to read or hand out (Markdown)."""
    from assistant.exports.guide import structure_guide

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

    store = _store(ctx, create=True)
    add_case(store, reference, label, actor="cli")
    click.echo(f"Added case {visible(reference)}.")


@case.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def case_list(ctx: click.Context, as_json: bool) -> None:
    """List cases with their conversation counts."""
    from assistant.cases import list_cases

    store = _store(ctx)
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
            f"{row['conversations']} conversation(s), {row['in_progress']} in progress, "
            f"{row['chronology_entries']} chronology entries"
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
    """Import a CSV with columns date, agency, summary, source: all rows or none."""
    from assistant.cases import import_chronology

    count = import_chronology(_store(ctx), reference, file, actor="cli")
    click.echo(f"Imported {count} chronology entries into {visible(reference)}.")


# ------------------------------------------------------------------ demo
@main.command()
@click.option("--cases", default=3, show_default=True, type=click.IntRange(1, 1000))
@click.option("--conversations", default=4, show_default=True, type=click.IntRange(1, 100))
@click.option("--notes", default=40, show_default=True, type=click.IntRange(1, 5000))
@click.option("--seed", default=1, show_default=True, type=int)
@click.pass_context
def demo(ctx: click.Context, cases: int, conversations: int, notes: int, seed: int) -> None:
    """Add synthetic, clearly marked demonstration cases (fictional; references start DEMO-)."""
    from assistant.demo import generate_demo

    totals = generate_demo(_store(ctx, create=True), load_structure(), cases=cases, conversations=conversations,
                           notes=notes, seed=seed)
    click.echo(
        f"Added {totals['cases']} synthetic case(s), {totals['conversations']} conversations, "
        f"{totals['notes']} notes."
    )


# ------------------------------------------------------------------ export, hand-over, merge
@main.command()
@click.option("--case", "reference", help="Export a whole case (the analysis pack and data).")
@click.option("--conversation", "conversation_id", help="Export one conversation's typed-up record.")
@click.option("--format", "fmt", required=True, type=click.Choice(["md", "docx", "csv", "json", "qdpx"]))
@click.option("--out", required=True, type=click.Path(path_type=Path), help="The file to write.")
@click.option("--force", is_flag=True,
              help="Replace an existing file (never the database or any other database file).")
@click.option("--include-workflow-tags", is_flag=True, help="Show the pair's workflow tags in a record.")
@click.pass_context
def export(ctx: click.Context, reference: str | None, conversation_id: str | None, fmt: str, out: Path,
           force: bool, include_workflow_tags: bool) -> None:
    """Export a case (md, docx, csv, json, qdpx) or one conversation's record (md, docx).

    An existing file is refused unless --force is given; the database is never replaced."""
    store = _store(ctx)
    structure = load_structure()
    if bool(reference) == bool(conversation_id) or (include_workflow_tags and reference):
        raise StoreError("Give either --case REF or --conversation ID (--include-workflow-tags is for a record).")
    from assistant.workflows import export_case_to, export_record_to

    if conversation_id:
        from assistant.conversation import Conversation
        from assistant.exports.record import RECORD_FORMATS

        if fmt not in RECORD_FORMATS:
            raise StoreError("A conversation's record is exported as md or docx.")
        conversation = Conversation(store, structure, resolve_id(store, "conversation", conversation_id), actor="cli")
        result = export_record_to(conversation, fmt, out, force=force, include_workflow_tags=include_workflow_tags)
    else:
        case_reference = resolve_case(store, reference)["reference"]  # a reference or a unique id prefix
        result = export_case_to(store, structure, case_reference, fmt, out, actor="cli", force=force)
    for path in result.paths:
        click.echo(f"Wrote {visible(str(path))}")
    if result.warning:
        click.echo(f"Warning: {result.warning}", err=True)


@main.command()
@click.option("--out", required=True, type=click.Path(path_type=Path), help="The hand-over file to create.")
@click.option("--encrypt", "encrypt_copy", is_flag=True, help="Encrypt the copy with its own passphrase (recommended).")
@click.option("--plain", is_flag=True, help="Write an unencrypted copy (recorded in the audit trail).")
@click.option("--handover-passphrase-file", type=click.Path(dir_okay=False, path_type=Path),
              help="A file holding the copy's passphrase (else LEARNING_TOGETHER_HANDOVER_PASSPHRASE, else asked).")
@click.pass_context
def handover(ctx: click.Context, out: Path, encrypt_copy: bool, plain: bool,
             handover_passphrase_file: Path | None) -> None:
    """Make a consistent hand-over copy of this database for the lead reviewer."""
    from assistant.merge import handover as make_handover

    if encrypt_copy == plain:
        raise StoreError("Choose --encrypt (recommended) or --plain for the hand-over copy.")
    passphrase = None
    if encrypt_copy:
        passphrase = _secret(handover_passphrase_file, settings.HANDOVER_PASSPHRASE_ENV,
                             "Passphrase for the hand-over copy", confirm=True)
        if passphrase is None:
            raise StoreError("Give the hand-over copy a passphrase (LEARNING_TOGETHER_HANDOVER_PASSPHRASE or "
                             "--handover-passphrase-file).")
    path = make_handover(_store(ctx), out, actor="cli", passphrase=passphrase)
    kind = "encrypted" if passphrase else "NOT encrypted"
    click.echo(f"Hand-over copy written to {visible(str(path))} ({kind}; readable by you only).")


@main.command()
@click.argument("sources", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--source-passphrase-file", type=click.Path(dir_okay=False, path_type=Path),
              help="A file holding the hand-over files' passphrase (else LEARNING_TOGETHER_SOURCE_PASSPHRASE, "
                   "else asked).")
@click.pass_context
def merge(ctx: click.Context, sources: tuple[Path, ...], source_passphrase_file: Path | None) -> None:
    """Bring pair databases into --db; safe to repeat (nothing is added twice)."""
    from assistant.merge import is_encrypted_source, merge_source

    store = _store(ctx, create=True)
    passphrase = None
    if any(is_encrypted_source(Path(s)) for s in sources):
        passphrase = _secret(source_passphrase_file, settings.SOURCE_PASSPHRASE_ENV,
                             "Passphrase for the hand-over files")
    for number, source in enumerate(sources):
        try:
            report = merge_source(store, source, actor="cli", passphrase=passphrase)
        except StoreError as error:
            if not number:
                if len(sources) == 1:
                    raise
                raise StoreError(f"{error} None of the files was merged ({_names(sources)}).") from None
            done = _names(sources[:number])
            rest = sources[number:]
            verb = "was not" if len(rest) == 1 else "were not"
            raise StoreError(f"{error} {done} {'was' if number == 1 else 'were'} merged; {_names(rest)} {verb}.") \
                from None
        click.echo(visible(report.summary()))


def _names(paths: tuple[Path, ...]) -> str:
    names = [Path(p).name for p in paths]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


# ------------------------------------------------------------------ encryption
NEW_PASSPHRASE_ENV = settings.NEW_PASSPHRASE_ENV


@main.command()
@click.option("--encrypt", "encrypted", is_flag=True, help="Protect the new database with a passphrase.")
@click.pass_context
def init(ctx: click.Context, encrypted: bool) -> None:
    """Create the database (encrypted with --encrypt); an existing one is left alone."""
    from assistant.store import check_name

    path = settings.db_path(ctx.obj["db"])
    check_name(path, "database")
    if os.path.lexists(path):
        raise StoreError(f"{path} already exists; nothing was changed.")
    passphrase = None
    if encrypted:
        passphrase = _secret(ctx.obj["passphrase_file"], PASSPHRASE_ENV, "New passphrase", confirm=True)
        if passphrase is None:
            raise StoreError("Give a passphrase (LEARNING_TOGETHER_PASSPHRASE or --passphrase-file).")
    store = open_store(path, passphrase=passphrase, encrypt_new=encrypted)
    store.close()
    click.echo(f"Created {'an encrypted' if encrypted else 'a plain'} database at {visible(str(path))}.")


@main.command()
@click.option("--new-passphrase-file", type=click.Path(dir_okay=False, path_type=Path),
              help="A file holding the new passphrase (else LEARNING_TOGETHER_NEW_PASSPHRASE, else asked).")
@click.pass_context
def rekey(ctx: click.Context, new_passphrase_file: Path | None) -> None:
    """Change an encrypted database's passphrase."""
    store = _store(ctx, exclusive=True)
    new = _secret(new_passphrase_file, NEW_PASSPHRASE_ENV, "New passphrase", confirm=True)
    if new is None:
        raise StoreError("Give the new passphrase (LEARNING_TOGETHER_NEW_PASSPHRASE or --new-passphrase-file).")
    store.rekey(new)
    store.close()
    click.echo("The passphrase has been changed.")


@main.command()
@click.option("--new-passphrase-file", type=click.Path(dir_okay=False, path_type=Path),
              help="A file holding the passphrase (else LEARNING_TOGETHER_NEW_PASSPHRASE, else asked).")
@click.pass_context
def encrypt(ctx: click.Context, new_passphrase_file: Path | None) -> None:
    """Encrypt a plain database in place (an encrypted copy is made and checked before it replaces it)."""
    from assistant.store import encrypt_database

    path = settings.db_path(ctx.obj["db"])
    new = _secret(new_passphrase_file, NEW_PASSPHRASE_ENV, "New passphrase", confirm=True)
    if new is None:
        raise StoreError("Give a passphrase (LEARNING_TOGETHER_NEW_PASSPHRASE or --new-passphrase-file).")
    backups = encrypt_database(path, new)
    click.echo(f"{visible(str(path))} is now encrypted. Keep the passphrase safe: without it the notes cannot be read.")
    for name, outcome in backups:
        if outcome == "encrypted":
            click.echo(f"The backup {visible(name)} beside it is now encrypted with the same passphrase.")
        else:
            click.echo(f"The plain backup {visible(name)} beside it could not be encrypted, so it was removed.")


# ------------------------------------------------------------------ erasure
@main.command()
@click.option("--conversation", "conversation_id", help="Erase one conversation.")
@click.option("--case", "reference", help="Erase a whole case and all its conversations.")
@click.option("--reason", required=True, help="Why (kept in the audit trail; the content is not).")
@click.pass_context
def erase(ctx: click.Context, conversation_id: str | None, reference: str | None, reason: str) -> None:
    """Erase a conversation or a case for good: tables, search index and log; a tombstone stays."""
    from assistant.erasure import erase_case, erase_conversation

    if bool(conversation_id) == bool(reference):
        raise StoreError("Give either --conversation ID or --case REF.")
    store = _store(ctx, exclusive=True)
    if conversation_id:
        counts = erase_conversation(store, resolve_id(store, "conversation", conversation_id), reason, actor="cli")
    else:
        counts = erase_case(store, reference, reason, actor="cli")
    if counts.already:
        click.echo("That was already erased; the file has now been cleaned of it as well.")
    else:
        click.echo(f"Erased {counts.get('notes', 0)} note(s) and {sum(counts.values())} row(s) in all; "
                   "the audit trail keeps a tombstone.")
    for line in counts.backups:
        click.echo(visible(line))


# ------------------------------------------------------------------ coach
@main.command()
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


# ------------------------------------------------------------------ audit
@main.group()
def audit() -> None:
    """The append-only, hash-chained audit trail."""


@audit.command("verify")
@click.pass_context
def audit_verify(ctx: click.Context) -> None:
    """Exit 0 when the audit trail is sound, 1 naming the first changed event."""
    from assistant.store import audit_report

    report = audit_report(_store(ctx))
    if report.problem:
        click.echo(f"Error: the audit trail is broken: {visible(str(report.problem))}.", err=True)
        sys.exit(1)
    click.echo(report.summary())


from assistant.cli_preparation import register  # noqa: E402  (the commands before the conversations)
register(main, _store)
from assistant.cli_after import register as register_after  # noqa: E402  (the commands after the conversations)
register_after(main, _store)
if __name__ == "__main__":  # pragma: no cover
    main()
