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


def _open_bin_points(rng, size=(0.6, 0.4, 0.3), spacing=0.01):
    """Outer walls and inner floor (at 2 cm) of an open bin standing on z = 0, with outward/up normals."""
    length, width, height = size
    pts, nrm = [], []
    for axis, half, along in ((0, length / 2, width), (1, width / 2, length)):
        n = int(along * height / spacing**2)
        for sign in (-1, 1):
            p = np.column_stack([rng.uniform(-along / 2, along / 2, n), rng.uniform(0, height, n)])
            p = np.insert(p, axis, sign * half, axis=1)
            pts.append(p)
            nrm.append(np.tile(np.insert([0.0, 0.0], axis, sign), (n, 1)))
    n = int((length - 0.04) * (width - 0.04) / spacing**2)
    floor = rng.uniform([-length / 2 + 0.02, -width / 2 + 0.02], [length / 2 - 0.02, width / 2 - 0.02], (n, 2))
    pts.append(np.column_stack([floor, np.full(n, 0.02)]))
    nrm.append(np.tile([0.0, 0.0, 1.0], (n, 1)))
    return np.vstack(pts), np.vstack(nrm)


def test_height_field_solid_is_closed_and_has_the_bins_volume():
    import mujoco

    from scans.build.decompose import height_field_solid
    from twin.validation.mesh_inertia import mesh_volume

    points, _ = _open_bin_points(np.random.default_rng(6))
    solid = height_field_solid(points, support=0.0, cell=0.02)
    walls = 0.6 * 0.4 * 0.3 - 0.56 * 0.36 * 0.28  # 2 cm walls and floor
    assert solid.volume == pytest.approx(walls, rel=0.15)
    # closed and outward: MuJoCo's exact volume of the surface equals the voxel count's
    exact = mesh_volume(solid.vertices, solid.faces, mujoco.mjtMeshInertia.mjMESH_INERTIA_EXACT)
    assert exact == pytest.approx(solid.volume, rel=1e-6)


def test_open_bin_is_decomposed_into_convex_parts_within_the_budget():
    pytest.importorskip("coacd")
    from scans.build.objects import decompose_object

    points, normals = _open_bin_points(np.random.default_rng(7))
    obj = fit_object("bin", points, normals, support=0.0, voxel=0.02)
    assert obj.kind == "mesh" and obj.surface is not None  # an open container is not a solid box
    parts, _ = decompose_object(obj, cell=0.02, max_hulls=8, threshold=0.1, seed=0, timeout=120)
    again, _ = decompose_object(obj, cell=0.02, max_hulls=8, threshold=0.1, seed=0, timeout=120)
    assert parts.kind == "decomposed" and 2 <= len(parts.parts) <= 8
    assert [p[0].vertices.tolist() for p in parts.parts] == [p[0].vertices.tolist() for p in again.parts]
    assert parts.volume < 0.5 * 0.6 * 0.4 * 0.3  # a solid block would be 0.072 m^3
    # the bin's cavity stays empty: no part contains its centre, 15 cm above the floor
    from scipy.spatial import Delaunay

    centre = np.array([0.0, 0.0, 0.15]) - parts.position
    assert not any(Delaunay(p[0].vertices).find_simplex(centre) >= 0 for p in parts.parts)


def test_a_closed_box_is_not_an_open_container():
    rng = np.random.default_rng(8)
    pts, nrm = _box_surface(np.array([0, 0, 0.15]), np.array([0.6, 0.4, 0.3]), 0.01, rng, bottom=False)
    assert fit_object("box", pts, nrm, support=0.0, voxel=0.02).kind == "box"


def test_decomposition_failure_is_a_decomposition_error():
    from scans.build.decompose import DecompositionError, Solid, decompose

    flat = Solid(np.array([[0, 0, 0], [1, 0, 0], [0, 1, 0], [1, 1, 0]], float), np.array([[0, 1, 2], [1, 3, 2]]), 0.0)
    with pytest.raises(DecompositionError):
        decompose(flat, max_hulls=4, threshold=0.1, seed=0, timeout=0.01)


def _scene_of(free, clutter=()):
    from scans.build.pipeline import assemble_scene
    from scans.build.structure import StructureBox
    from twin.scene import Material

    floor = StructureBox("floor", np.array([0.0, 0.0, -0.05]), np.array([4.0, 4.0, 0.1]), np.eye(3), 100)
    return assemble_scene("t", [floor], free, clutter, Material("m", density=250.0))


def _box_object(name, centre, size, yaw=0.0):
    from scans.build.objects import FittedObject

    return FittedObject(name, Box(size), np.array(centre, float), yaw, float(np.prod(size)), 0.0, 100)


