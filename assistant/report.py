"""The review's report, in numbered versions, and the review's clock.

`draft_report` assembles a version from what is in the store — introduction, methodology, the story of
the case, the appraisal of practice, the findings in priority order, the questions for the safeguarding
partners — and keeps it, hashed, beside every earlier one: versions are never overwritten. Each section
is a list of blocks (`heading`, `paragraph`, `bullet`) that the exports render as they were drafted.
`report_diff` shows what changed between two versions, section by section; `sign_off` records who signed
which version, and a draft made after a sign-off says so at its start.
"""

from __future__ import annotations

import calendar
import difflib
import hashlib
import json
from datetime import date, timedelta
from typing import Any

from assistant.meetings import REPORT_SECTIONS, challenge_log, list_meetings
from assistant.review import FINDING_TITLES, findings, live_conversations
from assistant.review_questions import list_questions
from assistant.safe_text import clean_input
from assistant.store import Store, StoreError, new_id, now
from assistant.story import episode_cards, story_of_the_case
from assistant.structure import Structure
from assistant.words import listed, plural

SECTION_TITLES = dict(zip(REPORT_SECTIONS, (
    "Introduction", "Methodology", "The story of the case", "Appraisal of practice", "Findings",
    "Questions for the safeguarding partners")))
ADEQUACY_WORDS = {"not_yet": "not yet appraised", "good": "good practice", "adequate": "adequate",
                  "mixed": "mixed", "not_adequate": "not adequate"}
# The team's responses to challenges as the report's prose says them.
OUTCOME_WORDS = {"accepted": "accepted", "partly": "partly accepted", "not-accepted": "not accepted",
                 "to-check": "still to check", "open": "awaiting a response"}
RAPID_REVIEW_WORKING_DAYS = 15
PUBLISH_WITHIN_MONTHS = 6


class ReportError(StoreError):
    """A request about the report or the review's dates that cannot be carried out; nothing changed."""


def _case(store: Store, case_id: str) -> dict[str, Any]:
    case = store.one("SELECT * FROM cases WHERE id = ?", (case_id,))
    if case is None:
        raise ReportError("There is no such case in this database; `case list` shows the cases.")
    return case


def _iso(value: str, what: str) -> str:
    try:
        return date.fromisoformat((value or "").strip()).isoformat()
    except ValueError:
        raise ReportError(f"The {what} '{(value or '')[:40]}' is not a date; write it as YYYY-MM-DD.") from None


# ------------------------------------------------------------------ the review's dates and clock


def set_review_dates(store: Store, case_id: str, *, started: str | None = None, window_from: str | None = None,
                     window_to: str | None = None, actor: str = "lead reviewer") -> None:
    """Record when the review started and the window of time it looks at (each YYYY-MM-DD)."""
    case = _case(store, case_id)
    new = {k: _iso(v, w) for k, v, w in (("started_on", started, "start date"), ("window_from", window_from,
           "window's start"), ("window_to", window_to, "window's end")) if v is not None}
    merged = {k: new.get(k, case[k]) for k in ("window_from", "window_to")}
    if merged["window_from"] and merged["window_to"] and merged["window_from"] > merged["window_to"]:
        raise ReportError("The window of time reviewed must start before it ends.")
    if not new:
        raise ReportError("Give a start date, or the window of time reviewed, to set.")
    with store.write() as conn:
        for column, value in new.items():
            conn.execute(f"UPDATE cases SET {column} = ? WHERE id = ?", (value, case_id))
        store.event("dates", "case", case_id, new, actor)


def _add_working_days(start: date, days: int) -> date:
    # Weekends only: bank holidays differ by year and nation, so the lead checks the date shown.
    day = start
    while days:
        day += timedelta(days=1)
        if day.weekday() < 5:
            days -= 1
    return day


def _add_months(start: date, months: int) -> date:
    month = start.month - 1 + months
    year, month = start.year + month // 12, month % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def review_clock(case: dict[str, Any], today: date | None = None) -> dict[str, Any] | None:
    """The rapid-review date (15 working days), the six-month publication date and the days since the
    start and left, for a case with a start date; None without one."""
    if not case.get("started_on"):
        return None
    today = today or date.today()
    started = date.fromisoformat(case["started_on"])
    due = _add_months(started, PUBLISH_WITHIN_MONTHS)
    return {"started": started.isoformat(), "rapid_review_by": _add_working_days(started, RAPID_REVIEW_WORKING_DAYS)
            .isoformat(), "six_months": due.isoformat(), "days_since_start": (today - started).days,
            "days_left": (due - today).days}


# ------------------------------------------------------------------ findings in priority order


