"""After the conversations, end to end, as a lead reviewer works through the app's keys: two pairs' databases
merged (G), their moments linked into case episodes (Space + E), placed in the story of the case and
appraised on the episode card (the hindsight check seen on "should have" wording, then reworded); a first
follow-on meeting with three challenges, the accepted one reflected in the next report version; findings in
SCIE's six fields, in priority order; a second meeting, an accuracy check and sign-off; the report written
as Markdown and Word from the Report tab and read back; the comparison in the app and `report diff` on the
command line; the case exports carrying the meetings and the challenge log; and the first-meeting pack
listing a possible name before it is written."""

from __future__ import annotations

import json
from pathlib import Path

from docx import Document as WordDocument
from markdown_it import MarkdownIt

from assistant.cases import list_cases
from assistant.conversation import Conversation
from assistant.meetings import challenge_log, list_meetings
from assistant.report import FINDING_TITLES, SECTION_TITLES, prioritised_findings, report_versions
from assistant.review import case_episodes
from assistant.store import open_store
from assistant.story import episode_card
from assistant.structure import load_structure
from assistant.tui.screens.dialogs import TextPrompt
from assistant.tui.screens.review import FindingScreen, ReviewScreen
from assistant.tui.screens.review.episode_card import EpisodeCardScreen

from tests.conftest import run_cli
from tests.tui.helpers import fill, make_app, work_done
from tests.tui.test_review import open_workspace, settle
from tests.tui.test_review_meetings import _choose, _option_text, _said, _submit
from tests.tui.test_review_revisions import _tab
from tests.tui.test_review_story import _highlight, _place, _shown, _story_text, _type
from tests.unit.cli_results import ok
from tests.unit.pairs import pair_database

CASE = "CSPR-2026-04"
# A note where a real-looking name slipped in: the first-meeting pack lists it before it is written.
NAMED_NOTE = "I left a message with Karen Whitfield on the duty desk that afternoon."
HINDSIGHT = "The social worker should have chased the concern form."
REWORDED = "Given what was known then, waiting for the form to arrive made sense to both."
FIRST_WORDS = "The form was faxed on the Monday; it did not arrive."
CORRECTED = "The form was faxed on the Friday afternoon; it did not arrive."
FINDINGS = [  # typed in this order; the second is then moved up to first place
    dict(statement="A faxed concern is taken as received.",
         in_this_case="Each agency believed the other held the concern form.",
         systemic_evidence="Two other teams described the same in the case group.",
         how_widespread="Every office that still shares a fax machine.",
         why_it_matters="A concern can be lost between agencies without anyone knowing.",
         questions="How do partners confirm that a referral has arrived?"),
    dict(statement="Strategy meetings are held without every agency present.",
         in_this_case="Probation was not invited to the strategy meeting.",
         systemic_evidence="The invitation list is a template that leaves probation out.",
         how_widespread="All strategy meetings called by the duty team.",
         why_it_matters="What one agency knows is missing from the plan.",
         questions="Who checks that the invitation list fits the family?"),
]


def _pairs(tmp_path: Path) -> list[Path]:
    """The two pairs' own databases, each with one conversation on the same case."""
    probation = pair_database(tmp_path / "probation.db", "Probation Officer",
                              ["Sending the fax", "The strategy meeting"])
    social_work = pair_database(tmp_path / "social-work.db", "Social Worker 1", ["The fax that never arrived"])
    store = open_store(social_work["path"])
    Conversation(store, load_structure(), social_work["conversation_id"]).notes.add(
        NAMED_NOTE, section_id="mindset", episode_id=social_work["episodes"][0])
    store.close()
    return [probation["path"], social_work["path"]]


def _index(option_list, words: str) -> int:
    return next(i for i in range(option_list.option_count) if words in str(option_list.get_option_at_index(i).prompt))


