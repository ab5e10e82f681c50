"""Counts said in words, as every screen, command and report says them."""

from assistant.words import counted, listed, plural


def test_counts_are_said_in_words_never_with_a_bracketed_s():
    assert counted(1, "note") == "1 note"
    assert counted(0, "note") == "0 notes"
    assert counted(3, "chronology entry") == "3 chronology entries"
    assert counted(2, "closing item") == "2 closing items"
    assert plural("day", 2) == "days" and plural("match", 2) == "matches" and plural("box", 3) == "boxes"
    assert plural("question", 1) == "question"


def test_lists_are_joined_as_a_sentence_would_join_them():
    assert listed([]) == "" and listed([2]) == "2"
    assert listed([2, 3]) == "2 and 3"
    assert listed(["1", "2", "4"]) == "1, 2 and 4"
    assert listed(["mine", "theirs"], "or") == "mine or theirs"
