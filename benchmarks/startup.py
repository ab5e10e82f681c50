"""Start-up: time from starting the process until the home screen is first painted (headless), against
a bare Textual app with the same number of widgets, in the same run. Budget: ≤ 1.25× the bare app."""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import report

ROOT = Path(__file__).resolve().parent.parent
RUNS = 12
BUDGET = 1.25  # the home screen may take a quarter longer than a bare app with as many widgets

# The same path as `learning-together` (run_app), exiting once the home screen is painted.
PRODUCT = """
import sys, time
from assistant.tui.app import LearningTogetherApp
from assistant.store import open_store
def structure():
    from assistant.structure import load_structure
    return load_structure()
class FirstPaint(LearningTogetherApp):
    def on_ready(self):
        self.call_after_refresh(self.painted)
    def painted(self):
        print("PAINTED", time.time(), flush=True)
        self.exit()
FirstPaint(open_store(sys.argv[1], exclusive=True, busy_timeout_ms=150), structure).run(headless=True)
"""

BARE = """
import time
from textual.app import App
from textual.containers import Vertical
from textual.widgets import DataTable, Footer, Header, Static
class Bare(App):
    def compose(self):
        yield Header()
        with Vertical():
            yield Static("text")
            yield DataTable()
        yield Footer()
    def on_ready(self):
        self.call_after_refresh(self.painted)
    def painted(self):
        print("PAINTED", time.time(), flush=True)
        self.exit()
Bare().run(headless=True)
"""


def run(code: str, *args: str) -> float:
    """Seconds from starting the process to the first paint of its screen (what a user waits for;
    work the app does after the first paint, such as loading the structure, is not counted)."""
    start = time.time()
    result = subprocess.run([sys.executable, "-c", code, *args], check=True, cwd=ROOT, capture_output=True,
                            text=True)
    painted = next(line for line in result.stdout.splitlines() if line.startswith("PAINTED"))
    return float(painted.split()[1]) - start


def main() -> bool:
    db = Path(tempfile.mkdtemp()) / "startup.db"
    run(PRODUCT, str(db))  # creates the database; also warms the file cache
    run(BARE)
    product, bare = [], []
    for _ in range(RUNS):  # interleaved so both see the same machine conditions
        bare.append(run(BARE))
        product.append(run(PRODUCT, str(db)))
    product_ms = statistics.median(product) * 1000
    bare_ms = statistics.median(bare) * 1000
    print(f"     start-up medians over {RUNS} runs: bare Textual app {bare_ms:.0f} ms, home screen {product_ms:.0f} ms")
    report("start-up: home screen / bare Textual app (ratio)", product_ms / bare_ms, BUDGET, "x")
    return product_ms / bare_ms <= BUDGET


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
