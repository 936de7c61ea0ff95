"""nerfstudio ``transforms.json`` with depth images.

Source convention: each frame's ``transform_matrix`` is camera-to-world with **OpenGL camera axes** (+x right,
+y up, looks down -z). Conversion: ``pose_cv = transform_matrix @ diag(1, -1, -1, 1)`` (flip the y and z
columns). ``applied_transform`` (what ``ns-process-data`` did to the world) is already in the matrices.

Intrinsics ``fl_x, fl_y, cx, cy, w, h`` are global or per frame (a frame's keys win) and belong to the
colour image of ``w`` x ``h``; they are rescaled to the depth image's size, read from the header of the first
depth image of each distinct camera. Distortion ``k1..k4, p1, p2`` and ``camera_model`` are recorded in
:class:`~scans.capture.Intrinsics` in that (nerfstudio) order, only when a coefficient is non-zero.

Depth: ``depth_file_path`` per frame (relative to ``transforms.json``), raw values times
``depth_unit_scale_factor`` (metres per unit; default 1e-3, millimetre uint16 PNGs) give metres. Frames are
ordered by file name, digit runs compared as numbers (nerfstudio sorts by name too); a per-frame ``time``
(seconds) becomes the timestamp and must then increase in that order.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from scans.capture import Frame, Intrinsics, RGBDSequence, check_pose
from scans.errors import CaptureError
from scans.readers._common import (
    GL_TO_CV,
    check_first_depth,
    check_increasing,
    image_size,
    natural_key,
    read_json,
    require_all_or_none,
)

NAME = "nerfstudio"
DESCRIPTION = "transforms.json with a depth_file_path per frame"
DEFAULT_DEPTH_UNIT = 1e-3
"""Metres per raw depth unit when ``depth_unit_scale_factor`` is absent (millimetre PNGs)."""

_CAMERA = ("fl_x", "fl_y", "cx", "cy")
_DISTORTION = ("k1", "k2", "k3", "k4", "p1", "p2")


def detect(path: Path) -> bool:
    """A folder holding ``transforms.json``, or that file itself."""
    return (path.is_dir() and (path / "transforms.json").is_file()) or (path.is_file() and path.name == "transforms.json")


def _file(path: Path) -> Path:
    return path if path.is_file() else path / "transforms.json"


def _name(entry: dict) -> str:
    return str(entry.get("file_path") or entry.get("depth_file_path") or "")


def _resolve(base: Path, value: str) -> Path:
    path = Path(value)
    return path if path.is_absolute() else base / path


def _camera(meta: dict, entry: dict, file: Path, base: Path) -> Intrinsics:
    """The colour camera of one frame (frame keys over global ones), at its own ``w`` x ``h``."""
    merged = {**meta, **entry}
    missing = [key for key in _CAMERA if key not in merged]
    if missing:
        raise CaptureError(f"missing intrinsics: {', '.join(missing)} neither global nor in frame {_name(entry)}; "
                           "expected fl_x, fl_y, cx, cy (pixels) and w, h", file)
    if "w" in merged and "h" in merged:
        width, height = int(merged["w"]), int(merged["h"])
    elif entry.get("file_path"):
        width, height = image_size(_resolve(base, entry["file_path"]))
    else:
        raise CaptureError(f"missing intrinsics: no w, h and no colour image for frame {_name(entry)}", file)
    coefficients = tuple(float(merged.get(key, 0.0)) for key in _DISTORTION)
    distorted = any(coefficients)
    return Intrinsics(width, height, *(float(merged[key]) for key in _CAMERA),
                      distortion=coefficients if distorted else (),
                      distortion_model=str(merged.get("camera_model", "OPENCV")) if distorted else "")


def read(path: Path) -> RGBDSequence:
    """Read a nerfstudio capture (a folder with ``transforms.json``, or the file). See the module docstring."""
    file = _file(path)
    meta = read_json(file)
    base = file.parent
    entries = meta.get("frames")
    if not isinstance(entries, list) or not entries:
        raise CaptureError('no frames: expected a non-empty "frames" list', file)
    entries = sorted(entries, key=lambda e: natural_key(_name(e)))

    no_depth = [_name(e) for e in entries if not e.get("depth_file_path")]
    if not require_all_or_none(no_depth, len(entries), "depth_file_path", file):
        raise CaptureError('no frame has a "depth_file_path"; building a twin needs depth images', file)
    missing = [e["depth_file_path"] for e in entries if not _resolve(base, e["depth_file_path"]).is_file()]
    if missing:
        raise CaptureError(f"{len(missing)} of {len(entries)} depth images are missing (first: {missing[0]})", file)
    posed = require_all_or_none([_name(e) for e in entries if "transform_matrix" not in e], len(entries),
                                "transform_matrix", file)

    factor = float(meta.get("depth_unit_scale_factor", DEFAULT_DEPTH_UNIT))
    if not np.isfinite(factor) or factor <= 0:
        raise CaptureError(f"depth_unit_scale_factor must be > 0 (metres per unit), got {factor}", file)
    depth_sizes: dict[Intrinsics, tuple[int, int]] = {}
    notes, frames, times, labels = [], [], [], []
    for index, entry in enumerate(entries):
        color_k = _camera(meta, entry, file, base)
        depth_path = _resolve(base, entry["depth_file_path"])
        if color_k not in depth_sizes:  # one header per distinct camera, not one per frame
            depth_sizes[color_k] = image_size(depth_path)
            if depth_sizes[color_k] != (color_k.width, color_k.height):
                notes.append(f"intrinsics rescaled from colour {color_k.width}x{color_k.height} to depth "
                             f"{depth_sizes[color_k][0]}x{depth_sizes[color_k][1]}")
        intrinsics = color_k.scaled(*depth_sizes[color_k]) if depth_sizes[color_k] != (color_k.width, color_k.height) else color_k
        pose = None
        if posed:
            matrix = np.asarray(entry["transform_matrix"], dtype=np.float64)
            if matrix.shape == (3, 4):
                matrix = np.vstack([matrix, (0.0, 0.0, 0.0, 1.0)])
            pose = check_pose(matrix, f"{file}: frame {_name(entry)}") @ GL_TO_CV
        timestamp = float(entry["time"]) if "time" in entry else None
        if timestamp is not None:
            times.append(timestamp)
            labels.append(f"frame {_name(entry)}")
        frames.append(Frame(index, depth_path, intrinsics,
                            color_path=_resolve(base, entry["file_path"]) if entry.get("file_path") else None,
                            pose=pose, timestamp=timestamp, depth_scale=1.0 / factor))
    check_increasing(times, file, labels)
    check_first_depth(frames[0])
    notes.append("poses converted from OpenGL camera axes (nerfstudio) to OpenCV" if posed
                 else "no frame has a transform_matrix: the capture has no poses")
    return RGBDSequence(base, NAME, tuple(frames), tuple(dict.fromkeys(notes)))