async def _merge(pilot, paths: list[Path]) -> None:
    await pilot.press("g")
    await pilot.pause()
    await fill(pilot, **{"field-paths": ";".join(str(p) for p in paths)})
    pilot.app.screen.query_one("#field-passphrase").focus()
    await pilot.press("enter")
    await pilot.pause()
    await work_done(pilot.app)
    await pilot.pause()
    assert not isinstance(pilot.app.screen, TextPrompt), pilot.app.screen.query_one("#prompt-error").render()
    assert pilot.app.screen.query_one("#conversations").row_count == 2


async def _case_group(pilot) -> None:
    """Home P: the case group the accuracy check is asked of."""
    await pilot.press("p")
    await pilot.pause()
    await _choose(pilot, 0)
    for role, agency in (("Probation Officer", "Probation Service"), ("Social Worker 1", "Children's Social Care")):
        pilot.app.screen.query_one("#members").focus()
        await pilot.press("a")
        await pilot.pause()
        await _submit(pilot, role=role, agency=agency)
    assert pilot.app.screen.query_one("#members").row_count == 2
    await pilot.press("escape")
    await pilot.pause()


async def _link(pilot, review, titles: list[str], episode: str) -> None:
    """Episodes tab: tick the moments with Space, link them as one case episode with E."""
    await _tab(pilot, "tab-episodes")
    moments = review.query_one("#moments")
    moments.focus()
    for title in titles:
        moments.highlighted = _index(moments, title)
        await pilot.press("space")
    await pilot.press("e")
    await pilot.pause()
    await fill(pilot, **{"field-title": episode})
    await pilot.press("enter")
    await settle(pilot)


async def _appraise(pilot, fax: str) -> None:
    """The card: the hindsight check flags "should have", the lead rewords it, then saves."""
    await _highlight(pilot, fax)
    await pilot.press("o")
    await pilot.pause()
    card = pilot.app.screen
    assert isinstance(card, EpisodeCardScreen)
    assert "Conditions of work" in _shown(card, "card-factors")
    await _type(pilot, "what_happened", FIRST_WORDS)
    await _type(pilot, "appraisal", HINDSIGHT)
    assert "should have" in _shown(card, "card-hindsight")
    await _type(pilot, "appraisal", REWORDED)
    assert "should have" not in _shown(card, "card-hindsight")
    await _type(pilot, "explanation", "Each agency believed the other had the form.")
    card.query_one("#card-adequacy").value = "mixed"
    await pilot.press("ctrl+l")  # the explanation linked to a practitioner's own note
    await pilot.pause()
    notes = pilot.app.screen.query_one("OptionList")
    notes.highlighted = _index(notes, "did not know the other agency")
    await pilot.press("enter")
    await pilot.pause()
    await pilot.press("ctrl+s")
    await settle(pilot)
    assert isinstance(pilot.app.screen, ReviewScreen)


async def _draft(pilot, review) -> None:
    await _tab(pilot, "tab-report")
    review.query_one("#report-versions").focus()
    await pilot.press("d")
    await settle(pilot)


async def _meeting(pilot, kind: int, date: str, pack: str = "") -> None:
    await _tab(pilot, "tab-meetings")
    pilot.app.screen.query_one("#meeting-list").focus()
    await pilot.press("n")
    await _choose(pilot, kind)
    await _submit(pilot, date=date, facilitators="Lead reviewer, Reviewer B", pack=pack)


async def _challenge(pilot, typed: str, kind: int, by: str, words: str) -> None:
    await pilot.press("a")
    await _choose(pilot, typed=["space" if c == " " else c for c in typed])
    await _choose(pilot, kind)
    await _submit(pilot, by=by, text=words)


async def _respond(pilot, words: str, outcome: int, **values) -> None:
    listing = pilot.app.screen.query_one("#meeting-list")
    listing.highlighted = _index(listing, words)
    await pilot.press("r")
    await _choose(pilot, outcome)
    await _submit(pilot, **values)


