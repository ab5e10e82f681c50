"""Case-level queries and changes for lead reviewers: coverage across conversations, every key moment,
case episodes with each practitioner's account side by side, influence counts, search, findings,
comments and review states. Rehearsal conversations never appear here.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

from assistant.conversation.coverage import answered_by_moments, prompt_state
from assistant.conversation import Conversation
from assistant.conversation.prepared import QUERIES_SECTION, is_prepared
from assistant.safe_text import clean_input
from assistant.store import Store, StoreError, checksum, new_id, now
from assistant.structure import Structure

REVIEW_STATES = ("not_started", "reading", "reviewed")
# SCIE's fields of a finding, in order, with the titles every screen, pack and report gives them.
FINDING_TITLES = (("statement", "The finding"), ("in_this_case", "How it showed in this case"),
                  ("systemic_evidence", "How we know it is not a one-off"),
                  ("how_widespread", "How widespread it is"), ("why_it_matters", "Why it matters"),
                  ("questions", "Questions for the safeguarding partners"))
FINDING_FIELDS = tuple(field for field, _ in FINDING_TITLES)


class ReviewError(StoreError):
    """A review request that cannot be carried out; nothing was changed."""


def live_conversations(store: Store, case_id: str) -> list[dict[str, Any]]:
    return store.query(
        """SELECT v.*, COALESCE(r.state, 'not_started') AS review_state,
                  (SELECT COUNT(*) FROM notes n WHERE n.conversation_id = v.id AND n.deleted_at IS NULL) AS note_count
           FROM conversations v LEFT JOIN conversation_reviews r ON r.conversation_id = v.id
           WHERE v.case_id = ? AND v.mode = 'live' ORDER BY v.created_at, v.id""",
        (case_id,),
    )


# ------------------------------------------------------------------ coverage


@dataclass
class CoverageMatrix:
    """Sections and prompts (rows) × conversations (columns): state and note count in each cell."""

    conversations: list[dict[str, Any]]
    rows: list[dict[str, Any]] = field(default_factory=list)


def _prepared_prompts(store: Store, structure: Structure, conversation_ids: list[str]) -> dict[str, tuple]:
    """Each conversation's prepared queries as prompts, as its walk has them (none while its gate is shut)."""
    result = {}
    for conversation_id in conversation_ids:
        for stop in Conversation(store, structure, conversation_id).state().stops:
            if stop.section.id == QUERIES_SECTION:
                result[conversation_id] = tuple(p for p in stop.section.prompts if is_prepared(p.id))
    return result


def coverage_matrix(store: Store, structure: Structure, case_id: str, prepared: bool = False) -> CoverageMatrix:
    """`prepared`: add each conversation's prepared queries (once its gate is open) after their section's
    prompts, a row each with a cell for that conversation only."""
    conversations = live_conversations(store, case_id)
    ids = [c["id"] for c in conversations]
    matrix = CoverageMatrix(conversations)
    if not ids:
        return matrix
    marks = ",".join("?" * len(ids))
    counts = {
        (r["conversation_id"], r["section_id"], r["prompt_id"]): r["n"]
        for r in store.query(
            f"""SELECT conversation_id, section_id, prompt_id, COUNT(*) AS n FROM notes
                WHERE conversation_id IN ({marks}) AND deleted_at IS NULL GROUP BY 1, 2, 3""",
            ids,
        )
    }
    # Named moments answer the key-moments prompt, as in each conversation's own coverage.
    with_moments = {r["conversation_id"] for r in store.query(
        f"SELECT DISTINCT conversation_id FROM episodes WHERE conversation_id IN ({marks})", ids)}
    latest: dict[tuple[str, str, str], str] = {}
    for r in store.query(
        f"""SELECT conversation_id, section_id, prompt_id, mark FROM prompt_marks
            WHERE conversation_id IN ({marks}) ORDER BY rowid""",
        ids,
    ):
        latest[(r["conversation_id"], r["section_id"], r["prompt_id"])] = r["mark"]
    extra = _prepared_prompts(store, structure, ids) if prepared else {}
    for section in structure.sections:
        rows = [(prompt, ids) for prompt in section.prompts]
        if section.id == QUERIES_SECTION:
            rows += [(prompt, [c]) for c in ids for prompt in extra.get(c, ())]
        for prompt, columns in rows:
            cells = {}
            for conversation_id in columns:
                key = (conversation_id, section.id, prompt.id)
                count = counts.get(key, 0)
                answered = answered_by_moments(section, prompt.id, conversation_id in with_moments)
                cells[conversation_id] = {"state": prompt_state(latest.get(key), bool(count) or answered),
                                          "notes": count}
            matrix.rows.append({"section": section, "prompt": prompt, "cells": cells})
    return matrix


