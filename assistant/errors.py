"""The root of the product's own errors.

Every refusal the product makes on purpose is a `LearningTogetherError` and is already one sentence a
person can act on, so the command line and the terminal app show its message as it is. Anything else is
a bug or the system (a disk, a file) and is described by its class only.

`StructureError` and `StoreError` (assistant/store, with every refusal built on it) derive from it, so
the command line and the app name this root only. This module imports nothing of the product, so any
module may derive from it without a cycle.
"""

from __future__ import annotations


class LearningTogetherError(Exception):
    """A refusal by the product itself, said in one sentence; nothing was changed."""

