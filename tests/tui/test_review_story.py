"""The story of the case and the episode cards through Pilot, on a real merged two-pair database:
place episodes by date, read the timeline with every practitioner's perspective and the chronology
between episodes, mark where accounts differ, and appraise, explain and revise an episode's card."""

from __future__ import annotations

from assistant.cases import import_chronology, list_cases
from assistant.report import review_clock, set_review_dates
from assistant.review_questions import add_question
from assistant.store import open_store
from assistant.story import card_history, episode_card
from assistant.structure import load_structure
from assistant.tui.screens.dialogs import Choice, TagPicker
from assistant.tui.screens.review.episode_card import EpisodeCardScreen
from assistant.tui.screens.review.screen import ReviewScreen

from tests.tui.helpers import fill, make_app
from tests.tui.test_review import lead_database, open_workspace, settle
from tests.tui.test_review_revisions import _episodes_ready, _footer_keys, _tab


def _chronology(tmp_path, db):
    csv = tmp_path / "chronology.csv"
    csv.write_text("date,agency,summary,source\n"
                   "2026-03-10,Health,Health visitor home visit,HV record\n"
                   "2026-04-02,Police,Welfare check at the flat,Log 12\n")
    store = open_store(db)
    import_chronology(store, list_cases(store)[0]["reference"], csv)
    store.close()


def _story_text(screen) -> list[str]:
    options = screen.query_one("#story-list")
    return [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]


async def _highlight(pilot, episode_id):
    options = pilot.app.screen.query_one("#story-list")
    options.focus()
    options.highlighted = options.get_option_index(episode_id)
    await pilot.pause()


async def _place(pilot, episode_id, when):
    await _highlight(pilot, episode_id)
    await pilot.press("p")
    await pilot.pause()
    await fill(pilot, **{"field-when": when})
    await pilot.press("enter")
    await settle(pilot)


async def _type(pilot, field, text):
    area = pilot.app.screen.query_one(f"#card-{field}")
    area.text = text
    await pilot.pause()


def _shown(screen, widget_id) -> str:
    return str(screen.query_one(f"#{widget_id}").render())


async def test_story_timeline_accounts_differ_and_the_episode_card(tmp_path):
    db = lead_database(tmp_path)
    case_id, fax, meeting = _episodes_ready(db)
    _chronology(tmp_path, db)
    app = make_app(db)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_workspace(pilot)
        screen = app.screen
        await _tab(pilot, "tab-story")
        keys = _footer_keys(screen)
        assert keys["p"] == "Place" and keys["a"] == "Accounts differ" and keys["o"] == "Open card"
        assert "Not yet placed" in _story_text(screen)[0]

        await _place(pilot, fax, "2026-03-14")
        await _place(pilot, meeting, "2026-03-02")
        story = _story_text(screen)
        meeting_at = next(i for i, t in enumerate(story) if "The meeting" in t)
        visit_at = next(i for i, t in enumerate(story) if "Health visitor home visit" in t)
        fax_at = next(i for i, t in enumerate(story) if "The fax" in t and "2026-03-14" in t)
        welfare_at = next(i for i, t in enumerate(story) if "Welfare check" in t)
        assert meeting_at < visit_at < fax_at < welfare_at
        fax_text = story[fax_at]
        # Both practitioners' perspectives, by role and agency, in their own words.
        assert "Probation Officer (Probation Officer agency)" in fax_text and "Sending the fax" in fax_text
        assert "Social Worker 1 (Social Worker 1 agency)" in fax_text and "The fax that never arrived" in fax_text
        assert "I thought it was in hand." in fax_text

        await _highlight(pilot, fax)
        await pilot.press("a")
        await pilot.pause()
        await fill(pilot, **{"field-note": "Who was to send the form"})
        await pilot.press("enter")
        await settle(pilot)
        fax_text = next(t for t in _story_text(screen) if "2026-03-14" in t)
        assert "Accounts differ: Who was to send the form" in fax_text

        # The card: factors from the linked notes' tags; the hindsight check as the appraisal is typed.
        await _highlight(pilot, fax)
        await pilot.press("o")
        await pilot.pause()
        card = app.screen
        assert isinstance(card, EpisodeCardScreen)
        factors = _shown(card, "card-factors")
        assert "Conditions of work" in factors and "Inter-agency working" in factors
        assert "should have" not in _shown(card, "card-hindsight")
        await _type(pilot, "what_happened", "The form was faxed; it did not arrive.")
        await _type(pilot, "appraisal", "The social worker should have chased the form.")
        assert "should have" in _shown(card, "card-hindsight")
        card.query_one("#card-adequacy").value = "mixed"
        await pilot.pause()
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ReviewScreen)

        # Reopened: a change to earlier words needs a reason, and the earlier wording is kept.
        await _highlight(pilot, fax)
        await pilot.press("o")
        await pilot.pause()
        card = app.screen
        assert card.query_one("#card-appraisal").text == "The social worker should have chased the form."
        await _type(pilot, "appraisal", "Given what was known then, waiting for the form made sense.")
        assert "should have" not in _shown(card, "card-hindsight")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is card and "reason" in _shown(card, "card-error")
        await fill(pilot, **{"card-reason": "After the first follow-on meeting"})

        # Factors edited by picking from the structure's factors.
        await pilot.press("ctrl+t")
        await pilot.pause()
        picker = app.screen
        assert isinstance(picker, TagPicker)
        picker.query_one("#tag-list").ticked.discard("factor_conditions")
        picker.query_one("#tag-list").ticked.add("factor_organisation")
        await pilot.press("ctrl+s")
        await pilot.pause()
        factors = _shown(card, "card-factors")
        assert "Organisational culture" in factors and "Conditions of work" not in factors

        # Link one of the episode's notes to the explanation.
        await pilot.press("ctrl+l")
        await pilot.pause()
        choice = app.screen
        assert isinstance(choice, Choice)
        notes = choice.query_one("OptionList")
        index = next(i for i in range(notes.option_count)
                     if "did not know the other agency" in str(notes.get_option_at_index(i).prompt))
        notes.highlighted = index
        await pilot.press("enter")
        await pilot.pause()
        assert "did not know the other agency's role" in _shown(card, "card-notes")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ReviewScreen)

        # Esc with typed text asks first; going back keeps every word.
        await _highlight(pilot, fax)
        await pilot.press("o")
        await pilot.pause()
        card = app.screen
        await _type(pilot, "explanation", "Each agency believed the other had the form.")
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, Choice)
        await pilot.press("enter")  # the highlighted choice is going back to the card
        await pilot.pause()
        assert app.screen is card
        assert card.query_one("#card-explanation").text == "Each agency believed the other had the form."
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("escape")  # Esc on the question is going back too
        await pilot.pause()
        assert app.screen is card

    store = open_store(db)
    saved = episode_card(store, load_structure(), fax)
    assert saved["appraisal"] == "Given what was known then, waiting for the form made sense."
    assert saved["adequacy"] == "mixed" and saved["accounts_differ"] == "Who was to send the form"
    assert saved["factors_edited"] and "factor_organisation" in saved["factors"]
    assert "factor_conditions" not in saved["factors"]
    assert any("did not know the other agency" in n["body"] for n in saved["explanation_notes"])
    assert saved["explanation"] == ""  # the unsaved explanation was never written
    kept = [h for h in card_history(store, fax) if h["field"] == "appraisal"]
    assert kept[0]["old_value"] == "The social worker should have chased the form."
    assert kept[0]["reason"] == "After the first follow-on meeting"
    store.close()


