"""Merging one pair database into the lead's, in one transaction (see the package docstring)."""

from __future__ import annotations

from pathlib import Path

import assistant.store as _store_module
from assistant.erasure import tombstones
from assistant.merge.checking import Schema, check_and_clean, mark_known
from assistant.merge.erased import leave_out_deleted, leave_out_erased, settle_conversation_links
from assistant.merge.newer import Origins
from assistant.merge.report import MergeError, MergeReport
from assistant.merge.rows import merge_cases, merge_chronology, merge_links, merge_rows
from assistant.merge.source import (audit_head, check_source_file, file_sha256, longest_trail_seen, open_source,
                                    read_rows)
from assistant.merge.tables import MERGED_TABLES, TABLES
from assistant.store import Store


def merge_source(store: Store, path: Path, actor: str = "lead reviewer", passphrase: str | None = None) -> MergeReport:
    """Merge one pair database (plain, or encrypted with `passphrase`) into `store`; see the package
    docstring for the rules."""
    path = Path(path).resolve()
    if path == Path(store.path).resolve():
        raise MergeError("A database cannot be merged into itself.")
    check_source_file(path)
    sha = file_sha256(path)
    source = open_source(path, passphrase)
    report = MergeReport(str(path), sha)
    provenance = f"{path.name} sha256:{sha[:16]}"
    schema = Schema(store, MERGED_TABLES)
    try:
        try:
            incoming = read_rows(source)
            events, last_hash, device = audit_head(source)
        except _store_module.DATABASE_ERRORS as error:
            raise MergeError(f"{path.name} could not be read ({error.__class__.__name__}); nothing was merged.") \
                from None
        with store.write() as conn:
            # Rows the lead already holds exactly are recognised first, inside the transaction, so only
            # rows that may be written are checked and cleaned; a bad one rolls everything back.
            mark_known(conn, schema, incoming)
            check_and_clean(schema, incoming, path.name, report)
            erased = tombstones(conn)
            report.earlier_events = longest_trail_seen(conn, device)
            report.source_events = events
            case_map, erased_cases = merge_cases(conn, incoming["cases"], provenance, path, sha, erased, report)
            leave_out_erased(incoming, erased[0], erased_cases, case_map, report)
            leave_out_deleted(conn, incoming, report)
            settle_conversation_links(conn, incoming)
            origins = Origins(conn, device)
            for table in TABLES:
                columns = list(schema.columns[table.name])
                rows = incoming[table.name]
                if table.kind == "chronology":
                    merge_chronology(conn, columns, rows, case_map, provenance, report)
                elif table.kind == "links":
                    merge_links(conn, table, columns, rows, provenance, report)
                else:
                    merge_rows(conn, table, columns, incoming, case_map, provenance, path, sha, report, origins)
            store.event("merge", "database", sha, {
                "file": path.name, "sha256": sha, "added": report.added, "updated": report.updated,
                "conflicts": len(report.conflicts),
                "skipped_erased": report.skipped_erased, "skipped_deleted": report.skipped_deleted,
                "cleaned": report.cleaned,
                "source_events": events, "source_last_hash": last_hash, "source_device": device,
            }, actor)
    finally:
        schema.close()
        source.close()
    return report
