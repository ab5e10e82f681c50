"""The two-pair story end to end, as a review team works: two pairs each hold a conversation with a
different practitioner on the same case, in their own database, and hand it over; the lead merges both,
links the two practitioners' moments into one case episode and revises it, edits and withdraws findings,
deletes a key moment (its notes moved, none lost), corrects a role label, reopens a checked record,
comments and resolves; then every export is read back and each note is found under its own practitioner
and nowhere else."""

from __future__ import annotations

import csv
import json
import sqlite3
import zipfile
from pathlib import Path
from xml.etree import ElementTree

from docx import Document as WordDocument
from markdown_it import MarkdownIt

from assistant.exports.case import CASE_FORMATS
from assistant.tui.screens.conversation import ConversationScreen
from assistant.tui.screens.corrections import MomentsScreen
from assistant.tui.screens.dialogs import Choice, TagPicker, TextPrompt
from assistant.tui.screens.new_conversation import NewConversationScreen
from assistant.tui.screens.review import FindingScreen
from assistant.tui.screens.summary import SummaryScreen

from tests.conftest import run_cli
from tests.tui.helpers import fill, go_to, make_app, type_note, work_done
from tests.tui.test_conversation_flow import add_moment
from tests.tui.test_review import open_workspace, settle
from tests.unit.cli_results import ok

CASE = "CSPR-2026-04"

# What each pair types: every note names nobody and is worded so that it can be found again.
PAIRS = {
    "probation": {
        "role": "Probation Officer", "agency": "Probation Service",
        "moments": [("Sending the concern form", "around Easter"), ("The home visit in May", "May")],
        "own": "I supervised the father on licence and faxed a concern form after our second meeting.",
        "mindset": ["I thought the form would reach the duty team the same day.",
                    "At the home visit I believed the children were already known to social care."],
        "influences": ["Forty cases each and the fax machine shared by two offices.",
                       "A new recording system that nobody had been trained on."],
        "went_well": "The school kept in touch with me every week.",
        "suggested": "Always phone after sending a form until someone confirms it arrived.",
    },
    "social_work": {
        "role": "Social Worker 1", "agency": "Children's Social Care",
        "moments": [("The form that never arrived", "spring"), ("Closing the assessment", "summer")],
        "own": "I was allocated the family in March when the previous worker left.",
        "mindset": ["As far as I knew, no concern had come in from any other agency.",
                    "I closed the assessment because the home conditions had improved."],
        "influences": ["The duty inbox had a backlog of three weeks that spring.",
                       "Managers were pressing to close assessments within the timescale."],
        "went_well": "The health visitor and I shared a phone call every fortnight.",
        "suggested": "One shared inbox for referrals from partner agencies, checked daily.",
    },
}
NEW_ROLE = "Offender Manager 1"  # the Probation Officer's role as the service names it


def _texts(pair: dict) -> list[str]:
    return [pair["own"], *pair["mindset"], *pair["influences"], pair["went_well"], pair["suggested"]]


async def _start(pilot, pair: dict) -> None:
    await pilot.press("n")
    await pilot.pause()
    assert isinstance(pilot.app.screen, NewConversationScreen)
    await fill(pilot, **{"case-ref": CASE, "case-label": "Family A", "role": pair["role"], "agency": pair["agency"],
                         "lead": "Reviewer A", "second": "Reviewer B"})
    await pilot.press("ctrl+s")
    await pilot.pause()
    assert isinstance(pilot.app.screen, ConversationScreen)


