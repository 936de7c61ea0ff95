"""Point cloud and mesh readers: round trips of every format, detection, exact error messages, real clouds."""

from __future__ import annotations

import numpy as np
import pytest

from scans.errors import CaptureError
from scans.readers import clouds, meshes

o3d = pytest.importorskip("open3d")

RNG = np.random.default_rng(7)
POINTS = RNG.uniform(-2.0, 3.0, (500, 3))
COLORS = RNG.integers(0, 256, (500, 3)) / 255.0


def _legacy_cloud(points=POINTS, colors=COLORS):
    cloud = o3d.geometry.PointCloud(o3d.utility.Vector3dVector(points))
    if colors is not None:
        cloud.colors = o3d.utility.Vector3dVector(colors)
    return cloud


def _same_set(a: np.ndarray, b: np.ndarray, atol: float) -> None:
    """Equal as point sets (readers may reorder nothing, but writers with NaN removal might)."""
    order_a, order_b = np.lexsort(a.T), np.lexsort(b.T)
    np.testing.assert_allclose(a[order_a], b[order_b], atol=atol)


# -- round trips ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("ascii_", [False, True])
def test_ply_round_trip(tmp_path, ascii_):
    path = tmp_path / "cloud.ply"
    o3d.io.write_point_cloud(str(path), _legacy_cloud(), write_ascii=ascii_)
    assert clouds.detect(path) and not meshes.detect(path)
    cloud = clouds.read(path)
    assert cloud.layout == "pointcloud" and cloud.path == path
    np.testing.assert_allclose(cloud.points, POINTS, atol=1e-5 if ascii_ else 1e-12)  # ASCII: 6 significant digits
    np.testing.assert_allclose(cloud.colors, COLORS, atol=1 / 255)


def test_pcd_binary_compressed_drops_nans(tmp_path):
    points = POINTS.copy()
    points[::10] = np.nan  # an organized cloud's invalid pixels
    path = tmp_path / "organized.pcd"
    assert o3d.io.write_point_cloud(str(path), _legacy_cloud(points), compressed=True)
    assert b"DATA binary_compressed" in path.read_bytes()[:400]
    cloud = clouds.read(path)
    assert len(cloud.points) == 450
    assert "dropped 50 of 500 points that are NaN or infinite" in cloud.notes
    _same_set(cloud.points, POINTS[np.isfinite(points).all(axis=1)], atol=1e-6)
    assert cloud.colors is not None and len(cloud.colors) == 450


@pytest.mark.parametrize("scale", [255, 1])
def test_xyz_text_with_colour(tmp_path, scale):
    path = tmp_path / "cloud.xyz"
    np.savetxt(path, np.column_stack([POINTS, np.rint(COLORS * 255) / 255 * scale]), fmt="%.9f", header="x y z r g b")
    cloud = clouds.read(path)
    np.testing.assert_allclose(cloud.points, POINTS, atol=1e-8)
    np.testing.assert_allclose(cloud.colors, COLORS, atol=1e-6)


def test_pts_with_count_line_and_commas(tmp_path):
    path = tmp_path / "scan.pts"
    lines = [str(len(POINTS))] + [",".join(f"{v:.6f}" for v in p) for p in POINTS]
    path.write_text("\n".join(lines) + "\n")
    cloud = clouds.read(path)
    np.testing.assert_allclose(cloud.points, POINTS, atol=1e-6)
    assert cloud.colors is None


