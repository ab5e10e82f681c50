"""Shared fixtures: real databases in tmp_path, the real structure, the real CLI as a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Deterministic screens: no user theme, colour settings or animations leak into tests.
for variable in ("TEXTUAL_THEME", "NO_COLOR", "TEXTUAL_ANIMATIONS", "COLUMNS", "LINES", "LEARNING_TOGETHER_DB"):
    os.environ.pop(variable, None)
os.environ["TEXTUAL_ANIMATIONS"] = "none"
# The per-device audit keys live in a throwaway folder: the suite never touches the real home.
os.environ["LEARNING_TOGETHER_CONFIG_DIR"] = tempfile.mkdtemp(prefix="lt-config-")


@pytest.fixture(scope="session")
def structure():
    from assistant.structure import load_structure

    return load_structure()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "lt.db"


@pytest.fixture
def store(db_path: Path):
    from assistant.store import open_store

    opened = open_store(db_path)
    yield opened
    opened.close()


@pytest.fixture
def case_id(store) -> str:
    from assistant.cases import add_case

    return add_case(store, "CSPR-2026-04", "Family A")


@pytest.fixture
def conversation(store, structure, case_id):
    from assistant.conversation import Conversation, create_conversation

    conversation_id = create_conversation(
        store, structure, case_id=case_id, practitioner_role="Probation Officer", agency="Probation Service",
        lead_interviewer="Reviewer A", second_interviewer="Reviewer B",
    )
    return Conversation(store, structure, conversation_id)


def run_cli(*args: str, db: Path | None = None, input: str | None = None, env: dict | None = None,
            timeout: float = 60) -> subprocess.CompletedProcess:
    """The real command line, as a subprocess."""
    command = [sys.executable, "-m", "assistant"]
    if db is not None:
        command += ["--db", str(db)]
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(command + list(args), capture_output=True, text=True, input=input, env=full_env,
                          cwd=ROOT, timeout=timeout)


@pytest.fixture
def cli():
    return run_cli


@pytest.fixture(autouse=True)
def own_config_dir(tmp_path_factory, monkeypatch):
    """Each test has its own configuration folder (the per-device audit keys), as a fresh computer would."""
    monkeypatch.setenv("LEARNING_TOGETHER_CONFIG_DIR", str(tmp_path_factory.mktemp("config")))


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """The whole suite runs with internet sockets refused: the product must never need one."""
    import socket

    real_connect = socket.socket.connect

    def refuse(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6):
            raise OSError("network access is disabled in tests")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", lambda *a, **k: (_ for _ in ()).throw(
        OSError("network access is disabled in tests")))
