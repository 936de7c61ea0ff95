"""Parametric bootstrap of an object fit: intervals that include the simulator's sensitivity to its start.

A simulated sliding box chatters on its soft contacts, and how far it slides changes by 1-2% with start details
no log pins down (a turn of a few mrad about the surface normal; see :mod:`calibration.object_model`). The
Gauss-Newton covariance sees only the position noise, and a linearised spread of replays with turned starts
(one Gauss-Newton step each) came out 5x narrower than the fits' actual scatter.

So the whole experiment is repeated at the fit: each replica simulates every segment from its start state with
the fitted parameters and start velocities, the start perturbed by what the data cannot pin down (a turn about
the surface normal drawn from its estimated uncertainty, a little height and tilt), adds position noise of the
residuals' std, and is refitted with a few evaluations from parameters scattered about the fit as far as the
real fit's warm start was from it. The chatter makes the cost rough at the 1% scale, so where a solve stops
depends on where it starts: refits started at the fit itself stayed in its dip and scattered 0.05%, twenty
times too little. The spread of the refits (their covariance, with a Student t quantile of B - 1 degrees of
freedom) gives the intervals; it contains the noise's share (the Gauss-Newton part) too. The replicas run
through the executor interface (:mod:`twin.executor`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import mujoco
import numpy as np

from calibration.object_fit import ObjectProblem, simulate, solve
from calibration.object_model import quat_index
from twin.executor import Executor, InlineExecutor

RUNS = 16
"""Replicas B by default."""
EVALUATIONS = 15
"""Residual evaluations of each replica's refit at most (it starts at the fit)."""
TURN_FLOOR = 1e-3
"""Smallest std of the start turn about the surface normal, rad."""
TURN_UNLOGGED = 0.02
"""Std of the start turn when no orientation is logged, rad (a crate put down by hand)."""
TILT = 1e-3
"""Std of the start tilt about each surface tangent, rad."""
START_FLOOR = 0.02
"""Smallest relative std of the refits' starting parameters."""


@dataclass(frozen=True)
class Bootstrap:
    """The refits of the replicas.

    Args:
        values: Each replica's fitted parameters, shape (B, P).
        evaluations: Each refit's residual evaluations, shape (B,).
    """

    values: np.ndarray
    evaluations: np.ndarray

    @property
    def covariance(self) -> np.ndarray:
        """Covariance of the refits, shape (P, P)."""
        return np.atleast_2d(np.cov(self.values, rowvar=False))

    @property
    def runs(self) -> int:
        """Number of replicas B."""
        return len(self.values)


def _rotate(quat: np.ndarray, axis: np.ndarray, angle: float) -> np.ndarray:
    turn = np.concatenate([[np.cos(angle / 2)], np.sin(angle / 2) * axis])
    out = np.empty(4)
    mujoco.mju_mulQuat(out, turn, quat)
    return out


def replica_starts(problem: ObjectProblem, runs: int, rng: np.random.Generator) -> np.ndarray:
    """Perturbed start states of every segment, shape (B, S, nstate) (module docstring)."""
    seg, q = problem.segments, quat_index(problem.replay)
    p = 1 + problem.replay.qpos
    turn = np.full(seg.count, TURN_UNLOGGED) if seg.turn is None else np.where(np.isnan(seg.turn), TURN_UNLOGGED, seg.turn)
    turn = np.maximum(turn, TURN_FLOOR)
    height = problem.noise / np.sqrt(np.maximum(seg.mask.sum(axis=1), 1))  # the std of the log's mean height
    normal = np.cross(seg.tangent[:, :, 0], seg.tangent[:, :, 1])
    starts = np.repeat(seg.initial[None], runs, axis=0)
    for b in range(runs):
        for s in range(seg.count):
            quat = _rotate(seg.initial[s, q : q + 4], normal[s], rng.normal(0.0, turn[s]))
            for k in range(2):
                quat = _rotate(quat, seg.tangent[s, :, k], rng.normal(0.0, TILT))
            starts[b, s, q : q + 4] = quat / np.linalg.norm(quat)
            starts[b, s, p : p + 3] += rng.normal(0.0, height[s]) * normal[s]
    return starts


def replicas(problem: ObjectProblem, x: np.ndarray, sigma: float, runs: int, seed: int = 0) -> list[ObjectProblem]:
    """``runs`` synthetic versions of ``problem``'s logs simulated at ``x`` (shape (P + 2S,)) with perturbed starts
    and position noise of std ``sigma`` m; their start states and velocity priors are the original estimates."""
    rng = np.random.default_rng(seed)
    seg = problem.segments
    positions = simulate(problem, np.repeat(x[None], runs, axis=0), replica_starts(problem, runs, rng))
    out = []
    for b in range(runs):
        target = positions[b] + rng.normal(0.0, sigma, positions[b].shape)
        out.append(replace(problem, segments=replace(seg, target=np.where(seg.mask[..., None], target, 0.0))))
    return out


def _refit(item: tuple[ObjectProblem, np.ndarray, np.ndarray, int]) -> tuple[np.ndarray, int]:
    problem, theta, velocity, evaluations = item
    solved = solve(problem, theta, velocity, evaluations)
    return solved["x"][: problem.n_params], solved["evaluations"]


def bootstrap(problem: ObjectProblem, x: np.ndarray, sigma: float, offset: np.ndarray, *, runs: int = RUNS,
              evaluations: int = EVALUATIONS, seed: int = 0, executor: Executor | None = None) -> Bootstrap:
    """Refit ``runs`` replicas of the experiment simulated at the fit ``x`` (shape (P + 2S,)).

    Args:
        problem: The fitted problem.
        x: Its solution: parameters, then start velocities.
        sigma: Position noise std of the replicas, m (the residuals' std).
        offset: Relative std of each refit's starting parameters, shape (P,) (floored at :data:`START_FLOOR`).
        runs: Replicas B (at least 2).
        evaluations: Residual evaluations of each refit at most.
        seed: Seeds the start perturbations and the noise.
        executor: Runs the refits (default: inline).
    """
    runs = max(runs, 2)
    theta, velocity = problem.split(x)
    rng = np.random.default_rng([seed, 1])
    starts = theta * np.exp(rng.normal(0.0, 1.0, (runs, len(theta))) * np.maximum(offset, START_FLOOR))
    starts = np.clip(starts, problem.params.lower, problem.params.upper)
    items = [(p, t, velocity, evaluations) for p, t in zip(replicas(problem, x, sigma, runs, seed), starts)]
    results = (executor or InlineExecutor()).map(_refit, items)
    return Bootstrap(np.array([r[0] for r in results]), np.array([r[1] for r in results]))
