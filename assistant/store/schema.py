"""The database schema, as small named migrations (sqlite-utils' built-in `Migrations`).

The table and column names are an interface: lead reviewers open the database in Datasette or with
SQL. Add a new migration rather than changing an old one.
"""

from __future__ import annotations

from sqlite_utils import Database, Migrations

from assistant.store.schema_after import m010_after_the_conversations, m011_how_widespread
from assistant.store.versions import APPLICATION_ID, SCHEMA_VERSION  # noqa: F401  (re-exported)

migrations = Migrations("learning-together")

APPEND_ONLY_TRIGGERS = """
CREATE TRIGGER IF NOT EXISTS events_refuse_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
CREATE TRIGGER IF NOT EXISTS events_refuse_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
CREATE TRIGGER IF NOT EXISTS events_refuse_replace BEFORE INSERT ON events
WHEN EXISTS (SELECT 1 FROM events WHERE id = NEW.id)
BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
"""


@migrations()
def m001_initial(db: Database) -> None:
    db.execute(
        """CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)"""
    )
    db.execute(
        """CREATE TABLE cases (
            id TEXT PRIMARY KEY,
            reference TEXT NOT NULL UNIQUE,
            label TEXT NOT NULL,
            created_at TEXT NOT NULL,
            source TEXT
        )"""
    )
    db.execute(
        """CREATE TABLE conversations (
            id TEXT PRIMARY KEY,
            case_id TEXT NOT NULL REFERENCES cases(id),
            practitioner_role TEXT NOT NULL,
            agency TEXT NOT NULL DEFAULT '',
            lead_interviewer TEXT NOT NULL DEFAULT '',
            second_interviewer TEXT NOT NULL DEFAULT '',
            mode TEXT NOT NULL DEFAULT 'live' CHECK (mode IN ('live', 'rehearsal')),
            scenario_id TEXT,
            structure_id TEXT NOT NULL,
            structure_version TEXT NOT NULL,
            structure_hash TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'in_progress'
                CHECK (status IN ('in_progress', 'ended', 'sent_for_checking', 'checked')),
            records_seen_before INTEGER NOT NULL DEFAULT 0,
            recording_consent TEXT NOT NULL DEFAULT 'not_recorded'
                CHECK (recording_consent IN ('yes', 'no', 'not_recorded')),
            gate_opened_at TEXT,
            gate_reason TEXT,
            position_section TEXT,
            position_episode TEXT,
            position_prompt INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            ended_at TEXT,
            source TEXT
        )"""
    )
    db.execute(
        """CREATE TABLE episodes (
            id TEXT PRIMARY KEY,
            conversation_id TEXT NOT NULL REFERENCES conversations(id),
            title TEXT NOT NULL,
            approximate_time TEXT NOT NULL DEFAULT '',
            position INTEGER NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            source TEXT
        )"""
    )
    db.execute(
        """CREATE TABLE notes (
            id TEXT PRIMARY KEY,
            conversation_id TEXT NOT NULL REFERENCES conversations(id),
            section_id TEXT NOT NULL,
            prompt_id TEXT,
            episode_id TEXT REFERENCES episodes(id),
            author_role TEXT NOT NULL CHECK (author_role IN ('lead', 'second')),
            body TEXT NOT NULL,
            checksum TEXT NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            deleted_at TEXT,
            source TEXT
        )"""
    )
    db.execute(
        """CREATE TABLE note_versions (
            id TEXT PRIMARY KEY,
            note_id TEXT NOT NULL REFERENCES notes(id),
            body TEXT NOT NULL,
            checksum TEXT NOT NULL,
            replaced_at TEXT NOT NULL,
            reason TEXT NOT NULL DEFAULT ''
        )"""
    )
    db.execute(
        """CREATE TABLE note_tags (
            note_id TEXT NOT NULL REFERENCES notes(id),
            tag_id TEXT NOT NULL,
            PRIMARY KEY (note_id, tag_id)
        )"""
    )
    db.execute(
        """CREATE TABLE drafts (
            conversation_id TEXT NOT NULL REFERENCES conversations(id),
            slot TEXT NOT NULL,
            body TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (conversation_id, slot)
        )"""
    )
    db.execute(
        """CREATE TABLE prompt_marks (
            id TEXT PRIMARY KEY,
            conversation_id TEXT NOT NULL REFERENCES conversations(id),
            section_id TEXT NOT NULL,
            prompt_id TEXT NOT NULL,
            episode_id TEXT,
            mark TEXT NOT NULL CHECK (mark IN ('asked', 'skipped', 'declined', 'later')),
            marked_at TEXT NOT NULL
        )"""
    )
    db.execute(
        """CREATE TABLE section_visits (
            id TEXT PRIMARY KEY,
            conversation_id TEXT NOT NULL REFERENCES conversations(id),
            section_id TEXT NOT NULL,
            episode_id TEXT,
            entered_at TEXT NOT NULL,
            left_at TEXT
        )"""
    )
    db.execute(
        """CREATE TABLE chronology (
            id TEXT PRIMARY KEY,
            case_id TEXT NOT NULL REFERENCES cases(id),
            position INTEGER NOT NULL,
            date TEXT NOT NULL,
            agency TEXT NOT NULL,
            summary TEXT NOT NULL,
            source_ref TEXT NOT NULL DEFAULT '',
            imported_at TEXT NOT NULL
        )"""
    )
    db.execute(
        """CREATE TABLE questions (
            id TEXT PRIMARY KEY,
            conversation_id TEXT NOT NULL REFERENCES conversations(id),
            section_id TEXT NOT NULL,
            episode_id TEXT,
            question TEXT NOT NULL,
            kind TEXT NOT NULL,
            kinds TEXT NOT NULL,
            answer TEXT NOT NULL,
            facts TEXT NOT NULL DEFAULT '[]',
            asked_at TEXT NOT NULL
        )"""
    )
    db.execute(
        """CREATE TABLE events (
            id TEXT PRIMARY KEY,
            device TEXT NOT NULL,
            device_seq INTEGER NOT NULL,
            at TEXT NOT NULL,
            utc_offset TEXT NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            entity TEXT NOT NULL,
            entity_id TEXT NOT NULL,
            detail TEXT NOT NULL,
            prev_hash TEXT NOT NULL,
            hash TEXT NOT NULL
        )"""
    )
    db.executescript(APPEND_ONLY_TRIGGERS)
    for table, columns in {
        "conversations": ["case_id"],
        "episodes": ["conversation_id"],
        "notes": ["conversation_id", "episode_id"],
        "note_tags": ["tag_id"],
        "prompt_marks": ["conversation_id"],
        "section_visits": ["conversation_id"],
        "chronology": ["case_id"],
        "note_versions": ["note_id"],
        "questions": ["conversation_id"],
    }.items():
        for column in columns:
            db[table].create_index([column], if_not_exists=True)
    db["notes"].create_index(["conversation_id", "section_id", "episode_id"], if_not_exists=True)
    db["notes"].enable_fts(["body"], create_triggers=True, tokenize="porter")


