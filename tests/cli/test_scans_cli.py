"""`twin scans synth` and `twin scans info` as a user meets them: outputs, JSON, exit codes, one-line errors."""

from __future__ import annotations

import json

import numpy as np
import pytest

from cli.main import main

o3d = pytest.importorskip("open3d")

TINY = ["--frames", "4", "--width", "64", "--height", "48"]


def _json(capsys) -> dict:
    return json.loads(capsys.readouterr().out)


def test_scans_help_lists_the_subcommands(capsys):
    assert main(["scans", "--help"]) == 0
    text = capsys.readouterr().out
    assert "synth" in text and "info" in text
    assert main(["--help"]) == 0
    assert "scans" in capsys.readouterr().out


def test_synth_then_info(tmp_path, capsys):
    out = tmp_path / "cell"
    assert main(["scans", "synth", "--out", str(out), "--seed", "2", "--layout", "tum", *TINY, "--json"]) == 0
    document = _json(capsys)
    assert document["layout"] == "tum" and document["frames"] == 4 and document["lidar_points"] > 1000
    assert (out / "lidar.ply").is_file() and (out / "ground_truth" / "objects.json").is_file()
    assert main(["scans", "info", str(out), "--json"]) == 0
    info = _json(capsys)
    assert info["ok"] is True and info["layout"] == "tum" and info["kind"] == "rgbd"
    assert info["counts"] == {"frames": 4, "posed": 4}
    assert info["camera"]["width"] == 64 and info["depth"]["sampled_frames"] == 4
    assert 1.0 < info["depth"]["median"] < 4.0
    assert any("only 4 frames; a reconstruction needs" in w for w in info["warnings"])
    assert main(["scans", "info", str(out), "--sample", "2"]) == 0
    text = capsys.readouterr().out
    for expected in ("tum", "4 of 4 frames", "sampled 2 of 4 frames", "camera path", "warning: only 4 frames"):
        assert expected in text, expected


def test_synth_human_output_and_no_lidar(tmp_path, capsys):
    out = tmp_path / "cell"
    assert main(["scans", "synth", "--out", str(out), *TINY, "--no-lidar", "--quiet"]) == 0
    text = capsys.readouterr()
    assert f"Synthetic 7scenes capture written to {out}" in text.out and text.err == ""
    assert "capture_to_world.json" in text.out and not (out / "lidar.ply").exists()


def test_synth_refuses_a_foreign_folder(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("mine")
    assert main(["scans", "synth", "--out", str(tmp_path), *TINY, "--json"]) == 1
    captured = capsys.readouterr()
    assert json.loads(captured.out) == {"ok": False, "error": f"{tmp_path}: is not empty and holds no earlier "
                                        "synthetic capture; choose another output path or remove it"}
    assert "Traceback" not in captured.err and len(captured.err.strip().splitlines()) == 1


def test_usage_errors_exit_2(tmp_path, capsys):
    assert main(["scans", "synth", "--out", str(tmp_path / "x"), "--layout", "ply"]) == 2
    assert main(["scans", "synth"]) == 2  # --out is required
    assert main(["scans", "info"]) == 2


def test_info_errors_exit_1(tmp_path, capsys):
    assert main(["scans", "info", str(tmp_path / "missing")]) == 1
    assert "missing: does not exist" in capsys.readouterr().err
    assert main(["scans", "info", str(tmp_path), "--format", "bogus", "--json"]) == 1
    assert "unknown format 'bogus'; valid formats: 7scenes, mesh, nerfstudio, pointcloud" in _json(capsys)["error"]


def test_info_on_a_cloud_and_a_mesh(tmp_path, capsys):
    points = np.random.default_rng(0).uniform([0, 0, 0], [2.0, 1.0, 0.5], (5000, 3))
    cloud = o3d.geometry.PointCloud(o3d.utility.Vector3dVector(points))
    o3d.io.write_point_cloud(str(tmp_path / "scan.ply"), cloud)
    assert main(["scans", "info", str(tmp_path / "scan.ply"), "--json"]) == 0
    info = _json(capsys)
    assert info["kind"] == "pointcloud" and info["counts"] == {"points": 5000} and info["colour"] is False
    np.testing.assert_allclose(info["extent"]["size"], np.ptp(points, axis=0), atol=1e-4)
    mesh = o3d.geometry.TriangleMesh.create_box(1.0, 2.0, 3.0)
    o3d.io.write_triangle_mesh(str(tmp_path / "box.obj"), mesh)
    assert main(["scans", "info", str(tmp_path / "box.obj")]) == 0
    text = capsys.readouterr().out
    assert "mesh" in text and "8 vertices, 12 faces" in text and "1.00 x 2.00 x 3.00 m" in text


# -- real data ------------------------------------------------------------------------------------------------


@pytest.mark.realdata
@pytest.mark.parametrize("relative, points, size", [
    ("lidar_pump_room_e57/pumpAVisualReferenceImage.e57", 155_201, [4.63, 4.51, 3.74]),
    ("lidar_pump_room_e57/pumpA.ply", 155_201, [4.63, 4.51, 3.74]),
    ("pcl_tabletop_clouds/milk_cartoon_all_small_clorox.pcd", 241_407, [2.21, 1.09, 1.56]),
    ("pcl_tabletop_clouds/table_scene_mug_stereo_textured.pcd", 209_280, [1.17, 0.69, 1.90]),
])
def test_info_on_real_clouds(shared_data, capsys, relative, points, size):
    assert main(["scans", "info", str(shared_data / "captures" / relative), "--json"]) == 0
    info = _json(capsys)
    assert info["layout"] == "pointcloud" and info["counts"] == {"points": points} and info["colour"] is True
    np.testing.assert_allclose(info["extent"]["size"], size, atol=0.01)
    assert info["warnings"] == []


@pytest.mark.realdata
def test_info_on_the_real_rgbd_sequence(shared_data, capsys):
    assert main(["scans", "info", str(shared_data / "captures" / "rgbd_realsense_bin_scan"), "--json"]) == 0
    info = _json(capsys)
    assert info["layout"] == "7scenes" and info["counts"] == {"frames": 50, "posed": 50}
    assert info["camera"]["width"] == 640 and info["camera"]["fx"] == pytest.approx(615.1952)
    assert info["depth"]["sampled_frames"] == 20
    assert info["depth"]["p01"] == pytest.approx(0.27, abs=0.03) and info["depth"]["p99"] == pytest.approx(1.04, abs=0.05)
    assert 0.33 <= info["depth"]["valid_fraction"] <= 0.38
    assert 0.2 < max(info["extent"]["size"]) < 0.6  # the camera moves about 0.5 m along an arc
