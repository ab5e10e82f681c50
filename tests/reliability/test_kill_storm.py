"""Durability under SIGKILL: a writer killed at 60 random moments loses no acknowledged note, never
leaves half a batch, and every note keeps its audit event; the database always passes integrity_check.
Also: a migration killed part-way, and a merge killed part-way."""

from __future__ import annotations

import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from assistant.cases import add_case
from assistant.conversation import create_conversation
from assistant.store import open_store, verify_audit
from assistant.store.versions import SCHEMA_VERSION
from assistant.structure import load_structure

from tests.reliability.harness import ROOT
from tests.unit.pairs import old_schema_database, pair_database

KILLS = 60


def test_kill_storm(tmp_path):
    db = tmp_path / "storm.db"
    store = open_store(db)
    conversation_id = create_conversation(store, load_structure(), case_id=add_case(store, "R1", "Family A"),
                                          practitioner_role="Health Visitor")
    store.close()
    rng = random.Random(20261126)
    acknowledged: set[str] = set()
    writer = Path(__file__).with_name("writer.py")
    for kill in range(KILLS):
        process = subprocess.Popen([sys.executable, str(writer), str(db), conversation_id, str(kill)],
                                   stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=ROOT,
                                   env={**os.environ, "PYTHONPATH": str(ROOT)})
        first = process.stdout.readline()  # wait until it is writing
        assert first.startswith(b"ACK"), first
        time.sleep(rng.uniform(0.0, 0.15))
        process.send_signal(signal.SIGKILL)
        output = first + process.stdout.read()
        process.wait()
        for line in output.decode().splitlines():
            if line.startswith("ACK "):
                acknowledged.update(line[4:].split(","))
        conn = sqlite3.connect(db)
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok", f"after kill {kill}"
        conn.close()
    conn = sqlite3.connect(db)
    notes = dict(conn.execute("SELECT id, body FROM notes").fetchall())
    assert acknowledged <= set(notes), f"{len(acknowledged - set(notes))} acknowledged notes lost"
    batches: dict[str, set[int]] = {}
    sizes: dict[str, int] = {}
    for body in notes.values():
        match = re.match(r"batch (\S+) (\d+)/(\d+)", body)
        batches.setdefault(match.group(1), set()).add(int(match.group(2)))
        sizes[match.group(1)] = int(match.group(3))
    for batch, members in batches.items():
        assert members == set(range(1, sizes[batch] + 1)), f"half a batch: {batch}"
    with_event = {r[0] for r in conn.execute("SELECT entity_id FROM events WHERE entity = 'note' AND action = 'create'")}
    assert set(notes) <= with_event
    conn.close()
    store = open_store(db)
    assert verify_audit(store)[1] is None
    store.close()
    print(f"\nkill storm: {KILLS} SIGKILLs, {len(notes)} notes, {len(acknowledged)} acknowledged, none lost")


def test_interrupted_migration_is_all_old_or_all_new(tmp_path):
    rng = random.Random(7)
    outcomes = set()
    for trial in range(12):
        path = tmp_path / f"old-{trial}.db"
        old_schema_database(path)
        process = subprocess.Popen([sys.executable, "-m", "assistant", "--db", str(path), "case", "list"],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
        time.sleep(rng.uniform(0.05, 0.6))
        process.send_signal(signal.SIGKILL)
        process.wait()
        conn = sqlite3.connect(path)
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert version in (1, SCHEMA_VERSION)
        assert ("findings" in tables) == (version == SCHEMA_VERSION)
        conn.close()
        outcomes.add(version)
        backup = path.with_name(f"{path.name}.before-v{SCHEMA_VERSION}.bak")
        if version == SCHEMA_VERSION:
            assert backup.exists()
        if backup.exists():
            assert sqlite3.connect(backup).execute("PRAGMA user_version").fetchone()[0] == 1
        store = open_store(path)  # a rerun always completes
        assert store.scalar("PRAGMA user_version") == SCHEMA_VERSION
        store.close()
    print(f"\ninterrupted migrations: outcomes seen {sorted(outcomes)}")


def test_merge_killed_part_way_is_completed_by_a_rerun(tmp_path):
    sources = [pair_database(tmp_path / f"pair-{i}.db", f"Practitioner {i}", [f"Moment {i}a", f"Moment {i}b"])["path"]
               for i in range(8)]
    reference = tmp_path / "reference.db"
    store = open_store(reference)
    for source in sources:
        from assistant.merge import merge_source

        merge_source(store, source)
    expected = store.scalar("SELECT COUNT(*) FROM notes")
    store.close()
    rng = random.Random(11)
    for trial in range(6):
        lead = tmp_path / f"lead-{trial}.db"
        open_store(lead).close()
        process = subprocess.Popen([sys.executable, "-m", "assistant", "--db", str(lead), "merge",
                                    *[str(s) for s in sources]],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
        time.sleep(rng.uniform(0.2, 1.0))
        process.send_signal(signal.SIGKILL)
        process.wait()
        conn = sqlite3.connect(lead)
        per_conversation = conn.execute(
            "SELECT v.id, COUNT(n.id) FROM conversations v LEFT JOIN notes n ON n.conversation_id = v.id GROUP BY v.id"
        ).fetchall()
        assert all(count == 8 for _, count in per_conversation), "a conversation was half merged"
        conn.close()
        result = subprocess.run([sys.executable, "-m", "assistant", "--db", str(lead), "merge",
                                 *[str(s) for s in sources]], capture_output=True, text=True, cwd=ROOT)
        assert result.returncode == 0, result.stderr
        assert sqlite3.connect(lead).execute("SELECT COUNT(*) FROM notes").fetchone()[0] == expected
