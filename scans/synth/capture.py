"""``make_synthetic_capture``: a rendered RGB-D capture of a procedural cell, with its ground truth.

Output directory::

    OUT/<capture files>               the frames, in the chosen layout (scans.writers)
    OUT/lidar.ply                     a LiDAR-like cloud of the same cell, capture frame (optional)
    OUT/ground_truth/mesh.ply         the cell's surface, world frame (z up, floor top at z = 0)
    OUT/ground_truth/objects.json     the objects: twin.json fields plus kind, static, yaw, pose, local_size
    OUT/ground_truth/capture_to_world.json   4x4 row-major transform from the capture frame to the world
    OUT/ground_truth/synth.json       parameters, noise model, intrinsics, versions (provenance)

The capture frame is deliberately not gravity aligned: every pose and point written is
``world_to_capture @ world``, and ``capture_to_world`` is its inverse.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from scans.capture import FrameData, Intrinsics
from scans.errors import CaptureError
from scans.synth.camera import kinect_intrinsics, random_world_to_capture, scan_path
from scans.synth.cell import build_cell
from scans.synth.geometry import GroundTruthObject, ground_truth_objects, scene_mesh
from scans.synth.sensor import DepthNoise, Raycaster, lidar_scan, render_rgbd
from scans.writers import write_capture
from twin.atomic import atomic_directory, check_output_directory
from twin.extras import require
from twin.provenance import library_versions

Progress = Callable[[str, int, int], None]
"""``progress(stage, done, total)``: stage is ``"frames"``, ``"lidar"`` or ``"ground truth"``."""

LAYOUTS = ("nerfstudio", "7scenes", "tum", "record3d", "redwood")
GROUND_TRUTH = "ground_truth"
FRAME_RATE = 30.0
KINECT_NOISE = DepthNoise()
"""The default depth noise (Kinect-like; see :class:`~scans.synth.sensor.DepthNoise`)."""


@dataclass(frozen=True, eq=False)
class SynthResult:
    """What :func:`make_synthetic_capture` wrote, and its ground truth.

    Args:
        path: The output directory.
        capture_path: What the writer returned (the capture's root, usually ``path``).
        capture_to_world: (4, 4) transform from the capture frame to the world (z up, floor at z = 0).
        objects: The ground-truth objects (as written to ``objects.json``).
        lidar_path: ``lidar.ply``, or None.
    """

    path: Path
    layout: str
    capture_path: Path
    frames: int
    intrinsics: Intrinsics
    seed: int
    capture_to_world: np.ndarray
    objects: tuple[GroundTruthObject, ...]
    mesh_path: Path
    objects_path: Path
    capture_to_world_path: Path
    lidar_path: Path | None
    lidar_points: int
    room: tuple[float, float]

    def to_dict(self) -> dict:
        """JSON-ready summary."""
        return {
            "out": str(self.path), "layout": self.layout, "capture": str(self.capture_path), "frames": self.frames,
            "width": self.intrinsics.width, "height": self.intrinsics.height, "seed": self.seed,
            "room": list(self.room), "objects": len(self.objects),
            "ground_truth": {"mesh": str(self.mesh_path), "objects": str(self.objects_path),
                             "capture_to_world": str(self.capture_to_world_path)},
            "capture_to_world": self.capture_to_world.tolist(),
            "lidar": str(self.lidar_path) if self.lidar_path else None, "lidar_points": self.lidar_points,
        }


def earlier_synth(path: Path) -> str | None:
    """None when ``path`` holds an earlier synthetic capture (it may be replaced), else why not."""
    if (path / GROUND_TRUTH / "synth.json").is_file():
        return None
    return "is not empty and holds no earlier synthetic capture"


def lidar_stations(room: tuple[float, float]) -> np.ndarray:
    """Three tripod stations (1.6 m high) on a triangle inside the camera path, world frame."""
    angles = np.radians([30.0, 150.0, 270.0])
    a, b = room[0] / 2 - 1.6, room[1] / 2 - 1.6
    return np.column_stack([a * np.cos(angles), b * np.sin(angles), np.full(3, 1.6)])


def _transform(points: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    return points @ matrix[:3, :3].T + matrix[:3, 3]


def _frames(caster, poses, world_to_capture, intrinsics, noise, rng, progress) -> Iterator[FrameData]:
    for i, pose in enumerate(poses):
        depth, color = render_rgbd(caster, pose, intrinsics, noise, rng)
        yield FrameData(depth, intrinsics, color, world_to_capture @ pose, i / FRAME_RATE)
        progress("frames", i + 1, len(poses))


def make_synthetic_capture(
    out_dir: str | Path,
    *,
    layout: str = "7scenes",
    seed: int = 0,
    frames: int = 60,
    width: int = 640,
    height: int = 480,
    lidar: bool = True,
    noise: DepthNoise | None = KINECT_NOISE,
    lidar_step_deg: float = 0.5,
    progress: Progress | None = None,
) -> SynthResult:
    """Render a synthetic RGB-D capture of a procedural factory cell, with ground truth beside it.

    Deterministic for a seed. Written atomically: on an error nothing is left at ``out_dir``.

    Args:
        out_dir: The output directory (absent, empty, or an earlier synthetic capture, which is replaced).
        layout: The capture layout to write, one of :data:`LAYOUTS`.
        seed: Draws the cell, the camera path, the capture frame and the noise.
        frames: Number of RGB-D frames.
        width: Depth and colour width, pixels.
        height: Depth and colour height, pixels.
        lidar: Also write ``lidar.ply``.
        noise: The depth noise model; None renders exact depth.
        lidar_step_deg: Angular step of the LiDAR, degrees.
        progress: Called as ``progress(stage, done, total)``.

    Raises:
        CaptureError: an unknown layout, bad sizes or a negative seed.
        OutputError: ``out_dir`` holds something else.
    """
    if layout not in LAYOUTS:
        raise CaptureError(f"unknown layout '{layout}'; expected one of {', '.join(LAYOUTS)}")
    if frames < 1 or width < 8 or height < 8:
        raise CaptureError(f"need at least 1 frame of at least 8x8 pixels, got {frames} frames of {width}x{height}")
    if seed < 0:
        raise CaptureError(f"seed must be >= 0, got {seed}")
    o3d = require("open3d", "scan", "writing synthetic captures")
    step = progress or (lambda _stage, _done, _total: None)
    check_output_directory(out_dir, earlier_synth)
    rng = np.random.default_rng(seed)
    cell_rng, path_rng, frame_rng, noise_rng, lidar_rng = (np.random.default_rng(s) for s in rng.integers(0, 2**63, 5))
    cell = build_cell(cell_rng)
    model = cell.scene.compile()
    mesh = scene_mesh(model)
    caster = Raycaster(mesh)
    intrinsics = kinect_intrinsics(width, height)
    poses = scan_path(frames, cell.room, path_rng)
    world_to_capture = random_world_to_capture(frame_rng)
    capture_to_world = np.linalg.inv(world_to_capture)

    out_dir = Path(out_dir)
    with atomic_directory(out_dir, replaceable=earlier_synth) as tmp:
        frame_data = _frames(caster, poses, world_to_capture, intrinsics, noise, noise_rng, step)
        written = Path(write_capture(layout, tmp, frame_data))
        capture_path = out_dir.absolute() / written.relative_to(tmp) if written.is_relative_to(tmp) else written
        lidar_path, lidar_points = None, 0
        if lidar:
            step("lidar", 0, 1)
            points, colors = lidar_scan(caster, lidar_stations(cell.room), lidar_rng, step_deg=lidar_step_deg)
            cloud = o3d.t.geometry.PointCloud(o3d.core.Tensor(_transform(points, world_to_capture).astype(np.float32)))
            cloud.point.colors = o3d.core.Tensor(np.rint(colors * 255).astype(np.uint8))
            o3d.t.io.write_point_cloud(str(tmp / "lidar.ply"), cloud)
            lidar_path, lidar_points = out_dir.absolute() / "lidar.ply", len(points)
            step("lidar", 1, 1)
        step("ground truth", 0, 1)
        objects = ground_truth_objects(model, cell.objects)
        _write_ground_truth(tmp / GROUND_TRUTH, o3d, mesh, objects, capture_to_world, {
            "generator": "scans.synth.make_synthetic_capture", "seed": seed, "layout": layout, "frames": frames,
            "width": width, "height": height, "lidar": lidar, "lidar_step_deg": lidar_step_deg,
            "lidar_points": lidar_points,
            "room": list(cell.room), "intrinsics": dataclasses.asdict(intrinsics),
            "noise": dataclasses.asdict(noise) if noise is not None else None,
            "frame_rate": FRAME_RATE, "versions": library_versions(),
        })
        step("ground truth", 1, 1)
    gt = out_dir.absolute() / GROUND_TRUTH
    return SynthResult(
        path=out_dir.absolute(), layout=layout, capture_path=capture_path, frames=frames, intrinsics=intrinsics,
        seed=seed, capture_to_world=capture_to_world, objects=objects, mesh_path=gt / "mesh.ply",
        objects_path=gt / "objects.json", capture_to_world_path=gt / "capture_to_world.json",
        lidar_path=lidar_path, lidar_points=lidar_points, room=cell.room,
    )


def _write_ground_truth(folder: Path, o3d, mesh, objects, capture_to_world: np.ndarray, parameters: dict) -> None:
    folder.mkdir()
    surface = o3d.geometry.TriangleMesh(o3d.utility.Vector3dVector(mesh.vertices),
                                        o3d.utility.Vector3iVector(mesh.faces))
    surface.vertex_colors = o3d.utility.Vector3dVector(mesh.vertex_rgb)
    o3d.io.write_triangle_mesh(str(folder / "mesh.ply"), surface, write_ascii=False)
    document = {"frame": "world: z up, floor top at z = 0, metres",
                "units": {"length": "m", "mass": "kg", "angle": "rad"},
                "objects": [o.to_dict() for o in objects]}
    (folder / "objects.json").write_text(json.dumps(document, indent=2) + "\n")
    matrix = {"capture_to_world": [[round(float(v), 12) for v in row] for row in capture_to_world],
              "convention": "X_world = capture_to_world @ X_capture (4x4, row-major)"}
    (folder / "capture_to_world.json").write_text(json.dumps(matrix, indent=2) + "\n")
    (folder / "synth.json").write_text(json.dumps(parameters, indent=2) + "\n")


def load_capture_to_world(out_dir: str | Path) -> np.ndarray:
    """The (4, 4) ``capture_to_world`` of a synthetic capture at ``out_dir``."""
    path = Path(out_dir) / GROUND_TRUTH / "capture_to_world.json"
    try:
        return np.asarray(json.loads(path.read_text())["capture_to_world"], dtype=np.float64)
    except (OSError, ValueError, KeyError) as exc:
        raise CaptureError(f"cannot read the capture_to_world ground truth ({exc})", path) from None