async def _hold_conversation(pilot, pair: dict) -> None:
    """A pair's whole conversation: own account, two key moments, thinking and influences at each, what
    went well, suggested changes; then ended, sent for checking and checked."""
    app = pilot.app
    await _start(pilot, pair)
    await go_to(pilot, "overview")
    await type_note(pilot, pair["own"])
    await pilot.press("ctrl+n")
    await pilot.pause()
    assert app.screen.conversation.walk.current_stop().section.id == "key_moments"
    await pilot.press("ctrl+o")
    await pilot.pause()
    for title, when in pair["moments"]:
        await add_moment(pilot, title, when)
    await pilot.press("escape")
    await pilot.pause()
    for index in range(2):
        await pilot.press("ctrl+n")
        await pilot.pause()
        stop = app.screen.conversation.walk.current_stop()
        assert (stop.section.id, stop.episode_index) == ("mindset", index)
        await type_note(pilot, pair["mindset"][index])
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert app.screen.conversation.walk.current_stop().section.id == "influences"
        await type_note(pilot, pair["influences"][index])
        assert isinstance(app.screen, TagPicker)  # an influence category is asked for here
        await fill(pilot, **{"tag-filter": "conditions"})
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ConversationScreen)
    await go_to(pilot, "went_well")
    await type_note(pilot, pair["went_well"])
    await go_to(pilot, "suggested_changes")
    await type_note(pilot, pair["suggested"])
    await pilot.press("f12")
    await pilot.pause()
    assert isinstance(app.screen, SummaryScreen)
    summary = app.screen
    await pilot.press("ctrl+e")
    await pilot.pause()
    while app.screen is not summary:  # the ending may ask first; say yes to each question
        await pilot.press("enter")
        await pilot.pause()
    for key, status in (("c", "sent_for_checking"), ("k", "checked")):
        await pilot.press(key)
        await pilot.pause()
        assert isinstance(app.screen, Choice)
        await pilot.press("enter")
        await pilot.pause()
        assert summary.conversation.row["status"] == status


HANDOVER_PASSPHRASE = "told-to-the-lead-by-phone"


async def _pair_hands_over(tmp_path: Path, name: str, pair: dict, from_home: bool) -> Path:
    """The pair holds the conversation, then makes an encrypted hand-over copy: from home (H), or with
    the `handover` command."""
    db = tmp_path / f"{name}.db"
    handed = tmp_path / f"{name}-handover.db"
    app = make_app(db)
    async with app.run_test(size=(120, 40)) as pilot:
        await _hold_conversation(pilot, pair)
        if from_home:
            await pilot.press("escape")
            await pilot.pause()
            await pilot.press("escape")
            await pilot.pause()
            await pilot.press("h")
            await pilot.pause()
            await fill(pilot, **{"field-path": str(handed), "field-passphrase": HANDOVER_PASSPHRASE,
                                 "field-confirm": HANDOVER_PASSPHRASE})
            app.screen.query_one("#field-confirm").focus()
            await pilot.press("enter")
            await pilot.pause()
            await work_done(app)
            await pilot.pause()
    if not from_home:
        secret = tmp_path / "handover-passphrase.txt"
        secret.write_text(HANDOVER_PASSPHRASE, encoding="utf-8")
        ok(run_cli("handover", "--out", str(handed), "--encrypt", "--handover-passphrase-file", str(secret), db=db))
    assert handed.exists()
    return handed


async def test_two_pairs_one_case_a_revised_review_and_every_export_keeps_each_voice(tmp_path):
    handed = [await _pair_hands_over(tmp_path, "probation", PAIRS["probation"], from_home=True),
              await _pair_hands_over(tmp_path, "social_work", PAIRS["social_work"], from_home=False)]
    for path in handed:  # encrypted: nothing of the conversation can be read without the passphrase
        assert not any(text.encode() in path.read_bytes() for pair in PAIRS.values() for text in _texts(pair))

    lead_db = tmp_path / "lead.db"
    app = make_app(lead_db)
    async with app.run_test(size=(120, 40)) as pilot:
        await _lead_merges(pilot, handed)
        await open_workspace(pilot)
        review = app.screen
        await _link_and_revise_the_episode(pilot, review)
        await _write_edit_and_withdraw_findings(pilot, review)
        await _reopen_comment_and_resolve(pilot, review)
        await pilot.press("escape")
        await pilot.pause()
        await _correct_the_record(pilot)
        record_files = await _export_the_record(pilot)
        await open_workspace(pilot)
        pack_files = await _export_every_case_format(pilot)
    _check_the_database(lead_db)
    _check_every_export(pack_files, record_files)


async def _lead_merges(pilot, handed: list[Path]) -> None:
    await pilot.press("g")
    await pilot.pause()
    await fill(pilot, **{"field-paths": ";".join(str(p) for p in handed), "field-passphrase": HANDOVER_PASSPHRASE})
    pilot.app.screen.query_one("#field-passphrase").focus()
    await pilot.press("enter")
    await pilot.pause()
    await work_done(pilot.app)
    await pilot.pause()
    table = pilot.app.screen.query_one("#conversations")
    assert table.row_count == 2


def _index(option_list, words: str) -> int:
    return next(i for i in range(option_list.option_count) if words in str(option_list.get_option_at_index(i).prompt))


