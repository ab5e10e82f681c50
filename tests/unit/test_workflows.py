"""The workflows the command line and the app share (assistant/workflows.py), the settings read in one
place (assistant/settings.py) and the product's one root error, against real databases and the real CLI."""

from __future__ import annotations

import os
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from assistant import settings
from assistant.cases import add_case, find_case
from assistant.conversation import Conversation, ConversationError
from assistant.errors import LearningTogetherError
from assistant.store import PassphraseNeeded, StoreError, WrongPassphrase, encrypt_database, open_store
from assistant.structure import StructureError
from assistant.workflows import (PLAIN_EXPORT_WARNING, WRONG_PASSPHRASE, ExportResult, NewCase, export_case_to,
                                 export_record_to, exports_folder, passphrase_problem, start_conversation, unlock)

PASS = "correct horse battery"

REFUSE_CONVERSATIONS = ("CREATE TEMP TRIGGER refuse_conversations BEFORE INSERT ON conversations "
                        "BEGIN SELECT RAISE(ABORT, 'refused for the test'); END")


def _counts(store) -> tuple[int, int, int]:
    return (store.scalar("SELECT COUNT(*) FROM cases"), store.scalar("SELECT COUNT(*) FROM conversations"),
            store.scalar("SELECT COUNT(*) FROM events"))


# ---------------------------------------------------------------- starting a conversation
def test_a_new_case_and_its_conversation_are_saved_together(store, structure):
    started = start_conversation(store, structure, NewCase("CSPR-9", "Family Z"), practitioner_role="Health Visitor",
                                 agency="Health")
    assert started.case_added and find_case(store, "CSPR-9")["id"] == started.case_id
    conversation = Conversation(store, structure, started.conversation_id)
    assert conversation.row["case_id"] == started.case_id and conversation.row["agency"] == "Health"


def test_a_refused_conversation_leaves_no_new_case(store, structure):
    add_case(store, "CSPR-1", "Family A")
    before = _counts(store)
    store.conn.execute(REFUSE_CONVERSATIONS)  # the conversation's own insert fails, inside the transaction
    with pytest.raises(StoreError):
        start_conversation(store, structure, NewCase("CSPR-2", "Family B"), practitioner_role="Social Worker 1")
    assert find_case(store, "CSPR-2") is None
    assert _counts(store) == before  # no case, no conversation, no audit event
    store.conn.execute("DROP TRIGGER refuse_conversations")
    started = start_conversation(store, structure, NewCase("CSPR-2", "Family B"), practitioner_role="Social Worker 1")
    assert find_case(store, "CSPR-2")["id"] == started.case_id


def test_a_missing_role_is_refused_before_any_case_is_added(store, structure):
    with pytest.raises(ConversationError, match="role label"):
        start_conversation(store, structure, NewCase("CSPR-3", "Family C"), practitioner_role="  ")
    assert find_case(store, "CSPR-3") is None


def test_a_conversation_for_an_existing_case_adds_no_case(store, structure, case_id):
    started = start_conversation(store, structure, case_id, practitioner_role="Teacher")
    assert not started.case_added and started.case_id == case_id
    assert store.scalar("SELECT COUNT(*) FROM cases") == 1


def test_a_refused_rehearsal_leaves_no_rehearsal_case(store, structure):
    from assistant.rehearsal import start_rehearsal
    from assistant.structure import list_scenarios

    scenario = list_scenarios(structure)[0]
    store.conn.execute(REFUSE_CONVERSATIONS)
    with pytest.raises(StoreError):
        start_rehearsal(store, structure, scenario)
    assert store.scalar("SELECT COUNT(*) FROM cases") == 0


# ---------------------------------------------------------------- unlocking
def _encrypted(db: Path) -> Path:
    open_store(db, passphrase=PASS, encrypt_new=True).close()
    return db


def _asker(*answers: str):
    queue = list(answers)
    asked: list[str] = []

    def ask() -> str:
        asked.append(queue[0])
        return queue.pop(0)

    return ask, asked


def test_unlock_asks_again_after_a_wrong_passphrase(tmp_path):
    db = _encrypted(tmp_path / "lt.db")
    ask, asked = _asker("wrong one", "wrong two", PASS)
    told: list[str] = []
    store = unlock(db, ask, 3, tell=told.append)
    try:
        assert store.encrypted and asked == ["wrong one", "wrong two", PASS]
        assert told == [WRONG_PASSPHRASE, WRONG_PASSPHRASE]
    finally:
        store.close()


