"""The case group: the frontline practitioners and first-line managers involved in the case, each by
role label and agency (never a name), and where each stands before, during and after their conversation.

A member moves from *to invite* to *letter sent* to *conversation arranged*; once linked to their
conversation the rest follows that conversation's record by itself: *held*, *record sent for checking*,
*checked*. A member who is absent or declined is recorded with a reason. A member's role label and agency can be
corrected (the earlier value kept, unless it was a person's name) and a member added by mistake removed;
a member whose role label and agency fit exactly one conversation of the case is linked to it.
"""

from __future__ import annotations

import calendar
import json
import re
from datetime import date as calendar_date
from typing import Any

from assistant.previous import keep_previous
from assistant.safe_text import clean_input
from assistant.store import Store, StoreError, checksum, new_id, now

# Recorded by the review team; the stages after these follow the linked conversation.
RECORDED_STATUSES = ("to_invite", "letter_sent", "arranged", "declined", "absent")
STATUSES = ("to_invite", "letter_sent", "arranged", "held", "sent_for_checking", "checked", "declined", "absent")
STATUS_LABELS = {
    "to_invite": "to invite",
    "letter_sent": "letter sent",
    "arranged": "conversation arranged",
    "held": "conversation held",
    "sent_for_checking": "record sent for checking",
    "checked": "record checked",
    "declined": "declined",
    "absent": "absent",
}
NEEDS_REASON = ("declined", "absent")
# What the review team does next for a member who is still outstanding.
NEXT_STEPS = {
    "to_invite": "send the introductory letter",
    "letter_sent": "arrange the conversation",
    "arranged": "hold the conversation",
    "held": "send the record for checking",
    "sent_for_checking": "wait for the accuracy check",
}
# A conversation's status, as the stage its case-group member has reached.
_FROM_CONVERSATION = {"in_progress": "held", "ended": "held", "sent_for_checking": "sent_for_checking",
                      "checked": "checked"}
MAX_FIELD_CHARS = 200
MAX_REASON = 500
# Kept in place of an earlier value the lead says was a person's name: the name itself is not kept.
NAME_REMOVED = "[a person's name, removed]"

_SELECT = """SELECT m.*, v.status AS conversation_status FROM case_group_members m
             LEFT JOIN conversations v ON v.id = m.conversation_id"""


class CaseGroupError(StoreError):
    """A case-group request that cannot be carried out, in one sentence; nothing was changed."""


def _with_status(row: dict[str, Any]) -> dict[str, Any]:
    """The member's row, its `status` the stage reached (from the conversation once linked);
    `recorded_status` keeps what the review team last recorded."""
    row["recorded_status"] = row["status"]
    if row.get("conversation_status"):
        row["status"] = _FROM_CONVERSATION[row["conversation_status"]]
    row["status_label"] = STATUS_LABELS[row["status"]]
    return row


def _text(value: str, what: str, required: bool = False) -> str:
    text = " ".join(clean_input(value or "").text.split())
    if required and not text:
        raise CaseGroupError(f"Give the member's {what}, such as \"Social Worker 1\".")
    if len(text) > MAX_FIELD_CHARS:
        raise CaseGroupError(f"A member's {what} can be at most {MAX_FIELD_CHARS} characters.")
    return text


def add_member(store: Store, case_id: str, role: str, agency: str = "", actor: str = "lead reviewer") -> str:
    """Add a member of the case group by role label and agency; returns their id."""
    role = _text(role, "role label", required=True)
    agency = _text(agency, "agency")
    if store.one("SELECT 1 AS one FROM cases WHERE id = ?", (case_id,)) is None:
        raise CaseGroupError("There is no such case in this database; `case list` shows the cases.")
    member_id = new_id()
    stamp = now()
    with store.write() as conn:
        conn.execute(
            "INSERT INTO case_group_members (id, case_id, role, agency, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?)", (member_id, case_id, role, agency, stamp, stamp))
        store.event("create", "case_group_member", member_id, {"case": case_id}, actor)
    link_if_one_matches(store, member_id, actor)
    return member_id


