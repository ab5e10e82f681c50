"""One conversation's logic, free of any UI: where the pair is, the key moments, notes, drafts,
prompt marks (the conversation's paradata), the gate, coverage and status.

The walk through the structure is a list of *stops*: a `once` section is one stop; consecutive
`per_episode` sections repeat together for every key moment (moment 1: thinking, influences;
moment 2: thinking, influences; …), because SCIE asks both for each moment in turn.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, Iterable

from assistant.safe_text import clean_input
from assistant.store import Store, StoreError, checksum, local_offset, new_id, now

if TYPE_CHECKING:  # the structure's models (and pydantic) are not needed to list conversations
    from assistant.structure import Section, Structure

MARKS = ("asked", "skipped", "declined", "later")
STATUSES = ("in_progress", "ended", "sent_for_checking", "checked")
STATUS_LABELS = {
    "in_progress": "in progress",
    "ended": "ended",
    "sent_for_checking": "sent for checking",
    "checked": "checked",
}
AUTHOR_ROLES = ("lead", "second")
CONSENT = ("yes", "no", "not_recorded")
MAX_NOTE_CHARS = 100_000
# Two or more capitalised words that are not role words: a gentle hint that a real name was typed.
_ROLE_WORDS = {
    "social", "worker", "health", "visitor", "probation", "officer", "manager", "team", "practice",
    "school", "nurse", "police", "gp", "family", "child", "mother", "father", "midwife", "senior",
    "practitioner", "teacher", "head", "lead", "reviewer", "designated", "safeguarding", "consultant",
    "paediatrician", "housing", "support", "early", "help", "mental", "worker", "adult", "services",
    "children's", "childrens", "the", "of", "and", "a", "b", "c", "d", "1", "2", "3", "dr", "officer",
    "duty", "assistant", "deputy", "named", "unit", "agency", "service", "county", "council", "trust",
}


class ConversationError(StoreError):
    """A conversation request that cannot be carried out, in one sentence; nothing was changed."""


class GateLocked(ConversationError):
    """The section or the chronology is locked until the practitioner's own account is captured."""


def looks_like_full_name(text: str) -> bool:
    """True when text looks like a person's full name rather than a role label or pseudonym."""
    words = re.findall(r"[A-Za-z][A-Za-z'\-]*", text)
    for first, second in zip(words, words[1:]):
        if all(len(w) > 1 and w[0].isupper() and w.lower() not in _ROLE_WORDS for w in (first, second)):
            return True
    return False


@dataclass(frozen=True)
class Stop:
    """One place in the walk: a section, and for per-moment sections, which moment."""

    section: Section
    episode: dict[str, Any] | None = None
    episode_index: int = 0
    episode_count: int = 0

    @property
    def key(self) -> tuple[str, str | None]:
        return (self.section.id, self.episode["id"] if self.episode else None)

    @property
    def slot(self) -> str:
        """The draft slot: one unsaved note per section and moment."""
        return f"{self.section.id}/{self.episode['id'] if self.episode else ''}"

    @property
    def heading(self) -> str:
        if self.section.mode != "per_episode":
            return self.section.title
        if not self.episode:
            return f"{self.section.title}: no key moments named yet"
        return f"{self.section.title}: moment {self.episode_index + 1} of {self.episode_count}"


@dataclass(frozen=True)
class SavedNote:
    id: str
    changes: tuple[str, ...] = ()


@dataclass
class Coverage:
    """What a conversation covered: per prompt, per section (covered, skipped, visited, not reached, or
    locked by the gate), notes per tag and time per section."""

    prompts: list[dict[str, Any]] = field(default_factory=list)
    sections: list[dict[str, Any]] = field(default_factory=list)
    tag_counts: dict[str, int] = field(default_factory=dict)
    seconds_by_section: dict[str, float] = field(default_factory=dict)
    total_seconds: float = 0.0