def set_priorities(store: Store, case_id: str, finding_ids: list[str], actor: str = "lead reviewer") -> None:
    """Put the case's findings in priority order (most in need of improvement first)."""
    _case(store, case_id)
    known = {f["id"] for f in findings(store, case_id)}
    if len(set(finding_ids)) != len(finding_ids) or not set(finding_ids) <= known:
        raise ReportError("Name each of the case's current findings at most once, in priority order.")
    with store.write() as conn:
        conn.execute("UPDATE findings SET priority = NULL WHERE case_id = ?", (case_id,))
        conn.executemany("UPDATE findings SET priority = ? WHERE id = ?",
                         [(n, i) for n, i in enumerate(finding_ids, start=1)])
        store.event("prioritise", "case", case_id, {"findings": finding_ids}, actor)


def prioritised_findings(store: Store, case_id: str) -> list[dict[str, Any]]:
    rows = findings(store, case_id)
    return sorted(rows, key=lambda f: (f["priority"] is None, f["priority"] or 0))


# ------------------------------------------------------------------ assembling a version


def _introduction(store: Store, case: dict[str, Any]) -> list[list]:
    window = (f"The review looked at the period from {case['window_from'] or 'the start'} to "
              f"{case['window_to'] or 'the end of agencies’ involvement'}.")
    blocks: list[list] = [["paragraph", f"This is the review of case {case['reference']} ({case['label']})."],
                          ["paragraph", window], ["heading", 3, "The review's questions"]]
    questions = list_questions(store, case["id"])
    blocks += [["bullet", f"{q['number']}.", q["text"]] for q in questions]
    unanswered = [q for q in questions if not q["findings"]]
    if unanswered:
        blocks.append(["paragraph", f"No finding yet answers {plural('question', len(unanswered))} "
                       + listed([q["number"] for q in unanswered]) + "."])
    return blocks


def _methodology(store: Store, structure: Structure, case: dict[str, Any]) -> list[list]:
    blocks: list[list] = [["heading", 3, "Conversations held"]]
    blocks += [["bullet", "", f"{v['practitioner_role']}" + (f", {v['agency']}" if v["agency"] else "")]
               for v in live_conversations(store, case["id"])]
    blocks.append(["heading", 3, "Meetings of the case group"])
    for meeting in list_meetings(store, case["id"]):
        absent = "; ".join(f"{p['role']} ({p['consult_how']})" for p in meeting["absentees"])
        blocks.append(["bullet", meeting["date"], f"{meeting['kind']} meeting: {len(meeting['attendees'])} attended"
                       + (f"; absent and consulted separately: {absent}" if absent else "")])
    log = challenge_log(store, case["id"])
    outcomes = {words: sum(1 for c in log if c["outcome"] == o) for o, words in OUTCOME_WORDS.items()}
    raised = "1 challenge or correction" if len(log) == 1 else f"{len(log)} challenges and corrections"
    blocks.append(["paragraph", f"The case group raised {raised}: "
                   + listed([f"{n} {words}" for words, n in outcomes.items() if n]) + "." if log else
                   "The case group has raised no challenges or corrections yet."])
    blocks.append(["paragraph", f"Conversations followed the structure {structure.id}, version {structure.version}."])
    return blocks


def _story(store: Store, case: dict[str, Any]) -> list[list]:
    blocks: list[list] = []
    for item in story_of_the_case(store, case["id"])["story"]:
        if item["kind"] == "chronology":
            blocks.append(["bullet", item["date"], f"{item['agency']}: {item['summary']}"])
            continue
        blocks.append(["heading", 3, item["title"] + (f" ({item['date']})" if item["date"] else "")])
        for view in item["perspectives"]:
            words = " ".join(n["body"] for n in view["notes"] if n["section_id"] != "influences")
            blocks.append(["bullet", view["practitioner_role"], f"“{view['title']}”: {words}".strip()])
        if item["accounts_differ"]:
            blocks.append(["paragraph", f"Where accounts differ: {item['accounts_differ']}"])
    return blocks


def _appraisal(store: Store, structure: Structure, case: dict[str, Any]) -> list[list]:
    blocks: list[list] = []
    for card in episode_cards(store, structure, case["id"]):
        factors = ", ".join(structure.tag_by_id[t].label for t in card["factors"] if t in structure.tag_by_id)
        blocks += [["heading", 3, card["title"]],
                   ["bullet", "What happened", card["what_happened"]],
                   ["bullet", "Practice, given what was known at the time",
                    f"{ADEQUACY_WORDS[card['adequacy']]}. {card['appraisal']}".strip()],
                   ["bullet", "Why it made sense", card["explanation"]],
                   ["bullet", "Contributory factors", factors or "none recorded"]]
    return blocks


