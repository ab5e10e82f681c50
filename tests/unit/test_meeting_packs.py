"""Packs for the case group's follow-on meetings, the identifying-text check before one is written, and the
meetings and challenge log in the case exports. The real command line as a subprocess, a real SQLite file."""

from __future__ import annotations

import hashlib
import json
import zipfile

from docx import Document as WordDocument
from markdown_it import MarkdownIt

from assistant.cases import add_case
from assistant.conversation import Conversation, create_conversation
from assistant.exports.identifying import candidates_in, identifying_text
from assistant.meetings import add_challenge, add_meeting, add_person, respond
from assistant.report import set_priorities
from assistant.review import add_finding, create_case_episode
from assistant.review_questions import add_question, link_finding
from assistant.store import open_store
from assistant.story import edit_card, link_explanation_note, place_episode

ACCOUNTS = {"Social Worker 1": "I thought health were leading on the plan.",
            "Health Visitor 1": "I understood social care had the plan in hand."}


# ------------------------------------------------------------------ the detector


def test_full_names_and_places_are_found():
    found = dict(candidates_in("Mum said Jane Smith had visited. The flat on Acacia Road was cold; "
                               "Kyle O'Neill-Brown was at St Mary's Hospital with Mrs Green."))
    assert found == {"Jane Smith": "name", "Acacia Road": "place", "Kyle O'Neill-Brown": "name",
                     "St Mary's Hospital": "place", "Mrs Green": "name"}


def test_role_labels_agencies_months_and_pseudonyms_are_not_names():
    known = ["Practice Team Manager", "Family A (synthetic)", "CSPR-1", "Community Paediatrics"]
    texts = [
        "Social Worker 1 met the Health Visitor in March, before Easter Sunday.",
        "Family A were seen by Children's Social Care and the Practice Team Manager.",
        "The Strategy Discussion on Monday 4 November; the Child Protection Conference in December.",
        "I thought the GP had it. When Mum rang, Early Help were closing the case.",
        "Community Paediatrics saw Family A (synthetic) for CSPR-1.",
        "Reviewer A and Reviewer B held the First Follow-on Meeting.",
        "During Ramadan and over Christmas Day, Mrs A and Mr B (pseudonyms) claimed Universal Credit.",
        "The Crown Court and the Family Court both heard from Women's Aid; Later Mum went to Citizens Advice.",
    ]
    assert [candidates_in(t, known) for t in texts] == [[] for _ in texts]


def test_each_candidate_is_listed_once_with_where_it_was_first_seen():
    found = identifying_text([("Question 1", "Did Jane Smith know?"), ("Card 2", "Jane Smith did; so did Ali Khan.")])
    assert [(c.words, c.where, c.kind) for c in found] == [("Jane Smith", "Question 1", "name"),
                                                            ("Ali Khan", "Card 2", "name")]


# ------------------------------------------------------------------ a case ready for its meetings


def _ok(result) -> str:
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return result.stdout.strip()


def _refused(result, words: str) -> None:
    assert result.returncode == 1, result.stdout
    assert result.stderr.startswith("Error: ") and words in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


def _reviewed_case(db, structure, extra_note: str = "") -> dict:
    """Two practitioners' accounts of a strategy discussion as an appraised episode, two findings in
    priority order (one answering a question), a question left open, and a first meeting with a challenge."""
    store = open_store(db)
    case_id = add_case(store, "CSPR-1", "Family A")
    moments, notes = [], {}
    for role, words in ACCOUNTS.items():
        c = Conversation(store, structure, create_conversation(store, structure, case_id=case_id,
                                                               practitioner_role=role, agency=f"{role[:-2]} team"))
        moment = c.moments.add("The strategy discussion")
        notes[role] = c.notes.add(words + extra_note, ["words"], section_id="mindset", episode_id=moment).id
        moments.append(moment)
    episode = create_case_episode(store, case_id, "The strategy discussion", moments)
    place_episode(store, episode, on="2025-11-04")
    edit_card(store, episode, what_happened="A discussion ended with no lead agency named.", adequacy="mixed",
              appraisal="Given what was known then, the plan was reasonable but no one owned it.",
              explanation="Each agency had reason to think the other was leading.")
    link_explanation_note(store, episode, notes["Social Worker 1"])
    lead = add_finding(store, structure, case_id, "pattern_crisis", statement="Lead agency unclear",
                       in_this_case="At the strategy discussion.", systemic_evidence="Three other cases.",
                       why_it_matters="Work falls between agencies.", questions="How will leads be recorded?",
                       case_episode_ids=[episode], note_ids=list(notes.values()))
    other = add_finding(store, structure, case_id, "pattern_tools", statement="Forms are sent and not chased",
                        in_this_case="The fax.", systemic_evidence="An audit.", why_it_matters="Referrals lost.",
                        questions="Who checks receipt?", note_ids=[notes["Health Visitor 1"]])
    set_priorities(store, case_id, [other, lead])
    asked = add_question(store, case_id, "How did agencies agree who was leading?")
    add_question(store, case_id, "What helped the family engage?")
    link_finding(store, lead, asked)
    meeting = add_meeting(store, case_id, "first", "2026-05-12")
    add_person(store, meeting, "Social Worker 1", "Children's social care")
    add_person(store, meeting, "GP 1", attended=False, consult_how="A call the following week")
    challenge = add_challenge(store, meeting, f"episode:{episode}", "Health Visitor 1", "perspective",
                              "The health visitor saw the plan as joint.")
    respond(store, challenge, "not-accepted", reason="Both accounts are kept side by side already.")
    store.close()
    return {"episode": episode, "notes": notes, "meeting": meeting}


