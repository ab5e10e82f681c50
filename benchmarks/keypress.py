"""Keypresses on the conversation screen of a 300-note conversation, driven through Pilot: SQL statements
per key (counted with the store connection's trace callback, SQLite's own inner statements left out), how
many of them are reads outside a write transaction, and the median time from key to repaint.
Budgets: at most one read per key (the screen's snapshot), two for Ctrl+S (before saving, the core checks
that nothing changed the conversation elsewhere); F9 (next prompt), Ctrl+N (next section), saving a note
(Ctrl+S) and a re-render each ≤ 5 statements; each key repainted in ≤ 16 ms (median)."""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

from common import report

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.cases import add_case  # noqa: E402
from assistant.conversation import Conversation, create_conversation  # noqa: E402
from assistant.store import open_store  # noqa: E402
from assistant.structure import load_structure  # noqa: E402

NOTES = 300
PRESSES = 12


def _build(db: Path) -> str:
    """A conversation with two key moments and 300 notes spread over its sections, the gate open."""
    structure = load_structure()
    store = open_store(db)
    conversation_id = create_conversation(store, structure, case_id=add_case(store, "B1", "Family A"),
                                          practitioner_role="Health Visitor")
    conversation = Conversation(store, structure, conversation_id)
    moments = [conversation.moments.add("The first home visit"), conversation.moments.add("The strategy meeting")]
    places = []
    for section in structure.sections:
        if section.mode == "per_episode":
            places += [(section, m) for m in moments]
        else:
            places.append((section, None))
    for i in range(NOTES):
        section, moment = places[i % len(places)]
        tags = [t.id for t in structure.codebook.tags if t.group == section.requires_tag_group][:1] \
            if section.requires_tag_group else []
        conversation.notes.add(f"Note {i}: what the practitioner said about the work at the time.",
                  tags=tags, section_id=section.id, episode_id=moment,
                  prompt_id=section.prompts[i % len(section.prompts)].id)
    store.close()
    return conversation_id


def _issued(trace: list[str]) -> list[str]:
    """Statements the app issued: the trace also reports SQLite's own work inside them (lines starting
    "--", the full-text index's "'main'." statements) and repeats a statement for each trigger it fires."""
    issued = [s for s in trace if not s.startswith("--") and "'main'." not in s]
    return [s for i, s in enumerate(issued) if i == 0 or s != issued[i - 1]]


def _reads(statements: list[str]) -> int:
    """Reads outside a write transaction."""
    reads, writing = 0, False
    for statement in statements:
        word = statement.split(None, 1)[0].upper()
        if word == "BEGIN":
            writing = True
        elif word in ("COMMIT", "ROLLBACK"):
            writing = False
        elif word in ("SELECT", "PRAGMA") and not writing:
            reads += 1
    return reads


async def _measure(db: Path, conversation_id: str) -> dict[str, tuple[list[int], list[int], list[float]]]:
    from assistant.tui.app import LearningTogetherApp
    from assistant.tui.screens.conversation import ConversationScreen

    app = LearningTogetherApp(open_store(db, exclusive=True), load_structure(), clock=False)
    statements: list[str] = []
    results: dict[str, tuple[list[int], list[int], list[float]]] = {}

    async def key(pilot, name: str, press: str, before=None) -> None:
        if before:
            await before(pilot)
        statements.clear()
        app.store.conn.set_trace_callback(statements.append)
        start = time.perf_counter()
        if press == "render":
            pilot.app.screen._render_all()
        else:
            await pilot.press(press)
        await pilot.pause()
        elapsed = time.perf_counter() - start
        app.store.conn.set_trace_callback(None)
        counts, reads, times = results.setdefault(name, ([], [], []))
        issued = _issued(statements)
        counts.append(len(issued))
        reads.append(_reads(issued))
        times.append(elapsed)

    async def type_text(pilot) -> None:
        pilot.app.screen.query_one("#editor").text = "A new note, typed and saved during the conversation."
        await pilot.pause()
        pilot.app.screen.save_draft_now()  # the autosave has run, as it would have while typing

    async with app.run_test(size=(120, 40)) as pilot:
        app.push_screen(ConversationScreen(conversation_id))
        await pilot.pause()
        for _ in range(PRESSES):
            await key(pilot, "F9 (next prompt)", "f9")
            await key(pilot, "re-render, nothing changed", "render")
            await key(pilot, "Ctrl+S (save a note)", "ctrl+s", before=type_text)
        for _ in range(PRESSES):
            await key(pilot, "Ctrl+N (next section)", "ctrl+n")
    app.store.close()
    return results


def main() -> bool:
    folder = Path(tempfile.mkdtemp())
    db = folder / "keys.db"
    conversation_id = _build(db)
    results = asyncio.run(_measure(db, conversation_id))
    ok = True
    for name, (counts, reads, times) in results.items():
        print(f"     {name}: statements per key min {min(counts)}, median {statistics.median(counts):g}, "
              f"max {max(counts)}, reads at most {max(reads)}; "
              f"key to repaint median {statistics.median(times) * 1000:.1f} ms")
        ok &= report(f"{name}: SQL statements per key (max)", max(counts), 5, "st")
        ok &= report(f"{name}: reads per key (max)", max(reads), 2 if name.startswith("Ctrl+S") else 1, "st")
        ok &= report(f"{name}: key to repaint (median)", statistics.median(times) * 1000, 16.0)
    return ok


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
