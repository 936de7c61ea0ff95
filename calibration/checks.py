"""Checks of logs against a model: units, length, excitation. Errors stop; warnings go to the report.

Each warning says which parameters the data cannot pin down and why, so a user can log a better trajectory.
"""

from __future__ import annotations

import functools
import math

import mujoco
import numpy as np

from calibration.errors import ShortLogError, UnitError
from calibration.parameters import ParameterSet
from calibration.signals import Smoothed
from calibration.trajectory import Trajectory

MIN_SPEED = 0.01
"""RMS joint speed (rad/s or m/s) below which a joint counts as not moving."""
MIN_ACCELERATION = 0.05
"""RMS joint acceleration (rad/s^2 or m/s^2) below which armature is not excited."""
MIN_SEGMENTS = 2
SHORT_SEGMENTS = 10


def check_units(log: Trajectory, model: mujoco.MjModel) -> list[str]:
    """Raise :class:`UnitError` for hinge positions that are clearly degrees; warn about values out of range."""
    warnings = []
    for i, name in enumerate(log.joints):
        joint = mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_JOINT, name)
        if joint < 0 or int(model.jnt_type[joint]) != int(mujoco.mjtJoint.mjJNT_HINGE):
            continue  # unknown joints are reported, with the model's list, when the replay is prepared
        lo, hi = float(log.q[:, i].min()), float(log.q[:, i].max())
        limited = bool(model.jnt_limited[joint])
        low, high = model.jnt_range[joint] if limited else (-math.inf, math.inf)
        if max(abs(lo), abs(hi)) > 2 * math.pi + 0.1:
            as_rad = (math.radians(lo), math.radians(hi))
            fits = as_rad[0] >= low - 0.05 and as_rad[1] <= high + 0.05 if limited else max(map(abs, as_rad)) <= 2 * math.pi
            if fits:
                raise UnitError(
                    f"spans {lo:.4g} to {hi:.4g}, more than a turn: it looks like degrees, but hinge joints need radians; "
                    f"convert it or set scale = {math.pi / 180:.10g} in a column map (--columns)",
                    log.source or None,
                    f"q.{name}",
                )
        if limited and (lo < low - 0.05 or hi > high + 0.05):
            warnings.append(
                f"{log.source}: column 'q.{name}' spans {lo:.4g} to {hi:.4g}, outside the joint's range "
                f"[{low:.4g}, {high:.4g}]: check the units and the joint zero"
            )
    return warnings


MIN_SAMPLES_PER_SEGMENT = 4
"""A segment needs this many samples to constrain its start state and the parameters."""


def check_length(log: Trajectory, segment: float) -> list[str]:
    """Raise :class:`ShortLogError` for logs shorter than two segments or sampled too slowly for a segment
    to hold samples (time in milliseconds); warn for fewer than ten segments."""
    if log.dt * MIN_SAMPLES_PER_SEGMENT > segment:
        raise ShortLogError(
            f"samples come every {log.dt:.3g} s, too slowly for {segment:.3g} s segments (at least "
            f"{MIN_SAMPLES_PER_SEGMENT} samples each); is the time column in milliseconds? It must be in seconds",
            log.source or None,
        )
    need = MIN_SEGMENTS * segment
    if log.duration < need:
        raise ShortLogError(
            f"the log is {log.duration:.3g} s long ({log.n_samples} samples); sysid needs at least {need:.3g} s "
            f"({MIN_SEGMENTS} segments of {segment:.3g} s)",
            log.source or None,
        )
    if log.duration < SHORT_SEGMENTS * segment:
        return [f"{log.source}: only {log.duration:.3g} s of data ({int(log.duration / segment)} segments): expect wide intervals"]
    return []


def check_excitation(logs: list[Trajectory], smoothed: list[Smoothed], params: ParameterSet) -> list[str]:
    """Warn, per joint, which fitted parameters the logged motion cannot identify."""
    joints = logs[0].joints
    dq = np.concatenate([s.dq for s in smoothed])
    ddq = np.concatenate([s.ddq for s in smoothed])
    fitted = {(p.element, p.attribute) for p in params if p.kind == "joint"}
    warnings = []

    def names_for(joint: str, attrs: tuple[str, ...]) -> list[str]:
        return [f"joint/{joint}/{a}" for a in attrs if (joint, a) in fitted]

    for i, joint in enumerate(joints):
        names = functools.partial(names_for, joint)
        speed = float(np.sqrt(np.mean(dq[:, i] ** 2)))
        if speed < MIN_SPEED and names(("damping", "frictionloss", "armature")):
            warnings.append(
                f"joint '{joint}' barely moves (RMS speed {speed:.2g}): "
                f"{', '.join(names(('damping', 'frictionloss', 'armature')))} cannot be identified from these logs"
            )
            continue
        moving = np.abs(dq[:, i]) > MIN_SPEED
        reversals = int(np.count_nonzero(np.diff(np.sign(dq[moving, i])) != 0))
        if reversals < 2 and names(("frictionloss",)):
            warnings.append(
                f"joint '{joint}' reverses direction {reversals} time(s): {names(('frictionloss',))[0]} is confounded "
                "with a constant torque; log motion in both directions"
            )
        accel = float(np.sqrt(np.mean(ddq[:, i] ** 2)))
        if accel < MIN_ACCELERATION and names(("armature",)):
            warnings.append(f"joint '{joint}' barely accelerates (RMS {accel:.2g}): {names(('armature',))[0]} cannot be identified")
    for p in params:
        if p.kind == "geom":
            warnings.append(f"{p.name}: joint logs do not excite contact friction; it keeps its nominal value unless contacts occur in the logs")
    return warnings


FROZEN_RATIO = 100.0
"""An armature above this multiple of the joint's whole nominal inertia is reported as freezing the joint."""


def check_frozen(model: mujoco.MjModel, joints: tuple[str, ...], q_mean: np.ndarray, params: ParameterSet, values: np.ndarray) -> list[str]:
    """Warn about fitted armatures that dwarf the joint's inertia (the fit froze the joint instead of explaining it).

    A joint whose logged torque does not explain its motion is predicted best by "keeps its velocity", which a
    huge armature imitates; the number is then no physical inertia.
    """
    data = mujoco.MjData(model)
    for name, q in zip(joints, q_mean):
        data.qpos[model.jnt_qposadr[mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_JOINT, name)]] = q
    mujoco.mj_forward(model, data)
    inertia = np.zeros((model.nv, model.nv))
    mujoco.mj_fullM(model, data, inertia)
    out = []
    for p, value in zip(params, values):
        if p.kind != "joint" or p.attribute != "armature":
            continue
        dof = model.jnt_dofadr[mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_JOINT, p.element)]
        if value > FROZEN_RATIO * inertia[dof, dof]:
            out.append(
                f"{p.name} = {value:.3g} {p.unit} is {value / inertia[dof, dof]:.0f}x the joint's nominal inertia "
                f"({inertia[dof, dof]:.3g} {p.unit}): the fit freezes the joint, which means the logged torque does not "
                "explain its motion (torque scale, sign or delay, unmodelled friction, or a wrong mass that is not fitted: add body/<name>/mass to --params); do not trust this joint's values"
            )
    return out
