"""Redwood / Open3D RGB-D folders: ``color/`` (or ``image/``), ``depth/``, a trajectory ``.log``, an intrinsics ``.json``.

Source convention: the trajectory ``.log`` (Open3D/Redwood format) holds, per frame, a header line
``i j n`` and then 4 lines of a 4x4 **camera-to-world** matrix with **OpenCV camera axes** (+x right, +y down,
looks down +z), metres: no axis conversion. Entries pair with the depth images in sorted order (as Open3D
reads them; the header numbers are not used) and there must be one per image. A folder without a ``.log`` is
accepted with poses None and a note. With several ``.log`` files, ``trajectory.log`` is taken.

Colour and depth images pair by sorted name order (digit runs compared as numbers); depth is uint16 PNG in
millimetres, registered to colour (same size, checked on the first frame's headers).

Intrinsics: a ``.json`` in the folder in Open3D's ``PinholeCameraIntrinsic`` format (``width``, ``height``,
``intrinsic_matrix``: 9 numbers, **column-major**), ``camera_intrinsic.json`` preferred, rescaled to the
depth size if it differs. Without one, 640x480 depth gets Open3D's PrimeSense default (525, 525, 319.5,
239.5), which the Redwood sequences were recorded with, and a note; other sizes are an error.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from scans.capture import Frame, Intrinsics, RGBDSequence, check_pose
from scans.errors import CaptureError
from scans.readers._common import (
    check_first_depth,
    check_registered,
    image_size,
    natural_key,
    read_json,
)

NAME = "redwood"
DESCRIPTION = "color/ or image/ and depth/ folders, a trajectory .log and an Open3D intrinsics .json"
PRIMESENSE_DEFAULT = Intrinsics(640, 480, 525.0, 525.0, 319.5, 239.5)
_COLOR_DIRS = ("color", "image")
_IMAGES = (".png", ".jpg", ".jpeg")


def detect(path: Path) -> bool:
    """A folder with ``depth/`` and ``color/`` or ``image/`` sub-folders."""
    return path.is_dir() and (path / "depth").is_dir() and any((path / d).is_dir() for d in _COLOR_DIRS)


def _images(folder: Path) -> list[Path]:
    return sorted((p for p in folder.iterdir() if p.suffix.lower() in _IMAGES), key=natural_key) if folder.is_dir() else []


def read_log(path: Path) -> list[np.ndarray]:
    """The (4, 4) camera-to-world poses of an Open3D/Redwood trajectory ``.log``, validated, in file order."""
    lines = [(n, line.split()) for n, line in enumerate(path.read_text(errors="replace").splitlines(), start=1) if line.strip()]
    if len(lines) % 5:
        raise CaptureError(f"{len(lines)} non-empty lines is not a multiple of 5 (a header 'i j n' and 4 matrix rows "
                           "per frame); the file may be truncated", path)
    poses = []
    for start in range(0, len(lines), 5):
        rows = []
        for number, tokens in lines[start + 1:start + 5]:
            try:
                if len(tokens) != 4:
                    raise ValueError
                rows.append([float(t) for t in tokens])
            except ValueError:
                raise CaptureError(f"line {number}: expected 4 numbers of a 4x4 pose row, got {' '.join(tokens)!r}",
                                   path) from None
        poses.append(check_pose(np.array(rows), f"{path}: line {lines[start][0]}"))
    return poses


def _trajectory(path: Path) -> Path | None:
    logs = sorted(path.glob("*.log"))
    if len(logs) > 1:
        preferred = path / "trajectory.log"
        if not preferred.is_file():
            raise CaptureError(f"several trajectory files ({', '.join(p.name for p in logs)}); keep one or name "
                               "the right one trajectory.log", path)
        return preferred
    return logs[0] if logs else None


def _intrinsics(path: Path, size: tuple[int, int], notes: list[str]) -> Intrinsics:
    candidates = sorted(path.glob("*.json"), key=lambda p: (p.name != "camera_intrinsic.json", p.name))
    for file in candidates:
        data = read_json(file)
        if "intrinsic_matrix" not in data:
            continue
        k = np.asarray(data["intrinsic_matrix"], dtype=np.float64).ravel()
        if k.size != 9 or "width" not in data or "height" not in data:
            raise CaptureError("expected width, height and intrinsic_matrix (9 numbers, column-major)", file)
        k = k.reshape(3, 3).T
        intrinsics = Intrinsics(int(data["width"]), int(data["height"]), k[0, 0], k[1, 1], k[0, 2], k[1, 2])
        if size != (intrinsics.width, intrinsics.height):
            notes.append(f"intrinsics rescaled from {intrinsics.width}x{intrinsics.height} to depth {size[0]}x{size[1]}")
            return intrinsics.scaled(*size)
        return intrinsics
    if size != (640, 480):
        raise CaptureError("missing intrinsics: no .json with intrinsic_matrix (Open3D PinholeCameraIntrinsic: width, "
                           "height, intrinsic_matrix column-major)", path)
    notes.append("no intrinsics .json: used Open3D's PrimeSense default fx=fy=525, cx=319.5, cy=239.5 (640x480)")
    return PRIMESENSE_DEFAULT


def read(path: Path) -> RGBDSequence:
    """Read a Redwood/Open3D RGB-D folder. See the module docstring."""
    depths = _images(path / "depth")
    if not depths:
        raise CaptureError("no frames: depth/ holds no images", path)
    color_dir = next((path / d for d in _COLOR_DIRS if (path / d).is_dir()), path / "color")
    colors = _images(color_dir)
    if colors and len(colors) != len(depths):
        raise CaptureError(f"{color_dir.name}/ has {len(colors)} images but depth/ has {len(depths)}; expected one "
                           "colour image per depth image", path)
    notes: list[str] = []
    intrinsics = _intrinsics(path, image_size(depths[0]), notes)
    log = _trajectory(path)
    poses = read_log(log) if log is not None else None
    if poses is not None and len(poses) != len(depths):
        raise CaptureError(f"{len(poses)} poses for {len(depths)} depth images; expected one pose per frame", log)
    frames = tuple(
        Frame(i, depth, intrinsics, color_path=colors[i] if colors else None,
              pose=poses[i] if poses is not None else None, depth_scale=1000.0)
        for i, depth in enumerate(depths)
    )
    if colors:
        check_registered(colors[0], depths[0], NAME)
    check_first_depth(frames[0])
    notes.append(f"poses from {log.name}" if log is not None else "no trajectory .log: the frames have no poses")
    return RGBDSequence(path, NAME, frames, tuple(notes))
