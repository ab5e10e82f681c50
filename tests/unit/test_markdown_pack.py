"""The Markdown analysis pack, read back by a CommonMark parser: every practitioner's words stay in
their own column, every note of every section is under its practitioner, and no list swallows the
block after it."""

from __future__ import annotations

from markdown_it import MarkdownIt

from assistant.exports.case import export_case

from tests.unit.test_review_and_exports import lead  # noqa: F401  (the merged two-pair case)
from tests.unit.test_review_and_exports import every_section  # noqa: F401  (with notes in every section)
from tests.unit.test_review_and_exports import assert_every_note_under_its_practitioner, live_notes


def _tables(markdown: str) -> list[list[list[str]]]:
    """Every table as rows of cell texts (header first), as a renderer would lay them out."""
    tokens = MarkdownIt("commonmark").enable("table").parse(markdown)
    tables, row, cell = [], None, None
    for token in tokens:
        if token.type == "table_open":
            tables.append([])
        elif token.type == "tr_open":
            row = []
        elif token.type in ("th_open", "td_open"):
            cell = []
        elif token.type == "inline" and cell is not None:
            cell.append(token.content)
        elif token.type in ("th_close", "td_close"):
            row.append(" ".join(cell))
            cell = None
        elif token.type == "tr_close":
            tables[-1].append(row)
    return tables


def test_each_practitioners_words_stay_in_their_own_column(lead, structure, tmp_path):  # noqa: F811
    out = export_case(lead["store"], structure, "CSPR-2026-04", "md", tmp_path / "pack.md")[0]
    markdown = out.read_text(encoding="utf-8")
    episode_table = next(t for t in _tables(markdown) if t[0][1].startswith(("Probation Officer", "Social Worker")))
    header = episode_table[0]
    assert len(header) == 3
    for row in episode_table:
        assert len(row) == 3, row  # a line break inside a cell would have ended the row
    influences = next(row for row in episode_table if row[0] == "Influences")
    by_role = {}
    for column, role in enumerate(header[1:], start=1):
        by_role[role.split(" (")[0]] = column
    for row in episode_table[1:]:
        for role, column in by_role.items():
            other = next(r for r in by_role if r != role)
            assert other + " at" not in row[column], (role, row)
    thinking = [row for row in episode_table if "no admin support" in " ".join(row)]
    assert thinking, "both influence notes of each practitioner are in the pack"
    for row in thinking:
        assert "Probation Officer at 'Sending the fax'" in row[by_role["Probation Officer"]]
        assert "did not know the other agency" in row[by_role["Probation Officer"]]
        assert "Social Worker 1 at 'The fax that never arrived'" in row[by_role["Social Worker 1"]]
    assert influences[by_role["Probation Officer"]]


def test_a_list_ends_before_the_next_block(lead, cli, tmp_path):  # noqa: F811
    """In the typed-up record the key moments are a list followed by a paragraph ("No notes."); without
    a blank line between them the paragraph would render as part of the last moment."""
    out = tmp_path / "record.md"
    result = cli("export", "--conversation", lead["a"]["conversation_id"], "--format", "md", "--out", str(out),
                 db=lead["tmp"] / "lead.db")
    assert result.returncode == 0, result.stderr
    tokens = MarkdownIt("commonmark").enable("table").parse(out.read_text(encoding="utf-8"))
    depth, swallowed = 0, []
    for token in tokens:
        depth += {"bullet_list_open": 1, "bullet_list_close": -1}.get(token.type, 0)
        if token.type == "inline" and depth and "No notes." in token.content:
            swallowed.append(token.content)
    assert swallowed == []


# ------------------------------------------------------------------ every note, under its practitioner

def _inline_text(token) -> tuple[str, str]:
    """An inline token's rendered (label, text): bold text is the label; `<br>` and breaks are new lines."""
    label, text, bold = [], [], False
    for child in token.children or []:
        if child.type in ("strong_open", "strong_close"):
            bold = child.type == "strong_open"
        elif child.type in ("text", "code_inline"):
            (label if bold else text).append(child.content)
        elif child.type in ("softbreak", "hardbreak") or (child.type == "html_inline" and child.content == "<br>"):
            text.append("\n")
    return "".join(label).strip(), "".join(text).strip()


def markdown_places(markdown: str) -> list[dict]:
    """Each piece of text in the pack with where a reader finds it: the headings above it and, in a
    table, its column's header and its row's label."""
    tokens = MarkdownIt("commonmark").enable("table").parse(markdown)
    headings: dict[int, str] = {}
    places, level, header, row, column, in_header, in_table = [], 0, [], [], 0, False, False
    for token in tokens:
        if token.type in ("table_open", "table_close"):
            in_table = token.type == "table_open"
        elif token.type == "heading_open":
            level = int(token.tag[1])
        elif token.type == "heading_close":
            level = 0
        elif token.type == "thead_open":
            in_header, header = True, []
        elif token.type == "thead_close":
            in_header = False
        elif token.type == "tr_open":
            row, column = [], 0
        elif token.type == "inline":
            label, text = _inline_text(token)
            if level:
                headings[level] = label + text
                for deeper in [h for h in headings if h > level]:
                    del headings[deeper]
            elif in_header:
                header.append(text)
            else:
                places.append({"headings": dict(headings), "label": label, "text": text,
                               "column": header[column] if in_table and column < len(header) else "",
                               "row": row[0] if in_table and row else ""})
                if in_table:
                    row.append(text)
                    column += 1
    return places


def test_every_note_of_every_section_reaches_the_markdown_pack_under_its_practitioner(  # noqa: F811
        every_section, cli, structure, tmp_path):  # noqa: F811
    db = every_section["tmp"] / "lead.db"
    out = tmp_path / "pack.md"
    result = cli("export", "--case", "CSPR-2026-04", "--format", "md", "--out", str(out), db=db)
    assert result.returncode == 0, result.stderr
    places = markdown_places(out.read_text(encoding="utf-8"))
    notes = live_notes(db)
    assert {n["section_id"] for n in notes} >= {"introduction", "overview", "mindset", "influences", "went_well",
                                                 "queries", "suggested_changes", "closing"}
    assert_every_note_under_its_practitioner(places, notes, structure)
    went_well = [p for p in places if p["headings"].get(2) == "What went well"]
    assert {p["headings"][3].split(" (")[0] for p in went_well} == {"Probation Officer", "Social Worker 1"}