# ------------------------------------------------------------------ moments and case episodes


def case_moments(store: Store, case_id: str) -> list[dict[str, Any]]:
    """Every key moment from every live conversation, with the case episode it is linked to."""
    return store.query(
        """SELECT e.*, v.practitioner_role, v.agency, l.case_episode_id
           FROM episodes e JOIN conversations v ON v.id = e.conversation_id
           LEFT JOIN case_episode_links l ON l.episode_id = e.id
           WHERE v.case_id = ? AND v.mode = 'live' ORDER BY v.created_at, e.position""",
        (case_id,),
    )


def case_episodes(store: Store, case_id: str) -> list[dict[str, Any]]:
    rows = store.query(
        """SELECT c.*, (SELECT COUNT(*) FROM case_episode_links l WHERE l.case_episode_id = c.id) AS moments
           FROM case_episodes c WHERE c.case_id = ? ORDER BY c.rowid""",
        (case_id,),
    )
    for row in rows:
        row["typology"] = json.loads(row["typology"])
    return rows


def _live_moment(store: Store, case_id: str, episode_id: str) -> dict[str, Any]:
    moment = store.one(
        """SELECT e.id FROM episodes e JOIN conversations v ON v.id = e.conversation_id
           WHERE e.id = ? AND v.case_id = ? AND v.mode = 'live'""",
        (episode_id, case_id),
    )
    if moment is None:
        raise ReviewError("That key moment is not part of this case's conversations.")
    return moment


def create_case_episode(store: Store, case_id: str, title: str, episode_ids: list[str] = (),
                        actor: str = "lead reviewer") -> str:
    """A case-level key practice episode, linking the moments (from any conversation) that are the same."""
    title = clean_input(title).text.strip()
    if not title:
        raise ReviewError("Give the episode a short title.")
    for episode_id in episode_ids:
        _live_moment(store, case_id, episode_id)
    case_episode_id = new_id()
    stamp = now()
    with store.write() as conn:
        conn.execute(
            "INSERT INTO case_episodes (id, case_id, title, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
            (case_episode_id, case_id, title, stamp, stamp),
        )
        conn.executemany(
            "INSERT OR IGNORE INTO case_episode_links (case_episode_id, episode_id) VALUES (?, ?)",
            [(case_episode_id, e) for e in episode_ids],
        )
        store.event("create", "case_episode", case_episode_id, {"moments": list(episode_ids)}, actor)
    return case_episode_id


def link_moment(store: Store, case_episode_id: str, episode_id: str, actor: str = "lead reviewer") -> None:
    """Link a moment to a case episode (a moment belongs to at most one)."""
    episode = store.one("SELECT * FROM case_episodes WHERE id = ?", (case_episode_id,))
    if episode is None:
        raise ReviewError("That case episode no longer exists.")
    _live_moment(store, episode["case_id"], episode_id)
    with store.write() as conn:
        conn.execute("DELETE FROM case_episode_links WHERE episode_id = ?", (episode_id,))
        conn.execute("INSERT INTO case_episode_links (case_episode_id, episode_id) VALUES (?, ?)",
                     (case_episode_id, episode_id))
        store.event("link", "case_episode", case_episode_id, {"moment": episode_id}, actor)


def unlink_moment(store: Store, episode_id: str, actor: str = "lead reviewer") -> None:
    with store.write() as conn:
        conn.execute("DELETE FROM case_episode_links WHERE episode_id = ?", (episode_id,))
        store.event("unlink", "episode", episode_id, {}, actor)


def set_episode_typology(store: Store, structure: Structure, case_episode_id: str, tags: list[str],
                         actor: str = "lead reviewer") -> None:
    for tag in tags:
        if structure.tag_by_id.get(tag) is None or structure.tag_by_id[tag].group != "typology":
            raise ReviewError(f"'{tag}' is not one of the underlying-pattern categories.")
    with store.write() as conn:
        conn.execute("UPDATE case_episodes SET typology = ?, updated_at = ? WHERE id = ?",
                     (json.dumps(sorted(tags)), now(), case_episode_id))
        store.event("edit", "case_episode", case_episode_id, {"typology": sorted(tags)}, actor)


