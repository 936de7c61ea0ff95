"""Stage 1: a warm start in seconds from inverse dynamics and bounded linear least squares.

``mujoco.mj_inverse`` on the smoothed q, dq, ddq of a model whose fitted joint terms are zeroed gives the
rigid-body torque; the rest of the measured torque is regressed on ``dq`` (damping), ``tanh(dq / v)`` (a
smoothed sign: Coulomb friction for frictionloss), ``ddq`` (armature) and, for a body mass, the change of the
inverse-dynamics torque per kg. MuJoCo's frictionloss is a soft constraint, not ``sign(dq)``, so near velocity
reversals part of it is booked as armature here: use the result only to start Stage 2.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import mujoco
import numpy as np

from calibration.parameters import ParameterSet, apply_to_model
from calibration.replay import Replay
from calibration.signals import Smoothed, smooth
from calibration.trajectory import Trajectory
from twin.extras import require

SIGN_VELOCITY = 0.02
"""Velocity scale of the smoothed sign, rad/s or m/s."""
EDGE = 0.05
"""Seconds dropped at each end of a log, where the smoother's derivatives are least accurate."""
MAX_SAMPLES = 20000
"""At most this many samples enter the regression (evenly strided)."""


@dataclass(frozen=True)
class WarmStart:
    """The Stage 1 estimate.

    Args:
        values: Parameter values, shape (P,), within bounds; nominal where the data say nothing.
        torque_rms: Per-joint RMS of the torque residual after the fit, shape (J,), N m or N.
        identified: Per parameter, whether its regressor carried information, shape (P,).
    """

    values: np.ndarray
    torque_rms: np.ndarray
    identified: np.ndarray


def measured_torque(replay: Replay, log: Trajectory, smoothed: Smoothed) -> np.ndarray:
    """Joint torques, shape (T, J): the logged ``tau``, or the model's actuator forces for the logged ``ctrl``."""
    if log.tau is not None:
        return log.tau
    model = replay.model
    data = mujoco.MjData(model)
    out = np.zeros_like(log.q)
    for t in range(log.n_samples):
        data.qpos[replay.qpos] = smoothed.q[t]
        data.qvel[replay.dofs] = smoothed.dq[t]
        data.ctrl[replay.actuators] = log.ctrl[t]
        mujoco.mj_forward(model, data)
        out[t] = data.qfrc_actuator[replay.dofs]
    return out


def _inverse(model: mujoco.MjModel, replay: Replay, q, dq, ddq) -> np.ndarray:
    data = mujoco.MjData(model)
    out = np.zeros_like(q)
    for t in range(len(q)):
        data.qpos[replay.qpos] = q[t]
        data.qvel[replay.dofs] = dq[t]
        data.qacc[replay.dofs] = ddq[t]
        mujoco.mj_inverse(model, data)
        out[t] = data.qfrc_inverse[replay.dofs]
    return out


def regression(replay: Replay, params: ParameterSet, logs: list[Trajectory], smoothed: list[Smoothed]):
    """Build the linear problem ``A x = b`` of Stage 1.

    Returns:
        ``(A, b, rows)``: A of shape (T*J, P), b of shape (T*J,), and the joint index of every row, shape (T*J,).
    """
    base = copy.copy(replay.model)
    zero = [p for p in params if p.kind == "joint"]
    apply_to_model(ParameterSet(tuple(zero)), np.zeros(len(zero)), base) if zero else None
    joint_index = {name: i for i, name in enumerate(replay.joints)}
    blocks_a, blocks_b = [], []
    for log, sm in zip(logs, smoothed):
        edge = round(EDGE / log.dt)
        keep = np.arange(edge, log.n_samples - edge)
        keep = keep[:: max(1, len(keep) * len(logs) // MAX_SAMPLES)]
        q, dq, ddq = sm.q[keep], sm.dq[keep], sm.ddq[keep]
        tau = measured_torque(replay, log, sm)[keep]
        rigid = _inverse(base, replay, q, dq, ddq)
        b = tau - rigid
        a = np.zeros((len(keep), len(replay.joints), len(params)))
        for k, p in enumerate(params):
            if p.kind == "joint":
                j = joint_index[p.element]
                a[:, j, k] = {"damping": dq[:, j], "armature": ddq[:, j], "frictionloss": np.tanh(dq[:, j] / SIGN_VELOCITY)}[p.attribute]
            elif p.kind == "body":
                heavier = copy.copy(base)
                apply_to_model(ParameterSet((p,)), np.array([p.nominal + 1.0]), heavier)
                a[:, :, k] = _inverse(heavier, replay, q, dq, ddq) - rigid  # torque per kg (exactly linear)
                b += p.nominal * a[:, :, k]
        blocks_a.append(a.reshape(-1, len(params)))
        blocks_b.append(b.reshape(-1))
    rows = np.tile(np.arange(len(replay.joints)), sum(len(b) for b in blocks_b) // len(replay.joints))
    return np.concatenate(blocks_a), np.concatenate(blocks_b), rows


def warm_start(replay: Replay, params: ParameterSet, logs: list[Trajectory], smoothed: list[Smoothed]) -> WarmStart:
    """Stage 1: bounded, per-joint noise-weighted linear least squares (two passes to estimate the weights)."""
    optimize = require("scipy.optimize", "sysid", "the inverse-dynamics warm start")
    a, b, rows = regression(replay, params, logs, smoothed)
    njoint = len(replay.joints)
    scale = np.sqrt(np.mean(a**2, axis=0))
    identified = scale > 1e-12
    values = params.nominal.copy()
    weights = np.ones(njoint)
    lower, upper = params.lower[identified], params.upper[identified]
    fixed = a[:, ~identified] @ values[~identified]
    for _ in range(2):
        w = weights[rows]
        cols = a[:, identified] / scale[identified]
        result = optimize.lsq_linear(cols * w[:, None], (b - fixed) * w, bounds=(lower * scale[identified], upper * scale[identified]))
        values[identified] = result.x / scale[identified]
        residual = b - a @ values
        rms = np.sqrt(np.array([np.mean(residual[rows == j] ** 2) for j in range(njoint)]))
        weights = 1.0 / np.maximum(rms, 1e-9 + 1e-6 * rms.max())
    return WarmStart(values=np.clip(values, params.lower, params.upper), torque_rms=rms, identified=identified)


WINDOWS = (0.02, 0.05, 0.1, 0.2)
"""Candidate smoothing windows for the warm start, s."""


def select_window(replay: Replay, params: ParameterSet, logs: list[Trajectory], windows=WINDOWS) -> tuple[float, WarmStart]:
    """The smoothing window whose warm start explains the most torque (mean over joints of residual / torque RMS).

    Real torque signals are often low-pass filtered (the Panda log's torques match accelerations smoothed over
    about 0.1 s, not 0.02 s); white-noise logs favour short windows. Returns the window (s) and its warm start.
    """
    torque = np.concatenate([measured_torque(replay, log, smooth(log)) for log in logs])
    scale = np.maximum(np.sqrt(np.mean(torque**2, axis=0)), 1e-9)
    best = None
    for window in windows:
        if window / logs[0].dt < 5 and best is not None:
            continue
        result = warm_start(replay, params, logs, [smooth(log, window) for log in logs])
        score = float(np.mean(result.torque_rms / scale))
        if best is None or score < best[0]:
            best = (score, window, result)
    return best[1], best[2]
