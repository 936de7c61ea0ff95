"""Tests of twin.validation: one scene per defect, each made here, plus good scenes that pass every check."""

from __future__ import annotations

import json
import math

import mujoco
import numpy as np
import pytest

from twin.errors import InputError
from twin.validation import CHECKS, Finding, ValidationReport, validate_path, validate_spec

FLOOR = '<geom name="floor" type="box" size="2 2 0.05" pos="0 0 -0.05"/>'
BOX = '<geom type="box" size="0.1 0.1 0.1"/>'


def _spec(body: str, extra: str = "", option: str = "") -> mujoco.MjSpec:
    return mujoco.MjSpec.from_string(
        f'<mujoco><compiler angle="radian"/>{option}<worldbody>{body}</worldbody>{extra}</mujoco>')


def _only(report: ValidationReport, check: str) -> Finding:
    """The single finding of ``check``, after asserting it is the only failing check's only finding."""
    failed = [c.name for c in report.checks if c.status == "fail"]
    assert failed == [check], report.summary() + "\n" + "\n".join(f.message for f in report.findings)
    (finding,) = report.check(check).findings
    assert finding.check == check
    return finding


def _assert_all_pass(report: ValidationReport) -> None:
    assert report.ok, "\n".join(f.message for f in report.findings)
    assert [c.status for c in report.checks] == ["pass"] * len(CHECKS), report.summary()
    assert report.summary() == f"{len(CHECKS)} checks: {len(CHECKS)} passed, 0 failed"


# ---------------------------------------------------------------------------------------------------------
# Scenes


def _cabinet(door_range: str) -> mujoco.MjSpec:
    """A static cabinet open towards +x (outer 0.4 x 0.4 x 0.6 m, 2 cm panels) with an overlay door hinged at
    its left front edge, 5 mm in front of the cabinet. Negative angles open the door outwards."""
    panels = """
      <geom name="back" type="box" size="0.01 0.2 0.3" pos="-0.19 0 0.3"/>
      <geom name="left" type="box" size="0.2 0.01 0.3" pos="0 -0.19 0.3"/>
      <geom name="right" type="box" size="0.2 0.01 0.3" pos="0 0.19 0.3"/>
      <geom name="bottom" type="box" size="0.2 0.2 0.01" pos="0 0 0.01"/>
      <geom name="top" type="box" size="0.2 0.2 0.01" pos="0 0 0.59"/>"""
    door = f"""
      <body name="door" pos="0.21 -0.2 0">
        <joint name="door_hinge" type="hinge" axis="0 0 1" range="{door_range}"/>
        <geom name="door_panel" type="box" size="0.005 0.2 0.3" pos="0 0.2 0.3"/>
      </body>"""
    return _spec(FLOOR + panels + door)


def _arm(elbow_range: str, actuators: str = "") -> mujoco.MjSpec:
    """A 2-link arm on a pillar, both hinges about z. The elbow link starts 5 cm past the elbow, so the links
    are apart at qpos0; link 1 ends 5 cm before it."""
    body = f"""
      <geom name="pillar" type="cylinder" size="0.05 0.25" pos="0 0 0.25"/>
      <body name="link1" pos="0 0 0.55">
        <joint name="shoulder" type="hinge" axis="0 0 1" range="-1.5 1.5"/>
        <geom name="link1_geom" type="box" size="0.1 0.02 0.02" pos="0.15 0 0"/>
        <body name="link2" pos="0.3 0 0">
          <joint name="elbow" type="hinge" axis="0 0 1" range="{elbow_range}"/>
          <geom name="link2_geom" type="box" size="0.1 0.02 0.02" pos="0.15 0 0"/>
        </body>
      </body>"""
    return _spec(FLOOR + body, actuators)


