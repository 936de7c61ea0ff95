"""twin.usd: UsdPhysics output read back with pxr and compared with MuJoCo's compiled model.

The reader here is independent of the writer: it finds prims by the documented layout, reads values with
plain pxr calls, computes world frames with ``UsdGeom.XformCache`` and compares them with ``mj_kinematics``.
"""

from __future__ import annotations

import math
import sys

import mujoco
import numpy as np
import pytest

pytest.importorskip("pxr")
from pxr import Tf, Usd, UsdGeom, UsdPhysics, UsdShade, UsdUtils, UsdValidation  # noqa: E402

from twin.errors import MissingExtraError, ModelError  # noqa: E402
from twin.usd import write_usd  # noqa: E402

_OBJ = mujoco.mjtObj
TOL = 1e-5  # float32 attributes in the file

BOX_ON_FLOOR = """
<mujoco model="box_on_floor">
  <worldbody>
    <body name="floor" pos="0 0 -0.05"><geom name="floor" type="box" size="2 2 0.05" friction="0.9"/></body>
    <body name="crate" pos="0.3 -0.2 0.25" euler="0 0 20">
      <freejoint/>
      <geom name="crate" type="box" size="0.2 0.15 0.25" mass="3" friction="0.6" rgba="0.8 0.5 0.2 1"/>
    </body>
    <body name="target" mocap="true" pos="1 1 1"><geom type="sphere" size="0.02" contype="0" conaffinity="0"/></body>
  </worldbody>
</mujoco>
"""

CABINET = """
<mujoco model="cabinet">
  <worldbody>
    <geom name="ground" type="plane" size="0 0 0.1"/>
    <body name="frame" pos="1 0.5 0" euler="0 0 30">
      <geom name="post_left" type="box" size="0.05 0.05 1" pos="-0.5 0 1"/>
      <geom name="post_right" type="box" size="0.05 0.05 1" pos="0.5 0 1"/>
      <body name="door" pos="-0.45 0 1" euler="0 0 -10">
        <joint name="door_hinge" type="hinge" axis="0.1 0.2 1" range="-100 5" ref="3" damping="0.5"/>
        <geom name="panel" type="box" size="0.44 0.02 0.9" pos="0.45 0.05 0"/>
        <body name="handle"><geom name="handle" type="cylinder" size="0.015 0.08" pos="0.8 0.1 0"/></body>
      </body>
      <body name="drawer" pos="0 0.3 0.3">
        <joint name="drawer_slide" type="slide" axis="0 1 0.2" range="0 0.4"/>
        <geom name="drawer" type="box" size="0.3 0.2 0.1" friction="0.5"/>
      </body>
      <body name="lamp" pos="0 0 2.1" euler="20 0 0">
        <joint name="lamp_ball" type="ball" range="0 40"/>
        <geom name="lamp" type="capsule" size="0.02 0.1" pos="0 0 -0.1"/>
      </body>
    </body>
  </worldbody>
</mujoco>
"""

ARM = """
<mujoco model="arm">
  <worldbody>
    <body name="base" pos="0 0 0.1">
      <geom name="base" type="cylinder" size="0.1 0.1"/>
      <body name="link1" pos="0 0 0.1">
        <joint name="shoulder" axis="0 0 1" range="-170 170" damping="1.5" armature="0.05" frictionloss="0.3"/>
        <geom name="link1" type="capsule" fromto="0 0 0 0.4 0 0" size="0.04"/>
        <body name="link 2" pos="0.4 0 0">
          <joint name="elbow" axis="0 1 0" range="-120 120" damping="0.8" armature="0.02" frictionloss="0.1"/>
          <geom type="capsule" fromto="0 0 0 0.3 0 0" size="0.03"/>
          <geom name="elbow_cover" type="sphere" size="0.05" contype="0" conaffinity="0" rgba="0.2 0.2 0.9 0.5"/>
          <body name="tool" pos="0.3 0 0" quat="0.7071 0 0.7071 0">
            <geom name="tool" type="box" size="0.02 0.02 0.05" pos="0 0 0.05"/>
          </body>
        </body>
      </body>
    </body>
    <body name="egg" pos="0.6 0.4 0.3">
      <freejoint/>
      <geom name="egg" type="ellipsoid" size="0.05 0.04 0.07" friction="0.4"/>
    </body>
    <body pos="-0.5 0 0.2"><freejoint/><geom type="sphere" size="0.05"/></body>
  </worldbody>
  <actuator>
    <position name="shoulder_servo" joint="shoulder" kp="80" kv="6" gear="2" ctrlrange="-2 2" forcerange="-40 40"/>
    <motor name="elbow_motor" joint="elbow" gear="20" ctrlrange="-1 1"/>
  </actuator>
  <contact><exclude body1="egg" body2="link 2"/></contact>
</mujoco>
"""


