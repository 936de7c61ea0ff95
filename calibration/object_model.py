"""How a model replays object pose logs: the free body, its parameters, the timestep, and batched rollouts.

The object is a free body of the model resting on a floor or a slope. Each log segment is simulated from its
start state (position from the log, velocity from a local quadratic fit, orientation from the log or the model,
no angular velocity: the fit is for sliding, not tumbling) with the logged push force applied at the body's
centre of mass (``xfrc_applied``, interpolated linearly to every simulation step), by ``mujoco.rollout``.

A box sliding on a plane chatters on its soft contacts (airborne in about 15-30% of 1 ms steps, whatever the
cone, ``impratio``, ``solref``, integrator or timestep). With the elliptic cone the chatter takes 1-1.5% off its
effective friction once it is turned by a few mrad about the surface normal (square to its rest pose it
follows ``mu * g`` within 0.1%), and which way it goes changes with every detail of the start state: the fit
accounts for it in the intervals (:mod:`calibration.object_bootstrap`). The pyramidal cone is not
sensitive to the turn but is anisotropic (a push at 53 degrees to its axes slid a box 2.4 times as far).

Contact friction: MuJoCo combines two geoms' sliding friction by taking the larger, unless one geom has a
higher ``priority``, whose friction is then used alone. Every geom whose friction is fitted gets a priority
above all others, in the replay and in ``calibrated.xml``, so ``geom/<name>/friction`` is the contact's
coefficient however the other geom is set.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass

import mujoco
import numpy as np
from mujoco import rollout

from calibration.errors import ParameterError, UnitError
from calibration.object_logs import ObjectTrajectory
from calibration.parameters import ParameterSet, apply_to_model, resolve_parameters

MAX_TIMESTEP = 0.002
"""Largest simulation step used for objects, s (contacts with friction need small steps)."""
STATE_SPEC = int(mujoco.mjtState.mjSTATE_FULLPHYSICS)
CONTROL_SPEC = int(mujoco.mjtState.mjSTATE_XFRC_APPLIED)
START_WINDOW = 0.1
"""Window of the local quadratic fit that estimates a segment's start position and velocity, s."""
REST_TILT = 0.1
"""A logged tilt (rad) from the model's rest pose beyond which a start orientation is taken from the log as is."""


def free_bodies(model: mujoco.MjModel) -> list[str]:
    """Names of the model's bodies that have a free joint, in model order."""
    free = int(mujoco.mjtJoint.mjJNT_FREE)
    bodies = {int(model.jnt_bodyid[j]) for j in range(model.njnt) if int(model.jnt_type[j]) == free}
    return [mujoco.mj_id2name(model, mujoco.mjtObj.mjOBJ_BODY, b) or f"#{b}" for b in sorted(bodies)]


def _collides(model: mujoco.MjModel, a: int, b: int) -> bool:
    return bool((model.geom_contype[a] & model.geom_conaffinity[b]) or (model.geom_contype[b] & model.geom_conaffinity[a]))


@dataclass(frozen=True)
class ObjectReplay:
    """A model prepared to replay object logs.

    Args:
        model: The model at the replay timestep, with fitted geoms' priorities raised (nominal values).
        body: The object's body name.
        body_id: Its body id.
        qpos: Address of its free joint in ``qpos`` (position, then quaternion).
        dof: Address of its free joint in ``qvel`` (linear velocity in the world, then angular in the body frame).
        geoms: Names of the object's colliding geoms.
        substeps: Simulation steps per log sample.
        notes: What was chosen, in words.
    """

    model: mujoco.MjModel
    body: str
    body_id: int
    qpos: int
    dof: int
    geoms: tuple[str, ...]
    substeps: int
    notes: tuple[str, ...]

    @property
    def nstate(self) -> int:
        """Length of a state vector (``mjSTATE_FULLPHYSICS``)."""
        return int(mujoco.mj_stateSize(self.model, STATE_SPEC))

    def with_values(self, params: ParameterSet, values: np.ndarray) -> mujoco.MjModel:
        """A copy of the replay model with ``values`` (shape (P,)) written in.

        After a mass changes the derived constants are recomputed (``mj_setConst``): contact softness scales with
        the compile-time inverse weights, and stale ones made a 2.5 kg crate pushed by 22 N slide 1.26 m instead
        of 0.76 m.
        """
        model = copy.copy(self.model)
        apply_to_model(params, values, model)
        if any(p.kind == "body" for p in params):
            mujoco.mj_setConst(model, mujoco.MjData(model))
        return model