async def _tab(pilot, tab: str) -> None:
    pilot.app.screen.query_one("#review-tabs").active = tab
    await settle(pilot)


async def _link_and_revise_the_episode(pilot, review) -> None:
    """The two practitioners' accounts of the concern form become one case episode, then renamed."""
    await _tab(pilot, "tab-episodes")
    moments = review.query_one("#moments")
    moments.focus()
    for title in ("Sending the concern form", "The form that never arrived"):
        moments.highlighted = _index(moments, title)
        await pilot.press("space")
    await pilot.press("e")
    await pilot.pause()
    await fill(pilot, **{"field-title": "The concern form"})
    await pilot.press("enter")
    await settle(pilot)
    episodes = review.query_one("#case-episodes")
    episodes.focus()
    episodes.highlighted = _index(episodes, "The concern form")
    await pilot.press("r")
    await pilot.pause()
    await fill(pilot, **{"field-title": "The concern form sent by fax"})
    await pilot.press("enter")
    await settle(pilot)
    assert "The concern form sent by fax" in str(episodes.get_option_at_index(episodes.highlighted).prompt)


async def _new_finding(pilot, review, statement: str, in_this_case: str) -> None:
    episodes = review.query_one("#case-episodes")
    episodes.highlighted = _index(episodes, "The concern form sent by fax")
    await pilot.press("f")
    await pilot.pause()
    form = pilot.app.screen
    assert isinstance(form, FindingScreen)
    form.query_one("#finding-typology").value = "pattern_crisis"
    form.query_one("#finding-statement").text = statement
    form.query_one("#finding-in_this_case").text = in_this_case
    form.query_one("#finding-why_it_matters").text = "Concerns can be lost between agencies without anyone knowing."
    await pilot.pause()
    await pilot.press("ctrl+s")
    await settle(pilot)
    assert pilot.app.screen is review


async def _write_edit_and_withdraw_findings(pilot, review) -> None:
    await _tab(pilot, "tab-episodes")
    review.query_one("#case-episodes").focus()
    await _new_finding(pilot, review, "Faxed forms are taken as received.",
                       "Each agency believed the other held the concern form.")
    await _new_finding(pilot, review, "Supervision looks at deadlines more than at families.",
                       "Assessments were closed to meet the timescale.")
    await _tab(pilot, "tab-findings")
    listing = review.query_one("#finding-list")
    listing.focus()
    listing.highlighted = _index(listing, "Faxed forms are taken as received.")
    await pilot.press("e")
    await pilot.pause()
    assert isinstance(pilot.app.screen, FindingScreen)
    pilot.app.screen.query_one("#finding-statement").text = "A faxed concern is assumed to have arrived."
    await fill(pilot, **{"finding-reason": "Closer to what both practitioners said"})
    await pilot.press("ctrl+s")
    await settle(pilot)
    edited = str(listing.get_option_at_index(_index(listing, "A faxed concern is assumed")).prompt)
    assert "Earlier wording" in edited and "Faxed forms are taken as received." in edited
    listing.highlighted = _index(listing, "Supervision looks at deadlines")
    await pilot.press("w")
    await pilot.pause()
    await fill(pilot, **{"field-reason": "Only one account speaks to it"})
    await pilot.press("enter")
    await settle(pilot)
    assert "WITHDRAWN" in str(listing.get_option_at_index(_index(listing, "Supervision looks at deadlines")).prompt)


async def _reopen_comment_and_resolve(pilot, review) -> None:
    """The Probation Officer's checked record is reopened to correct its label; a note is commented on and
    the comment resolved."""
    await _tab(pilot, "tab-conversations")
    table = review.query_one("#conversation-table")
    row = next(i for i, c in enumerate(review.conversations) if c["practitioner_role"] == "Probation Officer")
    table.focus()
    table.move_cursor(row=row)
    await pilot.pause()
    assert "checked" in str(table.get_cell_at((row, 2)))
    await pilot.press("o")
    await pilot.pause()
    await fill(pilot, **{"field-reason": "The role label needs correcting"})
    await pilot.press("enter")
    await settle(pilot)
    assert "in progress" in str(table.get_cell_at((row, 2)))

    await _tab(pilot, "tab-notes")
    results = review.query_one("#note-results")
    results.focus()
    results.highlighted = _index(results, PAIRS["social_work"]["influences"][0][:40])
    await pilot.press("c")
    await pilot.pause()
    await fill(pilot, **{"field-comment": "Is the three-week backlog in the service's own records?"})
    await pilot.press("enter")
    await settle(pilot)
    assert "1 open comment" in str(results.get_option_at_index(results.highlighted).prompt)

    await _tab(pilot, "tab-conversations")
    row = next(i for i, c in enumerate(review.conversations) if c["practitioner_role"] == "Social Worker 1")
    table.focus()
    table.move_cursor(row=row)
    await pilot.pause()
    assert str(table.get_cell_at((row, 5))) == "1"
    await pilot.press("enter")
    await pilot.pause()
    await pilot.press("r")
    await pilot.pause()
    assert str(pilot.app.screen.query_one("#comment-list").get_option_at_index(0).prompt).startswith("✓")
    await pilot.press("escape")
    await settle(pilot)
    assert str(table.get_cell_at((row, 5))) == "0"


