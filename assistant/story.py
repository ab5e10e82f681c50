"""The story of the case and its episode cards: the lead orders the case's key practice episodes (a date
or a position each), marks where accounts differ, and appraises and explains each episode.

`story_of_the_case` gives the timeline: each episode with every practitioner's perspective in their own
words, the chronology entries between episodes, and the differences the lead marked. `episode_card`
gives the appraisal, the explanation with its notes, the contributory factors (from the linked notes'
tags unless the lead has edited them) and the coach's hindsight check over the appraisal's words.

Each change is one transaction with its audit event (hashes and ids, never words); the words a change
replaced are kept in `revisions` (see `assistant.previous`). A refused change leaves everything as it was.
"""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Any

from assistant.coach import classify
from assistant.previous import keep_previous, previous_values
from assistant.review import ReviewError
from assistant.safe_text import clean_input
from assistant.store import Store, checksum, now
from assistant.structure import Structure

ADEQUACY = ("not_yet", "good", "adequate", "mixed", "not_adequate")
CARD_TEXTS = ("what_happened", "appraisal", "explanation", "accounts_differ")
MAX_CARD_TEXT = 20_000
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


class StoryError(ReviewError):
    """A request about the story of the case or an episode card that cannot be carried out."""


def _episode(store: Store, case_episode_id: str) -> dict[str, Any]:
    row = store.one("SELECT * FROM case_episodes WHERE id = ?", (case_episode_id,))
    if row is None:
        raise StoryError("There is no case episode with that id; `episode list` shows them.")
    return row


def _card(store: Store, case_episode_id: str) -> dict[str, Any]:
    """The episode's card row, or the empty card it has until something is written on it."""
    episode = _episode(store, case_episode_id)
    row = store.one("SELECT * FROM episode_cards WHERE case_episode_id = ?", (case_episode_id,))
    if row is None:
        row = {"case_episode_id": case_episode_id, "case_id": episode["case_id"], "story_date": "",
               "story_position": None, "accounts_differ": "", "what_happened": "", "adequacy": "not_yet",
               "appraisal": "", "explanation": "", "factors": None, "updated_at": None}
    row["title"] = episode["title"]
    return row


def _ensure_card(conn: Any, card: dict[str, Any]) -> None:
    conn.execute("INSERT OR IGNORE INTO episode_cards (case_episode_id, case_id, updated_at) VALUES (?, ?, ?)",
                 (card["case_episode_id"], card["case_id"], now()))


def _iso_date(value: str) -> str:
    text = (value or "").strip()
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise StoryError(f"'{text[:40]}' is not a date; write it as YYYY-MM-DD, e.g. 2026-03-14.") from None


# ------------------------------------------------------------------ the story's order


def place_episode(store: Store, case_episode_id: str, *, on: str | None = None, position: int | None = None,
                  actor: str = "lead reviewer") -> None:
    """Place an episode in the story: on a date (YYYY-MM-DD), at a position (1 is first), or both."""
    if on is None and position is None:
        raise StoryError("Give the episode a date or a position in the story.")
    card = _card(store, case_episode_id)
    story_date = card["story_date"] if on is None else _iso_date(on)
    if position is not None and (not isinstance(position, int) or position < 1):
        raise StoryError("A position in the story is a whole number from 1.")
    story_position = card["story_position"] if position is None else position
    with store.write() as conn:
        _ensure_card(conn, card)
        conn.execute("UPDATE episode_cards SET story_date = ?, story_position = ?, updated_at = ?"
                     " WHERE case_episode_id = ?", (story_date, story_position, now(), case_episode_id))
        store.event("place", "case_episode", case_episode_id,
                    {"date": story_date, "position": story_position}, actor)


def _order_key(card: dict[str, Any]) -> tuple:
    # A position the lead gave wins; otherwise the date orders; unplaced episodes are not in the story.
    position = card["story_position"]
    return (position is None, position or 0, card["story_date"] or "9999", card["title"])


def _chronology_date(text: str) -> str | None:
    try:
        return date.fromisoformat(text.strip()[:10]).isoformat()
    except ValueError:
        return None


def _perspectives(store: Store, case_episode_id: str) -> list[dict[str, Any]]:
    """Every practitioner's account of an episode: their moment and their notes, in their own words."""
    moments = store.query(
        """SELECT e.id, e.title, e.approximate_time, v.practitioner_role, v.agency FROM case_episode_links l
           JOIN episodes e ON e.id = l.episode_id JOIN conversations v ON v.id = e.conversation_id
           WHERE l.case_episode_id = ? AND v.mode = 'live' ORDER BY v.created_at, e.position""",
        (case_episode_id,))
    for moment in moments:
        moment["notes"] = store.query(
            """SELECT n.id, n.section_id, n.body FROM notes n
               WHERE n.episode_id = ? AND n.deleted_at IS NULL ORDER BY n.created_at, n.rowid""",
            (moment["id"],))
    return moments