def _findings(store: Store, structure: Structure, case: dict[str, Any]) -> tuple[list[list], list[list]]:
    blocks: list[list] = []
    questions: list[list] = []
    for number, finding in enumerate(prioritised_findings(store, case["id"]), start=1):
        tag = structure.tag_by_id.get(finding["typology_tag"])
        blocks += [["heading", 3, f"Finding {number}"],
                   ["bullet", "Underlying pattern", tag.label if tag else finding["typology_tag"]]]
        blocks += [["bullet", title, finding[field]] for field, title in FINDING_TITLES]
        if finding["questions"]:
            questions.append(["bullet", f"Finding {number}", finding["questions"]])
    return blocks, questions


def _sections(store: Store, structure: Structure, case: dict[str, Any]) -> list[dict[str, Any]]:
    finding_blocks, question_blocks = _findings(store, structure, case)
    bodies = [_introduction(store, case), _methodology(store, structure, case), _story(store, case),
              _appraisal(store, structure, case), finding_blocks, question_blocks]
    return [{"name": n, "title": SECTION_TITLES[n], "blocks": b} for n, b in zip(REPORT_SECTIONS, bodies)]


def draft_report(store: Store, structure: Structure, case_id: str, actor: str = "lead reviewer") -> int:
    """Assemble and keep a new version of the report from what is in the store; returns its number."""
    case = _case(store, case_id)
    sections = _sections(store, structure, case)
    signed = store.one("""SELECT v.number, s.signed_by FROM report_signoffs s JOIN report_versions v
                          ON v.id = s.report_version_id WHERE s.case_id = ? ORDER BY s.rowid DESC LIMIT 1""",
                       (case_id,))
    if signed:
        sections[0]["blocks"].insert(0, ["paragraph", f"This draft follows version {signed['number']}, which "
                                         f"was signed off by {signed['signed_by']}; it has not been signed off."])
    body = json.dumps(sections, ensure_ascii=False, sort_keys=True)
    digest = hashlib.sha256(body.encode("utf-8")).hexdigest()
    with store.write() as conn:
        number = conn.execute("SELECT COALESCE(MAX(number), 0) + 1 FROM report_versions WHERE case_id = ?",
                              (case_id,)).fetchone()[0]
        version_id = new_id()
        conn.execute("INSERT INTO report_versions (id, case_id, number, sections, sha256, created_at, actor)"
                     " VALUES (?, ?, ?, ?, ?, ?, ?)", (version_id, case_id, number, body, digest, now(), actor))
        store.event("draft", "report_version", version_id, {"case": case_id, "number": number,
                                                            "sha256": digest}, actor)
    return int(number)


def report_versions(store: Store, case_id: str) -> list[dict[str, Any]]:
    """Every version, oldest first: number, sha256, created_at and `signed_by` (who signed it off)."""
    _case(store, case_id)
    rows = store.query("SELECT id, number, sha256, created_at, actor FROM report_versions WHERE case_id = ?"
                       " ORDER BY number", (case_id,))
    for row in rows:
        row["signed_by"] = [r["signed_by"] for r in store.query(
            "SELECT signed_by FROM report_signoffs WHERE report_version_id = ? ORDER BY rowid", (row["id"],))]
    return rows


def report_version(store: Store, case_id: str, number: int | None = None) -> dict[str, Any]:
    """One version (the newest when `number` is None) with its `sections`."""
    _case(store, case_id)
    if number is None:
        row = store.one("SELECT * FROM report_versions WHERE case_id = ? ORDER BY number DESC LIMIT 1", (case_id,))
    else:
        row = store.one("SELECT * FROM report_versions WHERE case_id = ? AND number = ?", (case_id, number))
    if row is None:
        raise ReportError("There is no such version of the report; `report versions` lists them"
                          if number is not None else "The report has no version yet; `report draft` makes one.")
    row["sections"] = json.loads(row["sections"])
    return row


def section_lines(section: dict[str, Any]) -> list[str]:
    """A section as plain lines: what `report_diff` compares."""
    lines = []
    for block in section["blocks"]:
        if block[0] == "heading":
            lines.append(f"## {block[2]}")
        elif block[0] == "bullet":
            lines.append(f"- {block[1]}: {block[2]}" if block[1] else f"- {block[2]}")
        else:
            lines.append(block[1])
    return lines


def report_diff(store: Store, case_id: str, old: int, new: int) -> list[dict[str, Any]]:
    """Section by section: `name`, `title`, `changed` and the unified-diff `lines` from `old` to `new`."""
    before, after = report_version(store, case_id, old), report_version(store, case_id, new)
    old_sections = {s["name"]: s for s in before["sections"]}
    result = []
    for section in after["sections"]:
        was = section_lines(old_sections.get(section["name"], {"blocks": []}))
        now_lines = section_lines(section)
        lines = list(difflib.unified_diff(was, now_lines, f"version {old}", f"version {new}", lineterm="", n=1))
        result.append({"name": section["name"], "title": section["title"], "changed": bool(lines),
                       "lines": lines[2:]})
    return result


