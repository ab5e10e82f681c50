"""Home and the new-conversation form: finished words, states without colour, many and similar things kept
apart, and the case-group member the conversation is with."""

from __future__ import annotations

import pytest

from assistant.casegroup import add_member, get_member
from assistant.cases import add_case
from assistant.conversation import list_conversations
from assistant.short_ids import short_id
from assistant.store import open_store
from assistant.structure import load_structure
from assistant.tui.screens.conversation import ConversationScreen
from assistant.tui.screens.new_conversation import NewConversationScreen
from assistant.workflows import start_conversation

from tests.tui.helpers import fill, make_app


def _case_with_conversations(db, *roles: str) -> str:
    store = open_store(db)
    case_id = add_case(store, "CSPR-2026-09", "Family J")
    for role in roles:
        start_conversation(store, load_structure(), case_id, practitioner_role=role)
    store.close()
    return case_id


def _intro(app) -> str:
    return str(app.screen.query_one("#home-intro").render())


async def test_home_counts_read_as_words_and_the_hint_names_this_database(tmp_path):
    db = tmp_path / "team one.db"
    _case_with_conversations(db, "Health Visitor")
    app = make_app(db)
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.pause()
        intro = _intro(app)
        assert "1 case, 1 conversation, 1 in progress" in intro
        assert "(s)" not in intro and "`" not in intro
        # The command works as shown: this file is not the default database, so --db names it.
        assert f"learning-together --db '{db}' encrypt" in intro


async def test_plural_counts(tmp_path):
    db = tmp_path / "lt.db"
    _case_with_conversations(db, "Health Visitor", "Social Worker 1")
    store = open_store(db)
    add_case(store, "CSPR-2026-10", "Family K")
    store.close()
    app = make_app(db)
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.pause()
        assert "2 cases, 2 conversations, 2 in progress" in _intro(app)


@pytest.mark.parametrize("no_color", [False, True], ids=["colour", "no-colour"])
async def test_the_form_shows_its_choices_in_words_in_colour_and_without(tmp_path, monkeypatch, no_color):
    """A ticked box and the chosen consent differ from the others in words, not by colour alone."""
    if no_color:
        monkeypatch.setenv("NO_COLOR", "1")
    app = make_app(tmp_path / "lt.db")
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.press("n")
        await pilot.pause()
        records = app.screen.query_one("#records")
        assert str(records.label).endswith("— no")
        assert str(app.screen.query_one("#consent-not_recorded").label).startswith("(chosen)")
        assert not str(app.screen.query_one("#consent-yes").label).startswith("(chosen)")
        records.value = True
        app.screen.query_one("#consent-yes").value = True
        await pilot.pause()
        assert str(records.label).endswith("— yes")
        assert str(app.screen.query_one("#consent-yes").label).startswith("(chosen)")
        assert not str(app.screen.query_one("#consent-not_recorded").label).startswith("(chosen)")


async def test_a_role_label_already_used_in_the_case_is_warned_of_and_may_be_kept(tmp_path):
    db = tmp_path / "lt.db"
    case_id = _case_with_conversations(db, "Social Worker")
    app = make_app(db)
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.press("n")
        await pilot.pause()
        await fill(pilot, case=case_id, role="social worker")
        warning = str(app.screen.query_one("#role-warning").render())
        assert "already" in warning and "Social Worker 2" in warning
        assert isinstance(app.screen, NewConversationScreen)  # the form stays open
        await fill(pilot, role="Social Worker 2")
        assert str(app.screen.query_one("#role-warning").render()) == ""
        await fill(pilot, role="Social Worker")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ConversationScreen)  # the user may keep it
    store = open_store(db)
    assert [c["practitioner_role"] for c in list_conversations(store, case_id)].count("Social Worker") == 2
    store.close()


async def test_home_tells_two_conversations_with_one_role_label_apart(tmp_path):
    db = tmp_path / "lt.db"
    case_id = _case_with_conversations(db, "Social Worker", "Social Worker", "Health Visitor")
    store = open_store(db)
    ids = {c["id"] for c in list_conversations(store, case_id) if c["practitioner_role"] == "Social Worker"}
    store.close()
    app = make_app(db)
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.pause()
        table = app.screen.query_one("#conversations")
        practitioners = [str(table.get_row_at(i)[2]) for i in range(table.row_count)]
        assert sorted(p for p in practitioners if p.startswith("Social Worker")) == sorted(
            f"Social Worker · {short_id(i)}" for i in ids)
        assert "Health Visitor" in practitioners


async def test_a_very_long_role_label_leaves_room_for_the_other_columns(tmp_path):
    db = tmp_path / "lt.db"
    _case_with_conversations(db, "Designated Safeguarding Lead " * 7)
    app = make_app(db)
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.pause()
        table = app.screen.query_one("#conversations")
        assert sum(column.get_render_width(table) for column in table.columns.values()) <= 100
        assert str(table.get_row_at(0)[2]).endswith("…")


async def test_with_500_cases_typing_narrows_the_list(tmp_path):
    db = tmp_path / "lt.db"
    store = open_store(db)
    for number in range(500):
        add_case(store, f"CSPR-2026-{number:03d}", f"Family {number}")
    store.close()
    app = make_app(db)
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.pause()
        table = app.screen.query_one("#conversations")
        assert table.row_count == 500
        assert app.screen.query_one("#home-filter").display
        await pilot.press("slash")
        await pilot.press(*"2026-42")
        await pilot.pause()
        assert app.screen.query_one("#home-filter").value == "2026-42"
        assert table.row_count == 10  # 420 … 429
        assert all("CSPR-2026-42" in str(table.get_row_at(i)[1]) for i in range(table.row_count))
        await pilot.press("escape")  # back to the table, the list narrowed still
        await pilot.pause()
        assert table.has_focus and table.row_count == 10


