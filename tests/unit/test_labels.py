"""Each conversation of a case has a label no other conversation of the case shares: the role label,
with a mark (the date it was held, the interviewers, or a short id) only where the role is shared, and
shortened with an ellipsis to the width given without two labels becoming one."""

from __future__ import annotations

from assistant.conversation import create_conversation
from assistant.labels import conversation_labels
from assistant.review import live_conversations
from assistant.short_ids import short_id


def _add(store, structure, case_id, role, lead="Reviewer A", second="Reviewer B", agency=""):
    return create_conversation(store, structure, case_id=case_id, practitioner_role=role, agency=agency,
                               lead_interviewer=lead, second_interviewer=second)


def _set_start(store, conversation_id, stamp):
    with store.write() as conn:
        conn.execute("UPDATE conversations SET created_at = ?, utc_offset = '+00:00' WHERE id = ?",
                     (stamp, conversation_id))


def test_a_role_used_once_keeps_its_plain_label(store, structure, case_id):
    health = _add(store, structure, case_id, "Health Visitor")
    probation = _add(store, structure, case_id, "Probation Officer", agency="Probation Service")
    labels = conversation_labels(live_conversations(store, case_id))
    assert labels == {health: "Health Visitor", probation: "Probation Officer"}
    with_agency = conversation_labels(live_conversations(store, case_id), with_agency=True)
    assert with_agency[probation] == "Probation Officer (Probation Service)"


def test_a_shared_role_held_on_different_days_is_told_apart_by_the_date(store, structure, case_id):
    first = _add(store, structure, case_id, "Social Worker 1")
    second = _add(store, structure, case_id, "Social Worker 1")
    other = _add(store, structure, case_id, "GP")
    _set_start(store, first, "2026-03-04T10:00:00+00:00")
    _set_start(store, second, "2026-03-18T10:00:00+00:00")
    labels = conversation_labels(live_conversations(store, case_id))
    assert labels[first] == "Social Worker 1 · 4 Mar"
    assert labels[second] == "Social Worker 1 · 18 Mar"
    assert labels[other] == "GP"


def test_the_same_day_falls_back_to_the_interviewers_then_to_the_short_id(store, structure, case_id):
    first = _add(store, structure, case_id, "Social Worker 1", lead="Reviewer A", second="Reviewer B")
    second = _add(store, structure, case_id, "Social Worker 1", lead="Reviewer C", second="Reviewer D")
    labels = conversation_labels(live_conversations(store, case_id))
    assert labels[first] == "Social Worker 1 · Reviewer A & Reviewer B"
    assert labels[second] == "Social Worker 1 · Reviewer C & Reviewer D"
    twin = _add(store, structure, case_id, "Health Visitor")
    twin_again = _add(store, structure, case_id, "Health Visitor")
    labels = conversation_labels(live_conversations(store, case_id))
    assert labels[twin] == f"Health Visitor · {short_id(twin)}"
    assert labels[twin_again] == f"Health Visitor · {short_id(twin_again)}"


def test_long_labels_are_shortened_with_an_ellipsis_and_stay_distinct(store, structure, case_id):
    stem = "Designated Safeguarding Lead for the Primary School " * 4
    one = _add(store, structure, case_id, stem + "North")
    two = _add(store, structure, case_id, stem + "South")
    short = _add(store, structure, case_id, "GP")
    labels = conversation_labels(live_conversations(store, case_id), width=24)
    assert all(len(label) <= 24 for label in labels.values())
    assert labels[short] == "GP"
    assert labels[one].startswith("Designated Safeguarding") or "…" in labels[one]
    assert "…" in labels[one] and "…" in labels[two]
    assert len(set(labels.values())) == 3
    assert short_id(one) in labels[one] and short_id(two) in labels[two]


def test_every_label_of_many_similar_conversations_is_distinct(store, structure, case_id):
    ids = [_add(store, structure, case_id, "Social Worker 1") for _ in range(6)]
    labels = conversation_labels(live_conversations(store, case_id), width=20)
    assert len({labels[i] for i in ids}) == 6
    assert all(len(labels[i]) <= 20 for i in ids)


def test_the_packs_and_the_json_name_each_conversation_distinctly(store, structure, case_id, tmp_path):
    import json

    from assistant.conversation import Conversation
    from assistant.exports.case import export_case

    first = _add(store, structure, case_id, "Social Worker 1", agency="Children's Social Care")
    second = _add(store, structure, case_id, "Social Worker 1", agency="Children's Social Care")
    _set_start(store, first, "2026-03-04T10:00:00+00:00")
    _set_start(store, second, "2026-03-18T10:00:00+00:00")
    for conversation_id, words in ((first, "The first worker's own account."), (second, "The second worker's.")):
        Conversation(store, structure, conversation_id).notes.add(words, ["words"], section_id="overview")
    export_case(store, structure, "CSPR-2026-04", "md", tmp_path / "pack.md")
    export_case(store, structure, "CSPR-2026-04", "json", tmp_path / "case.json")
    pack = (tmp_path / "pack.md").read_text()
    role = "Social Worker 1 (Children's Social Care)"
    one, two = f"{role} · 4 Mar", f"{role} · 18 Mar"
    assert f"### {one}\n" in pack and f"### {two}\n" in pack
    assert pack.index(f"### {one}") < pack.index("The first worker's own account.") < pack.index(f"### {two}")
    coverage_header = next(line for line in pack.splitlines() if line.startswith("| Section | Prompt"))
    assert one in coverage_header and two in coverage_header
    data = json.loads((tmp_path / "case.json").read_text())
    assert [c["label"] for c in data["conversations"]] == [one, two]
