"""Stage 2 residuals and their Jacobian from batched, multithreaded ``mujoco.rollout`` calls.

Every parameter vector gets its own copy of the model; all segments of all parameter vectors go through one
rollout call, so a finite-difference Jacobian of P parameters costs one call of (P + 1) x S segments.
``mujoco.rollout`` returns the state after each step; with ``substeps`` steps per log sample, every
``substeps``-th state is the one at the next log sample (no one-step lag).
"""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass, replace

import mujoco
import numpy as np
from mujoco import rollout

from calibration.parameters import ParameterSet, apply_to_model
from calibration.replay import CONTROL_SPEC, Replay
from calibration.segments import Segments
from calibration.whitening import Whitening

DIVERGED = 1e3
"""Weighted residual given to a non-finite simulated value (a diverged rollout)."""
MAX_BATCH_VALUES = 4e7
"""Largest number of state values one rollout call may return (memory bound)."""
FD_STEP = 1e-4
"""Forward-difference step, relative to each parameter's scale."""
STATE_STEP = (1e-5, 1e-4)
"""Forward-difference steps of start positions (rad or m) and velocities (rad/s or m/s)."""


@dataclass(frozen=True)
class Problem:
    """Everything Stage 2 needs; picklable, so multi-starts can run in other processes.

    Args:
        replay: The replay model (nominal values) and joint addresses.
        params: The fitted parameters.
        segments: The segments and their targets.
        weights: Per-channel weights (1 / expected residual std), shape (C,).
        threads: Rollout threads.
        noise: Measurement noise std per channel, shape (C,), or None (then ``1 / weights``).
        whitening: A Kalman filter that whitens each segment's residuals (replaces the weights), or None.
    """

    replay: Replay
    params: ParameterSet
    segments: Segments
    weights: np.ndarray
    threads: int = 0
    noise: np.ndarray | None = None
    whitening: Whitening | None = None

    def with_weights(self, weights: np.ndarray) -> Problem:
        """The same problem with other channel weights (and no whitening)."""
        return replace(self, weights=np.asarray(weights, dtype=float), whitening=None)

    def with_whitening(self, whitening: Whitening | None) -> Problem:
        """The same problem with its residuals whitened by ``whitening`` instead of weighted."""
        return replace(self, whitening=whitening)

    @property
    def measurement_std(self) -> np.ndarray:
        """Measurement noise std per channel, shape (C,): ``noise``, else ``1 / weights``."""
        return np.asarray(self.noise if self.noise is not None else 1.0 / self.weights, dtype=float)

    @property
    def size(self) -> int:
        """Number of data residuals N = S * L * C."""
        return int(self.segments.targets.size)


def model_with(problem: Problem, values: np.ndarray) -> mujoco.MjModel:
    model = copy.copy(problem.replay.model)
    apply_to_model(problem.params, values, model)
    return model


def state_columns(problem: Problem) -> np.ndarray:
    """Where the logged joints' positions, then velocities, sit in a start state vector, shape (X,) with X = 2J."""
    replay = problem.replay
    return np.concatenate([1 + replay.qpos, 1 + replay.model.nq + replay.dofs])


