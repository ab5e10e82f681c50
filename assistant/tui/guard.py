"""Keeping the screen alive whatever a handler runs into.

Every write is one transaction, so a refusal (busy, full, read-only) leaves nothing half-done. Any
failure in a handler that does work — the store's own refusals, a file that cannot be written, a crafted
file that trips an unexpected exception — becomes one sentence on screen and the app carries on. An
exception escaping a Textual handler would stop the app, so handlers that do work are wrapped here, in
one place. Only the exception's class name is ever shown for an unexpected problem: never its message,
never a traceback, never a local variable (a passphrase may be one).
"""

from __future__ import annotations

import functools
import threading
from typing import Any, Callable, TypeVar

from assistant.errors import LearningTogetherError

Handler = TypeVar("Handler", bound=Callable[..., Any])

DEFAULT_WHAT = "that"


def describe(error: BaseException, what: str = DEFAULT_WHAT) -> str:
    """One sentence for any failure; `what` names the work, e.g. "the merge"."""
    if isinstance(error, LearningTogetherError):
        return str(error)  # the product's own refusals are already one sentence
    if isinstance(error, OSError) and not isinstance(error, ConnectionError):
        reason = (error.strerror or error.__class__.__name__).rstrip(".")
        reason = reason[0].lower() + reason[1:] if reason else reason
        where = f" ({_intended(str(error.filename))})" if error.filename else ""
        return f"{_capital(what)} failed: {reason}{where}; nothing was changed."
    return f"An unexpected problem ({error.__class__.__name__}) stopped {what}; nothing was changed."


def _intended(filename: str) -> str:
    """The file the user asked for, not the temporary one it is written through: older copies were built
    as ".name.123.partial"; today's short names (".lt.123.ab12cd34.partial", ".lt-…partial") name only
    their folder."""
    import re

    filename = re.sub(r"(^|/)\.([^/]+)\.\d+\.partial$", r"\1\2", filename)
    folder, _, name = filename.rpartition("/")
    if re.fullmatch(r"\.lt[.-].*\.(partial|creating|encrypting)", name):
        return f"a temporary file in {folder or '.'}"
    return filename


def _capital(text: str) -> str:
    if text == DEFAULT_WHAT:
        return "That"
    return text[:1].upper() + text[1:]


def report(app: Any, error: BaseException, what: str = DEFAULT_WHAT) -> str:
    """Tell the user in one sentence, from the UI thread or a worker thread; returns the sentence."""
    message = describe(error, what)
    if threading.get_ident() == getattr(app, "_thread_id", threading.get_ident()):
        app.say(message, error=True)
    else:
        try:
            app.call_from_thread(app.say, message, error=True)
        except RuntimeError:
            pass  # the app has already closed: there is no screen to tell
    return message


def guarded(method: Handler | None = None, *, what: str = DEFAULT_WHAT) -> Any:
    """Wrap a screen method (`@guarded` or `@guarded(what="the export")`): any failure becomes a message
    on screen. Works for worker threads too (put it under `@work`)."""

    def decorate(function: Handler) -> Handler:
        @functools.wraps(function)
        def wrapper(self, *args: Any, **kwargs: Any) -> Any:
            try:
                return function(self, *args, **kwargs)
            except Exception as error:  # noqa: BLE001 - every failure is one sentence, never a crash
                report(self.app, error, what)
                return None

        return wrapper  # type: ignore[return-value]

    return decorate(method) if method is not None else decorate


def shielded(app: Any, callback: Callable[..., Any], what: str = DEFAULT_WHAT) -> Callable[..., Any]:
    """The same for a dialog's result callback (a plain function)."""

    @functools.wraps(callback)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return callback(*args, **kwargs)
        except Exception as error:  # noqa: BLE001
            report(app, error, what)
            return None

    return wrapper
