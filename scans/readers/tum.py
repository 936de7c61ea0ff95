"""TUM RGB-D: ``rgb.txt``, ``depth.txt`` (``timestamp filename``), ``groundtruth.txt``, optional ``camera.txt``.

Source convention: ``groundtruth.txt`` lines ``timestamp tx ty tz qx qy qz qw`` give the optical centre's
camera-to-world pose with **OpenCV camera axes** already (+x right, +y down, looks down +z), metres: no axis
conversion. Timestamps are seconds and must strictly increase in each file.

One frame per depth image (depth is what gets fused). Its colour is the rgb image nearest in time within
:data:`MAX_DT` (0.02 s, as TUM's ``associate.py``), else none. Its pose is **interpolated** at the depth
timestamp (linear in translation, slerp in rotation) between the two ground-truth samples around it when both
lie within 0.02 s, else the nearest sample within 0.02 s, else the frame is kept with pose None.

Depth is uint16 PNG in units of 1/5000 m. Colour and depth are registered, the same size. Intrinsics come
from ``camera.txt`` or ``intrinsics.txt``: either ``fx fy cx cy`` (4 numbers, pixels) or a 3x3 camera matrix
(9 numbers, row-major), ``#`` comments allowed, for the depth image's size. Without one, the TUM default ROS
intrinsics (fx = fy = 525, cx = 319.5, cy = 239.5 at 640x480) are used and a note says so: the Freiburg 1, 2
and 3 cameras each differ from them and cannot be told apart from the files.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from scans.capture import Frame, Intrinsics, RGBDSequence, check_pose
from scans.errors import CaptureError
from scans.readers._common import (
    check_first_depth,
    check_increasing,
    check_registered,
    image_size,
    pose_from_quat,
    read_numbers,
)

NAME = "tum"
DESCRIPTION = "rgb.txt and depth.txt (timestamp filename), groundtruth.txt, optional camera.txt"
MAX_DT = 0.02
"""Seconds: the largest time difference for pairing colour with depth and poses with frames."""
DEPTH_SCALE = 5000.0
DEFAULT_INTRINSICS = Intrinsics(640, 480, 525.0, 525.0, 319.5, 239.5)
"""TUM's default ROS intrinsics (not those of any one Freiburg camera)."""


def detect(path: Path) -> bool:
    """A folder holding ``rgb.txt`` and ``depth.txt``."""
    return path.is_dir() and (path / "rgb.txt").is_file() and (path / "depth.txt").is_file()


def _rows(path: Path, columns: int, expected: str, numeric: bool = False) -> tuple[np.ndarray, list[list]]:
    """Timestamps (N,) and the other tokens of each non-comment line, checked to strictly increase."""
    times, rows, lines = [], [], []
    for number, line in enumerate(path.read_text(errors="replace").splitlines(), start=1):
        tokens = line.split("#", 1)[0].split()
        if not tokens:
            continue
        try:
            if len(tokens) != columns:
                raise ValueError
            time = float(tokens[0])
            rest = [float(token) for token in tokens[1:]] if numeric else tokens[1:]
        except ValueError:
            raise CaptureError(f"line {number}: expected '{expected}', got {line.strip()!r}", path) from None
        times.append(time)
        rows.append(rest)
        lines.append(f"line {number}")
    check_increasing(times, path, lines)
    return np.asarray(times, dtype=np.float64), rows


def _nearest(times: np.ndarray, t: float) -> int | None:
    """Index of the entry of ``times`` (sorted) nearest ``t`` within MAX_DT, or None."""
    j = int(np.searchsorted(times, t))
    best = min((i for i in (j - 1, j) if 0 <= i < len(times)), key=lambda i: abs(times[i] - t), default=None)
    return best if best is not None and abs(times[best] - t) <= MAX_DT else None


def _slerp(q0: np.ndarray, q1: np.ndarray, a: float) -> np.ndarray:
    q0, q1 = q0 / np.linalg.norm(q0), q1 / np.linalg.norm(q1)
    dot = float(q0 @ q1)
    if dot < 0:
        q1, dot = -q1, -dot
    if dot > 0.9995:
        q = q0 + a * (q1 - q0)
        return q / np.linalg.norm(q)
    theta = np.arccos(dot)
    return (np.sin((1 - a) * theta) * q0 + np.sin(a * theta) * q1) / np.sin(theta)


