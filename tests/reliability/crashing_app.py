"""The real app with two extra keys whose handlers fail outside any guard, with a passphrase in scope:
the only way to reach the last-resort crash path, which guarded handlers never do. Run in a pty by
test_secrets_never_reach_the_terminal.py: `python crashing_app.py DB PASSPHRASE`."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from textual import work  # noqa: E402
from textual.binding import Binding  # noqa: E402

from assistant.store import open_store  # noqa: E402
from assistant.structure import load_structure  # noqa: E402
from assistant.tui.app import LearningTogetherApp  # noqa: E402


class CrashingApp(LearningTogetherApp):
    BINDINGS = LearningTogetherApp.BINDINGS + [
        Binding("f11", "crash", "Crash here"),
        Binding("f12", "crash_in_worker", "Crash in a worker"),
    ]

    def action_crash(self) -> None:
        passphrase = sys.argv[2]
        values = {"paths": "/tmp/folder", "passphrase": passphrase}
        raise RuntimeError(f"could not use {values['passphrase']}")

    def action_crash_in_worker(self) -> None:
        self._work(sys.argv[2])

    @work(thread=True)
    def _work(self, passphrase: str) -> None:
        raise ValueError(f"worker failed with {passphrase}")


if __name__ == "__main__":
    app = CrashingApp(open_store(Path(sys.argv[1]), exclusive=True), load_structure)
    app.run()
    sys.exit(app.return_code or 0)