def simulate(problem: Problem, values: np.ndarray, offsets: np.ndarray | None = None) -> np.ndarray:
    """Simulated channels for each parameter vector, shape (K, S, L, C) for ``values`` of shape (K, P).

    Args:
        values: Parameter vectors, shape (K, P).
        offsets: Added to the segments' start positions and velocities (see :func:`state_columns`): shape
            (S, X) for all K, or (K, S, X) per parameter vector; None: the segments' own start states.
    """
    values = np.atleast_2d(values)
    seg, replay = problem.segments, problem.replay
    pick = np.concatenate([1 + replay.qpos, 1 + replay.model.nq + replay.dofs])[: seg.targets.shape[2]]
    out = np.empty((len(values), seg.count, seg.length, seg.targets.shape[2]))
    for first, state in _rollouts(problem, values, offsets):
        state = state[:, seg.substeps - 1 :: seg.substeps][:, :, pick]
        out[first : first + len(state) // seg.count] = state.reshape(-1, seg.count, seg.length, len(pick))
    return out


def full_states(problem: Problem, values: np.ndarray, offsets: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Start states, shape (S, nstate), and the full state after every simulation step, shape (S, L * substeps, nstate)."""
    (_, state), = _rollouts(problem, np.asarray(values, dtype=float)[None], offsets)
    return _start_states(problem, None if offsets is None else np.asarray(offsets)[None], 0, 1), state


def _start_states(problem: Problem, offsets: np.ndarray | None, first: int, count: int) -> np.ndarray:
    states = np.tile(problem.segments.states, (count, 1))
    if offsets is not None:
        columns = state_columns(problem)
        states[:, columns] += offsets[first : first + count].reshape(-1, len(columns))
    return states


def _rollouts(problem: Problem, values: np.ndarray, offsets: np.ndarray | None):
    """Yield ``(first, states)``: rollouts of all segments for ``values[first:first + K']``, shape (K' * S, steps, nstate)."""
    seg, replay = problem.segments, problem.replay
    if offsets is not None:
        offsets = np.broadcast_to(offsets, (len(values), seg.count, len(state_columns(problem))))
    steps = seg.controls.shape[1]
    per_value = seg.count * steps * (1 + replay.model.nq + replay.model.nv)
    chunk = max(1, int(MAX_BATCH_VALUES // per_value))
    threads = problem.threads or os.cpu_count() or 1
    for first in range(0, len(values), chunk):
        block = values[first : first + chunk]
        models = [m for v in block for m in [model_with(problem, v)] * seg.count]
        datas = [mujoco.MjData(models[0]) for _ in range(threads)]
        state, _ = rollout.rollout(
            models,
            datas,
            _start_states(problem, offsets, first, len(block)),
            np.tile(seg.controls, (len(block), 1, 1)),
            control_spec=CONTROL_SPEC,
            persistent_pool=False,  # a persistent pool does not survive the fork of a process executor
        )
        yield first, state


def weighted(problem: Problem, simulated: np.ndarray) -> np.ndarray:
    """Weighted residuals (simulated - measured) * weight, or whitened, same shape as ``simulated`` (..., S, L, C)."""
    if problem.whitening is not None:
        r = problem.whitening.apply(simulated - problem.segments.targets)
    else:
        r = (simulated - problem.segments.targets) * problem.weights
    return np.nan_to_num(r, nan=DIVERGED, posinf=DIVERGED, neginf=-DIVERGED)


def _prior_rows(problem: Problem, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    rows, jac = [], []
    for i, p in enumerate(problem.params):
        if p.prior is not None:
            rows.append((values[i] - p.prior[0]) / p.prior[1])
            row = np.zeros(len(values))
            row[i] = 1.0 / p.prior[1]
            jac.append(row)
    return np.array(rows), np.array(jac).reshape(len(rows), len(values))


def residuals(problem: Problem, values: np.ndarray, offsets: np.ndarray | None = None) -> np.ndarray:
    """All residuals: weighted data residuals (S * L * C, segment-major) then one per prior.

    ``offsets`` (shape (S, X), see :func:`simulate`) move the segments' start states.
    """
    data = weighted(problem, simulate(problem, values[None], offsets)[0]).reshape(-1)
    return np.concatenate([data, _prior_rows(problem, values)[0]])


def jacobian(problem: Problem, values: np.ndarray, scale: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Residuals and their forward-difference Jacobian in one batched rollout.

    Args:
        values: Parameter values, shape (P,).
        scale: Typical magnitude per parameter; steps are ``FD_STEP * scale`` (away from the upper bound).

    Returns:
        ``(r, J)``: residuals, shape (N',), and Jacobian, shape (N', P), including prior rows.
    """
    r, jac, _ = linearize(problem, values, scale)
    return r, jac


def linearize(
    problem: Problem, values: np.ndarray, scale: np.ndarray, offsets: np.ndarray | None = None, *, states: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Residuals, their Jacobian in the parameters and (optionally) in each segment's start state, one rollout call.

    A start state moves only its own segment, so perturbing one state coordinate of every segment at once gives
    that coordinate's column for all segments: the start states cost X extra rollouts of S segments, not X * S.

    Args:
        values: Parameter values, shape (P,).
        scale: Typical magnitude per parameter; steps are ``FD_STEP * scale`` (away from the upper bound).
        offsets: Start-state offsets, shape (S, X) (see :func:`simulate`), or None.
        states: Also differentiate by the start states.

    Returns:
        ``(r, J, J_x)``: residuals, shape (N',); their Jacobian in the parameters, shape (N', P), including prior
        rows; and per segment the Jacobian of its L * C data residuals in its start state, shape (S, L * C, X)
        (None unless ``states``).
    """
    seg = problem.segments
    step = FD_STEP * scale
    step = np.where(values + step > problem.params.upper, -step, step)
    batch = np.vstack([values, values + np.diag(step)])
    columns = state_columns(problem)
    base = np.zeros((seg.count, len(columns))) if offsets is None else np.asarray(offsets, dtype=float)
    shifts = np.broadcast_to(base, (len(batch), *base.shape))
    if states:
        state_step = np.r_[np.full(len(columns) // 2, STATE_STEP[0]), np.full(len(columns) // 2, STATE_STEP[1])]
        moved = base[None] + np.eye(len(columns))[:, None, :] * state_step[:, None, None]
        batch = np.vstack([batch, np.tile(values, (len(columns), 1))])
        shifts = np.concatenate([shifts, moved])
    sims = weighted(problem, simulate(problem, batch, shifts)).reshape(len(batch), seg.count, -1)
    count = 1 + len(values)
    jac = ((sims[1:count] - sims[0]).reshape(len(values), -1) / step[:, None]).T
    jac_x = None
    if states:
        jac_x = ((sims[count:] - sims[0]) / state_step[:, None, None]).transpose(1, 2, 0)
    prior_r, prior_j = _prior_rows(problem, values)
    return np.concatenate([sims[0].reshape(-1), prior_r]), np.vstack([jac, prior_j]), jac_x
