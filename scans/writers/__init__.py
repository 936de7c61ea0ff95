"""Capture writers: one module per RGB-D layout, each writing that layout's files in its own conventions.

Each writer module exposes ``NAME`` (the layout name, as in :mod:`scans.readers`) and
``write(out, frames)``, which fills an empty folder from frames streamed one at a time (only small
per-frame metadata such as poses is kept until the end). :func:`write_capture` wraps it so the output appears
complete or not at all.

Example:
    >>> from scans.readers import read_capture                        # doctest: +SKIP
    >>> frames = (FrameData.load(f) for f in read_capture("tum_seq")) # doctest: +SKIP
    >>> write_capture("7scenes", Path("as_7scenes"), frames)          # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from scans.capture import FrameData
from scans.errors import CaptureError
from scans.writers import nerfstudio, record3d, redwood, sevenscenes, tum
from twin.atomic import atomic_directory

__all__ = ["WRITERS", "write_capture"]

WRITERS: tuple[str, ...] = tuple(sorted(m.NAME for m in (nerfstudio, record3d, redwood, sevenscenes, tum)))
"""The layouts that can be written, sorted."""

_BY_NAME = {m.NAME: m for m in (nerfstudio, record3d, redwood, sevenscenes, tum)}


def write_capture(layout: str, out_dir: str | Path, frames: Iterable[FrameData]) -> Path:
    """Write RGB-D frames as a capture of ``layout`` into ``out_dir``, atomically.

    Args:
        layout: One of :data:`WRITERS`.
        out_dir: The capture folder to create; it must be absent or empty.
        frames: The frames in order; an iterator is consumed once, one frame in memory at a time.

    Returns:
        ``out_dir`` as an absolute path (for ``record3d`` the export is in its ``EXR_RGBD/``; either reads back).

    Raises:
        CaptureError: an unknown layout (the valid ones are listed), no frames, or frames the layout cannot hold.
        OutputError: ``out_dir`` exists and is not empty, or cannot be written.
    """
    if layout not in _BY_NAME:
        raise CaptureError(f"unknown layout {layout!r} to write; valid layouts: {', '.join(WRITERS)}")
    out = Path(out_dir).absolute()
    with atomic_directory(out) as tmp:
        _BY_NAME[layout].write(tmp, frames)
    return out
