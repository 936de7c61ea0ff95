"""Helpers the RGB-D readers (and writers) share: listing, image headers, text matrices, axes, checks.

Every check raises :class:`~scans.errors.CaptureError` naming the file and what was expected.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from scans.capture import Frame, check_pose
from scans.errors import CaptureError
from scans.images import read_image
from twin.extras import require

GL_TO_CV = np.diag([1.0, -1.0, -1.0, 1.0])
"""Right-multiply a camera-to-world pose in OpenGL/ARKit camera axes (+x right, +y up, looks down -z) by this
to get OpenCV camera axes (+x right, +y down, looks down +z): it flips the y and z columns. It is its own
inverse, and exact in floating point (sign flips only)."""


def natural_key(name: str | Path) -> list:
    """Sort key comparing the digit runs of a name as numbers: ``2.jpg`` < ``10.jpg``."""
    parts = re.split(r"(\d+)", Path(name).name if isinstance(name, Path) else str(name))
    return [int(p) if i % 2 else p.lower() for i, p in enumerate(parts)]


def numbered_files(directory: Path, suffixes: tuple[str, ...]) -> dict[int, Path]:
    """Files ``N<suffix>`` in ``directory`` whose stem is an integer (not zero-padded or padded), by N."""
    if not directory.is_dir():
        return {}
    files = {}
    for path in directory.iterdir():
        if path.suffix.lower() in suffixes and path.stem.isdigit():
            files[int(path.stem)] = path
    return dict(sorted(files.items()))


def image_size(path: Path) -> tuple[int, int]:
    """(width, height) of a PNG/JPG or EXR image from its header only (the pixels are not decoded)."""
    if not path.is_file():
        raise CaptureError("image file is missing", path)
    try:
        if path.suffix.lower() == ".exr":
            exr = require("OpenEXR", "scan", "reading EXR depth images")
            with exr.File(str(path), header_only=True) as f:
                low, high = f.header()["dataWindow"]
            return int(high[0] - low[0] + 1), int(high[1] - low[1] + 1)
        pil = require("PIL.Image", "scan", "reading capture images")
        with pil.open(path) as image:
            return image.size
    except CaptureError:
        raise
    except Exception as exc:  # noqa: BLE001 (PIL and OpenEXR raise assorted types for corrupt headers)
        raise CaptureError(f"cannot read image header ({exc}); the file may be truncated or not an image", path) from None


def read_json(path: Path) -> dict:
    """A JSON object from ``path``."""
    if not path.is_file():
        raise CaptureError("file is missing", path)
    try:
        data = json.loads(path.read_text())
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CaptureError(f"not valid JSON ({exc})", path) from None
    if not isinstance(data, dict):
        raise CaptureError(f"expected a JSON object, got {type(data).__name__}", path)
    return data


def read_numbers(path: Path) -> np.ndarray:
    """All whitespace- or comma-separated numbers of a text file (``#`` starts a comment), as float64 (N,)."""
    if not path.is_file():
        raise CaptureError("file is missing", path)
    values = []
    for line in path.read_text(errors="replace").splitlines():
        for token in line.split("#", 1)[0].replace(",", " ").split():
            try:
                values.append(float(token))
            except ValueError:
                raise CaptureError(f"cannot parse numbers: {token!r} is not a number", path) from None
    return np.asarray(values, dtype=np.float64)


def read_pose_txt(path: Path) -> np.ndarray:
    """A (4, 4) camera-to-world pose written as 16 numbers (4 rows of 4), validated with ``check_pose``."""
    numbers = read_numbers(path)
    if numbers.size != 16:
        raise CaptureError(f"expected 16 numbers (a 4x4 pose), got {numbers.size}", path)
    return check_pose(numbers.reshape(4, 4), str(path))


def camera_matrix(numbers: np.ndarray, path: Path) -> tuple[float, float, float, float]:
    """(fx, fy, cx, cy) of a 3x3 camera matrix given as 9 numbers, row-major."""
    if numbers.size != 9:
        raise CaptureError(f"expected 9 numbers (a 3x3 camera matrix), got {numbers.size}", path)
    k = numbers.reshape(3, 3)
    if not np.allclose(k[2], (0, 0, 1)):
        raise CaptureError(f"not a camera matrix (expected rows fx 0 cx / 0 fy cy / 0 0 1), got {k.tolist()}", path)
    return float(k[0, 0]), float(k[1, 1]), float(k[0, 2]), float(k[1, 2])


def quat_to_rotation(q_xyzw: Sequence[float], where: str) -> np.ndarray:
    """(3, 3) rotation of a quaternion given as (x, y, z, w); normalised first (text files round them)."""
    x, y, z, w = (float(v) for v in q_xyzw)
    norm = np.sqrt(x * x + y * y + z * z + w * w)
    if not np.isfinite(norm) or norm < 1e-6:
        raise CaptureError(f"{where}: pose is not invertible (quaternion length {norm:.3g})")
    x, y, z, w = x / norm, y / norm, z / norm, w / norm
    return np.array([
        [1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
        [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
        [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)],
    ])


def rotation_to_quat(r: np.ndarray) -> tuple[float, float, float, float]:
    """Unit quaternion (x, y, z, w) of a (3, 3) rotation, with w >= 0 (Shepperd's method)."""
    r = np.asarray(r, dtype=np.float64)
    trace = r[0, 0] + r[1, 1] + r[2, 2]
    if trace > 0:
        s = 2.0 * np.sqrt(1.0 + trace)
        q = ((r[2, 1] - r[1, 2]) / s, (r[0, 2] - r[2, 0]) / s, (r[1, 0] - r[0, 1]) / s, 0.25 * s)
    elif r[0, 0] > r[1, 1] and r[0, 0] > r[2, 2]:
        s = 2.0 * np.sqrt(1.0 + r[0, 0] - r[1, 1] - r[2, 2])
        q = (0.25 * s, (r[0, 1] + r[1, 0]) / s, (r[0, 2] + r[2, 0]) / s, (r[2, 1] - r[1, 2]) / s)
    elif r[1, 1] > r[2, 2]:
        s = 2.0 * np.sqrt(1.0 + r[1, 1] - r[0, 0] - r[2, 2])
        q = ((r[0, 1] + r[1, 0]) / s, 0.25 * s, (r[1, 2] + r[2, 1]) / s, (r[0, 2] - r[2, 0]) / s)
    else:
        s = 2.0 * np.sqrt(1.0 + r[2, 2] - r[0, 0] - r[1, 1])
        q = ((r[0, 2] + r[2, 0]) / s, (r[1, 2] + r[2, 1]) / s, 0.25 * s, (r[1, 0] - r[0, 1]) / s)
    q = np.asarray(q) / np.linalg.norm(q)
    return tuple(float(v) for v in (-q if q[3] < 0 else q))


def pose_from_quat(t_xyz: Sequence[float], q_xyzw: Sequence[float], where: str) -> np.ndarray:
    """(4, 4) pose from a translation (metres) and a quaternion (x, y, z, w)."""
    pose = np.eye(4)
    pose[:3, :3] = quat_to_rotation(q_xyzw, where)
    pose[:3, 3] = [float(v) for v in t_xyz]
    return pose


def check_increasing(times: Sequence[float], path: Path, labels: Sequence[str]) -> None:
    """Raise unless ``times`` (seconds) strictly increase; ``labels`` say where each is (``"line 7"``)."""
    for i in range(1, len(times)):
        if times[i] > times[i - 1]:
            continue
        if times[i] == times[i - 1]:
            raise CaptureError(f"{labels[i]}: duplicate timestamp {times[i]:.6f}; expected strictly increasing "
                               "timestamps", path)
        raise CaptureError(f"{labels[i]}: timestamp {times[i]:.6f} comes before the previous one "
                           f"({times[i - 1]:.6f}); expected strictly increasing timestamps", path)


def require_all_or_none(missing: Sequence[str], total: int, what: str, where: Path) -> bool:
    """True when every frame has ``what``, False when none has; raise when only some lack it.

    Args:
        missing: Names of the frames (or files) that lack it, in frame order.
    """
    if not missing:
        return True
    if len(missing) == total:
        return False
    raise CaptureError(f"{len(missing)} of {total} frames have no {what} (first: {missing[0]}); "
                       f"expected one for every frame or for none", where)


def check_registered(color: Path, depth: Path, layout: str) -> None:
    """Raise unless colour and depth images (read from headers) have the same size, as ``layout`` requires."""
    cw, ch = image_size(color)
    dw, dh = image_size(depth)
    if (cw, ch) != (dw, dh):
        raise CaptureError(f"colour is {cw}x{ch} but depth {depth.name} is {dw}x{dh}; the {layout} layout expects "
                           "registered colour and depth of the same size", color)


def check_first_depth(frame: Frame) -> None:
    """Read one frame's raw depth: right size for its intrinsics, and not metres where units were expected.

    A depth image in units of 1/``depth_scale`` m (e.g. millimetres) whose valid values all lie below 20 would
    put everything within 2 cm of the camera: it almost surely holds metres.
    """
    raw = read_image(frame.depth_path)
    raw = raw[..., 0] if raw.ndim == 3 else raw
    k = frame.intrinsics
    if raw.shape != (k.height, k.width):
        raise CaptureError(f"depth is {raw.shape[1]}x{raw.shape[0]} but the intrinsics are for {k.width}x{k.height}",
                           frame.depth_path)
    if frame.depth_scale <= 1.0:
        return
    values = raw.astype(np.float64)
    valid = np.isfinite(values) & (values > 0)
    for value in frame.depth_invalid:
        valid &= raw != value
    if valid.any() and values[valid].max() < 20:
        scale = frame.depth_scale
        unit = "millimetres" if scale == 1000 else f"units of 1/{scale:g} m"
        raise CaptureError(f"depth values range {values[valid].min():.1f}..{values[valid].max():.1f}: looks like "
                           f"metres, expected {unit} (scale {scale:g})", frame.depth_path)
