"""RGB-D capture readers and writers: a round trip through every layout, exact errors, streaming, real data.

Round-trip precision, per layout (depth is what each format can hold; poses and intrinsics are written at
full precision by our writers, so they come back to 1e-9 m / 1e-9 and exactly):
    nerfstudio, 7scenes, redwood: depth in whole millimetres (error <= 0.5 mm);
    tum: depth in 1/5000 m (<= 0.1 mm), timestamps to 1 us (``%.6f`` file names);
    record3d: depth float16 metres (<= 0.25 mm below 1 m).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from scans.capture import FrameData, Intrinsics
from scans.errors import CaptureError
from scans.readers import LAYOUTS, PRIORITY, clouds, detect_layout, meshes, read_capture
from scans.writers import WRITERS, write_capture
from tests.conftest import REPO
from twin.errors import OutputError

K = Intrinsics(80, 60, 70.5, 71.25, 39.75, 29.5)
"""Depth intrinsics of the synthetic frames; colour is twice the size, so rescaling is exact in binary."""
COLOR_SIZE = (160, 120)
FRAMES = 5
T0 = 1305031102.175304
DEPTH_TOLERANCE = {"nerfstudio": 0.5e-3, "7scenes": 0.5e-3, "redwood": 0.5e-3, "tum": 0.1e-3, "record3d": 0.25e-3}
"""Metres: half the depth unit of each format (float16 spacing is 2^-11 m between 0.5 and 1 m)."""
TIMESTAMP_TOLERANCE = {"nerfstudio": 0.0, "record3d": 0.0, "tum": 1e-6, "7scenes": None, "redwood": None}
"""Seconds; None where the layout stores no timestamps."""


def _rotation(rng: np.random.Generator) -> np.ndarray:
    q, r = np.linalg.qr(rng.normal(size=(3, 3)))
    q = q * np.sign(np.diag(r))
    if np.linalg.det(q) < 0:
        q[:, 0] = -q[:, 0]
    return q


def _truth(i: int, k: Intrinsics = K, color_size=COLOR_SIZE) -> FrameData:
    """Frame i: a tilted plane 0.6-0.95 m away (a 6x5 block without depth), a gradient, a random rigid pose."""
    rng = np.random.default_rng(100 + i)
    u, v = np.meshgrid(np.arange(k.width), np.arange(k.height))
    x, y = (u - k.cx) / k.fx, (v - k.cy) / k.fy
    depth = (0.7 + 0.02 * i) / (0.2 * x - 0.1 * y + 1.0)
    depth[:5, :6] = 0.0
    cw, ch = color_size
    cu, cv = np.meshgrid(np.arange(cw), np.arange(ch))
    color = np.stack([cu * 255 // cw, cv * 255 // ch, np.full_like(cu, 40 * i % 256)], axis=-1).astype(np.uint8)
    pose = np.eye(4)
    pose[:3, :3], pose[:3, 3] = _rotation(rng), rng.uniform(-2.0, 2.0, 3)
    return FrameData(depth.astype(np.float32), k, color, pose, T0 + 0.033 * i)


def _frames(n: int = FRAMES):
    for i in range(n):
        yield _truth(i)


def _world_points(depth: np.ndarray, k: Intrinsics, pose: np.ndarray) -> np.ndarray:
    """(N, 3) world points of the valid pixels, row-major order: depth -> OpenCV camera -> world."""
    v, u = np.nonzero(depth > 0)
    z = depth[v, u].astype(np.float64)
    camera = np.stack([(u - k.cx) / k.fx * z, (v - k.cy) / k.fy * z, z], axis=1)
    return camera @ pose[:3, :3].T + pose[:3, 3]


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> dict:
    """Every layout written from the same frames and read back, auto-detected: {layout: capture}."""
    root = tmp_path_factory.mktemp("layouts")
    return {name: read_capture(write_capture(name, root / name, _frames())) for name in WRITERS}


def _capture(tmp_path: Path, layout: str, n: int = 3) -> Path:
    return write_capture(layout, tmp_path / layout, _frames(n))


def _error(path, **kwargs) -> str:
    with pytest.raises(CaptureError) as info:
        read_capture(path, **kwargs)
    return str(info.value)


# --- the registry --------------------------------------------------------------------------------------------


def test_registry_is_sorted_and_covers_the_writers():
    names = [layout.name for layout in LAYOUTS]
    assert names == sorted(names) == sorted(set(names))
    assert names == ["7scenes", "mesh", "nerfstudio", "pointcloud", "record3d", "redwood", "tum"]
    assert set(WRITERS) <= set(names) and set(PRIORITY) == set(names)
    assert all(layout.description for layout in LAYOUTS)


# --- round trips ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("layout", WRITERS)
def test_round_trip(written, layout):
    capture = written[layout]
    assert capture.layout == layout and len(capture) == FRAMES and capture.posed == FRAMES
    assert [f.index for f in capture] == list(range(FRAMES))
    for i, frame in enumerate(capture):
        truth = _truth(i)
        assert frame.intrinsics == K  # exact: written with repr, rescaled by powers of two
        np.testing.assert_allclose(frame.pose, truth.pose, rtol=0, atol=1e-9)
        if TIMESTAMP_TOLERANCE[layout] is None:
            assert frame.timestamp is None
        else:
            assert abs(frame.timestamp - truth.timestamp) <= TIMESTAMP_TOLERANCE[layout]
        data = FrameData.load(frame)
        assert data.depth.dtype == np.float32 and data.depth.shape == (K.height, K.width)
        assert np.array_equal(data.depth > 0, truth.depth > 0)  # order: each frame has its own plane
        assert np.abs(data.depth - truth.depth).max() <= DEPTH_TOLERANCE[layout] + 1e-7
        registered = layout in ("7scenes", "tum", "redwood")
        assert data.color.shape == ((K.height, K.width, 3) if registered else (*COLOR_SIZE[::-1], 3))
        if not registered:  # same size: lossless PNG (nerfstudio) or JPEG (record3d)
            assert np.abs(data.color.astype(int) - truth.color).mean() < (0 if layout == "nerfstudio" else 2) + 1e-9


@pytest.mark.parametrize("i", range(FRAMES))
def test_point_clouds_agree_across_layouts(written, i):
    truth = _truth(i)
    expected = _world_points(truth.depth, K, truth.pose)
    points = {}
    for layout, capture in written.items():
        frame = capture.frames[i]
        points[layout] = _world_points(frame.depth(), frame.intrinsics, frame.pose)
        assert points[layout].shape == expected.shape
        assert np.abs(points[layout] - expected).max() < 1e-3
    for a, points_a in points.items():
        for b, points_b in points.items():
            assert np.abs(points_a - points_b).max() < 1e-3, (a, b)


def _quat_matrix(x, y, z, w) -> np.ndarray:
    return np.array([[1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
                     [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
                     [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)]])


def test_files_follow_each_source_convention(written):
    """The files on disk, parsed here independently: pins each convention, not only the round trip."""
    gl = np.diag([1.0, -1.0, -1.0, 1.0])  # OpenGL/ARKit camera axes <-> OpenCV: flip y and z
    truth = _truth(1)
    nerf = json.loads((written["nerfstudio"].root / "transforms.json").read_text())
    assert (nerf["fl_x"], nerf["cx"], nerf["w"], nerf["depth_unit_scale_factor"]) == (2 * K.fx, 2 * K.cx, 160, 1e-3)
    np.testing.assert_allclose(nerf["frames"][1]["transform_matrix"], truth.pose @ gl, atol=1e-12)
    r3d = json.loads((written["record3d"].root / "metadata.json").read_text())
    assert r3d["K"] == [2 * K.fx, 0, 0, 0, 2 * K.fy, 0, 2 * K.cx, 2 * K.cy, 1]  # column-major, at RGB size
    assert (r3d["w"], r3d["h"], r3d["dw"], r3d["dh"]) == (160, 120, 80, 60)
    qx, qy, qz, qw, tx, ty, tz = r3d["poses"][1]
    np.testing.assert_allclose(_quat_matrix(qx, qy, qz, qw), (truth.pose @ gl)[:3, :3], atol=1e-12)
    np.testing.assert_allclose([tx, ty, tz], truth.pose[:3, 3], atol=1e-12)
    gt = (written["tum"].root / "groundtruth.txt").read_text().splitlines()[3].split()
    assert gt[0] == f"{truth.timestamp:.6f}"
    np.testing.assert_allclose(_quat_matrix(*map(float, gt[4:])), truth.pose[:3, :3], atol=1e-12)
    assert int(np.asarray(Image.open(written["tum"].frames[1].depth_path))[30, 40]) == round(truth.depth[30, 40] * 5000)
    seven = written["7scenes"].root
    np.testing.assert_array_equal(np.loadtxt(seven / "frame-000001.pose.txt"), truth.pose)
    assert np.asarray(Image.open(seven / "frame-000001.depth.png"))[0, 0] == 65535
    log = (written["redwood"].root / "trajectory.log").read_text().splitlines()
    assert log[5] == "1 1 2"
    np.testing.assert_array_equal(np.loadtxt(log[6:10]), truth.pose)
    redwood_k = json.loads((written["redwood"].root / "camera_intrinsic.json").read_text())
    assert redwood_k == {"width": 80, "height": 60, "intrinsic_matrix": [K.fx, 0, 0, 0, K.fy, 0, K.cx, K.cy, 1]}


def test_record3d_accepts_the_export_folder_itself(written):
    root = written["record3d"].root
    assert root.name == "EXR_RGBD"
    assert read_capture(root).layout == "record3d" and detect_layout(root.parent).name == "record3d"


def test_forced_format_and_priority_note(written, tmp_path):
    both = tmp_path / "both"
    shutil.copytree(written["tum"].root, both)
    nerf = written["nerfstudio"].root
    shutil.copytree(nerf / "images", both / "images")
    shutil.copytree(nerf / "depth", both / "depth", dirs_exist_ok=True)
    shutil.copy(nerf / "transforms.json", both)
    capture = read_capture(both)
    assert capture.layout == "nerfstudio"
    assert capture.notes[-1] == ("also matches tum; read as nerfstudio (priority nerfstudio > record3d > tum > 7scenes > "
                                 "redwood > mesh > pointcloud); pass a format to choose")
    assert read_capture(both, format="tum").layout == "tum"


def test_nerfstudio_per_frame_intrinsics_distortion_and_units(tmp_path):
    out = _capture(tmp_path, "nerfstudio", 2)
    meta = json.loads((out / "transforms.json").read_text())
    meta["frames"][1].update(fl_x=150.0, k1=-0.1, p2=0.002, camera_model="OPENCV")
    meta["depth_unit_scale_factor"] = 2e-3  # the same PNGs now mean twice the depth
    (out / "transforms.json").write_text(json.dumps(meta))
    capture = read_capture(out)
    assert capture.frames[0].intrinsics == K
    assert capture.frames[1].intrinsics == Intrinsics(80, 60, 75.0, 71.25, 39.75, 29.5, (-0.1, 0, 0, 0, 0, 0.002), "OPENCV")
    assert abs(capture.frames[0].depth().max() - 2 * _truth(0).depth.max()) < 2e-3


def test_record3d_missing_frames_keep_their_poses_and_confidence_drops_depth(tmp_path):
    root = _capture(tmp_path, "record3d", 4) / "EXR_RGBD"
    (root / "depth" / "1.exr").unlink()
    (root / "rgb" / "1.jpg").unlink()
    (root / "conf" / "1.png").unlink()
    conf = np.full((K.height, K.width), 2, np.uint8)
    conf[30:, :] = 1
    Image.fromarray(conf).save(root / "conf" / "2.png")
    capture = read_capture(root)
    assert [f.depth_path.name for f in capture] == ["0.exr", "2.exr", "3.exr"]
    np.testing.assert_allclose(capture.frames[1].pose, _truth(2).pose, rtol=0, atol=1e-9)
    assert capture.frames[1].timestamp == _truth(2).timestamp
    assert "1 of 4 recorded frames have a pose but no images (skipped)" in capture.notes
    depth = capture.frames[1].depth()
    assert (depth[30:] == 0).all() and (depth[6:30] > 0).all()


def test_tum_interpolates_poses_and_notes_default_intrinsics(tmp_path):
    out = _capture(tmp_path, "tum", 3)
    (out / "camera.txt").unlink()
    a, b = _truth(0).pose, _truth(1).pose
    lines = (out / "groundtruth.txt").read_text().splitlines()
    t0 = float(lines[2].split()[0])
    # ground truth 10 ms either side of frame 0, with translations 0 and 1 m along x and the same rotation
    q = lines[2].split()[4:]
    (out / "groundtruth.txt").write_text(f"{t0 - 0.01:.6f} 0 0 0 {' '.join(q)}\n{t0 + 0.01:.6f} 1 0 0 {' '.join(q)}\n")
    capture = read_capture(out)
    np.testing.assert_allclose(capture.frames[0].pose[:3, 3], [0.5, 0, 0], atol=1e-6)
    np.testing.assert_allclose(capture.frames[0].pose[:3, :3], a[:3, :3], atol=1e-9)
    assert capture.frames[1].pose is None and capture.frames[2].pose is None and b is not None
    assert capture.frames[0].intrinsics == Intrinsics(80, 60, 525 / 8, 525 / 8, 319.5 / 8, 239.5 / 8)
    assert ("no camera.txt or intrinsics.txt: used the TUM default ROS intrinsics fx=fy=525, cx=319.5, cy=239.5 "
            "(640x480); the Freiburg 1/2/3 cameras differ, write camera.txt ('fx fy cx cy') to fix") in capture.notes
    assert "2 of 3 frames have no ground-truth pose within 0.02 s (pose None)" in capture.notes
    (out / "camera.txt").write_text("# a 3x3\n70.5 0 39.75\n0 71.25 29.5\n0 0 1\n")
    assert read_capture(out).frames[0].intrinsics == K


def test_7scenes_sequences_default_intrinsics_and_gravity(tmp_path):
    scene = tmp_path / "chess"
    for seq in ("seq-01", "seq-02"):
        shutil.copytree(_capture(tmp_path / seq, "7scenes", 2), scene / seq)
        (scene / seq / "camera-intrinsics.txt").unlink()
    (scene / "seq-01" / "gravity-direction.txt").write_text("0.01 -0.99 0.02\n")
    capture = read_capture(scene)
    assert capture.layout == "7scenes" and len(capture) == 4 and [f.index for f in capture] == [0, 1, 2, 3]
    assert capture.frames[2].depth_path.parent.name == "seq-02"
    assert capture.frames[0].intrinsics == Intrinsics(80, 60, 585 / 8, 585 / 8, 40.0, 30.0)
    assert capture.notes == ("no camera-intrinsics.txt: used the 7-Scenes intrinsics fx=fy=585, cx=320, cy=240 (640x480)",
                             "read 2 sequence(s) as one capture: seq-01, seq-02",
                             "gravity direction 0.01 -0.99 0.02 (from gravity-direction.txt)")
    assert len(read_capture(scene / "seq-02")) == 2


def test_captures_without_poses_are_accepted(tmp_path):
    out = _capture(tmp_path, "7scenes")
    for pose in out.glob("*.pose.txt"):
        pose.unlink()
    capture = read_capture(out)
    assert capture.posed == 0 and "no frame-NNNNNN.pose.txt files: the frames have no poses" in capture.notes
    redwood = _capture(tmp_path, "redwood")
    (redwood / "trajectory.log").unlink()
    assert read_capture(redwood).posed == 0


# --- bad input: one exact message each -----------------------------------------------------------------------


def test_unknown_layout_lists_what_was_looked_for(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    assert _error(tmp_path) == (
        f"{tmp_path}: no known capture layout; looked for: "
        "nerfstudio (transforms.json with a depth_file_path per frame); "
        "record3d (EXR_RGBD/ (or its contents): metadata.json, rgb/N.jpg, depth/N.exr, conf/N.png); "
        "tum (rgb.txt and depth.txt (timestamp filename), groundtruth.txt, optional camera.txt); "
        "7scenes (frame-NNNNNN.depth.png, .color.png|jpg, .pose.txt and camera-intrinsics.txt, or seq-XX/ folders "
        "of them); "
        "redwood (color/ or image/ and depth/ folders, a trajectory .log and an Open3D intrinsics .json); "
        f"mesh ({meshes.DESCRIPTION}); pointcloud ({clouds.DESCRIPTION})")


def test_unknown_format_and_missing_path(tmp_path):
    assert _error(tmp_path, format="kinect") == ("unknown format 'kinect'; valid formats: 7scenes, mesh, nerfstudio, "
                                                 "pointcloud, record3d, redwood, tum")
    assert _error(tmp_path / "nope") == f"{tmp_path / 'nope'}: does not exist; expected a capture folder or file"


def test_missing_intrinsics(tmp_path):
    out = _capture(tmp_path, "7scenes")
    (out / "camera-intrinsics.txt").unlink()
    assert _error(out) == (f"{out}: missing intrinsics: no camera-intrinsics.txt (a 3x3 camera matrix); the 7-Scenes "
                           "defaults are used only for seq-XX folders")
    redwood = _capture(tmp_path, "redwood")
    (redwood / "camera_intrinsic.json").unlink()
    assert _error(redwood) == (f"{redwood}: missing intrinsics: no .json with intrinsic_matrix (Open3D "
                               "PinholeCameraIntrinsic: width, height, intrinsic_matrix column-major)")


@pytest.mark.parametrize(("layout", "color", "depth"), [
    ("7scenes", "frame-000000.color.png", "frame-000000.depth.png"),
    ("tum", f"rgb/{T0:.6f}.png", f"{T0:.6f}.png"),
    ("redwood", "color/000000.jpg", "000000.png"),
])
def test_colour_and_depth_size_mismatch(tmp_path, layout, color, depth):
    out = _capture(tmp_path, layout)
    Image.new("RGB", (100, 50)).save(out / color, format="PNG" if color.endswith("png") else "JPEG")
    assert _error(out) == (f"{out / color}: colour is 100x50 but depth {depth} is 80x60; the {layout} layout expects "
                           "registered colour and depth of the same size")


def test_depth_in_metres_where_millimetres_expected(tmp_path):
    out = _capture(tmp_path, "7scenes")
    Image.fromarray(np.where(_truth(0).depth > 0, 2, 0).astype(np.uint16)).save(out / "frame-000000.depth.png")
    assert _error(out) == (f"{out / 'frame-000000.depth.png'}: depth values range 2.0..2.0: looks like metres, "
                           "expected millimetres (scale 1000)")
    nerf = _capture(tmp_path, "nerfstudio")
    meta = json.loads((nerf / "transforms.json").read_text())
    meta["frames"][0]["depth_file_path"] = "depth/metres.exr"
    (nerf / "transforms.json").write_text(json.dumps(meta))
    import OpenEXR

    with OpenEXR.File({"type": OpenEXR.scanlineimage}, {"R": _truth(0).depth.astype(np.float16)}) as f:
        f.write(str(nerf / "depth" / "metres.exr"))
    valid = _truth(0).depth.astype(np.float16)[_truth(0).depth > 0]
    assert _error(nerf) == (f"{nerf / 'depth' / 'metres.exr'}: depth values range {valid.min():.1f}..{valid.max():.1f}: "
                            "looks like metres, expected millimetres (scale 1000)")
    tum = _capture(tmp_path, "tum")
    Image.fromarray(np.where(_truth(0).depth > 0, 3, 0).astype(np.uint16)).save(tum / "depth" / f"{T0:.6f}.png")
    assert _error(tum) == (f"{tum / 'depth' / f'{T0:.6f}.png'}: depth values range 3.0..3.0: looks like metres, "
                           "expected units of 1/5000 m (scale 5000)")


def test_missing_and_singular_poses(tmp_path):
    out = _capture(tmp_path, "7scenes")
    (out / "frame-000001.pose.txt").unlink()
    assert _error(out) == (f"{out}: 1 of 3 frames have no pose file (first: frame-000001.pose.txt); expected one for "
                           "every frame or for none")
    out = _capture(tmp_path / "b", "7scenes")
    (out / "frame-000002.pose.txt").write_text("0 0 0 1\n0 0 0 2\n0 0 0 3\n0 0 0 1\n")
    assert _error(out) == f"{out / 'frame-000002.pose.txt'}: pose is not invertible (rotation determinant 0)"
    redwood = _capture(tmp_path, "redwood")
    log = redwood / "trajectory.log"
    log.write_text("".join(log.read_text().splitlines(keepends=True)[:10]))
    assert _error(redwood) == f"{log}: 2 poses for 3 depth images; expected one pose per frame"
    record3d = _capture(tmp_path, "record3d") / "EXR_RGBD"
    meta = json.loads((record3d / "metadata.json").read_text())
    meta["poses"] = meta["poses"][:2]
    (record3d / "metadata.json").write_text(json.dumps(meta))
    assert _error(record3d) == (f"{record3d / 'metadata.json'}: 1 of 3 frames have no pose (first: depth/2.exr); "
                                '"poses" has 2 entries, one per recorded frame')


def test_unsorted_or_duplicate_timestamps(tmp_path):
    out = _capture(tmp_path, "tum")
    lines = (out / "rgb.txt").read_text().splitlines()
    (out / "rgb.txt").write_text("\n".join([*lines[:3], lines[2], *lines[3:]]) + "\n")
    assert _error(out) == (f"{out / 'rgb.txt'}: line 4: duplicate timestamp {T0:.6f}; expected strictly increasing "
                           "timestamps")
    lines = (out / "depth.txt").read_text().splitlines()
    (out / "depth.txt").write_text("\n".join([*lines[:2], lines[3], lines[2], *lines[4:]]) + "\n")
    assert _error(out, format="tum") == (
        f"{out / 'depth.txt'}: line 4: timestamp {T0:.6f} comes before the previous one ({T0 + 0.033:.6f}); "
        "expected strictly increasing timestamps")
    nerf = _capture(tmp_path, "nerfstudio")
    meta = json.loads((nerf / "transforms.json").read_text())
    meta["frames"][1]["time"] = meta["frames"][0]["time"] - 1.0
    (nerf / "transforms.json").write_text(json.dumps(meta))
    assert _error(nerf) == (f"{nerf / 'transforms.json'}: frame images/frame_00002.png: timestamp {T0 - 1:.6f} comes "
                            f"before the previous one ({T0:.6f}); expected strictly increasing timestamps")


def test_truncated_images(tmp_path):
    out = _capture(tmp_path, "7scenes")
    first, last = out / "frame-000000.depth.png", out / "frame-000002.depth.png"
    data = last.read_bytes()
    last.write_bytes(data[: len(data) // 2])
    capture = read_capture(out)  # only the first frame is read up front
    with pytest.raises(CaptureError) as info:
        FrameData.load(capture.frames[2])
    assert str(info.value) == f"{last}: cannot read image (image file is truncated); the file may be truncated or not an image"
    first.write_bytes(first.read_bytes()[:30])
    assert _error(out) == (f"{first}: cannot read image header (cannot identify image file '{first}'); the file may "
                           "be truncated or not an image")


def test_empty_captures(tmp_path):
    nerf = _capture(tmp_path, "nerfstudio")
    meta = json.loads((nerf / "transforms.json").read_text())
    (nerf / "transforms.json").write_text(json.dumps({**meta, "frames": []}))
    assert _error(nerf) == f'{nerf / "transforms.json"}: no frames: expected a non-empty "frames" list'
    tum = _capture(tmp_path, "tum")
    (tum / "depth.txt").write_text("# depth maps\n")
    assert _error(tum) == f"{tum / 'depth.txt'}: no frames: the file lists no depth images"
    empty = tmp_path / "empty"
    empty.mkdir()
    assert _error(empty, format="7scenes") == f"{empty}: no frames: no frame-NNNNNN.depth.png files here or in seq-XX/ folders"
    record3d = _capture(tmp_path, "record3d") / "EXR_RGBD"
    for exr in (record3d / "depth").iterdir():
        exr.unlink()
    assert _error(record3d) == f"{record3d}: no frames: depth/ holds no N.exr images"


def test_write_capture_errors_leave_nothing(tmp_path):
    with pytest.raises(CaptureError) as info:
        write_capture("ply", tmp_path / "a", _frames())
    assert str(info.value) == "unknown layout 'ply' to write; valid layouts: 7scenes, nerfstudio, record3d, redwood, tum"
    with pytest.raises(CaptureError) as info:
        write_capture("tum", tmp_path / "a", iter(()))
    assert str(info.value) == "no frames to write as tum"
    unposed = (FrameData(f.depth, f.intrinsics, f.color, None, f.timestamp) for f in _frames(2))
    with pytest.raises(CaptureError) as info:
        write_capture("record3d", tmp_path / "a", unposed)
    assert str(info.value) == "frame 0 has no pose; the record3d layout needs one for every frame"
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "mine.txt").write_text("keep")
    with pytest.raises(OutputError):
        write_capture("tum", tmp_path / "a", _frames(1))
    assert [p.name for p in (tmp_path / "a").iterdir()] == ["mine.txt"]


# --- streaming -----------------------------------------------------------------------------------------------


def _measure_streaming(folder: str, n: int = 1000) -> dict:
    """Write ``n`` 64x48 frames as 7scenes, read them all back; bytes of all frames and traced peaks."""
    k = Intrinsics(64, 48, 60.0, 60.0, 31.5, 23.5)
    pose = np.eye(4)

    def frames():
        for i in range(n):
            yield FrameData(np.full((k.height, k.width), 0.5 + i * 1e-3, np.float32), k,
                            np.full((k.height, k.width, 3), i % 256, np.uint8), pose, i / 30)

    tracemalloc.start()
    out = write_capture("7scenes", Path(folder) / "long", frames())
    _, write_peak = tracemalloc.get_traced_memory()
    tracemalloc.reset_peak()
    start, _ = tracemalloc.get_traced_memory()
    capture = read_capture(out)
    after_read, _ = tracemalloc.get_traced_memory()
    for frame in capture:
        data = FrameData.load(frame)
        assert abs(float(data.depth[0, 0]) - (0.5 + frame.index * 1e-3)) < 1e-6
    _, read_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {"frames": len(capture), "all_frames_bytes": n * k.width * k.height * (4 + 3), "write_peak": write_peak,
            "metadata_bytes": after_read - start, "read_peak_growth": read_peak - start}


def test_streaming_1000_frames_keeps_memory_flat(tmp_path):
    # In a fresh interpreter: tracemalloc counts every thread, and earlier tests can leave threads behind.
    code = ("import json; from tests.scans.test_rgbd_readers import _measure_streaming as m; "
            f"print(json.dumps(m({str(tmp_path)!r})))")
    result = subprocess.run([sys.executable, "-c", code], check=False, cwd=REPO, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    measured = json.loads(result.stdout.splitlines()[-1])
    assert measured["frames"] == 1000
    # all frames in memory would be 21.5 MB; streaming holds one frame at a time plus ~1.3 kB of metadata per frame
    assert measured["write_peak"] < measured["all_frames_bytes"] / 20, measured
    assert measured["read_peak_growth"] < measured["all_frames_bytes"] / 10, measured


# --- real data -----------------------------------------------------------------------------------------------


@pytest.mark.realdata
def test_real_realsense_bin_scan_reads_as_7scenes(shared_data):
    capture = read_capture(shared_data / "captures" / "rgbd_realsense_bin_scan")
    assert capture.layout == "7scenes" and len(capture) == 50 and capture.posed == 50
    k = capture.frames[0].intrinsics
    assert (k.width, k.height) == (640, 480) and abs(k.fx - 615.195) < 0.01 and abs(k.cy - 247.519) < 0.01
    np.testing.assert_array_equal(capture.frames[0].pose, np.eye(4))
    assert capture.frames[0].depth_path.name == "frame-000015.depth.png"
    positions = np.array([f.pose[:3, 3] for f in capture])
    assert 0.2 < np.ptp(positions, axis=0).max() < 1.0  # the camera sweeps about half a metre
    for frame in capture.frames[::10]:
        data = FrameData.load(frame)
        valid = data.depth[data.depth > 0]
        assert data.color.shape == (480, 640, 3) and 0.25 < valid.size / data.depth.size < 0.5
        p1, p50, p99 = np.percentile(valid, [1, 50, 99])
        assert 0.15 < p1 and 0.3 < p50 < 3.0 and p99 < 3.0


def test_a_colour_picture_in_place_of_a_depth_image_is_refused(tmp_path):
    out = _capture(tmp_path, "7scenes")
    shutil.copy(out / "frame-000000.color.png", out / "frame-000001.depth.png")
    frame = read_capture(out).frames[1]
    with pytest.raises(CaptureError) as exc:
        frame.depth()
    assert str(exc.value).startswith(f"{out / 'frame-000001.depth.png'}: is a 3-channel uint8 image (a colour picture?)")
