"""What the command line and the terminal app both do, written once: each screen and each command
calls these rather than keeping a copy of its own.

* `unlock`: open a database, asking for its passphrase (the asking is passed in) and trying again after
  a wrong one;
* `start_conversation`: a conversation, with a new case when asked for one, linked to its case-group
  member when one is named, in one transaction;
* `export_case_to`, `export_record_to`, `export_letter_to`, `export_debrief_to`: an export to a file
  given, or to a free name in the private `exports` folder beside the database, with the warning to
  show when the database is encrypted and the export is not;
* `format_duration`: a conversation clock.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from assistant.store import PassphraseNeeded, Store, StoreError, WrongPassphrase, is_encrypted_file, open_store

if TYPE_CHECKING:
    from assistant.conversation import Conversation
    from assistant.rehearsal import Rehearsal
    from assistant.structure import Structure

WRONG_PASSPHRASE = "Wrong passphrase; try again."
PLAIN_EXPORT_WARNING = ("The export is not encrypted, unlike the database: keep it somewhere safe and delete it "
                        "when it is no longer needed.")
from assistant.exports.files import EXPORTS_FOLDER  # noqa: E402,F401  (one name for the folder)


# ---------------------------------------------------------------- unlocking a database
def passphrase_problem(passphrase: str) -> str | None:
    """A passphrase the database library cannot take (a NUL or another control character), as one
    sentence; None when it is usable. Its length is checked where the database is opened."""
    if "\x00" in passphrase:
        return "A passphrase cannot contain a NUL character; type it again without it."
    if any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in passphrase):
        return "A passphrase cannot contain control characters; type it again without them."
    return None


def passphrase_prompt(path: Path) -> str:
    """What to ask at the terminal, naming the database so the user knows which passphrase is wanted."""
    from assistant.safe_text import visible

    return f"Passphrase for {visible(str(path))}"


def unlock(path: Path, ask: Callable[[], str] | None, tries: int = 3, *, passphrase: str | None = None,
           tell: Callable[[str], None] = lambda message: None,
           check: Callable[[str], str | None] | None = None, **options) -> Store:
    """Open the database at `path` (`options` go to `open_store`).

    A passphrase given (from a file or the environment) is used once: a wrong one is refused at once.
    Without one, an encrypted database is unlocked by `ask` (a hidden prompt; None where nobody can be
    asked, and then `PassphraseNeeded` is raised), up to `tries` times: after a wrong passphrase, or one
    that `check` finds a problem with, `tell` says so and it asks again. The last failure is raised."""
    if check is not None and passphrase is not None:
        problem = check(passphrase)
        if problem is not None:
            raise StoreError(problem)
    if passphrase is not None or ask is None or not is_encrypted_file(path):
        try:
            return open_store(path, passphrase=passphrase, **options)
        except PassphraseNeeded:
            if passphrase is not None or ask is None:
                raise
    for attempt in range(1, tries + 1):
        passphrase = ask()
        problem = check(passphrase) if check is not None else None
        try:
            if problem is not None:
                raise StoreError(problem)
            return open_store(path, passphrase=passphrase, **options)
        except WrongPassphrase:
            if attempt == tries:
                raise
            tell(WRONG_PASSPHRASE)
        except StoreError:
            if problem is None or attempt == tries:
                raise
            tell(problem)
    raise PassphraseNeeded("No passphrase was given.")  # only with tries < 1


# ---------------------------------------------------------------- starting a conversation
@dataclass(frozen=True)
class NewCase:
    """A case to add together with the conversation."""

    reference: str
    label: str


@dataclass(frozen=True)
class Started:
    conversation_id: str
    case_id: str
    case_added: bool


def start_conversation(store: Store, structure: "Structure", case: str | NewCase, *, practitioner_role: str,
                       agency: str = "", lead_interviewer: str = "", second_interviewer: str = "",
                       records_seen_before: bool = False, recording_consent: str = "not_recorded",
                       actor: str = "lead", member_id: str | None = None) -> Started:
    """A live conversation for the case with id `case`, or for a `NewCase` added with it: the case and
    the conversation are saved together or not at all, so a refused conversation leaves no empty case.

    Given `member_id` (a case-group member of that case), the conversation is linked to the member in
    the same transaction, and the member's role label and agency fill a role or agency left empty."""
    from assistant.cases import add_case
    from assistant.conversation import ConversationError, create_conversation

    member = None
    if member_id is not None:
        from assistant.casegroup import get_member

        member = get_member(store, member_id)
        practitioner_role = practitioner_role.strip() or member["role"]
        agency = agency.strip() or member["agency"]
    if not practitioner_role.strip():
        raise ConversationError("Give the practitioner's role label, such as \"Social Worker 1\".")
    with store.write():
        case_id = add_case(store, case.reference, case.label, actor=actor) if isinstance(case, NewCase) else case
        conversation_id = create_conversation(
            store, structure, case_id=case_id, practitioner_role=practitioner_role, agency=agency,
            lead_interviewer=lead_interviewer, second_interviewer=second_interviewer,
            records_seen_before=records_seen_before, recording_consent=recording_consent, actor=actor,
        )
        if member is not None:
            from assistant.casegroup import link_conversation

            link_conversation(store, member["id"], conversation_id, actor=actor)
    return Started(conversation_id, case_id, isinstance(case, NewCase))


