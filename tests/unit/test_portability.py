"""Windows and macOS: the product starts, saves and refuses a second window without the modules and
signals only Linux and macOS have.

Run in a fresh interpreter with `fcntl` hidden and `signal.SIGHUP` removed before anything is imported,
so that no later change can bring a POSIX-only import back unnoticed.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Hides what Windows does not have, then runs the rest of the program given on the command line.
WITHOUT_POSIX = """
import signal, sys
sys.modules["fcntl"] = None  # `import fcntl` now fails, as it does on Windows
if hasattr(signal, "SIGHUP"):
    del signal.SIGHUP
"""

APP_RUN = WITHOUT_POSIX + """
import asyncio, subprocess
from pathlib import Path
from assistant.cli import main  # the whole command line imports
from assistant.store import StoreLocked, open_store
from assistant.structure import load_structure
from assistant.tui.app import LearningTogetherApp
from tests.tui.helpers import type_note
from tests.tui.test_conversation_flow import start_conversation

db = Path(sys.argv[1])
second_window = sys.argv[2]

async def run():
    app = LearningTogetherApp(open_store(db, exclusive=True), load_structure(), clock=False)
    async with app.run_test(size=(100, 32)) as pilot:
        await start_conversation(pilot)
        await type_note(pilot, "The practitioner's own account of the first visit")
        try:
            open_store(db, exclusive=True)
            print("SECOND WINDOW IN THIS PROGRAM WAS LET IN")
        except StoreLocked as error:
            print("refused here:", error)
        other = subprocess.run([sys.executable, "-c", second_window, "--db", str(db)],
                               capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=60)
        print("refused there:", other.returncode, other.stderr.strip())
        await pilot.press("ctrl+q")
    print("fcntl still hidden:", sys.modules["fcntl"] is None)

asyncio.run(run())
"""

SECOND_WINDOW = WITHOUT_POSIX + """
from assistant.cli import main
main()
"""


def test_start_save_and_second_window_refusal_without_fcntl_or_sighup(tmp_path):
    folder = tmp_path / "Dr Ünal's review notes"  # a space, an apostrophe and a non-ASCII letter
    folder.mkdir()
    db = folder / "learning together.db"
    result = subprocess.run([sys.executable, "-c", APP_RUN, str(db), SECOND_WINDOW], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stdout.splitlines()
    assert "refused here: learning together.db is already open in another window or program; close it " \
           "there first." in lines
    assert ("refused there: 1 Error: learning together.db is already open in another window or program; "
            "close it there first.") in lines
    assert "fcntl still hidden: True" in lines
    with sqlite3.connect(db) as conn:
        texts = [row[0] for row in conn.execute("SELECT body FROM notes")]
    assert texts == ["The practitioner's own account of the first visit"]
