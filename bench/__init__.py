"""Benchmarks: each prints ratios against a reference measured in the same run (absolute times are noise)."""

from __future__ import annotations

import time
from collections.abc import Callable


def best_of(fn: Callable[[], object], repeats: int = 3) -> float:
    """The shortest wall time (s) of ``repeats`` calls of ``fn``: the least disturbed by other work."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best
