"""The typed-up record leaves no note out: whatever a note's section or key moment, and after its moment
is deleted with the notes kept under "no moment", the practitioner reads every one of their notes."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.cases import add_case
from assistant.conversation import Conversation, create_conversation
from assistant.store import open_store
from tests.unit.test_markdown_pack import markdown_places
from tests.unit.test_review_and_exports import docx_places


@pytest.fixture
def conversation_db(tmp_path, structure):
    """One conversation with two key moments and notes in every section: on a moment, on none, and
    in a section that is not about moments but was written while one was current."""
    path = tmp_path / "lt.db"
    store = open_store(path)
    case_id = add_case(store, "CSPR-2026-04", "Family A")
    conversation_id = create_conversation(
        store, structure, case_id=case_id, practitioner_role="Health Visitor", agency="Health",
        lead_interviewer="Reviewer A", second_interviewer="Reviewer B")
    conversation = Conversation(store, structure, conversation_id)
    kept = conversation.moments.add("The clinic appointment", "May")
    deleted = conversation.moments.add("The missed visit", "June")
    factor = structure.tags_in_group("factor")[0].id
    for section in structure.sections:
        if section.mode == "per_episode":
            tags = [factor] if section.requires_tag_group else ["words"]
            for moment, title in ((kept, "clinic"), (deleted, "missed visit")):
                conversation.notes.add(f"At the {title}, {section.title.lower()} mattered.", tags,
                                       section_id=section.id, episode_id=moment)
        else:
            conversation.notes.add(f"In {section.title.lower()}, the family was described.", ["words"],
                                   section_id=section.id)
            conversation.notes.add(f"In {section.title.lower()}, written while on a moment.", ["words"],
                                   section_id=section.id, episode_id=kept)
    store.close()
    return {"path": path, "conversation": conversation_id, "kept": kept, "deleted": deleted}


def _bodies(path: Path, conversation_id: str) -> list[str]:
    store = open_store(path)
    try:
        rows = store.query("SELECT body FROM notes WHERE conversation_id = ? AND deleted_at IS NULL",
                           (conversation_id,))
    finally:
        store.close()
    return [row["body"] for row in rows]


def _export(cli, db: Path, conversation_id: str, fmt: str, out: Path) -> list[dict]:
    result = cli("export", "--conversation", conversation_id[:8], "--format", fmt, "--out", str(out), db=db)
    assert result.returncode == 0, result.stderr
    return markdown_places(out.read_text(encoding="utf-8")) if fmt == "md" else docx_places(out)


def _missing(places: list[dict], bodies: list[str]) -> list[str]:
    shown = {line.strip() for place in places for line in place["text"].split("\n")}
    return [body for body in bodies if body.strip() not in shown]


@pytest.mark.parametrize("fmt", ["md", "docx"])
def test_notes_of_a_deleted_moment_kept_under_no_moment_are_in_the_record(conversation_db, cli, tmp_path, fmt):
    db, conversation_id = conversation_db["path"], conversation_db["conversation"]
    deleted = cli("moment", "delete", conversation_db["deleted"][:8], "--no-moment", db=db)
    assert deleted.returncode == 0, deleted.stderr
    places = _export(cli, db, conversation_id, fmt, tmp_path / f"record.{fmt}")
    bodies = _bodies(db, conversation_id)
    assert _missing(places, bodies) == []
    unlinked = [p for p in places if "Not linked to a key moment" in p["headings"].values()]
    assert {p["text"] for p in unlinked} >= {b for b in bodies if b.startswith("At the missed visit")}
    assert all(not b.startswith("At the missed visit") for p in places for b in [p["text"]]
               if "The missed visit" in " ".join(p["headings"].values()))


@pytest.mark.parametrize("fmt", ["md", "docx"])
def test_every_note_of_a_conversation_is_in_its_record(conversation_db, cli, tmp_path, fmt):
    db, conversation_id = conversation_db["path"], conversation_db["conversation"]
    bodies = _bodies(db, conversation_id)
    assert len(bodies) == 2 * len(_structure_sections())
    assert _missing(_export(cli, db, conversation_id, fmt, tmp_path / f"all.{fmt}"), bodies) == []
    # And with both moments gone, one kept under "no moment" and one moved onto the other.
    assert cli("moment", "delete", conversation_db["deleted"][:8], "--move-to", conversation_db["kept"][:8],
               db=db).returncode == 0
    assert cli("moment", "delete", conversation_db["kept"][:8], "--no-moment", db=db).returncode == 0
    places = _export(cli, db, conversation_id, fmt, tmp_path / f"none.{fmt}")
    assert _missing(places, bodies) == []
    assert not [p for p in places if any(h.startswith("Key moment ") for h in p["headings"].values())]


def _structure_sections():
    from assistant.structure import load_structure

    return load_structure().sections
