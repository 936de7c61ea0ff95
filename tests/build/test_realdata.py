"""`twin build` on the real captures in ../shared/data/captures (skipped when absent; run in CI).

These check that the pipeline runs end to end and that its output is physically plausible; there is no
ground truth. What came out (objects, extents, warnings, time) is recorded in docs/commands/build.md.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from scans.build import BuildConfig, build_twin

pytestmark = [pytest.mark.realdata, pytest.mark.slow]


def test_realsense_bin_scan(shared_data, tmp_path):
    result = build_twin(shared_data / "captures" / "rgbd_realsense_bin_scan", tmp_path / "twin",
                        BuildConfig(voxel=0.01))
    assert result.frames == 50
    manifest = json.loads((tmp_path / "twin" / "twin.json").read_text())
    up = np.linalg.inv(np.asarray(manifest["capture_to_world"]).reshape(4, 4))[:3, 2]
    # the first camera looks roughly horizontally at the desk: world up is about the camera's -y
    assert up @ np.array([0.0, -1.0, 0.0]) > np.cos(np.radians(45))
    assert result.objects, "the box of objects on the desk should become at least one object"
    assert result.twin.validation.ok, result.twin.validation.summary()


def test_pump_room_point_cloud(shared_data, tmp_path):
    result = build_twin(shared_data / "captures" / "lidar_pump_room_e57" / "pumpA.ply", tmp_path / "twin",
                        BuildConfig(voxel=0.03))
    # the scan is z up with the floor at z = -1.84 m: the floor becomes z = 0
    assert result.capture_to_world[2, 2] > np.cos(np.radians(2))
    assert result.capture_to_world[2, 3] == pytest.approx(1.84, abs=0.05)
    assert len(result.structure) >= 2
    # the wall RANSAC found twice (two parallel planes centimetres apart) is one box
    walls = [s for s in result.structure if s.name.startswith("wall")]
    for i, a in enumerate(walls):
        for b in walls[i + 1:]:
            parallel = abs(a.rotation[:, 2] @ b.rotation[:, 2]) > np.cos(np.radians(5))
            assert not (parallel and abs((a.centre - b.centre) @ a.rotation[:, 2]) < 0.1), (a.name, b.name)
    # objects rest, do not overlap, and stay put (the ones that cannot are kept static, with a warning)
    assert result.objects and result.twin.validation.ok, result.twin.validation.summary()
