"""End to end: a small synthetic capture -> build_twin -> metrics against its ground truth.

Targets of issue 5: Chamfer-L1 <= 10 mm, F@2cm >= 0.9, floor within 1 degree, >= 80% of objects found.
The bars below are what this build reaches today on this capture (see the comments where a target is missed).
"""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from cli.main import main
from scans.build import BuildConfig, build_twin
from scans.build.fusion import fuse_sequence
from scans.build.metrics import evaluate_twin
from scans.errors import CaptureError
from scans.readers import read_capture
from scans.synth import make_synthetic_capture


@pytest.fixture(scope="module")
def capture(tmp_path_factory):
    path = tmp_path_factory.mktemp("build") / "capture"
    # 120 frames: the scanning path's three loops (upper shelves, lower shelves, the middle) need the overlap
    make_synthetic_capture(path, frames=120, width=320, height=240, seed=0, lidar=False)
    return path


@pytest.fixture(scope="module")
def built(capture):
    out = capture.parent / "twin"
    result = build_twin(capture, out, BuildConfig(voxel=0.02))
    sequence = read_capture(capture)
    metrics = evaluate_twin(out, capture, poses=[f.pose for f in sequence.frames],
                            intrinsics=sequence.frames[0].intrinsics)
    return result, metrics


def test_twin_directory_is_complete(built):
    result, _ = built
    files = {p.name for p in result.twin.path.iterdir()}
    assert {"scene.xml", "scene.usda", "twin.json", "report.html", "reconstruction.ply"} <= files
    manifest = json.loads((result.twin.path / "twin.json").read_text())
    assert np.asarray(manifest["capture_to_world"]).reshape(4, 4) == pytest.approx(result.capture_to_world)
    assert manifest["objects"] and all(o["source"] in ("scan", "scan:static") and o["mass"] > 0 for o in manifest["objects"])
    assert [s.name for s in result.structure][:1] == ["floor"] and len(result.structure) == 5  # floor + 4 walls


def test_surface_and_floor_accuracy(built):
    _, metrics = built
    assert metrics["floor_angle_deg"] < 1.0
    assert metrics["surface"]["fscore"] >= 0.9
    # target 10 mm; measured 9.5 mm at voxel 2 cm (accuracy 6.9, completeness 12.0)
    assert metrics["surface"]["chamfer_l1"] <= 0.010


def test_objects_found(built):
    result, metrics = built
    # target 80%; measured 15 or 17 of 17: the table and the tote on it are missed or found depending on small
    # changes of the fused points (the table's piece takes part of the tote's walls)
    assert metrics["objects"]["fraction"] >= 0.8
    rack = {"rack_0", "box_rack0_0_0", "box_rack0_0_1", "box_rack0_1_0", "box_rack0_1_1"}
    assert (rack | {"pallet", "box_pallet_2", "box_table_0"}) & set(metrics["objects"]["missed"]) == set()
    # every box rests on a fitted support: none had to be kept static for want of one
    assert not [w for w in result.warnings if "would fall" in w]


def test_rebuild_into_the_same_directory(built, capture):
    result, _ = built
    again = build_twin(capture, result.twin.path, BuildConfig(voxel=0.05, max_frames=10))
    assert (again.twin.path / "reconstruction.ply").is_file()


def test_unposed_capture_is_refused_with_one_clear_line(capture):
    sequence = read_capture(capture).select(max_frames=2)
    unposed = dataclasses.replace(sequence, frames=tuple(dataclasses.replace(f, pose=None) for f in sequence.frames))
    with pytest.raises(CaptureError, match="the capture has no poses; fuse with poses='auto' or 'estimate'"):
        fuse_sequence(unposed, poses="given")


def test_cli_build_json(capture, tmp_path, capsys):
    code = main(["build", str(capture), "--out", str(tmp_path / "t"), "--voxel", "0.05", "--max-frames", "10",
                 "--quiet", "--json"])
    assert code == 0
    document = json.loads(capsys.readouterr().out)
    assert document["frames"] == 10 and document["structure"][0]["name"] == "floor"


def test_cli_build_bad_input_exits_1(tmp_path, capsys):
    assert main(["build", str(tmp_path / "missing"), "--out", str(tmp_path / "t"), "--quiet"]) == 1
    assert "does not exist" in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_objects_are_found_in_other_cells(tmp_path, seed):
    # other room sizes and layouts: two racks, two tables, boxes on the upper boards; measured 14/17, 16/18,
    # 22/27 (the misses: boxes on the upper boards seen from the front only, a table whose piece takes part of
    # the tote on it)
    capture = tmp_path / "capture"
    make_synthetic_capture(capture, frames=120, width=320, height=240, seed=seed, lidar=False)
    result = build_twin(capture, tmp_path / "twin", BuildConfig(voxel=0.02))
    sequence = read_capture(capture)
    metrics = evaluate_twin(result.twin.path, capture, poses=[f.pose for f in sequence.frames],
                            intrinsics=sequence.frames[0].intrinsics)
    assert metrics["objects"]["fraction"] >= 0.8
    checks = result.twin.validation.checks
    assert len(checks) == 7 and all(c.status == "pass" for c in checks), result.twin.validation.summary()
