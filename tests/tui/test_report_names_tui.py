"""The Report tab's X lists text that may identify someone and writes the report only when the lead
says so, as `report export --accept-names` does. The real app through Textual's Pilot, a real SQLite file."""

from __future__ import annotations

from assistant.report import draft_report
from assistant.store import open_store
from assistant.story import edit_card
from assistant.structure import load_structure
from assistant.tui.screens.dialogs import Choice, TextPrompt
from tests.tui.helpers import make_app
from tests.tui.test_review import open_workspace, settle
from tests.tui.test_review_meetings import _case_with_findings, _choose, _said, _submit
from tests.tui.test_review_revisions import _tab
from tests.unit.test_report_names import SLIPPED


async def test_x_lists_the_names_and_writes_only_when_the_lead_says_so(tmp_path):
    db, case_id, fax, _ = _case_with_findings(tmp_path)
    store = open_store(db)
    edit_card(store, fax, what_happened=SLIPPED)
    draft_report(store, load_structure(), case_id)
    store.close()
    out = tmp_path / "report.md"
    app = make_app(db)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await open_workspace(pilot)
        await _tab(pilot, "tab-report")
        app.screen.query_one("#report-versions").focus()
        for answer in (1, 0):  # first put it off, then write it as it is
            await pilot.press("x")
            await _choose(pilot, 0)
            await settle(pilot)
            dialog = app.screen
            assert isinstance(dialog, Choice)
            for words in ("Jane Smith", "Dr Patel", "Riverside Children's Centre", "Leeds"):
                assert words in dialog.hint
            await _choose(pilot, answer)
            await settle(pilot)
            if answer == 1:
                assert not isinstance(app.screen, (Choice, TextPrompt)) and not out.exists()
        await _submit(pilot, path=str(out))
        assert _said(app)[-1] == f"Exported: {out}"
        assert "Jane Smith" in out.read_text()


async def test_drafting_says_which_cards_still_judge_with_hindsight(tmp_path):
    db, case_id, fax, _ = _case_with_findings(tmp_path)
    store = open_store(db)
    edit_card(store, fax, appraisal="The duty social worker should have chased the fax the same day.")
    title = store.one("SELECT title FROM case_episodes WHERE id = ?", (fax,))["title"]
    store.close()
    app = make_app(db)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await open_workspace(pilot)
        await _tab(pilot, "tab-report")
        app.screen.query_one("#report-versions").focus()
        await pilot.press("d")
        await settle(pilot)
        said = _said(app)[-1]
        assert said.startswith("Drafted version 1") and title in said and "should have" in said
