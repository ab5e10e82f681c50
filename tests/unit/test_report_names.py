"""What the report publishes: headings that read as their titles, and the same check for names and places
as the meeting packs before a version is written. The real command line as a subprocess, a real SQLite file,
the Markdown parsed with markdown-it-py."""

from __future__ import annotations

from markdown_it import MarkdownIt

from assistant.exports.document import Document, to_markdown
from assistant.exports.identifying import candidates_in
from tests.unit.cli_results import ok, refused
from tests.unit.test_meeting_packs import _headings, _reviewed_case

SLIPPED = "Jane Smith met Dr Patel at Riverside Children's Centre in Leeds."


def _texts(markdown: str) -> list[str]:
    """The text of each paragraph, list item and heading as a reader sees it."""
    return [t.content for t in MarkdownIt("commonmark").parse(markdown) if t.type == "inline"]


def test_numbered_headings_paragraphs_and_bullets_render_as_written():
    doc = Document()
    doc.heading("1. Introduction", 2)
    doc.paragraph("1. The plan was agreed.")
    doc.bullet("2. Nobody chased it.")
    doc.paragraph("- a dash, # a hash and *stars*")
    rendered = to_markdown(doc)
    assert _headings(rendered) == [(2, "1. Introduction")]
    html = MarkdownIt("commonmark").render(rendered)
    assert "<ol" not in html and "\\" not in html
    assert "<p>1. The plan was agreed.</p>" in html and "<li>2. Nobody chased it.</li>" in html
    assert "<p>- a dash, # a hash and *stars*</p>" in html


def test_the_report_headings_are_its_numbered_section_titles(cli, tmp_path, structure):
    db = tmp_path / "lt.db"
    _reviewed_case(db, structure)
    ok(cli("report", "draft", "--case", "CSPR-1", db=db))
    out = tmp_path / "report.md"
    ok(cli("report", "export", "--case", "CSPR-1", "--format", "md", "--out", str(out), db=db))
    numbered = [text for level, text in _headings(out.read_text()) if level == 2 and text[0].isdigit()]
    assert numbered[0] == "1. Introduction" and len(numbered) > 3
    assert [text.split(".")[0] for text in numbered] == [str(n) for n in range(1, len(numbered) + 1)]
    assert "\\" not in MarkdownIt("commonmark").render(out.read_text()).split("sha256")[0]


def test_a_name_at_the_start_a_named_centre_and_a_town_after_in_are_all_listed():
    assert dict(candidates_in(SLIPPED)) == {"Jane Smith": "name", "Dr Patel": "name",
                                            "Riverside Children's Centre": "place", "Leeds": "place"}


def test_everyday_capitals_after_in_at_and_from_are_not_places():
    texts = ["The call came in March from Children's Social Care.", "We met at Easter in the Children's Centre.",
             "Mum heard from Health Visitor 1 at Monday's visit."]
    assert [candidates_in(t, ["Health Visitor 1"]) for t in texts] == [[], [], []]


def test_names_in_a_card_are_found_in_the_pack(cli, tmp_path, structure):
    db = tmp_path / "lt.db"
    episode = _reviewed_case(db, structure)["episode"]
    ok(cli("card", "set", "--episode", episode, "--what-happened", SLIPPED, "--reason", "test", db=db))
    out = tmp_path / "first.md"
    result = cli("export", "--case", "CSPR-1", "--pack", "first", "--format", "md", "--out", str(out), db=db)
    refused(result, "--accept-names")
    for words in ("Jane Smith", "Dr Patel", "Riverside Children's Centre", "Leeds"):
        assert words in result.stdout


def test_the_report_is_not_written_until_the_lead_accepts_its_names(cli, tmp_path, structure):
    db = tmp_path / "lt.db"
    episode = _reviewed_case(db, structure)["episode"]
    ok(cli("card", "set", "--episode", episode, "--what-happened", SLIPPED, "--reason", "test", db=db))
    ok(cli("report", "draft", "--case", "CSPR-1", db=db))
    out = tmp_path / "report.md"
    result = cli("report", "export", "--case", "CSPR-1", "--format", "md", "--out", str(out), db=db)
    refused(result, "--accept-names")
    for words in ("Jane Smith", "Dr Patel", "Riverside Children's Centre", "Leeds"):
        assert words in result.stdout
    assert not out.exists()
    ok(cli("report", "export", "--case", "CSPR-1", "--format", "md", "--out", str(out), "--accept-names", db=db))
    assert "Jane Smith" in out.read_text()


def test_a_report_without_names_is_written_without_asking(cli, tmp_path, structure):
    db = tmp_path / "lt.db"
    _reviewed_case(db, structure)
    ok(cli("report", "draft", "--case", "CSPR-1", db=db))
    out = tmp_path / "report.docx"
    written = ok(cli("report", "export", "--case", "CSPR-1", "--format", "docx", "--out", str(out), db=db))
    assert out.exists() and "may identify" not in written


# ------------------------------------------------------------------ hindsight left in a card

HINDSIGHT = "The social worker should have called a strategy meeting straight away."


def test_drafting_and_the_first_pack_warn_of_hindsight_left_in_a_card(cli, tmp_path, structure):
    db = tmp_path / "lt.db"
    episode = _reviewed_case(db, structure)["episode"]
    drafted = cli("report", "draft", "--case", "CSPR-1", db=db)
    assert ok(drafted) == "1" and "hindsight" not in drafted.stderr
    ok(cli("card", "set", "--episode", episode, "--appraisal", HINDSIGHT, "--reason", "test", db=db))
    drafted = cli("report", "draft", "--case", "CSPR-1", db=db)
    assert ok(drafted) == "2"
    assert "Warning:" in drafted.stderr and "The strategy discussion" in drafted.stderr
    assert "should have" in drafted.stderr
    packed = cli("export", "--case", "CSPR-1", "--pack", "first", "--format", "md", "--out",
                 str(tmp_path / "first.md"), db=db)
    ok(packed)
    assert "The strategy discussion" in packed.stderr and "should have" in packed.stderr


# ------------------------------------------------------------------ the challenge log in words


def test_the_challenge_log_appendix_names_what_was_challenged_in_words(cli, tmp_path, structure):
    from docx import Document as WordDocument

    db = tmp_path / "lt.db"
    episode = _reviewed_case(db, structure)["episode"]
    ok(cli("report", "draft", "--case", "CSPR-1", db=db))
    for fmt in ("md", "docx"):
        out = tmp_path / f"report.{fmt}"
        ok(cli("report", "export", "--case", "CSPR-1", "--format", fmt, "--out", str(out), db=db))
    rendered = MarkdownIt("commonmark").enable("table").render((tmp_path / "report.md").read_text())
    row = rendered.split("Appendix: the challenge log")[1]
    assert "The strategy discussion" in row and "a different perspective" in row and "not accepted" in row
    assert episode[:8] not in row and "not-accepted" not in row and "First follow-on meeting" in row
    word = WordDocument(str(tmp_path / "report.docx"))
    cells = [c.text for c in word.tables[-1].rows[1].cells]
    assert cells[1] == "Episode: The strategy discussion" and cells[3] == "a different perspective"
    assert cells[5] == "not accepted"
