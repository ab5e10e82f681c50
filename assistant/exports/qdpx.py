"""A REFI-QDA project (.qdpx) of one case, for NVivo, ATLAS.ti, MAXQDA and QualCoder.

Each conversation becomes a plain-text source (UTF-8, LF line breaks) laid out section by section;
each note is a selection whose character offsets (Unicode code points) cover exactly its text, coded
with its tags. The codebook comes from the structure's tag groups, with GUIDs stable across exports.
"""

from __future__ import annotations

import hashlib
import io
import re
import uuid
import zipfile
from datetime import datetime, timezone
from typing import Any, Iterable
from xml.etree import ElementTree as ET

from assistant.cases import get_case
from assistant.conversation import held_on
from assistant.review import FINDING_TITLES, case_episodes, case_notes, findings, live_conversations
from assistant.store import Store
from assistant.structure import Structure

NAMESPACE = "urn:QDA-XML:project:1.0"
_GUIDS = uuid.UUID("6f1c3a52-7d0e-4c1b-9a3e-2b8d4c5e6f70")  # the root for this product's stable GUIDs
_GUIDS_BYTES = _GUIDS.bytes


# The finding's parts, labelled as in the analysis pack.
FINDING_LABELS = tuple((field, f"{title}:") for field, title in FINDING_TITLES)


def stable_guid(*parts: str) -> str:
    """`uuid.uuid5(_GUIDS, "/".join(parts))` as text, made straight from its SHA-1: a case has a GUID for
    every note and coding, and building a UUID object for each was a large part of an export's time."""
    digest = bytearray(hashlib.sha1(_GUIDS_BYTES + "/".join(parts).encode("utf-8")).digest()[:16])
    digest[6] = digest[6] & 0x0F | 0x50  # version 5
    digest[8] = digest[8] & 0x3F | 0x80  # the RFC 4122 variant
    text = digest.hex()
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


# XML 1.0 cannot carry most control characters, nor these two.
_NOT_XML = re.compile("[\x00-\x08\x0b-\x1f\ufffe\uffff]")


def _xml_text(text: str) -> str:
    """The text with each character XML cannot carry replaced by U+FFFD."""
    return _NOT_XML.sub("\ufffd", text)


def _el(parent: ET.Element, element: str, **attributes: str | None) -> ET.Element:
    return ET.SubElement(parent, f"{{{NAMESPACE}}}{element}", {k: v for k, v in attributes.items() if v is not None})


def conversation_source(structure: Structure, conversation: dict[str, Any], notes: list[dict[str, Any]],
                        moments: list[dict[str, Any]]) -> tuple[str, list[tuple[dict[str, Any], int, int]]]:
    """The source text of one conversation and each note's (start, end) offsets in code points."""
    parts: list[str] = []
    spans: list[tuple[dict[str, Any], int, int]] = []
    length = 0

    def add(text: str) -> int:
        nonlocal length
        start = length
        parts.append(text)
        length += len(text)
        return start

    add(f"{conversation['practitioner_role']}"
        + (f", {conversation['agency']}" if conversation["agency"] else "") + "\n\n")
    by_stop: dict[tuple[str, str | None], list[dict[str, Any]]] = {}
    for note in notes:
        by_stop.setdefault((note["section_id"], note["episode_id"]), []).append(note)
    stops: list[tuple[str, str | None, str]] = []
    for section in structure.sections:
        if section.mode == "per_episode":
            stops += [(section.id, m["id"], f"{section.title}: {m['title']}") for m in moments]
        else:
            stops.append((section.id, None, section.title))
    for section_id, episode_id, heading in stops:
        items = by_stop.get((section_id, episode_id), [])
        if not items:
            continue
        add(f"== {heading} ==\n")
        for note in items:
            body = note["body"].replace("\r\n", "\n").replace("\r", "\n")
            start = add(body)
            spans.append((note, start, start + len(body)))
            add("\n\n")
    return "".join(parts), spans