async def _first_meeting(pilot, review, case_id: str) -> None:
    await _meeting(pilot, 0, "2026-05-04", pack="First pack v1")
    for role, agency in (("Probation Officer", "Probation Service"), ("Social Worker 1", "Children's Social Care")):
        await pilot.press("p")
        await _choose(pilot, 0)
        await _submit(pilot, role=role, agency=agency)
    await pilot.press("p")
    await _choose(pilot, 1)
    await _submit(pilot, role="Health Visitor", agency="Health", consult="a call with the lead reviewer")
    shown = _option_text(review, "meeting-list", 0)
    assert "First follow-on meeting · 2026-05-04" in shown and "First pack v1" in shown
    assert "Absent: Health Visitor (Health) — to be consulted by a call with the lead reviewer" in shown
    await _challenge(pilot, "episode the fax", 0, "Social Worker 1", "The form went on the Friday, not the Monday.")
    await _challenge(pilot, "episode the strategy", 1, "Probation Officer", "Probation was never invited.")
    await _challenge(pilot, "story", 3, "Health Visitor", "The health visitor saw the family in April too.")
    await _respond(pilot, "Friday, not the Monday", 0)
    await _respond(pilot, "never invited", 2, reason="The invitation list shows probation was sent one.")
    await _respond(pilot, "in April too", 3)
    listing = review.query_one("#meeting-list")
    listing.highlighted = _index(listing, "Friday, not the Monday")
    await pilot.press("t")
    await settle(pilot)
    log = challenge_log(pilot.app.store, case_id)
    assert [(c["about_kind"], c["kind"], c["outcome"], c["raiser_told"]) for c in log] == [
        ("episode", "correction", "accepted", 1), ("episode", "perspective", "not-accepted", 0),
        ("section", "new-information", "to-check", 0)]


async def _correct_the_card(pilot, fax: str) -> None:
    """The accepted correction made on the card, with its reason; the earlier words are kept."""
    await _tab(pilot, "tab-story")
    await _highlight(pilot, fax)
    await pilot.press("o")
    await pilot.pause()
    card = pilot.app.screen
    assert card.query_one("#card-what_happened").text == FIRST_WORDS
    await _type(pilot, "what_happened", CORRECTED)
    await fill(pilot, **{"card-reason": "Accepted at the first follow-on meeting"})
    await pilot.press("ctrl+s")
    await settle(pilot)
    assert isinstance(pilot.app.screen, ReviewScreen)


async def _findings(pilot, review, case_id: str) -> None:
    """Two findings in all six of SCIE's fields (F on the Findings tab), then the second moved up ([)."""
    await _tab(pilot, "tab-findings")
    listing = review.query_one("#finding-list")
    listing.focus()
    for finding in FINDINGS:
        await pilot.press("f")
        await pilot.pause()
        form = pilot.app.screen
        assert isinstance(form, FindingScreen)
        assert [str(label.render()) for label in form.query("Label")][1:7] == [t for _, t in FINDING_TITLES]
        form.query_one("#finding-typology").value = "pattern_crisis"
        for field, text in finding.items():
            form.query_one(f"#finding-{field}").text = text
        await pilot.pause()
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert pilot.app.screen is review
    listing.focus()
    listing.highlighted = _index(listing, FINDINGS[1]["statement"])
    await pilot.press("left_square_bracket")
    await settle(pilot)
    ranked = prioritised_findings(pilot.app.store, case_id)
    assert [f["statement"] for f in ranked] == [FINDINGS[1]["statement"], FINDINGS[0]["statement"]]
    assert all(ranked[n][k] == v for n, finding in enumerate(reversed(FINDINGS)) for k, v in finding.items())


async def _compare(pilot) -> str:
    await pilot.press("c")
    await _choose(pilot, 0)
    changes = str(pilot.app.screen.query_one("#report-reader-text").render())
    await pilot.press("escape")
    await pilot.pause()
    return changes


