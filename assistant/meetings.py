"""The case group's follow-on meetings and the challenge log.

A meeting (first, second or accuracy check) has a date, facilitators, the pack version shared, and the
people by role and agency: those who attended, and those absent with how they will be consulted. Each
challenge or correction raised is recorded against an episode, a finding or a report section, with the
team's response, who decided, and whether the person who raised it has been told.

Nothing is deleted: a response that changes keeps the earlier one in `revisions`. Every change is one
transaction with its audit event (ids and hashes, never words); a refused change leaves everything as it was.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from assistant.conversation import looks_like_full_name
from assistant.previous import keep_previous, previous_values
from assistant.safe_text import clean_input
from assistant.store import Store, StoreError, checksum, new_id, now

MEETING_KINDS = ("first", "second", "accuracy")
CHALLENGE_KINDS = ("correction", "perspective", "disputes-appraisal", "new-information", "suggested-change")
OUTCOMES = ("accepted", "partly", "not-accepted", "to-check")
# The report's sections, in order; a challenge at the accuracy check points at one of them.
REPORT_SECTIONS = ("introduction", "methodology", "story", "appraisal", "findings", "questions")
MAX_TEXT = 5_000


class MeetingError(StoreError):
    """A request about a follow-on meeting or a challenge that cannot be carried out; nothing changed."""


def _text(value: str, what: str, required: bool = False, limit: int = 200) -> str:
    text = " ".join(clean_input(value or "").text.split())
    if required and not text:
        raise MeetingError(f"Give {what}; it cannot be empty.")
    if len(text) > limit:
        raise MeetingError(f"{what[0].upper()}{what[1:]} can be at most {limit:,} characters.")
    return text


def _case(store: Store, case_id: str) -> None:
    if store.one("SELECT 1 AS one FROM cases WHERE id = ?", (case_id,)) is None:
        raise MeetingError("There is no such case in this database; `case list` shows the cases.")


def get_meeting(store: Store, meeting_id: str) -> dict[str, Any]:
    row = store.one("SELECT * FROM meetings WHERE id = ?", (meeting_id,))
    if row is None:
        raise MeetingError("There is no follow-on meeting with that id; `meeting list` shows them.")
    return row


def add_meeting(store: Store, case_id: str, kind: str, on: str, *, facilitators: str = "",
                pack_version: str = "", actor: str = "lead reviewer") -> str:
    """Record a follow-on meeting (`first`, `second` or `accuracy`) on a date (YYYY-MM-DD); returns its id."""
    _case(store, case_id)
    if kind not in MEETING_KINDS:
        raise MeetingError(f"A follow-on meeting is one of {', '.join(MEETING_KINDS)}.")
    try:
        day = date.fromisoformat((on or "").strip()).isoformat()
    except ValueError:
        raise MeetingError(f"'{(on or '')[:40]}' is not a date; write it as YYYY-MM-DD.") from None
    facilitators = _text(facilitators, "the facilitators")
    pack_version = _text(pack_version, "the pack version", limit=80)
    meeting_id, stamp = new_id(), now()
    with store.write() as conn:
        conn.execute("INSERT INTO meetings (id, case_id, kind, date, facilitators, pack_version, created_at,"
                     " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                     (meeting_id, case_id, kind, day, facilitators, pack_version, stamp, stamp))
        store.event("create", "meeting", meeting_id, {"case": case_id, "kind": kind, "date": day}, actor)
    return meeting_id


NAME_REFUSED = "\"{role}\" looks like a person's name — use a role label, e.g. \"Social Worker 1\"."


def add_person(store: Store, meeting_id: str, role: str, agency: str = "", *, attended: bool = True,
               consult_how: str = "", allow_name: bool = False, actor: str = "lead reviewer") -> str:
    """Record who attended (by role and agency), or who was absent and how they will be consulted. A
    person is recorded once per meeting; a role that looks like a name needs `allow_name`."""
    get_meeting(store, meeting_id)
    role = _text(role, "the person's role label", required=True)
    agency = _text(agency, "the agency")
    if not allow_name and looks_like_full_name(role):
        raise MeetingError(NAME_REFUSED.format(role=role[:40]))
    # One person counted as both attending and absent would make the meeting's numbers wrong.
    same = store.one("SELECT attended FROM meeting_people WHERE meeting_id = ? AND lower(role) = lower(?)"
                     " AND lower(agency) = lower(?)", (meeting_id, role, agency))
    if same is not None:
        where = "attending" if same["attended"] else "absent"
        raise MeetingError(f"{role[:40]}{f' ({agency[:40]})' if agency else ''} is already recorded at this "
                           f"meeting as {where}.")
    consult_how = _text(consult_how, "how they will be consulted", limit=500)
    if not attended and not consult_how:
        raise MeetingError("Say how an absent member will be consulted, e.g. \"a call with the lead reviewer\".")
    person_id = new_id()
    with store.write() as conn:
        conn.execute("INSERT INTO meeting_people (id, meeting_id, role, agency, attended, consult_how, created_at)"
                     " VALUES (?, ?, ?, ?, ?, ?, ?)",
                     (person_id, meeting_id, role, agency, int(attended), consult_how, now()))
        store.event("attend" if attended else "absent", "meeting", meeting_id, {"person": person_id}, actor)
    return person_id


def list_meetings(store: Store, case_id: str) -> list[dict[str, Any]]:
    """The case's meetings by date, each with `attendees` and `absentees` (role, agency, consult_how)."""
    meetings = store.query("SELECT * FROM meetings WHERE case_id = ? ORDER BY date, rowid", (case_id,))
    for meeting in meetings:
        people = store.query("SELECT role, agency, attended, consult_how FROM meeting_people WHERE meeting_id = ?"
                             " ORDER BY rowid", (meeting["id"],))
        meeting["attendees"] = [p for p in people if p["attended"]]
        meeting["absentees"] = [p for p in people if not p["attended"]]
    return meetings


