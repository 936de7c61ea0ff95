"""Gravity alignment: find the floor and build ``capture_to_world`` (floor at z = 0, z up).

Planes are found by repeated RANSAC (:func:`detect_planes`). The floor is, among the large planes whose
normal is within ``max_tilt_deg`` (45) of a prior "up" (scanning cameras often pitch 30-40 degrees down), the one at the lowest height along that normal with the
most support. The prior is the mean camera up (-y in OpenCV axes) for posed RGB-D captures, else +z (scanners,
E57) and then +y (meshes exported y-up). The world x axis follows the largest vertical plane (a wall) so walls
come out axis-aligned; the origin is the centre of the floor's footprint.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from scans.errors import CaptureError


@dataclass(frozen=True, eq=False)
class Plane:
    """A plane ``normal . x + offset = 0`` and the indices of its inlier points.

    Args:
        normal: (3,) unit normal.
        offset: m.
        inliers: (K,) int indices into the cloud the plane was found in.
    """

    normal: np.ndarray
    offset: float
    inliers: np.ndarray


def _refit(points: np.ndarray) -> tuple[np.ndarray, float]:
    centre = points.mean(axis=0)
    normal = np.linalg.svd(points - centre, full_matrices=False)[2][-1]
    return normal, -float(normal @ centre)


def _ransac(points: np.ndarray, distance: float, iterations: int, rng: np.random.Generator) -> np.ndarray:
    """Indices of the inliers of the best of ``iterations`` random 3-point planes (deterministic for ``rng``)."""
    triples = points[rng.integers(0, len(points), (iterations, 3))]
    normals = np.cross(triples[:, 1] - triples[:, 0], triples[:, 2] - triples[:, 0])
    norms = np.linalg.norm(normals, axis=1)
    ok = norms > 1e-9
    normals, triples = normals[ok] / norms[ok, None], triples[ok]
    offsets = -np.einsum("ij,ij->i", normals, triples[:, 0])
    best, best_count = None, -1
    for start in range(0, len(normals), 64):  # chunks keep the (planes x points) matrix small
        counts = (np.abs(points @ normals[start:start + 64].T + offsets[start:start + 64]) < distance).sum(axis=0)
        if counts.max() > best_count:
            best_count, best = int(counts.max()), start + int(counts.argmax())
    if best is None:
        return np.zeros(0, dtype=int)
    return np.flatnonzero(np.abs(points @ normals[best] + offsets[best]) < distance)


def detect_planes(points: np.ndarray, *, distance: float, min_points: int, max_planes: int = 12,
                  seed: int = 0, sample: int = 20000, iterations: int = 300) -> list[Plane]:
    """Planes found by RANSAC one after another (each removes its inliers), largest first.

    Args:
        points: (N, 3) m.
        distance: Inlier distance, m.
        min_points: Stop when the best plane has fewer inliers.
        max_planes: At most this many planes.
        seed: Seeds the RANSAC draws and the subsampling (the result is deterministic for a seed).
        sample: RANSAC scores its hypotheses on a random subset of at most this many points.
        iterations: RANSAC hypotheses per plane.
    """
    rng = np.random.default_rng(seed)
    remaining = np.arange(len(points))
    planes: list[Plane] = []
    while len(planes) < max_planes and len(remaining) >= min_points:
        # score RANSAC hypotheses on at most ``sample`` points; the inliers are then taken from all of them
        subset = remaining if len(remaining) <= sample else rng.choice(remaining, sample, replace=False)
        idx = _ransac(points[subset], distance, iterations, rng)
        if len(idx) < min_points * len(subset) / len(remaining):
            break
        idx = subset[idx]
        normal, offset = _refit(points[idx])
        # refit once more with the inliers of the refined plane (RANSAC's plane is only as good as 3 points)
        idx = np.flatnonzero(np.abs(points @ normal + offset) < distance)
        idx = np.intersect1d(idx, remaining)
        if len(idx) < min_points:
            break
        normal, offset = _refit(points[idx])
        planes.append(Plane(normal, offset, idx))
        remaining = np.setdiff1d(remaining, idx)
    return planes


def merge_planes(points: np.ndarray, planes: list[Plane], *, max_angle_deg: float = 5.0,
                 max_offset: float = 0.1) -> list[Plane]:
    """Merge near-duplicate planes: RANSAC on a thick or noisy surface (a wall scanned from two stations, a
    slightly bent wall) finds one plane and then a second, parallel one in its leftover inliers.

    Two planes merge when their normals are within ``max_angle_deg`` (either sign) and each one's inlier
    centroid lies within ``max_offset`` m of the other plane; the merged plane is refitted to the union of
    their inliers. Largest first, as :func:`detect_planes` returns them.

    Args:
        points: (N, 3) the cloud the planes were found in, m.
        planes: The planes.
        max_angle_deg: Largest angle between normals, degrees.
        max_offset: Largest distance between the two surfaces, m (the build uses the wall thickness).
    """
    merged = [p for p in planes]
    cos = np.cos(np.radians(max_angle_deg))
    changed = True
    while changed:
        changed = False
        for i in range(len(merged)):
            for j in range(i + 1, len(merged)):
                a, b = merged[i], merged[j]
                if abs(a.normal @ b.normal) < cos:
                    continue
                ca, cb = points[a.inliers].mean(axis=0), points[b.inliers].mean(axis=0)
                if abs(a.normal @ cb + a.offset) > max_offset or abs(b.normal @ ca + b.offset) > max_offset:
                    continue
                inliers = np.union1d(a.inliers, b.inliers)
                normal, offset = _refit(points[inliers])
                if normal @ a.normal < 0:
                    normal, offset = -normal, -offset
                merged[i] = Plane(normal, offset, inliers)
                del merged[j]
                changed = True
                break
            if changed:
                break
    return sorted(merged, key=lambda p: -len(p.inliers))


def up_prior(poses: list[np.ndarray] | None) -> list[np.ndarray]:
    """Candidate up directions, best first: the mean camera up of ``poses`` (camera-to-world, OpenCV), or
    +z then +y."""
    if poses:
        up = -np.mean([p[:3, 1] for p in poses], axis=0)
        if np.linalg.norm(up) > 0.3:
            return [up / np.linalg.norm(up)]
    return [np.array([0.0, 0.0, 1.0]), np.array([0.0, 1.0, 0.0])]


def find_floor(points: np.ndarray, planes: list[Plane], priors: list[np.ndarray], *,
               max_tilt_deg: float = 45.0, min_fraction: float = 0.3,
               cameras: np.ndarray | None = None) -> Plane:
    """The floor among ``planes``, its normal oriented up (towards most of the points).

    Among planes within ``max_tilt_deg`` of a prior whose support is at least ``min_fraction`` of the largest
    such plane's, the lowest one along the prior wins. When no plane is near a prior and camera centres
    (C, 3) are given, the largest plane with every camera on one side wins (a desk scanned from above).

    Raises:
        CaptureError: no plane is near-horizontal for any prior (and none faces every camera).
    """
    for prior in priors:
        candidates = []
        for plane in planes:
            normal, offset = plane.normal, plane.offset
            if normal @ prior < 0:
                normal, offset = -normal, -offset
            if np.degrees(np.arccos(np.clip(normal @ prior, -1, 1))) <= max_tilt_deg:
                height = float(np.median(points[plane.inliers] @ prior))
                candidates.append((Plane(normal, offset, plane.inliers), height))
        if not candidates:
            continue
        biggest = max(len(p.inliers) for p, _ in candidates)
        large = [(p, h) for p, h in candidates if len(p.inliers) >= min_fraction * biggest]
        return min(large, key=lambda ph: ph[1])[0]
    if cameras is not None and len(cameras):
        # top-down scans (a desk seen from above): the largest plane with every camera on one side
        for plane in sorted(planes, key=lambda p: -len(p.inliers)):
            side = cameras @ plane.normal + plane.offset
            if np.all(side > 0) or np.all(side < 0):
                sign = 1.0 if side[0] > 0 else -1.0
                return Plane(sign * plane.normal, sign * plane.offset, plane.inliers)
    raise CaptureError("no floor found: no large plane is within "
                       f"{max_tilt_deg:.0f} degrees of horizontal; is the capture a scene with a floor?")


def capture_to_world(points: np.ndarray, floor: Plane, planes: list[Plane]) -> np.ndarray:
    """(4, 4) transform: floor normal to +z, floor at z = 0, x along the largest vertical plane's normal,
    origin at the centre of the floor inliers' footprint."""
    z = floor.normal / np.linalg.norm(floor.normal)
    walls = [p for p in planes if abs(p.normal @ z) < np.sin(np.radians(10))]
    if walls:
        big = max(walls, key=lambda p: len(p.inliers))
        x = big.normal - (big.normal @ z) * z
    else:
        helper = np.eye(3)[np.argmin(np.abs(z))]
        x = helper - (helper @ z) * z
    x /= np.linalg.norm(x)
    y = np.cross(z, x)
    rotation = np.stack([x, y, z])  # rows: world axes in capture coordinates
    floor_pts = points[floor.inliers] @ rotation.T
    lo, hi = np.percentile(floor_pts[:, :2], [1, 99], axis=0)
    centre = np.array([(lo[0] + hi[0]) / 2, (lo[1] + hi[1]) / 2, -floor.offset])
    matrix = np.eye(4)
    matrix[:3, :3] = rotation
    matrix[:3, 3] = -centre
    return matrix


def transform(points: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """Apply a (4, 4) transform to (N, 3) points."""
    return points @ matrix[:3, :3].T + matrix[:3, 3]