@pytest.mark.parametrize("suffix", [".las", ".laz"])
def test_las_laz_scaled_coordinates_and_colour(tmp_path, suffix):
    laspy = pytest.importorskip("laspy")
    header = laspy.LasHeader(point_format=3, version="1.2")
    header.scales = np.array([0.001, 0.001, 0.001])
    header.offsets = np.array([500000.0, 4200000.0, 100.0])  # a georeferenced site
    las = laspy.LasData(header)
    shifted = POINTS + header.offsets
    las.x, las.y, las.z = shifted[:, 0], shifted[:, 1], shifted[:, 2]
    rgb16 = np.rint(COLORS * 65535).astype(np.uint16)
    las.red, las.green, las.blue = rgb16[:, 0], rgb16[:, 1], rgb16[:, 2]
    path = tmp_path / f"site{suffix}"
    las.write(str(path))
    cloud = clouds.read(path)
    np.testing.assert_allclose(cloud.points, shifted, atol=0.0006)  # 1 mm quantisation
    np.testing.assert_allclose(cloud.colors, COLORS, atol=1e-4)
    assert any("large" in note for note in cloud.notes)


def test_e57_scans_are_transformed_by_their_poses(tmp_path):
    pye57 = pytest.importorskip("pye57")
    path = tmp_path / "two_scans.e57"
    half = len(POINTS) // 2
    quarter_turn = np.array([np.cos(np.pi / 4), 0.0, 0.0, np.sin(np.pi / 4)])  # w x y z: 90 deg about z
    with pye57.E57(str(path), mode="w") as e57:
        for part, rotation, translation in ((POINTS[:half], np.array([1.0, 0, 0, 0]), np.zeros(3)),
                                            (POINTS[half:], quarter_turn, np.array([10.0, 0.0, 1.0]))):
            rgb = np.rint(COLORS[: len(part)] * 255).astype(np.uint8)
            data = {"cartesianX": part[:, 0], "cartesianY": part[:, 1], "cartesianZ": part[:, 2],
                    "colorRed": rgb[:, 0], "colorGreen": rgb[:, 1], "colorBlue": rgb[:, 2]}
            e57.write_scan_raw(data, rotation=rotation, translation=translation)
    cloud = clouds.read(path)
    assert len(cloud.points) == len(POINTS)
    np.testing.assert_allclose(cloud.points[:half], POINTS[:half], atol=1e-9)
    local = POINTS[half:]
    expected = np.column_stack([-local[:, 1], local[:, 0], local[:, 2]]) + [10.0, 0.0, 1.0]
    np.testing.assert_allclose(cloud.points[half:], expected, atol=1e-6)
    assert cloud.colors is not None
    assert cloud.notes[0] == "E57: 2 scans, each moved into the file frame by its pose"


def _box_mesh():
    trimesh = pytest.importorskip("trimesh")
    box = trimesh.creation.box((1.0, 2.0, 3.0))
    box.visual.vertex_colors = np.tile([200, 30, 40, 255], (len(box.vertices), 1))
    return trimesh, box


@pytest.mark.parametrize("suffix", [".ply", ".obj"])
def test_mesh_round_trip(tmp_path, suffix):
    _, box = _box_mesh()
    path = tmp_path / f"box{suffix}"
    box.export(str(path))
    assert meshes.detect(path) and not clouds.detect(path)
    mesh = meshes.read(path)
    assert mesh.layout == "mesh" and len(mesh.faces) == 12
    np.testing.assert_allclose(mesh.vertices.min(axis=0), [-0.5, -1.0, -1.5], atol=1e-6)
    np.testing.assert_allclose(mesh.vertices.max(axis=0), [0.5, 1.0, 1.5], atol=1e-6)
    np.testing.assert_allclose(mesh.colors[0], [200 / 255, 30 / 255, 40 / 255], atol=1e-6)


def test_glb_scene_is_flattened_with_transforms(tmp_path):
    trimesh, box = _box_mesh()
    scene = trimesh.Scene()
    scene.add_geometry(box, node_name="a", transform=trimesh.transformations.translation_matrix([5.0, 0, 0]))
    scene.add_geometry(box.copy(), node_name="b", transform=trimesh.transformations.translation_matrix([0, -4.0, 0]))
    path = tmp_path / "cell.glb"
    scene.export(str(path))
    mesh = meshes.read(path)
    assert len(mesh.faces) == 24
    np.testing.assert_allclose(mesh.vertices.min(axis=0), [-0.5, -5.0, -1.5], atol=1e-6)
    np.testing.assert_allclose(mesh.vertices.max(axis=0), [5.5, 1.0, 1.5], atol=1e-6)
    assert "a scene of 2 geometries flattened with their transforms" in mesh.notes