def _conversation_id(store, role: str) -> str:
    return store.scalar("SELECT id FROM conversations WHERE practitioner_role = ?", (role,))


async def _correct_the_record(pilot) -> None:
    """From home, open the reopened record: correct the role label with a reason, then delete the second
    key moment, its notes moved to the first."""
    app = pilot.app
    home = app.screen.query_one("#conversations")
    home.focus()
    home.move_cursor(row=home.get_row_index(_conversation_id(app.store, "Probation Officer")))
    await pilot.press("enter")
    await pilot.pause()
    assert isinstance(app.screen, ConversationScreen)
    await pilot.press("ctrl+o")
    await pilot.pause()
    assert isinstance(app.screen, MomentsScreen)
    await pilot.press("l")
    await pilot.pause()
    assert isinstance(app.screen, TextPrompt)
    await fill(pilot, **{"field-practitioner_role": NEW_ROLE,
                         "field-reason": "The service names the role Offender Manager"})
    app.screen.query_one("#field-reason").focus()
    await pilot.press("enter")
    await pilot.pause()
    assert isinstance(app.screen, MomentsScreen)
    listing = app.screen.query_one("#moment-list")
    listing.highlighted = _index(listing, "The home visit in May")
    await pilot.press("x")
    await pilot.pause()
    choices = app.screen.query_one("#choices")
    choices.highlighted = _index(choices, "Sending the concern form")
    await pilot.press("enter")
    await pilot.pause()
    await fill(pilot, **{"field-reason": "Part of the same moment as the concern form"})
    await pilot.press("enter")
    await pilot.pause()
    assert isinstance(app.screen, MomentsScreen)
    await pilot.press("escape")
    await pilot.pause()
    assert NEW_ROLE in str(app.screen.query_one("#context-line").render())


async def _export_the_record(pilot) -> list[Path]:
    """The corrected record, typed up for the practitioner, in Markdown and Word from the summary."""
    app = pilot.app
    exports = Path(app.store.path).parent / "exports"
    before = set(exports.glob("*")) if exports.exists() else set()
    await pilot.press("f12")
    await pilot.pause()
    assert isinstance(app.screen, SummaryScreen)
    await pilot.press("m", "w")
    await pilot.pause()
    await pilot.press("escape")
    await pilot.pause()
    await pilot.press("escape")
    await pilot.pause()
    written = sorted(set(exports.glob("*")) - before)
    assert sorted(p.suffix for p in written) == [".docx", ".md"]
    return written


async def _export_every_case_format(pilot) -> list[Path]:
    app = pilot.app
    exports = Path(app.store.path).parent / "exports"
    before = set(exports.glob("*"))
    for index in range(len(CASE_FORMATS)):  # each choice in the export list, in its order
        await pilot.press("x")
        await pilot.pause()
        app.screen.query_one("#choices").highlighted = index
        await pilot.press("enter")
        await settle(pilot)
    written = sorted(set(exports.glob("*")) - before)
    assert {p.suffix for p in written} == {".md", ".docx", ".csv", ".json", ".qdpx"}
    return written