def _bin_mesh(a=0.2, b=0.15, h=0.2, t=0.02) -> tuple[np.ndarray, np.ndarray]:
    """A watertight open-top bin: outer box minus a cavity; faces counter-clockwise seen from outside."""
    ring = np.array([(-1, -1), (1, -1), (1, 1), (-1, 1)], dtype=float)
    outer, inner = ring * (a, b), ring * (a - t, b - t)
    verts = np.vstack(
        [
            np.c_[outer, np.zeros(4)],
            np.c_[outer, np.full(4, h)],
            np.c_[inner, np.full(4, h)],
            np.c_[inner, np.full(4, t)],
        ]
    )
    ob, ot, it, ib = (np.arange(4) + 4 * k for k in range(4))
    faces = [(ob[0], ob[2], ob[1]), (ob[0], ob[3], ob[2]), (ib[0], ib[1], ib[2]), (ib[0], ib[2], ib[3])]
    for k in range(4):
        n = (k + 1) % 4
        for lo, hi in ((ob, ot), (ot, it), (it, ib)):  # outer wall, rim, inner wall
            faces += [(lo[k], lo[n], hi[n]), (lo[k], hi[n], hi[k])]
    return verts, np.array(faces)


def _bin_xml() -> str:
    verts, faces = _bin_mesh()
    return f"""
<mujoco model="bin">
  <asset>
    <mesh name="bin" inertia="exact" vertex="{" ".join(f"{v:.6g}" for v in verts.ravel())}"
          face="{" ".join(str(int(f)) for f in faces.ravel())}"/>
  </asset>
  <worldbody>
    <geom name="floor" type="plane" size="1 1 0.1"/>
    <body name="bin" pos="0.1 0.2 0.01" euler="0 0 15">
      <freejoint/>
      <geom name="bin" type="mesh" mesh="bin" friction="0.7" rgba="0.3 0.6 0.3 1"/>
    </body>
  </worldbody>
</mujoco>
"""


SCENES = {"box_on_floor": BOX_ON_FLOOR, "bin": _bin_xml(), "cabinet": CABINET, "arm": ARM}


def _model(name: str) -> mujoco.MjModel:
    return mujoco.MjModel.from_xml_string(SCENES[name])


def _write_and_open(model: mujoco.MjModel, tmp_path, **kwargs) -> Usd.Stage:
    path = tmp_path / "scene.usda"
    write_usd(model, path, **kwargs)
    return Usd.Stage.Open(str(path))


# ---------------------------------------------------------------------------------------------------------
# The independent reader and comparison.


def _name(model, obj, i, fallback):
    name = mujoco.mj_id2name(model, obj, i)
    return Tf.MakeValidIdentifier(name) if name else fallback


def _body_path(model, b) -> str:
    if b == 0:
        return "/World/world"
    root = model.body_rootid[b]
    return (
        f"/World/{_name(model, _OBJ.mjOBJ_BODY, root, f'body_{root}')}/{_name(model, _OBJ.mjOBJ_BODY, b, f'body_{b}')}"
    )


def _geom_path(model, g) -> str:
    return f"{_body_path(model, model.geom_bodyid[g])}/{_name(model, _OBJ.mjOBJ_GEOM, g, f'geom_{g}')}"


def _frame(cache: UsdGeom.XformCache, prim: Usd.Prim) -> tuple[np.ndarray, np.ndarray]:
    """World position (3,) and rotation matrix (3, 3), column-vector convention, scale removed."""
    m = cache.GetLocalToWorldTransform(prim)
    rot = np.array(m.RemoveScaleShear().ExtractRotationMatrix()).T  # USD matrices act on row vectors
    return np.array(m.ExtractTranslation()), rot


def _qmat(q) -> np.ndarray:
    """Rotation matrix of a Gf quaternion."""
    wxyz = np.array([q.GetReal(), *q.GetImaginary()], dtype=float)
    mat = np.zeros(9)
    mujoco.mju_quat2Mat(mat, wxyz / np.linalg.norm(wxyz))
    return mat.reshape(3, 3)


def _close(a, b, tol=TOL) -> bool:
    return bool(np.allclose(np.asarray(a, dtype=float), np.asarray(b, dtype=float), atol=tol, rtol=tol))


def _mj_filters(model, b1, b2) -> bool:
    """MuJoCo's implicit contact filter between two bodies (engine rule, restated)."""
    w1, w2 = model.body_weldid[b1], model.body_weldid[b2]
    if w1 == w2:
        return True
    p1, p2 = model.body_weldid[model.body_parentid[w1]], model.body_weldid[model.body_parentid[w2]]
    return bool(w1 and w2 and (w1 == p2 or w2 == p1))