def test_overlapping_boxes_are_separated_and_settle():
    from scans.build.placement import place_objects
    from twin.validation import validate_spec

    free = [_box_object("a", [0.0, 0.0, 0.2], (0.4, 0.4, 0.4)),
            _box_object("b", [0.35, 0.02, 0.19], (0.4, 0.4, 0.4)),  # 5 cm into a, 1 cm into the floor
            _box_object("c", [0.0, 0.0, 0.47], (0.3, 0.3, 0.2), yaw=0.3)]  # 3 cm into a's top
    before = validate_spec(_scene_of(free).spec).to_dict()
    assert {c["name"]: c["status"] for c in before["checks"]}["penetration"] == "fail"
    placed = place_objects(free, [], lambda f, c: _scene_of(f, c))
    assert len(placed.free) == 3 and placed.made_static == 0 and placed.moved >= 2
    after = {c["name"]: c["status"] for c in validate_spec(_scene_of(placed.free).spec).to_dict()["checks"]}
    assert after["penetration"] == "pass" and after["settle"] == "pass"
    a, b, c = placed.free
    assert b.position[0] - a.position[0] >= 0.399  # side by side: pushed apart
    assert c.bottom == pytest.approx(a.position[2] + 0.2, abs=0.005)  # stacked: lifted onto a, not pushed aside
    assert np.linalg.norm(c.position[:2]) < 0.005


def test_an_object_that_tips_over_is_kept_static():
    from scans.build.objects import FittedObject
    from scans.build.placement import place_objects

    # a table top on one leg at its edge: it tips over
    parts = ((Box((1.0, 0.6, 0.03)), np.array([0.0, 0.0, 0.36]), 0.0),
             (Box((0.05, 0.05, 0.72)), np.array([0.45, 0.0, 0.0]), 0.0))
    table = FittedObject("table", parts[0][0], np.array([0.0, 0.0, 0.36]), 0.0, 0.02, 0.0, 100, parts)
    placed = place_objects([table], [], lambda f, c: _scene_of(f, c))
    assert not placed.free and [o.name for o in placed.clutter] == ["table"]
    assert "kept static" in placed.notes[0]


def test_parallel_planes_of_one_wall_are_merged():
    from scans.build.gravity import Plane, merge_planes

    rng = np.random.default_rng(9)
    wall = np.column_stack([rng.normal(2.0, 0.01, 4000), rng.uniform(-2, 2, 4000), rng.uniform(0, 2, 4000)])
    wall[2000:, 0] += 0.04  # the second half 4 cm further back, as RANSAC splits a thick wall
    other = np.column_stack([rng.uniform(-2, 2, 2000), np.full(2000, 2.0), rng.uniform(0, 2, 2000)])
    points = np.vstack([wall, other])
    x = np.array([1.0, 0.0, 0.0])
    planes = [Plane(x, -2.0, np.arange(2000)), Plane(x, -2.04, np.arange(2000, 4000)),
              Plane(np.array([0.0, 1.0, 0.0]), -2.0, np.arange(4000, 6000))]
    merged = merge_planes(points, planes, max_offset=0.1)
    assert len(merged) == 2 and len(merged[0].inliers) == 4000
    assert abs(merged[0].normal @ x) > np.cos(np.radians(1))
    assert len(merge_planes(points, planes, max_offset=0.02)) == 3  # further apart than the wall thickness


def test_a_neighbours_lid_a_few_cm_higher_is_not_cut_from_its_box():
    rng = np.random.default_rng(10)
    shelf, sn = _box_surface(np.array([0.0, 0.0, 0.3]), np.array([1.2, 0.4, 0.03]), 0.02, rng)
    low, ln = _box_surface(np.array([-0.35, 0.0, 0.315 + 0.1]), np.array([0.4, 0.35, 0.2]), 0.02, rng, bottom=False)
    high, hn = _box_surface(np.array([0.35, 0.0, 0.315 + 0.113]), np.array([0.3, 0.3, 0.226]), 0.02, rng,
                            bottom=False)
    points, normals = np.vstack([shelf, low, high]), np.vstack([sn, ln, hn])
    points = points + rng.normal(0, 0.002, points.shape)
    pieces = split_on_supports(points, normals, voxel=0.02, eps=0.05)
    tops = sorted(points[idx, 2].max() for idx, h in pieces if h is not None)
    # the lids, 2.6 cm apart, are one support level: the taller box's lid lies in the slab cut above it and
    # must come back to its box, not to the shelf
    assert tops == pytest.approx([0.515, 0.541], abs=0.008)


def test_compound_legs_reach_the_support_when_their_feet_are_unseen():
    from scans.build.objects import fit_compound

    rng = np.random.default_rng(11)
    top, tn = _box_surface(np.array([0.0, 0.0, 0.73]), np.array([1.2, 0.6, 0.04]), 0.02, rng)
    legs = [_box_surface(np.array([x, y, 0.45]), np.array([0.05, 0.05, 0.5]), 0.01, rng, bottom=False)
            for x in (-0.55, 0.55) for y in (-0.25, 0.25)]  # seen from 0.2 m up only
    points = np.vstack([top] + [p for p, _ in legs])
    normals = np.vstack([tn] + [n for _, n in legs])
    table = fit_compound("t", points, normals, support=0.0, voxel=0.02, residual=0.0)
    assert table is not None and table.bottom == pytest.approx(0.0, abs=1e-6)
    bottoms = sorted(c[2] + table.position[2] - b.size[2] / 2 for b, c, _ in table.parts)
    assert bottoms[:4] == pytest.approx([0.0] * 4, abs=1e-6)  # the four legs, not the top


