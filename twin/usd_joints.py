"""MuJoCo joints and joint actuators as UsdPhysics joints and drives.

Imported by :mod:`twin.usd` only after the ``usd`` extra has been checked, so ``pxr`` is imported at the top.
Each joint frame has its X axis along the MuJoCo joint axis (UsdPhysics axes are the tokens X/Y/Z) and its
origin at the joint anchor; ``localPos0/localRot0`` and ``localPos1/localRot1`` give that frame in the parent's
and the child's body frame, computed from the same world frame at ``qpos0`` so the two agree. A USD joint
position of 0 is therefore MuJoCo's ``qpos0`` (the joint's ``ref``); limits and targets are shifted by it.
"""

from __future__ import annotations

import math

import mujoco
import numpy as np
from pxr import Gf, Sdf, Usd, UsdGeom, UsdPhysics

from twin.errors import ModelError
from twin.usd_prims import PrimNames, mj_name, quat_x_to, quatf, relative_pose, set_custom, vec3f

# Plain ints: a mujoco enum compared with a numpy integer is never equal (enum == np.int32 is False).
_FREE, _BALL, _SLIDE, _HINGE = (int(getattr(mujoco.mjtJoint, f"mjJNT_{k}")) for k in ("FREE", "BALL", "SLIDE", "HINGE"))
_OBJ = mujoco.mjtObj


def contact_filtered(model: mujoco.MjModel, body1: int, body2: int) -> bool:
    """Whether MuJoCo's implicit rules keep bodies ``body1`` and ``body2`` from ever colliding.

    Bodies on the same weld (rigidly attached, including two world-welded bodies) never collide; with
    ``filterparent`` on (the default), neither do a weld and its parent weld, unless one of them is welded
    to the world: a door still collides with the static frame it hangs on (checked with mujoco 4.0).
    """
    weld, parent = model.body_weldid, model.body_parentid
    w1, w2 = weld[body1], weld[body2]
    if w1 == w2:
        return True
    if model.opt.disableflags & mujoco.mjtDisableBit.mjDSBL_FILTERPARENT or w1 == 0 or w2 == 0:
        return False
    return bool(w1 == weld[parent[w2]] or w2 == weld[parent[w1]])


def write_joints(
    stage: Usd.Stage,
    model: mujoco.MjModel,
    data: mujoco.MjData,
    body_paths: list[str],
    group_paths: list[str],
    names: PrimNames,
) -> set[tuple[int, int]]:
    """Write one joint prim per moving body that is not free, under ``<tree group>/Joints``.

    Args:
        stage: The stage being written.
        model: The compiled model.
        data: Data at ``qpos0`` after ``mj_kinematics`` (``xpos``, ``xquat``, ``xanchor``, ``xaxis``).
        body_paths: Prim path of each body, indexed by body id.
        group_paths: Prim path of each body's kinematic-tree group, indexed by body id.
        names: The prim name allocator.

    Returns:
        The (parent, child) body pairs whose joint disables contacts between them.

    Raises:
        ModelError: For a body with more than one joint, or a joint driven by more than one actuator.
    """
    actuators = _joint_actuators(model)
    disabled: set[tuple[int, int]] = set()
    scopes: dict[str, str] = {}
    for body in range(1, model.nbody):
        if model.body_weldid[body] == 0 or _is_free(model, body):
            continue  # static structure, or a free rigid body (no joint prim)
        if model.body_jntnum[body] > 1:
            raise ModelError(
                f"body '{_body_name(model, body)}' has {model.body_jntnum[body]} joints; the USD writer maps one "
                "joint per body (split the body into a chain with one joint each)"
            )
        group = group_paths[body]
        if group not in scopes:
            scopes[group] = names.child(group, "Joints", "Joints")
            UsdGeom.Scope.Define(stage, scopes[group])
        jnt = int(model.body_jntadr[body]) if model.body_jntnum[body] else -1
        jname = mj_name(model, _OBJ.mjOBJ_JOINT, jnt) if jnt >= 0 else f"{_body_name(model, body)}_fixed"
        path = names.child(scopes[group], jname, f"joint_{jnt}" if jnt >= 0 else f"fixed_{body}")
        parent = int(model.body_parentid[body])
        joint = _define(stage, model, data, path, jnt, parent, body)
        joint.CreateBody1Rel().SetTargets([Sdf.Path(body_paths[body])])
        if parent != 0:
            joint.CreateBody0Rel().SetTargets([Sdf.Path(body_paths[parent])])
        # USD filters contacts between jointed bodies unless collisionEnabled; mirror MuJoCo's rule instead.
        filtered = contact_filtered(model, parent, body)
        joint.CreateCollisionEnabledAttr(not filtered)
        if filtered:
            disabled.add((parent, body))
        if jnt >= 0:
            if name := mj_name(model, _OBJ.mjOBJ_JOINT, jnt):
                set_custom(joint.GetPrim(), "mjc:name", Sdf.ValueTypeNames.String, name)
            _write_dof_terms(joint.GetPrim(), model, jnt)
            if jnt in actuators:
                _write_drive(joint.GetPrim(), model, jnt, actuators[jnt])
    return disabled