def compare(stage: Usd.Stage, model: mujoco.MjModel) -> list[str]:
    """Every mismatch between the stage and the compiled model at qpos0, as readable lines."""
    data = mujoco.MjData(model)
    mujoco.mj_kinematics(model, data)
    cache = UsdGeom.XformCache(Usd.TimeCode.Default())
    bad: list[str] = []

    def check(ok, what):
        if not ok:
            bad.append(what)

    check(UsdGeom.GetStageMetersPerUnit(stage) == 1.0, "metersPerUnit")
    check(UsdGeom.GetStageUpAxis(stage) == "Z", "upAxis")
    check(UsdPhysics.GetStageKilogramsPerUnit(stage) == 1.0, "kilogramsPerUnit")
    check(stage.GetDefaultPrim().GetPath() == "/World", "defaultPrim")
    scene = UsdPhysics.Scene(stage.GetPrimAtPath("/World/PhysicsScene"))
    g = scene.GetGravityMagnitudeAttr().Get() * np.array(scene.GetGravityDirectionAttr().Get())
    check(_close(g, model.opt.gravity), f"gravity {g}")

    # Bodies: rigid body + mass properties for moving bodies, none for static structure; world pose.
    joints_by_body1 = {}
    for prim in stage.Traverse():
        if prim.IsA(UsdPhysics.Joint):
            for target in UsdPhysics.Joint(prim).GetBody1Rel().GetTargets():
                joints_by_body1.setdefault(str(target), []).append(prim)
    for b in range(model.nbody):
        prim = stage.GetPrimAtPath(_body_path(model, b))
        if not prim.IsValid():
            bad.append(f"body {b}: no prim at {_body_path(model, b)}")
            continue
        pos, rot = _frame(cache, prim)
        check(_close(pos, data.xpos[b]) and _close(rot, data.xmat[b].reshape(3, 3)), f"body {b}: world pose")
        moving = model.body_weldid[b] != 0 or model.body_mocapid[b] >= 0
        check(prim.HasAPI(UsdPhysics.RigidBodyAPI) == moving, f"body {b}: RigidBodyAPI should be {moving}")
        if not moving:
            continue
        mass = UsdPhysics.MassAPI(prim)
        check(prim.HasAPI(UsdPhysics.MassAPI), f"body {b}: MassAPI")
        check(_close(mass.GetMassAttr().Get(), model.body_mass[b]), f"body {b}: mass")
        check(_close(mass.GetCenterOfMassAttr().Get(), model.body_ipos[b]), f"body {b}: centerOfMass")
        diag = np.array(mass.GetDiagonalInertiaAttr().Get())
        check(_close(diag, model.body_inertia[b]), f"body {b}: diagonalInertia")
        axes = _qmat(mass.GetPrincipalAxesAttr().Get())
        ref = np.zeros(9)
        mujoco.mju_quat2Mat(ref, model.body_iquat[b])
        check(_close(axes, ref.reshape(3, 3)), f"body {b}: principalAxes")
        if model.body_mocapid[b] >= 0:
            check(UsdPhysics.RigidBodyAPI(prim).GetKinematicEnabledAttr().Get() is True, f"body {b}: kinematic")

    # Joints: type, bodies, frames consistent at qpos0, world axis, limits, collision, drives, mjc terms.
    for b in range(1, model.nbody):
        if model.body_weldid[b] == 0:
            continue
        found = joints_by_body1.get(_body_path(model, b), [])
        jnt = model.body_jntadr[b] if model.body_jntnum[b] else -1
        jtype = int(model.jnt_type[jnt]) if jnt >= 0 else None
        if jtype == mujoco.mjtJoint.mjJNT_FREE:
            check(not found, f"body {b}: free body must have no joint")
            continue
        if len(found) != 1:
            bad.append(f"body {b}: {len(found)} joints")
            continue
        prim = found[0]
        joint = UsdPhysics.Joint(prim)
        schema = {
            None: UsdPhysics.FixedJoint,
            int(mujoco.mjtJoint.mjJNT_HINGE): UsdPhysics.RevoluteJoint,
            int(mujoco.mjtJoint.mjJNT_SLIDE): UsdPhysics.PrismaticJoint,
            int(mujoco.mjtJoint.mjJNT_BALL): UsdPhysics.SphericalJoint,
        }[jtype]
        check(prim.IsA(schema), f"body {b}: joint type {prim.GetTypeName()}")
        parent = model.body_parentid[b]
        body0 = [str(t) for t in joint.GetBody0Rel().GetTargets()]
        check(body0 == ([] if parent == 0 else [_body_path(model, parent)]), f"body {b}: body0 {body0}")
        frames = []
        for side, ref_body in ((0, parent), (1, b)):
            if ref_body == 0:
                bpos, brot = np.zeros(3), np.eye(3)
            else:
                bpos, brot = _frame(cache, stage.GetPrimAtPath(_body_path(model, ref_body)))
            lp = np.array(getattr(joint, f"GetLocalPos{side}Attr")().Get())
            lr = _qmat(getattr(joint, f"GetLocalRot{side}Attr")().Get())
            frames.append((bpos + brot @ lp, brot @ lr))
        check(_close(frames[0][0], frames[1][0], 1e-4), f"body {b}: joint anchors disagree")
        check(_close(frames[0][1], frames[1][1], 1e-4), f"body {b}: joint frames disagree")
        check(
            prim.GetAttribute("physics:collisionEnabled").Get() == (not _mj_filters(model, parent, b)),
            f"body {b}: collisionEnabled",
        )
        if jtype is None:
            continue
        check(prim.GetAttribute("physics:axis").Get() == "X", f"joint {jnt}: axis token")
        if jtype != mujoco.mjtJoint.mjJNT_BALL:
            check(_close(frames[0][0], data.xanchor[jnt], 1e-4), f"joint {jnt}: anchor")
            check(_close(frames[0][1][:, 0], data.xaxis[jnt], 1e-4), f"joint {jnt}: world axis")
        _check_limits(prim, model, jnt, jtype, check)
        for term in ("damping", "armature", "frictionloss"):
            value = prim.GetAttribute(f"mjc:{term}").Get()
            check(
                value is not None and _close(value, getattr(model, f"dof_{term}")[model.jnt_dofadr[jnt]]),
                f"joint {jnt}: {term}",
            )
        _check_drive(prim, model, jnt, jtype, check)

    # Geoms: pose, shape, collider, friction.
    for gid in range(model.ngeom):
        _check_geom(stage, cache, model, data, gid, check)

    # Articulation roots on the groups of trees with a hinge/slide/ball joint.
    for root in range(1, model.nbody):
        if model.body_rootid[root] != root:
            continue
        jointed = any(
            model.body_rootid[model.jnt_bodyid[j]] == root and model.jnt_type[j] != mujoco.mjtJoint.mjJNT_FREE
            for j in range(model.njnt)
        )
        group = stage.GetPrimAtPath(_body_path(model, root).rsplit("/", 1)[0])
        check(group.HasAPI(UsdPhysics.ArticulationRootAPI) == jointed, f"tree {root}: ArticulationRootAPI")

    # Contact filtering: USD filters exactly the pairs MuJoCo never collides (<exclude> pairs and its implicit
    # weld/parent rule), through FilteredPairsAPI or a joint with collisionEnabled false.
    path_to_body = {_body_path(model, b): b for b in range(model.nbody)}
    filtered = set()
    for prim in stage.Traverse():
        if prim.HasAPI(UsdPhysics.FilteredPairsAPI):
            for target in UsdPhysics.FilteredPairsAPI(prim).GetFilteredPairsRel().GetTargets():
                filtered.add(frozenset((path_to_body[str(prim.GetPath())], path_to_body[str(target)])))
        if prim.IsA(UsdPhysics.Joint) and not prim.GetAttribute("physics:collisionEnabled").Get():
            joint = UsdPhysics.Joint(prim)
            ends = [
                path_to_body[str(t)] for t in (*joint.GetBody0Rel().GetTargets(), *joint.GetBody1Rel().GetTargets())
            ]
            filtered.add(frozenset(ends if len(ends) == 2 else (0, *ends)))
    excluded = {frozenset((int(sig) >> 16, int(sig) & 0xFFFF)) for sig in model.exclude_signature}
    for b1 in range(model.nbody):
        for b2 in range(b1 + 1, model.nbody):
            if model.body_weldid[b1] == 0 and model.body_weldid[b2] == 0:
                continue  # USD never collides two static bodies; neither does MuJoCo (same weld)
            pair = frozenset((b1, b2))
            want = pair in excluded or _mj_filters(model, b1, b2)
            check((pair in filtered) == want, f"bodies {b1}, {b2}: filtered should be {want}")
    return bad