def episode_accounts(store: Store, structure: Structure, case_episode_id: str) -> list[dict[str, Any]]:
    """Each practitioner's account of one case episode, side by side: their moment, notes and influences."""
    moments = store.query(
        """SELECT e.*, v.practitioner_role, v.agency FROM case_episode_links l
           JOIN episodes e ON e.id = l.episode_id JOIN conversations v ON v.id = e.conversation_id
           WHERE l.case_episode_id = ? AND v.mode = 'live' ORDER BY v.created_at""",
        (case_episode_id,),
    )
    accounts = []
    for moment in moments:
        notes = _notes_with_tags(store, "n.episode_id = ? AND n.deleted_at IS NULL", (moment["id"],))
        by_section: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for note in notes:
            by_section[note["section_id"]].append(note)
        influences = Counter(
            t for n in notes for t in n["tags"] if t in structure.tag_by_id and structure.tag_by_id[t].group == "factor"
        )
        accounts.append({"moment": moment, "notes_by_section": dict(by_section), "influences": dict(influences)})
    return accounts


# ------------------------------------------------------------------ influences


def influence_counts(store: Store, structure: Structure, case_id: str) -> dict[str, Any]:
    """Contributory-factor tags by category × conversation, by case episode, and pairs on the same moment."""
    factors = [t.id for t in structure.tags_in_group("factor")]
    marks = ",".join("?" * len(factors))
    rows = store.query(
        # CROSS JOIN keeps SQLite walking from the case's conversations, not from every tagged note.
        f"""SELECT v.id AS conversation_id, n.episode_id, l.case_episode_id, t.tag_id
            FROM conversations v CROSS JOIN notes n ON n.conversation_id = v.id
            CROSS JOIN note_tags t ON t.note_id = n.id
            LEFT JOIN case_episode_links l ON l.episode_id = n.episode_id
            WHERE v.case_id = ? AND v.mode = 'live' AND n.deleted_at IS NULL AND t.tag_id IN ({marks})""",
        [case_id, *factors],
    )
    by_conversation: dict[str, Counter] = defaultdict(Counter)
    by_episode: dict[str, Counter] = defaultdict(Counter)
    on_moment: dict[str, set[str]] = defaultdict(set)
    totals: Counter = Counter()
    for row in rows:
        by_conversation[row["tag_id"]][row["conversation_id"]] += 1
        totals[row["tag_id"]] += 1
        if row["case_episode_id"]:
            by_episode[row["tag_id"]][row["case_episode_id"]] += 1
        if row["episode_id"]:
            on_moment[row["episode_id"]].add(row["tag_id"])
    together: Counter = Counter()
    for tags in on_moment.values():
        for pair in combinations(sorted(tags, key=factors.index), 2):
            together[pair] += 1
    return {
        "factors": factors,
        "totals": dict(totals),
        "by_conversation": {k: dict(v) for k, v in by_conversation.items()},
        "by_episode": {k: dict(v) for k, v in by_episode.items()},
        "together": [{"pair": list(p), "moments": n} for p, n in together.most_common()],
    }


# ------------------------------------------------------------------ notes: filter and search


def _notes_with_tags(store: Store, where: str, params: Any, limit: int | None = None) -> list[dict[str, Any]]:
    rows = store.query(
        f"""SELECT n.*, v.practitioner_role, v.agency, e.title AS moment_title,
                   (SELECT json_group_array(tag_id) FROM note_tags t WHERE t.note_id = n.id) AS tags
            FROM notes n JOIN conversations v ON v.id = n.conversation_id
            LEFT JOIN episodes e ON e.id = n.episode_id
            WHERE {where} ORDER BY v.created_at, v.id, n.rowid {f'LIMIT {int(limit)}' if limit else ''}""",
        params,
    )
    for row in rows:
        row["tags"] = json.loads(row["tags"])
    return rows


