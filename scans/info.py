"""What a capture holds, for ``twin scans info``: frames, camera, poses, depth range, extents, warnings.

Only a sample of the frames' depth images is read (``sample`` evenly spaced frames), so the summary of a
10,000-frame capture costs as much as that of a 20-frame one; the result says how many were read.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from scans.capture import Capture, PointCloud, RGBDSequence, TriangleMesh

FEW_FRAMES = 10
"""Fewer posed frames than this get a warning: too few views to reconstruct a scene."""

DEPTH_MEDIAN_RANGE = (0.15, 10.0)
"""A median depth (m) outside this range suggests wrong depth units."""

LOW_VALID_FRACTION = 0.2
"""Below this fraction of valid depth pixels a warning is given."""


def _r(value: float, digits: int = 4) -> float:
    return round(float(value), digits)


@dataclass(frozen=True)
class CaptureInfo:
    """A summary of one capture.

    Args:
        kind: ``"rgbd"``, ``"pointcloud"`` or ``"mesh"``.
        counts: RGB-D: ``frames``, ``posed``; clouds: ``points``; meshes: ``vertices``, ``faces``.
        camera: RGB-D only: ``width``, ``height`` (depth), ``color_width``, ``color_height``, ``fx``, ``fy``,
            ``cx``, ``cy`` (px), ``distortion_model``.
        depth: RGB-D only: ``sampled_frames``, ``valid_fraction``, ``min``, ``p01``, ``median``, ``p99``,
            ``max`` (m, over the valid pixels of the sampled frames).
        extent: RGB-D: of the posed camera positions; clouds and meshes: of the points. Keys ``min``, ``max``,
            ``size`` (each 3 numbers, m), and ``path_length`` (m, RGB-D).
        colour: Whether colour is present.
        notes: What the reader did.
        warnings: What looks wrong or risky.
    """

    path: str
    layout: str
    kind: str
    counts: dict[str, int]
    camera: dict[str, Any] | None = None
    depth: dict[str, float] | None = None
    extent: dict[str, Any] | None = None
    colour: bool = False
    normals: bool = False
    notes: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {"path": self.path, "layout": self.layout, "kind": self.kind, "counts": dict(self.counts),
                "camera": self.camera, "depth": self.depth, "extent": self.extent, "colour": self.colour,
                "normals": self.normals, "notes": list(self.notes), "warnings": list(self.warnings)}


def _box(points: np.ndarray) -> dict[str, list[float]]:
    lo, hi = points.min(axis=0), points.max(axis=0)
    return {"min": [_r(v) for v in lo], "max": [_r(v) for v in hi], "size": [_r(v) for v in hi - lo]}


def _geometry_info(capture: PointCloud | TriangleMesh) -> CaptureInfo:
    if isinstance(capture, PointCloud):
        kind, points, counts = "pointcloud", capture.points, {"points": len(capture.points)}
    else:
        kind, points = "mesh", np.asarray(capture.vertices, dtype=np.float64)
        counts = {"vertices": len(points), "faces": len(capture.faces)}
    extent = _box(points)
    warnings = []
    if len(points) < 1000:
        warnings.append(f"only {len(points)} points; too few to reconstruct surfaces")
    if max(extent["size"]) > 1000:
        warnings.append(f"the bounding box is {max(extent['size']):.0f} m across: not metres, or several sites")
    elif max(extent["size"]) < 0.05:
        warnings.append(f"the bounding box is {max(extent['size']) * 1000:.1f} mm across: millimetres read as metres?")
    return CaptureInfo(str(capture.path), capture.layout, kind, counts, extent=extent,
                       colour=capture.colors is not None, normals=getattr(capture, "normals", None) is not None,
                       notes=tuple(capture.notes), warnings=tuple(warnings))


def _colour_size(sequence: RGBDSequence) -> tuple[int, int] | None:
    path = next((f.color_path for f in sequence.frames if f.color_path is not None), None)
    if path is None:
        return None
    try:
        from PIL import Image

        with Image.open(path) as image:
            return image.size
    except Exception:  # EXR or a broken file: the size is reported as unknown, depth reading will complain
        return None


def _depth_stats(sequence: RGBDSequence, sample: int) -> dict[str, float]:
    picks = np.unique(np.linspace(0, len(sequence) - 1, min(sample, len(sequence))).round().astype(int))
    values, pixels = [], 0
    for index in picks:
        depth = sequence.frames[index].depth()
        pixels += depth.size
        values.append(depth[depth > 0])
    valid = np.concatenate(values)
    stats = {"sampled_frames": len(picks), "valid_fraction": _r(len(valid) / max(pixels, 1), 3)}
    if len(valid):
        p = np.percentile(valid, [1, 50, 99])
        stats.update({"min": _r(valid.min()), "p01": _r(p[0]), "median": _r(p[1]), "p99": _r(p[2]),
                      "max": _r(valid.max())})
    return stats


def _rgbd_info(sequence: RGBDSequence, sample: int) -> CaptureInfo:
    k = sequence.frames[0].intrinsics
    colour = _colour_size(sequence)
    camera = {"width": k.width, "height": k.height, "color_width": colour[0] if colour else None,
              "color_height": colour[1] if colour else None, "fx": _r(k.fx), "fy": _r(k.fy), "cx": _r(k.cx),
              "cy": _r(k.cy), "distortion_model": k.distortion_model or None}
    notes, warnings = list(sequence.notes), []
    if any(f.intrinsics != k for f in sequence.frames):
        notes.append("the intrinsics differ between frames; those of frame 0 are shown")
    depth = _depth_stats(sequence, sample)
    posed = [f.pose for f in sequence.frames if f.pose is not None]
    extent = None
    if posed:
        centres = np.array([p[:3, 3] for p in posed])
        extent = _box(centres)
        extent["path_length"] = _r(np.linalg.norm(np.diff(centres, axis=0), axis=1).sum(), 3)
        if len(posed) > 1 and max(extent["size"]) < 0.01:
            warnings.append("the posed cameras move less than 1 cm: the poses may be constant placeholders")
    frames = len(sequence)
    if not posed:
        warnings.append(f"no frame has a pose: twin build estimates them by RGB-D odometry (slower, and the twin "
                        "frame is then the first camera's)")
    elif len(posed) < frames:
        warnings.append(f"{frames - len(posed)} of {frames} frames have no pose; twin build leaves them out "
                        "(--poses estimate estimates every frame's instead)")
    if frames < FEW_FRAMES:
        warnings.append(f"only {frames} frames; a reconstruction needs at least {FEW_FRAMES} views")
    if "median" not in depth:
        warnings.append(f"no valid depth in the {depth['sampled_frames']} sampled frames")
    else:
        lo, hi = DEPTH_MEDIAN_RANGE
        if not lo <= depth["median"] <= hi:
            warnings.append(f"median depth {depth['median']:.3g} m is outside {lo}-{hi} m: check the depth units")
        if depth["valid_fraction"] < LOW_VALID_FRACTION:
            warnings.append(f"only {depth['valid_fraction']:.0%} of the depth pixels are valid in the sampled frames")
    counts = {"frames": frames, "posed": len(posed)}
    return CaptureInfo(str(sequence.root), sequence.layout, "rgbd", counts, camera=camera, depth=depth, extent=extent,
                       colour=colour is not None, notes=tuple(notes), warnings=tuple(warnings))


def capture_info(capture: Capture, *, sample: int = 20) -> CaptureInfo:
    """Summarise a capture read by :func:`scans.readers.read_capture`.

    Args:
        capture: An RGB-D sequence, point cloud or mesh.
        sample: How many evenly spaced frames' depth images to read for the depth statistics.
    """
    if isinstance(capture, RGBDSequence):
        return _rgbd_info(capture, max(1, int(sample)))
    return _geometry_info(capture)

