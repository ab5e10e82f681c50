"""`make bench`: every benchmark, its figures and its budget; exits non-zero when any is over budget."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import export_merge  # noqa: E402
import keypress  # noqa: E402
import save_note  # noqa: E402
import scale  # noqa: E402
import startup  # noqa: E402
from common import RESULTS  # noqa: E402


def main() -> int:
    ok = True
    for module in (startup, save_note, scale, export_merge, keypress):
        print(f"== {module.__name__}: {module.__doc__.strip().splitlines()[0]}", flush=True)
        ok &= module.main()
    over = [r for r in RESULTS if r[1] > r[2]]
    print(f"\n{len(RESULTS) - len(over)} of {len(RESULTS)} budgets held.")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