def _check_the_database(db: Path) -> None:
    """Everything the lead revised is in the store, with the earlier wording kept and the changes audited."""
    with sqlite3.connect(db) as conn:
        kept = {(entity, field): (old, reason) for entity, field, old, reason in conn.execute(
            "SELECT entity, field, old_value, reason FROM revisions")}
        actions = [row[0] for row in conn.execute("SELECT action FROM events")]
        probation = conn.execute("SELECT id, status FROM conversations WHERE practitioner_role = ?",
                                 (NEW_ROLE,)).fetchone()
        moments = conn.execute("SELECT id, title FROM episodes WHERE conversation_id = ?", (probation[0],)).fetchall()
        moved = conn.execute("SELECT episode_id FROM notes WHERE body = ?", (PAIRS["probation"]["mindset"][1],))
        episode = conn.execute("SELECT title FROM case_episodes").fetchall()
        finding_rows = conn.execute("SELECT statement, withdrawn_reason FROM findings ORDER BY created_at").fetchall()
        open_comments = conn.execute("SELECT COUNT(*) FROM comments WHERE resolved = 0").fetchone()[0]
        note_count = conn.execute("SELECT COUNT(*) FROM notes").fetchone()[0]
    assert probation[1] == "in_progress"
    assert kept[("conversation", "practitioner_role")] == ("Probation Officer",
                                                           "The service names the role Offender Manager")
    assert kept[("conversation", "status")] == ("checked", "The role label needs correcting")
    assert kept[("finding", "statement")][0] == "Faxed forms are taken as received."
    assert ("The concern form",) in {(v[0],) for k, v in kept.items() if k[1] == "title"}
    assert {"relabel", "reopen"} <= set(actions)
    assert [title for _, title in moments] == ["Sending the concern form"]
    assert moved.fetchone()[0] == moments[0][0]  # the deleted moment's note moved, not lost
    assert episode == [("The concern form sent by fax",)]
    assert finding_rows == [("A faxed concern is assumed to have arrived.", None),
                            ("Supervision looks at deadlines more than at families.", "Only one account speaks to it")]
    assert open_comments == 0 and note_count == 14


# ---------------------------------------------------------------- reading every export back
LABELS = {"probation": f"{NEW_ROLE} (Probation Service)", "social_work": "Social Worker 1 (Children's Social Care)"}


def _who(text: str) -> str | None:
    """Which practitioner a heading or column header names, if any."""
    named = [name for name, label in LABELS.items() if label in text]
    assert len(named) <= 1, text
    return named[0] if named else None


def _attributions(blocks) -> dict[str, list[str | None]]:
    """Where each note's text stands: under which practitioner's heading or column (None: under neither).

    `blocks` is the document in order: ("heading", level, text), ("text", text) and ("table", rows)."""
    found: dict[str, list[str | None]] = {text: [] for pair in PAIRS.values() for text in _texts(pair)}
    headings: dict[int, str] = {}

    def context() -> str | None:
        named = [_who(headings[level]) for level in sorted(headings)]
        return next((name for name in reversed(named) if name), None)

    def place(text: str, owner: str | None) -> None:
        for note in found:
            if note in text:
                found[note].append(owner)

    for block in blocks:
        if block[0] == "heading":
            _, level, text = block
            headings = {k: v for k, v in headings.items() if k < level} | {level: text}
        elif block[0] == "text":
            place(block[1], context())
        else:
            header, *rows = block[1]
            for row in rows:
                for column, cell in enumerate(row):
                    place(cell, _who(header[column]) or context())
    return found


def _markdown_blocks(text: str) -> list[tuple]:
    """The Markdown as a CommonMark (with GFM tables) parser reads it."""
    tokens = MarkdownIt("commonmark").enable("table").parse(text)
    blocks: list[tuple] = []
    rows: list[list[str]] | None = None
    for index, token in enumerate(tokens):
        if token.type == "table_open":
            rows = []
        elif token.type == "table_close":
            blocks.append(("table", rows))
            rows = None
        elif token.type == "tr_open":
            rows.append([])
        elif token.type == "inline":
            opener = tokens[index - 1].type
            content = "\n".join(child.content for child in token.children or [] if child.type in ("text", "code_inline"))
            if opener in ("th_open", "td_open"):
                rows[-1].append(content)
            elif opener == "heading_open":
                blocks.append(("heading", int(tokens[index - 1].tag[1]), content))
            else:
                blocks.append(("text", content))
    return blocks


def _word_blocks(path: Path) -> list[tuple]:
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    document = WordDocument(str(path))
    blocks: list[tuple] = []
    for child in document.element.body.iterchildren():
        if child.tag.endswith("}p"):
            paragraph = Paragraph(child, document)
            style = paragraph.style.name
            if style.startswith("Heading "):
                blocks.append(("heading", int(style.split()[1]), paragraph.text))
            elif style == "Title":
                blocks.append(("heading", 0, paragraph.text))
            else:
                blocks.append(("text", paragraph.text))
        elif child.tag.endswith("}tbl"):
            blocks.append(("table", [[cell.text for cell in row.cells] for row in Table(child, document).rows]))
    return blocks


