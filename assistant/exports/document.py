"""A small document model rendered to Markdown and Word, so each export is written once.

Exports build a list of blocks; `to_markdown` and `to_docx` render them. Files are written private
(0600) and whole: a temporary file is renamed into place, so a crash never leaves half an export.
"""

from __future__ import annotations

import io
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

from assistant.store import StoreError


@dataclass
class Document:
    """Headings, paragraphs, bullets and tables, in order; `title` and `reference` (the case's) become the
    Word file's properties, so a shared file says what it is without being opened."""

    blocks: list[tuple] = field(default_factory=list)
    title: str = ""
    reference: str = ""

    def heading(self, text: str, level: int = 1) -> None:
        self.blocks.append(("heading", level, text))

    def paragraph(self, text: str, italic: bool = False) -> None:
        self.blocks.append(("paragraph", text, italic))

    def bullet(self, text: str, label: str = "") -> None:
        self.blocks.append(("bullet", label, text))

    def table(self, header: list[str], rows: list[list[str]]) -> None:
        self.blocks.append(("table", header, rows))

    def facts(self, caption: str, rows: list[tuple[str, str]]) -> None:
        """Label and value pairs (a record's details): a table without a header row in Word; Markdown
        tables must have one, so there the caption heads the labels' column rather than leaving it empty."""
        self.blocks.append(("facts", caption, rows))


# Characters Markdown could read as markup, each kept literal with a backslash before it (the
# backslash itself too), and a line that starts like a list item or a numbered item.
_MD_MARKUP = re.compile(r"([\\`*_\[\]<>|#])")
_MD_LIST_START = re.compile(r"(?m)^(\s*)(?:([-+])|(\d+)([.)]))(\s)")


def _literal_list_start(match: re.Match) -> str:
    """"- " becomes "\\- " and "1. " becomes "1\\. ": a backslash before the digit is not an escape and
    would be shown as it is."""
    indent, bullet, number, dot, space = match.groups()
    return f"{indent}\\{bullet}{space}" if bullet else f"{indent}{number}\\{dot}{space}"


def _md_escape(text: str, heading: bool = False) -> str:
    """Keep user text literal in Markdown: no accidental headings, lists, tables or HTML. Compiled
    patterns, one pass each: a case's pack escapes thousands of notes. A heading's "1. " cannot start a
    list, so there it is written as it is."""
    text = _MD_MARKUP.sub(r"\\\1", text)
    if not heading:
        text = _MD_LIST_START.sub(_literal_list_start, text)
    return text.replace("\n", "  \n") if "\n" in text else text


def _md_cell(text: str) -> str:
    """A table cell: a line break would end the row and push the rest of the text (another
    practitioner's words) into the wrong column, so breaks inside a cell are `<br>`."""
    return _md_escape(text).replace("  \n", "<br>")


def to_markdown(document: Document) -> str:
    out: list[str] = []
    for block in document.blocks:
        if block[0] == "facts":
            block = ("table", [block[1], ""], block[2])
        kind = block[0]
        if kind != "bullet" and out and out[-1].startswith("- "):
            out.append("")  # a run of bullets ends before the next block, or it would swallow it
        if kind == "heading":
            out += ["#" * block[1] + " " + _md_escape(block[2], heading=True), ""]
        elif kind == "paragraph":
            text = _md_escape(block[1])
            out += [f"*{text}*" if block[2] else text, ""]
        elif kind == "bullet":
            label = f"**{_md_escape(block[1])}** " if block[1] else ""
            out.append(f"- {label}{_md_escape(block[2])}")
        elif kind == "table":
            header, rows = block[1], block[2]
            out.append("| " + " | ".join(_md_cell(h) for h in header) + " |")
            out.append("|" + "---|" * len(header))
            out += ["| " + " | ".join(_md_cell(str(c)) for c in row) + " |" for row in rows]
            out.append("")
    return "\n".join(out).rstrip() + "\n"


def to_docx(document: Document) -> bytes:
    """The document as a Word file. The body is written as WordprocessingML in one piece: adding
    thousands of paragraphs and cells one call at a time through python-docx is what made a large
    case slow, and the markup is the same as python-docx writes (styles from its default template)."""
    from docx import Document as WordDocument
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    word = WordDocument()
    section = word.sections[0]
    # Word measures table widths in twentieths of a point; python-docx gives lengths in EMU (635 a twip).
    width = (section.page_width - section.left_margin - section.right_margin) // 635
    parts: list[str] = []
    for block in document.blocks:
        kind = block[0]
        if kind == "heading":
            parts.append(_paragraph(_run(block[2]), f"Heading{min(block[1], 4)}"))
        elif kind == "paragraph":
            parts.append(_paragraph(_run(block[1], "<w:i/>" if block[2] else "")))
        elif kind == "bullet":
            label = _run(block[1] + " ", "<w:b/>") if block[1] else ""
            parts.append(_paragraph(label + _run(block[2]), "ListBullet"))
        elif kind == "table":
            parts.append(_table([block[1], *block[2]], width, header=True))
        elif kind == "facts":
            parts.append(_table([list(row) for row in block[2]], width, header=False))
    section_properties = word.element.body.sectPr  # the page set-up stays the body's last element
    for element in list(parse_xml(f"<w:body {nsdecls('w')}>{''.join(parts)}</w:body>")):
        section_properties.addprevious(element)
    _set_properties(word, document)
    buffer = io.BytesIO()
    word.save(buffer)
    return buffer.getvalue()