def build_project(store: Store, structure: Structure, reference: str) -> tuple[bytes, dict[str, str]]:
    """The project.qde XML and the source texts by file name."""
    case = get_case(store, reference)
    conversations = live_conversations(store, case["id"])
    notes = case_notes(store, case["id"])
    stamp = datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    project = ET.Element(f"{{{NAMESPACE}}}Project", {
        "name": f"Learning Together {case['reference']}",
        "origin": "learning-together",
        "creationDateTime": stamp,
    })
    users = _el(project, "Users")
    user_guids: dict[str, str] = {}
    for c in conversations:
        for label in (c["lead_interviewer"] or "Lead interviewer", c["second_interviewer"] or "Second interviewer"):
            if label not in user_guids:
                user_guids[label] = stable_guid("user", label)
                _el(users, "User", guid=user_guids[label], name=_xml_text(label))
    codebook = _el(_el(project, "CodeBook"), "Codes")
    code_guids: dict[str, str] = {}
    for group in structure.codebook.groups:
        parent = _el(codebook, "Code", guid=stable_guid(structure.id, "group", group.id),
                     name=group.label, isCodable="false")
        _el(parent, "Description").text = group.description
        for tag in structure.tags_in_group(group.id):
            code_guids[tag.id] = stable_guid(structure.id, "tag", tag.id)
            code = _el(parent, "Code", guid=code_guids[tag.id], name=tag.label, isCodable="true")
            _el(code, "Description").text = tag.description
    variables = _el(project, "Variables")
    role_var = stable_guid("variable", "role")
    agency_var = stable_guid("variable", "agency")
    for guid, name, description in ((role_var, "Practitioner role", "The practitioner's role label"),
                                    (agency_var, "Agency", "The practitioner's agency")):
        _el(_el(variables, "Variable", guid=guid, name=name, typeOfVariable="Text"), "Description").text = description
    cases_el = _el(project, "Cases")
    sources_el = _el(project, "Sources")
    texts: dict[str, str] = {}
    memos, memo_refs = _memos(store, structure, case["id"], notes, conversations)
    # Each source's selections and codings, a case's thousands of elements, are written as XML at once.
    selections: dict[ET.Element, str] = {}
    notes_of: dict[str, list[dict[str, Any]]] = {}
    for note in notes:
        notes_of.setdefault(note["conversation_id"], []).append(note)
    for c in conversations:
        source_guid = stable_guid("source", c["id"])
        moments = store.query("SELECT * FROM episodes WHERE conversation_id = ? ORDER BY position", (c["id"],))
        text, spans = conversation_source(structure, c, notes_of.get(c["id"], []), moments)
        texts[f"{source_guid}.txt"] = _xml_text(text)
        case_el = _el(cases_el, "Case", guid=stable_guid("case", c["id"]), name=_xml_text(c["practitioner_role"]))
        for var, value in ((role_var, c["practitioner_role"]), (agency_var, c["agency"])):
            value_el = _el(case_el, "VariableValue")
            _el(value_el, "VariableRef", targetGUID=var)
            _el(value_el, "TextValue").text = _xml_text(value)
        _el(case_el, "SourceRef", targetGUID=source_guid)
        author = user_guids.get(c["second_interviewer"] or "Second interviewer")
        source = _el(sources_el, "TextSource", guid=source_guid, name=_xml_text(_source_name(c)),
                     plainTextPath=f"internal://{source_guid}.txt", creatingUser=author)
        _el(source, "Description").text = _xml_text(
            f"Conversation {c['id']} of case {case['reference']}, status {c['status']}; "
            f"structure {c['structure_id']} {c['structure_version']}.")
        selections[source] = "".join(_selection_xml(note, start, end, code_guids, memo_refs.get(note["id"], ()))
                                     for note, start, end in spans)
        selections[source] += "".join(f'<NoteRef targetGUID="{guid}" />' for guid in memo_refs.get(c["id"], ()))
    if memos:
        notes_el = _el(project, "Notes")
        for guid, name, text in memos:
            _el(_el(notes_el, "Note", guid=guid, name=_xml_text(name)), "PlainTextContent").text = _xml_text(text)
    description = _el(project, "Description")
    description.text = (f"Exported by learning-together with structure {structure.id} {structure.version}. "
                        "Live conversations only; role labels and pseudonyms only.")
    return project_xml(project, selections), texts


_ESCAPES = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"))
_ATTRIBUTE_ESCAPES = (*_ESCAPES, ('"', "&quot;"), ("\r", "&#13;"), ("\n", "&#10;"), ("\t", "&#09;"))
_NEEDS_ESCAPE = re.compile("[&<>]")
_ATTRIBUTE_NEEDS_ESCAPE = re.compile('[&<>"\r\n\t]')


def _escaped(text: str, needs: re.Pattern, escapes: tuple[tuple[str, str], ...]) -> str:
    if needs.search(text) is None:
        return text
    for char, entity in escapes:
        text = text.replace(char, entity)
    return text


