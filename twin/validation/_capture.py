"""Capture MuJoCo's warnings (Python ``warnings`` and ``mju_user_warning``) instead of letting them print."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager

import mujoco


@contextmanager
def captured_warnings() -> Iterator[list[str]]:
    """Collect MuJoCo warning texts raised inside the block; the previous warning callback is restored after.

    MuJoCo's C warnings (``mju_warning``, e.g. "XML contains a 'NaN'", or the first occurrence of a simulation
    warning) print to stdout by default; the spec compiler raises Python ``UserWarning``s. Both end up in the
    yielded list, C ones first, once the block has exited.
    """
    messages: list[str] = []
    previous = mujoco.get_mju_user_warning()
    mujoco.set_mju_user_warning(messages.append)
    try:
        with warnings.catch_warnings(record=True) as records:
            warnings.simplefilter("always")
            yield messages
    finally:
        mujoco.set_mju_user_warning(previous)
    messages.extend(str(r.message) for r in records)


def one_line(text: str) -> str:
    """MuJoCo's multi-line messages as one line: lines joined with '; ', blank ones dropped."""
    return "; ".join(line.strip() for line in str(text).splitlines() if line.strip())