def get_member(store: Store, member_id: str) -> dict[str, Any]:
    row = store.one(f"{_SELECT} WHERE m.id = ?", (member_id,))
    if row is None:
        raise CaseGroupError("There is no case-group member with that id; `group list` shows them.")
    return _with_status(row)


def list_members(store: Store, case_id: str) -> list[dict[str, Any]]:
    """The case group, in the order its members were added, each with the stage reached."""
    return [_with_status(r) for r in store.query(f"{_SELECT} WHERE m.case_id = ? ORDER BY m.rowid", (case_id,))]


def outstanding(store: Store, case_id: str) -> list[dict[str, Any]]:
    """Members whose part is not finished (neither checked nor absent or declined), each with the
    review team's `next_step`."""
    rows = [m for m in list_members(store, case_id) if m["status"] in NEXT_STEPS]
    for row in rows:
        row["next_step"] = NEXT_STEPS[row["status"]]
    return rows


def outstanding_counts(store: Store) -> dict[str, int]:
    """How many members are outstanding in each case that has any, by case id (for the home screen)."""
    counts: dict[str, int] = {}
    for row in store.query(f"{_SELECT} ORDER BY m.rowid"):
        if _with_status(row)["status"] in NEXT_STEPS:
            counts[row["case_id"]] = counts.get(row["case_id"], 0) + 1
    return counts


def _unlinked(member: dict[str, Any]) -> None:
    if member["conversation_id"]:
        raise CaseGroupError("This member's conversation has started, so their status follows its conversation's "
                             "record.")


def set_member_status(store: Store, member_id: str, status: str, reason: str = "",
                      actor: str = "lead reviewer") -> None:
    """Record where a member stands before their conversation; absent and declined need a reason."""
    if status not in RECORDED_STATUSES:
        named = ", ".join(STATUS_LABELS[s] for s in RECORDED_STATUSES)
        raise CaseGroupError(f"A member's status can be set to {named}; the rest follows their conversation.")
    member = get_member(store, member_id)
    _unlinked(member)
    reason = " ".join(clean_input(reason or "").text.split())
    if status in NEEDS_REASON and len(reason) < 3:
        raise CaseGroupError(f"Recording a member as {status} needs a reason, which is kept with them.")
    if status not in NEEDS_REASON:
        reason = ""
    if (status, reason) == (member["recorded_status"], member["reason"]):
        return
    with store.write() as conn:
        conn.execute(
            "UPDATE case_group_members SET status = ?, reason = ?, updated_at = ?,"
            " letter_sent_at = CASE WHEN ? = 'letter_sent' THEN COALESCE(letter_sent_at, ?) ELSE letter_sent_at END"
            " WHERE id = ?", (status, reason, now(), status, now(), member_id))
        store.event("status", "case_group_member", member_id,
                    {"old": member["recorded_status"], "new": status,
                     "reason_checksum": checksum(reason) if reason else None}, actor)


def record_letter_sent(store: Store, member_id: str, actor: str = "lead reviewer") -> None:
    """Record that the introductory letter went out: a member still to invite moves on to *letter sent*
    (a member further on keeps their stage; the date is kept either way)."""
    member = get_member(store, member_id)
    status = "letter_sent" if member["recorded_status"] == "to_invite" else member["recorded_status"]
    stamp = now()
    with store.write() as conn:
        conn.execute("UPDATE case_group_members SET status = ?, letter_sent_at = ?, updated_at = ? WHERE id = ?",
                     (status, stamp, stamp, member_id))
        store.event("letter_sent", "case_group_member", member_id,
                    {"old": member["recorded_status"], "new": status}, actor)


def set_arrangements(store: Store, member_id: str, *, date: str = "", time: str = "", place: str = "",
                     actor: str = "lead reviewer") -> None:
    """The date, time and place of a member's conversation, as they will read them in their letter."""
    get_member(store, member_id)
    values = (_meeting_date(_text(date, "date")), _meeting_time(_text(time, "time")), _text(place, "place"))
    with store.write() as conn:
        conn.execute(
            "UPDATE case_group_members SET meeting_date = ?, meeting_time = ?, meeting_place = ?, updated_at = ?"
            " WHERE id = ?", (*values, now(), member_id))
        store.event("arrange", "case_group_member", member_id, {"checksum": checksum("\x1f".join(values))}, actor)


