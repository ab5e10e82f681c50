"""The snapshot the conversation screen renders from, read in one statement.

One SELECT returns the conversation's row, its case, its moments, marks, noted prompts, visits, tag
counts, prepared queries, and the notes and draft at the stored position, each aggregated as JSON; a
second is needed only when the stored position no longer names a stop (a moment was removed).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from assistant.conversation.coverage import later_items, stop_states
from assistant.conversation.gate import locked_sections, missing_sections
from assistant.conversation.model import ConversationError, ConversationState, Visit
from assistant.conversation.prepared import QUERIES_SECTION, hidden_by_gate, prepared_prompts
from assistant.conversation.walk import build_stops, find_stop

if TYPE_CHECKING:
    from assistant.conversation import Conversation

_EPISODE = "json_object('id', id, 'conversation_id', conversation_id, 'title', title, 'approximate_time', " \
           "approximate_time, 'position', position, 'created_at', created_at, 'updated_at', updated_at, " \
           "'source', source)"
_NOTE = "json_object('id', n.id, 'conversation_id', n.conversation_id, 'section_id', n.section_id, " \
        "'prompt_id', n.prompt_id, 'episode_id', n.episode_id, 'author_role', n.author_role, 'body', n.body, " \
        "'checksum', n.checksum, 'created_at', n.created_at, 'updated_at', n.updated_at, " \
        "'deleted_at', n.deleted_at, 'source', n.source, '_rowid', n.rowid, " \
        "'tags', (SELECT json_group_array(tag_id) FROM note_tags t WHERE t.note_id = n.id))"
# Notes and draft at a position: `:section` / `:episode` are the stored position unless given.
_AT_STOP = f"""
    (SELECT json_group_array({_NOTE}) FROM notes n WHERE n.conversation_id = :id AND n.deleted_at IS NULL
        AND n.section_id = {{section}} AND n.episode_id IS {{episode}}) AS _notes,
    (SELECT body FROM drafts d WHERE d.conversation_id = :id
        AND d.slot = {{section}} || '/' || COALESCE({{episode}}, '')) AS _draft"""
_COLLECTIONS = f"""
    (SELECT data_version FROM pragma_data_version) AS _data_version,
    (SELECT json_group_array({_EPISODE}) FROM episodes WHERE conversation_id = :id) AS _episodes,
    (SELECT json_group_array(json_array(rowid, section_id, prompt_id, episode_id, mark))
        FROM prompt_marks WHERE conversation_id = :id) AS _marks,
    (SELECT json_group_array(json_array(section_id, prompt_id, episode_id)) FROM
        (SELECT DISTINCT section_id, prompt_id, episode_id FROM notes
         WHERE conversation_id = :id AND deleted_at IS NULL)) AS _noted,
    (SELECT json_group_array(json_array(section_id, episode_id, entered_at, left_at))
        FROM section_visits WHERE conversation_id = :id) AS _visits,
    (SELECT json_group_array(json_array(tag_id, n)) FROM
        (SELECT t.tag_id, COUNT(*) AS n FROM note_tags t JOIN notes n ON n.id = t.note_id
         WHERE n.conversation_id = :id AND n.deleted_at IS NULL GROUP BY t.tag_id)) AS _tags,
    (SELECT json_group_array(json_array(position, rowid, id, origin, text))
        FROM prepared_queries WHERE conversation_id = :id) AS _prepared,"""
SNAPSHOT = f"""
SELECT v.*, c.reference AS _case_reference, c.label AS _case_label, {_COLLECTIONS}
    {_AT_STOP.format(section="v.position_section", episode="v.position_episode")}
FROM conversations v JOIN cases c ON c.id = v.case_id WHERE v.id = :id"""
# The same snapshot handed back by the last write of a transaction on the conversation's row
# (`UPDATE conversations … WHERE id = :id` + RETURNING_SNAPSHOT), so a move or a save needs no read after it.
RETURNING_SNAPSHOT = f"""
RETURNING *, (SELECT c.reference FROM cases c WHERE c.id = case_id) AS _case_reference,
    (SELECT c.label FROM cases c WHERE c.id = case_id) AS _case_label, {_COLLECTIONS}
    {_AT_STOP.format(section="position_section", episode="position_episode")}"""
AT_STOP = f"SELECT {_AT_STOP.format(section=':section', episode=':episode')}"


def _notes(raw: str | None) -> list[dict[str, Any]]:
    notes = sorted(json.loads(raw or "[]"), key=lambda n: n.pop("_rowid"))
    for note in notes:
        note["tags"] = note["tags"] if isinstance(note["tags"], list) else json.loads(note["tags"])
    return notes


def _prepared_prompts(structure, raw: str | None, missing: list) -> dict[str, tuple]:
    """The prepared queries as prompts of their section — none at all while the gate keeps them out."""
    section = structure.section_by_id.get(QUERIES_SECTION)
    if section is None or hidden_by_gate(structure, missing):
        return {}
    queries = [{"id": q[2], "origin": q[3], "text": q[4]} for q in sorted(json.loads(raw or "[]"))]
    return {QUERIES_SECTION: prepared_prompts(section, queries)} if queries else {}


def read_state(conversation: Conversation, row: dict[str, Any] | None = None) -> ConversationState:
    """The conversation as the screen shows it, in one statement (two after a moment was removed); `row`
    is the snapshot's row when a write already handed it back (RETURNING_SNAPSHOT)."""
    structure = conversation.structure
    store = conversation.store
    row = dict(row) if row is not None else store.one(SNAPSHOT, {"id": conversation.id})
    if row is None:
        raise ConversationError("That conversation does not exist in this database.")
    episodes = sorted(json.loads(row.pop("_episodes")), key=lambda e: (e["position"], e["created_at"]))
    marks = {}
    for _, section_id, prompt_id, episode_id, mark in sorted(json.loads(row.pop("_marks"))):
        marks[(section_id, prompt_id, episode_id)] = mark  # the order written: the clock can step back
    noted = frozenset(tuple(n) for n in json.loads(row.pop("_noted")))
    visits = [Visit(*v) for v in json.loads(row.pop("_visits"))]
    tags = sorted(json.loads(row.pop("_tags")))
    tag_counts = dict(sorted(tags, key=lambda t: -t[1]))  # most used first, then by id
    case = {"reference": row.pop("_case_reference"), "label": row.pop("_case_label")}
    data_version = row.pop("_data_version")
    notes_raw, draft = row.pop("_notes"), row.pop("_draft")
    missing = missing_sections(structure, row, {s for s, _, _ in noted}, bool(episodes))
    stops = build_stops(structure, episodes, _prepared_prompts(structure, row.pop("_prepared"), missing))
    stop_index = find_stop(stops, row["position_section"], row["position_episode"])
    stop = stops[stop_index]
    if stop.key != (row["position_section"], row["position_episode"]):
        at = store.one(AT_STOP, {"id": conversation.id, "section": stop.section.id, "episode": stop.episode_id})
        notes_raw, draft = at["_notes"], at["_draft"]  # type: ignore[index]
    locked = locked_sections(structure, missing)
    prompt_index = max(0, min(row["position_prompt"], len(stop.section.prompts) - 1))
    return ConversationState(
        row=row, case=case, episodes=episodes, stops=stops, stop=stop, stop_index=stop_index,
        prompt_index=prompt_index, marks=marks, noted=noted, gate_missing=missing, locked=locked, visits=visits,
        tag_counts=tag_counts,
        section_states=stop_states(stops, marks, noted, visits, locked, bool(episodes)),
        later=later_items(stops, marks), notes=_notes(notes_raw), draft=draft or "",
        data_version=data_version,
    )