async def test_the_form_starts_the_conversation_with_a_case_group_member(tmp_path):
    db = tmp_path / "lt.db"
    store = open_store(db)
    case_id = add_case(store, "CSPR-2026-11", "Family L")
    add_member(store, case_id, "School Nurse", "Education")
    member_id = add_member(store, case_id, "Police Officer 1", "Police")
    store.close()
    app = make_app(db)
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.press("n")
        await pilot.pause()
        await fill(pilot, case=case_id)
        member = app.screen.query_one("#member")
        assert member.display
        await fill(pilot, member=member_id)
        assert app.screen.query_one("#role").value == "Police Officer 1"
        assert app.screen.query_one("#agency").value == "Police"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ConversationScreen)
        conversation_id = app.screen.conversation.id
    store = open_store(db)
    assert get_member(store, member_id)["conversation_id"] == conversation_id
    store.close()


async def test_at_100_columns_the_footer_shows_help_and_the_everyday_keys(tmp_path):
    app = make_app(tmp_path / "lt.db")
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.pause()
        keys = list(app.screen.query("FooterKey"))
        palette = next(k for k in keys if k.has_class("-command-palette"))
        whole = {k.key for k in keys if not k.has_class("-command-palette") and k.region.right <= palette.region.x}
        assert {"f1", "n", "v", "h", "g", "p"} <= whole


CHRONOLOGY = "date,agency,summary,source\n2026-01-05,Health,Home visit,HV notes\n2026-02-11,Police,Call-out,Log 12\n"


async def _choose_in_tree(pilot, name: str) -> None:
    """Move down the folder tree to the entry called `name` and press Enter, as a user would."""
    tree = pilot.app.screen.query_one("DirectoryTree")
    tree.focus()
    for _ in range(40):
        await pilot.pause()
        node = tree.cursor_node
        if node is not None and node.data is not None and node.data.path.name == name:
            await pilot.press("enter")
            await pilot.pause()
            return
        await pilot.press("down")
    raise AssertionError(f"{name} is not in the folder tree")


async def test_a_chronology_is_imported_from_home_by_choosing_the_file(tmp_path, monkeypatch):
    from assistant.cases import chronology

    monkeypatch.chdir(tmp_path)
    (tmp_path / "chronology.csv").write_text(CHRONOLOGY, encoding="utf-8")
    db = tmp_path / "lt.db"
    case_id = _case_with_conversations(db)
    app = make_app(db)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        await pilot.press("i")
        await pilot.pause()
        await _choose_in_tree(pilot, "chronology.csv")
        assert app.screen.query_one("#field-path").value == str(tmp_path / "chronology.csv")
        await pilot.click("#ok")
        await pilot.pause()
        assert app.screen.query_one("#home-intro")  # back home
    store = open_store(db)
    assert [row["summary"] for row in chronology(store, case_id)] == ["Home visit", "Call-out"]
    store.close()


async def test_a_typed_chronology_path_works_and_a_bad_file_changes_nothing(tmp_path):
    from assistant.cases import chronology, import_chronology

    good = tmp_path / "team files" / "chron.csv"
    good.parent.mkdir()
    good.write_text(CHRONOLOGY, encoding="utf-8")
    bad = tmp_path / "bad.csv"
    bad.write_text("date,agency,summary,source\n2026-03-01,Health\n", encoding="utf-8")
    db = tmp_path / "lt.db"
    case_id = _case_with_conversations(db)
    store = open_store(db)
    import_chronology(store, "CSPR-2026-09", good)
    store.close()
    app = make_app(db)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        await pilot.press("i")
        await pilot.pause()
        await fill(pilot, **{"field-path": str(bad)})
        await pilot.click("#ok")
        await pilot.pause()
        error = str(app.screen.query_one("#prompt-error").render())
        assert "bad.csv line 2 has 2 fields" in error  # one sentence, the dialog stays open
        assert app.screen.query_one("#field-path").value == str(bad)
    store = open_store(db)
    assert len(chronology(store, case_id)) == 2  # the earlier chronology is whole
    store.close()


async def test_merge_sources_are_added_by_choosing_files(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name in ("pair-a.db", "pair-b.db"):
        (tmp_path / name).write_bytes(b"")
    app = make_app(tmp_path / "lead.db")
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press("g")
        await pilot.pause()
        await _choose_in_tree(pilot, "pair-a.db")
        await _choose_in_tree(pilot, "pair-b.db")
        assert app.screen.query_one("#field-paths").value == f"{tmp_path / 'pair-a.db'}; {tmp_path / 'pair-b.db'}"


async def test_the_hand_over_folder_is_chosen_in_the_tree_and_the_file_name_kept(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "usb").mkdir()
    app = make_app(tmp_path / "lt.db")
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press("h")
        await pilot.pause()
        name = app.screen.query_one("#field-path").value.rsplit("/", 1)[-1]
        app.screen.query_one("DirectoryTree").path = tmp_path
        await _choose_in_tree(pilot, "usb")
        assert app.screen.query_one("#field-path").value == str(tmp_path / "usb" / name)


async def test_at_80_by_24_the_hand_over_buttons_are_reached_below_the_folder_tree(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = make_app(tmp_path / "lt.db")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("h")
        await pilot.pause()
        button = app.screen.query_one("#ok")
        button.focus()
        await pilot.pause()
        dialog = app.screen.query_one(".dialog")
        assert dialog.region.contains_region(button.region)
        assert ".lt.db.lock" not in str(app.screen.query_one("DirectoryTree").root.children)
