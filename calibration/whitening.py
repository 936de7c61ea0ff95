"""Whitening of a segment's residuals for noise in the logged torques, with a Kalman filter along the segment.

When the logged joint torques drive the simulation, their sensor noise moves the simulated state, and that
error is carried to every later sample of the segment: residuals inside a segment are correlated, more so the
later they come, and fitting them with per-channel weights wastes information (on the generated arm the
shoulder and elbow terms came out with about 1.5x the error the data allow). The residuals' covariance is that
of a linear state-space model along the segment's simulated trajectory:

    e[k+1] = A[k] e[k] + B[k] w[k],  w ~ N(0, diag(sigma_tau^2))   (torque noise of log sample k)
    d[k+1] = C e[k+1] + v[k+1],      v ~ N(0, diag(sigma^2))       (measurement noise of each channel)

with ``e`` the deviation of the logged joints' positions and velocities, ``A[k]`` the one-sample transition
(``mujoco.mjd_transitionFD`` at every simulation step of the segment) and ``B[k]`` a velocity impulse
``dt M^-1`` carried through the step. Its Kalman filter (started with zero covariance: each start state is a
nuisance parameter estimated in the fit) turns residuals into innovations of unit variance; the filter is
linear in the residuals, so the same operator applies to every Jacobian column.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import mujoco
import numpy as np

from calibration.replay import CONTROL_SPEC, STATE_SPEC

FD_EPS = 1e-6
"""Finite-difference step of ``mjd_transitionFD``."""


@dataclass(frozen=True)
class Whitening:
    """A fixed Kalman filter per segment that maps residuals to unit-variance innovations.

    Args:
        transition: ``A[k]``, shape (S, L, X, X).
        gain: Kalman gains, shape (S, L, X, C).
        inverse_factor: Inverse Cholesky factor of each innovation covariance, shape (S, L, C, C).
        observe: Which state coordinate each channel observes, shape (C,).
    """

    transition: np.ndarray
    gain: np.ndarray
    inverse_factor: np.ndarray
    observe: np.ndarray

    def apply(self, d: np.ndarray) -> np.ndarray:
        """Innovations of residual sequences ``d`` of shape (..., S, L, C), same shape, unit variance."""
        lead = d.shape[:-3]
        d = d.reshape(-1, *d.shape[-3:])
        out = np.empty_like(d)
        estimate = np.zeros((d.shape[0], d.shape[1], self.transition.shape[-1]))
        for k in range(d.shape[2]):
            estimate = np.einsum("sxy,msy->msx", self.transition[:, k], estimate)
            innovation = d[:, :, k] - estimate[:, :, self.observe]
            out[:, :, k] = np.einsum("scd,msd->msc", self.inverse_factor[:, k], innovation)
            estimate = estimate + np.einsum("sxc,msc->msx", self.gain[:, k], innovation)
        return out.reshape(*lead, *out.shape[-3:])


def linear_model(replay, model: mujoco.MjModel, starts: np.ndarray, controls: np.ndarray, states: np.ndarray, substeps: int):
    """``A[k]`` and ``B[k]`` of every log sample of every segment.

    Args:
        replay: The replay (joint addresses).
        model: The model with the fitted values.
        starts: Start states, shape (S, nstate).
        controls: Controls per simulation step, shape (S, L * substeps, nu + nv).
        states: Simulated states after every step, shape (S, L * substeps, nstate).
        substeps: Simulation steps per log sample.

    Returns:
        ``(A, B)`` of shapes (S, L, X, X) and (S, L, X, J): per log sample, state deviation in positions and
        velocities of the logged joints, and its response to each joint's torque.
    """
    model = copy.copy(model)
    data = mujoco.MjData(model)
    nv, nx = model.nv, 2 * model.nv + model.na
    index = np.concatenate([replay.dofs, nv + replay.dofs])
    joints, dt = len(replay.dofs), model.opt.timestep
    count, steps = controls.shape[:2]
    a_out = np.zeros((count, steps // substeps, len(index), len(index)))
    b_out = np.zeros((count, steps // substeps, len(index), joints))
    full_a, mass = np.zeros((nx, nx)), np.zeros((nv, nv))
    for s in range(count):
        before = np.vstack([starts[s][None], states[s, :-1]])
        for t in range(steps):
            mujoco.mj_setState(model, data, before[t], STATE_SPEC)
            mujoco.mj_setState(model, data, controls[s, t], CONTROL_SPEC)
            mujoco.mj_forward(model, data)
            mujoco.mj_fullM(model, data, mass)
            mujoco.mjd_transitionFD(model, data, FD_EPS, False, full_a, None, None, None)
            step_a = full_a[np.ix_(index, index)]
            step_b = full_a[np.ix_(index, nv + replay.dofs)] @ (dt * np.linalg.inv(mass)[np.ix_(replay.dofs, replay.dofs)])
            k, sub = divmod(t, substeps)
            if sub == 0:
                a_out[s, k], b_out[s, k] = step_a, step_b
            else:  # the torque is held over the substeps of one log sample
                a_out[s, k] = step_a @ a_out[s, k]
                b_out[s, k] = step_a @ b_out[s, k] + step_b
    return a_out, b_out


def kalman(transition: np.ndarray, impulse: np.ndarray, torque_std: np.ndarray, channel_std: np.ndarray, observe: np.ndarray) -> Whitening:
    """The Kalman filter of the linear model, started with zero covariance.

    Args:
        transition: ``A``, shape (S, L, X, X).
        impulse: ``B``, shape (S, L, X, J).
        torque_std: Torque noise std per joint, shape (J,), N m or N.
        channel_std: Measurement noise std per channel, shape (C,).
        observe: Which state coordinate each channel observes, shape (C,).
    """
    count, length, nx, _ = transition.shape
    noise = np.einsum("slxj,j,slyj->slxy", impulse, torque_std**2, impulse)
    gain = np.zeros((count, length, nx, len(observe)))
    factor = np.zeros((count, length, len(observe), len(observe)))
    cov = np.zeros((count, nx, nx))
    for k in range(length):
        cov = np.einsum("sxy,syz,swz->sxw", transition[:, k], cov, transition[:, k]) + noise[:, k]
        seen = cov[:, :, observe]
        innovation = seen[:, observe, :] + np.diag(channel_std**2)
        chol = np.linalg.cholesky(innovation)
        gain[:, k] = np.linalg.solve(innovation, seen.transpose(0, 2, 1)).transpose(0, 2, 1)
        factor[:, k] = np.linalg.inv(chol)
        cov = cov - gain[:, k] @ seen.transpose(0, 2, 1)
        cov = 0.5 * (cov + cov.transpose(0, 2, 1))
    return Whitening(transition, gain, factor, np.asarray(observe))