@migrations()
def m002_review(db: Database) -> None:
    """Lead-review tables: case-level episodes, findings, comments, review states, merge conflicts."""
    db.execute(
        """CREATE TABLE case_episodes (
            id TEXT PRIMARY KEY,
            case_id TEXT NOT NULL REFERENCES cases(id),
            title TEXT NOT NULL,
            summary TEXT NOT NULL DEFAULT '',
            typology TEXT NOT NULL DEFAULT '[]',
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )"""
    )
    db.execute(
        """CREATE TABLE case_episode_links (
            case_episode_id TEXT NOT NULL REFERENCES case_episodes(id),
            episode_id TEXT NOT NULL REFERENCES episodes(id),
            PRIMARY KEY (case_episode_id, episode_id)
        )"""
    )
    db.execute(
        """CREATE TABLE findings (
            id TEXT PRIMARY KEY,
            case_id TEXT NOT NULL REFERENCES cases(id),
            typology_tag TEXT NOT NULL,
            statement TEXT NOT NULL,
            in_this_case TEXT NOT NULL DEFAULT '',
            systemic_evidence TEXT NOT NULL DEFAULT '',
            why_it_matters TEXT NOT NULL DEFAULT '',
            questions TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )"""
    )
    db.execute(
        """CREATE TABLE finding_links (
            finding_id TEXT NOT NULL REFERENCES findings(id),
            target_kind TEXT NOT NULL CHECK (target_kind IN ('case_episode', 'note')),
            target_id TEXT NOT NULL,
            PRIMARY KEY (finding_id, target_kind, target_id)
        )"""
    )
    db.execute(
        """CREATE TABLE comments (
            id TEXT PRIMARY KEY,
            target_kind TEXT NOT NULL CHECK (target_kind IN ('note', 'conversation')),
            target_id TEXT NOT NULL,
            body TEXT NOT NULL,
            resolved INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )"""
    )
    db.execute(
        """CREATE TABLE conversation_reviews (
            conversation_id TEXT PRIMARY KEY REFERENCES conversations(id),
            state TEXT NOT NULL CHECK (state IN ('not_started', 'reading', 'reviewed')),
            updated_at TEXT NOT NULL
        )"""
    )
    db.execute(
        """CREATE TABLE merge_conflicts (
            id TEXT PRIMARY KEY,
            source_path TEXT NOT NULL,
            source_sha256 TEXT NOT NULL,
            table_name TEXT NOT NULL,
            row_id TEXT NOT NULL,
            incoming TEXT NOT NULL,
            found_at TEXT NOT NULL
        )"""
    )
    db["case_episodes"].create_index(["case_id"], if_not_exists=True)
    db["findings"].create_index(["case_id"], if_not_exists=True)
    db["comments"].create_index(["target_id"], if_not_exists=True)
    db["case_episode_links"].create_index(["episode_id"], if_not_exists=True)