def _each_note_under_its_own_practitioner(blocks, where: str) -> None:
    found = _attributions(blocks)
    for name, pair in PAIRS.items():
        for text in _texts(pair):
            assert found[text], f"{where}: not found: {text}"
            assert set(found[text]) == {name}, f"{where}: {text!r} stands under {found[text]}"


def _check_every_export(pack_files: list[Path], record_files: list[Path]) -> None:
    by_suffix = {path.suffix: path for path in pack_files if "codebook" not in path.name}
    _each_note_under_its_own_practitioner(_markdown_blocks(by_suffix[".md"].read_text(encoding="utf-8")), "md pack")
    _each_note_under_its_own_practitioner(_word_blocks(by_suffix[".docx"]), "docx pack")
    properties = WordDocument(str(by_suffix[".docx"])).core_properties
    assert properties.author == "learning-together" and CASE in properties.title and properties.created

    with by_suffix[".csv"].open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    roles = {"probation": NEW_ROLE, "social_work": "Social Worker 1"}
    for name, pair in PAIRS.items():
        for text in _texts(pair):
            assert [row["practitioner_role"] for row in rows if text in row["body"]] == [roles[name]], text
    assert {row["tag_labels"] for row in rows if row["body"] in PAIRS["probation"]["influences"]} == {
        "Conditions of work"}
    own_story = next(row for row in rows if row["body"] == PAIRS["social_work"]["own"])
    assert own_story["prompt_text"].startswith("Tell us about the family")

    exported = json.loads(by_suffix[".json"].read_text(encoding="utf-8"))
    for conversation in exported["conversations"]:
        name = next(n for n, role in roles.items() if role == conversation["practitioner_role"])
        assert sorted(note["body"] for note in conversation["notes"]) == sorted(_texts(PAIRS[name]))
    commented = [(conversation["practitioner_role"], note["body"], comment["body"])
                 for conversation in exported["conversations"] for note in conversation["notes"]
                 for comment in note["comments"]]
    assert commented == [("Social Worker 1", PAIRS["social_work"]["influences"][0],
                          "Is the three-week backlog in the service's own records?")]

    _check_qdpx(by_suffix[".qdpx"], exported)
    _check_the_record(record_files)


def _check_qdpx(path: Path, exported: dict) -> None:
    """Each conversation is one source; each note's selection in it holds exactly that note's words."""
    namespace = {"q": "urn:QDA-XML:project:1.0"}
    owner = {note["id"][:8]: (conversation["practitioner_role"], note["body"])
             for conversation in exported["conversations"] for note in conversation["notes"]}
    with zipfile.ZipFile(path) as archive:
        project = ElementTree.fromstring(archive.read("project.qde"))
        sources = project.findall(".//q:TextSource", namespace)
        assert len(sources) == 2
        selected = 0
        for source in sources:
            text = archive.read("Sources/" + source.get("plainTextPath").removeprefix("internal://")).decode("utf-8")
            role = next(r for r in (NEW_ROLE, "Social Worker 1") if source.get("name").startswith(r))
            for selection in source.findall("q:PlainTextSelection", namespace):
                note_role, body = owner[selection.get("name").removeprefix("note ")]
                start, end = int(selection.get("startPosition")), int(selection.get("endPosition"))
                assert (note_role, text[start:end]) == (role, body)
                selected += 1
            other = "social_work" if role == NEW_ROLE else "probation"
            assert not any(t in text for t in _texts(PAIRS[other]))
    assert selected == 14


def _check_the_record(record_files: list[Path]) -> None:
    """The Offender Manager's own record holds all their words and none of the Social Worker's."""
    for path in record_files:
        if path.suffix == ".md":
            blocks = _markdown_blocks(path.read_text(encoding="utf-8"))
        else:
            blocks = _word_blocks(path)
        shown = "\n".join(block[2] if block[0] == "heading" else
                          block[1] if block[0] == "text" else "\n".join("\n".join(row) for row in block[1])
                          for block in blocks)
        assert all(text in shown for text in _texts(PAIRS["probation"])), path.name
        assert not any(text in shown for text in _texts(PAIRS["social_work"])), path.name
        assert NEW_ROLE in shown and "Probation Officer" not in shown
