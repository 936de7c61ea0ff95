"""Record3D "EXR + JPG" export: ``EXR_RGBD/{metadata.json, rgb/N.jpg, depth/N.exr, conf/N.png}``.

Source convention: ``metadata.json`` holds ``poses``, one ``[qx, qy, qz, qw, tx, ty, tz]`` per recorded frame,
camera-to-world in **ARKit camera axes** (+x right, +y up, looks down -z; world y up), metres. Conversion:
``pose_cv = pose_arkit @ diag(1, -1, -1, 1)`` (flip the y and z columns).

``K`` is the 3x3 colour camera matrix stored **column-major** for the RGB size ``w`` x ``h``; it is rescaled
to the depth size (``dw`` x ``dh``, else the first EXR's header). Depth ``N.exr`` is float16 metres in channel
``R``, smaller than the RGB. File names are frame numbers, not zero-padded, sorted numerically; frames can be
missing while their poses remain, so frame N takes ``poses[N]``. Timestamps are ``frameTimestamps[N]``
(seconds) when present, else N / ``fps``.

Confidence ``conf/N.png`` (0 low, 1 medium, 2 high, as ARKit gives it) drops depth below
:data:`MIN_CONFIDENCE` (2: only high-confidence depth is kept, since ARKit's medium/low depth smears edges).
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
    numbered_files,
    pose_from_quat,
    read_json,
)

NAME = "record3d"
DESCRIPTION = "EXR_RGBD/ (or its contents): metadata.json, rgb/N.jpg, depth/N.exr, conf/N.png"
MIN_CONFIDENCE = 2
"""Depth pixels whose confidence (0, 1, 2) is below this are dropped."""


def _root(path: Path) -> Path | None:
    for root in (path / "EXR_RGBD", path):
        if (root / "metadata.json").is_file() and (root / "depth").is_dir():
            return root
    return None


def detect(path: Path) -> bool:
    """A folder with ``metadata.json`` and ``depth/``, or its parent holding it as ``EXR_RGBD/``."""
    return path.is_dir() and _root(path) is not None


def _pose(values, where: str) -> np.ndarray:
    values = np.asarray(values, dtype=np.float64).ravel()
    if values.size != 7:
        raise CaptureError(f"{where}: expected 7 numbers [qx, qy, qz, qw, tx, ty, tz], got {values.size}")
    return check_pose(pose_from_quat(values[4:], values[:4], where), where) @ GL_TO_CV


def read(path: Path, *, min_confidence: int = MIN_CONFIDENCE) -> RGBDSequence:
    """Read a Record3D EXR + JPG export (``EXR_RGBD`` or its parent). See the module docstring."""
    root = _root(path)
    if root is None:
        raise CaptureError("not a Record3D export: expected metadata.json and depth/ here or in EXR_RGBD/", path)
    meta_path = root / "metadata.json"
    meta = read_json(meta_path)
    depths = numbered_files(root / "depth", (".exr",))
    if not depths:
        raise CaptureError("no frames: depth/ holds no N.exr images", root)
    colors = {**numbered_files(root / "rgb", (".png",)), **numbered_files(root / "rgb", (".jpg", ".jpeg"))}
    confidences = numbered_files(root / "conf", (".png",))

    if "K" not in meta:
        raise CaptureError('missing intrinsics: no "K" (3x3 column-major, for the RGB size)', meta_path)
    k = np.asarray(meta["K"], dtype=np.float64).ravel()
    if k.size != 9:
        raise CaptureError(f'"K" must have 9 numbers (3x3 column-major), got {k.size}', meta_path)
    k = k.reshape(3, 3).T
    first = next(iter(depths))
    if "w" in meta and "h" in meta:
        rgb_size = int(meta["w"]), int(meta["h"])
    elif first in colors:
        rgb_size = image_size(colors[first])
    else:
        raise CaptureError('missing intrinsics: no "w", "h" (the size K belongs to) and no rgb image', meta_path)
    depth_size = (int(meta["dw"]), int(meta["dh"])) if "dw" in meta and "dh" in meta else image_size(depths[first])
    color_k = Intrinsics(*rgb_size, k[0, 0], k[1, 1], k[0, 2], k[1, 2])
    intrinsics = color_k.scaled(*depth_size) if depth_size != rgb_size else color_k

    poses = meta.get("poses") or []
    unposed = [n for n in depths if n >= len(poses)]
    if poses and unposed:
        raise CaptureError(f"{len(unposed)} of {len(depths)} frames have no pose (first: depth/{depths[unposed[0]].name}); "
                           f'"poses" has {len(poses)} entries, one per recorded frame', meta_path)
    stamps = meta.get("frameTimestamps")
    fps = float(meta.get("fps") or 0)
    notes = []
    if stamps is not None and len(stamps) <= max(depths):
        raise CaptureError(f'"frameTimestamps" has {len(stamps)} entries but frames go up to {max(depths)}', meta_path)
    if stamps is None and fps > 0:
        notes.append(f"no frameTimestamps: timestamps are frame number / fps ({fps:g})")

    frames = []
    for index, (number, depth_path) in enumerate(depths.items()):
        timestamp = float(stamps[number]) if stamps is not None else (number / fps if fps > 0 else None)
        pose = _pose(poses[number], f"{meta_path}: poses[{number}]") if poses else None
        frames.append(Frame(index, depth_path, intrinsics, color_path=colors.get(number), pose=pose,
                            timestamp=timestamp, depth_scale=1.0, confidence_path=confidences.get(number),
                            min_confidence=min_confidence if number in confidences else 0))
    check_first_depth(frames[0])
    times = [f.timestamp for f in frames if f.timestamp is not None]
    check_increasing(times, meta_path, [f"frame {f.depth_path.stem}" for f in frames if f.timestamp is not None])

    skipped = len(poses) - len(depths)
    if skipped > 0:
        notes.append(f"{skipped} of {len(poses)} recorded frames have a pose but no images (skipped)")
    if len(confidences) < len(depths):
        notes.append(f"{len(depths) - len(confidences)} of {len(depths)} frames have no conf/N.png: their depth is unfiltered")
    if depth_size != rgb_size:
        notes.append(f"intrinsics rescaled from RGB {rgb_size[0]}x{rgb_size[1]} to depth {depth_size[0]}x{depth_size[1]}")
    notes.append("poses converted from ARKit camera axes to OpenCV" if poses else "no poses in metadata.json")
    notes.append(f"depth with confidence below {min_confidence} dropped")
    return RGBDSequence(root, NAME, tuple(frames), tuple(notes))