def _is_free(model: mujoco.MjModel, body: int) -> bool:
    return model.body_jntnum[body] == 1 and int(model.jnt_type[model.body_jntadr[body]]) == _FREE


def _body_name(model: mujoco.MjModel, body: int) -> str:
    return mj_name(model, _OBJ.mjOBJ_BODY, body) or f"body_{body}"


def _define(
    stage: Usd.Stage, model: mujoco.MjModel, data: mujoco.MjData, path: str, jnt: int, parent: int, body: int
) -> UsdPhysics.Joint:
    """Define the joint prim and its two local frames; limits in degrees (hinge, ball) or metres (slide)."""
    jtype = int(model.jnt_type[jnt]) if jnt >= 0 else None
    if jtype in (_HINGE, _SLIDE):
        anchor, frame = data.xanchor[jnt], quat_x_to(data.xaxis[jnt])
    else:  # fixed (welded to a moving parent) or ball: the child's body frame
        anchor, frame = data.xpos[body], data.xquat[body]
    if jtype is None:
        joint = UsdPhysics.FixedJoint.Define(stage, path)
    elif jtype == _HINGE:
        joint = UsdPhysics.RevoluteJoint.Define(stage, path)
    elif jtype == _SLIDE:
        joint = UsdPhysics.PrismaticJoint.Define(stage, path)
    else:
        joint = UsdPhysics.SphericalJoint.Define(stage, path)
    for side, ref_body in ((0, parent), (1, body)):
        pos, quat = relative_pose(data.xpos[ref_body], data.xquat[ref_body], anchor, frame)
        getattr(joint, f"CreateLocalPos{side}Attr")(vec3f(pos))
        getattr(joint, f"CreateLocalRot{side}Attr")(quatf(quat))
    if jtype is None:
        return joint
    joint.CreateAxisAttr(UsdPhysics.Tokens.x)
    if model.jnt_limited[jnt]:
        lo, hi = model.jnt_range[jnt]
        if jtype == _BALL:
            # MuJoCo limits the total rotation angle; a swing cone of that angle is the nearest UsdPhysics limit.
            joint.CreateConeAngle0LimitAttr(math.degrees(hi))
            joint.CreateConeAngle1LimitAttr(math.degrees(hi))
        else:
            ref = model.qpos0[model.jnt_qposadr[jnt]]
            unit = math.degrees if jtype == _HINGE else float
            joint.CreateLowerLimitAttr(unit(lo - ref))
            joint.CreateUpperLimitAttr(unit(hi - ref))
    return joint


def _write_dof_terms(prim: Usd.Prim, model: mujoco.MjModel, jnt: int) -> None:
    """Damping (N m s/rad or N s/m), armature (kg m^2 or kg) and frictionloss (N m or N) as ``mjc:*``."""
    dof = model.jnt_dofadr[jnt]
    for term in ("damping", "armature", "frictionloss"):
        set_custom(prim, f"mjc:{term}", Sdf.ValueTypeNames.Float, float(getattr(model, f"dof_{term}")[dof]))


def _joint_actuators(model: mujoco.MjModel) -> dict[int, int]:
    """Joint id -> the actuator that drives it through a joint transmission."""
    by_joint: dict[int, int] = {}
    for act in range(model.nu):
        if int(model.actuator_trntype[act]) != mujoco.mjtTrn.mjTRN_JOINT:
            continue
        jnt = int(model.actuator_trnid[act, 0])
        if jnt in by_joint:
            raise ModelError(
                f"joint '{mj_name(model, _OBJ.mjOBJ_JOINT, jnt) or jnt}' is driven by more than one actuator; "
                "the USD writer maps one drive per joint"
            )
        by_joint[jnt] = act
    return by_joint


