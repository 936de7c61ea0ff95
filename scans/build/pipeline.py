"""``build_twin``: a capture directory in, a gravity-aligned twin directory out.

Stages: read -> fuse (RGB-D) or take the cloud/mesh -> planes and floor -> ``capture_to_world`` ->
structure boxes -> clusters split on supports -> fitted, massed objects -> :func:`twin.twin_dir.write_twin`
-> ``reconstruction.ply`` (fused surface in the twin frame).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from scans.build.config import BuildConfig
from scans.build.fusion import Surface, posed_sequence, surface_of
from scans.build.gravity import (
    capture_to_world,
    detect_planes,
    find_floor,
    merge_planes,
    transform,
    up_prior,
)
from scans.build.decompose import DecompositionError
from scans.build.objects import FittedObject, decompose_object, fit_object, shape_volume
from scans.build.placement import place_objects
from scans.build.segment import attach_hanging, components, split_on_supports
from scans.build.structure import StructureBox, find_structure
from scans.capture import RGBDSequence
from scans.errors import CaptureError
from scans.readers import read_capture
from twin.extras import require
from twin.provenance import make_provenance
from twin.scene import Material, Scene
from twin.transforms import yaw_quat
from twin.report import Section, table, warnings_block
from twin.twin_dir import TwinOutput, check_twin_output, write_twin

Progress = Callable[[str, int, int], None]
"""``progress(stage, done, total)``; total 0 for stages without a count."""

RECONSTRUCTION = "reconstruction.ply"
STATIC_SOURCE = "scan:static"
"""twin.json source of static pieces (resting on nothing found, or kept static because they would not settle)."""
STRUCTURE_MATERIAL = Material("scan_structure", friction=0.8, rgba=(0.55, 0.55, 0.55, 1.0), density=2400.0)


@dataclass(frozen=True, eq=False)
class BuildResult:
    """What :func:`build_twin` produced: the twin, the alignment, the structure and objects, timings."""

    twin: TwinOutput
    capture_to_world: np.ndarray
    structure: tuple[StructureBox, ...]
    objects: tuple[FittedObject, ...]
    static_clutter: tuple[FittedObject, ...]
    dropped: int
    frames: int
    points: int
    seconds: dict[str, float]
    warnings: tuple[str, ...]

    def to_dict(self) -> dict:
        """JSON-ready summary."""
        return {
            "out": str(self.twin.path), "frames": self.frames, "points": self.points,
            "capture_to_world": self.capture_to_world.round(6).tolist(),
            "structure": [{"name": s.name, "centre": s.centre.round(3).tolist(), "size": s.size.round(3).tolist()}
                          for s in self.structure],
            "objects": [_object_dict(o) for o in self.objects],
            "static_clutter": [_object_dict(o) for o in self.static_clutter],
            "dropped_small": self.dropped, "seconds": {k: round(v, 2) for k, v in self.seconds.items()},
            "warnings": list(self.warnings), "validation": self.twin.validation.to_dict(),
        }


def _object_dict(o: FittedObject) -> dict:
    return {"name": o.name, "shape": o.kind, "position": o.position.round(3).tolist(), "yaw": round(o.yaw, 4),
            "volume": round(o.volume, 5), "residual": round(o.residual, 4), "points": o.points}


def _downsample(o3d, surface: Surface, spacing: float) -> tuple[np.ndarray, np.ndarray]:
    cloud = o3d.geometry.PointCloud(o3d.utility.Vector3dVector(surface.points))
    cloud = cloud.voxel_down_sample(spacing)
    cloud.estimate_normals(o3d.geometry.KDTreeSearchParamHybrid(radius=3 * spacing, max_nn=30))
    return np.asarray(cloud.points), np.asarray(cloud.normals)


def segment_objects(points: np.ndarray, normals: np.ndarray, mask: np.ndarray, spacing: float,
                    config: BuildConfig) -> tuple[list[FittedObject], list[FittedObject], int]:
    """Fit objects to the world points not explained by structure: (free objects, static clutter, dropped).

    Pieces resting on the floor or on a support found in their cluster are free; pieces resting on nothing
    found (pipes, ducts, things on unseen supports) are static clutter; pieces under ``min_object_volume``
    are dropped or static clutter, as configured.
    """
    rest = np.flatnonzero(~mask & (points[:, 2] > 2 * spacing))
    labels = attach_hanging(points[rest], components(points[rest], 2.5 * spacing))
    free, clutter, dropped = [], [], 0
    for label in np.unique(labels):
        idx = rest[labels == label]
        if len(idx) < 20:
            dropped += 1
            continue
        for piece, support in split_on_supports(points[idx], normals[idx], voxel=spacing, eps=2.5 * spacing):
            p, n = points[idx[piece]], normals[idx[piece]]
            hanging = False
            if support is None:
                bottom = float(np.percentile(p[:, 2], 1))
                hanging = bottom >= 0.1  # on nothing found: hangs from structure or rests on something unseen
                support = bottom if hanging else 0.0
            obj = fit_object(f"object_{len(free) + len(clutter):03d}", p, n, support=support, voxel=spacing)
            if hanging and obj.volume >= config.min_object_volume:
                clutter.append(obj)
            elif obj.volume >= config.min_object_volume:
                free.append(obj)
            elif config.small_objects == "static":
                clutter.append(obj)
            else:
                dropped += 1
    return free, clutter, dropped


def assemble_scene(name: str, structure, free, clutter, material: Material) -> Scene:
    """A :class:`Scene` with structure as static geoms, each object a free body and each piece of static
    clutter a welded body (so it is listed in twin.json too); one geom per part of a compound or
    decomposition, each with its volume's share of the object's mass (volume x density)."""
    from scipy.spatial.transform import Rotation

    scene = Scene(name)
    for box in structure:
        quat = Rotation.from_matrix(box.rotation).as_quat(scalar_first=True)
        scene.add_static(box.name, _box(box.size), pos=box.centre, quat=quat, material=STRUCTURE_MATERIAL)
    for obj in clutter:
        _add_object(scene, obj, material, free=False)
    for obj in free:
        _add_object(scene, obj, material, free=True)
    return scene


def _add_object(scene: Scene, obj: FittedObject, material: Material, *, free: bool) -> None:
    mass = max(obj.volume * material.density, 1e-3)
    if free and not obj.parts:
        scene.add_free_object(obj.name, obj.shape, pos=obj.position, quat=obj.body_quat(), mass=mass,
                              material=material)
        return
    body = (scene.add_free_body if free else scene.add_body)(obj.name, pos=obj.position, quat=obj.body_quat())
    if not obj.parts:
        scene.add_geom(body, obj.shape, name=obj.name, material=material, mass=mass)
        return
    volumes = np.array([shape_volume(shape) for shape, _, _ in obj.parts])
    for i, (shape, offset, yaw) in enumerate(obj.parts):
        scene.add_geom(body, shape, name=f"{obj.name}_{i}", pos=offset, quat=yaw_quat(yaw), material=material,
                       mass=max(mass * volumes[i] / volumes.sum(), 1e-4))


def _box(size):
    from twin.shapes import Box

    return Box(tuple(float(s) for s in size))


def build_twin(capture_path: str | Path, out: str | Path, config: BuildConfig | None = None, *,
               format: str | None = None, progress: Progress | None = None) -> BuildResult:
    """Build a twin directory at ``out`` from the capture at ``capture_path``.

    Args:
        capture_path: A capture folder or file (see :func:`scans.readers.read_capture`).
        out: The twin directory (absent, empty, or an earlier twin, which is replaced).
        config: Settings (defaults when None).
        format: Force a capture layout.
        progress: Called as ``progress(stage, done, total)``.

    Raises:
        CaptureError: unreadable capture, no poses, empty fusion, no floor.
        OutputError: ``out`` holds something other than an earlier twin.
    """
    config = config or BuildConfig()
    o3d = require("open3d", "scan", "building twins")
    step = progress or (lambda _s, _d, _t: None)
    out = Path(out)
    check_twin_output(out)
    seconds: dict[str, float] = {}
    clock = time.perf_counter()
    step("reading", 0, 0)
    capture = read_capture(capture_path, format=format)
    poses = None
    if isinstance(capture, RGBDSequence):
        capture = capture.select(stride=config.stride, max_frames=config.max_frames)
        poses = [f.pose for f in capture.frames if f.pose is not None]
    if config.method == "nerfstudio":
        surface = _nerfstudio_surface(capture, out, config, step)
    else:
        surface = surface_of(capture, voxel=config.voxel, depth_max=config.depth_max, poses=config.poses,
                             progress=step)
    if surface.poses is not None:  # estimated by odometry: the capture frame is now the first camera's
        poses = list(surface.poses)
    seconds["fusion"], clock = time.perf_counter() - clock, time.perf_counter()
    step("aligning to gravity", 0, 0)
    spacing = max(config.voxel, 0.02)
    points, normals = _downsample(o3d, surface, spacing)
    min_points = int(min(0.25 / spacing**2, 0.05 * len(points)))  # 0.25 m^2, less in small scenes
    planes = detect_planes(points, distance=max(1.5 * spacing, 0.03), min_points=max(min_points, 50),
                           seed=config.seed)
    planes = merge_planes(points, planes, max_offset=config.wall_thickness)
    cameras = np.array([p[:3, 3] for p in poses]) if poses else None
    floor = find_floor(points, planes, up_prior(poses), cameras=cameras)
    matrix = capture_to_world(points, floor, planes)
    points, normals = transform(points, matrix), normals @ matrix[:3, :3].T
    planes = [dataclasses.replace(p, normal=matrix[:3, :3] @ p.normal) for p in planes]
    seconds["gravity"], clock = time.perf_counter() - clock, time.perf_counter()
    step("finding structure and objects", 0, 0)
    structure, mask = find_structure(points, planes, voxel=spacing, thickness=config.wall_thickness)
    free, clutter, dropped = segment_objects(points, normals, mask, spacing, config)
    seconds["segmentation"], clock = time.perf_counter() - clock, time.perf_counter()
    warnings = list(surface.notes)
    if len(structure) < 2:
        warnings.append("no walls found (fewer than 1 m^2 of vertical plane): only the floor is structure")
    step("decomposing objects", 0, 0)
    free, clutter, notes, seconds["decomposition"] = _decompose_all(free, clutter, spacing, config)
    warnings += notes
    clock = time.perf_counter()
    step("placing objects", 0, 0)
    material = config.object_material()
    placed = place_objects(free, clutter, lambda f, c: assemble_scene("scan_twin", structure, f, c, material),
                           settle_time=config.settle_time)
    free, clutter = list(placed.free), list(placed.clutter)
    warnings += placed.notes
    seconds["placement"], clock = time.perf_counter() - clock, time.perf_counter()
    warnings.append(f"structure boxes are {config.wall_thickness} m thick behind the scanned surface (a setting)")
    scene = assemble_scene("scan_twin", structure, free, clutter, material)
    provenance = make_provenance("twin build", inputs=[capture_path] if Path(capture_path).is_file() else [],
                                 parameters={**dataclasses.asdict(config), "capture": str(capture_path),
                                             "format": format})
    def reconstruction(tmp: Path) -> list[Section]:
        _write_reconstruction(o3d, surface, matrix, tmp / RECONSTRUCTION)
        body = (f"<p>Fused surface in the twin frame: <code>{RECONSTRUCTION}</code> "
                f"({surface.frames} frames, {len(surface.points):,} points).</p>" + warnings_block(warnings))
        return [Section("Reconstruction", body), _fit_section(free, clutter, structure)]

    twin = write_twin(scene.spec, out, object_sources={**{o.name: "scan" for o in free},
                                                           **{o.name: STATIC_SOURCE for o in clutter}}, provenance=provenance,
                      capture_to_world=tuple(matrix.ravel()), extra_outputs=reconstruction,
                      progress=lambda s: step(s, 0, 0))
    seconds["writing"] = time.perf_counter() - clock
    return BuildResult(twin, matrix, tuple(structure), tuple(free), tuple(clutter), dropped,
                       surface.frames, len(surface.points), seconds, tuple(warnings) + twin.warnings)


def _fit_section(free, clutter, structure) -> Section:
    """The report's table of what each piece became: shape, pose, volume, fit residual, free or static."""
    rows = [(o.name, "free" if i < len(free) else "static", o.kind, np.round(o.position, 3).tolist(),
             f"{np.degrees(o.yaw):.1f}", f"{o.volume * 1000:.2f}", f"{o.residual * 1000:.1f}", o.points)
            for i, o in enumerate([*free, *clutter])]
    walls = [(b.name, np.round(b.centre, 3).tolist(), np.round(b.size, 3).tolist()) for b in structure]
    return Section("Fitted objects and structure",
                   table(["name", "kind", "collider", "position (m)", "yaw (deg)", "volume (l)", "residual (mm)",
                          "points"], rows)
                   + table(["structure", "centre (m)", "size (m)"], walls))


