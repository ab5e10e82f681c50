"""Saving a note with three tags, its audit event and search index (WAL, synchronous FULL): median and
p99 over 2,000 saves, against a raw sqlite3 single-row insert and commit in the same run.
Budget: median ≤ 1 ms and ≤ 2.5× raw."""

from __future__ import annotations

import sqlite3
import sys
import tempfile
import time
from pathlib import Path

from common import median_ms, p99_ms, report

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.cases import add_case  # noqa: E402
from assistant.conversation import Conversation, create_conversation  # noqa: E402
from assistant.store import open_store  # noqa: E402
from assistant.structure import load_structure  # noqa: E402

SAVES = 2000


def main() -> bool:
    folder = Path(tempfile.mkdtemp())
    structure = load_structure()
    store = open_store(folder / "save.db")
    conversation = Conversation(store, structure, create_conversation(
        store, structure, case_id=add_case(store, "B1", "Family A"), practitioner_role="Health Visitor"))
    moment = conversation.moments.add("A moment")
    text = "I had forty cases and no admin support, so the form felt like the end of my part."
    samples = []
    for i in range(SAVES):
        start = time.perf_counter()
        conversation.notes.add(f"{text} {i}", ["words", "follow_up", "factor_conditions"], section_id="influences",
                              episode_id=moment)
        samples.append(time.perf_counter() - start)
    raw = sqlite3.connect(folder / "raw.db", isolation_level=None)
    raw.execute("PRAGMA journal_mode = WAL")
    raw.execute("PRAGMA synchronous = FULL")
    raw.execute("CREATE TABLE notes (id TEXT PRIMARY KEY, body TEXT)")
    raw_samples = []
    for i in range(SAVES):
        start = time.perf_counter()
        raw.execute("BEGIN")
        raw.execute("INSERT INTO notes VALUES (?, ?)", (f"id-{i}", f"{text} {i}"))
        raw.execute("COMMIT")
        raw_samples.append(time.perf_counter() - start)
    median, raw_median = median_ms(samples), median_ms(raw_samples)
    print(f"     saving a note: median {median:.3f} ms, p99 {p99_ms(samples):.3f} ms; "
          f"raw insert+commit median {raw_median:.3f} ms, p99 {p99_ms(raw_samples):.3f} ms")
    ok = report("save a note with 3 tags, audit and search index (median)", median, 1.0)
    ok &= report("save a note / raw sqlite3 insert+commit (ratio)", median / raw_median, 2.5, "x")
    return ok


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
