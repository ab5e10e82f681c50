"""The question coach on a labelled set of 160 questions: precision and recall per kind, with floors."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from assistant.coach import KINDS, classify, note_hints

LABELLED = Path(__file__).resolve().parent.parent / "data" / "coach_questions.tsv"
# Floors agreed for the coach: below these the coach misleads trainees more than it helps.
FLOORS = {"open": (0.85, 0.85), "closed": (0.85, 0.85), "leading": (0.85, 0.80), "multiple": (0.85, 0.85),
          "hindsight": (0.90, 0.85)}


def labelled():
    rows = []
    for line in LABELLED.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            kind, question = line.split("\t", 1)
            rows.append((kind, question))
    return rows


def scores(structure):
    rows = labelled()
    predicted = [(kind, classify(question, structure.coach).kind, question) for kind, question in rows]
    figures = {}
    for kind in KINDS:
        tp = sum(1 for truth, guess, _ in predicted if truth == kind and guess == kind)
        fp = sum(1 for truth, guess, _ in predicted if truth != kind and guess == kind)
        fn = sum(1 for truth, guess, _ in predicted if truth == kind and guess != kind)
        figures[kind] = {"n": tp + fn, "precision": tp / (tp + fp) if tp + fp else 0.0,
                         "recall": tp / (tp + fn) if tp + fn else 0.0}
    errors = [(t, g, q) for t, g, q in predicted if t != g]
    return figures, errors, len(rows)


def test_labelled_set_is_large_and_spans_every_kind():
    counts = Counter(kind for kind, _ in labelled())
    assert sum(counts.values()) >= 150
    assert set(counts) == set(KINDS) and min(counts.values()) >= 20


def test_precision_and_recall_per_kind(structure, capsys):
    figures, errors, total = scores(structure)
    report = [f"coach on {total} labelled questions:"]
    for kind, f in figures.items():
        report.append(f"  {kind:<10} n={f['n']:<3} precision {f['precision']:.2f}  recall {f['recall']:.2f}")
    for truth, guess, question in errors:
        report.append(f"  miss: {truth} read as {guess}: {question}")
    with capsys.disabled():
        print("\n" + "\n".join(report))
    for kind, (precision, recall) in FLOORS.items():
        assert figures[kind]["precision"] >= precision, (kind, figures[kind])
        assert figures[kind]["recall"] >= recall, (kind, figures[kind])


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


def test_coach_command_line(cli):
    result = cli("coach", "--json", "Why didn't you chase the referral?")
    data = json.loads(result.stdout)
    assert data["kind"] == "hindsight" and data["kinds"][0] == "hindsight"
    assert data["triggers"][0]["words"] == "why didn't you" and data["suggestion"]
    plain = cli("coach", "Tell me about the family.")
    assert plain.returncode == 0 and "open" in plain.stdout