def test_unlock_gives_up_after_the_last_try(tmp_path):
    db = _encrypted(tmp_path / "lt.db")
    ask, asked = _asker("one", "two", "three", PASS)
    with pytest.raises(WrongPassphrase):
        unlock(db, ask, 3)
    assert len(asked) == 3


def test_a_given_passphrase_is_tried_once_and_nobody_is_asked(tmp_path):
    db = _encrypted(tmp_path / "lt.db")
    ask, asked = _asker(PASS)
    with pytest.raises(WrongPassphrase):
        unlock(db, ask, 3, passphrase="not this one")
    assert asked == []
    unlock(db, ask, 3, passphrase=PASS).close()
    assert asked == []


def test_without_anyone_to_ask_an_encrypted_database_needs_its_passphrase(tmp_path):
    db = _encrypted(tmp_path / "lt.db")
    with pytest.raises(PassphraseNeeded):
        unlock(db, None, 3)


def test_a_plain_database_is_opened_without_asking(tmp_path):
    db = tmp_path / "lt.db"
    open_store(db).close()
    ask, asked = _asker(PASS)
    unlock(db, ask, 3).close()
    assert asked == []


def test_a_passphrase_with_a_problem_is_said_and_asked_again(tmp_path):
    db = _encrypted(tmp_path / "lt.db")
    ask, asked = _asker("bad\x01one", PASS)
    told: list[str] = []
    unlock(db, ask, 3, tell=told.append, check=passphrase_problem).close()
    assert told == [passphrase_problem("bad\x01one")] and len(asked) == 2
    with pytest.raises(StoreError, match="control characters"):
        unlock(db, ask, 3, passphrase="bad\x01one", check=passphrase_problem)


# ---------------------------------------------------------------- exports
def test_exports_to_the_default_folder_warn_only_when_the_database_is_encrypted(tmp_path, structure):
    for name, passphrase in (("plain", None), ("encrypted", PASS)):
        store = open_store(tmp_path / name / "lt.db", passphrase=passphrase, encrypt_new=passphrase is not None)
        try:
            case_id = add_case(store, "CSPR-1", "Family A")
            started = start_conversation(store, structure, case_id, practitioner_role="Health Visitor")
            pack = export_case_to(store, structure, "CSPR-1", "md")
            record = export_record_to(Conversation(store, structure, started.conversation_id), "md")
            for result in (pack, record):
                assert isinstance(result, ExportResult)
                assert result.warning == (PLAIN_EXPORT_WARNING if passphrase else None)
                assert [p.parent for p in result.paths] == [exports_folder(store)] == [tmp_path / name / "exports"]
            assert pack.paths[0].name == "CSPR-1-analysis.md"
            again = export_case_to(store, structure, "CSPR-1", "md")
            assert again.paths[0].name == "CSPR-1-analysis-2.md"  # a free name, never a replacement
        finally:
            store.close()


def test_an_export_to_a_named_file_is_written_there(tmp_path, store, structure, case_id):
    out = tmp_path / "elsewhere" / "pack.json"
    out.parent.mkdir()  # an export never makes the folder it is told to write into
    result = export_case_to(store, structure, "CSPR-2026-04", "json", out)
    assert result.paths == [out] and out.exists() and result.warning is None


def test_the_cli_and_the_app_give_the_same_export_warning(tmp_path, structure, cli):
    db = tmp_path / "lt.db"
    store = open_store(db, passphrase=PASS, encrypt_new=True)
    add_case(store, "CSPR-1", "Family A")
    store.close()
    result = cli("export", "--case", "CSPR-1", "--format", "md", "--out", str(tmp_path / "pack.md"), db=db,
                 env={"LEARNING_TOGETHER_PASSPHRASE": PASS})
    assert result.returncode == 0, result.stderr
    assert f"Warning: {PLAIN_EXPORT_WARNING}" in result.stderr
    plain = tmp_path / "plain.db"
    assert cli("case", "add", "--ref", "CSPR-1", "--label", "Family A", db=plain).returncode == 0
    result = cli("export", "--case", "CSPR-1", "--format", "md", "--out", str(tmp_path / "plain.md"), db=plain)
    assert result.returncode == 0 and "Warning" not in result.stderr