def _bin_mesh(outer=(0.6, 0.4, 0.3), wall=0.01) -> tuple[np.ndarray, np.ndarray]:
    """A closed, non-convex open-top bin with walls ``wall`` thick: vertices (16, 3), faces (28, 3)."""
    X, Y, H = outer[0] / 2, outer[1] / 2, outer[2]
    x, y = X - wall, Y - wall
    corners = [(-1, -1), (1, -1), (1, 1), (-1, 1)]
    vertices = (
        [(sx * X, sy * Y, 0.0) for sx, sy in corners] + [(sx * X, sy * Y, H) for sx, sy in corners]
        + [(sx * x, sy * y, wall) for sx, sy in corners] + [(sx * x, sy * y, H) for sx, sy in corners]
    )
    o, i = list(range(8)), list(range(8, 16))

    def quad(a, b, c, d):  # corners counter-clockwise seen from outside the solid
        return [(a, b, c), (a, c, d)]

    faces = quad(o[0], o[3], o[2], o[1]) + quad(i[0], i[1], i[2], i[3])
    for k in range(4):
        n = (k + 1) % 4
        faces += quad(o[k], o[n], o[n + 4], o[k + 4])  # outer walls
        faces += quad(o[k + 4], o[n + 4], i[n + 4], i[k + 4])  # rim
        faces += quad(i[k], i[k + 4], i[n + 4], i[n])  # inner walls
    return np.array(vertices), np.array(faces)


def _bin_on_floor(inertia: mujoco.mjtMeshInertia) -> mujoco.MjSpec:
    """A free bin resting on the floor: MuJoCo recentres the mesh but keeps it where its vertices say."""
    vertices, faces = _bin_mesh()
    spec = _spec(FLOOR)
    mesh = spec.add_mesh(name="bin")
    mesh.uservert, mesh.userface, mesh.inertia = vertices.ravel(), faces.ravel(), inertia
    body = spec.worldbody.add_body(name="bin_body")
    body.add_freejoint()
    body.add_geom(name="bin_geom", type=mujoco.mjtGeom.mjGEOM_MESH, meshname="bin")
    return spec


# ---------------------------------------------------------------------------------------------------------
# Good scenes


def test_box_resting_on_floor_passes():
    spec = _spec(FLOOR + '<body name="box" pos="0 0 0.1"><freejoint/><geom type="box" size="0.1 0.1 0.1"/></body>')
    _assert_all_pass(validate_spec(spec))


def test_cabinet_with_door_that_clears_its_frame_passes():
    _assert_all_pass(validate_spec(_cabinet("-1.57 0")))


def test_two_link_arm_with_position_actuators_passes():
    actuators = """<actuator>
      <position name="shoulder_servo" joint="shoulder" kp="50" ctrlrange="-1.5 1.5"/>
      <position name="elbow_servo" joint="elbow" kp="20" ctrlrange="-1.5 1.5"/>
    </actuator>"""
    _assert_all_pass(validate_spec(_arm("-1.5 1.5", actuators)))


def test_designed_overlap_at_a_joint_does_not_flag_the_sweep():
    # capsules sharing the elbow point overlap by 2 radii at every angle: not a limit problem
    spec = _spec(FLOOR + """
      <body name="l1" pos="0 0 0.5"><joint name="j1" axis="0 0 1" range="-1 1"/>
        <geom type="capsule" fromto="0 0 0 0.3 0 0" size="0.03"/>
        <body name="l2" pos="0.3 0 0"><joint name="j2" axis="0 0 1" range="-2.5 2.5"/>
          <geom type="capsule" fromto="0 0 0 0.3 0 0" size="0.03"/></body></body>""")
    assert validate_spec(spec).check("joint_sweep").status == "pass"


def test_exact_mesh_inertia_passes():
    _assert_all_pass(validate_spec(_bin_on_floor(mujoco.mjtMeshInertia.mjMESH_INERTIA_EXACT)))


# ---------------------------------------------------------------------------------------------------------
# One defect per scene


