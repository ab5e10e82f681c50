"""A small document model rendered to Markdown and Word, so each export is written once.

Exports build a list of blocks; `to_markdown` and `to_docx` render them. Files are written private
(0600) and whole: a temporary file is renamed into place, so a crash never leaves half an export.
"""

from __future__ import annotations

import io
import re
import os
from dataclasses import dataclass, field
from pathlib import Path

from assistant.store import StoreError


@dataclass
class Document:
    """Headings, paragraphs, bullets and tables, in order."""

    blocks: list[tuple] = field(default_factory=list)

    def heading(self, text: str, level: int = 1) -> None:
        self.blocks.append(("heading", level, text))

    def paragraph(self, text: str, italic: bool = False) -> None:
        self.blocks.append(("paragraph", text, italic))

    def bullet(self, text: str, label: str = "") -> None:
        self.blocks.append(("bullet", label, text))

    def table(self, header: list[str], rows: list[list[str]]) -> None:
        self.blocks.append(("table", header, rows))


def _md_escape(text: str) -> str:
    """Keep user text literal in Markdown: no accidental headings, lists, tables or HTML."""
    text = text.replace("\\", "\\\\")
    for char in "`*_[]<>|#":
        text = text.replace(char, "\\" + char)
    # A line that starts like a list item or a numbered item stays ordinary text.
    text = re.sub(r"(?m)^(\s*)([-+]|\d+\.)(\s)", lambda m: m.group(1) + "\\" + m.group(2) + m.group(3), text)
    return text.replace("\n", "  \n")


def _md_cell(text: str) -> str:
    """A table cell: a line break would end the row and push the rest of the text (another
    practitioner's words) into the wrong column, so breaks inside a cell are `<br>`."""
    return _md_escape(text).replace("  \n", "<br>")


def to_markdown(document: Document) -> str:
    out: list[str] = []
    for block in document.blocks:
        kind = block[0]
        if kind != "bullet" and out and out[-1].startswith("- "):
            out.append("")  # a run of bullets ends before the next block, or it would swallow it
        if kind == "heading":
            out += ["#" * block[1] + " " + _md_escape(block[2]), ""]
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
    from docx import Document as WordDocument

    word = WordDocument()
    for block in document.blocks:
        kind = block[0]
        if kind == "heading":
            word.add_heading(_docx_text(block[2]), level=min(block[1], 4))
        elif kind == "paragraph":
            run = word.add_paragraph().add_run(_docx_text(block[1]))
            run.italic = block[2]
        elif kind == "bullet":
            paragraph = word.add_paragraph(style="List Bullet")
            if block[1]:
                paragraph.add_run(_docx_text(block[1]) + " ").bold = True
            paragraph.add_run(_docx_text(block[2]))
        elif kind == "table":
            header, rows = block[1], block[2]
            table = word.add_table(rows=1, cols=len(header))
            table.style = "Table Grid"
            for cell, text in zip(table.rows[0].cells, header):
                cell.text = _docx_text(text)
            for row in rows:
                for cell, text in zip(table.add_row().cells, row):
                    cell.text = _docx_text(str(text))
    buffer = io.BytesIO()
    word.save(buffer)
    return buffer.getvalue()


def _docx_text(text: str) -> str:
    """XML cannot hold control characters; Word would refuse the file."""
    return "".join(c if c in "\t\n" or ord(c) >= 32 and c not in "\ufffe\uffff" else "\ufffd" for c in text)


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