def _headings(markdown: str) -> list[tuple[int, str]]:
    tokens = MarkdownIt("commonmark").parse(markdown)
    return [(int(t.tag[1]), tokens[i + 1].content) for i, t in enumerate(tokens) if t.type == "heading_open"]


def _under(markdown: str) -> dict[str, str]:
    """Each heading's own text (up to the next heading), by heading."""
    sections: dict[str, str] = {}
    current = ""
    for line in markdown.splitlines():
        if line.startswith("#"):
            current = line.lstrip("# ").strip()
            sections.setdefault(current, "")
        else:
            sections[current] = sections.get(current, "") + line + "\n"
    return sections


# ------------------------------------------------------------------ the packs


def test_the_first_pack_has_the_questions_the_story_and_the_cards_and_no_findings(cli, tmp_path, structure):
    db = tmp_path / "lt.db"
    _reviewed_case(db, structure)
    out = tmp_path / "first.md"
    printed = _ok(cli("export", "--case", "CSPR-1", "--pack", "first", "--format", "md", "--out", str(out), db=db))
    markdown = out.read_text()
    top = [text for level, text in _headings(markdown) if level == 2]
    assert top == ["The review's questions", "The story of the case", "Episode cards"]
    assert "Lead agency unclear" not in markdown and "Finding" not in markdown
    under = _under(markdown)
    assert "How did agencies agree who was leading?" in under["The review's questions"]
    for role, words in ACCOUNTS.items():  # each account under its own practitioner, nowhere else
        holders = [h for h, text in under.items() if words in text]
        assert holders and all(h.startswith(role) for h in holders), (role, holders)
    assert "no one owned it" in markdown and "Each agency had reason" in markdown
    version = next(line for line in printed.splitlines() if line.startswith("Pack version: "))
    assert version.split(": ")[1].split()[0].startswith("first-") and version.split(": ")[1].split()[0] in markdown


def test_the_second_pack_has_the_findings_in_priority_order_with_their_evidence(cli, tmp_path, structure):
    db = tmp_path / "lt.db"
    made = _reviewed_case(db, structure)
    out = tmp_path / "second.docx"
    _ok(cli("export", "--case", "CSPR-1", "--pack", "second", "--format", "docx", "--out", str(out), db=db))
    paragraphs = [(p.style.name, p.text) for p in WordDocument(str(out)).paragraphs]
    headings = [(style, text) for style, text in paragraphs if style.startswith("Heading")]
    top = [text for style, text in headings if style == "Heading 2"]
    assert top == ["The review's questions", "Findings, in priority order"]
    findings = [text for style, text in headings if style == "Heading 3"]
    assert findings[0].startswith("Finding 1: ") and "not chased" in findings[0]
    assert findings[1].startswith("Finding 2: ") and "Lead agency unclear" in findings[1]
    texts = [text for _, text in paragraphs]
    for title in ("The finding:", "How it showed in this case:", "How we know it is not a one-off:",
                  "Why it matters:", "Questions for the safeguarding partners:", "Underlying pattern:"):
        assert sum(t.startswith(title) for t in texts) == 2, title
    assert any("answered by finding 2" in t for t in texts) and any("not yet answered" in t for t in texts)
    # Each quoted note sits under a heading naming its own practitioner.
    current = ""
    placed = []
    for style, text in paragraphs:
        if style.startswith("Heading"):
            current = text
        for role, words in ACCOUNTS.items():
            if words in text:
                placed.append((role, current))
    assert placed and all(heading.startswith(f"Notes from {role}") for role, heading in placed)
    assert {role for role, _ in placed} == set(ACCOUNTS)
    assert not any("Episode cards" == t for _, t in headings)


