"""Revising a case's analysis as it is understood better: findings edited (every earlier wording kept)
and withdrawn, half-written findings kept as drafts, case episodes renamed, unlinked, merged and deleted.

Each change is one transaction with its audit event (hashes and ids, never words); the words replaced
are kept in `revisions` (see `assistant.previous`). A refused change leaves everything as it was.
"""

from __future__ import annotations

import json
from typing import Any

from assistant.previous import keep_previous, previous_values
from assistant.review import FINDING_FIELDS, ReviewError
from assistant.safe_text import clean_input
from assistant.store import Store, checksum, now
from assistant.structure import Structure

# What a finding draft may hold: the form's fields, its category and its evidence.
DRAFT_KEYS = (*FINDING_FIELDS, "typology_tag", "case_episode_ids", "note_ids")
MAX_REASON = 500


def _reason(reason: str, required: bool, what: str) -> str:
    text = clean_input(reason or "").text.strip()
    if required and len(text) < 3:
        raise ReviewError(f"Give a short reason for {what}; it is kept with the change.")
    return text[:MAX_REASON]


# ------------------------------------------------------------------ findings


def _finding(store: Store, finding_id: str) -> dict[str, Any]:
    row = store.one("SELECT * FROM findings WHERE id = ?", (finding_id,))
    if row is None:
        raise ReviewError("There is no finding with that id in this database.")
    return row


def _links(store: Store, finding_id: str, kind: str) -> list[str]:
    return [r["target_id"] for r in store.query(
        "SELECT target_id FROM finding_links WHERE finding_id = ? AND target_kind = ? ORDER BY rowid",
        (finding_id, kind))]


def _check_evidence(store: Store, case_id: str, case_episode_ids: list[str] | None,
                    note_ids: list[str] | None) -> None:
    for episode_id in case_episode_ids or ():
        if store.one("SELECT id FROM case_episodes WHERE id = ? AND case_id = ?", (episode_id, case_id)) is None:
            raise ReviewError("A finding's evidence must be a case episode of the same case.")
    for note_id in note_ids or ():
        if store.one("""SELECT n.id FROM notes n JOIN conversations v ON v.id = n.conversation_id
                        WHERE n.id = ? AND v.case_id = ? AND v.mode = 'live'""", (note_id, case_id)) is None:
            raise ReviewError("A finding's evidence must be a note from the same case's conversations.")


def edit_finding(store: Store, structure: Structure, finding_id: str, *, reason: str = "",
                 actor: str = "lead reviewer", **changes: Any) -> list[str]:
    """Change any of a finding's fields (FINDING_FIELDS, `typology_tag`, `case_episode_ids`, `note_ids`);
    returns the fields that changed. Each replaced value is kept, oldest first, in its history."""
    finding = _finding(store, finding_id)
    unknown = sorted(set(changes) - set(DRAFT_KEYS))
    if unknown:
        raise ReviewError(f"A finding's '{unknown[0]}' cannot be edited; its fields are {', '.join(DRAFT_KEYS)}.")
    if finding["withdrawn_at"]:
        raise ReviewError("That finding was withdrawn; it stays as it was when withdrawn.")
    new: dict[str, str] = {}
    for field in FINDING_FIELDS:
        if changes.get(field) is not None:
            new[field] = clean_input(str(changes[field])).text.strip()
    if "statement" in new and not new["statement"]:
        raise ReviewError("A finding needs a statement.")
    tag = changes.get("typology_tag")
    if tag is not None:
        if structure.tag_by_id.get(tag) is None or structure.tag_by_id[tag].group != "typology":
            raise ReviewError(f"'{tag}' is not one of the underlying-pattern categories.")
        new["typology_tag"] = tag
    links = {kind: changes.get(key) for kind, key in (("case_episode", "case_episode_ids"), ("note", "note_ids"))}
    _check_evidence(store, finding["case_id"], links["case_episode"], links["note"])
    changed = [f for f, value in new.items() if value != finding[f]]
    old_links = {kind: _links(store, finding_id, kind) for kind in links}
    relinked = [kind for kind, ids in links.items() if ids is not None and list(dict.fromkeys(ids)) != old_links[kind]]
    if not changed and not relinked:
        return []
    reason = _reason(reason, False, "the change")
    with store.write() as conn:
        for field in changed:
            keep_previous(conn, "finding", finding_id, field, finding[field], actor=actor, reason=reason,
                          case_id=finding["case_id"])
            conn.execute(f"UPDATE findings SET {field} = ? WHERE id = ?", (new[field], finding_id))
        for kind in relinked:
            keep_previous(conn, "finding", finding_id, f"{kind}s", json.dumps(old_links[kind]), actor=actor,
                          reason=reason, case_id=finding["case_id"])
            conn.execute("DELETE FROM finding_links WHERE finding_id = ? AND target_kind = ?", (finding_id, kind))
            conn.executemany("INSERT INTO finding_links (finding_id, target_kind, target_id) VALUES (?, ?, ?)",
                             [(finding_id, kind, i) for i in dict.fromkeys(links[kind])])
        conn.execute("UPDATE findings SET updated_at = ? WHERE id = ?", (now(), finding_id))
        store.event("edit", "finding", finding_id, {
            "fields": changed + [f"{k}s" for k in relinked],
            "old": {f: checksum(str(finding[f])) for f in changed}, "reason_given": bool(reason)}, actor)
    return changed + [f"{k}s" for k in relinked]


