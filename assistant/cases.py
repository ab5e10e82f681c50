"""Cases (a review of one family's case) and their chronology of agency involvement."""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from pathlib import Path
from typing import Any

from assistant.safe_text import clean_input
from assistant.store import Store, StoreError, new_id, now

CHRONOLOGY_COLUMNS = ("date", "agency", "summary", "source")
MAX_CHRONOLOGY_BYTES = 10 * 1024 * 1024
MAX_CHRONOLOGY_FIELD = 20_000
# The forms a chronology's date may take: a year, a month, a day (ISO), or a UK day/month/year.
CHRONOLOGY_DATE_FORMS = "2024, 2024-03, 2024-03-01 or 01/03/2024"
_DATE_PATTERNS = (
    (re.compile(r"^(\d{4})$"), ("year",)),
    (re.compile(r"^(\d{4})-(\d{2})$"), ("year", "month")),
    (re.compile(r"^(\d{4})-(\d{2})-(\d{2})$"), ("year", "month", "day")),
    (re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$"), ("day", "month", "year")),
)
REFERENCE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._/\-]{0,39}$")


# SQL condition on a case aliased `c`: true unless it holds rehearsals and nothing else. Rehearsal
# cases stay out of case lists, merges and reviews.
NOT_REHEARSAL_ONLY = (
    "(NOT EXISTS (SELECT 1 FROM conversations v WHERE v.case_id = c.id AND v.mode = 'rehearsal')"
    " OR EXISTS (SELECT 1 FROM conversations v WHERE v.case_id = c.id AND v.mode = 'live'))"
)


class CaseError(StoreError):
    """A case or chronology request that cannot be carried out; said in one sentence."""


def add_case(store: Store, reference: str, label: str, actor: str = "lead") -> str:
    """Create a case with a reference (e.g. "CSPR-2026-04") and a pseudonymous label."""
    reference = clean_input(reference).text.strip()
    label = clean_input(label).text.strip()
    if not REFERENCE_PATTERN.match(reference):
        raise CaseError("A case reference needs 1 to 40 letters, digits, spaces, dots, dashes or slashes.")
    if not label:
        raise CaseError("A case needs a label, such as a pseudonym for the family (\"Family A\").")
    if len(label) > 200:
        raise CaseError("A case label can be at most 200 characters.")
    if find_case(store, reference):
        raise CaseError(f"A case with reference {reference} already exists.")
    case_id = new_id()
    with store.write() as conn:
        conn.execute(
            "INSERT INTO cases (id, reference, label, created_at) VALUES (?, ?, ?, ?)",
            (case_id, reference, label, now()),
        )
        store.event("create", "case", case_id, {"reference": reference}, actor)
    return case_id


def find_case(store: Store, reference: str) -> dict[str, Any] | None:
    return store.one("SELECT * FROM cases WHERE reference = ?", (reference,))


def get_case(store: Store, reference: str) -> dict[str, Any]:
    case = find_case(store, reference)
    if case is None:
        raise CaseError(f"There is no case with reference {reference}; `case list` shows the cases.")
    return case


def list_cases(store: Store) -> list[dict[str, Any]]:
    """Cases with counts of their live conversations; cases holding only rehearsals are left out."""
    return store.query(
        """SELECT c.*,
                  (SELECT COUNT(*) FROM conversations v WHERE v.case_id = c.id AND v.mode = 'live')
                      AS conversations,
                  (SELECT COUNT(*) FROM conversations v WHERE v.case_id = c.id AND v.mode = 'live'
                      AND v.status = 'in_progress') AS in_progress,
                  (SELECT COUNT(*) FROM chronology h WHERE h.case_id = c.id) AS chronology_entries
           FROM cases c WHERE """ + NOT_REHEARSAL_ONLY + " ORDER BY c.created_at DESC"
    )