def find_object(model: mujoco.MjModel, body: str, source=None) -> tuple[int, int]:
    """The body id and free joint id of ``body``; :class:`ParameterError` lists the free bodies otherwise."""
    index = mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_BODY, body)
    names = ", ".join(free_bodies(model)) or "(none)"
    if index < 0:
        raise ParameterError(f"--object '{body}': the model has no such body; its free bodies are: {names}")
    joints = [j for j in range(model.njnt) if int(model.jnt_bodyid[j]) == index]
    if not joints or int(model.jnt_type[joints[0]]) != int(mujoco.mjtJoint.mjJNT_FREE):
        raise ParameterError(f"--object '{body}': the body has no free joint (it is welded or jointed); the model's free bodies are: {names}")
    return index, joints[0]


def object_parameters(model: mujoco.MjModel, body: str, spec: str | None, has_force: bool) -> tuple[ParameterSet, list[str]]:
    """The parameters to fit and warnings.

    Default: the sliding friction of every colliding geom of ``body``, plus ``body/<body>/mass`` when a push
    force is logged. Only geom friction and the object's own mass can be fitted from object logs.

    Raises:
        ParameterError: A name matches nothing or something object logs cannot identify (the mass without a logged
            force, a joint term, another body's mass, both geoms of one contact).
    """
    index, _ = find_object(model, body)
    geoms = [g for g in range(model.ngeom) if int(model.geom_bodyid[g]) == index and (model.geom_contype[g] or model.geom_conaffinity[g])]
    if not geoms:
        raise ParameterError(f"--object '{body}': the body has no colliding geom, so it has no contact to fit")
    warnings = []
    if not spec:
        names = [f"geom/{mujoco.mj_id2name(model, mujoco.mjtObj.mjOBJ_GEOM, g)}/friction" for g in geoms]
        if any(n == "geom/None/friction" for n in names):
            raise ParameterError(f"--object '{body}': its geoms need names to be fitted; name them or give --params")
        if has_force:
            names.append(f"body/{body}/mass")
        else:
            warnings.append(
                "no push force is logged (fx, fy, fz): the mass cannot be identified (a sliding object decelerates at "
                "mu*g whatever its mass), so only friction is fitted"
            )
        spec = ",".join(names)
    params = resolve_parameters(spec, model)
    fitted_geoms = []
    for p in params:
        if p.kind == "joint" or (p.kind == "body" and p.element != body):
            raise ParameterError(
                f"parameter '{p.name}' cannot be fitted from object logs; fit geom/<name>/friction and body/{body}/mass"
            )
        if p.kind == "body" and not has_force:
            raise ParameterError(
                f"parameter '{p.name}' cannot be identified without a logged push force (fx, fy, fz columns): a sliding "
                "object decelerates at mu*g whatever its mass; drop it from --params or log the force"
            )
        if p.kind == "geom":
            g = mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_GEOM, p.element)
            if g not in geoms and not any(_collides(model, g, o) for o in geoms):
                raise ParameterError(f"parameter '{p.name}': geom '{p.element}' never touches body '{body}'")
            fitted_geoms.append(g)
    ours = [g for g in fitted_geoms if g in geoms]
    for g in fitted_geoms:
        for o in ours:
            if g not in geoms and _collides(model, g, o):
                a, b = (mujoco.mj_id2name(model, mujoco.mjtObj.mjOBJ_GEOM, i) for i in (o, g))
                raise ParameterError(f"parameters geom/{a}/friction and geom/{b}/friction: their contact uses one coefficient; fit one of them")
    return params, warnings