def search_notes(store: Store, case_id: str, *, text: str = "", tag: str | None = None,
                 section: str | None = None, conversation: str | None = None, episode: str | None = None,
                 case_episode: str | None = None, author: str | None = None, limit: int = 500) -> list[dict[str, Any]]:
    """The case's notes filtered by any combination; `text` is a full-text search (words, prefixes)."""
    where = ["v.case_id = ?", "v.mode = 'live'", "n.deleted_at IS NULL"]
    params: list[Any] = [case_id]
    if text.strip():
        words = [w for w in clean_input(text).text.replace('"', " ").split() if w]
        query = " ".join(f'"{w}"*' for w in words)
        # The unary plus keeps SQLite walking the case's own notes and testing each against the matches;
        # left to itself it seeks every match in every conversation, which grows with the whole store.
        where.append("+n.rowid IN (SELECT rowid FROM notes_fts WHERE notes_fts MATCH ?)")
        params.append(query)
    if tag:
        where.append("EXISTS (SELECT 1 FROM note_tags t WHERE t.note_id = n.id AND t.tag_id = ?)")
        params.append(tag)
    for column, value in (("n.section_id", section), ("n.conversation_id", conversation),
                          ("n.episode_id", episode), ("n.author_role", author)):
        if value:
            where.append(f"{column} = ?")
            params.append(value)
    if case_episode:
        where.append("n.episode_id IN (SELECT episode_id FROM case_episode_links WHERE case_episode_id = ?)")
        params.append(case_episode)
    return _notes_with_tags(store, " AND ".join(where), params, limit)


