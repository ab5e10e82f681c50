"""Matching a source's rows with the lead's and adding what is new; a row whose id exists with other
content is updated when it is a newer copy from the same origin the lead has not changed (see `newer`),
and otherwise (like a case whose reference exists with another label) set aside in merge_conflicts."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from assistant.erasure import reference_hash
from assistant.merge.newer import Origins, compare, take
from assistant.merge.report import MergeReport
from assistant.merge.tables import CHRONOLOGY_KEY, KNOWN, Rows, Table, content
from assistant.store import new_id, now


def merge_cases(conn: Any, cases: list[dict[str, Any]], provenance: str, path: Path, sha: str,
                erased: tuple[set[str], set[str], set[str]], report: MergeReport) -> tuple[dict[str, str], set[str]]:
    """Cases are matched by reference: pairs create the same case independently. A case erased here
    (by id, or by reference while no case holds that reference now) is left out."""
    mapping: dict[str, str] = {}
    erased_here: set[str] = set()
    added = 0
    for case in cases:
        existing = conn.execute("SELECT id, label FROM cases WHERE reference = ?", (case["reference"],)).fetchone()
        if case["id"] in erased[1] or (existing is None and reference_hash(case["reference"]) in erased[2]):
            erased_here.add(case["id"])
            report.skipped_erased += 1
            continue
        if existing:
            mapping[case["id"]] = existing[0]
            report.already_present += 1
            if existing[1] != case["label"] and set_aside(conn, "cases", existing[0], case, path, sha, report):
                report.relabelled.append(case["reference"])
            continue
        conn.execute(
            "INSERT INTO cases (id, reference, label, created_at, source) VALUES (?, ?, ?, ?, ?)",
            (case["id"], case["reference"], case["label"], case["created_at"], provenance),
        )
        mapping[case["id"]] = case["id"]
        added += 1
    report.added["cases"] = added
    return mapping, erased_here


def set_aside(conn: Any, table: str, row_id: str, row: dict[str, Any], path: Path, sha: str,
              report: MergeReport) -> bool:
    """Record a row whose id exists here with other content (once per content), leaving both as they are;
    False (nothing reported) when the lead has already resolved a conflict over exactly this content."""
    incoming = json.dumps(content(row), sort_keys=True, default=str)
    known = conn.execute(
        "SELECT id FROM merge_conflicts WHERE table_name = ? AND row_id = ? AND incoming = ?",
        (table, row_id, incoming),
    ).fetchall()
    if known and conn.execute(
            f"SELECT 1 FROM events WHERE action = 'resolve' AND entity = 'merge_conflict' AND entity_id IN"
            f" ({', '.join('?' * len(known))})", [k[0] for k in known]).fetchone():
        report.already_present += 1
        return False
    if known:  # still open from an earlier merge: listed by `merge conflicts`, not new in this one
        report.already_present += 1
        return True
    conn.execute(
        "INSERT INTO merge_conflicts (id, source_path, source_sha256, table_name, row_id, incoming,"
        " found_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (new_id(), str(path), sha, table, row_id, incoming, now()),
    )
    report.conflicts.append({"table": table, "id": row_id})
    return True


def merge_chronology(conn: Any, columns: list[str], rows: list[dict[str, Any]], case_map: dict[str, str],
                     provenance: str, report: MergeReport) -> None:
    """Chronology entries are matched by content (case, date, agency, summary, source): the lead and
    every pair import the same file, each import with new ids. Repeated identical lines are kept as
    often as the source has them."""
    added = 0
    wanted: Counter[tuple[Any, ...]] = Counter()
    for row in rows:
        row = {k: v for k, v in row.items() if k in columns}
        row["case_id"] = case_map[row["case_id"]]
        key = tuple(row.get(k, "") for k in CHRONOLOGY_KEY)
        wanted[key] += 1
        have = conn.execute(
            "SELECT COUNT(*) FROM chronology WHERE case_id = ? AND date = ? AND agency = ? AND summary = ?"
            " AND source_ref = ?", key).fetchone()[0]
        if have >= wanted[key]:
            report.already_present += 1
            continue
        if conn.execute("SELECT 1 FROM chronology WHERE id = ?", (row["id"],)).fetchone():
            row["id"] = new_id()
        if "source" in columns:
            row["source"] = provenance
        names = list(row)
        conn.execute(f"INSERT INTO chronology ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
                     [row[n] for n in names])
        added += 1
    report.added["chronology"] = added


def merge_rows(conn: Any, entry: Table, columns: list[str], incoming: Rows, case_map: dict[str, str],
               provenance: str, path: Path, sha: str, report: MergeReport, origins: Origins) -> None:
    """Rows matched by id: add the new ones, count the same ones as present, take a newer copy from the
    same origin, set aside the others."""
    table, rows = entry.name, incoming[entry.name]
    added = updated = 0
    for row in rows:
        if row.get(KNOWN):  # found identical to the lead's inside this transaction
            report.already_present += 1
            continue
        row = {k: v for k, v in row.items() if k in columns}
        if "case_id" in row:
            row["case_id"] = case_map.get(row["case_id"], row["case_id"])
        existing = conn.execute(f"SELECT * FROM {table} WHERE id = ?", (row["id"],)).fetchone()
        if existing is not None:
            current = dict(zip([d[0] for d in conn.execute(f"SELECT * FROM {table} LIMIT 0").description], existing))
            if content(current) == content(row):
                report.already_present += 1
                continue
            verdict = compare(entry, current, row, origins, incoming)
            if verdict == "newer":
                take(conn, table, current, row, provenance)
                updated += 1
            elif verdict == "older":
                report.already_present += 1
            else:
                set_aside(conn, table, row["id"], row, path, sha, report)
            continue
        if "source" in columns:
            row["source"] = provenance
        names = list(row)
        conn.execute(
            f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
            [row[n] for n in names],
        )
        added += 1
    report.added[table] = added
    if updated:
        report.updated[table] = updated


def merge_links(conn: Any, table: Table, columns: list[str], rows: list[dict[str, Any]], provenance: str,
                report: MergeReport) -> None:
    """Add each link (a note's tag, a finding's question) whose rows are all here; a link already here
    counts as present, so a second merge reports as many rows as the first added. A link to a row not
    here (a finding only the pair has) is left out."""
    added = 0
    here = " AND ".join(f"EXISTS (SELECT 1 FROM {target} WHERE id = ?)" for _, target in table.requires)
    for row in rows:
        if row.get(KNOWN):
            report.already_present += 1
            continue
        row = {k: v for k, v in row.items() if k in columns}
        if "source" in columns:
            row["source"] = provenance
        names = list(row)
        before = conn.total_changes
        conn.execute(f"INSERT OR IGNORE INTO {table.name} ({', '.join(names)}) SELECT {', '.join('?' * len(names))}"
                     f" WHERE {here or '1'}", [*(row[n] for n in names), *(row[c] for c, _ in table.requires)])
        if conn.total_changes > before:
            added += 1
        elif conn.execute(f"SELECT 1 FROM {table.name} WHERE {' AND '.join(f'{c} = ?' for c in table.key)}",
                          [row[c] for c in table.key]).fetchone():
            report.already_present += 1
    report.added[table.name] = added