def test_mesh_ply_read_as_cloud_keeps_its_vertices(tmp_path):
    _, box = _box_mesh()
    path = tmp_path / "box.ply"
    box.export(str(path))
    cloud = clouds.read(path)
    assert len(cloud.points) == 8
    assert "a mesh PLY read as the point cloud of its 8 vertices (12 faces ignored)" in cloud.notes


# -- detection ------------------------------------------------------------------------------------------------


def test_directory_detection(tmp_path):
    o3d.io.write_point_cloud(str(tmp_path / "scan.ply"), _legacy_cloud())
    (tmp_path / "README.md").write_text("notes")
    assert clouds.detect(tmp_path) and not meshes.detect(tmp_path)
    assert len(clouds.read(tmp_path).points) == len(POINTS)
    (tmp_path / "frame-000000.color.png").write_bytes(b"")  # an RGB-D folder carrying a cloud is not a cloud
    assert not clouds.detect(tmp_path)
    (tmp_path / "frame-000000.color.png").unlink()
    o3d.io.write_point_cloud(str(tmp_path / "other.pcd"), _legacy_cloud())
    assert not clouds.detect(tmp_path)
    with pytest.raises(CaptureError) as info:
        clouds.read(tmp_path)
    assert str(info.value) == (f"{tmp_path}: a point cloud directory must hold exactly one cloud or mesh file, "
                               "found 2 (other.pcd, scan.ply); pass the file itself")
    assert not clouds.detect(tmp_path / "missing.ply")


# -- errors ---------------------------------------------------------------------------------------------------


def _message(reader, path) -> str:
    with pytest.raises(CaptureError) as info:
        reader.read(path)
    return str(info.value)


def test_truncated_binary_ply(tmp_path):
    path = tmp_path / "cut.ply"
    o3d.io.write_point_cloud(str(path), _legacy_cloud())
    data = path.read_bytes()
    path.write_bytes(data[:-1000])
    assert _message(clouds, path) == (f"{path}: PLY file is truncated: the header's element counts need at least "
                                      f"{len(data)} bytes but the file has {len(data) - 1000}")


def test_truncated_ascii_ply(tmp_path):
    path = tmp_path / "cut.ply"
    o3d.io.write_point_cloud(str(path), _legacy_cloud(), write_ascii=True)
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[:-100]))
    assert _message(clouds, path) == f"{path}: PLY file is truncated: the header declares 500 elements but the file holds 400 lines"


def test_truncated_mesh_ply(tmp_path):
    _, box = _box_mesh()
    path = tmp_path / "box.ply"
    box.export(str(path))
    path.write_bytes(path.read_bytes()[:-20])
    assert "PLY file is truncated" in _message(meshes, path)


def test_truncated_pcd(tmp_path):
    path = tmp_path / "cut.pcd"
    o3d.io.write_point_cloud(str(path), _legacy_cloud(), compressed=True)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    assert _message(clouds, path).startswith(f"{path}: PCD file is truncated: its header needs {len(data)} bytes of data")


def test_empty_clouds(tmp_path):
    path = tmp_path / "nan.xyz"
    path.write_text("nan nan nan\n1 nan 2\n")
    assert _message(clouds, path) == f"{path}: the point cloud is empty: 0 finite points of 2"
    path = tmp_path / "none.ply"
    path.write_text("ply\nformat ascii 1.0\nelement vertex 0\nproperty float x\nproperty float y\nproperty float z\nend_header\n")
    assert _message(clouds, path) == f"{path}: the point cloud is empty (0 points could be read)"
    path = tmp_path / "blank.xyz"
    path.write_text("# nothing\n")
    assert _message(clouds, path) == f"{path}: the point cloud is empty: the text file holds no points"