@migrations()
def m003_provenance(db: Database) -> None:
    """Every merged row remembers the pair database it came from."""
    for table in ("note_versions", "prompt_marks", "section_visits", "chronology"):
        db.execute(f"ALTER TABLE {table} ADD COLUMN source TEXT")


@migrations()
def m004_event_sequence_index(db: Database) -> None:
    """Finding a device's next sequence number stays instant however long the audit trail grows."""
    db.execute("CREATE INDEX IF NOT EXISTS events_device_seq ON events (device, device_seq)")


@migrations()
def m005_closing_checklist(db: Database) -> None:
    """Which closing-checklist items the pair ticked, kept with the conversation."""
    db.execute(
        """CREATE TABLE closing_checks (
            conversation_id TEXT NOT NULL REFERENCES conversations(id),
            item INTEGER NOT NULL,
            ticked_at TEXT NOT NULL,
            PRIMARY KEY (conversation_id, item)
        )"""
    )


ROWID_REUSE_TRIGGER = """
CREATE TRIGGER IF NOT EXISTS events_refuse_rowid_reuse BEFORE INSERT ON events
WHEN NEW.rowid <> -1 AND NEW.rowid IN (SELECT rowid FROM events)
BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
"""


@migrations()
def m006_audit_seal(db: Database) -> None:
    """The audit trail cannot be rewritten through its rowids, and each new event carries a seal.

    `INSERT OR REPLACE` naming an existing rowid would delete that event without firing the delete
    trigger; this refuses it (an automatically numbered insert sees NEW.rowid as -1). The `mac` column
    holds an HMAC-SHA256 of the event's hash under a per-device secret kept outside the database.
    """
    db.execute("ALTER TABLE events ADD COLUMN mac TEXT")
    db.executescript(ROWID_REUSE_TRIGGER)


@migrations()
def m007_conversation_utc_offset(db: Database) -> None:
    """The device's UTC offset when a conversation began, so exports give the local day it was held.

    Existing conversations take the offset recorded with their 'create' audit event, where there is one."""
    db.execute("ALTER TABLE conversations ADD COLUMN utc_offset TEXT")
    db.execute(
        """UPDATE conversations SET utc_offset = (
               SELECT e.utc_offset FROM events e
               WHERE e.entity = 'conversation' AND e.action = 'create' AND e.entity_id = conversations.id
               ORDER BY e.rowid LIMIT 1)
           WHERE utc_offset IS NULL"""
    )