def require_intact(notes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The one check every export makes: each note's text still matches its checksum. A changed note
    is refused, never shipped; returns the notes unchanged."""
    for note in notes:
        if checksum(note["body"]) != note["checksum"]:
            raise ReviewError(
                f"Note {note['id']} has changed outside the application (its checksum does not match); "
                "nothing was exported."
            )
    return notes


def case_notes(store: Store, case_id: str) -> list[dict[str, Any]]:
    """Every live note of a case in the order written, checked against its checksum: the same rows as
    `_notes_with_tags` gives. Every export reads all of a case's notes, so they are read one conversation
    at a time (its notes come in the order written from its index, with no sort) and the tags in one
    plain query rather than a JSON array per note."""
    notes: list[dict[str, Any]] = []
    for conversation in store.query(
            "SELECT id, practitioner_role, agency FROM conversations WHERE case_id = ? AND mode = 'live'"
            " ORDER BY created_at, id", (case_id,)):
        live = (conversation["id"],)
        tags: dict[str, list[str]] = defaultdict(list)
        for note_id, tag_id in _tuples(store, "SELECT t.note_id, t.tag_id FROM notes n JOIN note_tags t"
                                              " ON t.note_id = n.id WHERE n.conversation_id = ?"
                                              " AND n.deleted_at IS NULL", live):
            tags[note_id].append(tag_id)
        for several in (t for t in tags.values() if len(t) > 1):
            several.sort()  # in the tag index's order, as the JSON array per note gave them
        titles = dict(_tuples(store, "SELECT id, title FROM episodes WHERE id IN (SELECT episode_id FROM notes"
                                     " WHERE conversation_id = ?)", live))
        columns, rows = _columns_and_rows(
            store, "SELECT * FROM notes WHERE conversation_id = ? AND deleted_at IS NULL ORDER BY rowid", live)
        if not rows:
            continue
        role, agency = conversation["practitioner_role"], conversation["agency"]
        keys = [*columns, "practitioner_role", "agency", "moment_title", "tags"]
        note_id, episode_id = columns.index("id"), columns.index("episode_id")
        notes += [dict(zip(keys, (*row, role, agency, titles.get(row[episode_id]), tags.get(row[note_id], []))))
                  for row in rows]
    return require_intact(notes)


def _tuples(store: Store, sql: str, params: Any) -> list[tuple]:
    return _columns_and_rows(store, sql, params)[1]


def _columns_and_rows(store: Store, sql: str, params: Any) -> tuple[list[str], list[tuple]]:
    """Rows as plain tuples: making a dict of every row is most of what reading thousands of notes costs.
    A database error is left to `Store.query`, which says in one sentence what went wrong."""
    import assistant.store as store_package

    try:
        with store.lock:
            cursor = store.conn.cursor()
            cursor.row_factory = None
            rows = cursor.execute(sql, params).fetchall()
            return [d[0] for d in cursor.description], rows
    except store_package.DATABASE_ERRORS:
        dicts = store.query(sql, params)
        return (list(dicts[0]) if dicts else []), [tuple(d.values()) for d in dicts]


# ------------------------------------------------------------------ findings, comments, review states


def add_finding(store: Store, structure: Structure, case_id: str, typology_tag: str, *, statement: str,
                in_this_case: str = "", systemic_evidence: str = "", how_widespread: str = "",
                why_it_matters: str = "", questions: str = "", case_episode_ids: list[str] = (), note_ids: list[str] = (),
                actor: str = "lead reviewer") -> str:
    """Draft a finding against one of SCIE's underlying-pattern categories, linked to its evidence."""
    tag = structure.tag_by_id.get(typology_tag)
    if tag is None or tag.group != "typology":
        raise ReviewError(f"'{typology_tag}' is not one of the underlying-pattern categories.")
    values = {k: clean_input(v).text.strip() for k, v in {
        "statement": statement, "in_this_case": in_this_case, "systemic_evidence": systemic_evidence,
        "how_widespread": how_widespread, "why_it_matters": why_it_matters, "questions": questions}.items()}
    if not values["statement"]:
        raise ReviewError("A finding needs a statement.")
    finding_id = new_id()
    stamp = now()
    with store.write() as conn:
        conn.execute(
            """INSERT INTO findings (id, case_id, typology_tag, statement, in_this_case, systemic_evidence,
               how_widespread, why_it_matters, questions, created_at, updated_at)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            (finding_id, case_id, typology_tag, *values.values(), stamp, stamp),
        )
        conn.executemany(
            "INSERT INTO finding_links (finding_id, target_kind, target_id) VALUES (?, ?, ?)",
            [(finding_id, "case_episode", e) for e in case_episode_ids] + [(finding_id, "note", n) for n in note_ids],
        )
        store.event("create", "finding", finding_id, {"typology": typology_tag}, actor)
    return finding_id


def findings(store: Store, case_id: str, include_withdrawn: bool = False) -> list[dict[str, Any]]:
    """The case's findings with their evidence; withdrawn ones (which leave the packs) only when asked."""
    shown = "" if include_withdrawn else " AND withdrawn_at IS NULL"
    rows = store.query(f"SELECT * FROM findings WHERE case_id = ?{shown} ORDER BY rowid", (case_id,))
    for row in rows:
        links = store.query("SELECT target_kind, target_id FROM finding_links WHERE finding_id = ?", (row["id"],))
        row["case_episodes"] = [l["target_id"] for l in links if l["target_kind"] == "case_episode"]
        row["notes"] = [l["target_id"] for l in links if l["target_kind"] == "note"]
    return rows


def add_comment(store: Store, target_kind: str, target_id: str, body: str, actor: str = "lead reviewer") -> str:
    body = clean_input(body).text.strip()
    if not body:
        raise ReviewError("A comment cannot be empty.")
    if target_kind not in ("note", "conversation"):
        raise ReviewError("Comments are on notes or conversations.")
    comment_id = new_id()
    stamp = now()
    with store.write() as conn:
        conn.execute(
            "INSERT INTO comments (id, target_kind, target_id, body, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
            (comment_id, target_kind, target_id, body, stamp, stamp),
        )
        store.event("create", "comment", comment_id, {"on": target_kind, "target": target_id}, actor)
    return comment_id


def resolve_comment(store: Store, comment_id: str, resolved: bool = True, actor: str = "lead reviewer") -> None:
    with store.write() as conn:
        conn.execute("UPDATE comments SET resolved = ?, updated_at = ? WHERE id = ?", (int(resolved), now(), comment_id))
        store.event("edit", "comment", comment_id, {"resolved": resolved}, actor)


def comments(store: Store, target_id: str) -> list[dict[str, Any]]:
    return store.query("SELECT * FROM comments WHERE target_id = ? ORDER BY rowid", (target_id,))


def set_review_state(store: Store, conversation_id: str, state: str, actor: str = "lead reviewer") -> None:
    if state not in REVIEW_STATES:
        raise ReviewError("A review state is not started, reading or reviewed.")
    with store.write() as conn:
        conn.execute(
            "INSERT INTO conversation_reviews (conversation_id, state, updated_at) VALUES (?, ?, ?)"
            " ON CONFLICT (conversation_id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at",
            (conversation_id, state, now()),
        )
        store.event("review_state", "conversation", conversation_id, {"state": state}, actor)