def parse_chronology(path: Path) -> list[dict[str, str]]:
    """Read a chronology CSV (date, agency, summary, source): every row, or an error naming the line.
    Dates are real calendar dates written as a year, a month or a day (see CHRONOLOGY_DATE_FORMS)."""
    name = path.name
    try:
        size = path.stat().st_size
    except OSError:
        raise CaseError(f"{name} cannot be read; check the path.") from None
    if path.is_dir():
        raise CaseError(f"{name} is a folder, not a CSV file.")
    if not path.is_file():  # a named pipe or device would make the read wait forever
        raise CaseError(f"{name} is not a regular file (it is a pipe, device or socket); give a CSV file.")
    if size > MAX_CHRONOLOGY_BYTES:
        raise CaseError(f"{name} is {size:,} bytes; a chronology can be at most {MAX_CHRONOLOGY_BYTES:,}.")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise CaseError(
            f"{name} line {line} is not UTF-8 text; save it as \"CSV UTF-8\" and import again."
        ) from None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows: list[dict[str, str]] = []
    try:
        header = next(reader, None)
        if header is None:
            raise CaseError(f"{name} is empty; it needs a header line: {', '.join(CHRONOLOGY_COLUMNS)}.")
        found = tuple(h.strip().lower() for h in header)
        if found != CHRONOLOGY_COLUMNS:
            raise CaseError(
                f"{name} line 1 should name the columns {', '.join(CHRONOLOGY_COLUMNS)}; "
                f"found {', '.join(found)[:120]}."
            )
        for record in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in record):
                continue
            if len(record) != len(CHRONOLOGY_COLUMNS):
                raise CaseError(f"{name} line {line} has {len(record)} fields; every line needs 4.")
            if any(len(cell) > MAX_CHRONOLOGY_FIELD for cell in record):
                raise CaseError(f"{name} line {line} has a field over {MAX_CHRONOLOGY_FIELD:,} characters.")
            cells = [clean_input(cell).text.strip() for cell in record]
            if not cells[0] or not cells[2]:
                raise CaseError(f"{name} line {line} needs at least a date and a summary.")
            if not is_real_date(cells[0]):
                raise CaseError(f"{name} line {line} has the date \"{cells[0][:40]}\", which is not a real date "
                                f"written as {CHRONOLOGY_DATE_FORMS}; nothing was imported.")
            rows.append(dict(zip(CHRONOLOGY_COLUMNS, cells)))
    except csv.Error as error:
        raise CaseError(f"{name} line {reader.line_num} is not valid CSV ({error}).") from None
    if not rows:
        raise CaseError(f"{name} has a header but no entries.")
    return rows


def is_real_date(text: str) -> bool:
    """Whether `text` is a date in one of CHRONOLOGY_DATE_FORMS that exists on the calendar."""
    for pattern, parts in _DATE_PATTERNS:
        found = pattern.match(text)
        if found:
            values = {"month": 1, "day": 1, **dict(zip(parts, map(int, found.groups())))}
            try:
                date(values["year"], values["month"], values["day"])
            except ValueError:
                return False
            return True
    return False


def import_chronology(store: Store, reference: str, path: Path, actor: str = "lead") -> int:
    """Replace a case's chronology with the file's entries, all or none; returns how many."""
    case = get_case(store, reference)
    rows = parse_chronology(path)
    stamp = now()
    with store.write() as conn:
        conn.execute("DELETE FROM chronology WHERE case_id = ?", (case["id"],))
        conn.executemany(
            "INSERT INTO chronology (id, case_id, position, date, agency, summary, source_ref, imported_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (new_id(), case["id"], i, r["date"], r["agency"], r["summary"], r["source"], stamp)
                for i, r in enumerate(rows)
            ],
        )
        store.event("import", "chronology", case["id"], {"entries": len(rows), "file": path.name}, actor)
    return len(rows)


def chronology(store: Store, case_id: str) -> list[dict[str, Any]]:
    return store.query("SELECT * FROM chronology WHERE case_id = ? ORDER BY position", (case_id,))
