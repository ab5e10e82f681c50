"""The simulated practitioner and the debrief, on the shipped scenarios."""

from __future__ import annotations

import json

import pytest

from assistant.cases import list_cases
from assistant.rehearsal import Memory, PastTurn, Rehearsal, debrief, debrief_document, respond, start_rehearsal
from assistant.exports.document import to_markdown
from assistant.structure import REHEARSALS_DIR, StructureError, list_scenarios, load_scenario


@pytest.fixture(scope="module")
def scenarios(structure):
    return {s.id: s for s in list_scenarios(structure)}


def test_four_scenarios_ship_each_a_different_agency_and_pattern(scenarios):
    assert {"probation-fax", "health-visitor-housing", "school-dsl-thresholds", "paediatric-registrar-bruise"} \
        <= set(scenarios)
    assert len({s.practitioner.agency for s in scenarios.values()}) == len(scenarios)
    assert len({s.brief.pattern.split("(")[0] for s in scenarios.values()}) == len(scenarios)
    for scenario in scenarios.values():
        assert scenario.unknowns and scenario.raises and all(a.more for a in scenario.answers)
    fax = scenarios["probation-fax"]
    assert "fax" in fax.summary and any("restructure" in f.text for f in fax.facts)
    housing = scenarios["health-visitor-housing"]
    assert any("appointment" in f.text for f in housing.facts)


def test_answers_depend_on_the_kind_of_question(structure, scenarios):
    fax = scenarios["probation-fax"]
    open_reply = respond(fax, structure, "Tell us about the family and your involvement.", "overview", None)
    closed_reply = respond(fax, structure, "Did you supervise Dad?", "overview", None)
    blaming = respond(fax, structure, "Why didn't you phone social care?", "overview", None)
    assert len(open_reply.answer) > 2 * len(closed_reply.answer)
    assert blaming.answer == fax.answer_for("overview").guarded
    assert open_reply.verdict.kind == "open" and blaming.verdict.kind == "hindsight"


def test_hidden_facts_need_an_open_question_on_the_topic(structure, scenarios):
    fax = scenarios["probation-fax"]
    closed = respond(fax, structure, "Did you send the fax?", "overview", None)
    assert closed.facts == () and "empty room" not in closed.answer
    opened = respond(fax, structure, "What happened after you sent the form?", "overview", None)
    assert "fax_number_changed" in opened.facts and "empty room" in opened.answer
    memory = Memory((PastTurn("What happened after you sent the form?", "open", "overview", opened.answer,
                              opened.facts),))
    again = respond(fax, structure, "Where did the fax go after you sent it?", "overview", None, memory)
    assert again.facts == () and again.answer.startswith("As I said, ") and "empty room" in again.answer


def test_per_moment_answers_come_from_the_moment(structure, scenarios):
    fax = scenarios["probation-fax"]
    reply = respond(fax, structure, "What was at the front of your mind then?", "mindset", 1)
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
    assert result.returncode == 0
    assert result.stdout.count("valid rehearsal") == len(list(REHEARSALS_DIR.glob("*.toml"))) >= 2
    bad = tmp_path / "bad.toml"
    bad.write_text((REHEARSALS_DIR / "probation-fax.toml").read_text().replace('kind = "rehearsal"\n', 'kind = "rehearsal"\nextra = 1\n'))
    failed = cli("structure", "check", str(bad))
    assert failed.returncode == 1 and "extra: unknown key" in failed.stderr


def _conversation(scenario, structure, section, questions, episode=None):
    """Ask each question in turn at one section, remembering as the stored rehearsal does."""
    memory, replies = Memory(), []
    for question in questions:
        reply = respond(scenario, structure, question, section, episode, memory)
        replies.append(reply)
        memory = Memory(memory.turns + (PastTurn(question, reply.verdict.kind, section, reply.answer, reply.facts),))
    return replies, memory


def test_the_practitioner_answers_the_question_not_the_section(structure, scenarios):
    fax = scenarios["probation-fax"]
    reply = respond(fax, structure, "Can you tell me about what was happening for you when you sent the form?",
                    "introduction", None)
    assert reply.facts == ("fax_number_changed",) and "terrified" not in reply.answer


def test_no_answer_comes_twice_in_a_row_and_repeats_are_remembered(structure, scenarios):
    housing = scenarios["health-visitor-housing"]
    questions = ["What was that like for you?", "How did it feel?", "What else was going on?",
                 "What was that like for you?", "Yes.", "Yes.", "Did you understand?", "Did you understand?"]
    replies, _ = _conversation(housing, structure, "introduction", questions)
    answers = [r.answer for r in replies]
    assert all(a != b for a, b in zip(answers, answers[1:])), answers
    assert answers[3].startswith("As I said, ")


def test_blame_lowers_trust_and_low_trust_shortens_answers(structure, scenarios):
    fax = scenarios["probation-fax"]
    open_answer = fax.answer_for("overview").open
    replies, memory = _conversation(fax, structure, "overview", [
        "Why didn't you phone social care?", "Why wasn't the form chased?", "What was going on for you then?"])
    assert [r.trust for r in replies] == [0, 0, 1]
    assert replies[0].answer == fax.answer_for("overview").guarded
    assert replies[2].answer == fax.answer_for("overview").closed and replies[2].answer != open_answer


def test_facts_that_need_trust_wait_for_it(structure, scenarios):
    fax = scenarios["probation-fax"]
    cold, _ = _conversation(fax, structure, "influences", [
        "You must have had a huge caseload?", "Why didn't you ask for help?", "What was your caseload like?"], 0)
    assert "caseload" not in [f for r in cold for f in r.facts]
    warm, _ = _conversation(fax, structure, "influences", ["What was your caseload like?"], 0)
    assert warm[0].facts == ("caseload",) and "forty cases" in warm[0].answer


