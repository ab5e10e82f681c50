"""Exports of one case (10 conversations × 200 notes) to md, docx, csv, json and qdpx: 300 ms each.
Merging 20 pair databases × 200 notes into a lead's: 2 s; merging them all again: 0.5 s."""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from common import median_ms, report, timed

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.demo import generate_demo  # noqa: E402
from assistant.exports.case import CASE_FORMATS, export_case  # noqa: E402
from assistant.merge import merge_source  # noqa: E402
from assistant.store import open_store  # noqa: E402
from assistant.structure import load_structure  # noqa: E402


def exports(folder: Path) -> bool:
    structure = load_structure()
    store = open_store(folder / "export.db")
    generate_demo(store, structure, cases=1, conversations=10, notes=200, seed=5)
    ok = True
    for fmt in CASE_FORMATS:
        counter = iter(range(10_000))
        cpu_start = time.process_time()
        samples = timed(lambda: export_case(store, structure, "DEMO-5-001", fmt,
                                           folder / f"out-{next(counter)}.{fmt}"), runs=7, warmup=1)
        # On a busy machine the clock time is mostly waiting for a processor; the processor time says
        # what the export itself costs.
        cpu_ms = (time.process_time() - cpu_start) / 8 * 1000
        ok &= report(f"export one case (10 × 200 notes) as {fmt}", median_ms(samples), 300)
        print(f"     (processor time {cpu_ms:.0f} ms an export)", flush=True)
    store.close()
    return ok


def merges(folder: Path) -> bool:
    structure = load_structure()
    sources = []
    for i in range(20):
        path = folder / f"pair-{i}.db"
        store = open_store(path)
        generate_demo(store, structure, cases=1, conversations=1, notes=200, seed=100 + i)
        # Pairs name the same case independently: give them all one reference, as in a real review.
        store.conn.execute("UPDATE cases SET reference = 'CSPR-2026-04'")
        store.close()
        sources.append(path)
    lead = open_store(folder / "lead.db")
    start = time.perf_counter()
    for source in sources:
        merge_source(lead, source)
    first = time.perf_counter() - start
    start = time.perf_counter()
    for source in sources:
        merge_source(lead, source)
    again = time.perf_counter() - start
    notes = lead.scalar("SELECT COUNT(*) FROM notes")
    lead.close()
    print(f"     merged {len(sources)} pair databases: {notes:,} notes in the lead's database")
    ok = report("merge 20 pair databases × 200 notes", first, 2.0, "s")
    ok &= report("merge the same 20 again (nothing to add)", again, 0.5, "s")
    return ok


def main() -> bool:
    folder = Path(tempfile.mkdtemp())
    return exports(folder) & merges(folder)


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
