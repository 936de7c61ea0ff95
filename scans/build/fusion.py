"""Fusion: posed RGB-D frames into a TSDF (``open3d.t.geometry.VoxelBlockGrid``), then a mesh and a cloud.

Frames are streamed one at a time (never all in memory). Point-cloud and mesh captures skip fusion:
:func:`surface_of` turns any capture into the same :class:`Surface`. Sequences without poses get them from
:mod:`scans.build.odometry` first.

The legacy ``ScalableTSDFVolume`` returns empty meshes in open3d 0.20, hence the tensor VoxelBlockGrid.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from scans.build.odometry import OdometrySettings, estimate_poses, with_poses
from scans.capture import Capture, PointCloud, RGBDSequence, TriangleMesh
from scans.errors import CaptureError
from twin.extras import require

Progress = Callable[[str, int, int], None]
"""``progress(stage, done, total)``."""
WEIGHT_THRESHOLD = 2.0
"""Surface voxels seen by fewer frames than this are dropped (edge "skirts" from flying pixels)."""
POSE_SOURCES = ("auto", "given", "estimate")
"""Where fusion takes poses from: the capture's when it has any, else estimated (``auto``); only the
capture's (``given``); estimated, ignoring the capture's (``estimate``)."""


@dataclass(frozen=True, eq=False)
class Surface:
    """A reconstructed surface in the capture frame (metres).

    Args:
        points: (N, 3) float64 surface samples.
        normals: (N, 3) unit normals, or None.
        colors: (N, 3) float RGB in [0, 1], or None.
        vertices: (V, 3) mesh vertices, or None (point-cloud inputs).
        faces: (F, 3) int mesh faces, or None.
        frames: RGB-D frames integrated (0 for clouds and meshes).
        notes: What was done, one line each.
        poses: (F, 4, 4) camera-to-world poses of the frames integrated when they were estimated (the capture
            frame is then the first camera's, OpenCV axes), else None.
    """

    points: np.ndarray
    normals: np.ndarray | None = None
    colors: np.ndarray | None = None
    vertices: np.ndarray | None = None
    faces: np.ndarray | None = None
    frames: int = 0
    notes: tuple[str, ...] = ()
    poses: np.ndarray | None = None

    def __post_init__(self) -> None:
        if self.points.ndim != 2 or self.points.shape[1] != 3 or len(self.points) == 0:
            raise CaptureError(f"the reconstruction is empty or malformed (points of shape {self.points.shape})")


def make_grid(o3d, voxel: float, block_count: int = 10000):
    """An empty VoxelBlockGrid with TSDF, weight and colour channels; ``voxel`` in m. ``block_count``
    (blocks of 16^3 voxels) is the initial capacity, about 80 kB each; the hash map grows when full."""
    return o3d.t.geometry.VoxelBlockGrid(
        attr_names=("tsdf", "weight", "color"),
        attr_dtypes=(o3d.core.float32, o3d.core.float32, o3d.core.float32),
        attr_channels=((1), (1), (3)),
        voxel_size=float(voxel), block_resolution=16, block_count=block_count, device=o3d.core.Device("CPU:0"),
    )


def _depth(frame) -> tuple[np.ndarray, float]:
    """The frame's depth as open3d integrates it fastest: raw uint16 and its scale (units per metre) when
    the file is uint16 and needs no confidence mask, else float32 metres and 1."""
    if frame.confidence_path is None and frame.loader is None:
        raw = frame._read(frame.depth_path)
        if raw.dtype == np.uint16 and raw.ndim == 2 and raw.shape == (frame.intrinsics.height, frame.intrinsics.width):
            raw = raw if raw.flags.writeable else raw.copy()
            for value in frame.depth_invalid:
                if 0 < value < 65536:
                    raw[raw == int(value)] = 0
            return raw, float(frame.depth_scale)
    return frame.depth(), 1.0


def _images(o3d, frame, depth_max: float):
    """The frame's depth (uint16) and colour (uint8 RGB or None) read by open3d itself, with the depth scale,
    when nothing needs doing to them on the way (PNG depth at the intrinsics' size, invalid codes beyond
    ``depth_max`` anyway, no confidence mask, colour PNG/JPEG at the depth's size); else None."""
    if frame.confidence_path is not None or frame.loader is not None or frame.depth_path.suffix.lower() != ".png":
        return None
    if any(0 < value <= depth_max * frame.depth_scale for value in frame.depth_invalid):
        return None
    size = (frame.intrinsics.height, frame.intrinsics.width)
    with o3d.utility.VerbosityContextManager(o3d.utility.VerbosityLevel.Error):  # a bad file: the numpy path says
        depth = o3d.t.io.read_image(str(frame.depth_path))
    if depth.dtype != o3d.core.uint16 or depth.channels != 1 or (depth.rows, depth.columns) != size:
        return None  # the numpy path reads it, converts it or says what is wrong
    color = None
    if frame.color_path is not None:
        if frame.color_path.suffix.lower() not in (".png", ".jpg", ".jpeg"):
            return None
        with o3d.utility.VerbosityContextManager(o3d.utility.VerbosityLevel.Error):
            color = o3d.t.io.read_image(str(frame.color_path))
        if color.dtype != o3d.core.uint8 or color.channels != 3 or (color.rows, color.columns) != size:
            return None
    return depth, float(frame.depth_scale), color


def integrate_frame(o3d, grid, depth, color, intrinsic, pose: np.ndarray, depth_max: float, trunc_voxels: float,
                    depth_scale: float = 1.0) -> None:
    """Integrate one frame: ``depth`` (H, W) float32 metres (``depth_scale`` 1) or uint16 raw units
    (``depth_scale`` units per metre), ``color`` (H, W, 3) uint8 or None, both numpy arrays or open3d
    images; ``pose`` camera-to-world (4, 4), OpenCV axes; ``intrinsic`` an open3d (3, 3) float64 tensor."""
    extrinsic = o3d.core.Tensor(np.linalg.inv(pose))
    if isinstance(depth, np.ndarray):
        depth = o3d.t.geometry.Image(o3d.core.Tensor(np.ascontiguousarray(depth)))
    blocks = grid.compute_unique_block_coordinates(depth, intrinsic, extrinsic, depth_scale, depth_max,
                                                   trunc_voxels)
    if isinstance(color, np.ndarray):
        if color.shape[:2] != (depth.rows, depth.columns):
            color = None
        else:  # open3d takes (uint16 depth, uint8 colour) or (float depth, float colour in [0, 1])
            color = np.ascontiguousarray(color if depth.dtype == o3d.core.uint16 else color.astype(np.float32) / 255.0)
            color = o3d.t.geometry.Image(o3d.core.Tensor(color))
    if color is not None:
        grid.integrate(blocks, depth, color, intrinsic, intrinsic, extrinsic, depth_scale, depth_max, trunc_voxels)
    else:
        grid.integrate(blocks, depth, intrinsic, extrinsic, depth_scale, depth_max, trunc_voxels)


def posed_sequence(sequence: RGBDSequence, poses: str = "auto", *, depth_max: float = 5.0,
                   odometry: OdometrySettings | None = None, progress: Progress | None = None
                   ) -> tuple[RGBDSequence, np.ndarray | None, tuple[str, ...]]:
    """``sequence`` with the poses ``poses`` (one of :data:`POSE_SOURCES`) asks for: as it is, or estimated by
    RGB-D odometry when it has none or ``poses`` is ``"estimate"``. Returns the sequence, the estimated poses
    of the tracked frames (F, 4, 4) or None, and notes (the estimate's summary and warnings).

    Raises:
        CaptureError: ``poses`` is ``"given"`` and no frame has a pose.
    """
    if poses == "given" and sequence.posed == 0:
        raise CaptureError("the capture has no poses; fuse with poses='auto' or 'estimate' to estimate them by "
                           "RGB-D odometry", sequence.root)
    if poses != "estimate" and sequence.posed > 0:
        return sequence, None, ()
    estimate = estimate_poses(sequence, odometry or OdometrySettings(depth_max=depth_max), progress=progress)
    return (with_poses(sequence, estimate), estimate.poses[estimate.tracked],
            (estimate.note(), *estimate.warnings))


def fuse_sequence(sequence: RGBDSequence, *, voxel: float = 0.01, depth_max: float = 5.0,
                  trunc_voxels: float = 4.0, poses: str = "auto", odometry: OdometrySettings | None = None,
                  progress: Progress | None = None) -> Surface:
    """Fuse an RGB-D sequence into a TSDF and extract its mesh and point cloud.

    Args:
        sequence: Frames with camera-to-world poses (OpenCV axes), or without (see ``poses``); depth in
            metres via ``Frame.depth``.
        voxel: Voxel size, m.
        depth_max: Depth beyond this is ignored, m.
        trunc_voxels: TSDF truncation distance, in voxels.
        poses: One of :data:`POSE_SOURCES`. Estimated poses (:func:`scans.build.odometry.estimate_poses`)
            put the first camera at the identity; the notes say how many frames and loop closures, the
            drift, and every tracking failure.
        odometry: Settings of the pose estimation (defaults when None).
        progress: Called as ``progress("fusing", done, total)`` (after ``"estimating poses"`` and
            ``"closing loops"`` when poses are estimated).

    Raises:
        CaptureError: an unknown ``poses``, no frame has a pose with ``poses="given"``, or nothing was fused.
    """
    if poses not in POSE_SOURCES:
        raise CaptureError(f"unknown pose source {poses!r}; valid: {', '.join(POSE_SOURCES)}")
    o3d = require("open3d", "scan", "fusing RGB-D captures")
    step = progress or (lambda _s, _d, _t: None)
    sequence, estimated, notes = posed_sequence(sequence, poses, depth_max=depth_max, odometry=odometry,
                                                progress=step)
    notes = list(notes)
    grid = make_grid(o3d, voxel)
    frames = [f for f in sequence.frames if f.pose is not None]
    if len(frames) < len(sequence):
        notes.append(f"{len(sequence) - len(frames)} frames without a pose skipped")
    intrinsic = o3d.core.Tensor(frames[0].intrinsics.matrix, o3d.core.float64)
    for i, frame in enumerate(frames):
        images = _images(o3d, frame, depth_max)
        if images is not None:
            depth, scale, color = images
        else:
            depth, scale = _depth(frame)
            color = frame.color()
            if color is not None and color.shape[:2] != depth.shape:
                color = _resize(color, depth.shape)
        if frame.intrinsics.matrix.tolist() != intrinsic.numpy().tolist():
            intrinsic = o3d.core.Tensor(frame.intrinsics.matrix, o3d.core.float64)
        integrate_frame(o3d, grid, depth, color, intrinsic, frame.pose, depth_max, trunc_voxels, scale)
        step("fusing", i + 1, len(frames))
    return dataclasses.replace(_extract(o3d, grid, len(frames), tuple(notes)), poses=estimated)


def _resize(color: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.fromarray(color).resize((shape[1], shape[0]), Image.BILINEAR))


def _extract(o3d, grid, frames: int, notes: tuple[str, ...]) -> Surface:
    """The grid's surface: its triangle mesh, whose vertices (the TSDF's zero crossings, with normals and
    colours) are also the surface points, in a fixed order (the grid's hash map is filled in parallel)."""
    mesh = grid.extract_triangle_mesh(weight_threshold=WEIGHT_THRESHOLD)
    if mesh.triangle.indices.shape[0] == 0:
        raise CaptureError(f"fusion of {frames} frames produced an empty surface (surface voxels need at least "
                           f"{WEIGHT_THRESHOLD:g} overlapping views): check the depth scale and the poses, and give "
                           "more overlapping frames (--max-frames, --stride)")
    points = mesh.vertex.positions.numpy().astype(np.float64)
    order = np.lexsort(points.T[::-1])
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    faces = rank[mesh.triangle.indices.numpy()]
    faces = faces[np.lexsort(faces.T[::-1])]
    attribute = lambda name, lo=-np.inf, hi=np.inf: (np.clip(getattr(mesh.vertex, name).numpy()[order], lo, hi)
                                                     .astype(np.float64) if name in mesh.vertex else None)
    normals = attribute("normals")
    if normals is not None:
        normals /= np.maximum(np.linalg.norm(normals, axis=1, keepdims=True), 1e-12)
    points = points[order]
    return Surface(points=points, normals=normals, colors=attribute("colors", 0, 1), vertices=points, faces=faces,
                   frames=frames, notes=notes)


def surface_of(capture: Capture, *, voxel: float = 0.01, depth_max: float = 5.0, poses: str = "auto",
               progress: Progress | None = None) -> Surface:
    """The capture as a :class:`Surface` in its own frame: fused (RGB-D), or taken as is (clouds, meshes).

    Clouds and meshes are voxel-downsampled to ``voxel`` so later stages see a uniform density. ``poses``
    (RGB-D only) is one of :data:`POSE_SOURCES`; with estimated poses the frame is the first camera's.
    """
    if isinstance(capture, RGBDSequence):
        return fuse_sequence(capture, voxel=voxel, depth_max=depth_max, poses=poses, progress=progress)
    o3d = require("open3d", "scan", "reading clouds")
    if isinstance(capture, TriangleMesh):
        mesh = o3d.geometry.TriangleMesh(o3d.utility.Vector3dVector(np.asarray(capture.vertices, float)),
                                         o3d.utility.Vector3iVector(np.asarray(capture.faces, np.int32)))
        area = mesh.get_surface_area()
        count = int(min(2_000_000, max(10_000, area / voxel**2)))
        cloud = mesh.sample_points_uniformly(count)
        notes = (f"mesh input: fusion skipped, {count} points sampled",)
        vertices, faces = np.asarray(mesh.vertices), np.asarray(mesh.triangles)
    elif isinstance(capture, PointCloud):
        cloud = o3d.geometry.PointCloud(o3d.utility.Vector3dVector(capture.points))
        if capture.colors is not None:
            cloud.colors = o3d.utility.Vector3dVector(np.clip(np.asarray(capture.colors, float), 0, 1))
        notes = ("point-cloud input: fusion skipped",)
        vertices = faces = None
    else:
        raise CaptureError(f"cannot build from a {type(capture).__name__}")
    cloud = cloud.voxel_down_sample(voxel)
    cloud.estimate_normals(o3d.geometry.KDTreeSearchParamHybrid(radius=3 * voxel, max_nn=30))
    colors = np.asarray(cloud.colors) if cloud.has_colors() else None
    return Surface(points=np.asarray(cloud.points), normals=np.asarray(cloud.normals), colors=colors,
                   vertices=vertices, faces=faces, notes=notes)
