"""How a model replays a log: the model file, the inputs it is driven by, and the timestep it runs at.

With ``ctrl.*`` columns the model's own actuators are driven by the logged controls. Without them the logged
joint torques are applied directly: ``ctrl = tau / (gain * gear)`` for a motor on that joint (a plain
``<motor>``-like actuator whose range holds the logged torque), else ``qfrc_applied``; the model's other
actuators are switched off. The timestep becomes the log's period divided by a whole number of substeps (the
fewest that keep it at or below the model's), so the inputs change exactly at the log's ticks and are held in
between, as a controller holds them. The notes say which of all this happened.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from pathlib import Path

import mujoco
import numpy as np

from calibration.errors import UnknownNameError
from calibration.trajectory import Trajectory
from twin.errors import InputError, ModelError

CONTROL_SPEC = int(mujoco.mjtState.mjSTATE_CTRL | mujoco.mjtState.mjSTATE_QFRC_APPLIED)
"""What a control vector of :func:`control_array` holds: ``ctrl`` (nu) then ``qfrc_applied`` (nv)."""
STATE_SPEC = int(mujoco.mjtState.mjSTATE_FULLPHYSICS)
"""What a state vector holds (time, qpos, qvel, act, ...)."""


def load_model(path: str | Path) -> tuple[mujoco.MjSpec, mujoco.MjModel]:
    """Read an MJCF (``.xml``) or URDF (``.urdf``) file; raise :class:`ModelError` naming the file."""
    path = Path(path)
    if path.suffix.lower() not in (".xml", ".urdf", ".mjcf"):
        raise InputError("has an unknown suffix; expected an MJCF .xml or a .urdf file", path)
    if not path.is_file():
        raise InputError("does not exist or is not a file", path)
    try:
        spec = mujoco.MjSpec.from_file(str(path))
        return spec, spec.compile()
    except ValueError as exc:
        raise ModelError(f"does not load in MuJoCo: {str(exc).strip().splitlines()[0]}", path) from None


def joint_names(model: mujoco.MjModel) -> list[str]:
    """Names of the model's hinge and slide joints, in model order."""
    kinds = (int(mujoco.mjtJoint.mjJNT_HINGE), int(mujoco.mjtJoint.mjJNT_SLIDE))
    return [mujoco.mj_id2name(model, mujoco.mjtObj.mjOBJ_JOINT, j) or f"#{j}" for j in range(model.njnt) if int(model.jnt_type[j]) in kinds]


@dataclass(frozen=True)
class Replay:
    """A model prepared to replay logs, and how.

    Args:
        model: The model with the replay's timestep and switched-off actuators (nominal parameter values).
        joints: The logged joints, in the logs' order (J).
        qpos: Their qpos addresses, shape (J,).
        dofs: Their dof addresses, shape (J,).
        mode: ``"ctrl"`` (logged controls drive the actuators) or ``"tau"`` (logged torques are applied).
        actuators: In ``ctrl`` mode the actuator ids of the logged ``ctrl`` columns, shape (U,).
        motors: In ``tau`` mode, per joint, the motor actuator id that applies its torque or -1 (qfrc_applied).
        motor_scale: Per joint, the joint torque of one unit of that motor's control (gain * gear).
        substeps: Simulation steps per log sample.
        notes: What was chosen, in words.
    """

    model: mujoco.MjModel
    joints: tuple[str, ...]
    qpos: np.ndarray
    dofs: np.ndarray
    mode: str
    actuators: np.ndarray
    motors: np.ndarray
    motor_scale: np.ndarray
    substeps: int
    notes: tuple[str, ...]

    @property
    def log_dt(self) -> float:
        """The log period the replay was prepared for, s."""
        return float(self.model.opt.timestep * self.substeps)


def _motor_for(model: mujoco.MjModel, joint: int, torque: np.ndarray) -> tuple[int, float]:
    for a in range(model.nu):
        plain = (
            int(model.actuator_trntype[a]) == int(mujoco.mjtTrn.mjTRN_JOINT)
            and model.actuator_trnid[a, 0] == joint
            and int(model.actuator_dyntype[a]) == int(mujoco.mjtDyn.mjDYN_NONE)
            and int(model.actuator_gaintype[a]) == int(mujoco.mjtGain.mjGAIN_FIXED)
            and int(model.actuator_biastype[a]) == int(mujoco.mjtBias.mjBIAS_NONE)
        )
        scale = float(model.actuator_gainprm[a, 0] * model.actuator_gear[a, 0])
        if not plain or scale == 0.0:
            continue
        ctrl = torque / scale
        if model.actuator_ctrllimited[a] and (ctrl.min() < model.actuator_ctrlrange[a, 0] or ctrl.max() > model.actuator_ctrlrange[a, 1]):
            continue
        if model.actuator_forcelimited[a]:
            force = torque / model.actuator_gear[a, 0]
            if force.min() < model.actuator_forcerange[a, 0] or force.max() > model.actuator_forcerange[a, 1]:
                continue
        return a, scale
    return -1, 1.0


def _name(model, kind, index) -> str:
    return mujoco.mj_id2name(model, kind, index) or f"#{index}"


