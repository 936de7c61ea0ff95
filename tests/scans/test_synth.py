"""Synthetic captures: the written frames, LiDAR cloud and ground truth agree; the noise is the model's."""

from __future__ import annotations

import json

import mujoco
import numpy as np
import pytest

from scans.capture import FrameData, Intrinsics
from scans.errors import CaptureError
from scans.readers import read_capture
from scans.synth import (
    LAYOUTS,
    DepthNoise,
    Raycaster,
    SceneMesh,
    build_cell,
    kinect_intrinsics,
    load_capture_to_world,
    make_synthetic_capture,
    render_rgbd,
    scan_path,
    scene_mesh,
)
from twin.errors import OutputError
from twin.manifest import ObjectRecord
from twin.validation import validate_spec

o3d = pytest.importorskip("open3d")

SMALL = {"frames": 12, "width": 160, "height": 120, "lidar_step_deg": 1.0}


@pytest.fixture(scope="module")
def capture(tmp_path_factory):
    out = tmp_path_factory.mktemp("synth") / "cell"
    return make_synthetic_capture(out, layout="7scenes", seed=3, **SMALL)


def _distance_to(mesh_path, points: np.ndarray) -> np.ndarray:
    mesh = o3d.t.io.read_triangle_mesh(str(mesh_path))
    scene = o3d.t.geometry.RaycastingScene()
    scene.add_triangles(mesh)
    return scene.compute_distance(o3d.core.Tensor(points.astype(np.float32))).numpy()


def _back_project(frame) -> tuple[np.ndarray, np.ndarray]:
    """Capture-frame points (N, 3) of a frame's valid depth pixels, and their depths (N,)."""
    depth, k = frame.depth(), frame.intrinsics
    v, u = np.nonzero(depth > 0)
    z = depth[v, u].astype(np.float64)
    camera = np.column_stack([(u - k.cx) / k.fx * z, (v - k.cy) / k.fy * z, z])
    return camera @ frame.pose[:3, :3].T + frame.pose[:3, 3], z


def _to_world(points: np.ndarray, capture_to_world: np.ndarray) -> np.ndarray:
    return points @ capture_to_world[:3, :3].T + capture_to_world[:3, 3]


def test_ground_truth_files(capture):
    gt = capture.path / "ground_truth"
    assert sorted(p.name for p in gt.iterdir()) == ["capture_to_world.json", "mesh.ply", "objects.json", "synth.json"]
    objects = json.loads(capture.objects_path.read_text())["objects"]
    kinds = {o["kind"] for o in objects}
    assert kinds == {"rack", "table", "box", "tote", "bin", "pallet"}
    for o in objects:
        ObjectRecord(o["name"], o["position"], o["size"], o["mass"], o["source"])  # the twin.json fields, valid
        assert np.asarray(o["pose"]).shape == (4, 4) and len(o["local_size"]) == 3 and o["mass"] > 0
        assert o["static"] == (o["kind"] in ("rack", "table"))
        assert o["position"][2] - o["size"][2] / 2 > -1e-6  # nothing below the floor
    matrix = load_capture_to_world(capture.path)
    np.testing.assert_allclose(matrix, capture.capture_to_world, atol=1e-12)
    np.testing.assert_allclose(matrix[:3, :3] @ matrix[:3, :3].T, np.eye(3), atol=1e-9)
    tilt = np.degrees(np.arccos(matrix[2, 2]))  # angle between the capture's z and the world's z
    assert 5.0 <= tilt <= 15.0
    assert [o.to_dict() for o in capture.objects] == objects
    assert json.loads((gt / "synth.json").read_text())["seed"] == 3


def test_depth_lands_on_the_ground_truth_mesh(capture):
    sequence = read_capture(capture.path)
    assert sequence.layout == "7scenes" and len(sequence) == SMALL["frames"] and sequence.posed == SMALL["frames"]
    noise = DepthNoise()
    points, depths = zip(*(_back_project(f) for f in sequence.frames[::3]))
    world, z = _to_world(np.concatenate(points), capture.capture_to_world), np.concatenate(depths)
    distance = _distance_to(capture.mesh_path, world)
    near = z < 2.5
    assert near.mean() > 0.3
    assert np.median(distance[near]) < 0.005  # within the noise at these depths
    assert np.median(distance / noise.axial_sigma(z)) < 1.0  # and within the model everywhere


