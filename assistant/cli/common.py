"""What every command shares: one-sentence errors, opening --db, passphrases, the structure."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from assistant import settings
from assistant.errors import LearningTogetherError
from assistant.safe_text import visible, visible_json


class OneSentenceGroup(click.Group):
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


def secret(file: Path | None, env: str, prompt: str | None, confirm: bool = False) -> str | None:
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


def open_db(ctx: click.Context, *, exclusive: bool = False, create: bool = False):
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
    store = unlock(path, ask, 3, passphrase=secret(ctx.obj["passphrase_file"], PASSPHRASE_ENV, None),
                   tell=lambda message: click.echo(message, err=True), exclusive=exclusive, create=create)
    ctx.call_on_close(store.close)
    if not existed:
        click.echo(f"Note: created a new, unencrypted database at {visible(str(path))}.", err=True)
    return store



def default_structure():
    """The default structure, imported when a command needs it (pydantic is slow to import)."""
    from assistant.structure import load_structure

    return load_structure()


def case_by_reference(store, reference: str) -> dict[str, Any]:
    from assistant.short_ids import resolve_case

    return resolve_case(store, reference)


def id_by_prefix(store, table: str, noun: str, text: str) -> str:
    """The one id in `table` that starts with `text`."""
    from assistant.short_ids import IdError

    text = (text or "").strip().lower()
    found = store.query(f"SELECT id FROM {table} WHERE substr(id, 1, ?) = ? LIMIT 2", (len(text), text)) if text else []
    if len(found) != 1:
        raise IdError(f"No single {noun} has an id starting '{text[:40]}'; give more of its characters.")
    return found[0]["id"]


def open_case(ctx: click.Context, reference: str, find=case_by_reference) -> tuple[Any, str]:
    """Open --db and find the case a command names: the store and the case's id."""
    store = open_db(ctx)
    return store, find(store, reference)["id"]


def show_for_case(ctx: click.Context, reference: str, read, show, as_json: bool, find=case_by_reference) -> None:
    """The one shape of every listing of a case: read `read(store, case_id)`, then print it as JSON with
    --json, else as text with `show`."""
    store, case_id = open_case(ctx, reference, find)
    found = read(store, case_id)
    if as_json:
        click.echo(visible_json(found, indent=2))
    else:
        show(found)
