"""Helpers the capture writers share: frame checks, colour fallback and resizing, depth encoding, text."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np

from scans.capture import FrameData, Intrinsics
from scans.errors import CaptureError
from twin.extras import require

GRAY = 128
"""The value of the uniform colour image written for a frame without colour."""


def checked(frames: Iterable[FrameData], layout: str) -> Iterator[tuple[int, FrameData]]:
    """``(index, frame)`` one at a time, each checked; raise at the end when there was none."""
    count = 0
    for index, frame in enumerate(frames):
        depth = np.asarray(frame.depth)
        k = frame.intrinsics
        if depth.shape != (k.height, k.width):
            raise CaptureError(f"frame {index}: depth shape {depth.shape} does not match the intrinsics' "
                               f"{k.width}x{k.height}")
        yield index, frame
        count += 1
    if count == 0:
        raise CaptureError(f"no frames to write as {layout}")


def same_camera(first: Intrinsics, frame: FrameData, index: int, layout: str) -> None:
    """Raise unless ``frame`` has the intrinsics of the first frame (layouts that store one camera)."""
    if frame.intrinsics != first:
        raise CaptureError(f"frame {index}: intrinsics {frame.intrinsics} differ from frame 0's {first}; "
                           f"the {layout} layout stores one camera")


def color_of(frame: FrameData, size: tuple[int, int] | None = None) -> np.ndarray:
    """The frame's colour as (H, W, 3) uint8, gray when it has none, resized to ``size`` (w, h) if given.

    Without ``size`` a missing colour gets the depth image's size.
    """
    color = frame.color
    if color is None:
        w, h = size or (frame.intrinsics.width, frame.intrinsics.height)
        return np.full((h, w, 3), GRAY, dtype=np.uint8)
    color = np.asarray(color, dtype=np.uint8)
    color = np.repeat(color[..., None], 3, axis=2) if color.ndim == 2 else color[..., :3]
    if size is not None and (color.shape[1], color.shape[0]) != tuple(size):
        pil = require("PIL.Image", "scan", "writing capture images")
        color = np.asarray(pil.fromarray(color).resize(tuple(size), pil.Resampling.BILINEAR))
    return np.ascontiguousarray(color)


def depth_units(depth: np.ndarray, scale: float, invalid: int = 0) -> np.ndarray:
    """Metres (H, W) to uint16 units of 1/``scale`` m (rounded); invalid, zero and out-of-range become ``invalid``."""
    depth = np.asarray(depth, dtype=np.float64)
    units = np.rint(np.where(np.isfinite(depth), depth, 0.0) * scale)
    bad = (units <= 0) | (units >= 65535 if invalid == 65535 else units > 65535)
    return np.where(bad, invalid, units).astype(np.uint16)


def write_jpg(path: Path, color: np.ndarray, quality: int = 95) -> None:
    """Write (H, W, 3) uint8 RGB as JPEG."""
    pil = require("PIL.Image", "scan", "writing capture images")
    pil.fromarray(np.asarray(color, dtype=np.uint8)).save(path, format="JPEG", quality=quality)


def num(value: float) -> str:
    """A float as text that reads back to the same double (shortest repr)."""
    return repr(float(value))


def pose_rows(pose: np.ndarray) -> str:
    """A (4, 4) matrix as 4 lines of 4 numbers, full precision."""
    return "".join(" ".join(num(v) for v in row) + "\n" for row in np.asarray(pose, dtype=np.float64))