def test_unreadable_files(tmp_path):
    garbage = b"this is not a point cloud\n" * 4
    for name, reader, expected in [
        ("a.ply", clouds, "is not a PLY file (it does not start with 'ply')"),
        ("a.pcd", clouds, "is not a PCD file (no DATA / POINTS header lines)"),
        ("a.las", clouds, "cannot read LAS/LAZ file ("),
        ("a.e57", clouds, "cannot read E57 file ("),
        ("a.xyz", clouds, "holds a value that is not a number; expected lines of 'x y z [r g b]'"),
        ("a.glb", meshes, "cannot read GLB mesh ("),
    ]:
        path = tmp_path / name
        path.write_bytes(garbage)
        assert _message(reader, path).startswith(f"{path}: {expected}"), name
    ragged = tmp_path / "ragged.xyz"
    ragged.write_text("1 2 3\n4 5 6\n7 8\n")
    assert _message(clouds, ragged) == f"{ragged}: expected every line to hold the same 3 numbers 'x y z [r g b]'; data line 3 differs"


def test_unknown_extension_and_missing_file(tmp_path):
    path = tmp_path / "cloud.foo"
    path.write_text("1 2 3\n")
    assert _message(clouds, path) == (f"{path}: unknown point cloud extension '.foo'; expected one of "
                                      ".e57, .las, .laz, .pcd, .ply, .pts, .xyz, .xyzrgb")
    assert _message(meshes, path) == f"{path}: unknown mesh extension '.foo'; expected one of .glb, .gltf, .obj, .ply"
    assert _message(clouds, tmp_path / "gone.ply") == f"{tmp_path / 'gone.ply'}: does not exist"


def test_cloud_ply_is_not_a_mesh(tmp_path):
    path = tmp_path / "cloud.ply"
    o3d.io.write_point_cloud(str(path), _legacy_cloud())
    assert _message(meshes, path) == f"{path}: PLY file has no faces: it is a point cloud (read it with --format pointcloud)"


# -- real data ------------------------------------------------------------------------------------------------

PUMP = "captures/lidar_pump_room_e57"
PCL = "captures/pcl_tabletop_clouds"


@pytest.mark.realdata
def test_real_e57_and_its_ply(shared_data, tmp_path):
    e57 = clouds.read(shared_data / PUMP / "pumpAVisualReferenceImage.e57")
    ply = clouds.read(shared_data / PUMP / "pumpA.ply")
    for cloud in (e57, ply):
        assert len(cloud.points) == 155_201 and cloud.colors is not None
        np.testing.assert_allclose(np.ptp(cloud.points, axis=0), [4.63, 4.51, 3.74], atol=0.01)
    np.testing.assert_allclose(ply.points, e57.points, atol=3e-7)  # the PLY is the E57 cast to float32
    np.testing.assert_allclose(ply.colors, e57.colors, atol=1e-9)
    assert e57.notes == ("E57: 1 scan without a pose (points already in the file frame)",)
    cut = tmp_path / "pumpA.ply"
    cut.write_bytes((shared_data / PUMP / "pumpA.ply").read_bytes()[:2_000_000])
    assert _message(clouds, cut) == (f"{cut}: PLY file is truncated: the header's element counts need at least "
                                     "3569984 bytes but the file has 2000000")


@pytest.mark.realdata
@pytest.mark.parametrize("name, finite", [("milk_cartoon_all_small_clorox.pcd", 241_407),
                                          ("table_scene_mug_stereo_textured.pcd", 209_280)])
def test_real_pcl_clouds(shared_data, name, finite):
    cloud = clouds.read(shared_data / PCL / name)
    assert len(cloud.points) == finite and cloud.colors is not None
    assert f"dropped {307_200 - finite} of 307200 points that are NaN or infinite" in cloud.notes
