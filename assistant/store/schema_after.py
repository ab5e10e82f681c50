"""Migration 10: the tables for after the conversations — the story of the case and the episode cards,
the follow-on meetings with their challenge log, the findings' priority, the report's versions and
sign-off, and the review's clock. Kept apart from `schema.py` so that module stays short.

Every new row hangs off its case with ON DELETE CASCADE, so erasing a case takes it (erasure also
names the tables, for its counts); a link to a note goes when the note's conversation is erased.
"""

from __future__ import annotations

from sqlite_utils import Database

TABLES = (
    """CREATE TABLE episode_cards (
        case_episode_id TEXT PRIMARY KEY REFERENCES case_episodes(id) ON DELETE CASCADE,
        case_id TEXT NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
        story_date TEXT NOT NULL DEFAULT '',
        story_position INTEGER,
        accounts_differ TEXT NOT NULL DEFAULT '',
        what_happened TEXT NOT NULL DEFAULT '',
        adequacy TEXT NOT NULL DEFAULT 'not_yet'
            CHECK (adequacy IN ('not_yet', 'good', 'adequate', 'mixed', 'not_adequate')),
        appraisal TEXT NOT NULL DEFAULT '',
        explanation TEXT NOT NULL DEFAULT '',
        factors TEXT,
        updated_at TEXT NOT NULL,
        source TEXT
    )""",
    """CREATE TABLE episode_card_notes (
        case_episode_id TEXT NOT NULL REFERENCES case_episodes(id) ON DELETE CASCADE,
        note_id TEXT NOT NULL REFERENCES notes(id) ON DELETE CASCADE,
        linked_at TEXT NOT NULL,
        source TEXT,
        PRIMARY KEY (case_episode_id, note_id)
    )""",
    """CREATE TABLE meetings (
        id TEXT PRIMARY KEY,
        case_id TEXT NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
        kind TEXT NOT NULL CHECK (kind IN ('first', 'second', 'accuracy')),
        date TEXT NOT NULL,
        facilitators TEXT NOT NULL DEFAULT '',
        pack_version TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        source TEXT
    )""",
    """CREATE TABLE meeting_people (
        id TEXT PRIMARY KEY,
        meeting_id TEXT NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
        role TEXT NOT NULL,
        agency TEXT NOT NULL DEFAULT '',
        attended INTEGER NOT NULL DEFAULT 1 CHECK (attended IN (0, 1)),
        consult_how TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL,
        source TEXT
    )""",
    """CREATE TABLE challenges (
        id TEXT PRIMARY KEY,
        case_id TEXT NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
        meeting_id TEXT NOT NULL REFERENCES meetings(id) ON DELETE CASCADE,
        about_kind TEXT NOT NULL CHECK (about_kind IN ('episode', 'finding', 'section')),
        about_id TEXT NOT NULL,
        raised_by TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('correction', 'perspective', 'disputes-appraisal',
                                           'new-information', 'suggested-change')),
        text TEXT NOT NULL,
        outcome TEXT NOT NULL DEFAULT 'open'
            CHECK (outcome IN ('open', 'accepted', 'partly', 'not-accepted', 'to-check')),
        reason TEXT NOT NULL DEFAULT '',
        decided_by TEXT NOT NULL DEFAULT '',
        raiser_told INTEGER NOT NULL DEFAULT 0 CHECK (raiser_told IN (0, 1)),
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        source TEXT
    )""",
    """CREATE TABLE report_versions (
        id TEXT PRIMARY KEY,
        case_id TEXT NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
        number INTEGER NOT NULL,
        sections TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        created_at TEXT NOT NULL,
        actor TEXT NOT NULL,
        source TEXT,
        UNIQUE (case_id, number)
    )""",
    """CREATE TABLE report_signoffs (
        id TEXT PRIMARY KEY,
        case_id TEXT NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
        report_version_id TEXT NOT NULL REFERENCES report_versions(id) ON DELETE CASCADE,
        signed_by TEXT NOT NULL,
        signed_at TEXT NOT NULL,
        source TEXT
    )""",
    """CREATE TABLE report_accuracy_checks (
        id TEXT PRIMARY KEY,
        case_id TEXT NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
        report_version_id TEXT NOT NULL REFERENCES report_versions(id) ON DELETE CASCADE,
        member_id TEXT NOT NULL REFERENCES case_group_members(id) ON DELETE CASCADE,
        outcome TEXT NOT NULL CHECK (outcome IN ('confirmed', 'corrections')),
        checked_at TEXT NOT NULL,
        source TEXT
    )""",
)
# A card goes with its episode when the lead merges or deletes the episode (the foreign key cascades);
# its words are kept in `revisions` first, as every other replaced wording is.
KEEP_CARD_WORDING = """
CREATE TRIGGER IF NOT EXISTS episode_cards_keep_wording BEFORE DELETE ON episode_cards
BEGIN
    INSERT INTO revisions (id, entity, entity_id, field, old_value, reason, case_id, actor, replaced_at)
    SELECT lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-a'
                 || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6))),
           'episode_card', OLD.case_episode_id, f.field, f.value, 'the episode was merged or deleted',
           OLD.case_id, 'lead reviewer', strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')
    FROM (SELECT 'what_happened' AS field, OLD.what_happened AS value UNION ALL SELECT 'appraisal', OLD.appraisal
          UNION ALL SELECT 'explanation', OLD.explanation UNION ALL SELECT 'accounts_differ', OLD.accounts_differ) f
    WHERE f.value <> '';
END;
"""
INDEXES = {"episode_cards": "case_id", "episode_card_notes": "note_id", "meetings": "case_id",
           "meeting_people": "meeting_id", "challenges": "meeting_id", "report_versions": "case_id",
           "report_signoffs": "report_version_id", "report_accuracy_checks": "report_version_id"}


def m011_how_widespread(db: Database) -> None:
    """SCIE's finding field "How widespread it is", kept apart from how we know it is not a one-off."""
    db.execute("ALTER TABLE findings ADD COLUMN how_widespread TEXT NOT NULL DEFAULT ''")


def m010_after_the_conversations(db: Database) -> None:
    """After the conversations: the story and episode cards, follow-on meetings and their challenges,
    findings in priority order, the report's versions and sign-off, and the review's start and window.
    Only adds tables and nullable columns, so existing rows stay as they were."""
    for statement in TABLES:
        db.execute(statement)
    for table, column in INDEXES.items():
        db[table].create_index([column], if_not_exists=True)
    db["challenges"].create_index(["case_id"], if_not_exists=True)
    db.executescript(KEEP_CARD_WORDING)
    for column in ("started_on", "window_from", "window_to"):
        db.execute(f"ALTER TABLE cases ADD COLUMN {column} TEXT")
    db.execute("ALTER TABLE findings ADD COLUMN priority INTEGER")