MONTHS = {name.lower(): number for number, name in enumerate(calendar.month_name) if name}
MONTHS.update({name.lower(): number for number, name in enumerate(calendar.month_abbr) if name})


def _meeting_date(text: str) -> str:
    """A date the letter can give: YYYY-MM-DD or in words ("Tuesday 3 March"), but never one that
    does not exist, such as 2026-02-30 or 31 April."""
    numeric = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", text)
    if numeric:
        year, month, day = (int(part) for part in numeric.groups())
    else:
        worded = re.search(r"\b(\d{1,2})(?:st|nd|rd|th)?\s+([A-Za-z]+)\.?(?:,?\s+(\d{4}))?\b", text)
        if not worded or worded.group(2).lower() not in MONTHS:
            return text
        # Without a year, 29 February may still be meant for a leap year.
        day, month, year = int(worded.group(1)), MONTHS[worded.group(2).lower()], int(worded.group(3) or 2028)
    try:
        calendar_date(year, month, day)
    except ValueError:
        raise CaseGroupError(f"'{text[:40]}' is not a date that exists; write it as YYYY-MM-DD, e.g. 2026-03-14,"
                             " or in words, e.g. Tuesday 3 March.") from None
    return text


def _meeting_time(text: str) -> str:
    """A time of day as 24-hour HH:MM (14:30) or with am/pm (2:30pm, 10am)."""
    if not text:
        return text
    clock = re.fullmatch(r"([01]?\d|2[0-3])[:.]([0-5]\d)", text)
    twelve = re.fullmatch(r"(1[0-2]|0?[1-9])(?:[:.]([0-5]\d))?\s*([ap])\.?m\.?", text, re.IGNORECASE)
    if not (clock or twelve):
        raise CaseGroupError(f"'{text[:40]}' is not a time of day; write it as 24-hour HH:MM, e.g. 14:30,"
                             " or with am or pm, e.g. 2:30pm.")
    return text


def link_conversation(store: Store, member_id: str, conversation_id: str, actor: str = "lead") -> None:
    """Link a member to their conversation (from the new-conversation form): from then on their stage
    follows the conversation's record."""
    member = get_member(store, member_id)
    conversation = store.one("SELECT case_id, mode FROM conversations WHERE id = ?", (conversation_id,))
    if conversation is None or conversation["case_id"] != member["case_id"] or conversation["mode"] != "live":
        raise CaseGroupError("A member can only be linked to a live conversation in the same case.")
    if member["conversation_id"] == conversation_id:
        return
    if member["conversation_id"]:
        raise CaseGroupError("This member is already linked to another conversation.")
    if member["recorded_status"] in NEEDS_REASON:
        raise CaseGroupError(f"This member is recorded as {member['recorded_status']}; set them back to "
                             "arranged first.")
    holder = store.one("SELECT id FROM case_group_members WHERE conversation_id = ?", (conversation_id,))
    if holder is not None:
        raise CaseGroupError("That conversation already belongs to another member of the case group.")
    with store.write() as conn:
        conn.execute("UPDATE case_group_members SET conversation_id = ?, updated_at = ? WHERE id = ?",
                     (conversation_id, now(), member_id))
        store.event("link", "case_group_member", member_id, {"conversation": conversation_id}, actor)


# ------------------------------------------------------------------ corrections and conversations held


def _reason(reason: str, what: str) -> str:
    text = " ".join(clean_input(reason or "").text.split())
    if len(text) < 3:
        raise CaseGroupError(f"Give a short reason for {what}; it is kept with the change.")
    return text[:MAX_REASON]


def _same_person(role: str, agency: str) -> tuple[str, str]:
    """What a role label and agency are compared by: case and spacing aside."""
    return " ".join(role.split()).casefold(), " ".join(agency.split()).casefold()