def _pose_at(t: float, times: np.ndarray, values: np.ndarray, where: str) -> np.ndarray | None:
    """Camera-to-world at ``t`` from ground truth ``values`` (N, 7) = tx ty tz qx qy qz qw; see module docs."""
    j = int(np.searchsorted(times, t))
    if j < len(times) and times[j] == t:
        row = values[j]
    elif 0 < j < len(times) and t - times[j - 1] <= MAX_DT and times[j] - t <= MAX_DT:
        a = (t - times[j - 1]) / (times[j] - times[j - 1])
        row = np.concatenate([(1 - a) * values[j - 1, :3] + a * values[j, :3], _slerp(values[j - 1, 3:], values[j, 3:], a)])
    else:
        i = _nearest(times, t)
        if i is None:
            return None
        row = values[i]
    return check_pose(pose_from_quat(row[:3], row[3:], where), where)


def _intrinsics(root: Path, size: tuple[int, int], notes: list[str]) -> Intrinsics:
    for name in ("camera.txt", "intrinsics.txt"):
        path = root / name
        if path.is_file():
            numbers = read_numbers(path)
            if numbers.size == 4:
                return Intrinsics(*size, *numbers)
            if numbers.size == 9 and np.allclose(numbers[6:], (0, 0, 1)):
                k = numbers.reshape(3, 3)
                return Intrinsics(*size, k[0, 0], k[1, 1], k[0, 2], k[1, 2])
            raise CaptureError(f"expected 4 numbers (fx fy cx cy) or a 3x3 camera matrix (9 numbers), got {numbers.size}", path)
    notes.append("no camera.txt or intrinsics.txt: used the TUM default ROS intrinsics fx=fy=525, cx=319.5, "
                 "cy=239.5 (640x480); the Freiburg 1/2/3 cameras differ, write camera.txt ('fx fy cx cy') to fix")
    return DEFAULT_INTRINSICS.scaled(*size) if size != (640, 480) else DEFAULT_INTRINSICS


def read(path: Path) -> RGBDSequence:
    """Read a TUM RGB-D sequence folder. See the module docstring."""
    depth_list = path / "depth.txt"
    if not depth_list.is_file():
        raise CaptureError("not a TUM RGB-D folder: depth.txt is missing", path)
    depth_times, depth_rows = _rows(depth_list, 2, "timestamp filename")
    if not depth_rows:
        raise CaptureError("no frames: the file lists no depth images", depth_list)
    rgb_list = path / "rgb.txt"
    rgb_times, rgb_rows = _rows(rgb_list, 2, "timestamp filename") if rgb_list.is_file() else (np.empty(0), [])
    notes: list[str] = []
    gt_path = path / "groundtruth.txt"
    if gt_path.is_file():
        gt_times, gt_rows = _rows(gt_path, 8, "timestamp tx ty tz qx qy qz qw", numeric=True)
        gt_values = np.asarray(gt_rows, dtype=np.float64).reshape(-1, 7)
    else:
        gt_times, gt_values = np.empty(0), np.empty((0, 7))
        notes.append("no groundtruth.txt: the frames have no poses")

    intrinsics = _intrinsics(path, image_size(path / depth_rows[0][0]), notes)
    frames = []
    for index, (t, (name,)) in enumerate(zip(depth_times, depth_rows)):
        rgb = _nearest(rgb_times, t)
        pose = _pose_at(t, gt_times, gt_values, f"{gt_path}: pose at {t:.6f}") if len(gt_times) else None
        frames.append(Frame(index, path / name, intrinsics, color_path=path / rgb_rows[rgb][0] if rgb is not None else None,
                            pose=pose, timestamp=float(t), depth_scale=DEPTH_SCALE))
    first_color = next((f for f in frames if f.color_path is not None), None)
    if first_color is not None:
        check_registered(first_color.color_path, first_color.depth_path, NAME)
    check_first_depth(frames[0])

    uncoloured = sum(f.color_path is None for f in frames)
    if uncoloured:
        notes.append(f"{uncoloured} of {len(frames)} depth images have no rgb image within {MAX_DT} s")
    unposed = sum(f.pose is None for f in frames)
    if len(gt_times):
        notes.append(f"poses interpolated at the depth timestamps between ground-truth samples within {MAX_DT} s "
                     "(else the nearest one within it)")
        if unposed:
            notes.append(f"{unposed} of {len(frames)} frames have no ground-truth pose within {MAX_DT} s (pose None)")
    return RGBDSequence(path, NAME, tuple(frames), tuple(notes))