def story_of_the_case(store: Store, case_id: str) -> dict[str, Any]:
    """The timeline: `story` (episodes and chronology entries in order, each item with `kind`
    'episode' or 'chronology'), and `unplaced` (the episodes not yet given a date or position)."""
    placed, unplaced = [], []
    for episode in store.query("SELECT id FROM case_episodes WHERE case_id = ? ORDER BY rowid", (case_id,)):
        card = _card(store, episode["id"])
        (placed if card["story_date"] or card["story_position"] else unplaced).append(card)
    placed.sort(key=_order_key)
    entries = [dict(r, iso=_chronology_date(r["date"])) for r in store.query(
        "SELECT * FROM chronology WHERE case_id = ? ORDER BY position", (case_id,))]
    dated = [e for e in entries if e["iso"]]
    story: list[dict[str, Any]] = []
    previous = ""
    for card in placed:
        # Chronology entries fall between this episode and the latest dated episode before it (an entry
        # on the episode's own day comes just before it); a position out of date order shows none twice.
        if card["story_date"] > previous:
            story += [dict(e, kind="chronology") for e in dated if previous < e["iso"] <= card["story_date"]]
            previous = card["story_date"]
        story.append({"kind": "episode", "id": card["case_episode_id"], "title": card["title"],
                      "date": card["story_date"], "position": card["story_position"],
                      "accounts_differ": card["accounts_differ"],
                      "perspectives": _perspectives(store, card["case_episode_id"])})
    story += [dict(e, kind="chronology") for e in dated if e["iso"] > previous]
    return {"story": story, "unplaced": [{"id": c["case_episode_id"], "title": c["title"]} for c in unplaced],
            "undated_chronology": [e for e in entries if not e["iso"]]}


# ------------------------------------------------------------------ the episode card


def _card_text(value: Any) -> str:
    text = clean_input(str(value)).text.strip()
    if len(text) > MAX_CARD_TEXT:
        raise StoryError(f"A card's text can be at most {MAX_CARD_TEXT:,} characters.")
    return text


def edit_card(store: Store, case_episode_id: str, *, reason: str = "", actor: str = "lead reviewer",
              **changes: Any) -> list[str]:
    """Change any of `what_happened`, `adequacy`, `appraisal`, `explanation`, `accounts_differ`; returns
    the fields that changed. Every earlier wording is kept, oldest first (`card_history`)."""
    unknown = sorted(set(changes) - set(CARD_TEXTS) - {"adequacy"})
    if unknown:
        raise StoryError(f"An episode card has no '{unknown[0]}'; its fields are "
                         f"{', '.join((*CARD_TEXTS, 'adequacy'))}.")
    card = _card(store, case_episode_id)
    new = {f: _card_text(v) for f, v in changes.items() if f in CARD_TEXTS and v is not None}
    if changes.get("adequacy") is not None:
        if changes["adequacy"] not in ADEQUACY:
            raise StoryError(f"Adequacy is one of {', '.join(ADEQUACY)}.")
        new["adequacy"] = changes["adequacy"]
    changed = [f for f, value in new.items() if value != card[f]]
    if not changed:
        return []
    reason = clean_input(reason or "").text.strip()[:500]
    with store.write() as conn:
        _ensure_card(conn, card)
        for field in changed:
            if card[field] not in ("", "not_yet"):  # a first wording replaces nothing
                keep_previous(conn, "episode_card", case_episode_id, field, card[field], actor=actor,
                              reason=reason, case_id=card["case_id"])
            conn.execute(f"UPDATE episode_cards SET {field} = ? WHERE case_episode_id = ?",
                         (new[field], case_episode_id))
        conn.execute("UPDATE episode_cards SET updated_at = ? WHERE case_episode_id = ?", (now(), case_episode_id))
        store.event("edit", "episode_card", case_episode_id, {
            "fields": changed, "old": {f: checksum(str(card[f])) for f in changed}}, actor)
    return changed


def card_history(store: Store, case_episode_id: str) -> list[dict[str, Any]]:
    """Every wording an edit replaced on the card, oldest first (field, old_value, reason, replaced_at)."""
    _episode(store, case_episode_id)
    return previous_values(store, "episode_card", case_episode_id)


def link_explanation_note(store: Store, case_episode_id: str, note_id: str, actor: str = "lead reviewer") -> None:
    """Link a practitioner's note to the episode's explanation (why it made sense to them)."""
    card = _card(store, case_episode_id)
    note = store.one("""SELECT n.id FROM notes n JOIN conversations v ON v.id = n.conversation_id
                        WHERE n.id = ? AND v.case_id = ? AND v.mode = 'live' AND n.deleted_at IS NULL""",
                     (note_id, card["case_id"]))
    if note is None:
        raise StoryError("An explanation can only link notes from the same case's conversations.")
    with store.write() as conn:
        _ensure_card(conn, card)
        added = conn.execute("INSERT OR IGNORE INTO episode_card_notes (case_episode_id, note_id, linked_at)"
                             " VALUES (?, ?, ?)", (case_episode_id, note_id, now())).rowcount
        if added:
            store.event("link", "episode_card_note", case_episode_id, {"note": note_id}, actor)