def test_penetrating_boxes():
    spec = _spec(FLOOR + """
      <body name="crate_a" pos="0 0 0.1"><freejoint/><geom name="a" type="box" size="0.1 0.1 0.1"/></body>
      <body name="crate_b" pos="0.18 0 0.1"><freejoint/><geom name="b" type="box" size="0.1 0.1 0.1"/></body>""")
    report = validate_spec(spec, settle_time=0.0)  # the overlap pushes them apart: not what this test is about
    finding = _only(report, "penetration")
    assert finding.element == "geom 'a' / geom 'b'"
    assert finding.value == pytest.approx(20.0, abs=0.5) and finding.unit == "mm" and finding.limit == 1.0
    assert "body 'crate_a'" in finding.message and "body 'crate_b'" in finding.message and "20.0 mm" in finding.message


def test_penetration_uses_keyframe_0():
    box = '<body name="box" pos="0 0 0.1"><freejoint/><geom name="g" type="box" size="0.1 0.1 0.1"/></body>'
    spec = _spec(FLOOR + box,
                 '<keyframe><key name="sunk" qpos="0 0 0.07 1 0 0 0"/></keyframe>')
    finding = validate_spec(spec, settle_time=0.0).check("penetration").findings[0]
    assert finding.element == "geom 'floor' / geom 'g'"
    assert finding.value == pytest.approx(30.0, abs=0.5)
    assert "keyframe 'sunk'" in finding.message


def test_box_floating_without_floor_falls():
    spec = _spec('<body name="box" pos="0 0 1"><freejoint/><geom type="box" size="0.1 0.1 0.1"/></body>')
    finding = _only(validate_spec(spec), "settle")
    assert finding.element == "box" and finding.unit == "m" and finding.limit == -0.05
    # free fall for 2 s from a lowest point at 0.9 m: 0.9 - g t^2 / 2
    assert finding.value == pytest.approx(0.9 - 9.81 * 2.0**2 / 2, abs=0.1)
    assert "fell below the floor" in finding.message


def test_box_on_slope_slides():
    angle, mu, t = math.radians(30), 0.3, 0.3
    normal = np.array([math.sin(angle), 0, math.cos(angle)])  # surface normal of a slope rotated about +y
    centre = np.array([0, 0, 1.0]) + normal * (0.05 + 0.1)
    spec = _spec(FLOOR + f"""
      <geom name="slope" type="box" size="1 0.5 0.05" pos="0 0 1" euler="0 {angle} 0" friction="{mu}"/>
      <body name="box" pos="{centre[0]} {centre[1]} {centre[2]}" euler="0 {angle} 0">
        <freejoint/><geom type="box" size="0.1 0.1 0.1" friction="{mu}"/></body>""")
    finding = _only(validate_spec(spec, settle_time=t), "settle")
    expected_mm = 0.5 * 9.81 * (math.sin(angle) - mu * math.cos(angle)) * t**2 * 1000
    assert finding.element == "box" and finding.unit == "mm" and finding.limit == 5.0
    assert finding.value == pytest.approx(expected_mm, rel=0.15)


def test_zero_mass_body_via_explicit_inertial():
    spec = _spec(FLOOR + """<body name="ghost" pos="0 0 0.1"><freejoint/>
      <inertial pos="0 0 0" mass="0" diaginertia="0 0 0"/>
      <geom type="box" size="0.1 0.1 0.1" contype="0" conaffinity="0"/></body>""")
    report = validate_spec(spec, settle_time=0.0)
    finding = _only(report, "mass")
    assert finding.element == "ghost" and finding.value == 0.0 and finding.unit == "kg"
    assert "mass 0 kg" in finding.message
    assert report.check("compile").status == "pass"  # a named check, not a compile error


def test_zero_mass_hinged_body_from_zero_density_geom():
    spec = _spec('<body name="flap"><joint type="hinge"/><geom type="box" size="0.1 0.1 0.1" density="0"/></body>')
    finding = _only(validate_spec(spec), "mass")
    assert finding.element == "flap" and finding.value == 0.0


def test_nan_inertia():
    spec = _spec(FLOOR)
    body = spec.worldbody.add_body(name="nan_body", pos=[0, 0, 0.1])
    body.add_freejoint()
    body.add_geom(type=mujoco.mjtGeom.mjGEOM_BOX, size=[0.1, 0.1, 0.1])
    body.explicitinertial, body.mass, body.inertia = True, 1.0, [float("nan"), 1.0, 1.0]
    finding = _only(validate_spec(spec, settle_time=0.0), "mass")
    assert finding.element == "nan_body" and finding.value is None
    assert "non-finite" in finding.message and "nan" in finding.message
    assert finding.to_dict()["value"] is None


