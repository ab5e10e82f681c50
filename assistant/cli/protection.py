"""Protecting the database: creating it encrypted, changing its passphrase, encrypting it in place,
and checking the audit trail."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from assistant import settings
from assistant.cli.common import PASSPHRASE_ENV, open_db, secret
from assistant.safe_text import visible
from assistant.store import StoreError, open_store

NEW_PASSPHRASE_ENV = settings.NEW_PASSPHRASE_ENV


@click.command()
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
        passphrase = secret(ctx.obj["passphrase_file"], PASSPHRASE_ENV, "New passphrase", confirm=True)
        if passphrase is None:
            raise StoreError("Give a passphrase (LEARNING_TOGETHER_PASSPHRASE or --passphrase-file).")
    store = open_store(path, passphrase=passphrase, encrypt_new=encrypted)
    store.close()
    click.echo(f"Created {'an encrypted' if encrypted else 'a plain'} database at {visible(str(path))}.")


@click.command()
@click.option("--new-passphrase-file", type=click.Path(dir_okay=False, path_type=Path),
              help="A file holding the new passphrase (else LEARNING_TOGETHER_NEW_PASSPHRASE, else asked).")
@click.pass_context
def rekey(ctx: click.Context, new_passphrase_file: Path | None) -> None:
    """Change an encrypted database's passphrase."""
    store = open_db(ctx, exclusive=True)
    new = secret(new_passphrase_file, NEW_PASSPHRASE_ENV, "New passphrase", confirm=True)
    if new is None:
        raise StoreError("Give the new passphrase (LEARNING_TOGETHER_NEW_PASSPHRASE or --new-passphrase-file).")
    store.rekey(new)
    store.close()
    click.echo("The passphrase has been changed.")


@click.command()
@click.option("--new-passphrase-file", type=click.Path(dir_okay=False, path_type=Path),
              help="A file holding the passphrase (else LEARNING_TOGETHER_NEW_PASSPHRASE, else asked).")
@click.pass_context
def encrypt(ctx: click.Context, new_passphrase_file: Path | None) -> None:
    """Encrypt a plain database in place (an encrypted copy is made and checked before it replaces it)."""
    from assistant.store import encrypt_database

    path = settings.db_path(ctx.obj["db"])
    new = secret(new_passphrase_file, NEW_PASSPHRASE_ENV, "New passphrase", confirm=True)
    if new is None:
        raise StoreError("Give a passphrase (LEARNING_TOGETHER_NEW_PASSPHRASE or --new-passphrase-file).")
    backups = encrypt_database(path, new)
    click.echo(f"{visible(str(path))} is now encrypted. Keep the passphrase safe: without it the notes cannot be read.")
    for name, outcome in backups:
        if outcome == "encrypted":
            click.echo(f"The backup {visible(name)} beside it is now encrypted with the same passphrase.")
        else:
            click.echo(f"The plain backup {visible(name)} beside it could not be encrypted, so it was removed.")


@click.group()
def audit() -> None:
    """The append-only, hash-chained audit trail."""


@audit.command("verify")
@click.pass_context
def audit_verify(ctx: click.Context) -> None:
    """Exit 0 when the audit trail is sound, 1 naming the first changed event."""
    from assistant.store import audit_report

    report = audit_report(open_db(ctx))
    if report.problem:
        click.echo(f"Error: the audit trail is broken: {visible(str(report.problem))}.", err=True)
        sys.exit(1)
    click.echo(report.summary())