def prepare_object_replay(model: mujoco.MjModel, body: str, params: ParameterSet, log_dt: float) -> ObjectReplay:
    """Copy ``model`` for replaying logs of period ``log_dt`` s: timestep, priorities (module docstring)."""
    index, joint = find_object(model, body)
    model = copy.copy(model)
    step = min(float(model.opt.timestep), MAX_TIMESTEP)
    substeps = max(1, math.ceil(log_dt / step - 1e-9))
    model.opt.timestep = log_dt / substeps
    cone = "elliptic" if model.opt.cone == mujoco.mjtCone.mjCONE_ELLIPTIC else "pyramidal"
    notes = [f"simulated at {model.opt.timestep * 1e3:.4g} ms ({substeps} steps per log sample), {cone} friction cone as in the model"]
    top = int(model.geom_priority.max()) + 1
    for p in params:
        if p.kind == "geom":
            model.geom_priority[mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_GEOM, p.element)] = top
            notes.append(f"geom '{p.element}' gets priority {top}, so its friction is the contact's friction")
    geoms = tuple(mujoco.mj_id2name(model, mujoco.mjtObj.mjOBJ_GEOM, g) or f"#{g}" for g in range(model.ngeom) if int(model.geom_bodyid[g]) == index)
    return ObjectReplay(model, body, index, int(model.jnt_qposadr[joint]), int(model.jnt_dofadr[joint]), geoms, substeps, tuple(notes))


def raise_priorities(spec: mujoco.MjSpec, params: ParameterSet, model: mujoco.MjModel) -> None:
    """Give the fitted geoms of ``spec`` the replay's priority (for ``calibrated.xml``)."""
    top = int(model.geom_priority.max()) + 1
    for p in params:
        if p.kind == "geom":
            spec.geom(p.element).priority = top


def _twist(quat: np.ndarray, axis: np.ndarray) -> np.ndarray:
    """The rotation of ``quat`` (w, x, y, z) about the unit ``axis`` (swing-twist decomposition), shape (4,)."""
    twist = np.concatenate([[quat[0]], (quat[1:] @ axis) * axis])
    norm = np.linalg.norm(twist)
    return twist / norm if norm > 1e-9 else np.array([1.0, 0.0, 0.0, 0.0])


def start_state(replay: ObjectReplay, log: ObjectTrajectory, sample: int, normal: np.ndarray | None = None) -> np.ndarray:
    """The estimated full physics state at ``sample`` of a uniform ``log``, shape (nstate,).

    Position and velocity come from a local quadratic fit over :data:`START_WINDOW`. With the surface
    ``normal`` (shape (3,)) the object is put on the surface as it rests there: its height along the normal is
    the log's mean and its tilt the model's rest pose (only the turn about the normal comes from the logged
    orientation), and its velocity lies in the surface. Logged noise in those would start the simulated box
    up to 0.3 mm in the air or tilted by a few mrad, and the drop rocks it differently for every parameter
    value (a rough cost). An orientation more than :data:`REST_TILT` rad from the rest tilt is taken as logged.
    """
    model = replay.model
    half = max(2, round(START_WINDOW / log.dt / 2))
    lo, hi = max(0, sample - half), min(log.n_samples, sample + half + 1)
    t = log.time[lo:hi] - log.time[sample]
    coef = np.polynomial.polynomial.polyfit(t, log.position[lo:hi], 2)  # (3, 3): constant, slope, curvature
    position, velocity = coef[0], coef[1]
    rest = np.array(model.qpos0[replay.qpos + 3 : replay.qpos + 7])
    quat = rest
    if log.quat is not None:
        quats = log.quat[lo:hi] * np.sign(log.quat[lo:hi] @ log.quat[sample])[:, None]
        quat = quats.mean(axis=0)
        quat /= np.linalg.norm(quat)
    if normal is not None:
        position = position + (float(np.mean(log.position @ normal)) - position @ normal) * normal
        velocity = velocity - (velocity @ normal) * normal
        turn = np.empty(4)
        mujoco.mju_mulQuat(turn, quat, np.array([rest[0], *-rest[1:]]))
        twist = _twist(turn, normal)
        if 2 * math.acos(min(1.0, abs(float(turn @ twist)))) < REST_TILT:
            mujoco.mju_mulQuat(quat := np.empty(4), twist, rest)
    data = mujoco.MjData(model)
    data.qpos[replay.qpos : replay.qpos + 3] = position
    data.qpos[replay.qpos + 3 : replay.qpos + 7] = quat
    data.qvel[replay.dof : replay.dof + 3] = velocity
    state = np.empty(replay.nstate)
    mujoco.mj_getState(model, data, state, STATE_SPEC)
    return state


