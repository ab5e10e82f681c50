"""Scale: a 200,000-note store (demo: 100 cases × 10 conversations × 200 notes). Opening one case's
review (all its queries), a tag filter, a full-text search and the coverage matrix; then the review
screen opened through Pilot with the longest event-loop stall measured, and the TUI's peak memory.
Budgets: 150, 30, 10, 50 ms; stall 16 ms (one frame); memory 150 MB. For comparison the same stall is
printed for a case of 20 notes: what is left there is the screen's own first layout and paint, which
no amount of data moves."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import median_ms, report, timed

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.cases import find_case  # noqa: E402
from assistant.review import (case_episodes, case_moments, coverage_matrix, findings, influence_counts,  # noqa: E402
                              live_conversations, search_notes)
from assistant.store import open_store  # noqa: E402
from assistant.structure import load_structure  # noqa: E402

PILOT = r"""
import asyncio, json, resource, sys, time
from assistant.store import open_store
from assistant.structure import load_structure
from assistant.tui.app import LearningTogetherApp
from assistant.tui.screens.review import ReviewScreen

async def main():
    app = LearningTogetherApp(open_store(sys.argv[1], exclusive=True, busy_timeout_ms=150), load_structure,
                              clock=False)
    longest = 0.0
    running = True
    async def watch():
        nonlocal longest
        loop = asyncio.get_running_loop()
        while running:
            start = loop.time()
            await asyncio.sleep(0.002)
            longest = max(longest, loop.time() - start - 0.002)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()  # the structure warms up after the first paint
        watcher = asyncio.create_task(watch())
        await asyncio.sleep(0.05)
        longest = 0.0
        app.push_screen(ReviewScreen(sys.argv[2]))
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause(0.2)
        running = False
        await watcher
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"stall_ms": longest * 1000, "peak_mb": peak}))

asyncio.run(main())
"""


def build(db: Path, cases: int = 100, notes: int = 200) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "assistant", "--db", str(db), "demo", "--cases", str(cases),
                    "--conversations", "10", "--notes", str(notes), "--seed", "1"], check=True, cwd=ROOT,
                   capture_output=True)
    return time.perf_counter() - start


def review_screen(db: Path, case_id: str) -> dict[str, float]:
    """Open the review screen on one case through Pilot: the longest stall and the peak memory."""
    result = subprocess.run([sys.executable, "-c", PILOT, str(db), case_id], capture_output=True, text=True,
                            cwd=ROOT, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> bool:
    db = Path(tempfile.mkdtemp()) / "scale.db"
    seconds = build(db)
    structure = load_structure()
    store = open_store(db)
    notes = store.scalar("SELECT COUNT(*) FROM notes")
    print(f"     built a store of {notes:,} notes in {seconds:.1f} s ({db.stat().st_size / 1e6:.0f} MB)")
    case_id = find_case(store, "DEMO-1-050")["id"]

    def open_review():
        live_conversations(store, case_id)
        coverage_matrix(store, structure, case_id)
        case_moments(store, case_id)
        case_episodes(store, case_id)
        influence_counts(store, structure, case_id)
        findings(store, case_id)
        search_notes(store, case_id, limit=300)

    ok = report("open one case's review (every query)", median_ms(timed(open_review)), 150)
    ok &= report("tag filter (one tag, one case)",
                 median_ms(timed(lambda: search_notes(store, case_id, tag="factor_conditions"))), 30)
    ok &= report("full-text search (one case)", median_ms(timed(lambda: search_notes(store, case_id, text="admin"))), 10)
    ok &= report("coverage matrix (10 conversations)",
                 median_ms(timed(lambda: coverage_matrix(store, structure, case_id))), 50)
    store.close()
    figures = review_screen(db, case_id)
    ok &= report("review screen through Pilot: longest event-loop stall", figures["stall_ms"], 16)
    small = db.with_name("small.db")
    build(small, cases=1, notes=2)
    small_store = open_store(small)
    small_case = find_case(small_store, "DEMO-1-001")["id"]
    small_store.close()
    floor = review_screen(small, small_case)["stall_ms"]
    print(f"     for comparison, the same stall on a case of 20 notes: {floor:.2f} ms")
    ok &= report("TUI peak memory on the 200,000-note store", figures["peak_mb"], 150, "MB")
    return ok


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