def drive_mapped(model: mujoco.MjModel, act: int) -> bool:
    """Whether actuator ``act`` becomes a ``DriveAPI``: a fixed-gain law on a hinge or slide joint."""
    if int(model.actuator_trntype[act]) != mujoco.mjtTrn.mjTRN_JOINT:
        return False
    jtype = int(model.jnt_type[model.actuator_trnid[act, 0]])
    return jtype in (_HINGE, _SLIDE) and drive_gains(model, act) is not None


def drive_gains(model: mujoco.MjModel, act: int) -> tuple[float, float] | None:
    """Joint-space stiffness and damping of a fixed-gain actuator, ``None`` for other gain/bias types.

    The actuator force is ``gain * ctrl + b1 * gear * q + b2 * gear * qdot`` and reaches the joint times
    ``gear``, so the joint sees stiffness ``-b1 * gear**2`` (N m/rad or N/m) and damping ``-b2 * gear**2``.
    """
    if int(model.actuator_gaintype[act]) != mujoco.mjtGain.mjGAIN_FIXED:
        return None
    biastype = int(model.actuator_biastype[act])
    if biastype == mujoco.mjtBias.mjBIAS_NONE:
        return 0.0, 0.0
    if biastype != mujoco.mjtBias.mjBIAS_AFFINE:
        return None
    gear = float(model.actuator_gear[act, 0])
    return -float(model.actuator_biasprm[act, 1]) * gear**2, -float(model.actuator_biasprm[act, 2]) * gear**2


def _write_drive(prim: Usd.Prim, model: mujoco.MjModel, jnt: int, act: int) -> None:
    """A ``DriveAPI`` (type force) for the joint's actuator, plus its ``mjc:*`` data."""
    name = mj_name(model, _OBJ.mjOBJ_ACTUATOR, act) or f"actuator_{act}"
    set_custom(prim, "mjc:actuator", Sdf.ValueTypeNames.String, name)
    gear = float(model.actuator_gear[act, 0])
    set_custom(prim, "mjc:gear", Sdf.ValueTypeNames.Float, gear)
    if model.actuator_ctrllimited[act]:
        set_custom(
            prim, "mjc:ctrlrange", Sdf.ValueTypeNames.Float2, Gf.Vec2f(*map(float, model.actuator_ctrlrange[act]))
        )
    if model.actuator_forcelimited[act]:
        set_custom(
            prim, "mjc:forcerange", Sdf.ValueTypeNames.Float2, Gf.Vec2f(*map(float, model.actuator_forcerange[act]))
        )
    if not drive_mapped(model, act):
        return  # not a PD law on a hinge/slide (muscle, ball joint...): mjc:* only, listed as unmapped
    gains = drive_gains(model, act)
    angular = int(model.jnt_type[jnt]) == _HINGE
    # UsdPhysics angular drives work in degrees: per-radian gains become per-degree gains.
    per_unit = math.pi / 180.0 if angular else 1.0
    drive = UsdPhysics.DriveAPI.Apply(prim, UsdPhysics.Tokens.angular if angular else UsdPhysics.Tokens.linear)
    drive.CreateTypeAttr(UsdPhysics.Tokens.force)
    drive.CreateStiffnessAttr(gains[0] * per_unit)
    drive.CreateDampingAttr(gains[1] * per_unit)
    if gains[0] != 0.0:
        # With ctrl = 0 a position actuator holds q = 0, which is -ref in the USD joint's coordinates.
        ref = float(model.qpos0[model.jnt_qposadr[jnt]])
        drive.CreateTargetPositionAttr(math.degrees(-ref) if angular else -ref)
    bound = _max_force(model, jnt, act)
    if bound is not None:
        drive.CreateMaxForceAttr(bound)


def _max_force(model: mujoco.MjModel, jnt: int, act: int) -> float | None:
    """Largest joint torque (N m) or force (N) the actuator can apply, ``None`` if unbounded."""
    gear = abs(float(model.actuator_gear[act, 0]))
    bounds = []
    if model.actuator_forcelimited[act]:
        bounds.append(gear * float(np.abs(model.actuator_forcerange[act]).max()))
    elif int(model.actuator_biastype[act]) == mujoco.mjtBias.mjBIAS_NONE and model.actuator_ctrllimited[act]:
        # A motor's force is gain * ctrl, bounded by the control range.
        gain = abs(float(model.actuator_gainprm[act, 0]))
        bounds.append(gear * gain * float(np.abs(model.actuator_ctrlrange[act]).max()))
    if model.jnt_actfrclimited[jnt]:
        bounds.append(float(np.abs(model.jnt_actfrcrange[jnt]).max()))
    return min(bounds) if bounds else None
