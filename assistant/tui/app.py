"""The terminal application: opens the store once and hands it to every screen."""

from __future__ import annotations

import asyncio
import signal
import sys
import traceback
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from rich.text import Text
from textual.app import App
from textual.binding import Binding

from assistant.safe_text import visible
from assistant.store import Store, StoreError
from assistant.tui.guard import describe
from assistant.tui.keys import shown_in_help

if TYPE_CHECKING:
    from assistant.structure import Structure


@shown_in_help("Everywhere", 0)
class LearningTogetherApp(App):
    """The Learning Together conversation assistant."""

    TITLE = "Learning Together"
    SUB_TITLE = "conversation assistant"
    CSS_PATH = Path(__file__).with_name("app.tcss")  # absolute, so subclasses elsewhere find it
    ENABLE_COMMAND_PALETTE = True
    BINDINGS = [
        Binding("f1", "help", "Help", id="app.help"),
        Binding("ctrl+q", "quit", "Quit", id="app.quit"),
    ]

    def __init__(self, store: Store | None, structure: "Structure | Callable[[], Structure]", *,
                 clock: bool = True, first_run_path: Path | None = None) -> None:
        """`store` is None on a first run: the first-run screen creates the database at `first_run_path`."""
        super().__init__()
        self.store = store  # type: ignore[assignment]
        self._structure = structure
        self.first_run_path = first_run_path
        # Snapshot tests turn the clock off so screens are the same on every run.
        self.clock = clock

    @property
    def structure(self) -> "Structure":
        """The conversation structure; loaded (and validated) when a screen first needs it, so the
        home screen paints without waiting for it."""
        if callable(self._structure):
            self._structure = self._structure()
        return self._structure

    def on_ready(self) -> None:
        # The home screen is painted: load the structure now, off the UI thread, so the first
        # conversation or review opens without a pause.
        # Half a second later, so that importing pydantic does not compete with the first paint.
        if callable(self._structure):
            self.set_timer(0.5, lambda: self.run_worker(lambda: self.structure, thread=True, group="warm-up"))

    def on_mount(self) -> None:
        from assistant.tui.screens.home import HomeScreen

        if self.store is None:
            from assistant.tui.screens.first_run import FirstRunScreen

            self.push_screen(FirstRunScreen(self.first_run_path))
        else:
            self.push_screen(HomeScreen())
        try:
            loop = asyncio.get_running_loop()
            # SIGHUP (terminal closed) exists only on Linux and macOS.
            for name in ("SIGTERM", "SIGHUP"):
                if hasattr(signal, name):
                    loop.add_signal_handler(getattr(signal, name), self._save_and_exit)
        except (NotImplementedError, RuntimeError, ValueError):
            pass  # no signal support here (a non-main thread in tests): quitting still saves drafts

    def _save_and_exit(self) -> None:
        """Terminal closed or asked to stop: keep every unsaved draft, then leave."""
        self.leave_everything()
        self.exit(return_code=0)

    def leave_everything(self) -> None:
        """Every open conversation saves its draft and closes its section visit. A database refusal
        here cannot be shown any more, and each write is all-or-nothing, so it is passed over."""
        for screen in self.screen_stack:
            leaving = getattr(screen, "leave_conversation", None)
            if leaving:
                try:
                    leaving()
                except StoreError:
                    pass

    async def action_quit(self) -> None:
        self.leave_everything()
        self.exit()

    def action_help(self) -> None:
        # Every screen registers its keys when its module loads; load them all so help lists every one.
        from assistant.tui.screens import (case_group, conversation, dialogs, home,  # noqa: F401
                                           new_conversation, rehearsal, review, summary)
        from assistant.tui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))

    # ---------------------------------------------------------------- the last resort
    # Handlers that do work are guarded (assistant/tui/guard.py), so this is reached only by a bug. Textual
    # would print a traceback with every local variable (a passphrase, a note) and the exception's own
    # message (which may quote them); here the user gets one sentence and the frames, nothing else.

    def _handle_exception(self, error: Exception) -> None:  # type: ignore[override]
        self._return_code = 1
        if self._exception is None:  # Pilot re-raises the first one in tests
            self._exception = error
            self._exception_event.set()
        self._fatal_error(error)

    def _fatal_error(self, error: BaseException | None = None) -> None:  # type: ignore[override]
        if error is None:
            error = sys.exc_info()[1]
        self.bell()
        self._exit_renderables.append(Text(crash_report(error), no_wrap=False))
        self._close_messages_no_wait()

    def say(self, message: str, *, error: bool = False) -> None:
        """A toast with untrusted parts made safe."""
        self.notify(visible(message), severity="error" if error else "information", markup=False)

    def start_with(self, store: Store) -> None:
        """The first-run screen has created the database: carry on to the home screen."""
        from assistant.tui.screens.home import HomeScreen

        self.store = store
        self.switch_screen(HomeScreen())

    def on_unmount(self) -> None:
        if self.store is not None:
            self.store.close()


def crash_report(error: BaseException | None) -> str:
    """What is printed when the app stops on an unexpected exception: one sentence naming the class, then
    where it happened (file, line, function) — no local variables, no source lines, no exception message."""
    from textual.worker import WorkerFailed

    if isinstance(error, WorkerFailed) and isinstance(error.error, BaseException):
        error = error.error
    name = error.__class__.__name__ if error is not None else "an unknown error"
    lines = [f"Learning Together stopped: an unexpected problem ({name}). Saved notes and drafts are in the "
             "database; please report this, with the lines below (they hold no case details)."]
    frames = traceback.extract_tb(error.__traceback__) if error is not None else []
    for frame in frames[-12:]:
        lines.append(f"  {visible(frame.filename)}:{frame.lineno} in {visible(frame.name)}")
    return "\n".join(lines)


def load_structure() -> "Structure":
    """The default structure, imported on first use: pydantic costs more than the home screen's paint."""
    from assistant.structure import load_structure as load

    return load()


def run_app(db: Path | None = None, passphrase: str | None = None) -> int:
    """Open the database (refusing anything unsafe) and run the app; returns the exit status.

    A database that does not exist yet is created by the first-run screen (encrypted or not); an
    encrypted one asks for its passphrase at the terminal unless it was given.
    """
    from getpass import getpass

    from assistant.settings import db_path
    from assistant.workflows import passphrase_problem, passphrase_prompt, unlock

    path = db_path(db)
    if not path.exists():
        app = LearningTogetherApp(None, load_structure, first_run_path=path)
        app.run()
        return app.return_code or 0
    try:
        # A short busy wait: the screen retries a blocked save itself rather than freezing.
        store = unlock(path, (lambda: getpass(f"{passphrase_prompt(path)}: ")) if sys.stdin.isatty() else None, 3,
                       passphrase=passphrase, tell=lambda message: print(message, file=sys.stderr),
                       check=passphrase_problem, exclusive=True, busy_timeout_ms=150)
    except StoreError as error:
        print(f"Error: {visible(str(error))}", file=sys.stderr)
        return 1
    except Exception as error:  # noqa: BLE001 - one sentence, never a traceback with the passphrase in it
        print(f"Error: {visible(describe(error, 'opening the database'))}", file=sys.stderr)
        return 1
    passphrase = None
    app = LearningTogetherApp(store, load_structure)
    app.run()
    return app.return_code or 0