def _check_limits(prim, model, jnt, jtype, check):
    if jtype == mujoco.mjtJoint.mjJNT_BALL:
        cone = prim.GetAttribute("physics:coneAngle0Limit")
        want = math.degrees(model.jnt_range[jnt, 1]) if model.jnt_limited[jnt] else None
        check((cone.Get() if cone.HasAuthoredValue() else None) == pytest.approx(want), f"joint {jnt}: cone limit")
        return
    lo, hi = prim.GetAttribute("physics:lowerLimit"), prim.GetAttribute("physics:upperLimit")
    if not model.jnt_limited[jnt]:
        check(not lo.HasAuthoredValue() and not hi.HasAuthoredValue(), f"joint {jnt}: unexpected limits")
        return
    # USD joint position 0 is MuJoCo qpos0; revolute limits are degrees, prismatic metres.
    want = model.jnt_range[jnt] - model.qpos0[model.jnt_qposadr[jnt]]
    got = np.array([lo.Get(), hi.Get()])
    if jtype == mujoco.mjtJoint.mjJNT_HINGE:
        got = np.radians(got)
    check(_close(got, want, 1e-5), f"joint {jnt}: limits {got} vs {want}")


def _check_drive(prim, model, jnt, jtype, check):
    acts = [a for a in range(model.nu) if model.actuator_trntype[a] == 0 and model.actuator_trnid[a, 0] == jnt]
    kind = "angular" if jtype == mujoco.mjtJoint.mjJNT_HINGE else "linear"
    if not acts:
        check(not prim.HasAPI(UsdPhysics.DriveAPI, kind), f"joint {jnt}: unexpected drive")
        return
    a = acts[0]
    drive = UsdPhysics.DriveAPI(prim, kind)
    check(prim.HasAPI(UsdPhysics.DriveAPI, kind), f"joint {jnt}: DriveAPI:{kind}")
    gear = model.actuator_gear[a, 0]
    per_deg = math.pi / 180 if kind == "angular" else 1.0
    check(
        _close(drive.GetStiffnessAttr().Get(), -model.actuator_biasprm[a, 1] * gear**2 * per_deg),
        f"joint {jnt}: stiffness",
    )
    check(
        _close(drive.GetDampingAttr().Get(), -model.actuator_biasprm[a, 2] * gear**2 * per_deg), f"joint {jnt}: damping"
    )
    check(drive.GetTypeAttr().Get() == "force", f"joint {jnt}: drive type")
    if model.actuator_forcelimited[a]:
        want = abs(gear) * np.abs(model.actuator_forcerange[a]).max()
    else:
        want = abs(gear * model.actuator_gainprm[a, 0]) * np.abs(model.actuator_ctrlrange[a]).max()
    check(_close(drive.GetMaxForceAttr().Get(), want), f"joint {jnt}: maxForce")
    check(
        prim.GetAttribute("mjc:actuator").Get() == mujoco.mj_id2name(model, _OBJ.mjOBJ_ACTUATOR, a),
        f"joint {jnt}: mjc:actuator",
    )
    check(_close(prim.GetAttribute("mjc:gear").Get(), gear), f"joint {jnt}: mjc:gear")
    check(_close(prim.GetAttribute("mjc:ctrlrange").Get(), model.actuator_ctrlrange[a]), f"joint {jnt}: mjc:ctrlrange")


