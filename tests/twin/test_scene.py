"""The scene builder: conventions, exact mesh inertia, bad arguments, and the MJCF writer's round trip."""

from __future__ import annotations

import mujoco
import numpy as np
import pytest

from twin.errors import ModelError
from twin.examples import wedge_mesh
from twin.mjcf import to_mjcf
from twin.scene import Material, Scene
from twin.shapes import Box, Capsule, Cylinder, Mesh, Sphere


def _open_bin(name="bin", length=0.4, width=0.3, height=0.2, wall=0.01) -> Mesh:
    """An open-topped bin as one closed, outward-oriented triangle mesh (outer box minus inner cavity)."""
    lx, ly, h, t = length / 2, width / 2, height, wall
    outer = [(-lx, -ly, 0), (lx, -ly, 0), (lx, ly, 0), (-lx, ly, 0), (-lx, -ly, h), (lx, -ly, h), (lx, ly, h), (-lx, ly, h)]
    inner = [(-lx + t, -ly + t, t), (lx - t, -ly + t, t), (lx - t, ly - t, t), (-lx + t, ly - t, t),
             (-lx + t, -ly + t, h), (lx - t, -ly + t, h), (lx - t, ly - t, h), (-lx + t, ly - t, h)]
    v = np.array(outer + inner, dtype=float)
    f = [(0, 2, 1), (0, 3, 2),  # outer bottom (faces down)
         (0, 1, 5), (0, 5, 4), (1, 2, 6), (1, 6, 5), (2, 3, 7), (2, 7, 6), (3, 0, 4), (3, 4, 7),  # outer sides
         (8, 9, 10), (8, 10, 11),  # inner floor (faces up)
         (8, 13, 9), (8, 12, 13), (9, 14, 10), (9, 13, 14), (10, 15, 11), (10, 14, 15), (11, 12, 8), (11, 15, 12),
         (4, 5, 13), (4, 13, 12), (5, 6, 14), (5, 14, 13), (6, 7, 15), (6, 15, 14), (7, 4, 12), (7, 12, 15)]  # rim
    return Mesh(name, v, np.array(f))


def test_conventions_and_masses():
    scene = Scene("t")
    scene.add_floor((4, 4), material=Material("concrete", friction=0.9))
    scene.add_free_object("box", Box((0.4, 0.2, 0.1)), pos=(0, 0, 0.05), mass=3.0, material=Material("cardboard", friction=0.7))
    scene.add_free_object("ball", Sphere(0.1), pos=(1, 0, 0.1), material=Material("rubber", density=1100.0))
    model = scene.compile()
    assert model.opt.cone == mujoco.mjtCone.mjCONE_ELLIPTIC and model.opt.impratio == 10
    box = model.body("box")
    assert box.mass[0] == pytest.approx(3.0)
    np.testing.assert_allclose(box.inertia, 3.0 / 12 * np.array([0.2**2 + 0.1**2, 0.4**2 + 0.1**2, 0.4**2 + 0.2**2]))
    assert model.body("ball").mass[0] == pytest.approx(1100.0 * 4 / 3 * np.pi * 0.1**3)
    assert model.geom("floor").friction[0] == pytest.approx(0.9)
    assert model.geom("box").friction[0] == pytest.approx(0.7)
    floor = model.geom("floor")
    assert floor.pos[2] + floor.size[2] == pytest.approx(0.0)  # the floor's top is z = 0
    assert model.body_mass[0] == 0.0


def test_mesh_inertia_is_exact_for_an_open_bin():
    scene = Scene("t")
    body = scene.add_free_body("bin", pos=(0, 0, 0))
    scene.add_geom(body, _open_bin(), material=Material("steel", density=1000.0))
    mass = scene.compile().body("bin").mass[0]
    shell_volume = 0.4 * 0.3 * 0.2 - 0.38 * 0.28 * 0.19
    assert mass == pytest.approx(1000.0 * shell_volume, rel=1e-6)  # the legacy computation gives the solid block