def test_floor_is_level_at_zero_after_capture_to_world(capture):
    sequence = read_capture(capture.path)
    points = np.concatenate([_back_project(f)[0] for f in sequence.frames[::2]])
    cloud = o3d.geometry.PointCloud(o3d.utility.Vector3dVector(points))
    o3d.utility.random.seed(1)
    plane, inliers = cloud.segment_plane(0.02, 3, 500)  # the floor dominates every view
    normal = capture.capture_to_world[:3, :3] @ np.asarray(plane[:3])
    normal /= np.linalg.norm(normal)
    assert abs(normal[2]) > np.cos(np.radians(1.0))
    floor = _to_world(points[inliers], capture.capture_to_world)
    assert abs(np.median(floor[:, 2])) < 0.01
    assert np.degrees(np.arccos(abs(np.asarray(plane[:3]) @ [0, 0, 1]))) > 1.0  # not level in the capture frame


def test_lidar_cloud_aligns_with_the_mesh(capture):
    cloud = read_capture(capture.lidar_path)
    assert cloud.layout == "pointcloud" and len(cloud.points) == capture.lidar_points > 10_000
    distance = _distance_to(capture.mesh_path, _to_world(cloud.points, capture.capture_to_world))
    assert np.median(distance) < 0.003  # 3 mm range noise
    assert np.percentile(distance, 99) < 0.02


def _plane(z: float, half: float = 50.0, x_edge: float | None = None, z_far: float | None = None) -> SceneMesh:
    """A fronto-parallel square at depth ``z`` (optionally only x > ``x_edge``, with another at ``z_far``)."""
    quads = [(x_edge if x_edge is not None else -half, half, z)]
    if z_far is not None:
        quads.append((-half, half, z_far))
    vertices, faces = [], []
    for i, (x0, x1, depth) in enumerate(quads):
        vertices += [[x0, -half, depth], [x1, -half, depth], [x1, half, depth], [x0, half, depth]]
        faces += [[4 * i, 4 * i + 2, 4 * i + 1], [4 * i, 4 * i + 3, 4 * i + 2]]
    vertices, faces = np.array(vertices, float), np.array(faces)
    grey = np.full((len(faces), 3), 0.5)
    return SceneMesh(vertices, faces, grey, np.zeros(len(faces), int), np.full((len(vertices), 3), 0.5))


@pytest.mark.parametrize("z", [1.0, 2.5])
def test_axial_noise_and_dropout_match_the_model(z):
    noise, k = DepthNoise(), kinect_intrinsics(320, 240)
    depth, _ = render_rgbd(Raycaster(_plane(z)), np.eye(4), k, noise, np.random.default_rng(0))
    valid = depth[depth > 0]
    assert np.std(valid - z) == pytest.approx(noise.axial_sigma(z), rel=0.2)
    assert abs(np.mean(valid - z)) < 0.1 * noise.axial_sigma(z)
    assert 1 - len(valid) / depth.size == pytest.approx(noise.dropout, abs=0.003)


def test_lateral_jitter_is_half_a_pixel():
    # A near plane covers x > edge; its edge falls halfway between two pixel columns. With a 0.5 px jitter a
    # ray crosses a half-pixel gap with probability Phi(-1) = 0.159, a 1.5 px gap with Phi(-3) = 0.001.
    k = Intrinsics(32, 2000, 100.0, 1000.0, 15.5, 999.5)  # tall, for 2000 samples per column
    column = 20
    edge = (column + 0.5 - k.cx) / k.fx  # at depth 1 m
    depth, _ = render_rgbd(Raycaster(_plane(1.0, x_edge=edge, z_far=2.0)), np.eye(4), k,
                           DepthNoise(dropout=0.0), np.random.default_rng(0))
    assert (depth > 0).all()
    near = depth < 1.5
    assert near[:, column].mean() == pytest.approx(0.159, abs=0.03)  # left of the edge, near by jitter
    assert 1 - near[:, column + 1].mean() == pytest.approx(0.159, abs=0.03)
    assert near[:, column - 1].mean() < 0.01 and near[:, column + 2].mean() > 0.99


def test_exact_render_without_noise():
    cell = build_cell(np.random.default_rng(5))
    mesh = scene_mesh(cell.scene.compile())
    k = kinect_intrinsics(80, 60)
    pose = scan_path(4, cell.room, np.random.default_rng(0))[1]
    depth, color = render_rgbd(Raycaster(mesh), pose, k, None, np.random.default_rng(0))
    assert (depth > 0).mean() > 0.9 and color.dtype == np.uint8
    frame = FrameData(depth, k, color, pose)
    v, u = np.nonzero(frame.depth > 0)
    z = frame.depth[v, u]
    points = np.column_stack([(u - k.cx) / k.fx * z, (v - k.cy) / k.fy * z, z]) @ pose[:3, :3].T + pose[:3, 3]
    scene = o3d.t.geometry.RaycastingScene()
    scene.add_triangles(mesh.vertices.astype(np.float32), mesh.faces.astype(np.uint32))
    assert scene.compute_distance(o3d.core.Tensor(points.astype(np.float32))).numpy().max() < 1e-4