def unlinked_conversations(store: Store, member_id: str) -> list[dict[str, Any]]:
    """The case's live conversations that no member holds yet, those whose role label and agency are the
    member's (`matches`) first: what a member can be linked to."""
    member = get_member(store, member_id)
    rows = store.query(
        """SELECT v.id, v.practitioner_role, v.agency, v.status FROM conversations v
           WHERE v.case_id = ? AND v.mode = 'live'
             AND NOT EXISTS (SELECT 1 FROM case_group_members m WHERE m.conversation_id = v.id)
           ORDER BY v.rowid""", (member["case_id"],))
    wanted = _same_person(member["role"], member["agency"])
    for row in rows:
        row["matches"] = _same_person(row["practitioner_role"], row["agency"]) == wanted
        row["status_label"] = STATUS_LABELS[_FROM_CONVERSATION[row["status"]]]
    return sorted(rows, key=lambda row: not row["matches"])


def link_if_one_matches(store: Store, member_id: str, actor: str = "lead reviewer") -> str | None:
    """Link a member still without a conversation to the one conversation of the case with their role
    label and agency and no member yet; returns its id, or None when none or several fit (then the
    lead chooses: `unlinked_conversations`)."""
    member = get_member(store, member_id)
    if member["conversation_id"] or member["recorded_status"] in NEEDS_REASON:
        return None
    fitting = [c["id"] for c in unlinked_conversations(store, member_id) if c["matches"]]
    if len(fitting) != 1:
        return None
    link_conversation(store, member_id, fitting[0], actor)
    return fitting[0]


def edit_member(store: Store, member_id: str, *, role: str | None = None, agency: str | None = None,
                reason: str = "", was_a_name: bool = False, actor: str = "lead reviewer",
                ) -> tuple[list[str], str | None]:
    """Correct a member's role label and/or agency, with a reason; each earlier value is kept, except that
    `was_a_name` keeps only NAME_REMOVED in its place. Returns the fields changed and the conversation
    the corrected member was then linked to (or None)."""
    member = get_member(store, member_id)
    new = {"role": None if role is None else _text(role, "role label", required=True),
           "agency": None if agency is None else _text(agency, "agency")}
    changed = [field for field, value in new.items() if value is not None and value != member[field]]
    if not changed:
        return [], None
    reason = _reason(reason, "the correction")
    with store.write() as conn:
        for field in changed:
            keep_previous(conn, "case_group_member", member_id, field, NAME_REMOVED if was_a_name else member[field],
                          actor=actor, reason=reason, case_id=member["case_id"])
            conn.execute(f"UPDATE case_group_members SET {field} = ?, updated_at = ? WHERE id = ?",
                         (new[field], now(), member_id))
        # A name's checksum is not kept either: a short name could be found from it.
        old = {} if was_a_name else {field: checksum(member[field]) for field in changed}
        store.event("edit", "case_group_member", member_id,
                    {"fields": changed, "old": old, "was_a_name": was_a_name, "reason_checksum": checksum(reason)},
                    actor)
    return changed, link_if_one_matches(store, member_id, actor)


def remove_member(store: Store, member_id: str, reason: str, *, was_a_name: bool = False,
                  actor: str = "lead reviewer") -> None:
    """Remove a member added by mistake, with a reason; who they were is kept in the case's history
    (their role label as NAME_REMOVED when `was_a_name`). A member linked to a conversation, or who has
    checked the report, stays."""
    member = get_member(store, member_id)
    if member["conversation_id"]:
        raise CaseGroupError("This member is already linked to a conversation, so they cannot be removed; "
                             "their part follows that conversation's record.")
    if store.one("SELECT 1 AS one FROM report_accuracy_checks WHERE member_id = ?", (member_id,)) is not None:
        raise CaseGroupError("This member has checked the report for accuracy, so they cannot be removed.")
    reason = _reason(reason, "removing the member")
    who = {"role": NAME_REMOVED if was_a_name else member["role"], "agency": member["agency"]}
    with store.write() as conn:
        keep_previous(conn, "case_group_member", member_id, "removed", json.dumps(who), actor=actor, reason=reason,
                      case_id=member["case_id"])
        conn.execute("DELETE FROM case_group_members WHERE id = ?", (member_id,))
        store.event("delete", "case_group_member", member_id,
                    {"case": member["case_id"], "was_a_name": was_a_name, "reason_checksum": checksum(reason)},
                    actor)
