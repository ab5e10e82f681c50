"""Revising a case in the review workspace, through Pilot as a lead reviewer would: findings edited
(earlier wording kept and shown), withdrawn with a reason, a half-written finding kept on Esc and offered
back; case episodes renamed, a moment unlinked, two episodes merged, one deleted; the cursor staying where
it was after a dialog and after a review state; comments marked in Notes, counted per conversation and
resolved with R; a checked record reopened with a reason; the case picker filtered by typing."""

from __future__ import annotations

import sqlite3

from assistant.cases import add_case, list_cases
from assistant.conversation import Conversation
from assistant.demo import generate_demo
from assistant.review import add_comment, add_finding, case_episodes, case_moments, create_case_episode, findings
from assistant.revisions import load_finding_draft
from assistant.store import open_store
from assistant.tui.screens.review import FindingScreen, ReviewScreen

from tests.tui.helpers import fill, make_app
from tests.tui.test_review import lead_database, open_workspace, settle


def _episodes_ready(db):
    """Two case episodes from the two pairs' moments, made with the real core."""
    store = open_store(db)
    case_id = list_cases(store)[0]["id"]
    moments = {m["title"]: m["id"] for m in case_moments(store, case_id)}
    fax = create_case_episode(store, case_id, "The fax", [moments["Sending the fax"],
                                                          moments["The fax that never arrived"]])
    meeting = create_case_episode(store, case_id, "The meeting", [moments["The strategy meeting"]])
    store.close()
    return case_id, fax, meeting


async def _tab(pilot, tab):
    pilot.app.screen.query_one("#review-tabs").active = tab
    await settle(pilot)


def _footer_keys(screen):
    return {key: b.binding.description for key, b in screen.active_bindings.items() if b.binding.show}


async def test_case_episodes_renamed_unlinked_merged_and_deleted(tmp_path):
    db = lead_database(tmp_path)
    case_id, fax, meeting = _episodes_ready(db)
    app = make_app(db)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_workspace(pilot)
        screen = app.screen
        await _tab(pilot, "tab-episodes")
        keys = _footer_keys(screen)
        assert keys["r"] == "Rename" and keys["u"] == "Unlink moment" and keys["m"] == "Merge" \
            and keys["d"] == "Delete"
        episodes = screen.query_one("#case-episodes")
        episodes.focus()
        episodes.highlighted = 0
        await pilot.press("r")
        await pilot.pause()
        await fill(pilot, **{"field-title": "The concern form by fax"})
        await pilot.press("enter")
        await settle(pilot)
        assert "The concern form by fax" in str(episodes.get_option_at_index(0).prompt)
        assert app.focused is episodes and episodes.highlighted == 0

        # Unlink the Social Worker's moment from the fax episode: asked first, the moment stays.
        moments = screen.query_one("#moments")
        moments.focus()
        moments.highlighted = next(i for i in range(moments.option_count)
                                   if "never arrived" in str(moments.get_option_at_index(i).prompt))
        place = moments.highlighted
        await pilot.press("u")
        await pilot.pause()
        assert "Unlink" in str(app.screen.query_one("#choices").get_option_at_index(0).prompt)
        await pilot.press("escape")
        await settle(pilot)
        assert len(case_episodes(app.store, case_id)[0:1]) == 1
        assert app.store.scalar("SELECT COUNT(*) FROM case_episode_links WHERE case_episode_id = ?", (fax,)) == 2
        await pilot.press("u")
        await pilot.pause()
        app.screen.query_one("#choices").highlighted = 0
        await pilot.press("enter")
        await settle(pilot)
        assert app.store.scalar("SELECT COUNT(*) FROM case_episode_links WHERE case_episode_id = ?", (fax,)) == 1
        assert len(case_moments(app.store, case_id)) == 3
        assert app.focused is moments and moments.highlighted == place
        assert "→" not in str(moments.get_option_at_index(place).prompt)

        # Merge the meeting into the fax episode, confirming.
        episodes.focus()
        episodes.highlighted = 1
        await pilot.press("m")
        await pilot.pause()
        await pilot.press("enter")  # the only other episode: the fax
        await pilot.pause()
        confirm = app.screen.query_one("#choices")
        assert "Merge" in str(confirm.get_option_at_index(0).prompt)
        confirm.highlighted = 0
        await pilot.press("enter")
        await settle(pilot)
        left = case_episodes(app.store, case_id)
        assert [(e["id"], e["title"], e["moments"]) for e in left] == [(fax, "The concern form by fax", 2)]

        # Delete it, confirming: the moments stay.
        episodes.highlighted = 0
        await pilot.press("d")
        await pilot.pause()
        app.screen.query_one("#choices").highlighted = 0
        await pilot.press("enter")
        await settle(pilot)
        assert case_episodes(app.store, case_id) == []
        assert len(case_moments(app.store, case_id)) == 3
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT old_value FROM revisions WHERE field = 'title'").fetchone() == ("The fax",)