def _set_properties(word, document: Document) -> None:
    """Title, case reference, maker and time, in place of python-docx's template's own."""
    from datetime import datetime, timezone

    properties = word.core_properties
    made = datetime.now(timezone.utc).replace(microsecond=0)
    properties.title = _docx_text(document.title)
    properties.subject = _docx_text(document.reference)
    properties.keywords = _docx_text("; ".join(k for k in (document.reference, "Learning Together") if k))
    properties.author = properties.last_modified_by = "learning-together"
    properties.comments = ""
    properties.created = properties.modified = made
    properties.revision = 1


def _run(text: str, properties: str = "") -> str:
    """One run of text; line breaks and tabs become Word's own, as python-docx's `run.text` makes them."""
    style = f"<w:rPr>{properties}</w:rPr>" if properties else ""
    text = _docx_text(text)
    if text and "\n" not in text and "\t" not in text:  # most notes: one piece, written at once
        return f'<w:r>{style}<w:t xml:space="preserve">{escape(text)}</w:t></w:r>'
    pieces = []
    for number, line in enumerate(text.split("\n")):
        if number:
            pieces.append("<w:br/>")
        for index, part in enumerate(line.split("\t")):
            if index:
                pieces.append("<w:tab/>")
            if part:
                pieces.append(f'<w:t xml:space="preserve">{escape(part)}</w:t>')
    return f"<w:r>{style}{''.join(pieces)}</w:r>"


def _paragraph(runs: str, style: str = "") -> str:
    properties = f'<w:pPr><w:pStyle w:val="{style}"/></w:pPr>' if style else ""
    return f"<w:p>{properties}{runs}</w:p>"


def _table(rows: list[list[str]], width: int, header: bool) -> str:
    """A grid table: with `header`, the first row is bold and repeats on each page; otherwise the first
    column (the labels) is bold."""
    columns = max(len(row) for row in rows)
    cell_width = width // columns
    grid = "".join(f'<w:gridCol w:w="{cell_width}"/>' for _ in range(columns))
    out = ['<w:tbl><w:tblPr><w:tblStyle w:val="TableGrid"/><w:tblW w:type="auto" w:w="0"/>'
           '<w:tblLook w:firstColumn="1" w:firstRow="1" w:lastColumn="0" w:lastRow="0" w:noHBand="0" '
           f'w:noVBand="1" w:val="04A0"/></w:tblPr><w:tblGrid>{grid}</w:tblGrid>']
    cell_start = f'<w:tc><w:tcPr><w:tcW w:type="dxa" w:w="{cell_width}"/></w:tcPr><w:p>'
    for number, row in enumerate(rows):
        bold = header and number == 0
        out.append("<w:tr><w:trPr><w:tblHeader/></w:trPr>" if bold else "<w:tr>")
        for column, text in enumerate([*row, *[""] * (columns - len(row))]):
            strong = bold or (not header and column == 0)
            out.append(f"{cell_start}{_run(str(text), '<w:b/>' if strong else '') if text else ''}</w:p></w:tc>")
        out.append("</w:tr>")
    out.append("</w:tbl>")
    return "".join(out)


# XML cannot hold control characters (other than tab and line feed) or these two; Word would refuse the file.
_NOT_XML = re.compile("[\x00-\x08\x0b-\x1f\ufffe\uffff]")


def _docx_text(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


def write_private(path: Path, data: bytes | str) -> Path:
    """Write a file readable only by its owner (0600), whole or not at all, in private folders (0700).

    For files that are not audited exports (a rehearsal's debrief); exports go through
    `assistant.exports.files.publish`."""
    from assistant.exports.files import MAX_NAME_BYTES, _write_partial
    from assistant.store import make_private_dirs

    path = Path(path)
    if path.is_dir():
        raise StoreError(f"{path} is a folder; give a file name to export to.")
    if len(path.name.encode("utf-8")) > MAX_NAME_BYTES:
        raise StoreError(f"The file name {path.name[:40]}… is too long for the disk; choose a shorter one.")
    payload = data.encode("utf-8") if isinstance(data, str) else data
    partial = None
    try:
        make_private_dirs(path.parent)
        partial = _write_partial(path, payload)
        os.replace(partial, path)
    except OSError as error:
        if partial is not None:
            partial.unlink(missing_ok=True)
        raise StoreError(f"Cannot write {path.name[:60]} ({error.strerror or error.__class__.__name__}).") from None
    return path