def _linked_notes(store: Store, case_episode_id: str) -> list[dict[str, Any]]:
    """The notes of the episode's moments and the notes linked to its explanation, each with its tags."""
    notes = store.query(
        """SELECT n.id, n.body, n.section_id, v.practitioner_role, 'moment' AS via FROM notes n
           JOIN conversations v ON v.id = n.conversation_id
           JOIN case_episode_links l ON l.episode_id = n.episode_id
           WHERE l.case_episode_id = ? AND n.deleted_at IS NULL AND v.mode = 'live'
           UNION ALL
           SELECT n.id, n.body, n.section_id, v.practitioner_role, 'explanation' AS via FROM notes n
           JOIN conversations v ON v.id = n.conversation_id
           JOIN episode_card_notes c ON c.note_id = n.id
           WHERE c.case_episode_id = ? AND n.deleted_at IS NULL""", (case_episode_id, case_episode_id))
    for note in notes:
        note["tags"] = [r["tag_id"] for r in store.query(
            "SELECT tag_id FROM note_tags WHERE note_id = ? ORDER BY tag_id", (note["id"],))]
    return notes


def _factor_tags(structure: Structure, tags: Any) -> list[str]:
    return [t for t in tags if t in structure.tag_by_id and structure.tag_by_id[t].group == "factor"]


def set_factors(store: Store, structure: Structure, case_episode_id: str, tags: list[str] | None, *,
                reason: str = "", actor: str = "lead reviewer") -> None:
    """Set the episode's contributory factors by hand; None goes back to those of the linked notes."""
    card = _card(store, case_episode_id)
    if tags is not None:
        wrong = [t for t in tags if t not in _factor_tags(structure, [t])]
        if wrong:
            raise StoryError(f"'{wrong[0]}' is not one of the contributory factors (influences).")
        tags = sorted(set(tags))
    value = None if tags is None else json.dumps(tags)
    if value == card["factors"]:
        return
    with store.write() as conn:
        _ensure_card(conn, card)
        keep_previous(conn, "episode_card", case_episode_id, "factors", card["factors"] or "from the notes",
                      actor=actor, reason=clean_input(reason or "").text.strip()[:500], case_id=card["case_id"])
        conn.execute("UPDATE episode_cards SET factors = ?, updated_at = ? WHERE case_episode_id = ?",
                     (value, now(), case_episode_id))
        store.event("factors", "episode_card", case_episode_id, {"factors": tags}, actor)


def hindsight_flags(structure: Structure, text: str) -> list[dict[str, str]]:
    """The sentences of `text` the coach's hindsight check flags ("should have" …), with the words."""
    flags = []
    for sentence in _SENTENCE_END.split(text or ""):
        verdict = classify(sentence, structure.coach)
        for trigger in verdict.triggers:
            if trigger.kind == "hindsight":
                flags.append({"sentence": sentence.strip(), "words": trigger.words})
    return flags


def hindsight_left(store: Store, structure: Structure, case_id: str) -> list[str]:
    """Each card whose words still judge with hindsight, as "title: “should have”", for a warning when the
    report is drafted or a pack is made: the lead decides whether to reword it."""
    return [f"{card['title']}: “{flag['words']}”" for card in episode_cards(store, structure, case_id)
            for flag in card["hindsight"]]


def episode_card(store: Store, structure: Structure, case_episode_id: str) -> dict[str, Any]:
    """The card: its fields, `explanation_notes`, `factors` (edited, or from the linked notes' tags, with
    `factors_edited`), and `hindsight` (the flags over what happened and the appraisal)."""
    card = _card(store, case_episode_id)
    notes = _linked_notes(store, case_episode_id)
    from_notes = sorted({t for n in notes for t in _factor_tags(structure, n["tags"])})
    card["factors_edited"] = card["factors"] is not None
    card["factors"] = json.loads(card["factors"]) if card["factors"] is not None else from_notes
    card["factors_from_notes"] = from_notes
    card["explanation_notes"] = [n for n in notes if n["via"] == "explanation"]
    card["hindsight"] = hindsight_flags(structure, f"{card['what_happened']} {card['appraisal']}")
    return card


def episode_cards(store: Store, structure: Structure, case_id: str) -> list[dict[str, Any]]:
    """Every episode's card, in the story's order (unplaced episodes last)."""
    ids = [r["id"] for r in store.query("SELECT id FROM case_episodes WHERE case_id = ? ORDER BY rowid",
                                        (case_id,))]
    cards = [episode_card(store, structure, i) for i in ids]
    return sorted(cards, key=lambda c: (not (c["story_date"] or c["story_position"]), *_order_key(c)))