async def _write_report(pilot, tmp_path: Path) -> dict[str, Path]:
    written = {}
    for index, fmt in enumerate(("md", "docx")):
        out = tmp_path / f"report.{fmt}"
        await pilot.press("x")
        await _choose(pilot, index)
        await settle(pilot)
        # The note quoted in the report names someone: listed, and written once the lead says so.
        assert "Karen Whitfield (name" in pilot.app.screen.hint
        await _choose(pilot, 0)
        await settle(pilot)
        await _submit(pilot, path=str(out))
        assert _said(pilot.app)[-1] == f"Exported: {out}"
        written[fmt] = out
    return written


async def _export_the_case(pilot, review) -> dict[str, Path]:
    """X on the Episodes tab: the case as Markdown and as json, into exports/ beside the database."""
    await _tab(pilot, "tab-episodes")
    review.query_one("#case-episodes").focus()
    exports = Path(pilot.app.store.path).parent / "exports"
    files = {}
    for fmt in ("md", "json"):
        before = set(exports.glob("*"))
        await pilot.press("x")
        await pilot.pause()
        await _choose(pilot, ("md", "docx", "csv", "json", "qdpx").index(fmt))
        await settle(pilot)
        (files[fmt],) = [p for p in set(exports.glob("*")) - before if p.suffix == f".{fmt}"]
    return files


async def test_after_the_conversations_from_linked_episodes_to_a_signed_off_report(tmp_path):
    lead_db = tmp_path / "lead.db"
    app = make_app(lead_db)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await _merge(pilot, _pairs(tmp_path))
        case_id = list_cases(app.store)[0]["id"]
        await _case_group(pilot)
        await open_workspace(pilot)
        review = app.screen

        # Linking: each practitioner's moment of the fax becomes one key practice episode.
        await _link(pilot, review, ["Sending the fax", "The fax that never arrived"], "The fax")
        await _link(pilot, review, ["The strategy meeting"], "The strategy meeting")
        episodes = {e["title"]: e["id"] for e in case_episodes(app.store, case_id)}
        fax, strategy = episodes["The fax"], episodes["The strategy meeting"]

        # The story of the case: placed by date, both perspectives side by side, then the card.
        await _tab(pilot, "tab-story")
        await _place(pilot, strategy, "2026-03-02")
        await _place(pilot, fax, "2026-03-14")
        story = _story_text(review)
        fax_text = next(t for t in story if "The fax" in t and "2026-03-14" in t)
        assert "Sending the fax" in fax_text and "The fax that never arrived" in fax_text
        assert story.index(fax_text) > next(i for i, t in enumerate(story) if "The strategy meeting" in t)
        await _appraise(pilot, fax)
        await _draft(pilot, review)

        await _first_meeting(pilot, review, case_id)
        await _correct_the_card(pilot, fax)
        await _findings(pilot, review, case_id)
        await _draft(pilot, review)
        table = review.query_one("#report-versions")
        assert [v["number"] for v in report_versions(app.store, case_id)] == [1, 2] and table.cursor_row == 1
        changes = await _compare(pilot)
        assert "Appraisal of practice: changed" in changes and "Introduction: unchanged" in changes
        lines = [line.strip() for line in changes.splitlines()]
        assert f"− What happened: {FIRST_WORDS}" in lines and f"+ What happened: {CORRECTED}" in lines

        # The second meeting: a challenge about a finding, partly accepted.
        await _meeting(pilot, 1, "2026-06-01", pack="Second pack v1")
        await _challenge(pilot, "taken as received", 4, "Probation Officer", "Say that email is used too.")
        await _respond(pilot, "email is used too", 1, reason="Email is named where the records show it.")
        # The accuracy check: a meeting of its own, a correction against a report section, and each
        # member's check of version 2 recorded on the Report tab.
        await _meeting(pilot, 2, "2026-06-20")
        await _challenge(pilot, "methodology", 0, "Social Worker 1", "There were two conversations, not three.")
        await _respond(pilot, "two conversations, not three", 3)
        meetings = list_meetings(app.store, case_id)
        assert [m["kind"] for m in meetings] == ["first", "second", "accuracy"]
        assert challenge_log(app.store, case_id)[-1]["about_id"] == "methodology"

        await _tab(pilot, "tab-report")
        table.focus()
        table.move_cursor(row=1)
        for member in range(2):
            await pilot.press("a")
            await _choose(pilot, member)
            await _choose(pilot, 0)
        assert "2 confirmed" in str(table.get_row_at(1)[4])
        await pilot.press("s")
        await _submit(pilot, by="Safeguarding partners' chair")
        assert report_versions(app.store, case_id)[1]["signed_by"] == ["Safeguarding partners' chair"]
        written = await _write_report(pilot, tmp_path)

        case_files = await _export_the_case(pilot, review)
        saved = episode_card(app.store, app.structure, fax)
        assert saved["what_happened"] == CORRECTED and saved["appraisal"] == REWORDED

    _check_the_report(written)
    _check_the_case_exports(case_files)
    _check_the_command_line(lead_db, tmp_path)


