"""Gathering the pairs' databases: hand-over copies and merging them into the lead reviewer's.

A merge matches rows by id, cases by reference and chronology entries by their content (each import
gives them new ids), adds what is new and skips what is already there. A row whose id exists with
different content is updated when it is a newer copy from the same pair that the lead has not changed
(a record's status moving on, a note edited, a moment renamed: each table's rule is its `newer` in
`tables`); otherwise it is set aside (never overwritten) in merge_conflicts, as is a case whose
reference exists with another label. `conflicts` lists what was set aside, in words, and resolves each
(keep mine or keep theirs, audited; the conflict stays on record).

Every row that could be added is checked against the schema first (ids present, text is text, whole
numbers are whole numbers, the tables' rules hold) and a source with a bad row is refused whole; text
is cleaned on the way in exactly as typed text is. A row the lead already holds with exactly the same
content (value for value, type for type) is counted as present without that work, since nothing of it
is written. Rows erased here (the audit trail's tombstones) and moments deleted here (the `revisions`
rows keeping their names, and the delete events) are left out, so an old hand-over cannot bring them
back. Half-written findings (`case_drafts`) never travel; which tables do, and how, is in `tables`.
Each source is merged in one transaction, so a merge killed part-way leaves nothing half done and a
rerun completes it. Sources are opened read-only; rehearsal conversations are never merged; only
regular files are opened.

The parts: `tables` (what travels and how), `source` (opening and reading a hand-over), `checking` (the
schema's rules, cleaning, rows already known), `erased` (tombstones of erasure and deletion), `rows`
(matching and adding, conflicts set aside), `newer` (a newer copy from the same pair), `merging` (one
source in one transaction), `conflicts` (listing and resolving what was set aside) and `hand_over`
(making the copy a pair gives the lead).
"""

from __future__ import annotations

from assistant.merge.hand_over import HandoverRefused, check_handover_target, handover
from assistant.merge.merging import merge_source
from assistant.merge.report import MergeError, MergeReport
from assistant.merge.source import check_source_file, file_sha256, is_encrypted_source

__all__ = [
    "HandoverRefused",
    "MergeError",
    "MergeReport",
    "check_handover_target",
    "check_source_file",
    "file_sha256",
    "handover",
    "is_encrypted_source",
    "merge_source",
]
