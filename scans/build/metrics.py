"""Accuracy of a build against synthetic ground truth: Chamfer-L1, F-score, floor angle, objects found.

All distances in metres, in the world frame of the ground truth (z up, floor top at z = 0).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from scipy.spatial import cKDTree

from scans.errors import CaptureError
from twin.extras import require


@dataclass(frozen=True)
class SurfaceMetrics:
    """Chamfer-L1 (mean of accuracy and completeness, m), and F-score at ``threshold`` (m) with its parts."""

    chamfer_l1: float
    accuracy: float
    completeness: float
    precision: float
    recall: float
    fscore: float
    threshold: float


@dataclass(frozen=True)
class ObjectMatch:
    """Ground-truth objects matched by built ones (centre within ``centre_tol`` m, each extent within
    ``size_tol`` relative), and which ground-truth names were found."""

    found: int
    total: int
    names_found: tuple[str, ...]
    names_missed: tuple[str, ...]

    @property
    def fraction(self) -> float:
        return self.found / self.total if self.total else 1.0


def sample_mesh(vertices: np.ndarray, faces: np.ndarray, spacing: float, rng: np.random.Generator) -> np.ndarray:
    """About one point per ``spacing``^2 m^2 of surface, uniform on the triangles; (N, 3)."""
    tri = vertices[faces]
    area = 0.5 * np.linalg.norm(np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0]), axis=1)
    count = int(max(1000, area.sum() / spacing**2))
    pick = rng.choice(len(faces), size=count, p=area / area.sum())
    u, v = rng.random(count), rng.random(count)
    flip = u + v > 1
    u[flip], v[flip] = 1 - u[flip], 1 - v[flip]
    t = tri[pick]
    return t[:, 0] + u[:, None] * (t[:, 1] - t[:, 0]) + v[:, None] * (t[:, 2] - t[:, 0])


def surface_metrics(predicted: np.ndarray, truth: np.ndarray, threshold: float = 0.02) -> SurfaceMetrics:
    """Compare two (N, 3) point sets: accuracy (predicted to truth) and completeness (truth to predicted)."""
    d_acc = cKDTree(truth).query(predicted, workers=-1)[0]
    d_comp = cKDTree(predicted).query(truth, workers=-1)[0]
    precision, recall = float(np.mean(d_acc < threshold)), float(np.mean(d_comp < threshold))
    fscore = 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0
    acc, comp = float(d_acc.mean()), float(d_comp.mean())
    return SurfaceMetrics((acc + comp) / 2, acc, comp, precision, recall, fscore, threshold)


def visible_truth(truth: np.ndarray, predicted: np.ndarray, margin: float = 0.1) -> np.ndarray:
    """Ground-truth points inside the predicted cloud's bounding box grown by ``margin`` m (the scanned
    region), excluding surfaces no sensor saw: below the floor top (z < -1 cm)."""
    lo, hi = predicted.min(axis=0) - margin, predicted.max(axis=0) + margin
    keep = np.all((truth >= lo) & (truth <= hi), axis=1) & (truth[:, 2] > -0.01)
    return truth[keep]


def observed_truth(vertices: np.ndarray, faces: np.ndarray, poses: list[np.ndarray], intrinsics,
                   depth_max: float, every: int = 3, *, depth_min: float = 0.3,
                   max_incidence_deg: float = 82.0) -> np.ndarray:
    """Ground-truth surface points some camera saw: noise-free rays of every ``every``-th pose
    (camera-to-world (4, 4), OpenCV axes, world frame) at the depth resolution, from ``depth_min`` to
    ``depth_max`` m, on surfaces met at most ``max_incidence_deg`` from their normal (a depth sensor returns
    nothing nearer or more grazing; the defaults are the synthetic sensor's); (N, 3)."""
    o3d = require("open3d", "scan", "evaluating builds")
    scene = o3d.t.geometry.RaycastingScene()
    scene.add_triangles(o3d.core.Tensor(vertices.astype(np.float32)), o3d.core.Tensor(faces.astype(np.uint32)))
    u, v = np.meshgrid(np.arange(intrinsics.width), np.arange(intrinsics.height))
    dirs = np.stack([(u - intrinsics.cx) / intrinsics.fx, (v - intrinsics.cy) / intrinsics.fy, np.ones_like(u, float)],
                    axis=-1).reshape(-1, 3)
    hits = []
    for pose in poses[::every]:
        d = dirs @ pose[:3, :3].T
        rays = np.hstack([np.broadcast_to(pose[:3, 3], d.shape), d]).astype(np.float32)
        hit = scene.cast_rays(o3d.core.Tensor(rays))
        t, normal = hit["t_hit"].numpy(), hit["primitive_normals"].numpy()
        facing = np.abs(np.einsum("ij,ij->i", normal, d)) >= np.cos(np.radians(max_incidence_deg)) * np.linalg.norm(d, axis=1)
        ok = np.isfinite(t) & (t >= depth_min) & (t < depth_max) & facing  # d's z is 1: t is the depth
        hits.append(pose[:3, 3] + d[ok] * t[ok, None])
    return np.concatenate(hits)


def load_truth_mesh(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """Vertices (V, 3) and faces (F, 3) of the ground-truth mesh at ``path``."""
    o3d = require("open3d", "scan", "reading meshes")
    mesh = o3d.io.read_triangle_mesh(str(path))
    if len(mesh.triangles) == 0:
        raise CaptureError("the ground-truth mesh is empty", path)
    return np.asarray(mesh.vertices), np.asarray(mesh.triangles)


def floor_angle_deg(capture_to_world: np.ndarray, truth_capture_to_world: np.ndarray) -> float:
    """Angle between the built and the true world z axes, both expressed in the capture frame, degrees."""
    z_built = np.linalg.inv(capture_to_world)[:3, :3] @ np.array([0, 0, 1.0])
    z_true = np.linalg.inv(truth_capture_to_world)[:3, :3] @ np.array([0, 0, 1.0])
    return float(np.degrees(np.arccos(np.clip(z_built @ z_true, -1, 1))))


def match_objects(built: list[tuple[np.ndarray, np.ndarray]], truth: list[dict], *, centre_tol: float = 0.1,
                  size_tol: float = 0.2) -> ObjectMatch:
    """Match ground-truth objects (``objects.json`` entries) to built ``(position, size)`` AABBs, world frame.

    A ground-truth object is found when some built object's AABB centre is within ``centre_tol`` m and
    each of its AABB extents is within ``size_tol`` (relative) of the truth's. Each built object matches once.
    """
    used: set[int] = set()
    found, missed = [], []
    for obj in truth:
        centre, size = np.asarray(obj["position"]), np.asarray(obj["size"])
        best, best_d = None, centre_tol
        for i, (pos, ext) in enumerate(built):
            d = float(np.linalg.norm(np.asarray(pos) - centre))
            if i not in used and d <= best_d and np.all(np.abs(np.asarray(ext) - size) <= size_tol * size):
                best, best_d = i, d
        if best is None:
            missed.append(obj["name"])
        else:
            used.add(best)
            found.append(obj["name"])
    return ObjectMatch(len(found), len(truth), tuple(found), tuple(missed))


def evaluate_twin(twin_dir: str | Path, capture_dir: str | Path, *, threshold: float = 0.02,
                  rng: np.random.Generator | None = None, poses: list[np.ndarray] | None = None,
                  intrinsics=None, depth_max: float = 5.0) -> dict:
    """Every metric of a built twin against the synthetic capture's ground truth, as a JSON-ready dict.

    Reads ``twin_dir/{twin.json, reconstruction.ply}`` and ``capture_dir/ground_truth/*``. The twin frame
    is compared with the true world directly (both are z up with the floor at 0); the report also gives
    the floor angle between the built and the true ``capture_to_world``. With the capture's ``poses``
    (camera-to-world, capture frame) and depth ``intrinsics``, completeness is measured against the
    ground-truth surface those cameras saw; without, against the whole mesh inside the scanned box.
    """
    o3d = require("open3d", "scan", "evaluating builds")
    rng = rng or np.random.default_rng(0)
    twin_dir, gt = Path(twin_dir), Path(capture_dir) / "ground_truth"
    manifest = json.loads((twin_dir / "twin.json").read_text())
    truth_c2w = np.asarray(json.loads((gt / "capture_to_world.json").read_text())["capture_to_world"])
    built_c2w = np.asarray(manifest["capture_to_world"], dtype=float).reshape(4, 4)
    cloud = o3d.io.read_point_cloud(str(twin_dir / "reconstruction.ply"))
    predicted = np.asarray(cloud.points)
    if len(predicted) == 0:
        raise CaptureError("the reconstruction is empty", twin_dir / "reconstruction.ply")
    # Put the prediction in the true world frame: capture -> true world, undoing the built alignment.
    to_truth = truth_c2w @ np.linalg.inv(built_c2w)
    predicted = predicted @ to_truth[:3, :3].T + to_truth[:3, 3]
    vertices, faces = load_truth_mesh(gt / "mesh.ply")
    truth = visible_truth(sample_mesh(vertices, faces, threshold / 4, rng), predicted)
    if poses:  # completeness against what the cameras could see (a one-sided scan never sees undersides)
        world_poses = [truth_c2w @ p for p in poses]
        seen = observed_truth(vertices, faces, world_poses, intrinsics, depth_max)
        seen = seen[rng.choice(len(seen), size=min(len(seen), len(truth)), replace=False)]
        truth = seen
    surface = surface_metrics(predicted, truth, threshold)
    objects = json.loads((gt / "objects.json").read_text())["objects"]
    built = [(np.asarray(o["position"]), np.asarray(o["size"])) for o in manifest["objects"]]
    # AABB extents permute under the (near multiple of 90 degrees) yaw between the frames
    built = [(to_truth[:3, :3] @ p + to_truth[:3, 3], np.abs(to_truth[:3, :3]) @ s) for p, s in built]
    match = match_objects(built, objects)
    movable = match_objects(built, [o for o in objects if not o.get("static")])
    return {
        "surface": asdict(surface),
        "floor_angle_deg": floor_angle_deg(built_c2w, truth_c2w),
        "objects": {"found": match.found, "total": match.total, "fraction": match.fraction,
                    "missed": list(match.names_missed)},
        "movable_objects": {"found": movable.found, "total": movable.total, "fraction": movable.fraction},
    }