def test_negative_inertia():
    spec = _spec(FLOOR + """<body name="neg" pos="0 0 0.1"><freejoint/>
      <inertial pos="0 0 0" mass="2" diaginertia="-0.5 1 1"/><geom type="box" size="0.1 0.1 0.1"/></body>""")
    finding = _only(validate_spec(spec, settle_time=0.0), "mass")
    assert finding.element == "neg" and finding.value == -0.5 and finding.unit == "kg m^2"


def test_inertia_violating_the_triangle_inequality():
    spec = _spec(FLOOR + f"""<body name="rod" pos="0 0 0.1"><freejoint/>
      <inertial pos="0 0 0" mass="1" diaginertia="0.1 0.1 0.5"/>{BOX}</body>""")
    finding = _only(validate_spec(spec, settle_time=0.0), "mass")
    assert finding.element == "rod" and finding.value == pytest.approx(-0.3)  # A + B - C
    assert "violates A + B >= C" in finding.message


def test_zero_mass_hinged_body_whose_mass_hangs_below_another_joint():
    spec = _spec("""<body name="upper"><joint type="hinge"/>
      <body name="lower" pos="0.3 0 0"><joint type="hinge"/><geom size="0.05"/></body></body>""")
    finding = _only(validate_spec(spec), "mass")
    assert finding.element == "upper" and finding.value == 0.0


def test_negative_geom_mass():
    spec = _spec(FLOOR + """<body name="b" pos="0 0 0.1"><freejoint/>
      <geom name="minus" type="box" size="0.1 0.1 0.1" mass="-1"/>
      <geom type="box" size="0.1 0.1 0.1" mass="3"/></body>""")
    finding = _only(validate_spec(spec, settle_time=0.0), "mass")
    assert finding.element == "b" and finding.value == -1.0
    assert "geom 'minus' of body 'b' has negative mass -1 kg" in finding.message


def test_mass_defect_only_the_compiler_sees_is_still_a_named_finding():
    # a free body of density 1000 on a mesh of 1.7e-13 m^3: positive mass on the spec, below mjMINVAL compiled
    spec = _spec('<body name="speck" pos="0 0 1"><freejoint/><geom type="mesh" mesh="tiny"/></body>',
                 '<asset><mesh name="tiny" vertex="0 0 0  1e-4 0 0  0 1e-4 0  0 0 1e-4"/></asset>')
    finding = _only(validate_spec(spec, settle_time=0.0), "mass")
    assert finding.element == "speck" and finding.value is None
    assert "mass and inertia of moving bodies must be larger than mjMINVAL" in finding.message


def test_body_starting_below_the_floor_height_has_not_fallen():
    spec = _spec(FLOOR.replace('pos="0 0 -0.05"', 'pos="0 0 -1.05"')
                 + '<body name="low" pos="0 0 -0.9"><freejoint/><geom type="box" size="0.1 0.1 0.1"/></body>')
    assert validate_spec(spec).check("settle").status == "pass"


def test_open_bin_mesh_with_legacy_inertia():
    finding = _only(validate_spec(_bin_on_floor(mujoco.mjtMeshInertia.mjMESH_INERTIA_LEGACY)), "mesh_inertia")
    # exact volume of the bin: outer box minus cavity
    exact = 0.6 * 0.4 * 0.3 - 0.58 * 0.38 * 0.29
    assert finding.element == "bin" and finding.unit == "x" and finding.limit == 2.0
    assert finding.value > 10.0  # legacy ~ 110 kg vs exact ~ 8.1 kg at 1000 kg/m^3
    assert f"{exact * 1000:.3g} kg" in finding.message and 'inertia="exact"' in finding.message


