"""First run: create the database, protected by a passphrase (recommended) or not."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Footer, Header, Label, Static

from assistant.store import MIN_PASSPHRASE, open_store
from assistant.tui.guard import describe
from assistant.tui.safe import safe
from assistant.tui.widgets.safe_inputs import SafeInput
from assistant.workflows import passphrase_problem

EXPLANATION = (
    "These notes are about children and the professionals around them. On a laptop or a USB stick they "
    "should be encrypted: choose a passphrase of at least {n} characters and keep it safe. Without it the "
    "notes cannot be read by anyone, including you."
)


class FirstRunScreen(Screen):
    """Shown when the database does not exist yet. Both choices fit on an 80×24 screen, and each has a key in
    the footer."""

    DEFAULT_CSS = """
    #passphrases { height: auto; }
    #passphrases Vertical { width: 1fr; height: auto; }
    #passphrases Vertical:first-of-type { margin-right: 2; }
    """
    BINDINGS = [
        Binding("ctrl+s", "encrypted", "Create encrypted database", id="first_run.encrypted", priority=True),
        Binding("ctrl+n", "plain", "Without encryption", id="first_run.plain", priority=True),
    ]

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="first-run"):
            yield Static(Text("Welcome to the Learning Together conversation assistant", style="bold"))
            yield Static(safe(f"A new database will be created at {self.path}."))
            yield Static(Text(EXPLANATION.format(n=MIN_PASSPHRASE)))
            with Horizontal(id="passphrases"):  # side by side, so both choices below fit on a small screen
                with Vertical():
                    yield Label("Passphrase")
                    yield SafeInput(password=True, id="passphrase")
                with Vertical():
                    yield Label("The same passphrase again")
                    yield SafeInput(password=True, id="confirm")
            yield Static("", id="first-run-error", classes="error")
            with Horizontal(classes="buttons"):
                yield Button("Create encrypted database", variant="primary", id="create-encrypted")
                yield Button("Continue without encryption", id="create-plain")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#passphrase").focus()

    def _create(self, passphrase: str | None) -> None:
        problem = passphrase_problem(passphrase) if passphrase is not None else None
        if problem is None:
            try:
                store = open_store(self.path, exclusive=True, busy_timeout_ms=150, passphrase=passphrase,
                                   encrypt_new=passphrase is not None)
            except Exception as error:  # noqa: BLE001 - one sentence; what was typed is kept
                problem = describe(error, "creating the database")
        del passphrase
        if problem is not None:
            self.query_one("#first-run-error", Static).update(safe(problem))
            return
        self.app.start_with(store)

    @on(Button.Pressed, "#create-encrypted")
    @on(SafeInput.Submitted, "#confirm")
    def action_encrypted(self) -> None:
        if self.query_one("#passphrase", SafeInput).value != self.query_one("#confirm", SafeInput).value:
            self.query_one("#first-run-error", Static).update(Text("The two passphrases differ; type them again."))
            return
        self._create(self.query_one("#passphrase", SafeInput).value)

    @on(Button.Pressed, "#create-plain")
    def action_plain(self) -> None:
        self._create(None)
