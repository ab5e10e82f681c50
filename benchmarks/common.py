"""Shared helpers for the benchmarks: medians of repeated runs and a budget line each."""

from __future__ import annotations

import statistics
import time
from typing import Callable

RESULTS: list[tuple[str, float, float, str]] = []


def timed(function: Callable[[], object], runs: int = 15, warmup: int = 2) -> list[float]:
    for _ in range(warmup):
        function()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        samples.append(time.perf_counter() - start)
    return samples


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def p99_ms(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000


def report(name: str, value: float, budget: float, unit: str = "ms") -> bool:
    ok = value <= budget
    RESULTS.append((name, value, budget, unit))
    print(f"{'ok  ' if ok else 'OVER'} {name:<58} {value:10.2f} {unit:<3} (budget {budget:g} {unit})", flush=True)
    return ok
