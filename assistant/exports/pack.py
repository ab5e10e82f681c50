"""The analysis pack (Markdown and Word) for the review team's analysis meeting.

Every note of every section reaches the pack under the practitioner who gave it: sections asked once
hold one heading per practitioner; key moments are tables with one column per practitioner, so accounts
stay side by side and are never merged. Review comments follow, each under its conversation.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from assistant.cases import chronology, get_case
from assistant.conversation import held_on
from assistant.exports.document import Document
from assistant.labels import conversation_labels
from assistant.meetings import challenge_log, list_meetings
from assistant.review import (FINDING_TITLES, case_episodes, case_moments, case_notes, coverage_matrix, findings, influence_counts,
                              live_conversations)
from assistant.store import Store, now
from assistant.structure import Structure
from assistant.words import counted

# How much of a commented note the comments list quotes, so the reader can find the note.
_QUOTE_CHARS = 80


def app_version() -> str:
    try:
        return version("learning-together")
    except PackageNotFoundError:
        return "unknown"


def conversation_label(conversation: dict[str, Any]) -> str:
    """A practitioner as the pack names them: role, and agency in brackets."""
    agency = f" ({conversation['agency']})" if conversation["agency"] else ""
    return f"{conversation['practitioner_role']}{agency}"


def case_comments(store: Store, case_id: str) -> list[dict[str, Any]]:
    """Review comments on the case's live conversations and their notes (not deleted ones), oldest
    first, each with the id of the conversation it belongs to."""
    return store.query(
        """SELECT c.*, v.id AS conversation_id FROM comments c
           LEFT JOIN notes n ON c.target_kind = 'note' AND n.id = c.target_id AND n.deleted_at IS NULL
           JOIN conversations v ON v.id = CASE c.target_kind WHEN 'note' THEN n.conversation_id ELSE c.target_id END
           WHERE v.case_id = ? AND v.mode = 'live' ORDER BY c.rowid""",
        (case_id,),
    )


def build_analysis_pack(store: Store, structure: Structure, reference: str) -> Document:
    case = get_case(store, reference)
    conversations = live_conversations(store, case["id"])
    # Two practitioners with the same role label are told apart by the date, the pair or a short id.
    names = conversation_labels(conversations, with_agency=True)
    notes = case_notes(store, case["id"])  # refuses to go on if any note's checksum does not match
    doc = Document(title=f"Analysis pack: {case['reference']} · {case['label']}", reference=case["reference"])
    doc.heading(doc.title)
    doc.paragraph(
        f"Made {now()[:16].replace('T', ' ')} UTC by learning-together {app_version()} with structure "
        f"{structure.id} {structure.version}. Practitioners are named by role; the family by pseudonym. "
        "Each account is the practitioner's own: perspectives are kept side by side, not merged.",
        italic=True,
    )
    doc.heading("Conversations", 2)
    for c in conversations:
        doc.bullet(f"{c['status'].replace('_', ' ')}, {c['note_count']} notes, held {held_on(c)}", names[c["id"]])
    # Notes asked once go under their section, per conversation; notes of a key moment go with the moment.
    once: dict[str, dict[str, list[dict]]] = defaultdict(lambda: defaultdict(list))
    by_moment: dict[str | None, dict[str, list[dict]]] = defaultdict(lambda: defaultdict(list))
    for note in notes:
        section = structure.section_by_id.get(note["section_id"])
        if section is not None and section.mode == "per_episode":
            by_moment[note["episode_id"]][section.id].append(note)
        else:
            once[note["section_id"]][note["conversation_id"]].append(note)
    episodes = case_episodes(store, case["id"])
    episodes_written = False
    for section in structure.sections:
        if section.mode == "per_episode" and not episodes_written:
            _key_moments(doc, store, structure, case["id"], episodes, by_moment, names)
            episodes_written = True
        elif section.mode != "per_episode" and section.id in once:
            _section_accounts(doc, structure, section.title, set(section.default_tags), once.pop(section.id),
                              conversations, names)
    if not episodes_written:
        _key_moments(doc, store, structure, case["id"], episodes, by_moment, names)
    for section_id, by_conversation in once.items():  # kept under a section an older structure had
        _section_accounts(doc, structure, f"Notes under a section this structure does not have: {section_id}",
                          set(), by_conversation, conversations, names)
    _coverage_and_influences(doc, store, structure, case["id"], conversations, names)
    _comments(doc, structure, case_comments(store, case["id"]), conversations, {n["id"]: n for n in notes}, names)
    _findings(doc, structure, findings(store, case["id"]), episodes)
    _meetings(doc, store, case["id"], {e["id"]: e["title"] for e in episodes})
    entries = chronology(store, case["id"])
    if entries:
        doc.heading("Chronology", 2)
        doc.table(["Date", "Agency", "Summary", "Source"],
                  [[e["date"], e["agency"], e["summary"], e["source_ref"]] for e in entries])
    return doc


def _tag_label(structure: Structure, tags: list[str], leave_out: set[str]) -> str:
    """The note's tags as a bracketed label, without those its section gives every note."""
    labels = [structure.tag_by_id[t].label for t in tags if t in structure.tag_by_id and t not in leave_out]
    return f"[{', '.join(labels)}]" if labels else ""


