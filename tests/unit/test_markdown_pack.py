"""The Markdown analysis pack, read back by a CommonMark parser: every practitioner's words stay in
their own column, and no list swallows the block after it."""

from __future__ import annotations

from markdown_it import MarkdownIt

from assistant.exports.case import export_case

from tests.unit.test_review_and_exports import lead  # noqa: F401  (the merged two-pair case)


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
