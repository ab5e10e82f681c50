"""Reading the real command line's results in tests: a clean success, a one-sentence refusal, and a
file's digest to show that a refusal changed nothing."""

from __future__ import annotations

import hashlib


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def ok(result) -> str:
    """The output of a command that must succeed, without a traceback."""
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return result.stdout.strip()


def refused(result, words: str) -> None:
    """A command that must fail with exit status 1 and one sentence naming `words`."""
    assert result.returncode == 1, result.stdout
    assert result.stderr.startswith("Error: ") and words in result.stderr, result.stderr
    assert "Traceback" not in result.stderr and result.stderr.count("\n") == 1