def _check_geom(stage, cache, model, data, gid, check):
    prim = stage.GetPrimAtPath(_geom_path(model, gid))
    if not prim.IsValid():
        check(False, f"geom {gid}: no prim at {_geom_path(model, gid)}")
        return
    pos, rot = _frame(cache, prim)
    check(
        _close(pos, data.geom_xpos[gid]) and _close(rot, data.geom_xmat[gid].reshape(3, 3)), f"geom {gid}: world pose"
    )
    gtype, size = int(model.geom_type[gid]), model.geom_size[gid]
    G = mujoco.mjtGeom
    if gtype == G.mjGEOM_BOX:
        scale = np.linalg.norm(np.array(cache.GetLocalToWorldTransform(prim))[:3, :3], axis=1)  # row vectors
        half = UsdGeom.Cube(prim).GetSizeAttr().Get() / 2 * scale
        check(prim.IsA(UsdGeom.Cube) and _close(half, size), f"geom {gid}: box half-extents {half}")
    elif gtype == G.mjGEOM_SPHERE:
        check(
            prim.IsA(UsdGeom.Sphere) and _close(UsdGeom.Sphere(prim).GetRadiusAttr().Get(), size[0]),
            f"geom {gid}: sphere",
        )
    elif gtype in (int(G.mjGEOM_CAPSULE), int(G.mjGEOM_CYLINDER)):
        schema = UsdGeom.Capsule if gtype == G.mjGEOM_CAPSULE else UsdGeom.Cylinder
        shape = schema(prim)
        ok = prim.IsA(schema) and shape.GetAxisAttr().Get() == "Z"
        ok = ok and _close([shape.GetRadiusAttr().Get(), shape.GetHeightAttr().Get()], [size[0], 2 * size[1]])
        check(ok, f"geom {gid}: {schema.__name__}")
    elif gtype == G.mjGEOM_PLANE:
        check(prim.IsA(UsdGeom.Plane) and UsdGeom.Plane(prim).GetAxisAttr().Get() == "Z", f"geom {gid}: plane")
    elif gtype == G.mjGEOM_ELLIPSOID:
        pts = np.array(UsdGeom.Mesh(prim).GetPointsAttr().Get())
        check(_close(np.abs(pts).max(axis=0), size), f"geom {gid}: ellipsoid extents")
    elif gtype == G.mjGEOM_MESH:
        mid = model.geom_dataid[gid]
        va, vn, fa, fn = (
            model.mesh_vertadr[mid],
            model.mesh_vertnum[mid],
            model.mesh_faceadr[mid],
            model.mesh_facenum[mid],
        )
        mesh = UsdGeom.Mesh(prim)
        check(_close(np.array(mesh.GetPointsAttr().Get()), model.mesh_vert[va : va + vn]), f"geom {gid}: mesh points")
        idx = np.array(mesh.GetFaceVertexIndicesAttr().Get()).reshape(-1, 3)
        check(np.array_equal(idx, model.mesh_face[fa : fa + fn]), f"geom {gid}: mesh faces")
    collides = bool(model.geom_contype[gid] or model.geom_conaffinity[gid])
    check(prim.HasAPI(UsdPhysics.CollisionAPI) == collides, f"geom {gid}: CollisionAPI should be {collides}")
    color = prim.GetAttribute("primvars:displayColor").Get()
    check(color is not None and _close(color[0], model.geom_rgba[gid, :3]), f"geom {gid}: displayColor")
    if not collides:
        return
    if gtype in (int(G.mjGEOM_MESH), int(G.mjGEOM_ELLIPSOID)):
        approx = UsdPhysics.MeshCollisionAPI(prim).GetApproximationAttr().Get()
        check(approx == "convexHull", f"geom {gid}: approximation {approx}")
    material, _ = UsdShade.MaterialBindingAPI(prim).ComputeBoundMaterial("physics")
    if not material:
        check(False, f"geom {gid}: no physics material")
        return
    api = UsdPhysics.MaterialAPI(material.GetPrim())
    friction = [api.GetStaticFrictionAttr().Get(), api.GetDynamicFrictionAttr().Get()]
    check(_close(friction, [model.geom_friction[gid, 0]] * 2), f"geom {gid}: friction {friction}")
    check(api.GetRestitutionAttr().Get() == 0.0, f"geom {gid}: restitution")


