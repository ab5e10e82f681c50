"""The questions the review will try to answer: a handful per case, set out before the conversations
(the Learning Together model uses them instead of terms of reference), and which findings answer them.

The report lists any question no finding answers (`unanswered_questions`).
"""

from __future__ import annotations

from typing import Any

from assistant.safe_text import clean_input
from assistant.store import Store, StoreError, checksum, new_id, now

# A handful: more than this is terms of reference by another name.
MAX_QUESTIONS = 12
MAX_QUESTION_CHARS = 1_000


class ReviewQuestionError(StoreError):
    """A request about the review's questions that cannot be carried out, in one sentence."""


def _question_text(text: str) -> str:
    text = " ".join(clean_input(text or "").text.split())
    if not text:
        raise ReviewQuestionError("A review question cannot be empty; type the question first.")
    if len(text) > MAX_QUESTION_CHARS:
        raise ReviewQuestionError(f"A review question can be at most {MAX_QUESTION_CHARS:,} characters.")
    return text


def get_question(store: Store, question_id: str) -> dict[str, Any]:
    row = store.one("SELECT * FROM review_questions WHERE id = ?", (question_id,))
    if row is None:
        raise ReviewQuestionError("There is no review question with that id; `question list` shows them.")
    return row


def add_question(store: Store, case_id: str, text: str, actor: str = "lead reviewer") -> str:
    """Add one of the review's questions to a case; returns its id."""
    text = _question_text(text)
    if store.one("SELECT 1 AS one FROM cases WHERE id = ?", (case_id,)) is None:
        raise ReviewQuestionError("There is no such case in this database; `case list` shows the cases.")
    count = store.scalar("SELECT COUNT(*) FROM review_questions WHERE case_id = ?", (case_id,))
    if count >= MAX_QUESTIONS:
        raise ReviewQuestionError(f"A review keeps to a handful of questions (at most {MAX_QUESTIONS}); "
                                  "combine or remove one first.")
    position = store.scalar("SELECT COALESCE(MAX(position), -1) + 1 FROM review_questions WHERE case_id = ?",
                            (case_id,))
    question_id = new_id()
    stamp = now()
    with store.write() as conn:
        conn.execute("INSERT INTO review_questions (id, case_id, position, text, created_at, updated_at)"
                     " VALUES (?, ?, ?, ?, ?, ?)", (question_id, case_id, position, text, stamp, stamp))
        store.event("create", "review_question", question_id, {"case": case_id, "checksum": checksum(text)}, actor)
    return question_id


def edit_question(store: Store, question_id: str, text: str, actor: str = "lead reviewer") -> None:
    old = get_question(store, question_id)
    text = _question_text(text)
    if text == old["text"]:
        return
    with store.write() as conn:
        conn.execute("UPDATE review_questions SET text = ?, updated_at = ? WHERE id = ?", (text, now(), question_id))
        store.event("edit", "review_question", question_id,
                    {"old": checksum(old["text"]), "new": checksum(text)}, actor)


def remove_question(store: Store, question_id: str, actor: str = "lead reviewer") -> None:
    """Remove a question, and with it the record of which findings answered it."""
    get_question(store, question_id)
    with store.write() as conn:
        unlinked = conn.execute("DELETE FROM finding_questions WHERE question_id = ?", (question_id,)).rowcount
        conn.execute("DELETE FROM review_questions WHERE id = ?", (question_id,))
        store.event("delete", "review_question", question_id, {"findings_unlinked": unlinked}, actor)


def list_questions(store: Store, case_id: str) -> list[dict[str, Any]]:
    """The case's questions in order, each with `findings`: the ids of the findings that answer it."""
    rows = store.query("SELECT * FROM review_questions WHERE case_id = ? ORDER BY position, rowid", (case_id,))
    links: dict[str, list[str]] = {}
    for link in store.query(
            "SELECT l.question_id, l.finding_id FROM finding_questions l JOIN review_questions q"
            " ON q.id = l.question_id WHERE q.case_id = ? ORDER BY l.rowid", (case_id,)):
        links.setdefault(link["question_id"], []).append(link["finding_id"])
    for number, row in enumerate(rows, start=1):
        row["number"] = number
        row["findings"] = links.get(row["id"], [])
    return rows


def unanswered_questions(store: Store, case_id: str) -> list[dict[str, Any]]:
    """The questions no finding says it answers, for the report to name."""
    return [q for q in list_questions(store, case_id) if not q["findings"]]


def _finding_and_question(store: Store, finding_id: str, question_id: str) -> None:
    question = get_question(store, question_id)
    finding = store.one("SELECT case_id FROM findings WHERE id = ?", (finding_id,))
    if finding is None:
        raise ReviewQuestionError("There is no finding with that id in this database.")
    if finding["case_id"] != question["case_id"]:
        raise ReviewQuestionError("A finding can only answer the questions of the same case.")


def link_finding(store: Store, finding_id: str, question_id: str, actor: str = "lead reviewer") -> None:
    """Record that a finding answers (part of) one of the review's questions."""
    _finding_and_question(store, finding_id, question_id)
    with store.write() as conn:
        added = conn.execute("INSERT OR IGNORE INTO finding_questions (finding_id, question_id, linked_at)"
                             " VALUES (?, ?, ?)", (finding_id, question_id, now())).rowcount
        if added:
            store.event("link", "finding_question", finding_id, {"question": question_id}, actor)


def unlink_finding(store: Store, finding_id: str, question_id: str, actor: str = "lead reviewer") -> None:
    _finding_and_question(store, finding_id, question_id)
    with store.write() as conn:
        removed = conn.execute("DELETE FROM finding_questions WHERE finding_id = ? AND question_id = ?",
                               (finding_id, question_id)).rowcount
        if removed:
            store.event("unlink", "finding_question", finding_id, {"question": question_id}, actor)


def questions_for_finding(store: Store, finding_id: str) -> list[dict[str, Any]]:
    """The review questions a finding answers, in the questions' order."""
    return store.query(
        "SELECT q.* FROM review_questions q JOIN finding_questions l ON l.question_id = q.id"
        " WHERE l.finding_id = ? ORDER BY q.position, q.rowid", (finding_id,))
