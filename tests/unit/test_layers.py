"""The layers hold: the core never imports the terminal UI, the UI imports downwards only, no cycles."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import grimp

from tests.conftest import ROOT

UI_MODULES = {"assistant.tui", "assistant.cli", "assistant.cli_preparation", "assistant.cli_after",
              "assistant.cli_report", "assistant.cli_common",
              "assistant.__main__"}


def _contracts() -> list[dict]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]


def test_the_import_contracts_hold():
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_every_core_module_is_under_the_core_contract():
    package = ROOT / "assistant"
    top_level = {f"assistant.{p.stem}" for p in package.glob("*.py") if p.stem != "__init__"}
    top_level |= {f"assistant.{p.name}" for p in package.iterdir() if (p / "__init__.py").exists()}
    core = top_level - UI_MODULES
    contract = next(c for c in _contracts() if c["type"] == "forbidden")
    assert set(contract["source_modules"]) == core


def _cycle_from(graph: grimp.ImportGraph, start: str) -> list[str] | None:
    """A path start → … → start through direct imports, or None."""
    stack = [(start, [start])]
    seen: set[str] = set()
    while stack:
        module, path = stack.pop()
        for imported in graph.find_modules_directly_imported_by(module):
            if imported == start:
                return path + [start]
            if imported not in seen:
                seen.add(imported)
                stack.append((imported, path + [imported]))
    return None


def test_no_module_imports_itself_round_a_cycle():
    # Imports only for type checkers never run, so they cannot make a cycle (as in the import contracts).
    graph = grimp.build_graph("assistant", include_external_packages=False, exclude_type_checking_imports=True)
    cycles = [cycle for module in sorted(graph.modules) if (cycle := _cycle_from(graph, module))]
    assert cycles == [], " ; ".join(" → ".join(c) for c in cycles)