def _memos(store: Store, structure: Structure, case_id: str, notes: list[dict[str, Any]],
           conversations: list[dict[str, Any]]) -> tuple[list[tuple[str, str, str]], dict[str, list[str]]]:
    """The case's current findings and its review comments as memos (guid, name, text), and the memos
    each note or conversation refers to. Withdrawn findings are left out, as they leave the packs; an
    edited finding is shown as it now reads, marked revised; a comment says whether it was resolved."""
    memos: list[tuple[str, str, str]] = []
    refs: dict[str, list[str]] = {}
    exported = {n["id"] for n in notes} | {c["id"] for c in conversations}
    titles = {e["id"]: e["title"] for e in case_episodes(store, case_id)}
    for number, finding in enumerate(findings(store, case_id), start=1):
        guid = stable_guid("finding", finding["id"])
        category = structure.tag_by_id[finding["typology_tag"]].label
        lines = [f"{label} {finding[key] or '—'}" for key, label in FINDING_LABELS]
        if finding["case_episodes"]:
            lines.append("Rests on episodes: " + ", ".join(titles.get(e, e) for e in finding["case_episodes"]))
        if finding["updated_at"] != finding["created_at"]:
            lines.append(f"Revised since it was first drafted (last on {finding['updated_at'][:10]}).")
        memos.append((guid, f"Finding {number}: {category}", "\n".join(lines)))
        for note_id in finding["notes"]:
            if note_id in exported:
                refs.setdefault(note_id, []).append(guid)
    for comment in store.query(
            """SELECT c.* FROM comments c JOIN notes n ON n.id = c.target_id AND c.target_kind = 'note'
               JOIN conversations v ON v.id = n.conversation_id WHERE v.case_id = ? ORDER BY c.rowid""", (case_id,)
    ) + store.query(
            """SELECT c.* FROM comments c JOIN conversations v ON v.id = c.target_id
               WHERE c.target_kind = 'conversation' AND v.case_id = ? ORDER BY c.rowid""", (case_id,)):
        if comment["target_id"] not in exported:
            continue
        guid = stable_guid("comment", comment["id"])
        state = "resolved" if comment["resolved"] else "open"
        on = "a note" if comment["target_kind"] == "note" else "the conversation"
        memos.append((guid, f"Review comment on {on} ({state})",
                      comment["body"] + ("\n\nResolved." if comment["resolved"] else "")))
        refs.setdefault(comment["target_id"], []).append(guid)
    return memos, refs


def _selection_xml(note: dict[str, Any], start: int, end: int, code_guids: dict[str, str],
                   memo_guids: Iterable[str] = ()) -> str:
    """One note's selection with its codings and the memos on it, as ElementTree would write it."""
    codings = "".join(f'<Coding guid="{stable_guid("coding", note["id"], tag)}">'
                      f'<CodeRef targetGUID="{code_guids[tag]}" /></Coding>'
                      for tag in note["tags"] if tag in code_guids)
    codings += "".join(f'<NoteRef targetGUID="{guid}" />' for guid in memo_guids)
    name = _escaped(f"note {note['id'][:8]}", _ATTRIBUTE_NEEDS_ESCAPE, _ATTRIBUTE_ESCAPES)
    opening = (f'<PlainTextSelection guid="{stable_guid("note", note["id"])}" name="{name}" '
               f'startPosition="{start}" endPosition="{end}"')
    return f"{opening}>{codings}</PlainTextSelection>" if codings else f"{opening} />"


def project_xml(project: ET.Element, after_children: dict[ET.Element, str] | None = None) -> bytes:
    """The project as UTF-8 XML, byte for byte what `ET.tostring(project, encoding="utf-8",
    xml_declaration=True)` writes with the namespace as the default one. ElementTree's own writer spent
    more time than all the rest of a large case's export; this one walks the tree once into one string.
    `after_children` holds markup already written for an element, put after its children."""
    extra = after_children or {}
    prefix = f"{{{NAMESPACE}}}"
    out: list[str] = ["<?xml version='1.0' encoding='utf-8'?>\n"]

    def write(element: ET.Element, root: bool = False) -> None:
        tag = element.tag.removeprefix(prefix)
        out.append(f'<{tag} xmlns="{NAMESPACE}"' if root else f"<{tag}")
        for name, value in element.items():
            out.append(f' {name}="{_escaped(value, _ATTRIBUTE_NEEDS_ESCAPE, _ATTRIBUTE_ESCAPES)}"')
        text = element.text
        more = extra.get(element, "")
        if not text and not len(element) and not more:
            out.append(" />")
            return
        out.append(">")
        if text:
            out.append(_escaped(text, _NEEDS_ESCAPE, _ESCAPES))
        for child in element:
            write(child)
        out.append(more)
        out.append(f"</{tag}>")

    write(project, root=True)
    return "".join(out).encode("utf-8", "xmlcharrefreplace")


def _source_name(conversation: dict[str, Any]) -> str:
    agency = f" ({conversation['agency']})" if conversation["agency"] else ""
    return f"{conversation['practitioner_role']}{agency} {held_on(conversation)}"


def qdpx_bytes(store: Store, structure: Structure, reference: str) -> bytes:
    xml, texts = build_project(store, structure, reference)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("project.qde", xml)
        for name, text in texts.items():
            archive.writestr(f"Sources/{name}", text.encode("utf-8"))
    return buffer.getvalue()