@migrations()
def m008_revisions(db: Database) -> None:
    """Revisable work: the value each correction replaced (with its reason), withdrawn findings, and the
    half-written findings kept per case. Only adds tables and nullable columns, so existing rows stay."""
    db.execute(
        """CREATE TABLE IF NOT EXISTS revisions (
            id TEXT PRIMARY KEY,
            entity TEXT NOT NULL,
            entity_id TEXT NOT NULL,
            field TEXT NOT NULL,
            old_value TEXT NOT NULL,
            reason TEXT NOT NULL DEFAULT '',
            case_id TEXT,
            conversation_id TEXT,
            actor TEXT NOT NULL,
            replaced_at TEXT NOT NULL,
            source TEXT
        )"""
    )
    db.execute(
        """CREATE TABLE IF NOT EXISTS case_drafts (
            case_id TEXT NOT NULL REFERENCES cases(id),
            slot TEXT NOT NULL,
            body TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (case_id, slot)
        )"""
    )
    db.execute("ALTER TABLE findings ADD COLUMN withdrawn_at TEXT")
    db.execute("ALTER TABLE findings ADD COLUMN withdrawn_reason TEXT")
    for column in ("entity_id", "case_id", "conversation_id"):
        db.execute(f"CREATE INDEX IF NOT EXISTS revisions_{column} ON revisions ({column})")


@migrations()
def m009_before_the_conversations(db: Database) -> None:
    """The stages before the conversations: the case group and where each member stands, the review's
    questions (and which findings answer them), and the queries a pair prepares for a conversation.

    Erasing a case or a conversation takes these rows with it (the foreign keys cascade); a member whose
    conversation is erased stays in the case group, unlinked."""
    db.execute(
        """CREATE TABLE case_group_members (
            id TEXT PRIMARY KEY,
            case_id TEXT NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
            role TEXT NOT NULL,
            agency TEXT NOT NULL DEFAULT '',
            status TEXT NOT NULL DEFAULT 'to_invite'
                CHECK (status IN ('to_invite', 'letter_sent', 'arranged', 'declined', 'absent')),
            reason TEXT NOT NULL DEFAULT '',
            conversation_id TEXT UNIQUE REFERENCES conversations(id) ON DELETE SET NULL,
            meeting_date TEXT NOT NULL DEFAULT '',
            meeting_time TEXT NOT NULL DEFAULT '',
            meeting_place TEXT NOT NULL DEFAULT '',
            letter_sent_at TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            source TEXT
        )"""
    )
    db.execute(
        """CREATE TABLE review_questions (
            id TEXT PRIMARY KEY,
            case_id TEXT NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            text TEXT NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            source TEXT
        )"""
    )
    db.execute(
        """CREATE TABLE finding_questions (
            finding_id TEXT NOT NULL REFERENCES findings(id) ON DELETE CASCADE,
            question_id TEXT NOT NULL REFERENCES review_questions(id) ON DELETE CASCADE,
            linked_at TEXT NOT NULL,
            source TEXT,
            PRIMARY KEY (finding_id, question_id)
        )"""
    )
    db.execute(
        """CREATE TABLE prepared_queries (
            id TEXT PRIMARY KEY,
            conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            origin TEXT NOT NULL DEFAULT 'records' CHECK (origin IN ('records', 'accounts')),
            text TEXT NOT NULL,
            author_role TEXT NOT NULL CHECK (author_role IN ('lead', 'second')),
            note_id TEXT REFERENCES notes(id) ON DELETE SET NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            source TEXT
        )"""
    )
    db["case_group_members"].create_index(["case_id"], if_not_exists=True)
    db["review_questions"].create_index(["case_id"], if_not_exists=True)
    db["finding_questions"].create_index(["question_id"], if_not_exists=True)
    db["prepared_queries"].create_index(["conversation_id"], if_not_exists=True)


migrations()(m010_after_the_conversations)  # the tables for after the conversations
migrations()(m011_how_widespread)  # the finding field SCIE calls "How widespread it is"
# Migrations are numbered mNNN_: the numbers are unique and the highest is SCHEMA_VERSION.
_NUMBERS = [int(m.name[1:4]) for m in migrations._migrations]
assert len(set(_NUMBERS)) == len(_NUMBERS) and max(_NUMBERS) == SCHEMA_VERSION == len(_NUMBERS), (
    "number the new migration and set SCHEMA_VERSION in versions.py to it")
