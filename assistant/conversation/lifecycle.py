"""A conversation's life: created at the first section, listed, its status moved on (ended, sent for
checking, checked) and reopened, its labels corrected, the closing checklist, and the local date it was
held on."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, Iterable

from assistant.conversation.model import CONSENT, STATUS_LABELS, STATUSES, ConversationError
from assistant.conversation.walk import close_visits, open_visit
from assistant.previous import keep_previous
from assistant.safe_text import clean_input
from assistant.store import Store, checksum, local_offset, new_id, now

if TYPE_CHECKING:
    from assistant.conversation import Conversation
    from assistant.structure import Structure


def create_conversation(
    store: Store,
    structure: Structure,
    *,
    case_id: str,
    practitioner_role: str,
    agency: str = "",
    lead_interviewer: str = "",
    second_interviewer: str = "",
    records_seen_before: bool = False,
    recording_consent: str = "not_recorded",
    mode: str = "live",
    scenario_id: str | None = None,
    actor: str = "lead",
) -> str:
    """Start a conversation at the first section; returns its id."""
    fields = {
        "practitioner_role": practitioner_role,
        "agency": agency,
        "lead_interviewer": lead_interviewer,
        "second_interviewer": second_interviewer,
    }
    fields = {k: clean_input(v).text.strip()[:200] for k, v in fields.items()}
    if not fields["practitioner_role"]:
        raise ConversationError("Give the practitioner's role label, such as \"Social Worker 1\".")
    if recording_consent not in CONSENT:
        raise ConversationError("Recording consent must be yes, no or not recorded.")
    if mode not in ("live", "rehearsal"):
        raise ConversationError("A conversation is live or a rehearsal.")
    if not store.one("SELECT id FROM cases WHERE id = ?", (case_id,)):
        raise ConversationError("That case no longer exists.")
    conversation_id = new_id()
    stamp = now()
    first = structure.sections[0].id
    with store.write() as conn:
        conn.execute(
            """INSERT INTO conversations (id, case_id, practitioner_role, agency, lead_interviewer,
               second_interviewer, mode, scenario_id, structure_id, structure_version, structure_hash,
               status, records_seen_before, recording_consent, position_section, created_at, updated_at,
               utc_offset)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'in_progress', ?, ?, ?, ?, ?, ?)""",
            (
                conversation_id, case_id, fields["practitioner_role"], fields["agency"],
                fields["lead_interviewer"], fields["second_interviewer"], mode, scenario_id,
                structure.id, structure.version, structure.content_hash, int(bool(records_seen_before)),
                recording_consent, first, stamp, stamp, local_offset(),
            ),
        )
        open_visit(conn, conversation_id, first, None, stamp)
        store.event("create", "conversation", conversation_id, {"mode": mode, "structure": structure.id}, actor)
    return conversation_id


def held_on(row: dict[str, Any]) -> str:
    """The local date a conversation was held: its UTC start plus the device's offset at the time
    (the UTC date when no offset was recorded)."""
    created = row["created_at"]
    offset = row.get("utc_offset")
    try:
        start = datetime.fromisoformat(created)
        if start.tzinfo is None:
            start = start.replace(tzinfo=timezone.utc)
        if offset:
            sign = -1 if offset.startswith("-") else 1
            hours, minutes = offset.lstrip("+-").split(":")
            start = start.astimezone(timezone(sign * timedelta(hours=int(hours), minutes=int(minutes))))
        return start.date().isoformat()
    except (ValueError, TypeError):
        return str(created)[:10]


def list_conversations(store: Store, case_id: str | None = None, mode: str = "live") -> list[dict[str, Any]]:
    """Conversations of one mode (all cases, or one), newest first, with note counts."""
    where = "v.mode = ?"
    params: list[Any] = [mode]
    if case_id:
        where += " AND v.case_id = ?"
        params.append(case_id)
    return store.query(
        f"""SELECT v.*, c.reference, c.label AS case_label,
                   (SELECT COUNT(*) FROM notes n WHERE n.conversation_id = v.id AND n.deleted_at IS NULL)
                       AS note_count
            FROM conversations v JOIN cases c ON c.id = v.case_id
            WHERE {where} ORDER BY v.updated_at DESC""",
        params,
    )


def set_status(conversation: Conversation, status: str, reason: str = "") -> None:
    """Move the record on: ended, sent for checking, checked (or back to in progress to correct)."""
    if status not in STATUSES:
        raise ConversationError(f"A conversation's status is one of: {', '.join(STATUS_LABELS.values())}.")
    old = conversation.row["status"]
    if old == status:
        return
    stamp = now()
    with conversation.store.write() as conn:
        conn.execute(
            "UPDATE conversations SET status = ?, updated_at = ?,"
            " ended_at = COALESCE(ended_at, CASE WHEN ? = 'in_progress' THEN NULL ELSE ? END) WHERE id = ?",
            (status, stamp, status, stamp, conversation.id),
        )
        if status != "in_progress":
            close_visits(conn, conversation.id, stamp)
        conversation.store.event(
            "status", "conversation", conversation.id, {"old": old, "new": status, "reason_given": bool(reason)},
            conversation.actor,
        )


def checklist(conversation: Conversation) -> set[int]:
    """The closing-checklist items ticked so far (indexes into the structure's list)."""
    return {r["item"] for r in conversation.store.query(
        "SELECT item FROM closing_checks WHERE conversation_id = ?", (conversation.id,))}


def tick_checklist(conversation: Conversation, item: int, ticked: bool) -> None:
    if not 0 <= item < len(conversation.structure.closing_checklist):
        raise ConversationError("There is no such item on the closing checklist.")
    with conversation.store.write() as conn:
        if ticked:
            conn.execute("INSERT OR IGNORE INTO closing_checks (conversation_id, item, ticked_at) VALUES (?, ?, ?)",
                         (conversation.id, item, now()))
        else:
            conn.execute("DELETE FROM closing_checks WHERE conversation_id = ? AND item = ?",
                         (conversation.id, item))


# The labels that name who was in the conversation, as the new-conversation form takes them.
LABELS = ("practitioner_role", "agency", "lead_interviewer", "second_interviewer")


def _reason(reason: str, what: str) -> str:
    text = clean_input(reason or "").text.strip()
    if len(text) < 3:
        raise ConversationError(f"Give a short reason for {what}; it is kept with the change.")
    return text[:500]


# What the history keeps in place of an earlier label that was a person's name.
NAME_REMOVED = "[a person's name, removed]"


def relabel(conversation: Conversation, reason: str, *, earlier_was_a_name: bool | Iterable[str] = False,
            **labels: str | None) -> list[str]:
    """Correct the practitioner's role label, agency or the interviewers' labels at any point (a real
    name typed by mistake, a wrong agency); each replaced value is kept with the reason. Returns the
    labels that changed.

    `earlier_was_a_name` (True for every changed label, or the labels it names) says the replaced values
    were a person's name: the history keeps NAME_REMOVED and the reason instead, and the audit event no
    hash of them, so the name is gone."""
    unknown = sorted(set(labels) - set(LABELS))
    if unknown:
        raise ConversationError(f"'{unknown[0]}' is not one of a conversation's labels ({', '.join(LABELS)}).")
    row = conversation.row
    new = {k: clean_input(v).text.strip()[:200] for k, v in labels.items() if v is not None}
    if "practitioner_role" in new and not new["practitioner_role"]:
        raise ConversationError("Give the practitioner's role label, such as \"Social Worker 1\".")
    changed = [k for k in LABELS if k in new and new[k] != row[k]]
    if not changed:
        raise ConversationError("Nothing to change: the labels given are the ones the conversation has.")
    reason = _reason(reason, "changing a label")
    names = set(changed) if earlier_was_a_name is True else set(changed) & set(earlier_was_a_name or ())
    with conversation.store.write() as conn:
        for label in changed:
            earlier = NAME_REMOVED if label in names else row[label]
            keep_previous(conn, "conversation", conversation.id, label, earlier, actor=conversation.actor,
                          reason=reason, case_id=row["case_id"], conversation_id=conversation.id)
            conn.execute(f"UPDATE conversations SET {label} = ? WHERE id = ?", (new[label], conversation.id))
        conversation.touch(conn)
        # A hash of a short name can be found again by trying names, so a removed name leaves none.
        conversation.store.event("relabel", "conversation", conversation.id, {
            "fields": changed, "old": {k: checksum(row[k]) for k in changed if k not in names},
            "new": {k: checksum(new[k]) for k in changed}, "reason_sha256": checksum(reason),
            "names_removed": sorted(names)}, conversation.actor)
    return changed


def reopen(conversation: Conversation, reason: str) -> None:
    """Reopen an ended, sent-for-checking or checked record to make corrections: back to in progress,
    with the reason kept and audited."""
    row = conversation.row
    if row["status"] == "in_progress":
        raise ConversationError("This conversation is already in progress; there is nothing to reopen.")
    reason = _reason(reason, "reopening the record")
    with conversation.store.write() as conn:
        keep_previous(conn, "conversation", conversation.id, "status", row["status"], actor=conversation.actor,
                      reason=reason, case_id=row["case_id"], conversation_id=conversation.id)
        conn.execute("UPDATE conversations SET status = 'in_progress', updated_at = ? WHERE id = ?",
                     (now(), conversation.id))
        conversation.store.event("reopen", "conversation", conversation.id,
                                 {"old": row["status"], "new": "in_progress", "reason_sha256": checksum(reason)},
                                 conversation.actor)
