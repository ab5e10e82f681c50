"""The conversation screen stays small: its parts are widgets that talk to it through messages."""

from __future__ import annotations

import ast
from pathlib import Path

import assistant

PACKAGE = Path(assistant.__file__).parent
SCREEN_PARTS = [
    "tui/screens/conversation.py",
    "tui/widgets/section_list.py",
    "tui/widgets/note_editor.py",
    "tui/widgets/notes_list.py",
    "tui/widgets/prompt_panel.py",
    "tui/widgets/context_bar.py",
]
MAX_LINES = 450
MAX_METHODS = 30


def test_the_conversation_screen_and_its_widgets_are_small():
    for part in SCREEN_PARTS:
        source = (PACKAGE / part).read_text(encoding="utf-8")
        assert len(source.splitlines()) <= MAX_LINES, part
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.ClassDef):
                methods = [n for n in node.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
                assert len(methods) <= MAX_METHODS, f"{part}: {node.name} has {len(methods)} methods"


def test_widgets_never_reach_up_to_the_screens():
    for part in SCREEN_PARTS[1:]:
        tree = ast.parse((PACKAGE / part).read_text(encoding="utf-8"))
        imported = [n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
        imported += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
        assert not [m for m in imported if m and m.startswith(("assistant.tui.screens", "assistant.tui.app"))], part
        assert ".screen." not in (PACKAGE / part).read_text(encoding="utf-8"), part