async def test_a_wrong_date_is_one_sentence_and_accounts_differ_can_be_unmarked(tmp_path):
    db = lead_database(tmp_path)
    case_id, fax, meeting = _episodes_ready(db)
    app = make_app(db)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_workspace(pilot)
        await _tab(pilot, "tab-story")
        await _place(pilot, fax, "soon")  # not a date: one sentence in the dialog, what was typed kept
        assert "'soon' is not a date" in str(app.screen.query_one("#prompt-error").render())
        assert app.screen.query_one("#field-when").value == "soon"
        await pilot.press("escape")
        await pilot.pause()
        assert "Not yet placed" in _story_text(app.screen)[0]
        await _place(pilot, fax, "1")
        await _highlight(pilot, fax)
        await pilot.press("a")
        await pilot.pause()
        await fill(pilot, **{"field-note": "When the form was sent"})
        await pilot.press("enter")
        await settle(pilot)
        assert any("Accounts differ" in t for t in _story_text(app.screen))
        await _highlight(pilot, fax)
        await pilot.press("a")
        await pilot.pause()
        choice = app.screen.query_one("OptionList")
        choice.highlighted = next(i for i in range(choice.option_count)
                                  if "Unmark" in str(choice.get_option_at_index(i).prompt))
        await pilot.press("enter")
        await settle(pilot)
        assert not any("Accounts differ" in t for t in _story_text(app.screen))
        await _highlight(pilot, fax)
        await pilot.press("enter")  # Enter opens the card too; Esc with nothing typed simply closes it
        await pilot.pause()
        assert isinstance(app.screen, EpisodeCardScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ReviewScreen)


async def test_header_shows_the_questions_and_the_review_clock(tmp_path):
    db = lead_database(tmp_path)
    store = open_store(db)
    case = list_cases(store)[0]
    add_question(store, case["id"], "What helped or hindered sharing the referral?")
    add_question(store, case["id"], "How did agencies hear the mother's own account?")
    store.close()
    app = make_app(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_workspace(pilot)
        context = _shown(app.screen, "review-context")
        assert "1. What helped or hindered" in context
        assert "--started" in context  # no start date yet: how to set it
        await pilot.press("q")
        await pilot.pause()
        questions = str(app.screen.query_one("#questions-text").render())
        assert "2. How did agencies hear the mother's own account?" in questions
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ReviewScreen)
        await pilot.press("f1")
        await pilot.pause()
        keys = str(app.screen.query_one("#help-text").render())
        assert "Accounts differ" in keys and "Open card" in keys and "The review's questions" in keys
        assert "Episode card" in keys and "Link a note" in keys

    store = open_store(db)
    set_review_dates(store, case["id"], started="2026-03-02")
    store.close()
    app = make_app(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_workspace(pilot)
        context = _shown(app.screen, "review-context")
        clock = review_clock({"started_on": "2026-03-02"})
        assert f"rapid review {clock['rapid_review_by']}" in context and f"six months {clock['six_months']}" in context
        assert "days left" in context or "days past the six months" in context