# ---------------------------------------------------------------- the CLI closes its stores
def test_a_command_closes_its_store_so_encrypt_can_run_at_once(tmp_path, monkeypatch):
    import assistant.workflows as workflows
    from assistant.cli import main

    opened = []
    real_open = workflows.open_store

    def spy(*args, **kwargs):
        opened.append(real_open(*args, **kwargs))
        return opened[-1]

    monkeypatch.setattr(workflows, "open_store", spy)
    db = tmp_path / "lt.db"
    result = CliRunner().invoke(main, ["--db", str(db), "case", "add", "--ref", "CSPR-1", "--label", "Family A"])
    assert result.exit_code == 0, result.output
    assert len(opened) == 1 and opened[0]._writers_handle is None  # the shared writers lock is let go
    with pytest.raises(Exception):
        opened[0].conn.execute("SELECT 1")  # and the connection is closed
    # In this same process: a lock still held would make `encrypt` wait and refuse.
    assert encrypt_database(db, PASS) == []
    assert not Path(f"{db}-wal").exists()
    store = open_store(db, passphrase=PASS)
    assert find_case(store, "CSPR-1") is not None
    store.close()


def test_a_failing_command_closes_its_store_too(tmp_path, monkeypatch):
    import assistant.workflows as workflows
    from assistant.cli import main

    db = tmp_path / "lt.db"
    open_store(db).close()
    opened = []
    real_open = workflows.open_store
    monkeypatch.setattr(workflows, "open_store", lambda *a, **k: opened.append(real_open(*a, **k)) or opened[-1])
    result = CliRunner().invoke(main, ["--db", str(db), "chronology", "import", "--case", "NOPE",
                                       str(tmp_path / "missing.csv")])
    assert result.exit_code == 1
    assert len(opened) == 1 and opened[0]._writers_handle is None


# ---------------------------------------------------------------- one root error
def test_the_products_errors_share_one_root():
    assert issubclass(StructureError, LearningTogetherError)
    assert issubclass(ConversationError, StoreError)


def test_the_cli_and_the_app_say_a_root_error_in_one_sentence():
    from assistant.cli import _Group
    from assistant.tui.guard import describe

    @click.group(cls=_Group)
    def group() -> None:
        pass

    @group.command()
    def fail() -> None:
        raise LearningTogetherError("That cannot be done here.")

    result = CliRunner().invoke(group, ["fail"])
    assert result.exit_code == 1 and "Error: That cannot be done here." in result.output
    assert describe(LearningTogetherError("That cannot be done here.")) == "That cannot be done here."


# ---------------------------------------------------------------- settings
def test_settings_read_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("LEARNING_TOGETHER_DB", str(tmp_path / "x.db"))
    assert settings.default_db_path() == tmp_path / "x.db" == settings.db_path(None)
    assert settings.db_path(tmp_path / "given.db") == tmp_path / "given.db"
    monkeypatch.delenv("LEARNING_TOGETHER_DB")
    assert settings.default_db_path().name == "learning-together.db"
    monkeypatch.setenv("LEARNING_TOGETHER_CONFIG_DIR", str(tmp_path / "config"))
    assert settings.config_dir() == tmp_path / "config"
    monkeypatch.setenv("LEARNING_TOGETHER_PASSPHRASE", "")
    assert settings.passphrase_from_env(settings.PASSPHRASE_ENV) is None
    monkeypatch.setenv("LEARNING_TOGETHER_PASSPHRASE", PASS)
    assert settings.passphrase_from_env(settings.PASSPHRASE_ENV) == PASS
    with pytest.raises(ValueError):
        settings.passphrase_from_env("HOME")


@pytest.mark.parametrize("value, seconds, notice", [
    ("", 0.5, False), ("2", 2.0, False), ("0.1", 0.1, False), ("3600", 3600.0, False),
    ("0", 0.5, True), ("-1", 0.5, True), ("nan", 0.5, True), ("inf", 0.5, True), ("soon", 0.5, True),
    ("3601", 0.5, True),
])
def test_the_autosave_setting_and_its_fallback(monkeypatch, value, seconds, notice):
    monkeypatch.setenv("LEARNING_TOGETHER_AUTOSAVE_SECONDS", value)
    got, message = settings.autosave_seconds()
    assert got == seconds and (message is not None) == notice
    if notice:
        assert "LEARNING_TOGETHER_AUTOSAVE_SECONDS" in message and "0.5 seconds instead" in message


def test_only_settings_reads_the_products_environment():
    root = Path(__file__).resolve().parents[2] / "assistant"
    readers = sorted(
        str(p.relative_to(root)) for p in root.rglob("*.py")
        if ("os.environ" in p.read_text() or "getenv" in p.read_text())
        and p.name != "settings.py"
    )
    assert readers == []


def test_unlock_passes_open_options_through(tmp_path):
    db = tmp_path / "new" / "lt.db"
    with pytest.raises(StoreError):
        unlock(db, None, 3, create=False)
    assert not db.exists()
    unlock(db, None, 3, create=True).close()
    assert db.exists() and os.stat(db).st_size > 0
