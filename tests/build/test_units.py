"""Fast unit tests of the build stages on tiny generated data."""

from __future__ import annotations

import numpy as np
import pytest

from scans.build.config import BuildConfig, load_config
from scans.build.gravity import capture_to_world, detect_planes, find_floor, transform
from scans.build.metrics import match_objects, surface_metrics
from scans.build.objects import fit_object, min_area_rectangle
from scans.build.segment import components, split_on_supports
from twin.errors import InputError
from twin.shapes import Box, Cylinder


def _box_surface(centre, size, spacing, rng, bottom=True):
    """Points and outward normals on a box's faces (no bottom face unless asked), world frame."""
    pts, nrm = [], []
    for axis in range(3):
        for sign in (-1, 1):
            if axis == 2 and sign == -1 and not bottom:
                continue
            others = [a for a in range(3) if a != axis]
            n = int(size[others[0]] * size[others[1]] / spacing**2) + 1
            p = rng.uniform(-0.5, 0.5, (n, 3)) * size
            p[:, axis] = sign * size[axis] / 2
            pts.append(p + centre)
            normal = np.zeros(3)
            normal[axis] = sign
            nrm.append(np.tile(normal, (n, 1)))
    return np.vstack(pts), np.vstack(nrm)


def _room(rng, tilt):
    """A floor (4 x 4 m) and two walls, rotated by ``tilt`` (a 4x4) into a capture frame."""
    floor = np.column_stack([rng.uniform(-2, 2, (8000, 2)), rng.normal(0, 0.003, 8000)])
    wall = np.column_stack([np.full(3000, 2.0), rng.uniform(-2, 2, 3000), rng.uniform(0, 2, 3000)])
    wall2 = np.column_stack([rng.uniform(-2, 2, 3000), np.full(3000, 2.0), rng.uniform(0, 2, 3000)])
    points = np.vstack([floor, wall, wall2])
    return transform(points, tilt)


def test_floor_is_found_and_levelled_within_a_degree():
    rng = np.random.default_rng(0)
    angle = np.radians(25)
    tilt = np.eye(4)
    tilt[:3, :3] = [[1, 0, 0], [0, np.cos(angle), -np.sin(angle)], [0, np.sin(angle), np.cos(angle)]]
    tilt[:3, 3] = [0.3, -1.0, 2.0]
    points = _room(rng, tilt)
    planes = detect_planes(points, distance=0.02, min_points=500)
    floor = find_floor(points, planes, [tilt[:3, :3] @ np.array([0, 0, 1.0])])
    matrix = capture_to_world(points, floor, planes)
    up = np.linalg.inv(matrix)[:3, :3] @ [0, 0, 1]
    assert np.degrees(np.arccos(up @ (tilt[:3, :3] @ [0, 0, 1]))) < 1.0
    world = transform(points, matrix)
    assert abs(np.median(world[floor.inliers, 2])) < 0.005


def test_box_fit_recovers_size_and_yaw():
    rng = np.random.default_rng(1)
    pts, nrm = _box_surface(np.zeros(3), np.array([0.5, 0.3, 0.4]), 0.01, rng, bottom=False)
    yaw = 0.3
    rot = np.array([[np.cos(yaw), -np.sin(yaw), 0], [np.sin(yaw), np.cos(yaw), 0], [0, 0, 1]])
    pts, nrm = pts @ rot.T + [1.0, 2.0, 0.2], nrm @ rot.T
    obj = fit_object("b", pts, nrm, support=0.0, voxel=0.01)
    assert isinstance(obj.shape, Box)
    assert sorted(obj.shape.size[:2]) == pytest.approx([0.3, 0.5], abs=0.02)
    assert obj.shape.size[2] == pytest.approx(0.4, abs=0.01)
    assert obj.position == pytest.approx([1.0, 2.0, 0.2], abs=0.01)
    assert np.cos(4 * (obj.yaw - yaw)) > np.cos(4 * 0.03)  # yaw modulo 90 degrees


def test_cylinder_is_chosen_for_a_drum():
    rng = np.random.default_rng(2)
    theta, z = rng.uniform(0, 2 * np.pi, 4000), rng.uniform(0, 0.8, 4000)
    pts = np.column_stack([0.25 * np.cos(theta), 0.25 * np.sin(theta), z])
    nrm = np.column_stack([np.cos(theta), np.sin(theta), np.zeros_like(z)])
    obj = fit_object("drum", pts, nrm, support=0.0, voxel=0.01)
    assert isinstance(obj.shape, Cylinder)
    assert obj.shape.radius == pytest.approx(0.25, abs=0.01)


def test_box_on_a_pallet_is_split_from_it():
    rng = np.random.default_rng(3)
    pallet, pn = _box_surface(np.array([0, 0, 0.07]), np.array([1.0, 1.2, 0.14]), 0.02, rng, bottom=False)
    box, bn = _box_surface(np.array([0.1, 0.1, 0.14 + 0.15]), np.array([0.4, 0.4, 0.3]), 0.02, rng, bottom=False)
    points, normals = np.vstack([pallet, box]), np.vstack([pn, bn])
    assert len(np.unique(components(points, 0.05))) == 1
    pieces = split_on_supports(points, normals, voxel=0.02, eps=0.05)
    assert len(pieces) == 2
    heights = sorted(h for _, h in pieces if h is not None)
    assert heights == pytest.approx([0.14], abs=0.02)


def test_surface_metrics_of_identical_clouds_are_perfect():
    pts = np.random.default_rng(4).uniform(0, 1, (500, 3))
    m = surface_metrics(pts, pts)
    assert m.chamfer_l1 == 0 and m.fscore == 1


def test_object_matching_tolerances():
    truth = [{"name": "a", "position": [0, 0, 0.1], "size": [0.4, 0.4, 0.2]}]
    assert match_objects([(np.array([0.05, 0, 0.1]), np.array([0.42, 0.38, 0.2]))], truth).found == 1
    assert match_objects([(np.array([0.2, 0, 0.1]), np.array([0.4, 0.4, 0.2]))], truth).found == 0
    assert match_objects([(np.array([0, 0, 0.1]), np.array([0.6, 0.4, 0.2]))], truth).found == 0


def test_min_area_rectangle_of_an_axis_aligned_square():
    xy = np.random.default_rng(5).uniform(-1, 1, (2000, 2))
    _, size, _ = min_area_rectangle(xy)
    assert size == pytest.approx([1.92, 1.92], abs=0.05)


def test_config_file_overrides_and_errors(tmp_path):
    path = tmp_path / "build.toml"
    path.write_text('voxel = 0.03\nsmall_objects = "static"\n[material]\nname = "wood"\ndensity = 500.0\n')
    config = load_config(path, voxel=0.02)
    assert config.voxel == 0.02 and config.small_objects == "static"
    assert config.object_material().density == 500.0
    path.write_text("voxle = 0.03\n")
    with pytest.raises(InputError, match="unknown setting\\(s\\) voxle; valid: "):
        load_config(path)
    with pytest.raises(InputError, match="unknown material 'gold'"):
        BuildConfig(material="gold")