def _section_accounts(doc: Document, structure: Structure, title: str, default_tags: set[str],
                      by_conversation: dict[str, list[dict]], conversations: list[dict],
                      names: dict[str, str]) -> None:
    doc.heading(title, 2)
    for conversation in conversations:
        notes = by_conversation.get(conversation["id"])
        if notes:
            doc.heading(names[conversation["id"]], 3)
            for note in notes:
                doc.bullet(note["body"], _tag_label(structure, note["tags"], default_tags))


def _key_moments(doc: Document, store: Store, structure: Structure, case_id: str, episodes: list[dict],
                 by_moment: dict[str | None, dict[str, list[dict]]], names: dict[str, str]) -> None:
    """Each case episode as its practitioners' accounts side by side, then the moments not linked yet,
    then any notes of a moment's sections kept under no moment."""
    doc.heading("Key practice episodes", 2)
    if not episodes:
        doc.paragraph("No case episodes linked yet.", italic=True)
    moments = case_moments(store, case_id)
    for episode in episodes:
        doc.heading(episode["title"], 3)
        if episode["typology"]:
            patterns = ", ".join(structure.tag_by_id[t].label for t in episode["typology"])
            doc.paragraph(f"Underlying patterns: {patterns}")
        _accounts_table(doc, structure, [m for m in moments if m["case_episode_id"] == episode["id"]], by_moment,
                        names)
    unlinked = [m for m in moments if not m["case_episode_id"]]
    if unlinked:
        doc.heading("Key moments not yet linked to an episode", 3)
        for moment in unlinked:
            when = f" ({moment['approximate_time']})" if moment["approximate_time"] else ""
            doc.heading(f"{moment['title']}{when}", 4)
            _accounts_table(doc, structure, [moment], by_moment, names)
    known = {m["id"] for m in moments}
    loose = [n for moment_id, sections in by_moment.items() if moment_id not in known
             for section_notes in sections.values() for n in section_notes]
    if loose:
        doc.heading("Notes kept under no key moment", 3)
        for role_notes in _by_conversation(loose).values():
            doc.heading(names.get(role_notes[0]["conversation_id"]) or conversation_label(role_notes[0]), 4)
            for note in role_notes:
                doc.bullet(note["body"], structure.section_by_id[note["section_id"]].title + ":")


def _by_conversation(notes: list[dict]) -> dict[str, list[dict]]:
    grouped: dict[str, list[dict]] = defaultdict(list)
    for note in notes:
        grouped[note["conversation_id"]].append(note)
    return grouped


def _accounts_table(doc: Document, structure: Structure, moments: list[dict],
                    by_moment: dict[str | None, dict[str, list[dict]]], names: dict[str, str]) -> None:
    """One column per practitioner's moment: their words for it, each section's notes, their influences."""
    factors = [t.id for t in structure.tags_in_group("factor")]
    rows = [["Their words for it", *[m["title"] for m in moments]]]
    for section in (s for s in structure.sections if s.mode == "per_episode"):
        rows.append([section.title, *["\n".join(n["body"] for n in by_moment.get(m["id"], {}).get(section.id, []))
                                      for m in moments]])
    influences = []
    for moment in moments:
        counts = Counter(t for notes in by_moment.get(moment["id"], {}).values() for n in notes for t in n["tags"]
                         if t in factors)
        influences.append("; ".join(f"{structure.tag_by_id[t].label} ({counts[t]})" for t in factors if counts[t]))
    rows.append(["Influence categories", *influences])
    doc.table(["", *[names.get(m["conversation_id"]) or conversation_label(m) for m in moments]], rows)