def prepare_replay(model: mujoco.MjModel, logs: list[Trajectory], *, integrator: str | None = None) -> Replay:
    """Prepare ``model`` (not modified) to replay ``logs``, which share joints, inputs and a uniform period.

    Raises:
        UnknownNameError: A log names a joint or actuator the model does not have (the message lists the model's).
        InputError: A moving joint of the model is not logged, or logs disagree on columns or period.
    """
    first = logs[0]
    model = copy.copy(model)
    known = joint_names(model)
    for name in first.joints:
        if name not in known:
            raise UnknownNameError(f"names joint '{name}', which is not in the model; the model's joints are: {', '.join(known) or '(none)'}", first.source, f"q.{name}")
    unlogged = [n for n in known if n not in first.joints]
    if unlogged:
        raise InputError(f"the model's joints {', '.join(unlogged)} are not in the log; log them or use a model without them", first.source)
    if any(int(model.jnt_type[j]) in (int(mujoco.mjtJoint.mjJNT_FREE), int(mujoco.mjtJoint.mjJNT_BALL)) for j in range(model.njnt)):
        raise InputError("the model has a free or ball joint; sysid handles hinge and slide joints only", first.source)
    for log in logs[1:]:
        if log.joints != first.joints or log.actuators != first.actuators or (log.tau is None) != (first.tau is None):
            raise InputError(f"has other columns than {Path(first.source).name}; every log must have the same columns", log.source)
    ids = np.array([mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_JOINT, n) for n in first.joints])
    notes = []
    dt = first.dt
    substeps = max(1, math.ceil(dt / model.opt.timestep - 1e-6))
    notes.append(
        f"timestep set to {dt / substeps * 1e3:.4g} ms ({substeps} step(s) per {dt * 1e3:.4g} ms log sample; the model had "
        f"{model.opt.timestep * 1e3:.4g} ms), inputs held between log samples"
    )
    model.opt.timestep = dt / substeps
    if integrator is not None:
        model.opt.integrator = getattr(mujoco.mjtIntegrator, f"mjINT_{integrator.upper()}")
    notes.append(f"integrator {mujoco.mjtIntegrator(model.opt.integrator).name.removeprefix('mjINT_')}" + (" (as requested)" if integrator else " (the model's)"))
    actuators = np.zeros(0, dtype=int)
    motors = np.full(len(ids), -1)
    scale = np.ones(len(ids))
    if first.ctrl is not None:
        mode = "ctrl"
        known_act = [_name(model, mujoco.mjtObj.mjOBJ_ACTUATOR, a) for a in range(model.nu)]
        for name in first.actuators:
            if name not in known_act:
                raise UnknownNameError(f"names actuator '{name}', which is not in the model; the model's actuators are: {', '.join(known_act) or '(none)'}", first.source, f"ctrl.{name}")
        actuators = np.array([known_act.index(n) for n in first.actuators], dtype=int)
        idle = [n for n in known_act if n not in first.actuators]
        notes.append("the logged controls drive the model's actuators" + (f"; unlogged actuators get ctrl 0: {', '.join(idle)}" if idle else ""))
    else:
        mode = "tau"
        torque = np.concatenate([log.tau for log in logs])
        for i, joint in enumerate(ids):
            motors[i], scale[i] = _motor_for(model, joint, torque[:, i])
        via_motor = [first.joints[i] for i in range(len(ids)) if motors[i] >= 0]
        direct = [first.joints[i] for i in range(len(ids)) if motors[i] < 0]
        off = [a for a in range(model.nu) if a not in motors]
        for a in off:  # the logged torque is the whole actuation: the model's servos must not add to it
            model.actuator_gainprm[a] = 0.0
            model.actuator_biasprm[a] = 0.0
        words = ["no ctrl columns: the logged joint torques are applied"]
        if via_motor:
            words.append(f"as ctrl = tau / (gain * gear) of the motor on {', '.join(via_motor)}")
        if direct:
            words.append(f"as qfrc_applied on {', '.join(direct)}")
        if off:
            words.append(f"the model's actuators {', '.join(_name(model, mujoco.mjtObj.mjOBJ_ACTUATOR, a) for a in off)} are switched off")
        notes.append("; ".join(words))
    return Replay(
        model=model,
        joints=first.joints,
        qpos=model.jnt_qposadr[ids].copy(),
        dofs=model.jnt_dofadr[ids].copy(),
        mode=mode,
        actuators=actuators,
        motors=motors,
        motor_scale=scale,
        substeps=substeps,
        notes=tuple(notes),
    )


def control_array(replay: Replay, log: Trajectory) -> np.ndarray:
    """The control vectors (``ctrl`` then ``qfrc_applied``) per log sample, shape (T, nu + nv)."""
    model = replay.model
    out = np.zeros((log.n_samples, model.nu + model.nv))
    if replay.mode == "ctrl":
        out[:, replay.actuators] = log.ctrl
        return out
    for i, (motor, dof) in enumerate(zip(replay.motors, replay.dofs)):
        if motor >= 0:
            out[:, motor] = log.tau[:, i] / replay.motor_scale[i]
        else:
            out[:, model.nu + dof] = log.tau[:, i]
    return out


def initial_states(replay: Replay, q: np.ndarray, dq: np.ndarray) -> np.ndarray:
    """Full physics states for joint positions and velocities (shape (S, J) each), shape (S, nstate)."""
    model = replay.model
    data = mujoco.MjData(model)
    states = np.zeros((len(q), mujoco.mj_stateSize(model, STATE_SPEC)))
    for s in range(len(q)):
        mujoco.mj_resetData(model, data)
        data.qpos[replay.qpos] = q[s]
        data.qvel[replay.dofs] = dq[s]
        mujoco.mj_getState(model, data, states[s], STATE_SPEC)
    return states
