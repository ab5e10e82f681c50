"""The simulated practitioner and the debrief, on the shipped scenarios."""

from __future__ import annotations

import pytest

from assistant.cases import list_cases
from assistant.rehearsal import Rehearsal, debrief, debrief_document, respond, start_rehearsal
from assistant.exports.document import to_markdown
from assistant.structure import REHEARSALS_DIR, StructureError, list_scenarios, load_scenario


@pytest.fixture(scope="module")
def scenarios(structure):
    return {s.id: s for s in list_scenarios(structure)}


def test_both_required_scenarios_ship(scenarios):
    assert {"probation-fax", "health-visitor-housing"} <= set(scenarios)
    fax = scenarios["probation-fax"]
    assert "fax" in fax.summary and any("restructure" in f.text for f in fax.facts)
    housing = scenarios["health-visitor-housing"]
    assert any("appointment" in f.text for f in housing.facts)


def test_answers_depend_on_the_kind_of_question(structure, scenarios):
    fax = scenarios["probation-fax"]
    open_reply = respond(fax, structure, "Tell us about the family and your involvement.", "overview", None, set())
    closed_reply = respond(fax, structure, "Did you supervise Dad?", "overview", None, set())
    blaming = respond(fax, structure, "Why didn't you phone social care?", "overview", None, set())
    assert len(open_reply.answer) > 2 * len(closed_reply.answer)
    assert blaming.answer == fax.answer_for("overview").guarded
    assert open_reply.verdict.kind == "open" and blaming.verdict.kind == "hindsight"


def test_hidden_facts_need_an_open_question_on_the_topic(structure, scenarios):
    fax = scenarios["probation-fax"]
    closed = respond(fax, structure, "Did you send the fax?", "overview", None, set())
    assert closed.facts == ()
    opened = respond(fax, structure, "What happened after you sent the form?", "overview", None, set())
    assert "fax_number_changed" in opened.facts and "empty room" in opened.answer
    again = respond(fax, structure, "What happened after you sent the form?", "overview", None, {"fax_number_changed"})
    assert "fax_number_changed" not in again.facts


def test_per_moment_answers_come_from_the_moment(structure, scenarios):
    fax = scenarios["probation-fax"]
    reply = respond(fax, structure, "What was at the front of your mind then?", "mindset", 1, set())
    assert reply.answer.startswith(fax.moments[1].mindset)


def test_rehearsal_is_stored_as_rehearsal_and_kept_out_of_case_lists(store, structure, scenarios):
    conversation_id = start_rehearsal(store, structure, scenarios["probation-fax"])
    assert store.scalar("SELECT mode FROM conversations WHERE id = ?", (conversation_id,)) == "rehearsal"
    assert list_cases(store) == []


def test_debrief_counts_match_what_was_asked(store, structure, scenarios):
    scenario = scenarios["health-visitor-housing"]
    rehearsal = Rehearsal(store, structure, scenario, start_rehearsal(store, structure, scenario))
    rehearsal.conversation.walk.go_to("overview")
    rehearsal.ask("Tell us about the family and your involvement.")
    rehearsal.ask("What was your sense of the baby's clinic appointments then?")
    rehearsal.ask("Why didn't you check the clinic records?")
    rehearsal.ask("Did you visit after the move?")
    rehearsal.ask("What did Mum say and how did you respond?")
    rehearsal.conversation.notes.add("Mum disclosed abuse at four months.", ["words"])
    figures = debrief(rehearsal)
    assert figures["questions"] == 5
    assert figures["kinds"] == {"hindsight": 1, "leading": 0, "multiple": 1, "closed": 1, "open": 2}
    assert figures["facts_surfaced"] == ["missed_appointments"]
    assert "no_alert" in figures["facts_missed"]
    assert [f["kind"] for f in figures["flagged"]] == ["hindsight", "closed", "multiple"]
    assert "overview" in figures["sections_covered"]
    markdown = to_markdown(debrief_document(rehearsal))
    assert "REHEARSAL" in markdown and "Questions to practise again" in markdown


def test_broken_scenarios_are_located(tmp_path, structure):
    good = (REHEARSALS_DIR / "probation-fax.toml").read_text(encoding="utf-8")
    cases = {
        "unknown section": (good.replace('section = "queries"', 'section = "records"'), "unknown section 'records'"),
        "bad factor": (good.replace('factors = ["factor_role", "factor_conditions"]', 'factors = ["factor_luck"]'),
                       "'factor_luck' is not a contributory-factor tag"),
        "misspelt key": (good.replace("summary = ", "sumary = "), "sumary: unknown key"),
        "no facts": (good.split("[[facts]]")[0], "facts"),
    }
    for name, (text, expected) in cases.items():
        path = tmp_path / f"{name.replace(' ', '-')}.toml"
        path.write_text(text, encoding="utf-8")
        with pytest.raises(StructureError) as caught:
            load_scenario(path, structure)
        assert expected in str(caught.value), (name, str(caught.value))


def test_structure_check_validates_scenarios(cli, tmp_path):
    result = cli("structure", "check", *[str(p) for p in sorted(REHEARSALS_DIR.glob("*.toml"))])
    assert result.returncode == 0 and result.stdout.count("valid rehearsal") == 2
    bad = tmp_path / "bad.toml"
    bad.write_text((REHEARSALS_DIR / "probation-fax.toml").read_text().replace('kind = "rehearsal"\n', 'kind = "rehearsal"\nextra = 1\n'))
    failed = cli("structure", "check", str(bad))
    assert failed.returncode == 1 and "extra: unknown key" in failed.stderr