def validation_problems(stage: Usd.Stage, path) -> list[str]:
    """Errors from every registered UsdValidation validator, and from ComplianceChecker where it exists."""
    validators = UsdValidation.ValidationRegistry().GetOrLoadAllValidators()
    problems = [
        f"{e.GetValidator().GetMetadata().name}: {e.GetName()}: {e.GetMessage()}"
        for e in UsdValidation.ValidationContext(validators).Validate(stage)
        if e.GetType() != UsdValidation.ValidationErrorType.None_
    ]
    checker_cls = getattr(UsdUtils, "ComplianceChecker", None)  # removed from usd-core by 26.11
    if checker_cls is not None:
        checker = checker_cls()
        checker.CheckCompliance(str(path))
        problems += [*checker.GetErrors(), *checker.GetFailedChecks()]
    return problems


# ---------------------------------------------------------------------------------------------------------
# Tests.


@pytest.mark.parametrize("scene", sorted(SCENES))
def test_stage_matches_compiled_model(scene, tmp_path):
    model = _model(scene)
    stage = _write_and_open(model, tmp_path)
    assert compare(stage, model) == []
    assert validation_problems(stage, tmp_path / "scene.usda") == []


def test_comparison_flags_a_wrong_mass_and_a_wrong_axis(tmp_path):
    model = _model("cabinet")
    stage = _write_and_open(model, tmp_path)
    door = mujoco.mj_name2id(model, _OBJ.mjOBJ_BODY, "door")
    model.body_mass[door] *= 1.1
    hinge = mujoco.mj_name2id(model, _OBJ.mjOBJ_JOINT, "door_hinge")
    model.jnt_axis[hinge] = (1.0, 0.0, 0.0)
    assert compare(stage, model) == [f"body {door}: mass", f"joint {hinge}: world axis"]