def test_articulation_and_actuators():
    scene = Scene("arm")
    base = scene.add_body("base", pos=(0, 0, 0.1))
    link = scene.add_body("link", parent=base, pos=(0, 0, 0.1))
    scene.add_geom(link, Capsule(0.03, 0.3), pos=(0, 0, 0.15))
    scene.add_hinge(link, "shoulder", axis=(0, 1, 0), limits=(-1.5, 1.5), damping=0.7, armature=0.02, frictionloss=0.3)
    slider = scene.add_body("slider", parent=link, pos=(0, 0, 0.3))
    scene.add_geom(slider, Cylinder(0.02, 0.1))
    scene.add_slide(slider, "extend", axis=(0, 0, 2), limits=(0, 0.2))
    scene.add_position_actuator("shoulder", kp=80, kv=4, ctrlrange=(-1.5, 1.5), forcerange=(-30, 30))
    scene.add_motor("extend", ctrlrange=(-10, 10), gear=2.0)
    m = scene.compile()
    j = m.joint("shoulder")
    assert (j.damping[0], j.armature[0], j.frictionloss[0]) == pytest.approx((0.7, 0.02, 0.3))
    np.testing.assert_allclose(m.joint("extend").axis, [0, 0, 1])
    np.testing.assert_allclose(m.jnt_range[1], [0, 0.2])
    np.testing.assert_allclose(m.actuator("shoulder").gainprm[0], 80)
    np.testing.assert_allclose(m.actuator("shoulder").biasprm[1:3], [-80, -4])
    np.testing.assert_allclose(m.actuator("extend").gear[0], 2.0)
    assert m.actuator_ctrllimited.all()


@pytest.mark.parametrize(
    "build, message",
    [
        (lambda s: s.add_free_object("b", Box((0.1, 0.1, 0.1)), pos=(0, 0, 0), mass=0.0), "mass must be > 0 kg"),
        (lambda s: Box((0.1, -0.1, 0.1)), "Box.y must be a positive finite number"),
        (lambda s: s.add_hinge(s.add_body("d"), "h", axis=(0, 0, 0)), "axis must be a non-zero 3-vector"),
        (lambda s: s.add_hinge(s.add_body("d"), "h", axis=(0, 0, 1), limits=(1, -1)), "lower < upper"),
        (lambda s: s.add_motor("nope", ctrlrange=(-1, 1)), "actuator on unknown joint 'nope'"),
        (lambda s: [s.add_body("a"), s.add_body("a")], "a body called 'a' already exists"),
        (lambda s: Material("m", friction=-1), "friction must be >= 0"),
        (lambda s: Mesh("m", np.zeros((4, 3)), np.array([[0, 1, 9]] * 4)), r"face indices must lie in \[0, 3\]"),
    ],
)
def test_bad_arguments_are_model_errors(build, message):
    with pytest.raises(ModelError, match=message):
        build(Scene("t"))


def test_zero_width_ctrlrange_is_refused():
    scene = Scene("t")
    body = scene.add_body("b")
    scene.add_hinge(body, "h", axis=(0, 0, 1))
    with pytest.raises(ModelError, match="ctrlrange must satisfy lower < upper"):
        scene.add_motor("h", ctrlrange=(0, 0))


def test_mjcf_round_trip_with_mesh_files(tmp_path):
    scene = Scene("t")
    scene.add_floor()
    scene.add_free_object("wedge", wedge_mesh("wedge", 0.5, 0.4, 0.25), pos=(0, 0, 0.25 / 3), mass=4.0)
    body = scene.add_free_body("bin", pos=(1, 0, 0))
    scene.add_geom(body, _open_bin(), mass=2.0)
    in_memory = scene.compile()
    path = to_mjcf(scene.spec, tmp_path)
    assert sorted(p.name for p in (tmp_path / "meshes").iterdir()) == ["bin.obj", "wedge.obj"]
    assert 'meshdir="meshes"' in path.read_text() and "vertex=" not in path.read_text()
    loaded = mujoco.MjModel.from_xml_path(str(path))
    for name in ("wedge", "bin"):
        assert loaded.body(name).mass[0] == pytest.approx(in_memory.body(name).mass[0])
        np.testing.assert_allclose(loaded.body(name).inertia, in_memory.body(name).inertia, rtol=1e-6)
        np.testing.assert_allclose(loaded.body(name).ipos, in_memory.body(name).ipos, atol=1e-8)
    np.testing.assert_allclose(loaded.mesh_vert, in_memory.mesh_vert, atol=1e-7)


def test_static_plane_supports_a_box():
    scene = Scene("t")
    scene.add_plane("ground", size_xy=(4, 4), material=Material("concrete", friction=0.8))
    scene.add_free_object("box", Box((0.2, 0.2, 0.2)), pos=(0, 0, 0.1), mass=1.0)
    model = scene.compile()
    assert model.geom("ground").type == mujoco.mjtGeom.mjGEOM_PLANE and model.geom("ground").friction[0] == 0.8
    data = mujoco.MjData(model)
    for _ in range(500):
        mujoco.mj_step(model, data)
    assert data.body("box").xpos[2] == pytest.approx(0.1, abs=2e-3)
