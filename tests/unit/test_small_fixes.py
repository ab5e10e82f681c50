"""Small fixes the lead reviewer asked for, through the real command line on a real SQLite file:
impossible meeting dates and times refused, merge summaries in good English that report only what this
merge newly set aside."""

from __future__ import annotations

import pytest

from assistant.conversation import Conversation
from assistant.merge import handover
from assistant.store import open_store
from assistant.structure import load_structure

from tests.unit.cli_results import digest, ok, refused
from tests.unit.pairs import pair_database


def _member(cli, db) -> str:
    ok(cli("case", "add", "--ref", "CSPR-1", "--label", "Family A", db=db))
    return ok(cli("group", "add", "--case", "CSPR-1", "--role", "Health Visitor 1", db=db))


@pytest.mark.parametrize("option, value, words", [
    ("--date", "2026-02-30", "not a date that exists"),
    ("--date", "31 April", "not a date that exists"),
    ("--date", "Friday 30 February 2026", "not a date that exists"),
    ("--time", "25:99", "not a time of day"),
    ("--time", "13pm", "not a time of day"),
    ("--time", "half ten", "not a time of day"),
])
def test_an_impossible_date_or_time_is_refused_and_nothing_changes(cli, tmp_path, option, value, words):
    db = tmp_path / "lt.db"
    member = _member(cli, db)
    before = digest(db)
    refused(cli("group", "arrange", member, option, value, "--place", "Room 2", db=db), words)
    assert digest(db) == before


@pytest.mark.parametrize("when, at", [("2026-03-03", "10:00"), ("Tuesday 3 March", "9:30"),
                                      ("29 February", "2:30pm"), ("2028-02-29", "10am"), ("", "")])
def test_real_dates_and_times_are_kept_as_written_for_the_letter(cli, tmp_path, when, at):
    db = tmp_path / "lt.db"
    member = _member(cli, db)
    ok(cli("group", "arrange", member, "--date", when, "--time", at, "--place", "Room 2", db=db))
    letter = tmp_path / "letter.md"
    ok(cli("letter", "--member", member, "--format", "md", "--out", str(letter), db=db))
    text = letter.read_text()
    assert all(part in text for part in (when, at, "Room 2"))


def _hand_over(pair, name):
    store = open_store(pair["path"])
    target = pair["path"].with_name(name)
    handover(store, target)
    store.close()
    return target


def test_merge_summary_counts_in_words_and_reports_only_new_conflicts(cli, tmp_path):
    pair = pair_database(tmp_path / "pair1.db", "Health Visitor", ["The home visit", "The missed appointment"])
    lead_path = tmp_path / "lead.db"
    first = ok(cli("merge", str(_hand_over(pair, "pair1.handover.db")), db=lead_path))
    assert "rows added" in first
    lead = open_store(lead_path)
    Conversation(lead, load_structure(), pair["conversation_id"], actor="lead reviewer").set_status("ended")
    lead.close()
    store = open_store(pair["path"])
    c = Conversation(store, load_structure(), pair["conversation_id"], actor="pair")
    c.moments.rename(pair["episodes"][1], "The appointment missed in May")
    c.set_status("ended")
    c.set_status("sent_for_checking")
    store.close()
    second_copy = _hand_over(pair, "pair1-v2.db")
    second = ok(cli("merge", str(second_copy), db=lead_path))
    assert "1 row updated" in second and "1 rows" not in second
    assert "1 set aside as conflicts" in second
    again = ok(cli("merge", str(second_copy), db=lead_path))
    assert "0 rows added" in again and "set aside" not in again
    assert "merge conflicts" not in again
    listed = ok(cli("merge", "conflicts", db=lead_path))
    assert "Health Visitor's conversation: status" in listed
