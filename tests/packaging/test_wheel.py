"""The wheel, installed outside the checkout, works: a packaging regression (a file left out of the
wheel, a path that only exists in a checkout) fails here.

The wheel is built from this checkout and installed into a fresh virtual environment in a temporary
folder; every command then runs from another temporary folder with nothing of the checkout on its path.
To stay fast and need no network, the fresh environment takes the third-party packages the wheel
depends on from the environment running the tests (they are checked against the wheel's own list of
dependencies); LEARNING_TOGETHER_FULL_INSTALL=1 installs them afresh instead, as a new machine would.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import os
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.packaging

FIRST_PAINT = """
import asyncio, sys
from pathlib import Path
from assistant.store import open_store
from assistant.structure import load_structure
from assistant.tui.app import LearningTogetherApp

async def paint():
    app = LearningTogetherApp(open_store(Path(sys.argv[1]), exclusive=True), load_structure(), clock=False)
    async with app.run_test(size=(100, 32)) as pilot:
        await pilot.pause()
        print(type(app.screen).__name__)
        print(app.export_screenshot())
        await pilot.press("ctrl+q")

asyncio.run(paint())
"""


def _build_wheel(out: Path) -> Path:
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), str(ROOT)]
    if importlib.util.find_spec("hatchling") is not None:
        command.insert(4, "--no-build-isolation")  # the test extras bring the build backend
    subprocess.run(command, check=True, capture_output=True, text=True, timeout=600)
    (wheel,) = out.glob("learning_together-*.whl")
    return wheel


def _fresh_environment(folder: Path, wheel: Path) -> Path:
    full = os.environ.get("LEARNING_TOGETHER_FULL_INSTALL") == "1"
    venv.EnvBuilder(with_pip=False, symlinks=os.name != "nt").create(folder)
    python = folder / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    purelib = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                  check=True, capture_output=True, text=True).stdout.strip())
    if not full:
        # Only a path line: the test environment's own .pth files (its editable install) are not run.
        (purelib / "zz_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    # --force-reinstall: the checkout's own editable install is visible through the path line above, and
    # pip would otherwise take it for this wheel ("already installed with the same version") and skip it.
    install = [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--force-reinstall",
               str(wheel)]
    if not full:
        install.insert(6, "--no-deps")
    clean = {key: value for key, value in os.environ.items() if not key.startswith("PYTHON")}
    subprocess.run(install, check=True, capture_output=True, text=True, timeout=900, env=clean)
    return python


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    built = tmp_path_factory.mktemp("wheel")
    python = _fresh_environment(tmp_path_factory.mktemp("fresh venv"), _build_wheel(built))
    work = tmp_path_factory.mktemp("somewhere else")
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTHON", "LEARNING_TOGETHER"))}
    env["LEARNING_TOGETHER_DB"] = str(work / "data" / "review.db")
    env["HOME"] = str(work)

    def run(*args: str, code: str | None = None) -> subprocess.CompletedProcess:
        command = [str(python), "-c", code, *args] if code else [str(python), "-m", "assistant", *args]
        result = subprocess.run(command, cwd=work, env=env, capture_output=True, text=True, timeout=120,
                                stdin=subprocess.DEVNULL)
        assert result.returncode == 0, result.stderr[-2000:]
        return result

    return run, work


def test_the_installed_package_is_the_wheel_not_the_checkout(installed):
    run, _ = installed
    where = run(code="import assistant, sys; print(assistant.__file__)").stdout.strip()
    assert "fresh venv" in where and not where.startswith(str(ROOT))
    needed = run(code="import importlib.metadata as m; print('\\n'.join(m.requires('learning-together')))")
    for requirement in needed.stdout.splitlines():
        name = requirement.split(";")[0].split("=")[0].split(">")[0].split("<")[0].strip()
        if name and "extra" not in requirement:
            importlib.metadata.version(name)  # each dependency the wheel declares is there to run with


def test_version_structure_demo_exports_coach_and_first_paint_from_the_wheel(installed):
    run, work = installed
    version = importlib.metadata.version("learning-together")
    assert run("--version").stdout.strip() == f"learning-together, version {version}"
    shown = run("structure", "show").stdout
    assert shown.startswith("# Learning Together conversation") and "Key moments" in shown
    assert run("structure", "schema", "--rehearsal").stdout.startswith("{")

    assert run("demo", "--cases", "1", "--conversations", "2", "--notes", "12").stdout.startswith("Added 1 ")
    (case,) = json.loads(run("case", "list", "--json").stdout)
    reference = case["reference"]
    (work / "exports").mkdir(exist_ok=True)  # an --out folder must exist; a mistyped one is refused
    for fmt in ("md", "docx", "csv", "json", "qdpx"):
        out = work / "exports" / f"pack.{fmt}"
        written = run("export", "--case", reference, "--format", fmt, "--out", str(out)).stdout
        assert written.startswith("Wrote ") and out.exists() and out.stat().st_size > 0, fmt

    verdict = json.loads(run("coach", "--json", "Why didn't you call the police?").stdout)
    assert verdict["kind"] == "hindsight"

    painted = run(str(work / "data" / "review.db"), code=FIRST_PAINT).stdout
    assert painted.startswith("HomeScreen\n") and reference in painted
