"""Full-text search in one case costs what the case costs, not what the whole store costs: counted in
SQLite's own virtual-machine steps on a real database, so the check does not depend on the machine."""

from __future__ import annotations

from assistant.cases import list_cases
from assistant.demo import generate_demo
from assistant.review import search_notes
from assistant.store import open_store


def _steps(store, case_id, **filters) -> tuple[int, int]:
    """SQLite steps (in hundreds) spent on one search, and how many notes it found."""
    counted = [0]

    def count() -> int:
        counted[0] += 1
        return 0

    store.conn.set_progress_handler(count, 100)
    try:
        found = search_notes(store, case_id, **filters)
    finally:
        store.conn.set_progress_handler(None, 100)
    return counted[0], len(found)


def test_a_common_word_costs_about_as_much_as_listing_the_case(tmp_path, structure):
    store = open_store(tmp_path / "many.db")
    generate_demo(store, structure, cases=30, conversations=4, notes=60, seed=1)
    case_id = list_cases(store)[5]["id"]
    listing, every_note = _steps(store, case_id)
    searching, matches = _steps(store, case_id, text="a")
    # "a" prefixes words in most notes of all 30 cases: a search that walked every match in the store
    # would cost many times the case's own listing.
    assert 0 < matches < every_note
    assert searching <= 3 * listing, (searching, listing)
    store.close()