def test_deterministic_for_a_seed(tmp_path):
    tiny = {"frames": 3, "width": 64, "height": 48, "lidar_step_deg": 4.0}
    a = make_synthetic_capture(tmp_path / "a", seed=11, **tiny)
    b = make_synthetic_capture(tmp_path / "b", seed=11, **tiny)
    c = make_synthetic_capture(tmp_path / "c", seed=12, lidar=False, **tiny)
    files = sorted(p.relative_to(a.path) for p in a.path.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(b.path) for p in b.path.rglob("*") if p.is_file())
    for name in files:
        assert (a.path / name).read_bytes() == (b.path / name).read_bytes(), name
    assert a.objects_path.read_text() != c.objects_path.read_text()
    assert c.lidar_path is None and not (c.path / "lidar.ply").exists()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_cell_is_sim_ready_and_the_camera_path_is_clear(seed):
    cell = build_cell(np.random.default_rng(seed))
    report = validate_spec(cell.scene.spec)
    assert report.ok, [f.message for f in report.findings]
    model = cell.scene.compile()
    data = mujoco.MjData(model)
    mujoco.mj_kinematics(model, data)
    eyes = scan_path(200, cell.room, np.random.default_rng(seed))[:, :3, 3]
    mesh = scene_mesh(model, data)
    scene = o3d.t.geometry.RaycastingScene()
    scene.add_triangles(mesh.vertices.astype(np.float32), mesh.faces.astype(np.uint32))
    assert scene.compute_distance(o3d.core.Tensor(eyes.astype(np.float32))).numpy().min() > 0.3


def test_every_layout_reads_back_the_same_frames(tmp_path):
    tiny = {"frames": 3, "width": 64, "height": 48, "lidar": False}
    reference = None
    for layout in LAYOUTS:
        result = make_synthetic_capture(tmp_path / layout, layout=layout, seed=4, **tiny)
        sequence = read_capture(result.capture_path)
        assert sequence.layout == layout and len(sequence) == 3 and sequence.posed == 3
        poses = np.stack([f.pose for f in sequence.frames])
        depth = sequence.frames[1].depth()
        if reference is None:
            reference = poses, depth
            continue
        np.testing.assert_allclose(poses, reference[0], atol=1e-5)
        both = (depth > 0) & (reference[1] > 0)
        assert both.mean() > 0.8
        assert np.median(np.abs(depth[both] - reference[1][both])) < 0.002  # each layout's depth units


def test_output_rules_and_progress(tmp_path):
    with pytest.raises(CaptureError, match=r"unknown layout 'ply'; expected one of nerfstudio, 7scenes, tum, record3d, redwood"):
        make_synthetic_capture(tmp_path / "x", layout="ply")
    occupied = tmp_path / "occupied"
    occupied.mkdir()
    (occupied / "mine.txt").write_text("keep")
    with pytest.raises(OutputError, match="is not empty and holds no earlier synthetic capture"):
        make_synthetic_capture(occupied, frames=1, width=16, height=12)
    assert (occupied / "mine.txt").read_text() == "keep"
    calls = []
    out = tmp_path / "again"
    for _ in range(2):  # an earlier synthetic capture is replaced
        make_synthetic_capture(out, frames=2, width=16, height=12, lidar_step_deg=10.0,
                               progress=lambda *args: calls.append(args))
    assert ("frames", 2, 2) in calls and ("lidar", 1, 1) in calls and ("ground truth", 1, 1) in calls
    assert len(list(out.glob("frame-*.depth.png"))) == 2


def test_scan_path_sees_the_upper_shelves_and_the_middle():
    # a person scanning a cell tilts up to the top boards of the racks and turns to the floor's middle
    cell = build_cell(np.random.default_rng(0))
    caster = Raycaster(scene_mesh(cell.scene.compile()))
    k = kinect_intrinsics(64, 48)
    hits = []
    for pose in scan_path(60, cell.room, np.random.default_rng(0)):
        depth, _ = render_rgbd(caster, pose, k, None, np.random.default_rng(0))
        v, u = np.nonzero(depth > 0)
        z = depth[v, u]
        hits.append(np.column_stack([(u - k.cx) / k.fx * z, (v - k.cy) / k.fy * z, z]) @ pose[:3, :3].T + pose[:3, 3])
    hits = np.concatenate(hits)
    rack = hits[hits[:, 1] > cell.room[1] / 2 - 0.6]  # the racks stand along the north wall
    assert np.percentile(rack[:, 2], 99.5) > 1.8
    middle = hits[np.all(np.abs(hits[:, :2]) < 0.5, axis=1)]
    assert len(middle) > 0.02 * len(hits)