def test_layout_statics_and_names(tmp_path):
    stage = _write_and_open(_model("arm"), tmp_path)
    assert stage.GetPrimAtPath("/World/base/link_2").HasAPI(UsdPhysics.RigidBodyAPI)  # "link 2" sanitized
    assert stage.GetPrimAtPath("/World/base/link_2").GetAttribute("mjc:name").Get() == "link 2"
    assert not stage.GetPrimAtPath("/World/base/base").HasAPI(UsdPhysics.RigidBodyAPI)  # welded to world
    assert stage.GetPrimAtPath("/World/body_6/body_6/geom_6").IsA(UsdGeom.Sphere)  # unnamed body and geom
    for prim in stage.Traverse():  # flat: no rigid body below another
        if prim.HasAPI(UsdPhysics.RigidBodyAPI):
            assert not any(p.HasAPI(UsdPhysics.RigidBodyAPI) for p in _ancestors(prim)), prim.GetPath()


def _ancestors(prim):
    prim = prim.GetParent()
    while prim and not prim.IsPseudoRoot():
        yield prim
        prim = prim.GetParent()


def test_joint_terms_and_drive_law_match_mujoco(tmp_path):
    """The drive's torque at a test state equals MuJoCo's actuator torque (gear, per-degree gains, target)."""
    model = _model("arm")
    stage = _write_and_open(model, tmp_path)
    joint = stage.GetPrimAtPath("/World/base/Joints/shoulder")
    assert joint.GetAttribute("mjc:armature").Get() == pytest.approx(0.05)
    assert joint.GetAttribute("mjc:damping").Get() == pytest.approx(1.5)
    assert joint.GetAttribute("mjc:frictionloss").Get() == pytest.approx(0.3)
    drive = UsdPhysics.DriveAPI(joint, "angular")
    data = mujoco.MjData(model)
    q, qd = 0.05, -0.2  # rad, rad/s: inside the force limit
    data.qpos[model.jnt_qposadr[0]], data.qvel[model.jnt_dofadr[0]] = q, qd
    mujoco.mj_forward(model, data)
    target = drive.GetTargetPositionAttr().Get() or 0.0
    usd_torque = drive.GetStiffnessAttr().Get() * (
        target - math.degrees(q)
    ) - drive.GetDampingAttr().Get() * math.degrees(qd)
    assert usd_torque == pytest.approx(data.qfrc_actuator[model.jnt_dofadr[0]], rel=1e-5)
    assert not stage.GetPrimAtPath("/World/base/Joints/elbow").HasAPI(UsdPhysics.DriveAPI, "linear")
    motor = UsdPhysics.DriveAPI(stage.GetPrimAtPath("/World/base/Joints/elbow"), "angular")
    assert (motor.GetStiffnessAttr().Get(), motor.GetDampingAttr().Get()) == (0.0, 0.0)
    assert motor.GetMaxForceAttr().Get() == pytest.approx(20.0)  # |ctrl| <= 1 times gear 20


def test_exclude_signature_holds_body_ids():
    model = mujoco.MjModel.from_xml_string(ARM)
    (sig,) = model.exclude_signature
    names = {mujoco.mj_id2name(model, _OBJ.mjOBJ_BODY, i) for i in (int(sig) >> 16, int(sig) & 0xFFFF)}
    assert names == {"egg", "link 2"}


def test_collision_enabled_follows_mujoco_contacts(tmp_path):
    """MuJoCo collides a door with its static frame but not two jointed moving links; USD joints agree."""
    xml = """
    <mujoco><worldbody>
      <body name="frame"><geom type="box" size="0.5 0.5 0.5"/>
        <body name="door"><joint name="hinge" axis="0 0 1"/><geom type="box" size="0.3 0.3 0.3" pos="0.4 0 0"/>
          <body name="flap">
            <joint name="flap_hinge" axis="0 1 0"/><geom type="box" size="0.3 0.3 0.3" pos="0.5 0 0"/>
          </body>
        </body>
      </body>
    </worldbody></mujoco>"""
    model = mujoco.MjModel.from_xml_string(xml)
    data = mujoco.MjData(model)
    mujoco.mj_forward(model, data)
    touching = {frozenset(model.geom_bodyid[c.geom]) for c in data.contact[: data.ncon]}
    assert touching == {frozenset((1, 2)), frozenset((1, 3))}  # frame-door, frame-flap; never door-flap
    stage = _write_and_open(model, tmp_path)
    assert stage.GetPrimAtPath("/World/frame/Joints/hinge").GetAttribute("physics:collisionEnabled").Get() is True
    assert stage.GetPrimAtPath("/World/frame/Joints/flap_hinge").GetAttribute("physics:collisionEnabled").Get() is False


def test_output_is_deterministic_and_holds_no_paths(tmp_path):
    model = _model("arm")
    write_usd(model, tmp_path / "a.usda")
    write_usd(model, tmp_path / "b.usda")
    text = (tmp_path / "a.usda").read_text()
    assert text == (tmp_path / "b.usda").read_text()
    assert str(tmp_path) not in text and "doc =" not in text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.usda", "b.usda"]  # no temporary leftovers