def withdraw_finding(store: Store, finding_id: str, reason: str, actor: str = "lead reviewer") -> None:
    """Withdraw a finding: it stays, marked withdrawn with the reason, and leaves the packs."""
    finding = _finding(store, finding_id)
    reason = _reason(reason, True, "withdrawing the finding")
    if finding["withdrawn_at"]:
        raise ReviewError("That finding is already withdrawn.")
    with store.write() as conn:
        stamp = now()
        conn.execute("UPDATE findings SET withdrawn_at = ?, withdrawn_reason = ?, updated_at = ? WHERE id = ?",
                     (stamp, reason, stamp, finding_id))
        store.event("withdraw", "finding", finding_id, {"reason_sha256": checksum(reason)}, actor)


def finding_history(store: Store, finding_id: str) -> list[dict[str, Any]]:
    """Every value a finding's edits replaced, oldest first (field, old_value, reason, replaced_at)."""
    _finding(store, finding_id)
    return previous_values(store, "finding", finding_id)


def _draft_slot(finding_id: str | None) -> str:
    return f"finding/{finding_id or 'new'}"


def save_finding_draft(store: Store, case_id: str, values: dict[str, Any], finding_id: str | None = None) -> None:
    """Keep a half-written finding (a new one, or an edit of `finding_id`) to offer back later."""
    unknown = sorted(set(values) - set(DRAFT_KEYS))
    if unknown:
        raise ReviewError(f"A finding draft holds only {', '.join(DRAFT_KEYS)}, not '{unknown[0]}'.")
    body = json.dumps({k: clean_input(v).text if isinstance(v, str) else v for k, v in values.items()})
    with store.write() as conn:
        conn.execute(
            "INSERT INTO case_drafts (case_id, slot, body, updated_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (case_id, slot) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at",
            (case_id, _draft_slot(finding_id), body, now()),
        )


def load_finding_draft(store: Store, case_id: str, finding_id: str | None = None) -> dict[str, Any] | None:
    """The half-written finding kept for this case (or for the edit of `finding_id`), or None."""
    body = store.scalar("SELECT body FROM case_drafts WHERE case_id = ? AND slot = ?",
                        (case_id, _draft_slot(finding_id)))
    return json.loads(body) if body else None


def discard_finding_draft(store: Store, case_id: str, finding_id: str | None = None) -> None:
    with store.write() as conn:
        conn.execute("DELETE FROM case_drafts WHERE case_id = ? AND slot = ?", (case_id, _draft_slot(finding_id)))


# ------------------------------------------------------------------ case episodes


def _case_episode(store: Store, case_episode_id: str) -> dict[str, Any]:
    row = store.one("SELECT * FROM case_episodes WHERE id = ?", (case_episode_id,))
    if row is None:
        raise ReviewError("That case episode no longer exists.")
    return row


def rename_case_episode(store: Store, case_episode_id: str, title: str, actor: str = "lead reviewer") -> None:
    episode = _case_episode(store, case_episode_id)
    title = clean_input(title).text.strip()
    if not title:
        raise ReviewError("Give the episode a short title.")
    if title == episode["title"]:
        return
    with store.write() as conn:
        keep_previous(conn, "case_episode", case_episode_id, "title", episode["title"], actor=actor,
                      case_id=episode["case_id"])
        conn.execute("UPDATE case_episodes SET title = ?, updated_at = ? WHERE id = ?", (title, now(), case_episode_id))
        store.event("edit", "case_episode", case_episode_id,
                    {"old": checksum(episode["title"]), "new": checksum(title)}, actor)


