"""Real models from ../shared/data (skipped when it is absent): validation and USD read-back of the Panda."""

from __future__ import annotations

import mujoco
import numpy as np
import pytest

from twin.validation import validate_path

pytestmark = pytest.mark.realdata


@pytest.mark.parametrize("name", ["panda.xml", "panda_nohand.xml"])
def test_panda_validates(shared_data, name):
    report = validate_path(shared_data / "robots" / "panda_nomesh" / name)
    assert report.ok, report.summary() + "\n" + "\n".join(f.message for f in report.findings)


def test_panda_usd_read_back(shared_data, tmp_path):
    pytest.importorskip("pxr")
    from pxr import Usd, UsdGeom, UsdPhysics

    from twin.usd import write_usd

    model = mujoco.MjModel.from_xml_path(str(shared_data / "robots" / "panda_nomesh" / "panda_nohand.xml"))
    write_usd(model, tmp_path / "panda.usda")
    stage = Usd.Stage.Open(str(tmp_path / "panda.usda"))
    data = mujoco.MjData(model)
    mujoco.mj_forward(model, data)
    cache = UsdGeom.XformCache()
    bodies = {p.GetAttribute("mjc:name").Get(): p for p in stage.Traverse() if p.HasAPI(UsdPhysics.RigidBodyAPI)}
    assert len(bodies) == 7  # link1..link7 move; link0 is welded to the world
    for name, prim in bodies.items():
        body = model.body(name)
        assert UsdPhysics.MassAPI(prim).GetMassAttr().Get() == pytest.approx(body.mass[0], rel=1e-6)
        np.testing.assert_allclose(UsdPhysics.MassAPI(prim).GetDiagonalInertiaAttr().Get(), body.inertia, rtol=1e-5)
        translation = cache.GetLocalToWorldTransform(prim).ExtractTranslation()
        np.testing.assert_allclose(translation, data.xpos[body.id], atol=1e-6)
    revolute = [UsdPhysics.RevoluteJoint(p) for p in stage.Traverse() if p.IsA(UsdPhysics.RevoluteJoint)]
    assert len(revolute) == 7
    for joint in revolute:
        name = joint.GetPrim().GetAttribute("mjc:name").Get()
        lo, hi = np.degrees(model.joint(name).range)
        assert joint.GetLowerLimitAttr().Get() == pytest.approx(lo, rel=1e-5)
        assert joint.GetUpperLimitAttr().Get() == pytest.approx(hi, rel=1e-5)
        assert joint.GetPrim().HasAPI(UsdPhysics.DriveAPI, "angular")
