"""Stage 2 residuals and their Jacobian from batched, multithreaded ``mujoco.rollout`` calls.

Every parameter vector gets its own copy of the model; all segments of all parameter vectors go through one
rollout call, so a finite-difference Jacobian of P parameters costs one call of (P + 1) x S segments.
``mujoco.rollout`` returns the state after each step; with ``substeps`` steps per log sample, every
``substeps``-th state is the one at the next log sample (no one-step lag).
"""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass

import mujoco
import numpy as np
from mujoco import rollout

from calibration.parameters import ParameterSet, apply_to_model
from calibration.replay import CONTROL_SPEC, Replay
from calibration.segments import Segments

DIVERGED = 1e3
"""Weighted residual given to a non-finite simulated value (a diverged rollout)."""
MAX_BATCH_VALUES = 4e7
"""Largest number of state values one rollout call may return (memory bound)."""
FD_STEP = 1e-4
"""Forward-difference step, relative to each parameter's scale."""


@dataclass(frozen=True)
class Problem:
    """Everything Stage 2 needs; picklable, so multi-starts can run in other processes.

    Args:
        replay: The replay model (nominal values) and joint addresses.
        params: The fitted parameters.
        segments: The segments and their targets.
        weights: Per-channel weights (1 / expected residual std), shape (C,).
        threads: Rollout threads.
    """

    replay: Replay
    params: ParameterSet
    segments: Segments
    weights: np.ndarray
    threads: int = 0

    def with_weights(self, weights: np.ndarray) -> Problem:
        """The same problem with other channel weights."""
        return Problem(self.replay, self.params, self.segments, np.asarray(weights, dtype=float), self.threads)

    @property
    def size(self) -> int:
        """Number of data residuals N = S * L * C."""
        return int(self.segments.targets.size)


def _model(problem: Problem, values: np.ndarray) -> mujoco.MjModel:
    model = copy.copy(problem.replay.model)
    apply_to_model(problem.params, values, model)
    return model


def simulate(problem: Problem, values: np.ndarray) -> np.ndarray:
    """Simulated channels for each parameter vector, shape (K, S, L, C) for ``values`` of shape (K, P)."""
    values = np.atleast_2d(values)
    seg, replay = problem.segments, problem.replay
    nq = replay.model.nq
    pick = np.concatenate([1 + replay.qpos, 1 + nq + replay.dofs])[: seg.targets.shape[2]]
    steps = seg.controls.shape[1]
    per_value = seg.count * steps * (1 + nq + replay.model.nv)
    chunk = max(1, int(MAX_BATCH_VALUES // per_value))
    threads = problem.threads or os.cpu_count() or 1
    out = np.empty((len(values), seg.count, seg.length, seg.targets.shape[2]))
    for first in range(0, len(values), chunk):
        block = values[first : first + chunk]
        models = [m for v in block for m in [_model(problem, v)] * seg.count]
        datas = [mujoco.MjData(models[0]) for _ in range(threads)]
        state, _ = rollout.rollout(
            models,
            datas,
            np.tile(seg.states, (len(block), 1)),
            np.tile(seg.controls, (len(block), 1, 1)),
            control_spec=CONTROL_SPEC,
            persistent_pool=False,  # a persistent pool does not survive the fork of a process executor
        )
        state = state[:, seg.substeps - 1 :: seg.substeps][:, :, pick]
        out[first : first + len(block)] = state.reshape(len(block), seg.count, seg.length, -1)
    return out


def weighted(problem: Problem, simulated: np.ndarray) -> np.ndarray:
    """Weighted residuals (simulated - measured) * weight, same shape as ``simulated`` (..., S, L, C)."""
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


def residuals(problem: Problem, values: np.ndarray) -> np.ndarray:
    """All residuals: weighted data residuals (S * L * C, segment-major) then one per prior."""
    data = weighted(problem, simulate(problem, values[None])[0]).reshape(-1)
    return np.concatenate([data, _prior_rows(problem, values)[0]])


def jacobian(problem: Problem, values: np.ndarray, scale: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Residuals and their forward-difference Jacobian in one batched rollout.

    Args:
        values: Parameter values, shape (P,).
        scale: Typical magnitude per parameter; steps are ``FD_STEP * scale`` (away from the upper bound).

    Returns:
        ``(r, J)``: residuals, shape (N',), and Jacobian, shape (N', P), including prior rows.
    """
    step = FD_STEP * scale
    step = np.where(values + step > problem.params.upper, -step, step)
    batch = np.vstack([values, values + np.diag(step)])
    sims = weighted(problem, simulate(problem, batch)).reshape(len(batch), -1)
    jac = ((sims[1:] - sims[0]) / step[:, None]).T
    prior_r, prior_j = _prior_rows(problem, values)
    return np.concatenate([sims[0], prior_r]), np.vstack([jac, prior_j])
