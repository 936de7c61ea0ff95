"""Write a Redwood/Open3D RGB-D folder: ``color/NNNNNN.jpg``, ``depth/NNNNNN.png``, ``trajectory.log``, ``camera_intrinsic.json``.

Conventions written: ``trajectory.log`` is Open3D's format (a ``i i i+1`` header and 4 rows of the 4x4
camera-to-world in OpenCV camera axes per frame, full precision instead of Open3D's 8 decimals), written only
when every frame has a pose (a capture with none gets no ``.log``); ``camera_intrinsic.json`` is Open3D's
``PinholeCameraIntrinsic`` JSON (``intrinsic_matrix`` column-major); depth is uint16 millimetres (0 = none);
colour is a JPEG resized to the depth size (registered). Timestamps are not stored.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from scans.capture import FrameData
from scans.errors import CaptureError
from scans.images import write_png
from scans.writers._common import (
    checked,
    color_of,
    depth_units,
    pose_rows,
    same_camera,
    write_jpg,
)

NAME = "redwood"


def write(out: Path, frames: Iterable[FrameData]) -> None:
    """Write ``frames`` (streamed: one image in memory at a time) into the empty folder ``out``."""
    (out / "color").mkdir()
    (out / "depth").mkdir()
    first, posed = None, None
    with open(out / "trajectory.log", "w") as log:
        for index, frame in checked(frames, NAME):
            if first is None:
                first, posed = frame.intrinsics, frame.pose is not None
            same_camera(first, frame, index, NAME)
            if (frame.pose is not None) != posed:
                raise CaptureError(f"frame {index}: {'no' if posed else 'a'} pose, unlike frame 0; the redwood layout "
                                   "needs a pose for every frame or for none")
            write_jpg(out / "color" / f"{index:06d}.jpg", color_of(frame, (first.width, first.height)))
            write_png(out / "depth" / f"{index:06d}.png", depth_units(frame.depth, 1000.0))
            if posed:
                log.write(f"{index} {index} {index + 1}\n{pose_rows(frame.pose)}")
    if not posed:
        (out / "trajectory.log").unlink()
    k = first
    intrinsic = {"width": k.width, "height": k.height, "intrinsic_matrix": [k.fx, 0.0, 0.0, 0.0, k.fy, 0.0, k.cx, k.cy, 1.0]}
    (out / "camera_intrinsic.json").write_text(json.dumps(intrinsic, indent=2) + "\n")