def _check_the_report(written: dict[str, Path]) -> None:
    markdown = written["md"].read_text(encoding="utf-8")
    headings = [t.content for t in MarkdownIt().parse(markdown) if t.type == "inline"]
    word = WordDocument(written["docx"])
    word_text = "\n".join(p.text for p in word.paragraphs)
    word_headings = [p.text for p in word.paragraphs if p.style.name.startswith("Heading")]
    titles = [f"{n}. {t}" for n, t in enumerate(SECTION_TITLES.values(), start=1)]
    for text, shown in ((markdown, headings), (word_text, word_headings)):
        assert "Version 2 (signed off by Safeguarding partners' chair)" in text
        at = [next(i for i, h in enumerate(shown) if title in h) for title in titles]
        assert at == sorted(at)  # the six sections, in order
        assert CORRECTED in text and FIRST_WORDS not in text and REWORDED in text
        # Every finding's six fields, the finding moved up coming first.
        assert text.index(FINDINGS[1]["statement"]) < text.index(FINDINGS[0]["statement"])
        for finding in FINDINGS:
            for field, title in FINDING_TITLES:
                assert finding[field] in text
        for _, title in FINDING_TITLES:
            assert title in text


def _check_the_case_exports(files: dict[str, Path]) -> None:
    data = json.loads(files["json"].read_text(encoding="utf-8"))
    assert [m["kind"] for m in data["meetings"]] == ["first", "second", "accuracy"]
    assert [c["outcome"] for c in data["challenges"]] == ["accepted", "not-accepted", "to-check", "partly",
                                                          "to-check"]
    assert data["challenges"][1]["reason"] == "The invitation list shows probation was sent one."
    markdown = files["md"].read_text(encoding="utf-8")
    assert "Follow-on meetings" in markdown
    for words in ("The form went on the Friday, not the Monday.", "The invitation list shows probation was sent one.",
                  "Say that email is used too.", "There were two conversations, not three."):
        assert words in markdown


def _check_the_command_line(db: Path, tmp_path: Path) -> None:
    diff = ok(run_cli("report", "diff", "--case", CASE, "--from", "1", "--to", "2", db=db))
    assert "Appraisal of practice: changed" in diff and "Introduction: unchanged" in diff
    lines = [line.strip() for line in diff.splitlines()]  # a unified diff, section by section
    assert f"-- What happened: {FIRST_WORDS}" in lines and f"+- What happened: {CORRECTED}" in lines, diff

    pack = tmp_path / "first-pack.md"
    refused = run_cli("export", "--case", CASE, "--pack", "first", "--format", "md", "--out", str(pack), db=db)
    assert refused.returncode != 0 and not pack.exists()
    assert "Karen Whitfield" in refused.stdout and "possible name" in refused.stderr
    written = ok(run_cli("export", "--case", CASE, "--pack", "first", "--format", "md", "--out", str(pack),
                         "--accept-names", db=db))
    assert written.index("Karen Whitfield") < written.index("Wrote")
    text = pack.read_text(encoding="utf-8")
    assert "The story of the case" in text and "Episode cards" in text and CORRECTED in text
    assert FINDINGS[0]["statement"] not in text  # the first pack has no findings
