"""The question coach on labelled questions: a development set the rules are written from, and a held-out
test set they are never tuned on, with precision and recall per kind."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from assistant.coach import KINDS, classify, note_hints

DATA = Path(__file__).resolve().parent.parent / "data"
DEVELOPMENT = DATA / "coach_dev.tsv"
HELD_OUT = DATA / "coach_test.tsv"
# Below these the coach misleads trainees more than it helps.
TEST_FLOOR = 0.85


def labelled(path: Path) -> list[tuple[str, str, str]]:
    """(kind, voice, question) rows of a labelled file."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            kind, voice, question = line.split("\t", 2)
            rows.append((kind, voice, question))
    return rows


def scores(structure, path: Path):
    predicted = [(kind, classify(question, structure.coach).kind, question) for kind, _, question in labelled(path)]
    figures = {}
    for kind in KINDS:
        tp = sum(1 for truth, guess, _ in predicted if truth == kind and guess == kind)
        fp = sum(1 for truth, guess, _ in predicted if truth != kind and guess == kind)
        fn = sum(1 for truth, guess, _ in predicted if truth == kind and guess != kind)
        figures[kind] = {"n": tp + fn, "precision": tp / (tp + fp) if tp + fp else 0.0,
                         "recall": tp / (tp + fn) if tp + fn else 0.0}
    errors = [(t, g, q) for t, g, q in predicted if t != g]
    return figures, errors, len(predicted)


def _report(name: str, figures, errors, total, show_errors: bool) -> str:
    lines = [f"coach on the {name} ({total} questions):"]
    for kind, f in figures.items():
        lines.append(f"  {kind:<10} n={f['n']:<3} precision {f['precision']:.2f}  recall {f['recall']:.2f}")
    if show_errors:
        lines += [f"  miss: {truth} read as {guess}: {question}" for truth, guess, question in errors]
    return "\n".join(lines)


def test_labelled_sets_are_large_varied_and_separate():
    development, held_out = labelled(DEVELOPMENT), labelled(HELD_OUT)
    assert len(development) + len(held_out) >= 400
    for rows in (development, held_out):
        counts = Counter(kind for kind, _, _ in rows)
        assert set(counts) == set(KINDS) and min(counts.values()) >= 30
    assert len({voice for _, voice, _ in development + held_out}) >= 4
    seen = {q.lower() for _, _, q in development}
    assert not [q for _, _, q in held_out if q.lower() in seen]


def test_development_set(structure, capsys):
    figures, errors, total = scores(structure, DEVELOPMENT)
    with capsys.disabled():
        print("\n" + _report("development set", figures, errors, total, show_errors=True))
    for kind in KINDS:
        assert figures[kind]["precision"] >= 0.9 and figures[kind]["recall"] >= 0.9, (kind, figures[kind])


def test_held_out_test_set(structure, capsys):
    # Only the figures are printed, not the questions missed: the rules must not be tuned on this set.
    figures, errors, total = scores(structure, HELD_OUT)
    with capsys.disabled():
        print("\n" + _report("held-out test set", figures, errors, total, show_errors=False))
    for kind in KINDS:
        assert figures[kind]["precision"] >= TEST_FLOOR, (kind, figures[kind])
        assert figures[kind]["recall"] >= TEST_FLOOR, (kind, figures[kind])


@pytest.mark.parametrize("question,kind", [
    ("That sounds like a lot to carry. How did it feel?", "open"),
    ("Tell me about how concerns usually got to children's social care and what happened afterwards", "open"),
    ("It was a busy week, wasn't it?", "leading"),
    ("Did no one think to ask the school?", "hindsight"),
    ("How come the referral wasn't chased?", "hindsight"),
    ("Why wasn't the baby weighed?", "hindsight"),
    ("What did you see? Who did you tell?", "multiple"),
    ("What did you see and who did you tell?", "multiple"),
    # "missed" as a plain fact about attendance is not blame; missing signs, or "you missed", is.
    ("What was happening for you when the appointments were missed?", "open"),
    ("How did you hear about the missed visits?", "open"),
    ("You missed the signs of neglect, didn't you?", "hindsight"),
    ("What was it like when the signs were missed?", "hindsight"),
    ("What happened after you missed the appointment?", "hindsight"),
    # One polite request with "and" is one question; two questions joined by "and" are still two.
    ("Can you tell me about the family and how you came to know them?", "open"),
    ("Could you describe the house and what you noticed there?", "open"),
    ("Can you say what you saw and who did you tell?", "multiple"),
])
def test_shapes_of_new_wording(structure, question, kind):
    assert classify(question, structure.coach).kind == kind


@pytest.mark.parametrize("question,kind,trigger", [
    ("Why didn't you phone social care?", "hindsight", "why didn't you"),
    ("Wouldn't you agree the risk was high?", "leading", "wouldn't you agree"),
    ("What did you think and how did you feel?", "multiple", "and how"),
    ("Did you visit that week?", "closed", "did"),
    ("What was happening for you then?", "open", None),
])
def test_verdict_lists_triggers_and_suggests(structure, question, kind, trigger):
    verdict = classify(question, structure.coach)
    assert verdict.kind == kind
    if trigger:
        assert trigger in [t.words for t in verdict.triggers]
        assert verdict.suggestion
    else:
        assert verdict.suggestion == ""


def test_most_serious_kind_wins_and_all_are_listed(structure):
    verdict = classify("Surely you should have phoned, and why didn't you?", structure.coach)
    assert verdict.kind == "hindsight"
    assert verdict.kinds[0] == "hindsight" and "leading" in verdict.kinds


def test_note_hints_are_gentle(structure):
    assert note_hints(structure, "She said she should have phoned, looking back.")
    assert note_hints(structure, "She phoned the school on Monday.") == []
    assert note_hints(structure, "Two appointments were missed in March.") == []
    assert note_hints(structure, "He feels the signs were missed.")


def test_coach_command_line(cli):
    result = cli("coach", "--json", "Why didn't you chase the referral?")
    data = json.loads(result.stdout)
    assert data["kind"] == "hindsight" and data["kinds"][0] == "hindsight"
    assert data["triggers"][0]["words"] == "why didn't you" and data["suggestion"]
    plain = cli("coach", "Tell me about the family.")
    assert plain.returncode == 0 and "open" in plain.stdout
