"""Stage 2: bounded simulation-error least squares from several starts, through the executor interface.

Each start runs ``scipy.optimize.least_squares`` (trust region reflective, the problem's bounds) with the
batched finite-difference Jacobian of :mod:`calibration.simulate`. Channels are weighted by their expected
residual std: first the measurement noise, then (one more pass from the best start) the RMS residual of each
channel at that solution, so a joint with a large model error does not drown the others.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from calibration.simulate import Problem, jacobian, residuals, simulate, weighted
from twin.executor import Executor, InlineExecutor
from twin.extras import require

MAX_ITERATIONS = 30
"""Jacobian evaluations per start at most."""
START_SPREAD = 0.7
"""Random starts multiply the warm start by exp(N(0, START_SPREAD^2)), per parameter."""


@dataclass(frozen=True)
class StartResult:
    """The outcome of one start.

    Args:
        x0: Where it started, shape (P,).
        values: Where it ended, shape (P,).
        cost: Half the sum of squared residuals there.
        evaluations: Residual evaluations (each one rollout call of S segments).
        jacobians: Jacobian evaluations (each one rollout call of (P + 1) x S segments).
        message: The optimizer's reason for stopping.
    """

    x0: np.ndarray
    values: np.ndarray
    cost: float
    evaluations: int
    jacobians: int
    message: str


def parameter_scale(problem: Problem, values: np.ndarray) -> np.ndarray:
    """Typical magnitude per parameter (finite-difference steps and optimizer scaling): |value|, or a floor."""
    floor = np.array([{"damping": 1e-2, "frictionloss": 1e-2, "armature": 1e-3, "mass": 1e-2, "friction": 1e-2}[p.attribute] for p in problem.params])
    return np.maximum(np.abs(values), floor)


def solve_from(problem: Problem, x0: np.ndarray) -> StartResult:
    """Run bounded least squares from ``x0`` (shape (P,))."""
    optimize = require("scipy.optimize", "sysid", "the simulation-error fit")
    lower, upper = problem.params.lower, problem.params.upper
    x0 = np.clip(np.asarray(x0, dtype=float), lower, upper)
    scale = parameter_scale(problem, x0)
    cache: dict = {}
    count = {"jac": 0}

    def fun(x):
        key = x.tobytes()
        if key not in cache:
            cache.clear()
            cache[key] = residuals(problem, x)
        return cache[key]

    def jac(x):
        count["jac"] += 1
        r, j = jacobian(problem, x, scale)
        cache.clear()
        cache[x.tobytes()] = r
        return j

    result = optimize.least_squares(
        fun, x0, jac=jac, bounds=(lower, upper), method="trf", x_scale=scale,
        ftol=1e-10, xtol=1e-10, gtol=1e-10, max_nfev=MAX_ITERATIONS,
    )
    return StartResult(x0, result.x, float(result.cost), int(result.nfev), count["jac"], str(result.message))


def _solve(item: tuple[Problem, np.ndarray]) -> StartResult:
    return solve_from(*item)


def starts(warm: np.ndarray, nominal: np.ndarray, count: int, rng: np.random.Generator, lower, upper) -> np.ndarray:
    """Start points, shape (count, P): the warm start, then the nominal values, then random spreads of the warm start."""
    points = [warm]
    if count > 1 and not np.allclose(nominal, warm):
        points.append(nominal)
    while len(points) < count:
        spread = np.exp(rng.normal(0.0, START_SPREAD, size=warm.shape))
        points.append(np.maximum(warm, 1e-3) * spread)
    return np.clip(np.array(points[:count]), lower, upper)


def channel_weights(problem: Problem, values: np.ndarray) -> np.ndarray:
    """Per-channel weights 1 / (RMS residual of that channel) at ``values``, shape (C,)."""
    sim = simulate(problem, values[None])[0]
    raw = weighted(problem.with_weights(np.ones_like(problem.weights)), sim)
    rms = np.sqrt(np.mean(raw**2, axis=(0, 1)))
    return 1.0 / np.maximum(rms, 1e-12 + 1e-6 * rms.max())


@dataclass(frozen=True)
class FitResult:
    """The best of all starts after reweighting.

    Args:
        values: Fitted values, shape (P,).
        residual: Weighted residuals at ``values``, shape (N + R,).
        jacobian: Their Jacobian, shape (N + R, P).
        problem: The problem with the final channel weights.
        starts: Every start's result (first pass), in order.
        final: The reweighted pass from the best start.
    """

    values: np.ndarray
    residual: np.ndarray
    jacobian: np.ndarray
    problem: Problem
    starts: tuple[StartResult, ...]
    final: StartResult


def fit(problem: Problem, x0s: np.ndarray, executor: Executor | None = None, progress=None) -> FitResult:
    """Fit from every start in ``x0s`` (shape (K, P)), reweight the channels at the best, refine, linearise.

    Args:
        problem: The Stage 2 problem with initial (noise) weights.
        x0s: Start points.
        executor: Runs the starts (default: inline).
        progress: Optional ``progress(stage: str)`` callback.
    """
    executor = executor or InlineExecutor()
    say = progress or (lambda _stage: None)
    say(f"simulation-error fit from {len(x0s)} start(s)")
    results = executor.map(_solve, [(problem, x0) for x0 in x0s])
    best = min(results, key=lambda r: r.cost)
    say("reweighting channels by their residuals and refining")
    reweighted = problem.with_weights(channel_weights(problem, best.values))
    final = solve_from(reweighted, best.values)
    r, j = jacobian(reweighted, final.values, parameter_scale(reweighted, final.values))
    return FitResult(final.values, r, j, reweighted, tuple(results), final)