def test_door_swings_into_its_static_frame():
    report = validate_spec(_cabinet("-1.57 0.5"))
    finding = _only(report, "joint_sweep")
    assert finding.element == "door_hinge" and finding.unit == "mm"
    assert "upper limit 0.5 rad" in finding.message and "geom 'door_panel'" in finding.message
    # the door cuts through the 2 cm top and bottom panels: the shortest way out is their thickness
    assert finding.value == pytest.approx(20.0, abs=0.5)
    assert "penetrates geom 'bottom' (body 'world') by 20.0 mm (0.0 mm at qpos0); 2 more pair(s)" in finding.message
    assert report.check("penetration").status == "pass"  # MuJoCo filters these contacts: only the sweep sees it


def test_door_swings_through_a_post_between_its_limits():
    # Clear of everything at both limits (closed, and folded back beside the cabinet), but half-way open the
    # door passes through a static post standing in front of the cabinet.
    spec = _cabinet("-3.0 0")
    post = spec.worldbody.add_geom(name="post", type=mujoco.mjtGeom.mjGEOM_BOX, size=[0.02, 0.02, 0.3])
    post.pos = [0.45, -0.2, 0.3]
    report = validate_spec(spec)
    finding = _only(report, "joint_sweep")
    assert finding.element == "door_hinge"
    assert "part-way through its range" in finding.message
    assert "geom 'door_panel' (body 'door') penetrates geom 'post' (body 'world')" in finding.message
    assert finding.value > 10.0
    assert validate_spec(_cabinet("-3.0 0")).check("joint_sweep").status == "pass"  # without the post


def test_arm_link_swings_into_its_parent():
    report = validate_spec(_arm("-1.5 2.9"))
    finding = _only(report, "joint_sweep")
    assert finding.element == "elbow"
    assert "upper limit 2.9 rad" in finding.message
    assert "geom 'link2_geom' (body 'link2') penetrates geom 'link1_geom' (body 'link1')" in finding.message
    assert finding.value == pytest.approx(_box_overlap_mm(2.9), abs=3.0)


def _box_overlap_mm(angle: float) -> float:
    """Penetration depth (mm) of the two link boxes with the elbow at ``angle``, by the separating axis theorem
    (both boxes span the same 4 cm in z, so the depth is the smallest overlap over the 2D edge normals)."""
    def corners(centre, theta):
        c, s = math.cos(theta), math.sin(theta)
        axes = np.array([[c, s], [-s, c]])
        return np.array([centre + axes[0] * sx * 0.1 + axes[1] * sy * 0.02 for sx in (-1, 1) for sy in (-1, 1)]), axes

    elbow = np.array([0.3, 0.0])
    a, axes_a = corners(np.array([0.15, 0.0]), 0.0)
    b, axes_b = corners(elbow + 0.15 * np.array([math.cos(angle), math.sin(angle)]), angle)
    overlaps = [0.04]  # along z
    for n in np.vstack([axes_a, axes_b]):
        pa, pb = a @ n, b @ n
        overlaps.append(min(pa.max(), pb.max()) - max(pa.min(), pb.min()))
    return max(0.0, min(overlaps)) * 1000


def test_actuator_with_zero_width_ctrlrange():
    spec = _arm("-1.5 1.5", """<actuator>
      <position name="shoulder_servo" joint="shoulder" kp="50" ctrlrange="-1.5 1.5"/>
      <position name="stuck" joint="elbow" kp="20" ctrlrange="0 0" ctrllimited="true"/></actuator>""")
    report = validate_spec(spec)
    finding = _only(report, "actuator_ctrlrange")
    assert finding.element == "stuck" and finding.value == 0.0
    assert "zero-width ctrlrange [0, 0]" in finding.message
    assert report.check("compile").status == "pass"


def test_actuator_with_inverted_ctrlrange():
    spec = _arm("-1.5 1.5", """<actuator>
      <motor name="backwards" joint="shoulder" ctrlrange="1 -1" ctrllimited="true"/>
      <motor name="fine" joint="elbow" ctrlrange="-1 1"/></actuator>""")
    finding = _only(validate_spec(spec), "actuator_ctrlrange")
    assert finding.element == "backwards" and finding.value == -2.0 and "inverted" in finding.message