def create_conversation(
    store: Store,
    structure: Structure,
    *,
    case_id: str,
    practitioner_role: str,
    agency: str = "",
    lead_interviewer: str = "",
    second_interviewer: str = "",
    records_seen_before: bool = False,
    recording_consent: str = "not_recorded",
    mode: str = "live",
    scenario_id: str | None = None,
    actor: str = "lead",
) -> str:
    """Start a conversation at the first section; returns its id."""
    fields = {
        "practitioner_role": practitioner_role,
        "agency": agency,
        "lead_interviewer": lead_interviewer,
        "second_interviewer": second_interviewer,
    }
    fields = {k: clean_input(v).text.strip()[:200] for k, v in fields.items()}
    if not fields["practitioner_role"]:
        raise ConversationError("Give the practitioner's role label, such as \"Social Worker 1\".")
    if recording_consent not in CONSENT:
        raise ConversationError("Recording consent must be yes, no or not recorded.")
    if mode not in ("live", "rehearsal"):
        raise ConversationError("A conversation is live or a rehearsal.")
    if not store.one("SELECT id FROM cases WHERE id = ?", (case_id,)):
        raise ConversationError("That case no longer exists.")
    conversation_id = new_id()
    stamp = now()
    first = structure.sections[0].id
    with store.write() as conn:
        conn.execute(
            """INSERT INTO conversations (id, case_id, practitioner_role, agency, lead_interviewer,
               second_interviewer, mode, scenario_id, structure_id, structure_version, structure_hash,
               status, records_seen_before, recording_consent, position_section, created_at, updated_at,
               utc_offset)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'in_progress', ?, ?, ?, ?, ?, ?)""",
            (
                conversation_id, case_id, fields["practitioner_role"], fields["agency"],
                fields["lead_interviewer"], fields["second_interviewer"], mode, scenario_id,
                structure.id, structure.version, structure.content_hash, int(bool(records_seen_before)),
                recording_consent, first, stamp, stamp, local_offset(),
            ),
        )
        conn.execute(
            "INSERT INTO section_visits (id, conversation_id, section_id, episode_id, entered_at)"
            " VALUES (?, ?, ?, NULL, ?)",
            (new_id(), conversation_id, first, stamp),
        )
        store.event("create", "conversation", conversation_id, {"mode": mode, "structure": structure.id}, actor)
    return conversation_id


def held_on(row: dict[str, Any]) -> str:
    """The local date a conversation was held: its UTC start plus the device's offset at the time
    (the UTC date when no offset was recorded)."""
    created = row["created_at"]
    offset = row.get("utc_offset")
    try:
        start = datetime.fromisoformat(created)
        if start.tzinfo is None:
            start = start.replace(tzinfo=timezone.utc)
        if offset:
            sign = -1 if offset.startswith("-") else 1
            hours, minutes = offset.lstrip("+-").split(":")
            start = start.astimezone(timezone(sign * timedelta(hours=int(hours), minutes=int(minutes))))
        return start.date().isoformat()
    except (ValueError, TypeError):
        return str(created)[:10]


def list_conversations(store: Store, case_id: str | None = None, mode: str = "live") -> list[dict[str, Any]]:
    """Conversations of one mode (all cases, or one), newest first, with note counts."""
    where = "v.mode = ?"
    params: list[Any] = [mode]
    if case_id:
        where += " AND v.case_id = ?"
        params.append(case_id)
    return store.query(
        f"""SELECT v.*, c.reference, c.label AS case_label,
                   (SELECT COUNT(*) FROM notes n WHERE n.conversation_id = v.id AND n.deleted_at IS NULL)
                       AS note_count
            FROM conversations v JOIN cases c ON c.id = v.case_id
            WHERE {where} ORDER BY v.updated_at DESC""",
        params,
    )


def _seconds_between(start: str, end: str | None) -> float:
    finish = datetime.fromisoformat(end or now())
    return max(0.0, (finish - datetime.fromisoformat(start)).total_seconds())