def unlink_from_episode(store: Store, case_episode_id: str, episode_id: str, actor: str = "lead reviewer") -> None:
    """Take one practitioner's moment out of a case episode; the moment itself stays."""
    _case_episode(store, case_episode_id)
    if store.one("SELECT 1 AS linked FROM case_episode_links WHERE case_episode_id = ? AND episode_id = ?",
                 (case_episode_id, episode_id)) is None:
        raise ReviewError("That key moment is not linked to this case episode.")
    with store.write() as conn:
        conn.execute("DELETE FROM case_episode_links WHERE case_episode_id = ? AND episode_id = ?",
                     (case_episode_id, episode_id))
        store.event("unlink", "case_episode", case_episode_id, {"moment": episode_id}, actor)


def merge_case_episodes(store: Store, keep_id: str, merge_id: str, title: str | None = None,
                        actor: str = "lead reviewer") -> None:
    """Make two case episodes one: `merge_id`'s moments, patterns and finding links join `keep_id`,
    which keeps its title (or takes `title`); the merged episode's title and patterns are kept in
    `keep_id`'s history."""
    keep, gone = _case_episode(store, keep_id), _case_episode(store, merge_id)
    if keep_id == merge_id:
        raise ReviewError("An episode cannot be merged with itself; choose two different episodes.")
    if keep["case_id"] != gone["case_id"]:
        raise ReviewError("Only episodes of the same case can be merged.")
    new_title = keep["title"] if title is None else clean_input(title).text.strip()
    if not new_title:
        raise ReviewError("Give the episode a short title.")
    typology = sorted(set(json.loads(keep["typology"])) | set(json.loads(gone["typology"])))
    with store.write() as conn:
        keep_previous(conn, "case_episode", keep_id, "merged",
                      json.dumps({"id": merge_id, "title": gone["title"], "typology": json.loads(gone["typology"])}),
                      actor=actor, case_id=keep["case_id"])
        if new_title != keep["title"]:
            keep_previous(conn, "case_episode", keep_id, "title", keep["title"], actor=actor, case_id=keep["case_id"])
        conn.execute("""INSERT OR IGNORE INTO case_episode_links (case_episode_id, episode_id)
                        SELECT ?, episode_id FROM case_episode_links WHERE case_episode_id = ?""", (keep_id, merge_id))
        conn.execute("""INSERT OR IGNORE INTO finding_links (finding_id, target_kind, target_id)
                        SELECT finding_id, 'case_episode', ? FROM finding_links
                        WHERE target_kind = 'case_episode' AND target_id = ?""", (keep_id, merge_id))
        _remove_case_episode(conn, merge_id)
        conn.execute("UPDATE case_episodes SET title = ?, typology = ?, updated_at = ? WHERE id = ?",
                     (new_title, json.dumps(typology), now(), keep_id))
        store.event("merge", "case_episode", keep_id, {"merged": merge_id, "kept": keep_id}, actor)
        store.event("merge", "case_episode", merge_id, {"merged": merge_id, "kept": keep_id}, actor)


def _remove_case_episode(conn: Any, case_episode_id: str) -> None:
    conn.execute("DELETE FROM case_episode_links WHERE case_episode_id = ?", (case_episode_id,))
    conn.execute("DELETE FROM finding_links WHERE target_kind = 'case_episode' AND target_id = ?", (case_episode_id,))
    conn.execute("DELETE FROM case_episodes WHERE id = ?", (case_episode_id,))


def delete_case_episode(store: Store, case_episode_id: str, reason: str = "", actor: str = "lead reviewer") -> None:
    """Delete a case episode: its moments stay (unlinked), findings lose it as evidence; its title and
    moments are kept in its history."""
    episode = _case_episode(store, case_episode_id)
    reason = _reason(reason, False, "deleting the episode")
    moments = [r["episode_id"] for r in store.query(
        "SELECT episode_id FROM case_episode_links WHERE case_episode_id = ? ORDER BY rowid", (case_episode_id,))]
    with store.write() as conn:
        keep_previous(conn, "case_episode", case_episode_id, "deleted",
                      json.dumps({"title": episode["title"], "typology": json.loads(episode["typology"]),
                                  "moments": moments}), actor=actor, reason=reason, case_id=episode["case_id"])
        _remove_case_episode(conn, case_episode_id)
        store.event("delete", "case_episode", case_episode_id,
                    {"moments": moments, "title_sha256": checksum(episode["title"]), "reason_given": bool(reason)},
                    actor)
