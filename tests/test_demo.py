"""`twin demo` end to end: the twin directory, read back with independent readers."""

from __future__ import annotations

import json

import mujoco
import numpy as np
import pytest

from cli.main import main
from twin.manifest import TwinManifest

pxr = pytest.importorskip("pxr")
from pxr import Usd, UsdPhysics  # noqa: E402


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo") / "twin"
    assert main(["demo", "--out", str(out), "--quiet"]) == 0
    return out


def test_files(demo_dir):
    manifest = TwinManifest.load(demo_dir / "twin.json")
    for name in manifest.files:
        assert (demo_dir / name).is_file(), name
    assert {"scene.xml", "scene.usda", "twin.json", "report.html", "overview.png", "meshes/wedge.obj"} <= set(manifest.files)
    assert not [p for p in demo_dir.parent.iterdir() if ".partial-" in p.name]


def test_manifest_matches_the_scene(demo_dir):
    manifest = TwinManifest.load(demo_dir / "twin.json")
    model = mujoco.MjModel.from_xml_path(str(demo_dir / "scene.xml"))
    names = [o.name for o in manifest.objects]
    assert names[:3] == ["shelf", "table", "cabinet"] and "tote" in names and "wedge" in names
    sources = {o.name: o.source for o in manifest.objects}
    assert sources["conveyor"] == "asset:conveyor" and sources["drawers"] == "asset:drawers"
    assert sources["cart"] == "asset:cart" and sources["pallet"] == "asset:pallet"
    for obj in manifest.objects:
        body = model.body(obj.name)
        assert obj.mass == pytest.approx(model.body_subtreemass[body.id], abs=1e-6)
    on_floor = [o for o in manifest.objects if o.name in ("box_floor_0", "box_floor_1", "tote", "wedge", "cabinet")]
    for obj in on_floor:  # resting on the floor, z up: the bounding box starts at z = 0
        assert obj.position[2] - obj.size[2] / 2 == pytest.approx(0.0, abs=1e-6), obj.name
    wedge = next(o for o in manifest.objects if o.name == "wedge")
    assert wedge.size == pytest.approx((0.5, 0.4, 0.25), abs=1e-6)  # the mesh's own extents
    assert manifest.provenance.command == "twin demo" and manifest.provenance.parameters == {"seed": 0, "sysid": True, "scan": True}
    assert "mujoco" in manifest.provenance.versions


def test_usd_has_the_same_bodies(demo_dir):
    stage = Usd.Stage.Open(str(demo_dir / "scene.usda"))
    rigid = {p.GetName(): p for p in stage.Traverse() if p.HasAPI(UsdPhysics.RigidBodyAPI)}
    model = mujoco.MjModel.from_xml_path(str(demo_dir / "scene.xml"))
    moving = [mujoco.mj_id2name(model, mujoco.mjtObj.mjOBJ_BODY, b) for b in range(1, model.nbody) if model.body_weldid[b]]
    assert sorted(rigid) == sorted(moving)
    for name, prim in rigid.items():
        mass = UsdPhysics.MassAPI(prim).GetMassAttr().Get()
        assert mass == pytest.approx(model.body(name).mass[0], rel=1e-6)
    for static in ("shelf", "table", "cabinet"):
        assert static not in rigid
    joints = {p.GetAttribute("mjc:name").Get(): p for p in stage.Traverse() if p.IsA(UsdPhysics.Joint)}
    door = UsdPhysics.RevoluteJoint(joints["cabinet_door_hinge"])
    assert door.GetLowerLimitAttr().Get() == pytest.approx(np.degrees(-1.6), rel=1e-5)
    hinges = sum(p.IsA(UsdPhysics.RevoluteJoint) for p in joints.values())
    slides = sum(p.IsA(UsdPhysics.PrismaticJoint) for p in joints.values())
    assert hinges == int((model.jnt_type == mujoco.mjtJoint.mjJNT_HINGE).sum())
    assert slides == int((model.jnt_type == mujoco.mjtJoint.mjJNT_SLIDE).sum()) > 0  # the drawer unit


def test_report_and_validation(demo_dir, capsys):
    html = (demo_dir / "report.html").read_text()
    assert '<img src="overview.png"' in html and "7 checks: 7 passed, 0 failed" in html
    assert main(["validate", str(demo_dir), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["ok"] is True


def test_deterministic(demo_dir, tmp_path):
    again = tmp_path / "again"
    assert main(["demo", "--out", str(again), "--quiet", "--no-sysid", "--no-scan"]) == 0
    for name in ("scene.xml", "scene.usda", "meshes/wedge.obj"):
        assert (again / name).read_bytes() == (demo_dir / name).read_bytes(), name
    objects = [json.loads((d / "twin.json").read_text())["objects"] for d in (again, demo_dir)]
    assert objects[0] == objects[1]


def test_usd_passes_every_usd_validator(demo_dir):
    from pxr import UsdValidation

    validators = UsdValidation.ValidationRegistry().GetOrLoadAllValidators()
    assert any("usdPhysicsValidators" in v.GetMetadata().name for v in validators)
    stage = Usd.Stage.Open(str(demo_dir / "scene.usda"))
    errors = UsdValidation.ValidationContext(validators).Validate(stage)
    assert [e.GetMessage() for e in errors if e.GetType() != UsdValidation.ValidationErrorType.None_] == []


def test_sysid_step_recovers_the_demo_arm(demo_dir):
    from calibration.synthetic import TRUTH

    params = json.loads((demo_dir / "sysid" / "params.json").read_text())
    fitted = {p["name"]: p for p in params["parameters"]}
    assert set(fitted) == set(TRUTH)
    errors = sorted(abs(fitted[name]["value"] - truth) / truth for name, truth in TRUTH.items())
    assert errors[len(errors) // 2] < 0.05  # median relative error
    inside = sum(fitted[n]["ci95"][0] <= t <= fitted[n]["ci95"][1] for n, t in TRUTH.items())
    assert inside >= 0.8 * len(TRUTH)
    assert params["validation"]["passed"] is True
    assert "System identification (demo arm)" in (demo_dir / "report.html").read_text()
    for name in ("calibrated.xml", "dr.json", "report.html"):
        assert (demo_dir / "sysid" / name).is_file()


def test_scan_step_builds_a_validated_twin_from_the_synthetic_capture(demo_dir, capsys):
    twin = demo_dir / "scan_twin"
    for name in ("scene.xml", "scene.usda", "twin.json", "reconstruction.ply", "report.html"):
        assert (twin / name).is_file(), name
    assert (demo_dir / "scan_capture" / "ground_truth" / "objects.json").is_file()
    manifest = TwinManifest.load(twin / "twin.json")
    assert len(manifest.objects) >= 8 and {o.source for o in manifest.objects} <= {"scan", "scan:static"}
    html = (demo_dir / "report.html").read_text()
    assert "Scan to twin (synthetic capture)" in html and "surface Chamfer-L1" in html
    capsys.readouterr()
    assert main(["validate", str(twin), "--json"]) == 0, capsys.readouterr().out
