"""Every `LEARNING_TOGETHER_*` environment variable is read here and nowhere else.

The database file, the configuration folder (the per-device audit keys), the passphrases a command may
be given without a terminal, and the autosave interval with its checks. Callers get typed values, and a
one-line notice when a setting cannot be used.
"""

from __future__ import annotations

import os
from pathlib import Path

from assistant.errors import LearningTogetherError

DB_ENV = "LEARNING_TOGETHER_DB"
CONFIG_ENV = "LEARNING_TOGETHER_CONFIG_DIR"
PASSPHRASE_ENV = "LEARNING_TOGETHER_PASSPHRASE"
NEW_PASSPHRASE_ENV = "LEARNING_TOGETHER_NEW_PASSPHRASE"
HANDOVER_PASSPHRASE_ENV = "LEARNING_TOGETHER_HANDOVER_PASSPHRASE"
SOURCE_PASSPHRASE_ENV = "LEARNING_TOGETHER_SOURCE_PASSPHRASE"
PASSPHRASE_ENVS = (PASSPHRASE_ENV, NEW_PASSPHRASE_ENV, HANDOVER_PASSPHRASE_ENV, SOURCE_PASSPHRASE_ENV)

# How often the editor's text is written to the database; LEARNING_TOGETHER_AUTOSAVE_SECONDS overrides
# it (tests use a long interval to prove that quitting and signals save on their own).
AUTOSAVE_ENV = "LEARNING_TOGETHER_AUTOSAVE_SECONDS"
AUTOSAVE_SECONDS = 0.5
AUTOSAVE_RANGE = (0.1, 3600.0)


def default_db_path() -> Path:
    """`LEARNING_TOGETHER_DB`, else the user data directory."""
    env = os.environ.get(DB_ENV)
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_path

    return user_data_path("learning-together", appauthor=False) / "learning-together.db"


def db_path(given: str | Path | None = None) -> Path:
    """The database file: the one given (--db), else `default_db_path()`."""
    return Path(given).expanduser() if given else default_db_path()


def config_dir() -> Path:
    """`LEARNING_TOGETHER_CONFIG_DIR`, else the user configuration folder."""
    env = os.environ.get(CONFIG_ENV)
    if env:
        return Path(env).expanduser()
    from platformdirs import user_config_path

    return user_config_path("learning-together", appauthor=False)


def passphrase_from_env(name: str) -> str | None:
    """One of the passphrase variables (`PASSPHRASE_ENVS`); None when unset or empty."""
    if name not in PASSPHRASE_ENVS:
        raise ValueError(f"{name} is not a passphrase setting")
    return os.environ.get(name) or None


def autosave_seconds() -> tuple[float, str | None]:
    """The autosave interval from the environment, and a one-line notice when the setting cannot be used
    (not a number, zero, negative, or more than an hour): then the default applies."""
    setting = os.environ.get(AUTOSAVE_ENV, "").strip()
    if not setting:
        return AUTOSAVE_SECONDS, None
    try:
        seconds = float(setting)
    except ValueError:
        seconds = float("nan")
    low, high = AUTOSAVE_RANGE
    if low <= seconds <= high:  # false for nan, inf and everything out of range
        return seconds, None
    return AUTOSAVE_SECONDS, (f"{AUTOSAVE_ENV} should be a number of seconds from {low:g} to {high:g}; "
                              f"drafts are saved every {AUTOSAVE_SECONDS:g} seconds instead.")


def passphrase_from_file(file: Path) -> str:
    """A passphrase kept in a file (its last line break dropped). Only a regular file is read: a named
    pipe or device is refused before it is opened, since reading one could wait forever."""
    from assistant.paths import not_a_regular_file

    problem = not_a_regular_file(file)
    if problem is not None and problem.startswith(("is ", "does ")):
        raise LearningTogetherError(
            f"The passphrase file {file} {problem}; give a regular file holding the passphrase.")
    try:
        return file.read_text(encoding="utf-8").rstrip("\r\n")
    except OSError as error:
        raise LearningTogetherError(f"The passphrase file {file} cannot be read ({error.strerror}).") from None