class Conversation:
    """One conversation, read and changed through its store."""

    def __init__(self, store: Store, structure: Structure, conversation_id: str, actor: str = "second") -> None:
        self.store = store
        self.structure = structure
        self.id = conversation_id
        self.actor = actor
        if self.row is None:
            raise ConversationError("That conversation does not exist in this database.")

    # ---------------------------------------------------------------- basics
    @property
    def row(self) -> dict[str, Any]:
        return self.store.one("SELECT * FROM conversations WHERE id = ?", (self.id,))  # type: ignore[return-value]

    @property
    def case(self) -> dict[str, Any]:
        return self.store.one(
            "SELECT c.* FROM cases c JOIN conversations v ON v.case_id = c.id WHERE v.id = ?", (self.id,)
        )  # type: ignore[return-value]

    @property
    def is_rehearsal(self) -> bool:
        return self.row["mode"] == "rehearsal"

    def _touch(self, conn: Any) -> None:
        conn.execute("UPDATE conversations SET updated_at = ? WHERE id = ?", (now(), self.id))

    def _require_open(self) -> None:
        if self.row["status"] == "checked":
            raise ConversationError("This conversation's record has been checked; reopen it to make corrections.")

    # ---------------------------------------------------------------- key moments
    def episodes(self) -> list[dict[str, Any]]:
        return self.store.query(
            "SELECT * FROM episodes WHERE conversation_id = ? ORDER BY position, created_at", (self.id,)
        )

    def add_episode(self, title: str, approximate_time: str = "") -> str:
        """Add a key moment, named in the practitioner's words."""
        title = clean_input(title).text.strip()
        approximate_time = clean_input(approximate_time).text.strip()
        if not title:
            raise ConversationError("Name the moment in the practitioner's words first.")
        if len(title) > 300 or len(approximate_time) > 100:
            raise ConversationError("Keep a moment's name under 300 characters and its time under 100.")
        episode_id = new_id()
        stamp = now()
        with self.store.write() as conn:
            position = conn.execute(
                "SELECT COALESCE(MAX(position), -1) + 1 FROM episodes WHERE conversation_id = ?", (self.id,)
            ).fetchone()[0]
            conn.execute(
                "INSERT INTO episodes (id, conversation_id, title, approximate_time, position, created_at,"
                " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (episode_id, self.id, title, approximate_time, position, stamp, stamp),
            )
            self._touch(conn)
            self.store.event("create", "episode", episode_id, {"conversation": self.id}, self.actor)
        return episode_id

    def rename_episode(self, episode_id: str, title: str, approximate_time: str | None = None) -> None:
        title = clean_input(title).text.strip()
        if not title:
            raise ConversationError("A moment needs a name.")
        current = self._episode(episode_id)
        time_text = current["approximate_time"] if approximate_time is None else clean_input(approximate_time).text.strip()
        with self.store.write() as conn:
            conn.execute(
                "UPDATE episodes SET title = ?, approximate_time = ?, updated_at = ? WHERE id = ?",
                (title, time_text, now(), episode_id),
            )
            self._touch(conn)
            self.store.event(
                "edit", "episode", episode_id,
                {"old": checksum(current["title"]), "new": checksum(title)}, self.actor,
            )

    def move_episode(self, episode_id: str, delta: int) -> None:
        """Move a moment earlier (-1) or later (+1) in the order."""
        order = [e["id"] for e in self.episodes()]
        index = order.index(self._episode(episode_id)["id"])
        target = max(0, min(len(order) - 1, index + delta))
        if target == index:
            return
        order.insert(target, order.pop(index))
        with self.store.write() as conn:
            conn.executemany(
                "UPDATE episodes SET position = ? WHERE id = ?", [(i, e) for i, e in enumerate(order)]
            )
            self._touch(conn)

    def _episode(self, episode_id: str) -> dict[str, Any]:
        episode = self.store.one(
            "SELECT * FROM episodes WHERE id = ? AND conversation_id = ?", (episode_id, self.id)
        )
        if episode is None:
            raise ConversationError("That key moment is not part of this conversation.")
        return episode

    # ---------------------------------------------------------------- the walk
    def stops(self) -> list[Stop]:
        episodes = self.episodes()
        sections = self.structure.sections
        result: list[Stop] = []
        i = 0
        while i < len(sections):
            if sections[i].mode != "per_episode":
                result.append(Stop(sections[i]))
                i += 1
                continue
            block = []
            while i < len(sections) and sections[i].mode == "per_episode":
                block.append(sections[i])
                i += 1
            if not episodes:
                result.extend(Stop(s) for s in block)
            for index, episode in enumerate(episodes):
                result.extend(Stop(s, episode, index, len(episodes)) for s in block)
        return result

    def current_stop(self) -> Stop:
        row = self.row
        stops = self.stops()
        for stop in stops:
            if stop.key == (row["position_section"], row["position_episode"]):
                return stop
        # The moment was removed or the position is stale: the first stop of that section.
        for stop in stops:
            if stop.section.id == row["position_section"]:
                return stop
        return stops[0]

    @property
    def prompt_index(self) -> int:
        stop = self.current_stop()
        return max(0, min(self.row["position_prompt"], len(stop.section.prompts) - 1))

    def go_to(self, section_id: str, episode_id: str | None = None, prompt_index: int = 0,
              override_reason: str | None = None) -> Stop:
        """Move to a section (and moment); a locked section needs `override_reason`."""
        section = self.structure.section_by_id.get(section_id)
        if section is None:
            raise ConversationError(f"There is no section '{section_id}' in this structure.")
        if self.is_locked(section_id):
            if not override_reason:
                raise GateLocked(self.gate_message())
            self.open_gate(override_reason)
        if section.mode == "per_episode" and episode_id is None:
            episodes = self.episodes()
            episode_id = episodes[0]["id"] if episodes else None
        if section.mode != "per_episode":
            episode_id = None
        if episode_id is not None:
            self._episode(episode_id)
        stamp = now()
        row = self.row
        with self.store.write() as conn:
            if (row["position_section"], row["position_episode"]) != (section_id, episode_id):
                conn.execute(
                    "UPDATE section_visits SET left_at = ? WHERE conversation_id = ? AND left_at IS NULL",
                    (stamp, self.id),
                )
                conn.execute(
                    "INSERT INTO section_visits (id, conversation_id, section_id, episode_id, entered_at)"
                    " VALUES (?, ?, ?, ?, ?)",
                    (new_id(), self.id, section_id, episode_id, stamp),
                )
            conn.execute(
                "UPDATE conversations SET position_section = ?, position_episode = ?, position_prompt = ?,"
                " updated_at = ? WHERE id = ?",
                (section_id, episode_id, max(0, min(prompt_index, len(section.prompts) - 1)), stamp, self.id),
            )
        return self.current_stop()

    def step(self, delta: int) -> Stop:
        """Move to the next (+1) or previous (-1) stop; locked stops are passed over."""
        stops = self.stops()
        current = self.current_stop()
        index = next(i for i, s in enumerate(stops) if s.key == current.key)
        index += delta
        while 0 <= index < len(stops) and self.is_locked(stops[index].section.id):
            index += delta
        if not 0 <= index < len(stops):
            return current
        target = stops[index]
        return self.go_to(target.section.id, target.episode["id"] if target.episode else None)

    def set_prompt(self, index: int) -> int:
        stop = self.current_stop()
        index = max(0, min(index, len(stop.section.prompts) - 1))
        with self.store.write() as conn:
            conn.execute("UPDATE conversations SET position_prompt = ? WHERE id = ?", (index, self.id))
        return index

    def pause(self) -> None:
        """Close the open section visit (quitting or leaving the screen) so time is not over-counted."""
        with self.store.write() as conn:
            conn.execute(
                "UPDATE section_visits SET left_at = ? WHERE conversation_id = ? AND left_at IS NULL",
                (now(), self.id),
            )

    def resume(self) -> None:
        """Open a visit at the current position (after `pause`)."""
        row = self.row
        with self.store.write() as conn:
            open_visit = conn.execute(
                "SELECT 1 FROM section_visits WHERE conversation_id = ? AND left_at IS NULL", (self.id,)
            ).fetchone()
            if not open_visit:
                conn.execute(
                    "INSERT INTO section_visits (id, conversation_id, section_id, episode_id, entered_at)"
                    " VALUES (?, ?, ?, ?, ?)",
                    (new_id(), self.id, row["position_section"], row["position_episode"], now()),
                )

    # ---------------------------------------------------------------- prompt marks
    def mark_prompt(self, prompt_id: str, mark: str, section_id: str | None = None,
                    episode_id: str | None = None) -> None:
        """Record that a prompt was asked, skipped, declined or left for later."""
        if mark not in MARKS:
            raise ConversationError(f"A prompt can be marked {', '.join(MARKS)}.")
        if section_id is None:
            stop = self.current_stop()
            section_id = stop.section.id
            episode_id = stop.episode["id"] if stop.episode else None
        section = self.structure.section_by_id[section_id]
        if prompt_id not in {p.id for p in section.prompts}:
            raise ConversationError(f"Section '{section_id}' has no prompt '{prompt_id}'.")
        with self.store.write() as conn:
            conn.execute(
                "INSERT INTO prompt_marks (id, conversation_id, section_id, prompt_id, episode_id, mark, marked_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (new_id(), self.id, section_id, prompt_id, episode_id, mark, now()),
            )
            self._touch(conn)

    def marks(self) -> dict[tuple[str, str, str | None], str]:
        """The latest mark of each prompt (section, prompt, moment)."""
        latest: dict[tuple[str, str, str | None], str] = {}
        for row in self.store.query(
            "SELECT section_id, prompt_id, episode_id, mark FROM prompt_marks WHERE conversation_id = ?"
            " ORDER BY rowid",  # the order written: the clock can step back between two marks
            (self.id,),
        ):
            latest[(row["section_id"], row["prompt_id"], row["episode_id"])] = row["mark"]
        return latest

    def later(self) -> list[dict[str, Any]]:
        """Prompts marked "come back later" and not covered since, in structure order."""
        marks = self.marks()
        covered = self._noted_prompts()
        result = []
        for stop in self.stops():
            episode_id = stop.episode["id"] if stop.episode else None
            for index, prompt in enumerate(stop.section.prompts):
                key = (stop.section.id, prompt.id, episode_id)
                if marks.get(key) == "later" and key not in covered:
                    result.append({"stop": stop, "prompt": prompt, "prompt_index": index})
        return result

    # ---------------------------------------------------------------- notes
    def _check_tags(self, section: Section, tags: Iterable[str]) -> list[str]:
        tags = list(dict.fromkeys([*section.default_tags, *tags]))
        unknown = [t for t in tags if t not in self.structure.tag_by_id]
        if unknown:
            raise ConversationError(f"'{unknown[0]}' is not a tag in this structure's codebook.")
        group = section.requires_tag_group
        if group and not any(self.structure.tag_by_id[t].group == group for t in tags):
            label = self.structure.group_by_id[group].label.lower()
            raise ConversationError(f"A note in \"{section.title}\" needs a {label} category (Ctrl+T).")
        return tags

    def add_note(self, body: str, tags: Iterable[str] = (), author_role: str = "second",
                 section_id: str | None = None, episode_id: str | None = None,
                 prompt_id: str | None = None) -> SavedNote:
        """Save a note with its tags and audit event in one transaction.

        Defaults to the current section, moment and prompt. Text is cleaned of characters SQLite
        cannot store; `SavedNote.changes` says what was changed so the user can be told.
        """
        self._require_open()
        cleaned = clean_input(body)
        text = cleaned.text
        if not text.strip():
            raise ConversationError("The note is empty; type something first.")
        if len(text) > MAX_NOTE_CHARS:
            raise ConversationError(
                f"A note can be at most {MAX_NOTE_CHARS:,} characters; split it into smaller notes."
            )
        if author_role not in AUTHOR_ROLES:
            raise ConversationError("A note's author is the lead or the second interviewer.")
        if section_id is None:
            stop = self.current_stop()
            section_id = stop.section.id
            episode_id = stop.episode["id"] if stop.episode else None
            prompt_id = prompt_id or stop.section.prompts[self.prompt_index].id
        section = self.structure.section_by_id.get(section_id)
        if section is None:
            raise ConversationError(f"There is no section '{section_id}' in this structure.")
        if section.mode == "per_episode" and episode_id is None:
            raise ConversationError("Name a key moment first: notes here belong to a moment.")
        if prompt_id is None:
            prompt_id = section.prompts[0].id
        elif prompt_id not in {p.id for p in section.prompts}:
            raise ConversationError(f"Section '{section_id}' has no prompt '{prompt_id}'.")
        if self.is_locked(section_id):
            raise GateLocked(self.gate_message())
        tags = self._check_tags(section, tags)
        note_id = new_id()
        stamp = now()
        with self.store.write() as conn:
            conn.execute(
                "INSERT INTO notes (id, conversation_id, section_id, prompt_id, episode_id, author_role, body,"
                " checksum, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (note_id, self.id, section_id, prompt_id, episode_id, author_role, text, checksum(text),
                 stamp, stamp),
            )
            conn.executemany("INSERT INTO note_tags (note_id, tag_id) VALUES (?, ?)", [(note_id, t) for t in tags])
            conn.execute("UPDATE conversations SET updated_at = ? WHERE id = ?", (stamp, self.id))
            self.store.event(
                "create", "note", note_id,
                {"conversation": self.id, "section": section_id, "checksum": checksum(text), "tags": tags},
                author_role,
            )
        return SavedNote(note_id, cleaned.changes)

    def _note(self, note_id: str) -> dict[str, Any]:
        note = self.store.one("SELECT * FROM notes WHERE id = ? AND conversation_id = ?", (note_id, self.id))
        if note is None:
            raise ConversationError("That note is not part of this conversation.")
        return note

    def edit_note(self, note_id: str, body: str, reason: str = "") -> SavedNote:
        """Change a note's text, keeping the previous version; after checking, a reason is required."""
        note = self._note(note_id)
        status = self.row["status"]
        reason = clean_input(reason).text.strip()
        if status in ("sent_for_checking", "checked") and not reason:
            raise ConversationError("This record has gone for checking; give a reason for the correction.")
        cleaned = clean_input(body)
        if not cleaned.text.strip():
            raise ConversationError("A note cannot be made empty; delete it instead.")
        if cleaned.text == note["body"]:
            return SavedNote(note_id, cleaned.changes)
        stamp = now()
        with self.store.write() as conn:
            conn.execute(
                "INSERT INTO note_versions (id, note_id, body, checksum, replaced_at, reason) VALUES (?, ?, ?, ?, ?, ?)",
                (new_id(), note_id, note["body"], note["checksum"], stamp, reason),
            )
            conn.execute(
                "UPDATE notes SET body = ?, checksum = ?, updated_at = ? WHERE id = ?",
                (cleaned.text, checksum(cleaned.text), stamp, note_id),
            )
            self._touch(conn)
            self.store.event(
                "edit", "note", note_id,
                {"old": note["checksum"], "new": checksum(cleaned.text), "reason_given": bool(reason)},
                self.actor,
            )
        return SavedNote(note_id, cleaned.changes)

    def set_note_tags(self, note_id: str, tags: Iterable[str]) -> None:
        note = self._note(note_id)
        section = self.structure.section_by_id[note["section_id"]]
        tags = self._check_tags(section, tags)
        old = [r["tag_id"] for r in self.store.query("SELECT tag_id FROM note_tags WHERE note_id = ?", (note_id,))]
        with self.store.write() as conn:
            conn.execute("DELETE FROM note_tags WHERE note_id = ?", (note_id,))
            conn.executemany("INSERT INTO note_tags (note_id, tag_id) VALUES (?, ?)", [(note_id, t) for t in tags])
            self._touch(conn)
            self.store.event("edit", "note_tags", note_id, {"old": sorted(old), "new": sorted(tags)}, self.actor)

    def delete_note(self, note_id: str) -> None:
        """Delete recoverably: the note is hidden, and `restore_note` brings it back."""
        self._note(note_id)
        with self.store.write() as conn:
            conn.execute("UPDATE notes SET deleted_at = ? WHERE id = ?", (now(), note_id))
            self._touch(conn)
            self.store.event("delete", "note", note_id, {"conversation": self.id}, self.actor)

    def restore_note(self, note_id: str) -> None:
        self._note(note_id)
        with self.store.write() as conn:
            conn.execute("UPDATE notes SET deleted_at = NULL WHERE id = ?", (note_id,))
            self._touch(conn)
            self.store.event("restore", "note", note_id, {"conversation": self.id}, self.actor)

    def notes(self, section_id: str | None = None, episode_id: str | None = "any",
              include_deleted: bool = False) -> list[dict[str, Any]]:
        """Notes with their tags (a list) in the order they were written (not by clock time, which can step
        back); filter by section and moment."""
        where = ["n.conversation_id = ?"]
        params: list[Any] = [self.id]
        if section_id is not None:
            where.append("n.section_id = ?")
            params.append(section_id)
        if episode_id != "any":
            where.append("n.episode_id IS ?")
            params.append(episode_id)
        if not include_deleted:
            where.append("n.deleted_at IS NULL")
        rows = self.store.query(
            f"""SELECT n.*, (SELECT json_group_array(tag_id) FROM note_tags t WHERE t.note_id = n.id) AS tags
                FROM notes n WHERE {' AND '.join(where)} ORDER BY n.rowid""",
            params,
        )
        for row in rows:
            row["tags"] = json.loads(row["tags"])
        return rows

    def _noted_prompts(self) -> set[tuple[str, str, str | None]]:
        return {
            (r["section_id"], r["prompt_id"], r["episode_id"])
            for r in self.store.query(
                "SELECT DISTINCT section_id, prompt_id, episode_id FROM notes"
                " WHERE conversation_id = ? AND deleted_at IS NULL",
                (self.id,),
            )
        }

    # ---------------------------------------------------------------- drafts
    def save_draft(self, slot: str, text: str) -> None:
        """Keep the editor's unsaved text (an empty text removes the draft)."""
        text = clean_input(text).text
        with self.store.write() as conn:
            if text.strip():
                conn.execute(
                    "INSERT INTO drafts (conversation_id, slot, body, updated_at) VALUES (?, ?, ?, ?)"
                    " ON CONFLICT (conversation_id, slot) DO UPDATE SET body = excluded.body,"
                    " updated_at = excluded.updated_at",
                    (self.id, slot, text, now()),
                )
            else:
                conn.execute("DELETE FROM drafts WHERE conversation_id = ? AND slot = ?", (self.id, slot))

    def draft(self, slot: str) -> str:
        return self.store.scalar(
            "SELECT body FROM drafts WHERE conversation_id = ? AND slot = ?", (self.id, slot)
        ) or ""

    # ---------------------------------------------------------------- the gate
    def gate_missing(self) -> list[Section]:
        """Sections that must have notes before the gate opens (empty when it is open)."""
        gate = self.structure.gate
        if gate is None or self.row["gate_opened_at"]:
            return []
        noted = {r["section_id"] for r in self.store.query(
            "SELECT DISTINCT section_id FROM notes WHERE conversation_id = ? AND deleted_at IS NULL", (self.id,)
        )}
        has_moments = bool(self.episodes())
        missing = []
        for section_id in gate.requires:
            section = self.structure.section_by_id[section_id]
            if section_id in noted or (section.captures_episodes and has_moments):
                continue
            missing.append(section)
        return missing

    def gate_open(self) -> bool:
        return not self.gate_missing()

    def is_locked(self, section_id: str) -> bool:
        gate = self.structure.gate
        return bool(gate and section_id in gate.locks and not self.gate_open())

    def chronology_locked(self) -> bool:
        gate = self.structure.gate
        return bool(gate and gate.locks_chronology and not self.gate_open())

    def gate_message(self) -> str:
        missing = ", ".join(f'"{s.title}"' for s in self.gate_missing())
        return f"Locked until the practitioner's own account is captured (still needed: {missing})."

    def open_gate(self, reason: str) -> None:
        """Open the gate early; the reason is recorded with the conversation and in the audit trail."""
        reason = clean_input(reason).text.strip()
        if len(reason) < 3:
            raise ConversationError("Opening early needs a reason, which is recorded.")
        with self.store.write() as conn:
            conn.execute(
                "UPDATE conversations SET gate_opened_at = ?, gate_reason = ?, updated_at = ? WHERE id = ?",
                (now(), reason, now(), self.id),
            )
            self.store.event(
                "gate_override", "conversation", self.id,
                {"missing": [s.id for s in self.gate_missing()], "reason_checksum": checksum(reason)},
                self.actor,
            )

    def reveal_chronology(self) -> list[dict[str, Any]]:
        """The case chronology, once the gate is open; the reveal is recorded."""
        if self.chronology_locked():
            raise GateLocked(self.gate_message())
        from assistant.cases import chronology

        entries = chronology(self.store, self.row["case_id"])
        with self.store.write():
            self.store.event("reveal", "chronology", self.row["case_id"], {"conversation": self.id}, self.actor)
        return entries

    # ---------------------------------------------------------------- coverage and status
    def coverage(self) -> Coverage:
        marks = self.marks()
        noted = self._noted_prompts()
        noted_sections = {(s, e) for s, _, e in noted}
        visits = self.store.query(
            "SELECT section_id, episode_id, entered_at, left_at FROM section_visits WHERE conversation_id = ?",
            (self.id,),
        )
        visited = {(v["section_id"], v["episode_id"]) for v in visits}
        coverage = Coverage()
        for visit in visits:
            seconds = _seconds_between(visit["entered_at"], visit["left_at"])
            coverage.seconds_by_section[visit["section_id"]] = (
                coverage.seconds_by_section.get(visit["section_id"], 0.0) + seconds
            )
            coverage.total_seconds += seconds
        has_moments = bool(self.episodes())
        locked = {s.id for s in self.structure.sections if self.is_locked(s.id)}  # the gate, worked out once
        for stop in self.stops():
            episode_id = stop.episode["id"] if stop.episode else None
            states = []
            for prompt in stop.section.prompts:
                key = (stop.section.id, prompt.id, episode_id)
                mark = marks.get(key)
                if key in noted or mark == "asked":
                    state = "covered"
                elif mark in ("skipped", "declined", "later"):
                    state = {"skipped": "skipped", "declined": "declined", "later": "come back later"}[mark]
                else:
                    state = "not reached"
                states.append(state)
                coverage.prompts.append(
                    {"section": stop.section, "episode": stop.episode, "prompt": prompt, "state": state}
                )
            if stop.section.id in locked:
                section_state = "locked"
            elif (stop.section.id, episode_id) in noted_sections or "covered" in states:
                section_state = "covered"
            elif stop.section.captures_episodes and has_moments:
                section_state = "covered"
            elif states and all(s in ("skipped", "declined") for s in states):
                section_state = "skipped"
            elif (stop.section.id, episode_id) in visited:
                section_state = "visited"
            else:
                section_state = "not reached"
            coverage.sections.append(
                {"section": stop.section, "episode_id": episode_id, "episode": stop.episode,
                 "state": section_state, "stop": stop}
            )
        counts: Counter[str] = Counter()
        for row in self.store.query(
            "SELECT t.tag_id, COUNT(*) AS n FROM note_tags t JOIN notes n ON n.id = t.note_id"
            " WHERE n.conversation_id = ? AND n.deleted_at IS NULL GROUP BY t.tag_id",
            (self.id,),
        ):
            counts[row["tag_id"]] = row["n"]
        coverage.tag_counts = dict(counts.most_common())
        return coverage

    def checklist(self) -> set[int]:
        """The closing-checklist items ticked so far (indexes into the structure's list)."""
        return {r["item"] for r in self.store.query(
            "SELECT item FROM closing_checks WHERE conversation_id = ?", (self.id,))}

    def tick_checklist(self, item: int, ticked: bool) -> None:
        if not 0 <= item < len(self.structure.closing_checklist):
            raise ConversationError("There is no such item on the closing checklist.")
        with self.store.write() as conn:
            if ticked:
                conn.execute("INSERT OR IGNORE INTO closing_checks (conversation_id, item, ticked_at) VALUES (?, ?, ?)",
                             (self.id, item, now()))
            else:
                conn.execute("DELETE FROM closing_checks WHERE conversation_id = ? AND item = ?", (self.id, item))

    def set_status(self, status: str, reason: str = "") -> None:
        """Move the record on: ended, sent for checking, checked (or back to in progress to correct)."""
        if status not in STATUSES:
            raise ConversationError(f"A conversation's status is one of: {', '.join(STATUS_LABELS.values())}.")
        old = self.row["status"]
        if old == status:
            return
        stamp = now()
        with self.store.write() as conn:
            conn.execute(
                "UPDATE conversations SET status = ?, updated_at = ?,"
                " ended_at = COALESCE(ended_at, CASE WHEN ? = 'in_progress' THEN NULL ELSE ? END) WHERE id = ?",
                (status, stamp, status, stamp, self.id),
            )
            if status != "in_progress":
                conn.execute(
                    "UPDATE section_visits SET left_at = ? WHERE conversation_id = ? AND left_at IS NULL",
                    (stamp, self.id),
                )
            self.store.event(
                "status", "conversation", self.id, {"old": old, "new": status, "reason_given": bool(reason)},
                self.actor,
            )

    def end(self) -> Coverage:
        """Finish the conversation: status "ended"; returns the coverage summary."""
        self.set_status("ended")
        return self.coverage()
