"""Structure: the floor, walls and other large planes become static boxes of measured extent.

Works in the world frame (z up, floor at z = 0). A plane's box covers its inliers' footprint (1st to 99th
percentile along the plane's two in-plane axes) and extends ``thickness`` behind the observed surface, away
from the room (one-sided scans cannot measure a wall's thickness; the value is a setting, and the report
says so).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from scans.build.gravity import Plane


@dataclass(frozen=True)
class StructureBox:
    """A static box: ``name`` (``floor``, ``wall_0``, ...), centre (3,) m, full ``size`` (3,) m in its own
    frame, ``rotation`` (3, 3) from that frame to the world, and the supporting inlier count."""

    name: str
    centre: np.ndarray
    size: np.ndarray
    rotation: np.ndarray
    points: int


def _box_behind(name: str, points: np.ndarray, normal: np.ndarray, thickness: float) -> StructureBox:
    """A box whose face lies on the plane of ``points`` (normal pointing into the room) and extends behind."""
    normal = normal / np.linalg.norm(normal)
    helper = np.array([0.0, 0.0, 1.0]) if abs(normal[2]) < 0.9 else np.array([1.0, 0.0, 0.0])
    u = np.cross(helper, normal)
    u /= np.linalg.norm(u)
    v = np.cross(normal, u)
    rotation = np.column_stack([u, v, normal])
    local = points @ rotation
    lo, hi = np.percentile(local, 1, axis=0), np.percentile(local, 99, axis=0)
    surface = float(np.median(local[:, 2]))
    centre_local = np.array([(lo[0] + hi[0]) / 2, (lo[1] + hi[1]) / 2, surface - thickness / 2])
    size = np.array([hi[0] - lo[0], hi[1] - lo[1], thickness])
    return StructureBox(name, rotation @ centre_local, np.maximum(size, 1e-3), rotation, len(points))


def find_structure(points: np.ndarray, planes: list[Plane], *, voxel: float, thickness: float = 0.1,
                   min_wall_area: float = 1.0, min_wall_height: float = 0.6,
                   max_tilt_deg: float = 10.0) -> tuple[list[StructureBox], np.ndarray]:
    """Structure boxes and a mask of the points they explain.

    Args:
        points: (N, 3) world-frame surface points at about ``voxel`` spacing, m.
        planes: Planes found in ``points`` (world frame).
        voxel: Point spacing, m (turns inlier counts into areas).
        thickness: Box thickness behind each surface, m.
        min_wall_area: A vertical plane becomes a wall with at least this much observed area, m^2.
        min_wall_height: ... and this vertical extent, m.

    Returns:
        The boxes (floor first) and an (N,) bool mask of structure points (within 2 voxels of the floor,
        or of a wall inside its footprint).
    """
    boxes: list[StructureBox] = []
    mask = points[:, 2] < 2 * voxel
    floor_points = points[mask]
    if len(floor_points) >= 3:
        lo, hi = np.percentile(floor_points[:, :2], [1, 99], axis=0)
        size = np.array([hi[0] - lo[0], hi[1] - lo[1], thickness])
        boxes.append(StructureBox("floor", np.array([(lo[0] + hi[0]) / 2, (lo[1] + hi[1]) / 2, -thickness / 2]),
                                  np.maximum(size, 1e-3), np.eye(3), int(mask.sum())))
    centre = np.median(points, axis=0)
    for plane in planes:
        normal = plane.normal
        if abs(normal[2]) > np.sin(np.radians(max_tilt_deg)):
            continue
        inliers = points[plane.inliers]
        area = len(inliers) * voxel**2
        height = np.ptp(inliers[:, 2]) if len(inliers) else 0.0
        if area < min_wall_area or height < min_wall_height:
            continue
        if normal @ (centre - inliers.mean(axis=0)) < 0:
            normal = -normal  # face the room
        box = _box_behind(f"wall_{len(boxes) - 1 if boxes and boxes[0].name == 'floor' else len(boxes)}",
                          inliers, normal, thickness)
        boxes.append(box)
        local = (points - box.centre) @ box.rotation
        near = np.abs(local[:, 2] - box.size[2] / 2) < 2 * voxel
        inside = np.all(np.abs(local[:, :2]) <= box.size[:2] / 2 + 2 * voxel, axis=1)
        mask |= near & inside
    return boxes, mask