async def test_findings_edited_with_history_withdrawn_and_a_draft_kept_on_escape(tmp_path, structure):
    db = lead_database(tmp_path)
    case_id, fax, meeting = _episodes_ready(db)
    store = open_store(db)
    add_finding(store, structure, case_id, "pattern_crisis", statement="Faxes are treated as delivered.",
                in_this_case="Each agency thought the other had it.", case_episode_ids=[fax])
    store.close()
    app = make_app(db)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_workspace(pilot)
        screen = app.screen
        await _tab(pilot, "tab-findings")
        keys = _footer_keys(screen)
        assert keys["e"] == "Edit finding" and keys["w"] == "Withdraw"
        listing = screen.query_one("#finding-list")
        listing.focus()
        await pilot.press("e")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, FindingScreen)
        assert form.query_one("#finding-statement").text == "Faxes are treated as delivered."
        form.query_one("#finding-statement").text = "Faxed referrals are assumed to have arrived."
        form.query_one("#finding-why_it_matters").text = "Referrals are lost without anyone knowing."
        await fill(pilot, **{"finding-reason": "Sharper wording after the meeting"})
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen
        shown = str(listing.get_option_at_index(0).prompt)
        assert "Faxed referrals are assumed to have arrived." in shown
        assert "Earlier wording" in shown and "Faxes are treated as delivered." in shown
        assert "Sharper wording after the meeting" in shown

        # Withdraw it with a reason: it stays listed, marked withdrawn, with the reason.
        await pilot.press("w")
        await pilot.pause()
        await fill(pilot, **{"field-reason": "Not borne out by the other accounts"})
        await pilot.press("enter")
        await settle(pilot)
        shown = str(listing.get_option_at_index(0).prompt)
        assert "WITHDRAWN" in shown and "Not borne out by the other accounts" in shown
        assert findings(app.store, case_id) == [] and len(findings(app.store, case_id, True)) == 1

        # A half-written finding survives Esc, is offered back, and is discarded when saved.
        await pilot.press("f")
        await pilot.pause()
        app.screen.query_one("#finding-statement").text = "Supervision is about deadlines"
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen
        assert load_finding_draft(app.store, case_id)["statement"] == "Supervision is about deadlines"
        await pilot.press("f")
        await pilot.pause()
        offer = app.screen.query_one("#choices")
        assert "half-written" in str(offer.get_option_at_index(0).prompt)
        offer.highlighted = 0
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen.query_one("#finding-statement").text == "Supervision is about deadlines"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert load_finding_draft(app.store, case_id) is None
        assert [f["statement"] for f in findings(app.store, case_id)] == ["Supervision is about deadlines"]


def _demo(tmp_path, structure, cases=1):
    db = tmp_path / "demo.db"
    store = open_store(db)
    generate_demo(store, structure, cases=cases, conversations=3, notes=20, seed=3)
    store.close()
    return db


async def test_review_state_keeps_the_cursor_on_its_row_and_the_next_press_changes_the_same_one(tmp_path, structure):
    db = _demo(tmp_path, structure)
    app = make_app(db)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_workspace(pilot)
        screen = app.screen
        await _tab(pilot, "tab-conversations")
        table = screen.query_one("#conversation-table")
        table.focus()
        await pilot.press("down")
        assert table.cursor_row == 1
        second = screen.conversations[1]["id"]
        await pilot.press("s")
        await settle(pilot)
        assert table.cursor_row == 1 and app.focused is table
        await pilot.press("s")
        await settle(pilot)
        assert table.cursor_row == 1 and app.focused is table
        states = {c["id"]: c["review_state"] for c in screen.conversations}
        assert states[second] == "reviewed"
        assert sorted(v for k, v in states.items() if k != second) == ["not_started", "not_started"]
        # After a dialog (a comment) the cursor and focus come back to the same row.
        await pilot.press("c")
        await pilot.pause()
        await fill(pilot, **{"field-comment": "Check the dates with the chronology"})
        await pilot.press("enter")
        await settle(pilot)
        assert table.cursor_row == 1 and app.focused is table