def test_actuator_without_ctrlrange():
    spec = _arm("-1.5 1.5", """<actuator>
      <motor name="unbounded" joint="shoulder"/>
      <motor name="bounded" joint="elbow" ctrlrange="-1 1"/></actuator>""")
    finding = _only(validate_spec(spec), "actuator_ctrlrange")
    assert finding.element == "unbounded" and finding.value is None and "no ctrlrange" in finding.message


def test_compiler_warning_from_attach_with_mismatched_timestep():
    parent = _spec(FLOOR, option='<option timestep="0.002"/>')
    child = _spec('<body name="crate" pos="0 0 0.1"><freejoint/><geom type="box" size="0.1 0.1 0.1"/></body>',
                  option='<option timestep="0.01"/>')
    previous = mujoco.get_mju_user_warning()
    mujoco.set_mju_user_warning(lambda message: None)  # attach itself warns through MuJoCo's C callback
    try:
        parent.attach(child, frame=parent.worldbody.add_frame(), prefix="child_")
    finally:
        mujoco.set_mju_user_warning(previous)
    finding = _only(validate_spec(parent), "compile")
    assert finding.element == "model" and finding.value is None
    assert "timestep: parent has 0.002, child has 0.01, keeping parent value" in finding.message
    assert mujoco.get_mju_user_warning() is previous


def test_simulation_warning_counters():
    spec = _spec('<body name="rock" pos="0 0 1"><freejoint/><geom size="0.1"/></body>',
                 option='<option gravity="0 0 -1e11"/>')  # |qacc| > mjMAXVAL: MuJoCo warns and resets
    report = validate_spec(spec, settle_time=0.01)
    (finding,) = report.check("compile").findings
    assert finding.element == "model" and finding.value >= 1 and "BADQACC" in finding.message


def test_unrecoverable_compile_error_skips_the_simulation_checks():
    spec = _spec('<body name="b"><freejoint/><geom type="mesh" mesh="m"/></body>',
                 '<asset><mesh name="m" file="missing.stl"/></asset>')
    report = validate_spec(spec)
    assert not report.ok
    (finding,) = report.check("compile").findings
    assert "does not compile" in finding.message and "missing.stl" in finding.message
    for name in ("penetration", "settle", "mesh_inertia", "joint_sweep"):
        result = report.check(name)
        assert result.status == "skipped" and result.reason.startswith("the model does not compile: ")
    assert report.summary().startswith("7 checks: 2 passed, 1 failed, 4 skipped (compile: 1 finding)")


def test_several_defects_are_all_reported():
    spec = _spec(FLOOR + f"""
      <body name="m1" pos="0 0 0.1"><freejoint/><inertial pos="0 0 0" mass="0" diaginertia="1 1 1"/>{BOX}</body>
      <body name="m2" pos="1 0 0.1"><joint name="s" type="slide"/>
        <inertial pos="0 0 0" mass="1" diaginertia="0 0 0"/></body>""",
                 '<actuator><motor name="z" joint="s" ctrlrange="0 0" ctrllimited="true"/></actuator>')
    report = validate_spec(spec, settle_time=0.0)
    assert [f.element for f in report.check("mass").findings] == ["m1", "m2"]
    assert [f.element for f in report.check("actuator_ctrlrange").findings] == ["z"]
    assert report.summary() == "7 checks: 5 passed, 2 failed (mass: 2 findings, actuator_ctrlrange: 1 finding)"


# ---------------------------------------------------------------------------------------------------------
# Report, registry, paths


def test_registry_and_report_shape():
    assert [c.name for c in CHECKS] == [
        "compile", "penetration", "settle", "mass", "mesh_inertia", "joint_sweep", "actuator_ctrlrange"]
    report = validate_spec(_cabinet("-1.57 0.5"), source="cabinet")
    assert [c.name for c in report.checks] == [c.name for c in CHECKS]
    doc = json.loads(json.dumps(report.to_dict(), allow_nan=False))
    assert doc["source"] == "cabinet" and doc["ok"] is False
    assert doc["summary"] == "7 checks: 6 passed, 1 failed (joint_sweep: 1 finding)"
    (finding,) = doc["checks"][5]["findings"]
    assert finding["element"] == "door_hinge" and finding["value"] == round(finding["value"], 6)


