"""The executor interface every batch of work goes through (sysid multi-starts, asset variants, many scans).

``make_executor("process")`` is the default for batches; ``"inline"`` runs in this process (tests, debugging);
``"ray"`` runs on a Ray cluster (extra ``ray``). Functions and items must be picklable for the process and
Ray executors; results come back in input order.
"""

from __future__ import annotations

import concurrent.futures
import os
from collections.abc import Callable, Iterable
from typing import Protocol, TypeVar

from twin.errors import TwinError
from twin.extras import require

T = TypeVar("T")
R = TypeVar("R")

EXECUTORS = ("inline", "process", "ray")


class Executor(Protocol):
    """Maps a function over items; results in input order."""

    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> list[R]: ...


class InlineExecutor:
    """Runs every item in this process, one after another."""

    def map(self, fn, items):
        return [fn(item) for item in items]


class ProcessExecutor:
    """Runs items on a local process pool of ``workers`` processes (default: the CPU count)."""

    def __init__(self, workers: int | None = None):
        self.workers = workers or os.cpu_count() or 1

    def map(self, fn, items):
        items = list(items)
        if len(items) <= 1 or self.workers == 1:
            return [fn(item) for item in items]
        with concurrent.futures.ProcessPoolExecutor(max_workers=min(self.workers, len(items))) as pool:
            return list(pool.map(fn, items))


class RayExecutor:
    """Runs items as Ray tasks on the cluster at ``address`` (``None``: start or join a local one)."""

    def __init__(self, address: str | None = None):
        self._ray = require("ray", "ray", "the Ray executor")
        if not self._ray.is_initialized():
            self._ray.init(address=address, ignore_reinit_error=True, log_to_driver=False)

    def map(self, fn, items):
        remote = self._ray.remote(fn)
        return self._ray.get([remote.remote(item) for item in items])


def make_executor(name: str = "process", *, workers: int | None = None) -> Executor:
    """The executor called ``name`` (one of :data:`EXECUTORS`)."""
    if name == "inline":
        return InlineExecutor()
    if name == "process":
        return ProcessExecutor(workers)
    if name == "ray":
        return RayExecutor()
    raise TwinError(f"unknown executor '{name}'; choose one of {', '.join(EXECUTORS)}")
