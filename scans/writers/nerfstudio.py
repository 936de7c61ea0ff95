"""Write a nerfstudio capture: ``transforms.json``, ``images/frame_NNNNN.png``, ``depth/frame_NNNNN.png``.

Conventions written: ``transform_matrix`` is camera-to-world in OpenGL camera axes
(``pose_cv @ diag(1, -1, -1, 1)``); intrinsics ``fl_x, fl_y, cx, cy, w, h`` belong to the colour image (the
depth intrinsics rescaled to its size), written once at the top level when every frame shares them, else per
frame; ``camera_model`` is ``OPENCV``, with ``k1..k4, p1, p2`` when the intrinsics carry distortion (taken in
that order). Depth is uint16 millimetres (``depth_unit_scale_factor`` 0.001, 0 = none). A frame's timestamp
becomes its ``time`` (seconds); a frame without a pose gets no ``transform_matrix`` (nerfstudio itself needs
one for every frame). Frames are numbered from 1, as ``ns-process-data`` does.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from scans.capture import FrameData, Intrinsics
from scans.images import write_png
from scans.readers._common import GL_TO_CV
from scans.writers._common import checked, color_of, depth_units

NAME = "nerfstudio"
_DISTORTION = ("k1", "k2", "k3", "k4", "p1", "p2")


def _camera(k: Intrinsics) -> dict:
    camera = {"camera_model": k.distortion_model or "OPENCV", "fl_x": k.fx, "fl_y": k.fy, "cx": k.cx, "cy": k.cy,
              "w": k.width, "h": k.height}
    camera.update(zip(_DISTORTION, k.distortion))
    return camera


def write(out: Path, frames: Iterable[FrameData]) -> None:
    """Write ``frames`` (streamed: one image in memory at a time) into the empty folder ``out``."""
    (out / "images").mkdir()
    (out / "depth").mkdir()
    entries = []
    for index, frame in checked(frames, NAME):
        name = f"frame_{index + 1:05d}.png"
        color = color_of(frame)
        write_png(out / "images" / name, color)
        write_png(out / "depth" / name, depth_units(frame.depth, 1000.0))
        k = frame.intrinsics
        size = (color.shape[1], color.shape[0])
        entry = {"file_path": f"images/{name}", "depth_file_path": f"depth/{name}",
                 **_camera(k.scaled(*size) if size != (k.width, k.height) else k)}
        if frame.pose is not None:
            entry["transform_matrix"] = (frame.pose @ GL_TO_CV).tolist()
        if frame.timestamp is not None:
            entry["time"] = float(frame.timestamp)
        entries.append(entry)
    meta: dict = {}
    shared = [key for key in entries[0] if key in ("camera_model", "fl_x", "fl_y", "cx", "cy", "w", "h", *_DISTORTION)
              and all(e.get(key) == entries[0][key] for e in entries) and all(key in e for e in entries)]
    for key in shared:
        meta[key] = entries[0][key]
        for entry in entries:
            del entry[key]
    meta["depth_unit_scale_factor"] = 1e-3
    meta["frames"] = entries
    (out / "transforms.json").write_text(json.dumps(meta, indent=2) + "\n")