def sign_off(store: Store, case_id: str, number: int, signed_by: str, actor: str = "lead reviewer") -> None:
    """Record that the safeguarding partners (by role) signed off one version of the report: once per role,
    and never a version older than one already signed off."""
    version = report_version(store, case_id, number)
    signed_by = " ".join(clean_input(signed_by or "").text.split())
    if not signed_by:
        raise ReportError("Say who signed the report off, by role, e.g. \"Safeguarding partners' chair\".")
    same = store.one("SELECT signed_by FROM report_signoffs WHERE report_version_id = ? AND lower(signed_by) ="
                     " lower(?)", (version["id"], signed_by))
    if same is not None:
        raise ReportError(f"Version {number} is already signed off by {same['signed_by']}.")
    newer = store.one("SELECT max(v.number) AS number FROM report_signoffs s JOIN report_versions v"
                      " ON v.id = s.report_version_id WHERE s.case_id = ?", (case_id,))["number"]
    if newer is not None and newer > number:
        raise ReportError(f"Version {newer} is already signed off, so the older version {number} cannot be.")
    with store.write() as conn:
        signoff_id = new_id()
        conn.execute("INSERT INTO report_signoffs (id, case_id, report_version_id, signed_by, signed_at)"
                     " VALUES (?, ?, ?, ?, ?)", (signoff_id, case_id, version["id"], signed_by, now()))
        store.event("signoff", "report_version", version["id"], {"number": number, "signoff": signoff_id}, actor)


def open_before_sign_off(store: Store, case_id: str, number: int) -> list[str]:
    """What is still open before a version is signed off, one phrase each: challenges without a response
    or still to check, and no accuracy check recorded for the version. Signing is allowed regardless."""
    version = report_version(store, case_id, number)
    counts = {row["outcome"]: row["n"] for row in store.query(
        "SELECT outcome, count(*) AS n FROM challenges WHERE case_id = ? AND outcome IN ('open', 'to-check')"
        " GROUP BY outcome", (case_id,))}
    still = []
    if counts.get("open"):
        n = counts["open"]
        still.append(f"{n} challenge{'' if n == 1 else 's'} {'has' if n == 1 else 'have'} no response yet")
    if counts.get("to-check"):
        n = counts["to-check"]
        still.append(f"{n} challenge{'' if n == 1 else 's'} {'is' if n == 1 else 'are'} still to check")
    if store.one("SELECT 1 AS one FROM report_accuracy_checks WHERE report_version_id = ?", (version["id"],)) is None:
        still.append(f"no accuracy check is recorded for version {number}")
    return still


# ------------------------------------------------------------------ the accuracy check
ACCURACY_OUTCOMES = ("confirmed", "corrections")


def record_accuracy_check(store: Store, case_id: str, number: int, member_id: str, outcome: str,
                          actor: str = "lead reviewer") -> None:
    """Record a case-group member's accuracy check of one version: `confirmed` or `corrections` (the
    corrections themselves go in the challenge log, against report sections)."""
    version = report_version(store, case_id, number)
    if outcome not in ACCURACY_OUTCOMES:
        raise ReportError("An accuracy check is confirmed or corrections.")
    if store.one("SELECT 1 AS one FROM case_group_members WHERE id = ? AND case_id = ?", (member_id, case_id)) is None:
        raise ReportError("That is not a member of this case's case group; `group list` shows them.")
    with store.write() as conn:
        check_id = new_id()
        conn.execute("INSERT INTO report_accuracy_checks (id, case_id, report_version_id, member_id, outcome,"
                     " checked_at) VALUES (?, ?, ?, ?, ?, ?)", (check_id, case_id, version["id"], member_id,
                                                                 outcome, now()))
        store.event("accuracy_check", "report_version", version["id"],
                    {"member": member_id, "outcome": outcome, "check": check_id}, actor)


def accuracy_checks(store: Store, case_id: str, number: int) -> list[dict[str, Any]]:
    """Each case-group member with their latest check of the version (`outcome`, or 'not yet')."""
    version = report_version(store, case_id, number)
    members = store.query("SELECT id, role, agency FROM case_group_members WHERE case_id = ? ORDER BY rowid",
                          (case_id,))
    for member in members:
        latest = store.one("SELECT outcome, checked_at FROM report_accuracy_checks WHERE report_version_id = ?"
                           " AND member_id = ? ORDER BY rowid DESC LIMIT 1", (version["id"], member["id"]))
        member["outcome"] = latest["outcome"] if latest else "not yet"
        member["checked_at"] = latest["checked_at"] if latest else None
    return members