def turn_uncertainty(replay: ObjectReplay, log: ObjectTrajectory, sample: int, normal: np.ndarray) -> float | None:
    """Std of the start turn about ``normal`` that :func:`start_state` estimates at ``sample``, rad, or None
    without a logged orientation: the scatter of the logged turns over :data:`START_WINDOW` over the root of
    their count."""
    if log.quat is None:
        return None
    half = max(2, round(START_WINDOW / log.dt / 2))
    lo, hi = max(0, sample - half), min(log.n_samples, sample + half + 1)
    quats = log.quat[lo:hi] * np.sign(log.quat[lo:hi] @ log.quat[sample])[:, None]
    angles = 2 * np.arctan2(quats[:, 1:] @ normal, quats[:, 0])
    return float(np.std(angles, ddof=1) / math.sqrt(len(angles)))


def quat_index(replay: ObjectReplay) -> int:
    """Index of the body's orientation quaternion (4 entries) in a full physics state."""
    return 1 + replay.qpos + 3


def velocity_index(replay: ObjectReplay) -> int:
    """Index of the body's linear velocity (3 entries, world frame) in a full physics state."""
    return 1 + replay.model.nq + replay.dof


def step_forces(log: ObjectTrajectory, start: int, samples: int, substeps: int) -> np.ndarray:
    """The logged force at every simulation step of ``samples`` log samples from ``start``, shape (samples * substeps, 3).

    Each step gets the force at its start time, interpolated linearly between log samples; zero without a force.
    """
    if log.force is None:
        return np.zeros((samples * substeps, 3))
    steps = log.time[start] + log.dt * np.arange(samples * substeps) / substeps
    return np.stack([np.interp(steps, log.time, log.force[:, i], right=0.0) for i in range(3)], axis=1)


def rollout_positions(replay: ObjectReplay, models, initial: np.ndarray, forces: np.ndarray) -> np.ndarray:
    """Body positions at every log sample after each segment's start.

    Args:
        replay: The replay.
        models: One model, or one per batch item.
        initial: Start states, shape (B, nstate).
        forces: Per-step forces, shape (B, L * substeps, 3).

    Returns:
        Positions, m, shape (B, L, 3).
    """
    nbatch, nstep = forces.shape[:2]
    control = np.zeros((nbatch, nstep, replay.model.nbody * 6))
    control[:, :, 6 * replay.body_id : 6 * replay.body_id + 3] = forces
    if not isinstance(models, (list, tuple)):
        models = [models] * nbatch
    state, _ = rollout.rollout(models, mujoco.MjData(replay.model), initial, control, control_spec=CONTROL_SPEC)
    start = 1 + replay.qpos  # a full physics state is time, qpos, qvel, ...
    return state[:, replay.substeps - 1 :: replay.substeps, start : start + 3]


def check_units(log: ObjectTrajectory) -> None:
    """Raise :class:`InputError` when positions look like millimetres (the object moves over 20 m)."""
    span = float(np.max(log.position.max(axis=0) - log.position.min(axis=0)))
    if span > 20.0:
        raise UnitError(f"the object moves {span:.4g} m in this log; positions must be in m (they look like mm)", log.source or None, "x")