# ------------------------------------------------------------------ the challenge log


def _about(store: Store, case_id: str, about: str) -> tuple[str, str]:
    """`episode:ID`, `finding:ID` or `section:NAME`, checked against the case (ids take a unique prefix)."""
    kind, _, target = (about or "").partition(":")
    target = target.strip()
    if kind == "section":
        if target not in REPORT_SECTIONS:
            raise MeetingError(f"A report section is one of {', '.join(REPORT_SECTIONS)}.")
        return kind, target
    tables = {"episode": ("case_episodes", "case episode"), "finding": ("findings", "finding")}
    if kind not in tables or not target:
        raise MeetingError("Say what the challenge is about: episode:ID, finding:ID or section:NAME.")
    table, noun = tables[kind]
    found = store.query(f"SELECT id FROM {table} WHERE case_id = ? AND substr(id, 1, ?) = ? LIMIT 2",
                        (case_id, len(target), target.lower()))
    if len(found) != 1:
        raise MeetingError(f"No single {noun} of this case has an id starting '{target[:40]}'.")
    return kind, found[0]["id"]


def add_challenge(store: Store, meeting_id: str, about: str, raised_by: str, kind: str, text: str,
                  actor: str = "lead reviewer") -> str:
    """Record a challenge or correction raised at a meeting; returns its id. It starts `open`."""
    meeting = get_meeting(store, meeting_id)
    about_kind, about_id = _about(store, meeting["case_id"], about)
    raised_by = _text(raised_by, "the role of the person who raised it", required=True)
    if kind not in CHALLENGE_KINDS:
        raise MeetingError(f"A challenge's kind is one of {', '.join(CHALLENGE_KINDS)}.")
    text = _text(text, "the challenge's words", required=True, limit=MAX_TEXT)
    challenge_id, stamp = new_id(), now()
    with store.write() as conn:
        conn.execute(
            "INSERT INTO challenges (id, case_id, meeting_id, about_kind, about_id, raised_by, kind, text,"
            " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (challenge_id, meeting["case_id"], meeting_id, about_kind, about_id, raised_by, kind, text, stamp, stamp))
        store.event("create", "challenge", challenge_id,
                    {"meeting": meeting_id, "about": f"{about_kind}:{about_id}", "kind": kind,
                     "checksum": checksum(text)}, actor)
    return challenge_id


def get_challenge(store: Store, challenge_id: str) -> dict[str, Any]:
    found = store.query("SELECT * FROM challenges WHERE substr(id, 1, ?) = ? LIMIT 2",
                        (len(challenge_id or ""), (challenge_id or "").strip().lower()))
    if len(found) != 1 or not challenge_id:
        raise MeetingError("No single challenge has an id starting that way; `challenge list` shows them.")
    return found[0]


def respond(store: Store, challenge_id: str, outcome: str, *, reason: str = "", decided_by: str = "lead reviewer",
            actor: str = "lead reviewer") -> None:
    """Record the team's response; `not-accepted` needs a reason. An earlier response is kept."""
    challenge = get_challenge(store, challenge_id)
    if outcome not in OUTCOMES:
        raise MeetingError(f"A response is one of {', '.join(OUTCOMES)}.")
    reason = _text(reason, "the reason", limit=MAX_TEXT)
    if outcome == "not-accepted" and len(reason) < 3:
        raise MeetingError("Give the reason a challenge is not accepted; it is kept with the response.")
    decided_by = _text(decided_by, "who decided", required=True)
    with store.write() as conn:
        if challenge["outcome"] != "open":
            keep_previous(conn, "challenge", challenge["id"], "response",
                          f"{challenge['outcome']}: {challenge['reason']}".rstrip(": "), actor=actor,
                          case_id=challenge["case_id"])
        conn.execute("UPDATE challenges SET outcome = ?, reason = ?, decided_by = ?, raiser_told = 0,"
                     " updated_at = ? WHERE id = ?", (outcome, reason, decided_by, now(), challenge["id"]))
        store.event("respond", "challenge", challenge["id"],
                    {"outcome": outcome, "reason_sha256": checksum(reason)}, actor)


def mark_told(store: Store, challenge_id: str, actor: str = "lead reviewer") -> bool:
    """Record that the person who raised the challenge has been told the response; False when they had
    already been told (nothing is written again)."""
    challenge = get_challenge(store, challenge_id)
    if challenge["outcome"] == "open":
        raise MeetingError("The challenge has no response yet, so there is nothing to tell.")
    if challenge["outcome"] == "to-check":
        raise MeetingError("The team is still checking this challenge; tell them once the team has decided.")
    if challenge["raiser_told"]:
        return False
    with store.write() as conn:
        conn.execute("UPDATE challenges SET raiser_told = 1, updated_at = ? WHERE id = ?", (now(), challenge["id"]))
        store.event("told", "challenge", challenge["id"], {}, actor)
    return True


def challenge_log(store: Store, case_id: str) -> list[dict[str, Any]]:
    """Every challenge of the case, oldest first, with its meeting's kind and date and earlier responses."""
    rows = store.query("""SELECT c.*, m.kind AS meeting_kind, m.date AS meeting_date FROM challenges c
                          JOIN meetings m ON m.id = c.meeting_id WHERE c.case_id = ? ORDER BY c.rowid""",
                       (case_id,))
    for row in rows:
        row["earlier_responses"] = [p["old_value"] for p in previous_values(store, "challenge", row["id"])]
    return rows