def test_finding_validates_itself():
    with pytest.raises(ValueError, match="one line"):
        Finding("mass", "b", 0.0, "kg", 1e-15, "two\nlines")


def test_validate_path_on_file_and_twin_directory(tmp_path):
    body = f'<body name="box" pos="0 0 0.095"><freejoint/>{BOX}</body>'
    xml = f"<mujoco><worldbody>{FLOOR}{body}</worldbody></mujoco>"
    (tmp_path / "scene.xml").write_text(xml)
    for target in (tmp_path / "scene.xml", tmp_path, str(tmp_path)):
        report = validate_path(target, settle_time=0.0)
        assert report.source == str(tmp_path / "scene.xml")
        assert _only(report, "penetration").value == pytest.approx(5.0, abs=0.2)


def test_validate_path_reports_parse_warnings_without_printing(tmp_path, capfd):
    path = tmp_path / "nan.xml"
    inertial = '<inertial pos="0 0 0" mass="nan" diaginertia="1 1 1"/>'
    body = f'<body name="b" pos="0 0 0.1"><freejoint/>{inertial}{BOX}</body>'
    path.write_text(f"<mujoco><worldbody>{FLOOR}{body}</worldbody></mujoco>")
    report = validate_path(path, settle_time=0.0)
    assert [f.element for f in report.check("mass").findings] == ["b"]
    assert any("XML contains a 'NaN'" in f.message for f in report.check("compile").findings)
    out, err = capfd.readouterr()
    assert out == "" and err == ""


def test_missing_file_is_an_input_error(tmp_path):
    path = tmp_path / "nope.xml"
    with pytest.raises(InputError) as info:
        validate_path(path)
    assert str(info.value) == f"{path}: no such file; expected an MJCF file or a twin directory containing scene.xml"


def test_directory_without_scene_is_an_input_error(tmp_path):
    with pytest.raises(InputError) as info:
        validate_path(tmp_path)
    assert str(info.value) == (f"{tmp_path}: no scene.xml in this directory; expected an MJCF file or a twin "
                               "directory containing scene.xml")


def test_malformed_xml_is_an_input_error(tmp_path):
    path = tmp_path / "scene.xml"
    path.write_text("<mujoco><worldbody><body></worldbody></mujoco>")
    with pytest.raises(InputError) as info:
        validate_path(tmp_path)
    assert str(info.value) == (
        f"{path}: cannot parse MJCF: XML parse error 14:; Error=XML_ERROR_MISMATCHED_ELEMENT ErrorID=14 (0xe) "
        "Line number=1: XMLElement name=body; expected a MuJoCo XML model")


# ---------------------------------------------------------------------------------------------------------
# Notes: facts that are not defects


def test_notes_say_how_a_file_was_read(tmp_path):
    urdf = tmp_path / "arm.urdf"
    urdf.write_text('<?xml version="1.0"?>\n<robot name="r"><link name="base"/></robot>')
    notes = validate_path(urdf).notes
    assert any(n.startswith("read as URDF through MuJoCo's importer") for n in notes)
    assert "the model has no geoms: there is nothing to collide" in notes

    door = '<body name="d"><joint name="h" axis="0 0 1" range="-90 0"/><geom type="box" size=".1 .1 .1"/></body>'
    degrees = tmp_path / "degrees.xml"
    degrees.write_text(f"<mujoco><worldbody>{door}</worldbody></mujoco>")
    radians = tmp_path / "radians.xml"
    radians.write_text(f'<mujoco><compiler angle="radian"/><worldbody>{door}</worldbody></mujoco>')
    assert any("were read in degrees" in n for n in validate_path(degrees).notes)
    assert validate_path(radians).notes == ()
    assert validate_path(radians).to_dict()["notes"] == []