# ---------------------------------------------------------------- exports
@dataclass(frozen=True)
class ExportResult:
    """The files written, and a warning to show with them (None when there is nothing to warn of)."""

    paths: list[Path] = field(default_factory=list)
    warning: str | None = None


def exports_folder(store: Store) -> Path:
    """Where exports go when no file is named: a private `exports` folder beside the database."""
    return Path(store.path).parent / EXPORTS_FOLDER


def _result(store: Store, paths: list[Path]) -> ExportResult:
    return ExportResult(list(paths), PLAIN_EXPORT_WARNING if store.encrypted else None)


def export_case_to(store: Store, structure: "Structure", reference: str, fmt: str, out: Path | None = None, *,
                   force: bool = False, actor: str = "lead") -> ExportResult:
    """A whole case in `fmt`, to `out` or to a free name in the exports folder."""
    from assistant.exports.case import case_export_path, export_case

    target = out if out is not None else case_export_path(exports_folder(store), reference, fmt)
    return _result(store, export_case(store, structure, reference, fmt, target, actor=actor, force=force))


def export_record_to(conversation: "Conversation", fmt: str, out: Path | None = None, *,
                     force: bool = False, include_workflow_tags: bool = False) -> ExportResult:
    """One conversation's typed-up record (md or docx), to `out` or to a free name in the exports folder;
    the pair's workflow tags only with `include_workflow_tags`."""
    from assistant.exports.record import export_record, record_path

    target = out if out is not None else record_path(exports_folder(conversation.store), conversation, fmt)
    return _result(conversation.store, [export_record(conversation, fmt, target, force=force,
                                                      include_workflow_tags=include_workflow_tags)])


def export_letter_to(store: Store, member_id: str, fmt: str, out: Path | None = None, *, force: bool = False,
                     mark_sent: bool = False, template: Path | None = None,
                     actor: str = "lead reviewer") -> ExportResult:
    """A case-group member's introductory letter (md or docx) from the template kept with the structures
    (or `template`), to `out` or to a free name in the exports folder; `mark_sent` records that it was
    sent, together with the export."""
    from assistant.letters import export_letter, letter_path
    from assistant.structure import DEFAULT_LETTER, load_letter_template

    letter = load_letter_template(template or DEFAULT_LETTER)
    target = out if out is not None else letter_path(exports_folder(store), store, member_id, fmt)
    return _result(store, [export_letter(store, letter, member_id, fmt, target, force=force, mark_sent=mark_sent,
                                         actor=actor)])


def export_debrief_to(rehearsal: "Rehearsal") -> ExportResult:
    """A rehearsal's debrief as Markdown, to a free name in the exports folder. Rehearsals are fictional,
    so there is no warning."""
    from assistant.exports.document import to_markdown, write_private
    from assistant.exports.files import choose_export_path
    from assistant.rehearsal import debrief_document

    path = choose_export_path(
        exports_folder(rehearsal.conversation.store),
        f"rehearsal-{rehearsal.scenario.id}-{rehearsal.conversation.id[:8]}-debrief", "md")
    write_private(path, to_markdown(debrief_document(rehearsal)))
    return ExportResult([path])


# ---------------------------------------------------------------- time
def format_duration(seconds: float) -> str:
    """A conversation clock: "4:05" under an hour, "1:02:03" from an hour on."""
    seconds = max(0, int(seconds))
    if seconds >= 3600:
        return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
    return f"{seconds // 60}:{seconds % 60:02d}"


# ---------------------------------------------------------------- the hand-over's file name
def handover_file_name(store: Store, today: date) -> str:
    """`handover-CASE-LEAD-SECOND-DATE.db` from the pair's latest live conversation, so two pairs' copies
    of one case do not replace each other on the lead reviewer's stick; `handover-DATE.db` before any."""
    rows = store.query(
        """SELECT c.reference, v.lead_interviewer, v.second_interviewer FROM conversations v
           JOIN cases c ON c.id = v.case_id WHERE v.mode = 'live' ORDER BY v.updated_at DESC LIMIT 1""")
    parts = [rows[0]["reference"], rows[0]["lead_interviewer"], rows[0]["second_interviewer"]] if rows else []
    words = [re.sub(r"[^A-Za-z0-9]+", "-", part).strip("-")[:40] for part in parts]
    return "-".join(["handover", *[w for w in words if w], today.isoformat()]) + ".db"
