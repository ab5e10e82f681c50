"""Data leaving and arriving: exports, hand-over copies, merges, and erasure."""

from __future__ import annotations

from pathlib import Path

import click

from assistant import settings
from assistant.cli.common import default_structure, open_db, secret
from assistant.short_ids import resolve_case, resolve_id
from assistant.safe_text import visible
from assistant.store import StoreError
from assistant.words import counted


@click.command()
@click.option("--case", "reference", help="Export a whole case (the analysis pack and data).")
@click.option("--conversation", "conversation_id", help="Export one conversation's typed-up record.")
@click.option("--format", "fmt", required=True, type=click.Choice(["md", "docx", "csv", "json", "qdpx"]))
@click.option("--out", required=True, type=click.Path(path_type=Path), help="The file to write.")
@click.option("--force", is_flag=True,
              help="Replace an existing file (never the database or any other database file).")
@click.option("--include-workflow-tags", is_flag=True, help="Show the pair's workflow tags in a record.")
@click.option("--pack", type=click.Choice(["first", "second"]),
              help="With --case: the pack for the case group's first or second follow-on meeting (md, docx).")
@click.option("--accept-names", is_flag=True,
              help="Write a pack even though it holds text listed as a possible name or place.")
@click.pass_context
def export(ctx: click.Context, reference: str | None, conversation_id: str | None, fmt: str, out: Path,
           force: bool, include_workflow_tags: bool, pack: str | None, accept_names: bool) -> None:
    """Export a case (md, docx, csv, json, qdpx), a follow-on meeting pack (md, docx) or one conversation's
    record (md, docx).

    An existing file is refused unless --force is given; the database is never replaced."""
    store = open_db(ctx)
    structure = default_structure()
    if bool(reference) == bool(conversation_id) or (include_workflow_tags and reference):
        raise StoreError("Give either --case REF or --conversation ID (--include-workflow-tags is for a record).")
    if pack or accept_names:
        return _meeting_pack(store, structure, reference, pack, fmt, out, force, accept_names)
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


def _meeting_pack(store, structure, reference: str | None, which: str | None, fmt: str, out: Path, force: bool,
                  accept_names: bool) -> None:
    """Build the pack, list any text that may identify someone, then write it only if that is accepted."""
    from assistant.exports.meeting_pack import PACK_FORMATS, build_meeting_pack, write_meeting_pack

    if not reference or not which:
        raise StoreError("A follow-on meeting pack needs --case REF and --pack first|second.")
    if fmt not in PACK_FORMATS:
        raise StoreError("A follow-on meeting pack is written as md or docx.")
    made = build_meeting_pack(store, structure, resolve_case(store, reference)["reference"], which)
    if made.identifying:
        click.echo("Text that may identify someone (check each before the pack is shared):")
        for found in made.identifying:
            click.echo(visible(f"  {found.words} ({found.kind}; first in “{found.where}”)"))
    if which == "first":
        from assistant.cli.report import warn_of_hindsight

        warn_of_hindsight(store, made.case["id"])
    path = write_meeting_pack(store, made, fmt, out, force=force, accept_names=accept_names, actor="cli")
    click.echo(f"Wrote {visible(str(path))}")
    click.echo(f"Pack version: {made.version} (record it with `meeting add --pack-version {made.version}`)")


@click.command()
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
        passphrase = secret(handover_passphrase_file, settings.HANDOVER_PASSPHRASE_ENV,
                             "Passphrase for the hand-over copy", confirm=True)
        if passphrase is None:
            raise StoreError("Give the hand-over copy a passphrase (LEARNING_TOGETHER_HANDOVER_PASSPHRASE or "
                             "--handover-passphrase-file).")
    path = make_handover(open_db(ctx), out, actor="cli", passphrase=passphrase)
    kind = "encrypted" if passphrase else "NOT encrypted"
    click.echo(f"Hand-over copy written to {visible(str(path))} ({kind}; readable by you only).")