def test_meshes_dir_writes_referenced_layers(tmp_path):
    model = _model("bin")
    stage = _write_and_open(model, tmp_path, meshes_dir="meshes")
    text = (tmp_path / "scene.usda").read_text()
    assert "@./meshes/bin.usda@" in text and "point3f[] points" not in text
    assert (tmp_path / "meshes" / "bin.usda").is_file()
    assert compare(stage, model) == []
    assert validation_problems(stage, tmp_path / "scene.usda") == []


def test_bin_fixture_has_exact_inertia():
    """The hand-built bin is watertight and outward-facing: exact inertia gives the shell's true mass."""
    model = _model("bin")
    volume = 0.4 * 0.3 * 0.2 - 0.36 * 0.26 * 0.18
    assert model.body_mass[1] == pytest.approx(1000 * volume, rel=1e-6)


def test_missing_pxr_names_the_extra(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "pxr.Usd", None)
    with pytest.raises(MissingExtraError, match=r"pip install 'twin-builder\[usd\]'"):
        write_usd(_model("box_on_floor"), tmp_path / "scene.usda")
    assert not (tmp_path / "scene.usda").exists()


def test_unmapped_geometry_and_multi_joint_bodies_are_refused(tmp_path):
    hfield = """<mujoco><asset><hfield name="h" nrow="2" ncol="2" size="1 1 0.1 0.1"/></asset>
      <worldbody><geom name="terrain" type="hfield" hfield="h"/></worldbody></mujoco>"""
    with pytest.raises(ModelError) as err:
        write_usd(mujoco.MjModel.from_xml_string(hfield), tmp_path / "h.usda")
    assert str(err.value) == (
        "geom 'terrain' has type hfield; the USD writer maps plane, sphere, capsule, ellipsoid, cylinder, box "
        "and mesh geoms"
    )
    gimbal = """<mujoco><worldbody><body name="gimbal"><joint axis="1 0 0"/><joint axis="0 1 0"/>
      <geom size="0.1"/></body></worldbody></mujoco>"""
    with pytest.raises(ModelError) as err:
        write_usd(mujoco.MjModel.from_xml_string(gimbal), tmp_path / "g.usda")
    assert str(err.value) == (
        "body 'gimbal' has 2 joints; the USD writer maps one joint per body (split the body into a chain with one "
        "joint each)"
    )
    assert not any(tmp_path.iterdir())


def test_clashing_names_are_made_unique(tmp_path):
    xml = """<mujoco><worldbody><body name="rack">
      <body name="a b"><joint axis="0 0 1"/><geom size="0.1"/></body>
      <body name="a_b"><joint axis="0 0 1"/><geom size="0.1"/></body>
    </body></worldbody></mujoco>"""
    stage = _write_and_open(mujoco.MjModel.from_xml_string(xml), tmp_path)
    names = [stage.GetPrimAtPath(p).GetAttribute("mjc:name").Get() for p in ("/World/rack/a_b", "/World/rack/a_b_1")]
    assert names == ["a b", "a_b"]


def test_actuators_without_a_drive_are_listed(tmp_path):
    xml = """<mujoco><worldbody><body name="b"><joint name="j" axis="0 1 0"/><geom size="0.1"/><site name="s"/>
      </body></worldbody>
      <actuator>
        <general name="affine_gain" joint="j" gaintype="affine" gainprm="1 2 0"/>
        <motor name="site_motor" site="s" gear="0 0 0 0 0 1"/>
      </actuator></mujoco>"""
    stage = _write_and_open(mujoco.MjModel.from_xml_string(xml), tmp_path)
    assert list(stage.GetPrimAtPath("/World").GetAttribute("mjc:unmappedActuators").Get()) == [
        "affine_gain",
        "site_motor",
    ]
    joint = stage.GetPrimAtPath("/World/b/Joints/j")
    assert joint.GetAttribute("mjc:actuator").Get() == "affine_gain"
    assert not joint.HasAPI(UsdPhysics.DriveAPI, "angular")


def test_two_actuators_on_one_joint_are_refused(tmp_path):
    xml = """<mujoco><worldbody><body><joint name="j"/><geom size="0.1"/></body></worldbody>
      <actuator><position joint="j" kp="1"/><velocity joint="j" kv="1"/></actuator></mujoco>"""
    with pytest.raises(ModelError, match="^joint 'j' is driven by more than one actuator; the USD writer maps one"):
        write_usd(mujoco.MjModel.from_xml_string(xml), tmp_path / "scene.usda")