def _nerfstudio_surface(capture, out: Path, config: BuildConfig, step) -> Surface:
    """The nerfstudio path: an RGB-D capture (with poses, estimated first if it has none) trained and
    exported by nerfstudio in a work folder beside ``out`` that is removed afterwards."""
    import shutil
    import tempfile

    from scans.build.nerfstudio import gpu_problem, nerfstudio_surface

    if not isinstance(capture, RGBDSequence):
        raise CaptureError("--method nerfstudio needs an RGB-D capture; point clouds and meshes are used as they are")
    problem = gpu_problem()  # before any pose estimation
    if problem is not None:
        raise CaptureError(f"--method nerfstudio cannot run: {problem}")
    capture, estimated, notes = posed_sequence(capture, config.poses, depth_max=config.depth_max, progress=step)
    out.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{out.name}.nerfstudio-", dir=out.parent))
    try:
        surface = nerfstudio_surface(capture, work, voxel=config.voxel, depth_max=config.depth_max,
                                     iterations=config.nerf_iterations, seed=config.seed, progress=step)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return dataclasses.replace(surface, notes=notes + surface.notes, poses=estimated)


def _decompose_all(free, clutter, spacing: float, config: BuildConfig):
    """Objects whose collider is one hull, split by CoACD: (free, clutter, warnings, seconds)."""
    start, notes, out = time.perf_counter(), [], ([], [])
    for group, objects in zip(out, (free, clutter)):
        for obj in objects:
            if obj.kind != "mesh":
                group.append(obj)
                continue
            try:
                obj, _ = decompose_object(obj, cell=spacing, max_hulls=config.max_convex_hulls,
                                          threshold=config.concavity, seed=config.seed,
                                          timeout=config.decomposition_timeout)
            except DecompositionError as exc:
                notes.append(f"{obj.name} collides as its convex hull (no convex decomposition: {exc})")
            group.append(obj)
    return out[0], out[1], notes, time.perf_counter() - start


def _write_reconstruction(o3d, surface: Surface, matrix: np.ndarray, path: Path) -> None:
    """The fused surface in the twin frame: the TSDF mesh's vertices and faces when there is one, else points."""
    if surface.vertices is not None and surface.faces is not None:
        mesh = o3d.geometry.TriangleMesh(o3d.utility.Vector3dVector(transform(surface.vertices, matrix)),
                                         o3d.utility.Vector3iVector(np.asarray(surface.faces, np.int32)))
        o3d.io.write_triangle_mesh(str(path), mesh, write_ascii=False)
        return
    cloud = o3d.geometry.PointCloud(o3d.utility.Vector3dVector(transform(surface.points, matrix)))
    o3d.io.write_point_cloud(str(path), cloud)
