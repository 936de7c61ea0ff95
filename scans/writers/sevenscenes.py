"""Write a 7-Scenes/3DMatch folder: ``frame-NNNNNN.{color.png, depth.png, pose.txt}``, ``camera-intrinsics.txt``.

Conventions written: frames numbered from 000000; ``pose.txt`` is the 4x4 camera-to-world in OpenCV camera
axes, full precision (no file for a frame without a pose); depth is uint16 millimetres with 65535 for "no
depth" (as 7-Scenes; beyond 65.5 m too); colour is a PNG resized to the depth size; ``camera-intrinsics.txt``
is the 3x3 camera matrix. Timestamps are not stored (the layout has none).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from scans.capture import FrameData
from scans.images import write_png
from scans.writers._common import (
    checked,
    color_of,
    depth_units,
    num,
    pose_rows,
    same_camera,
)

NAME = "7scenes"


def write(out: Path, frames: Iterable[FrameData]) -> None:
    """Write ``frames`` (streamed: one image in memory at a time) into the empty folder ``out``."""
    first = None
    for index, frame in checked(frames, NAME):
        if first is None:
            first = frame.intrinsics
        same_camera(first, frame, index, NAME)
        stem = out / f"frame-{index:06d}"
        write_png(f"{stem}.color.png", color_of(frame, (first.width, first.height)))
        write_png(f"{stem}.depth.png", depth_units(frame.depth, 1000.0, invalid=65535))
        if frame.pose is not None:
            Path(f"{stem}.pose.txt").write_text(pose_rows(frame.pose))
    k = first
    (out / "camera-intrinsics.txt").write_text(f"{num(k.fx)} 0 {num(k.cx)}\n0 {num(k.fy)} {num(k.cy)}\n0 0 1\n")
