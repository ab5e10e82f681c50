"""The lead reviewer's workspace through Pilot: link moments into an episode, read both accounts side by
side, filter and search notes, draft a finding, export."""

from __future__ import annotations

import sqlite3

from assistant.merge import merge_source
from assistant.store import open_store
from assistant.tui.screens.review import EpisodeScreen, FindingScreen, ReviewScreen
from assistant.tui.widgets.checklist import CheckList

from tests.tui.helpers import fill, make_app, work_done
from tests.unit.pairs import pair_database


def lead_database(tmp_path):
    a = pair_database(tmp_path / "a.db", "Probation Officer", ["Sending the fax", "The strategy meeting"])
    b = pair_database(tmp_path / "b.db", "Social Worker 1", ["The fax that never arrived"])
    pair_database(tmp_path / "b.db", "Rehearsal trainee", ["rehearsal moment"], rehearsal=True)
    db = tmp_path / "lead.db"
    store = open_store(db)
    merge_source(store, a["path"])
    merge_source(store, b["path"])
    store.close()
    return db


async def settle(pilot):
    """The workspace loads its data in a worker: wait for it, then for the screen to draw it."""
    await pilot.pause()
    await work_done(pilot.app)
    await pilot.pause(0.2)
    await work_done(pilot.app)
    await pilot.pause()


async def open_workspace(pilot):
    await pilot.press("v")
    await pilot.pause()
    await pilot.press("enter")
    await settle(pilot)
    assert isinstance(pilot.app.screen, ReviewScreen)


async def test_link_moments_read_accounts_search_and_draft_a_finding(tmp_path):
    db = lead_database(tmp_path)
    app = make_app(db)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_workspace(pilot)
        screen = app.screen
        screen.query_one("#review-tabs").active = "tab-episodes"
        await pilot.pause()
        moments = screen.query_one("#moments", CheckList)
        titles = [str(moments.get_option_at_index(i).prompt) for i in range(moments.option_count)]
        assert len(titles) == 3 and not any("rehearsal" in t for t in titles)
        moments.focus()
        for index, title in enumerate(titles):
            if "Sending the fax" in title or "never arrived" in title:
                moments.highlighted = index
                await pilot.press("space")
        await pilot.press("e")
        await pilot.pause()
        await fill(pilot, **{"field-title": "The concern form by fax"})
        await pilot.press("enter")
        await settle(pilot)
        episodes = screen.query_one("#case-episodes")
        assert "The concern form by fax" in str(episodes.get_option_at_index(0).prompt)
        episodes.focus()
        episodes.highlighted = 0
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, EpisodeScreen)
        accounts = [str(w.query_one("Static").render()) for w in app.screen.query(".account")]
        assert len(accounts) == 2
        assert "Probation Officer" in accounts[0] and "Sending the fax" in accounts[0]
        assert "Social Worker 1" in accounts[1] and "The fax that never arrived" in accounts[1]
        assert "Conditions of work" in accounts[0]
        await pilot.press("escape")
        await pilot.pause()

        screen.query_one("#review-tabs").active = "tab-notes"
        await pilot.pause()
        await fill(pilot, **{"note-search": "admin"})
        await work_done(app)
        await pilot.pause()
        assert screen.query_one("#note-results").option_count == 3
        screen.query_one("#filter-conversation").value = screen.conversations[1]["id"]
        await pilot.pause()
        await work_done(app)
        await pilot.pause()
        assert screen.query_one("#note-results").option_count == 1

        # F on the Episodes tab ticks the highlighted episode in the new finding.
        screen.query_one("#review-tabs").active = "tab-episodes"
        await pilot.pause()
        screen.query_one("#case-episodes").focus()
        screen.query_one("#case-episodes").highlighted = 0
        await pilot.press("f")
        await pilot.pause()
        assert isinstance(app.screen, FindingScreen)
        app.screen.query_one("#finding-typology").value = "pattern_crisis"
        for field, text in (("statement", "Faxed concerns are treated as delivered."),
                            ("in_this_case", "Each agency believed the other had the form."),
                            ("why_it_matters", "Referrals can be lost without anyone knowing.")):
            app.screen.query_one(f"#finding-{field}").text = text
        await pilot.pause()
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ReviewScreen)
        assert "Faxed concerns are treated as delivered." in str(
            screen.query_one("#finding-list").get_option_at_index(0).prompt)
        screen._export("md")
        await work_done(app)
    conn = sqlite3.connect(db)
    finding = conn.execute("SELECT typology_tag, statement FROM findings").fetchone()
    assert finding == ("pattern_crisis", "Faxed concerns are treated as delivered.")
    assert conn.execute("SELECT COUNT(*) FROM finding_links WHERE target_kind = 'case_episode'").fetchone()[0] == 1
    assert conn.execute("SELECT COUNT(*) FROM case_episode_links").fetchone()[0] == 2
    pack = (tmp_path / "exports" / "CSPR-2026-04-analysis.md").read_text()
    assert "The concern form by fax" in pack and "Faxed concerns are treated as delivered." in pack


async def test_merge_from_the_home_screen(tmp_path):
    a = pair_database(tmp_path / "a.db", "Probation Officer", ["Sending the fax"])
    app = make_app(tmp_path / "lead.db")
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.press("g")
        await pilot.pause()
        await fill(pilot, **{"field-paths": str(a["path"])})
        await pilot.press("enter", "enter")  # past the (empty) passphrase field
        await pilot.pause()
        await work_done(app)
        await pilot.pause()
        table = app.screen.query_one("#conversations")
        assert table.row_count == 1