def test_the_skirt_past_an_unseen_edge_does_not_widen_a_box():
    rng = np.random.default_rng(12)
    pts, nrm = _box_surface(np.array([0.0, 0.0, 0.15]), np.array([0.4, 0.3, 0.3]), 0.01, rng, bottom=False)
    unseen = pts[:, 0] > 0.199  # the +x face is against a wall: no points there, a TSDF skirt instead
    pts, nrm = pts[~unseen], nrm[~unseen]
    y, run = np.meshgrid(np.arange(-0.15, 0.15, 0.01), np.arange(0.005, 0.06, 0.01))
    skirt = np.column_stack([0.2 + run.ravel(), y.ravel(), 0.3 - 0.45 * run.ravel()])  # sloping 24 degrees down
    pts = np.vstack([pts, skirt])
    nrm = np.vstack([nrm, np.tile([0.41, 0.0, 0.91], (len(skirt), 1))])
    obj = fit_object("b", pts, nrm, support=0.0, voxel=0.02)
    assert isinstance(obj.shape, Box)
    assert sorted(obj.shape.size[:2]) == pytest.approx([0.3, 0.4], abs=0.015)


def test_a_stacked_overlap_lifts_the_upper_geom_not_the_higher_body():
    from scans.build.objects import FittedObject
    from scans.build.placement import separate

    # shelving: a low board and a tall post (its origin is high above the board); a box 5 mm into the board
    parts = ((Box((1.0, 0.4, 0.03)), np.array([0.0, 0.0, -0.6]), 0.0),
             (Box((0.05, 0.05, 1.5)), np.array([-0.5, 0.0, 0.0]), 0.0),
             (Box((0.05, 0.05, 1.5)), np.array([0.5, 0.0, 0.0]), 0.0))
    shelf = FittedObject("shelf", parts[0][0], np.array([0.0, 0.0, 0.75]), 0.0, 0.02, 0.0, 100, parts)
    box = _box_object("box", [0.0, 0.0, 0.165 + 0.1 - 0.005], (0.3, 0.3, 0.2))
    model = _scene_of([shelf, box]).compile()
    import mujoco

    bodies = [mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_BODY, n) for n in ("shelf", "box")]
    shift, left = separate(model, bodies)
    assert np.abs(shift[0]).max() < 1e-9 and shift[1][2] == pytest.approx(0.006, abs=0.001) and not left


def test_an_object_that_would_fall_is_kept_static_where_it_was_scanned():
    from scans.build.placement import place_objects

    floating = _box_object("box", [0.0, 0.0, 0.45], (0.3, 0.3, 0.3))  # 30 cm over the floor: its support unseen
    placed = place_objects([floating], [], lambda f, c: _scene_of(f, c))
    assert not placed.free and placed.clutter[0].position == pytest.approx([0.0, 0.0, 0.45])
    assert "would fall" in placed.notes[0] and "kept static" in placed.notes[0]


def test_a_box_seen_on_two_faces_is_not_taken_for_a_cylinder():
    from scans.build.objects import _faces_along

    rng = np.random.default_rng(13)
    yaw = 0.4
    faces = np.repeat([[np.cos(yaw), np.sin(yaw)], [-np.sin(yaw), np.cos(yaw)]], 100, axis=0)
    noisy = faces + rng.normal(0, 0.15, faces.shape)  # estimated normals, smeared at the edges
    assert _faces_along(noisy / np.linalg.norm(noisy, axis=1, keepdims=True))
    for arc in (np.pi / 2, np.pi, 2 * np.pi):  # a drum seen over a quarter, half or all of its side
        theta = rng.uniform(0, arc, 200)
        assert not _faces_along(np.column_stack([np.cos(theta), np.sin(theta)]))


def test_an_object_wedged_between_static_ones_stays_where_it_was_scanned():
    from scans.build.placement import place_objects

    walls = [_box_object("left", [-0.33, 0.0, 0.2], (0.3, 0.6, 0.4)), _box_object("right", [0.3, 0.0, 0.2], (0.3, 0.6, 0.4))]
    wedged = _box_object("box", [0.0, 0.0, 0.15], (0.4, 0.3, 0.3))  # 8 cm into the left, 5 cm into the right
    placed = place_objects([wedged], walls, lambda f, c: _scene_of(f, c))
    assert not placed.free and placed.made_static == 1
    assert placed.clutter[-1].position == pytest.approx([0.0, 0.0, 0.15])
    assert "still overlaps" in placed.notes[0]