def _coverage_and_influences(doc: Document, store: Store, structure: Structure, case_id: str,
                             conversations: list[dict], names: dict[str, str]) -> None:
    doc.heading("Coverage", 2)
    matrix = coverage_matrix(store, structure, case_id)
    doc.table(["Section", "Prompt", *[names[c["id"]] for c in matrix.conversations]],
              [[r["section"].title, r["prompt"].text, *[r["cells"][c["id"]]["state"] for c in matrix.conversations]]
               for r in matrix.rows])
    doc.heading("Influences by category", 2)
    counts = influence_counts(store, structure, case_id)
    doc.table(["Category", "Level", "Total", *[names[c["id"]] for c in conversations]],
              [[structure.tag_by_id[f].label, (structure.tag_by_id[f].level or "").replace("_", " "),
                str(counts["totals"].get(f, 0)),
                *[str(counts["by_conversation"].get(f, {}).get(c["id"], 0)) for c in conversations]]
               for f in counts["factors"]])
    if counts["together"]:
        doc.paragraph("Categories named together on the same moment:")
        for item in counts["together"][:15]:
            doc.bullet(counted(item['moments'], 'moment'),
                       " + ".join(structure.tag_by_id[t].label for t in item["pair"]) + ":")


def _comments(doc: Document, structure: Structure, comments: list[dict], conversations: list[dict],
              notes: dict[str, dict], names: dict[str, str]) -> None:
    """Review comments under each practitioner's heading, open or resolved, quoting the note they are on."""
    doc.heading("Review comments", 2)
    if not comments:
        doc.paragraph("No review comments.", italic=True)
    for conversation in conversations:
        theirs = [c for c in comments if c["conversation_id"] == conversation["id"]]
        if theirs:
            doc.heading(names[conversation["id"]], 3)
        for comment in theirs:
            note = notes.get(comment["target_id"]) if comment["target_kind"] == "note" else None
            if note is None:
                on = "on the conversation"
            else:
                section = structure.section_by_id.get(note["section_id"])
                quote = note["body"] if len(note["body"]) <= _QUOTE_CHARS else note["body"][:_QUOTE_CHARS] + "…"
                on = f"on their note in {section.title if section else note['section_id']}: “{quote}”"
            doc.bullet(f"{comment['body']} ({on})", "Resolved:" if comment["resolved"] else "Open:")


def _findings(doc: Document, structure: Structure, drafted: list[dict], episodes: list[dict]) -> None:
    doc.heading("Draft findings", 2)
    if not drafted:
        doc.paragraph("No findings drafted yet.", italic=True)
    titles = {e["id"]: e["title"] for e in episodes}
    for number, finding in enumerate(drafted, start=1):
        doc.heading(f"Finding {number}: {structure.tag_by_id[finding['typology_tag']].label}", 3)
        for field, title in FINDING_TITLES:
            doc.bullet(finding[field] or "—", f"{title}:")
        if finding["case_episodes"]:
            doc.bullet(", ".join(titles.get(e, e) for e in finding["case_episodes"]), "Rests on episodes:")
        if finding["notes"]:
            doc.bullet(counted(len(finding['notes']), 'linked note'), "Evidence:")


def _meetings(doc: Document, store: Store, case_id: str, episode_titles: dict[str, str]) -> None:
    """Each follow-on meeting with who came and who will be consulted, then its challenge log."""
    doc.heading("Follow-on meetings", 2)
    meetings = list_meetings(store, case_id)
    if not meetings:
        doc.paragraph("No follow-on meetings recorded yet.", italic=True)
    log = challenge_log(store, case_id)
    numbers = {f["id"]: n for n, f in enumerate(findings(store, case_id), start=1)}
    for meeting in meetings:
        doc.heading(f"{meeting['kind'].capitalize()} meeting, {meeting['date']}", 3)
        facts = [("Facilitators", meeting["facilitators"] or "—"), ("Pack shared", meeting["pack_version"] or "—"),
                 ("Attended", "; ".join(_person(p) for p in meeting["attendees"]) or "—")]
        facts += [("Absent", f"{_person(p)}: {p['consult_how']}") for p in meeting["absentees"]]
        doc.facts("Meeting", facts)
        raised = [c for c in log if c["meeting_id"] == meeting["id"]]
        if not raised:
            doc.paragraph("No challenges or corrections recorded at this meeting.", italic=True)
            continue
        doc.table(["About", "Raised by", "Kind", "What was said", "Response", "Reason", "Decided by", "Told"],
                  [[_about(c, episode_titles, numbers), c["raised_by"], c["kind"], c["text"], c["outcome"],
                    c["reason"] or "—", c["decided_by"] or "—", "yes" if c["raiser_told"] else "not yet"]
                   for c in raised])


def _person(person: dict) -> str:
    return person["role"] + (f" ({person['agency']})" if person["agency"] else "")


def _about(challenge: dict, episode_titles: dict[str, str], finding_numbers: dict[str, int]) -> str:
    if challenge["about_kind"] == "episode":
        return f"Episode: {episode_titles.get(challenge['about_id'], challenge['about_id'][:8])}"
    if challenge["about_kind"] == "finding":
        number = finding_numbers.get(challenge["about_id"])
        return f"Finding {number}" if number else f"Finding {challenge['about_id'][:8]}"
    return f"Report section: {challenge['about_id']}"