class _MergeGroup(click.Group):
    """`merge FILE...` merges, as it always has; `merge conflicts` and `merge resolve` deal with what a
    merge set aside. Anything but those names (and --help) is taken as the files to merge; a file
    named like a command is given with its folder (./conflicts)."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not args or (args[0] not in self.commands and args[0] not in ("--help", "-h")):
            args = ["files", *args]
        return super().parse_args(ctx, args)


@click.group(cls=_MergeGroup, epilog="Merging files: merge FILE... [--source-passphrase-file PATH] "
                                     "(`merge files --help` tells more).")
def merge() -> None:
    """Bring pair databases into --db (merge FILE...; safe to repeat, nothing is added twice), list what a
    merge set aside (merge conflicts) and resolve it (merge resolve ID --keep mine|theirs)."""


@merge.command("files", hidden=True)
@click.argument("sources", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--source-passphrase-file", type=click.Path(dir_okay=False, path_type=Path),
              help="A file holding the hand-over files' passphrase (else LEARNING_TOGETHER_SOURCE_PASSPHRASE, "
                   "else asked).")
@click.pass_context
def merge_files(ctx: click.Context, sources: tuple[Path, ...], source_passphrase_file: Path | None) -> None:
    """Bring pair databases into --db; safe to repeat (nothing is added twice)."""
    from assistant.merge import is_encrypted_source, merge_source

    store = open_db(ctx, create=True)
    passphrase = None
    if any(is_encrypted_source(Path(s)) for s in sources):
        passphrase = secret(source_passphrase_file, settings.SOURCE_PASSPHRASE_ENV,
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


@merge.command("conflicts")
@click.option("--case", "reference", help="Only this case's conflicts (its reference or id).")
@click.option("--all", "everything", is_flag=True, help="Resolved conflicts too.")
@click.option("--json", "as_json", is_flag=True, help="As JSON, for other tools.")
@click.pass_context
def merge_conflicts(ctx: click.Context, reference: str | None, everything: bool, as_json: bool) -> None:
    """List what merges set aside: what it is, the value here, the incoming value, from which file, when."""
    import json

    from assistant.merge.conflicts import list_conflicts

    store = open_db(ctx)
    case_id = resolve_case(store, reference)["id"] if reference else None
    conflicts = list_conflicts(store, case_id, open_only=not everything)
    if as_json:
        click.echo(visible(json.dumps([c.as_dict() for c in conflicts], indent=2, ensure_ascii=False)))
        return
    if not conflicts:
        click.echo("No open merge conflicts." if not everything else "No merge conflicts.")
        return
    for conflict in conflicts:
        state = "open" if conflict.open else f"resolved: kept {conflict.resolution['keep']}"
        click.echo(visible(f"{conflict.id[:8]}  {conflict.what}  ({conflict.table}; {state})"))
        click.echo(visible(f"    here: {_words(conflict.mine)}"))
        click.echo(visible(f"    incoming: {_words(conflict.theirs)}"))
        click.echo(visible(f"    from {conflict.file}, {conflict.found_at[:16].replace('T', ' ')} UTC"))
    if not everything:
        click.echo("Resolve one with `merge resolve ID --keep mine|theirs --reason TEXT`.")


def _words(value: str) -> str:
    """A status as the screens say it (sent for checking, not sent_for_checking)."""
    from assistant.conversation.model import STATUS_LABELS

    return STATUS_LABELS.get(value, value)


@merge.command("resolve")
@click.argument("conflict_id")
@click.option("--keep", required=True, type=click.Choice(["mine", "theirs"]),
              help="mine: the copy here stays; theirs: the incoming copy is taken (the value here is kept as an "
                   "earlier one).")
@click.option("--reason", default="", help="Why (kept with the resolution).")
@click.pass_context
def merge_resolve(ctx: click.Context, conflict_id: str, keep: str, reason: str) -> None:
    """Resolve one merge conflict (audited; the conflict stays on record, marked resolved)."""
    from assistant.merge.conflicts import resolve_conflict

    conflict = resolve_conflict(open_db(ctx), conflict_id, keep, reason, actor="cli")
    kept = "the copy here" if keep == "mine" else f"the copy from {conflict.file}"
    click.echo(visible(f"Resolved: {conflict.what} keeps {kept}."))




@click.command()
@click.option("--conversation", "conversation_id", help="Erase one conversation.")
@click.option("--case", "reference", help="Erase a whole case and all its conversations.")
@click.option("--reason", required=True, help="Why (kept in the audit trail; the content is not).")
@click.pass_context
def erase(ctx: click.Context, conversation_id: str | None, reference: str | None, reason: str) -> None:
    """Erase a conversation or a case for good: tables, search index and log; a tombstone stays."""
    from assistant.erasure import erase_case, erase_conversation

    if bool(conversation_id) == bool(reference):
        raise StoreError("Give either --conversation ID or --case REF.")
    store = open_db(ctx, exclusive=True)
    if conversation_id:
        counts = erase_conversation(store, resolve_id(store, "conversation", conversation_id), reason, actor="cli")
    else:
        counts = erase_case(store, reference, reason, actor="cli")
    if counts.already:
        click.echo("That was already erased; the file has now been cleaned of it as well.")
    else:
        click.echo(f"Erased {counted(counts.get('notes', 0), 'note')} and {counted(sum(counts.values()), 'row')} in all; "
                   "the audit trail keeps a tombstone.")
    for line in counts.backups:
        click.echo(visible(line))
