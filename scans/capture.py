"""The common capture model every reader produces and every later stage consumes.

Conventions, whatever the source layout:

- Poses are camera-to-world 4x4 matrices in **OpenCV camera axes** (+x right, +y down, +z forward), metres.
  Each reader converts its source convention (OpenGL/nerfstudio, ARKit/Record3D, ...) explicitly.
- Intrinsics are given **at depth resolution** (depth is what gets fused); colour may be larger.
- Depth is returned in metres as float32, 0 where invalid.
- Images are loaded lazily, one frame at a time: a sequence holds only paths, poses and intrinsics, so a
  10,000-frame capture never sits in memory at once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from scans.errors import CaptureError
from twin.transforms import check_transform


@dataclass(frozen=True)
class Intrinsics:
    """Pinhole intrinsics of an image of ``width`` x ``height`` pixels (focal lengths and centre in pixels).

    Args:
        distortion: Distortion coefficients as the source gives them (recorded, not applied).
        distortion_model: Their model name, e.g. ``"OPENCV"`` (empty when none).
    """

    width: int
    height: int
    fx: float
    fy: float
    cx: float
    cy: float
    distortion: tuple[float, ...] = ()
    distortion_model: str = ""

    def __post_init__(self) -> None:
        if int(self.width) <= 0 or int(self.height) <= 0:
            raise CaptureError(f"intrinsics: image size must be positive, got {self.width}x{self.height}")
        object.__setattr__(self, "width", int(self.width))
        object.__setattr__(self, "height", int(self.height))
        for name in ("fx", "fy", "cx", "cy"):
            value = float(getattr(self, name))
            if not np.isfinite(value) or (name in ("fx", "fy") and value <= 0):
                raise CaptureError(f"intrinsics: {name} must be finite{' and > 0' if name[0] == 'f' else ''}, got {value}")
            object.__setattr__(self, name, value)
        object.__setattr__(self, "distortion", tuple(float(d) for d in self.distortion))

    @property
    def matrix(self) -> np.ndarray:
        """The (3, 3) camera matrix K."""
        return np.array([[self.fx, 0.0, self.cx], [0.0, self.fy, self.cy], [0.0, 0.0, 1.0]])

    def scaled(self, width: int, height: int) -> Intrinsics:
        """The same camera at another resolution (pixel-centre convention: centres scale with the image)."""
        sx, sy = width / self.width, height / self.height
        return Intrinsics(width, height, self.fx * sx, self.fy * sy, self.cx * sx, self.cy * sy,
                          self.distortion, self.distortion_model)


def check_pose(pose, where: str) -> np.ndarray:
    """Validate a camera-to-world pose: 4x4, finite, rigid (orthonormal rotation within 1e-3, det +1), last row
    0 0 0 1 (see :func:`twin.transforms.check_transform`).

    Raises:
        CaptureError: naming ``where`` (a file, or a file and frame) and what is wrong.
    """
    try:
        return check_transform(pose, f"{where}: pose", atol=1e-3)
    except ValueError as exc:
        raise CaptureError(str(exc)) from None


@dataclass(frozen=True, eq=False)
class Frame:
    """One RGB-D frame: paths (loaded lazily), pose, intrinsics at depth resolution, depth units.

    Args:
        index: Position in the sequence (0-based, after sorting).
        depth_path: The depth image.
        color_path: The colour image, or None.
        pose: Camera-to-world (4, 4) in OpenCV axes, or None when the capture has no pose for this frame.
        timestamp: Seconds, or None.
        intrinsics: Of the depth image.
        depth_scale: Raw depth units per metre (1000 for millimetre PNGs, 5000 for TUM, 1 for metres).
        depth_invalid: Raw values that mean "no depth" besides 0 (e.g. 65535 in 7-Scenes).
        confidence_path: A per-pixel confidence image (Record3D), or None.
        min_confidence: Pixels whose confidence is below this are dropped.
        loader: ``loader(path) -> np.ndarray`` reading raw images; the default reads PNG/JPG (and EXR).
    """

    index: int
    depth_path: Path
    intrinsics: Intrinsics
    color_path: Path | None = None
    pose: np.ndarray | None = None
    timestamp: float | None = None
    depth_scale: float = 1000.0
    depth_invalid: tuple[float, ...] = ()
    confidence_path: Path | None = None
    min_confidence: int = 0
    loader: Callable[[Path], np.ndarray] | None = field(default=None, compare=False, repr=False)

    def _read(self, path: Path) -> np.ndarray:
        from scans.images import read_image

        return (self.loader or read_image)(path)

    def depth(self) -> np.ndarray:
        """Depth in metres, (H, W) float32, 0 where invalid (and where confidence is too low)."""
        raw = self._read(self.depth_path)
        if raw.ndim == 3 and raw.shape[2] == 1:
            raw = raw[..., 0]
        if raw.ndim != 2 or raw.dtype == np.uint8:
            kind = f"{raw.shape[2]}-channel" if raw.ndim == 3 else "single-channel"
            raise CaptureError(
                f"{self.depth_path}: is a {kind} {raw.dtype} image (a colour picture?); a depth image has one "
                "channel of 16-bit integers or floats"
            )
        if raw.shape != (self.intrinsics.height, self.intrinsics.width):
            raise CaptureError(
                f"{self.depth_path}: depth is {raw.shape[1]}x{raw.shape[0]} but the intrinsics are for "
                f"{self.intrinsics.width}x{self.intrinsics.height}"
            )
        depth = raw.astype(np.float32)
        invalid = ~np.isfinite(depth) | (depth <= 0)
        for value in self.depth_invalid:
            invalid |= raw == value
        depth = np.where(invalid, 0.0, depth / np.float32(self.depth_scale)).astype(np.float32)
        if self.confidence_path is not None:
            confidence = self._read(self.confidence_path)
            if confidence.shape[:2] != depth.shape:
                raise CaptureError(f"{self.confidence_path}: confidence size {confidence.shape[:2]} differs from depth {depth.shape}")
            depth[confidence < self.min_confidence] = 0.0
        return depth

    def color(self) -> np.ndarray | None:
        """Colour as (H, W, 3) uint8 RGB at its own resolution, or None."""
        if self.color_path is None:
            return None
        image = self._read(self.color_path)
        if image.ndim == 2:
            image = np.repeat(image[..., None], 3, axis=2)
        return np.ascontiguousarray(image[..., :3])


@dataclass(frozen=True, eq=False)
class RGBDSequence:
    """An RGB-D capture: frames in time order, read lazily.

    Args:
        root: The capture directory.
        layout: The layout it was read as (``"nerfstudio"``, ``"7scenes"``, ...).
        frames: The frames (metadata only).
        notes: What the reader did (conversions, dropped frames), one line each.
    """

    root: Path
    layout: str
    frames: tuple[Frame, ...]
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.frames:
            raise CaptureError("the capture has no frames", self.root)

    def __len__(self) -> int:
        return len(self.frames)

    def __iter__(self) -> Iterator[Frame]:
        return iter(self.frames)

    @property
    def posed(self) -> int:
        """How many frames have a pose."""
        return sum(f.pose is not None for f in self.frames)

    def select(self, *, stride: int = 1, max_frames: int | None = None) -> RGBDSequence:
        """Every ``stride``-th frame, at most ``max_frames`` of them."""
        frames = self.frames[::stride][:max_frames]
        return RGBDSequence(self.root, self.layout, frames, self.notes)


@dataclass(frozen=True, eq=False)
class PointCloud:
    """A point cloud in its file's frame (metres).

    Args:
        points: (N, 3) float64.
        colors: (N, 3) float in [0, 1], or None.
        normals: (N, 3), or None.
    """

    path: Path
    layout: str
    points: np.ndarray
    colors: np.ndarray | None = None
    normals: np.ndarray | None = None
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        points = np.asarray(self.points, dtype=np.float64)
        if points.ndim != 2 or points.shape[1] != 3:
            raise CaptureError(f"points must be (N, 3), got shape {points.shape}", self.path)
        if len(points) == 0:
            raise CaptureError("the point cloud is empty (no finite points)", self.path)
        object.__setattr__(self, "points", points)


@dataclass(frozen=True, eq=False)
class TriangleMesh:
    """A triangle mesh in its file's frame (metres): vertices (V, 3), faces (F, 3), optional vertex colours."""

    path: Path
    layout: str
    vertices: np.ndarray
    faces: np.ndarray
    colors: np.ndarray | None = None
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if len(self.vertices) == 0 or len(self.faces) == 0:
            raise CaptureError("the mesh is empty (no vertices or no faces)", self.path)


Capture = RGBDSequence | PointCloud | TriangleMesh


@dataclass(frozen=True, eq=False)
class FrameData:
    """One RGB-D frame held in memory, as writers take it (synthetic captures, format conversion).

    Args:
        depth: (H, W) float32 metres, 0 where invalid.
        color: (Hc, Wc, 3) uint8 RGB, or None.
        intrinsics: Of the depth image.
        pose: Camera-to-world (4, 4) in OpenCV axes, or None.
        timestamp: Seconds, or None.
    """

    depth: np.ndarray
    intrinsics: Intrinsics
    color: np.ndarray | None = None
    pose: np.ndarray | None = None
    timestamp: float | None = None

    @classmethod
    def load(cls, frame: Frame) -> FrameData:
        """Read one frame of a sequence into memory."""
        return cls(frame.depth(), frame.intrinsics, frame.color(), frame.pose, frame.timestamp)
