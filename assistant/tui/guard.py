"""Keeping the screen alive when the database refuses a change.

Every write is one transaction, so a refusal (busy, full, read-only) leaves nothing half-done; the
user is told in one sentence and carries on. An exception escaping a Textual handler would stop that
widget's message loop, so handlers that write are wrapped.
"""

from __future__ import annotations

import functools
from typing import Any, Callable, TypeVar

from assistant.store import StoreError

Handler = TypeVar("Handler", bound=Callable[..., Any])


def guarded(method: Handler) -> Handler:
    """Wrap a screen method: a `StoreError` becomes a message on screen."""

    @functools.wraps(method)
    def wrapper(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except StoreError as error:
            self.app.say(str(error), error=True)
            return None

    return wrapper  # type: ignore[return-value]


def shielded(app: Any, callback: Callable[..., Any]) -> Callable[..., Any]:
    """The same for a dialog's result callback (a plain function)."""

    @functools.wraps(callback)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return callback(*args, **kwargs)
        except StoreError as error:
            app.say(str(error), error=True)
            return None

    return wrapper