async def test_comments_marked_counted_and_resolved_with_r_and_a_record_reopened(tmp_path, structure):
    db = _demo(tmp_path, structure)
    store = open_store(db)
    case_id = list_cases(store)[0]["id"]
    conversations = store.query("SELECT id FROM conversations WHERE case_id = ? AND mode = 'live'"
                                " ORDER BY created_at, id", (case_id,))
    first = conversations[0]["id"]
    note = store.query("SELECT id, body FROM notes WHERE conversation_id = ? ORDER BY rowid", (first,))[0]
    add_comment(store, "note", note["id"], "Is this the practitioner's word?")
    add_comment(store, "conversation", first, "Ask the pair about the gap in March")
    Conversation(store, structure, first).set_status("checked")
    store.close()
    app = make_app(db)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_workspace(pilot)
        screen = app.screen
        await _tab(pilot, "tab-notes")
        results = screen.query_one("#note-results")
        marked = [str(results.get_option_at_index(i).prompt) for i in range(results.option_count)]
        assert sum("1 open comment" in m for m in marked) == 1
        assert next(m for m in marked if "1 open comment" in m).find(note["body"][:30]) >= 0

        await _tab(pilot, "tab-conversations")
        hint = str(screen.query_one("#conversations-hint").render())
        assert "R resolves" in hint
        table = screen.query_one("#conversation-table")
        assert str(table.get_cell_at((0, 5))) == "2"
        table.focus()
        await pilot.press("enter")
        await pilot.pause()
        dialog = app.screen
        assert "R resolves" in str(dialog.query_one(".hint").render())
        await pilot.press("r")
        await pilot.pause()
        assert str(dialog.query_one("#comment-list").get_option_at_index(0).prompt).startswith("✓")
        await pilot.press("escape")
        await settle(pilot)
        assert str(table.get_cell_at((0, 5))) == "1"
        assert app.focused is table and table.cursor_row == 0

        # Reopen the checked record with a reason.
        assert "checked" in str(table.get_cell_at((0, 2)))
        await pilot.press("o")
        await pilot.pause()
        await fill(pilot, **{"field-reason": "A role label needs correcting"})
        await pilot.press("enter")
        await settle(pilot)
        assert app.store.scalar("SELECT status FROM conversations WHERE id = ?", (first,)) == "in_progress"
        assert "in progress" in str(table.get_cell_at((0, 2)))
        assert app.store.scalar("SELECT reason FROM revisions WHERE entity = 'conversation' AND field = 'status'"
                                " AND entity_id = ?", (first,)) == "A role label needs correcting"


async def test_the_case_picker_filters_as_you_type(tmp_path, structure):
    db = tmp_path / "many.db"
    store = open_store(db)
    for number in range(500):
        add_case(store, f"CSPR-2026-{number:03d}", f"Family {number}")
    store.close()
    app = make_app(db)
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.press("v")
        await pilot.pause()
        choices = app.screen.query_one("#choices")
        # The first hundred are listed, with how many more typing would reach.
        assert choices.option_count == 101
        assert "400 more" in str(choices.get_option_at_index(100).prompt)
        await pilot.press(*"2026-41")
        await pilot.pause()
        assert choices.option_count == 10
        await pilot.press("down", "down")  # the arrows move through the list while the box keeps the focus
        assert choices.highlighted == 2 and app.screen.focused.id == "choice-filter"
        await pilot.press("backspace", *"17")
        await pilot.pause()
        assert choices.option_count == 1
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ReviewScreen) and app.screen.case["reference"] == "CSPR-2026-417"


async def test_two_conversations_with_one_role_label_are_told_apart(tmp_path):
    from tests.tui.test_review_snapshots import review_app

    app, case_id = review_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        app.push_screen(ReviewScreen(case_id))
        await settle(pilot)
        screen = app.screen
        coverage = screen.query_one("#coverage-table")
        headers = [str(column.label) for column in coverage.columns.values()][1:]
        assert len(set(headers)) == len(headers) == 5
        assert sum(h.endswith("· 4 Mar") for h in headers) == 1 and sum(h.endswith("· 18 Mar") for h in headers) == 1
        assert all(len(h) <= 20 for h in headers)  # the 170-character role label is cut, not the screen
        assert coverage.fixed_columns == 1
        await _tab(pilot, "tab-conversations")
        table = screen.query_one("#conversation-table")
        names = [str(table.get_cell_at((row, 0))) for row in range(table.row_count)]
        assert len(set(names)) == 5 and "Social Worker 1 · 4 Mar" in names and "Social Worker 1 · 18 Mar" in names
