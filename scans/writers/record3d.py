"""Write a Record3D "EXR + JPG" export: ``EXR_RGBD/{metadata.json, rgb/N.jpg, depth/N.exr, conf/N.png}``.

Conventions written: ``poses`` are ``[qx, qy, qz, qw, tx, ty, tz]`` camera-to-world in ARKit camera axes
(``pose_cv @ diag(1, -1, -1, 1)``; w >= 0); ``K`` is column-major for the RGB size ``w`` x ``h`` (the depth
intrinsics rescaled), ``dw`` x ``dh`` is the depth size; depth is float16 metres in channel ``R`` (0 = none);
every confidence map is all 2 (high). ``frameTimestamps`` (seconds) is written when every frame has a
timestamp, and ``fps`` is the median frame rate, rounded (30 without timestamps). Every frame needs a pose and
the same camera; colour keeps its own size (gray at the depth size when a frame has none).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from scans.capture import FrameData
from scans.errors import CaptureError
from scans.images import write_png
from scans.readers._common import GL_TO_CV, rotation_to_quat
from scans.writers._common import checked, color_of, same_camera, write_jpg
from twin.extras import require

NAME = "record3d"


def _write_exr(path: Path, depth: np.ndarray) -> None:
    exr = require("OpenEXR", "scan", "writing EXR depth images")
    depth = np.where(np.isfinite(depth) & (depth > 0), depth, 0.0).astype(np.float16)
    header = {"compression": exr.ZIP_COMPRESSION, "type": exr.scanlineimage}
    with exr.File(header, {"R": depth}) as f:
        f.write(str(path))


def write(out: Path, frames: Iterable[FrameData]) -> None:
    """Write ``frames`` (streamed: one image in memory at a time) into ``out/EXR_RGBD``."""
    root = out / "EXR_RGBD"
    for folder in ("rgb", "depth", "conf"):
        (root / folder).mkdir(parents=True)
    poses, stamps, first, rgb_size = [], [], None, None
    for index, frame in checked(frames, NAME):
        if first is None:
            first = frame.intrinsics
        same_camera(first, frame, index, NAME)
        if frame.pose is None:
            raise CaptureError(f"frame {index} has no pose; the record3d layout needs one for every frame")
        color = color_of(frame, rgb_size)
        rgb_size = rgb_size or (color.shape[1], color.shape[0])
        write_jpg(root / "rgb" / f"{index}.jpg", color)
        _write_exr(root / "depth" / f"{index}.exr", np.asarray(frame.depth))
        write_png(root / "conf" / f"{index}.png", np.full(np.shape(frame.depth), 2, dtype=np.uint8))
        arkit = np.asarray(frame.pose, dtype=np.float64) @ GL_TO_CV
        poses.append([*rotation_to_quat(arkit[:3, :3]), *(float(v) for v in arkit[:3, 3])])
        stamps.append(frame.timestamp)
    k = first.scaled(*rgb_size) if rgb_size != (first.width, first.height) else first
    meta = {"w": k.width, "h": k.height, "dw": first.width, "dh": first.height,
            "K": [k.fx, 0.0, 0.0, 0.0, k.fy, 0.0, k.cx, k.cy, 1.0], "poses": poses}
    times = [t for t in stamps if t is not None]
    steps = np.diff(times) if len(times) == len(stamps) and len(times) > 1 else np.empty(0)
    meta["fps"] = round(1.0 / float(np.median(steps))) if steps.size and np.median(steps) > 0 else 30
    if len(times) == len(stamps):
        meta["frameTimestamps"] = [float(t) for t in times]
    (root / "metadata.json").write_text(json.dumps(meta) + "\n")