def test_the_practitioner_raises_something_once_trust_has_grown(structure, scenarios):
    fax = scenarios["probation-fax"]
    replies, _ = _conversation(fax, structure, "overview", [
        "That sounds like a lot to carry. How did it feel?", "What was it like supervising Dad?",
        "What else was going on?", "What happened next?"])
    raised = [r.answer for r in replies if "I keep going back to the word 'again'" in r.answer]
    assert len(raised) == 1 and replies[1].answer.endswith("the whole of my job.")
    assert not replies[2].answer.startswith(replies[1].answer[:40])  # what came with the raise is not said again


def test_honest_i_dont_know_for_what_they_could_not_have_known(structure, scenarios):
    fax = scenarios["probation-fax"]
    reply = respond(fax, structure, "How are the children now?", "overview", None)
    assert reply.answer.startswith("I don't know") and reply.facts == ()
    reply = respond(fax, structure, "What did you make of the new number?", "queries", None)
    assert "don't know" in reply.answer and reply.facts == ()


def test_closed_question_on_a_fact_gets_a_brief_answer_without_it(structure, scenarios):
    housing = scenarios["health-visitor-housing"]
    reply = respond(housing, structure, "Did the baby miss clinic appointments?", "overview", None)
    assert reply.facts == () and reply.answer == "I didn't know about the appointments then."


def test_a_format_one_scenario_is_refused_with_one_sentence(tmp_path, structure):
    old = (REHEARSALS_DIR / "probation-fax.toml").read_text(encoding="utf-8").replace("format = 2\n", "")
    path = tmp_path / "old.toml"
    path.write_text(old, encoding="utf-8")
    with pytest.raises(StructureError) as caught:
        load_scenario(path, structure)
    assert "format-1 scenario" in str(caught.value)


def test_a_fact_in_an_unknown_section_is_located(tmp_path, structure):
    text = (REHEARSALS_DIR / "probation-fax.toml").read_text(encoding="utf-8").replace(
        'id = "caseload"\nsection = "influences"', 'id = "caseload"\nsection = "workload"')
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(StructureError) as caught:
        load_scenario(path, structure)
    assert "facts 'caseload': unknown section 'workload'" in str(caught.value)


def test_debrief_counts_a_prompt_asked_in_its_own_words_and_trust_over_time(store, structure, scenarios):
    scenario = scenarios["probation-fax"]
    rehearsal = Rehearsal(store, structure, scenario, start_rehearsal(store, structure, scenario))
    rehearsal.conversation.walk.go_to("overview")
    rehearsal.ask("Tell us about the family and your involvement with them, from when you first met them.")
    rehearsal.ask("So what part did you play as things developed?")
    rehearsal.ask("Why didn't you phone?")
    figures = debrief(rehearsal)
    assert figures["prompts_covered"] == 2 and figures["prompts_total"] == 25
    assert figures["prompts_asked"] == ["overview.own_story", "overview.part_played"]
    assert figures["trust"]["after_each_question"] == [3, 4, 2]
    assert "did_not_know_role" in figures["facts_missed"]


def test_rehearse_command_line_json(cli):
    questions = "\n".join([
        "# a trainer's script", "Can you tell me about what was happening for you when you sent the form?",
        "[overview]", "Tell us about the family and your involvement with them, from when you first met them.",
        "Did no one think to ring social care?", "What happened when you didn't hear back?", ""])
    result = cli("rehearse", "--scenario", "probation-fax", "--json", input=questions)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data) >= {"turns", "debrief"} and len(data["turns"]) == 4
    first, _, blame, chase = data["turns"]
    assert first["section"] == "introduction" and [f["id"] for f in first["facts"]] == ["fax_number_changed"]
    assert blame["kind"] == "hindsight" and blame["suggestion"] and blame["trust"] < data["turns"][1]["trust"]
    assert [f["id"] for f in chase["facts"]] == ["no_acknowledgement"]
    figures = data["debrief"]
    assert figures["questions"] == 4 and "overview.own_story" in figures["prompts_asked"]
    assert figures["facts_surfaced"] == ["fax_number_changed", "no_acknowledgement"]
    assert len(figures["trust"]["after_each_question"]) == 4 and figures["flagged"][0]["kind"] == "hindsight"


def test_rehearse_command_line_text_and_errors(cli):
    result = cli("rehearse", "--scenario", "health-visitor-housing",
                 input="[overview]\nWhat do you remember about the baby's clinic appointments?\n")
    assert result.returncode == 0, result.stderr
    assert "three weigh-in appointments" in result.stdout and "(fact surfaced: missed_appointments)" in result.stdout
    assert "Debrief:" in result.stdout and "Trust: 2 → 3" in result.stdout
    unknown = cli("rehearse", "--scenario", "nobody-here", input="What happened?\n")
    assert unknown.returncode == 1 and "no rehearsal scenario 'nobody-here'" in unknown.stderr
    assert "Traceback" not in unknown.stderr
    section = cli("rehearse", "--scenario", "probation-fax", input="[records]\nWhat happened?\n")
    assert section.returncode == 1 and "no section 'records'" in section.stderr


def test_structure_show_scenario_and_brief(cli):
    page = cli("structure", "show", "--scenario", "probation-fax")
    assert page.returncode == 0 and "REHEARSAL" in page.stdout and "empty room" not in page.stdout
    brief = cli("structure", "show", "--scenario", "probation-fax", "--brief")
    assert brief.returncode == 0 and "Role-player's brief" in brief.stdout
    assert "empty room" in brief.stdout and "The pattern underneath" in brief.stdout
    alone = cli("structure", "show", "--brief")
    assert alone.returncode != 0 and "--brief needs --scenario" in alone.stderr