def test_the_pack_version_is_the_same_in_both_formats_changes_with_the_content_and_is_audited(
        cli, tmp_path, structure):
    db = tmp_path / "lt.db"
    made = _reviewed_case(db, structure)

    def version_of(fmt: str, name: str) -> str:
        printed = _ok(cli("export", "--case", "CSPR-1", "--pack", "first", "--format", fmt, "--out",
                          str(tmp_path / name), db=db))
        return next(l for l in printed.splitlines() if l.startswith("Pack version: ")).split(": ")[1].split()[0]

    first = version_of("md", "a.md")
    assert version_of("docx", "a.docx") == first
    store = open_store(db)
    edit_card(store, made["episode"], explanation="Each agency had good reason to think the other led.")
    events = store.query("SELECT detail FROM events WHERE action = 'export' AND entity = 'case'")
    store.close()
    assert version_of("md", "b.md") != first
    recorded = [json.loads(e["detail"]) for e in events]
    assert [r["pack_version"] for r in recorded if r.get("pack") == "first"] == [first, first]
    meeting = _ok(cli("meeting", "add", "--case", "CSPR-1", "--kind", "second", "--date", "2026-06-01",
                      "--pack-version", first, db=db))
    listed = json.loads(_ok(cli("meeting", "list", "--case", "CSPR-1", "--json", db=db)))
    assert [m["pack_version"] for m in listed if m["id"] == meeting] == [first]


def test_names_are_listed_and_the_pack_is_not_written_until_the_lead_accepts_them(cli, tmp_path, structure):
    db = tmp_path / "lt.db"
    _reviewed_case(db, structure, extra_note=" Jane Smith from Acacia Road rang me.")
    out = tmp_path / "first.md"
    refused = cli("export", "--case", "CSPR-1", "--pack", "first", "--format", "md", "--out", str(out), db=db)
    _refused(refused, "--accept-names")
    assert "Jane Smith" in refused.stdout and "Acacia Road" in refused.stdout
    assert not out.exists()
    _ok(cli("export", "--case", "CSPR-1", "--pack", "first", "--format", "md", "--out", str(out),
            "--accept-names", db=db))
    assert "Jane Smith" in out.read_text()


def test_a_pack_never_replaces_a_file_without_force_nor_ever_the_database(cli, tmp_path, structure):
    db = tmp_path / "lt.db"
    _reviewed_case(db, structure)
    out = tmp_path / "first.md"
    out.write_text("the lead's own notes\n")
    _refused(cli("export", "--case", "CSPR-1", "--pack", "first", "--format", "md", "--out", str(out), db=db),
             "already exists")
    assert out.read_text() == "the lead's own notes\n"
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    _refused(cli("export", "--case", "CSPR-1", "--pack", "second", "--format", "md", "--out", str(db), "--force",
                 db=db), "database")
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before
    _ok(cli("export", "--case", "CSPR-1", "--pack", "first", "--format", "md", "--out", str(out), "--force", db=db))
    assert "The story of the case" in out.read_text()
    _refused(cli("export", "--case", "CSPR-1", "--pack", "first", "--format", "csv", "--out",
                 str(tmp_path / "p.csv"), db=db), "md or docx")


# ------------------------------------------------------------------ meetings in the case exports


def test_the_case_exports_carry_the_meetings_and_the_challenge_log(cli, tmp_path, structure):
    db = tmp_path / "lt.db"
    _reviewed_case(db, structure)
    _ok(cli("export", "--case", "CSPR-1", "--format", "json", "--out", str(tmp_path / "case.json"), db=db))
    data = json.loads((tmp_path / "case.json").read_text())
    [meeting] = data["meetings"]
    assert meeting["kind"] == "first" and meeting["date"] == "2026-05-12"
    assert [p["role"] for p in meeting["attendees"]] == ["Social Worker 1"]
    assert [(p["role"], p["consult_how"]) for p in meeting["absentees"]] == [("GP 1", "A call the following week")]
    [challenge] = data["challenges"]
    assert challenge["meeting_id"] == meeting["id"] and challenge["outcome"] == "not-accepted"
    assert challenge["reason"] == "Both accounts are kept side by side already."
    assert challenge["text"] == "The health visitor saw the plan as joint."

    _ok(cli("export", "--case", "CSPR-1", "--format", "md", "--out", str(tmp_path / "pack.md"), db=db))
    markdown = (tmp_path / "pack.md").read_text()
    top = [text for level, text in _headings(markdown) if level == 2]
    assert top.index("Follow-on meetings") == top.index("Draft findings") + 1
    section = markdown.split("## Follow-on meetings")[1]
    assert "The health visitor saw the plan as joint." in section and "not-accepted" in section
    assert "GP 1" in section and "A call the following week" in section

    _ok(cli("export", "--case", "CSPR-1", "--format", "docx", "--out", str(tmp_path / "pack.docx"), db=db))
    word = WordDocument(str(tmp_path / "pack.docx"))
    level_two = [p.text for p in word.paragraphs if p.style.name == "Heading 2"]
    assert level_two.index("Follow-on meetings") == level_two.index("Draft findings") + 1
    cells = [c.text for t in word.tables for row in t.rows for c in row.cells]
    assert "The health visitor saw the plan as joint." in cells

    _ok(cli("export", "--case", "CSPR-1", "--format", "qdpx", "--out", str(tmp_path / "case.qdpx"), db=db))
    with zipfile.ZipFile(tmp_path / "case.qdpx") as archive:
        everything = b"".join(archive.read(name) for name in archive.namelist())
    assert b"saw the plan as joint" not in everything and b"A call the following week" not in everything
    assert ACCOUNTS["Social Worker 1"].encode() in everything
