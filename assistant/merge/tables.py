"""Which tables a merge reads, in which order, how each is matched and kept to what may travel, and
which columns do not count as content.

Adding a table is one `Table` entry in TABLES, in dependency order (after the tables it refers to):
how its rows reach a live conversation (`live`), which of its columns name a case, a conversation
or a note, so the merge can remap them and leave out what was erased here, and whether a newer copy of
a row from the pair that made it may update the lead's (`newer`, see `assistant.merge.newer`)."""

from __future__ import annotations

from typing import Any, NamedTuple

# Columns that change as a pair works and do not make two copies of a row different.
# utc_offset: a conversation merged from a schema-5 pair database has none; it is information, not content.
VOLATILE = frozenset({"source", "updated_at", "position_section", "position_episode", "position_prompt",
                      "utc_offset"})
_LIVE = "SELECT id FROM conversations WHERE mode = 'live'"
_LIVE_NOTES = f"SELECT id FROM notes WHERE conversation_id IN ({_LIVE})"


class Table(NamedTuple):
    """One merged table and its rules."""

    name: str
    # SQL condition on the source's rows: only what belongs to live conversations travels.
    live: str
    # "rows": matched by id (new added, same present, different set aside); "links": matched by `key`,
    # added only when every row `requires` names is here; "chronology": matched by content.
    kind: str = "rows"
    key: tuple[str, ...] = ("id",)
    # The column naming a case: remapped to the lead's case; rows of cases erased here or not merged
    # (rehearsal-only) are left out.
    case: str | None = None
    # The column naming a conversation: rows of conversations erased here are left out.
    conversation: str | None = None
    # A column naming a conversation that may be empty: kept only when that conversation is merged
    # from this source or already here, else emptied.
    optional_conversation: str | None = None
    # A column naming a note that may be empty: emptied when that note was left out as erased.
    optional_note: str | None = None
    # The column naming a note: rows of notes left out as erased are left out.
    note: str | None = None
    # For "links": column -> the table whose row it names.
    requires: tuple[tuple[str, str], ...] = ()
    # The `revisions` entity whose "deleted" rows (and the audit trail's delete events) are tombstones
    # for this table's ids: a row deleted here is not brought back by an older copy.
    deleted_entity: str | None = None
    # Columns naming a row of a table with `deleted_entity`: emptied when that row was deleted here.
    deleted_references: tuple[str, ...] = ()
    # What "a newer copy from the same origin" means for a row whose id the lead holds with other content:
    # "later": the row came here from the same device (its `source` names a hand-over merged from it),
    #   its updated_at is not earlier than the lead's, and the lead's audit trail shows no change of
    #   its own to that `entity` since then: the newer copy updates the lead's (an older one is
    #   present, not a conflict). Anything else stays a conflict.
    # "filled": same device, and the copy only fills columns still empty here (a visit's left_at); a
    #   column filled on both sides keeps the lead's value (present, not a conflict).
    # "": never updated; other content is always a conflict (rows written once, and the case-level
    #   stages the lead keeps).
    newer: str = ""
    # The audit trail's entity name for this table's rows, for "later": the lead's own changes to it.
    entity: str = ""


# Tables in dependency order.
TABLES: list[Table] = [
    # A conversation's status moves on (in progress, ended, sent for checking, checked); a step back
    # is taken only with the pair's reopen (a `revisions` row of its status) after the lead's copy.
    Table("conversations", "mode = 'live'", conversation="id", newer="later", entity="conversation"),
    Table("episodes", f"conversation_id IN ({_LIVE})", conversation="conversation_id", deleted_entity="episode",
          newer="later", entity="episode"),
    # A note edited by the pair: the newer text is taken; its earlier text comes as a note_versions row.
    Table("notes", f"conversation_id IN ({_LIVE})", conversation="conversation_id",
          deleted_references=("episode_id",), newer="later", entity="note"),
    Table("note_versions", f"note_id IN ({_LIVE_NOTES})", note="note_id"),
    Table("prompt_marks", f"conversation_id IN ({_LIVE})", conversation="conversation_id",
          deleted_references=("episode_id",)),
    Table("section_visits", f"conversation_id IN ({_LIVE})", conversation="conversation_id",
          deleted_references=("episode_id",), newer="filled"),
    # The closing checklist: items ticked by the pair are added (an item unticked there stays ticked here).
    Table("closing_checks", f"conversation_id IN ({_LIVE})", kind="links", key=("conversation_id", "item"),
          conversation="conversation_id", requires=(("conversation_id", "conversations"),)),
    Table("chronology", "1", kind="chronology", case="case_id"),
    Table("note_tags", f"note_id IN ({_LIVE_NOTES})", kind="links", key=("note_id", "tag_id"), note="note_id",
          requires=(("note_id", "notes"),)),
    # Schema 8: the earlier values of a conversation's corrections (case-level ones stay with the lead).
    Table("revisions", f"conversation_id IN ({_LIVE})", conversation="conversation_id", case="case_id"),
    # Schema 9: the stages before the conversations.
    Table("case_group_members", "1", case="case_id", optional_conversation="conversation_id"),
    Table("review_questions", "1", case="case_id"),
    Table("finding_questions", "1", kind="links", key=("finding_id", "question_id"),
          requires=(("finding_id", "findings"), ("question_id", "review_questions"))),
    Table("prepared_queries", f"conversation_id IN ({_LIVE})", conversation="conversation_id",
          optional_note="note_id", newer="later", entity="prepared_query"),
]
MERGED_TABLES = ["cases"] + [table.name for table in TABLES]
CHRONOLOGY_KEY = ("case_id", "date", "agency", "summary", "source_ref")
# The source's rowid rides along with each row, to name a bad row in the error.
ROWID = "__rowid"
# Set on a source row the lead already holds exactly: it is counted as present, never checked or written.
KNOWN = "__known"

Rows = dict[str, list[dict[str, Any]]]


def content(row: dict[str, Any]) -> dict[str, Any]:
    """A row without the columns that do not count as content."""
    return {k: v for k, v in row.items() if k not in VOLATILE and k not in (ROWID, KNOWN)}
