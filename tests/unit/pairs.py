"""Build realistic pair databases with the real core, for merge, review and export tests."""

from __future__ import annotations

from pathlib import Path

from assistant.cases import add_case, find_case
from assistant.conversation import Conversation, create_conversation
from assistant.store import open_store
from assistant.structure import load_structure


def pair_database(path: Path, role: str, moments: list[str], reference: str = "CSPR-2026-04",
                  rehearsal: bool = False, extra_note: str = "") -> dict:
    """A pair's database with one conversation: own account, moments with thinking and influences."""
    structure = load_structure()
    store = open_store(path)
    case = find_case(store, reference)
    case_id = case["id"] if case else add_case(store, reference, "Family A")
    conversation_id = create_conversation(
        store, structure, case_id=case_id, practitioner_role=role, agency=f"{role} agency",
        lead_interviewer="Reviewer A", second_interviewer="Reviewer B",
        mode="rehearsal" if rehearsal else "live",
    )
    c = Conversation(store, structure, conversation_id)
    c.notes.add(f"{role}: my own account of the family. {extra_note}".strip(), ["words"], section_id="overview")
    episode_ids = []
    for title in moments:
        episode_id = c.moments.add(title, "spring")
        episode_ids.append(episode_id)
        c.notes.add(f"{role} at '{title}': I thought it was in hand.", ["words"], section_id="mindset",
                   episode_id=episode_id)
        c.notes.add(f"{role} at '{title}': no admin support and a new system.", ["factor_conditions"],
                   section_id="influences", episode_id=episode_id)
        c.notes.add(f"{role} at '{title}': did not know the other agency's role.",
                   ["factor_interagency", "follow_up"], section_id="influences", episode_id=episode_id)
    c.notes.add("=SUM(A1:A9) and a weekly call with school", section_id="went_well")
    c.marks.mark("from_records", "skipped", section_id="queries")
    store.close()
    return {"path": path, "conversation_id": conversation_id, "episodes": episode_ids}


def old_schema_database(path: Path) -> None:
    """A database as the first release made it (schema 1), to test upgrades."""
    import sqlite3

    from sqlite_utils import Database

    from assistant.store.schema import APPLICATION_ID, migrations

    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    migrations.apply(Database(conn), stop_before="m002_review")
    conn.execute("INSERT INTO settings VALUES ('device_id', 'old-device')")
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()
