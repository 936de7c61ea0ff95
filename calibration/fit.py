"""Stage 2: bounded simulation-error least squares from several starts, through the executor interface.

Each start runs ``scipy.optimize.least_squares`` (trust region reflective, the problem's bounds) with the
batched finite-difference Jacobian of :mod:`calibration.simulate`. Each segment's start state (positions and
velocities) is estimated with the parameters as a nuisance parameter, by variable projection: the residuals and
the parameter Jacobian are projected, segment by segment, onto the complement of that segment's start-state
Jacobian (a start state moves only its own segment, so this is the Schur complement of a block-diagonal
system), and every Jacobian evaluation takes one Gauss-Newton step on the start states. Starting from the
smoothed log alone would carry its error into every later sample of the segment. A start stops when a full
Gauss-Newton step would change the cost by a negligible fraction of the residual variance.

Residuals are first weighted per channel by the measurement noise. One more pass from the best start then
whitens them for the logged torques' sensor noise (:mod:`calibration.whitening`) when torques drive the
simulation, or else reweights each channel by its RMS residual at that solution, so a joint with a large model
error does not drown the others.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from calibration.simulate import (
    Problem,
    full_states,
    linearize,
    model_with,
    residuals,
    simulate,
    state_columns,
    weighted,
)
from calibration.whitening import Whitening, kalman, linear_model
from twin.executor import Executor, InlineExecutor
from twin.extras import require

MAX_ITERATIONS = 30
"""Residual evaluations per start at most."""
CONVERGED = 0.01
"""A start stops when a full Gauss-Newton step would lower the cost by less than this many residual variances
(the parameters would move by less than about 0.1 of their std)."""
NEAR = 1.0
"""Below this many residual variances, a start also stops at the first rejected step."""
START_SPREAD = 0.7
"""Random starts multiply the warm start by exp(N(0, START_SPREAD^2)), per parameter."""


@dataclass(frozen=True)
class StartResult:
    """The outcome of one start.

    Args:
        x0: Where it started, shape (P,).
        values: Where it ended, shape (P,).
        cost: Half the sum of squared (projected) residuals there.
        evaluations: Residual evaluations (each one rollout call of S segments).
        jacobians: Jacobian evaluations (each one rollout call of (P + X + 1) x S segments).
        message: The optimizer's reason for stopping.
        offsets: Estimated start-state offsets from the smoothed log, shape (S, X) (see
            :func:`calibration.simulate.state_columns`).
        residual: Projected residuals at ``values``, shape (N + R,).
        jacobian: Their Jacobian in the parameters, shape (N + R, P).
    """

    x0: np.ndarray
    values: np.ndarray
    cost: float
    evaluations: int
    jacobians: int
    message: str
    offsets: np.ndarray
    residual: np.ndarray
    jacobian: np.ndarray


def parameter_scale(problem: Problem, values: np.ndarray) -> np.ndarray:
    """Typical magnitude per parameter (finite-difference steps and optimizer scaling): |value|, or a floor."""
    floor = np.array([{"damping": 1e-2, "frictionloss": 1e-2, "armature": 1e-3, "mass": 1e-2, "friction": 1e-2}[p.attribute] for p in problem.params])
    return np.maximum(np.abs(values), floor)


class _StartStates:
    """The start-state offsets of one solve and the projection that eliminates them (mutable, private)."""

    def __init__(self, problem: Problem, offsets: np.ndarray | None):
        self.segments = problem.segments.count
        self.rows = problem.size
        self.offsets = np.zeros((self.segments, len(state_columns(problem)))) if offsets is None else np.array(offsets, dtype=float)
        self.basis = None

    def update(self, r: np.ndarray, jac_x: np.ndarray) -> None:
        """One Gauss-Newton step on every segment's start state; keep an orthonormal basis of each J_x."""
        u, s, vt = np.linalg.svd(jac_x, full_matrices=False)
        keep = s > 1e-9 * s.max(axis=1, keepdims=True)
        inv = np.where(keep, 1.0 / np.where(keep, s, 1.0), 0.0)
        inner = np.einsum("snx,sn->sx", u, r[: self.rows].reshape(self.segments, -1)) * keep
        self.decrement = 0.5 * float(np.sum(inner**2))
        self.offsets -= np.einsum("sxy,sx->sy", vt, inner * inv)
        self.basis = u * keep[:, None, :]
        self.solve = vt * inv[:, :, None]

    def implied(self, r: np.ndarray) -> np.ndarray:
        """The offsets one Gauss-Newton step from the current ones for residuals ``r`` there (shape (N + R,))."""
        inner = np.einsum("snx,sn->sx", self.basis, r[: self.rows].reshape(self.segments, -1))
        return self.offsets - np.einsum("sxy,sx->sy", self.solve, inner)

    def project(self, a: np.ndarray) -> np.ndarray:
        """Data rows of ``a`` (shape (N + R,) or (N + R, P)) minus their part in each segment's start-state span."""
        data = a[: self.rows].reshape(self.segments, -1, *a.shape[1:])
        inner = np.einsum("snx,sn...->sx...", self.basis, data)
        data = data - np.einsum("snx,sx...->sn...", self.basis, inner)
        return np.concatenate([data.reshape(self.rows, *a.shape[1:]), a[self.rows :]])


class _Converged(Exception):
    """Raised inside the optimizer to stop it at its last accepted point."""


def _decrement(r: np.ndarray, jac: np.ndarray, x: np.ndarray, lower: np.ndarray, upper: np.ndarray, scale: np.ndarray) -> float:
    """How much a Gauss-Newton step of the parameters not held at a bound would lower the cost ``r @ r / 2``."""
    g = jac.T @ r
    near = 1e-3 * scale
    free = ~(((x - lower <= near) & (g > 0)) | ((upper - x <= near) & (g < 0)))
    a = jac[:, free]
    step = np.linalg.lstsq(a, r, rcond=None)[0]
    return 0.5 * float(np.sum((a @ step) ** 2))


def solve_from(problem: Problem, x0: np.ndarray, offsets: np.ndarray | None = None, progress: Callable[[int, float], None] | None = None) -> StartResult:
    """Run bounded least squares from ``x0`` (shape (P,)), estimating the segments' start states on the way.

    Args:
        problem: The Stage 2 problem.
        x0: Start values, shape (P,).
        offsets: Start-state offsets to begin from, shape (S, X); None: the smoothed log's states.
        progress: Optional ``progress(iteration, cost)``, called at every Jacobian evaluation.
    """
    optimize = require("scipy.optimize", "sysid", "the simulation-error fit")
    lower, upper = problem.params.lower, problem.params.upper
    x0 = np.clip(np.asarray(x0, dtype=float), lower, upper)
    scale = parameter_scale(problem, x0)
    states = _StartStates(problem, offsets)
    last: dict = {}
    trial: dict = {}
    count = {"jac": 0, "fun": 1}

    def linear(x):
        if x.tobytes() in trial:  # start from the start states that best fit the residuals seen at x
            states.offsets = trial[x.tobytes()]
        r, j, jac_x = linearize(problem, x, scale, states.offsets, states=True)
        states.update(r, jac_x)
        last.update(key=x.tobytes(), x=x.copy(), r=states.project(r), j=states.project(j))
        variance = float(last["r"] @ last["r"]) / max(len(r) - len(x) - states.offsets.size, 1)
        decrement = (states.decrement + _decrement(last["r"], last["j"], x, lower, upper, scale)) / variance
        last["done"], last["near"] = decrement < CONVERGED, decrement < NEAR
        return last["r"], last["j"]

    def stop(_intermediate):
        if last["done"]:
            raise StopIteration

    def fun(x):
        if last.get("key") == x.tobytes():
            return last["r"]
        count["fun"] += 1
        r = residuals(problem, x, states.offsets)
        trial.clear()
        trial[x.tobytes()] = states.implied(r)
        r = states.project(r)
        if last["near"] and r @ r >= last["r"] @ last["r"]:
            raise _Converged  # near the optimum a failed step means the model is no better than its noise
        return r

    def jac(x, *_):
        count["jac"] += 1
        if count["jac"] > 1 or last.get("key") != x.tobytes():
            linear(x)
        if progress is not None:
            progress(count["jac"], 0.5 * float(last["r"] @ last["r"]))
        return last["j"]

    linear(x0)
    try:
        result = optimize.least_squares(
            fun, x0, jac=jac, bounds=(lower, upper), method="trf", x_scale=scale,
            ftol=1e-10, xtol=1e-10, gtol=1e-10, max_nfev=MAX_ITERATIONS, callback=stop,
        )
        values, message = result.x, str(result.message)
    except _Converged:
        values, message = last["x"], "a step near the optimum did not lower the cost"
    if last["key"] != values.tobytes():
        linear(values)
    r, j = last["r"], last["j"]
    return StartResult(x0, values, 0.5 * float(r @ r), count["fun"], count["jac"] + 1, message, states.offsets.copy(), r, j)


def _solve(item: tuple) -> StartResult:
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


def channel_weights(problem: Problem, values: np.ndarray, offsets: np.ndarray | None = None) -> np.ndarray:
    """Per-channel weights 1 / (RMS residual of that channel) at ``values`` (and start-state ``offsets``), shape (C,)."""
    sim = simulate(problem, values[None], offsets)[0]
    raw = weighted(problem.with_weights(np.ones_like(problem.weights)), sim)
    rms = np.sqrt(np.mean(raw**2, axis=(0, 1)))
    return 1.0 / np.maximum(rms, 1e-12 + 1e-6 * rms.max())


def torque_noise(problem: Problem) -> np.ndarray:
    """White-noise std of the logged torque of each joint, shape (J,), N m or N (0 unless the logs give torques).

    Under closed-loop control the logged torque also holds the controller's response to the measurement noise;
    that part was applied, so it is not noise for the simulation. The torques' third differences are regressed
    on those of the measured channels (same and previous sample) and only the rest counts.
    """
    replay, seg = problem.replay, problem.segments
    if replay.mode != "tau":
        return np.zeros(len(replay.joints))
    column = [m if m >= 0 else replay.model.nu + d for m, d in zip(replay.motors, replay.dofs)]
    torque = seg.controls[:, seg.substeps :: seg.substeps][:, :, column] * replay.motor_scale  # samples 1..L-1
    measured = np.concatenate([seg.targets[:, :-1], np.concatenate([seg.targets[:, :1], seg.targets[:, :-2]], axis=1)], axis=2)
    d3 = lambda x: np.diff(x, n=3, axis=1).reshape(-1, x.shape[2])
    y, a = d3(torque), d3(measured)
    a = a / np.maximum(np.std(a, axis=0), 1e-300)
    rest = y - a @ np.linalg.lstsq(a, y, rcond=None)[0]
    return 1.4826 * np.median(np.abs(rest - np.median(rest, axis=0)), axis=0) / np.sqrt(20.0)


def noise_whitening(problem: Problem, values: np.ndarray, offsets: np.ndarray) -> Whitening | None:
    """The Kalman filter that whitens the residuals for the logged torques' noise at ``values``, or None (no torques).

    Model error adds to the noise: each joint's noise levels (its channels' and its torque's) are scaled so that
    its innovations at ``values`` have unit variance, as channel weights follow the residual RMS without torques.
    """
    std = torque_noise(problem)
    if not np.any(std > 0):
        return None
    seg = problem.segments
    starts, states = full_states(problem, values, offsets)
    a, b = linear_model(problem.replay, model_with(problem, values), starts, seg.controls, states, seg.substeps)
    observe = np.arange(seg.targets.shape[2])
    channel = problem.measurement_std
    joint = observe % len(std)
    filt = kalman(a, b, std, channel, observe)
    innovations = filt.apply(simulate(problem, values[None], offsets)[0] - seg.targets)
    mean_square = np.nan_to_num(np.mean(innovations**2, axis=(0, 1)), nan=1.0)
    scale = np.array([np.mean(mean_square[joint == j]) for j in range(len(std))])
    return kalman(a, b, std * np.sqrt(scale), channel * np.sqrt(scale[joint]), observe)


@dataclass(frozen=True)
class FitResult:
    """The best of all starts after reweighting.

    Args:
        values: Fitted values, shape (P,).
        residual: Weighted residuals at ``values``, projected off each segment's start state, shape (N + R,).
        jacobian: Their Jacobian (the start states eliminated: its normal matrix is the Schur complement),
            shape (N + R, P).
        problem: The problem with the final channel weights.
        starts: Every start's result (first pass), in order.
        final: The reweighted pass from the best start.
        offsets: Estimated start-state offsets from the smoothed log, shape (S, X).
    """

    values: np.ndarray
    residual: np.ndarray
    jacobian: np.ndarray
    problem: Problem
    starts: tuple[StartResult, ...]
    final: StartResult
    offsets: np.ndarray


def fit(problem: Problem, x0s: np.ndarray, executor: Executor | None = None, progress: Callable[[str], None] | None = None) -> FitResult:
    """Fit from every start in ``x0s`` (shape (K, P)), reweight the channels at the best, refine, linearise.

    Args:
        problem: The Stage 2 problem with initial (noise) weights.
        x0s: Start points.
        executor: Runs the starts (default: inline, which reports every iteration).
        progress: Optional ``progress(stage: str)`` callback.
    """
    executor = executor or InlineExecutor()
    say = progress or (lambda _stage: None)
    total = len(x0s)
    if isinstance(executor, InlineExecutor):
        results = []
        for k, x0 in enumerate(x0s):
            report = lambda i, cost, k=k: say(f"fitting: start {k + 1}/{total}, iteration {i}, cost {cost:.3g}")
            say(f"fitting: start {k + 1}/{total}")
            results.append(solve_from(problem, x0, None, report))
    else:
        say(f"fitting: {total} start(s) on the executor")
        results = executor.map(_solve, [(problem, x0) for x0 in x0s])
    best = min(results, key=lambda r: r.cost)
    whitening = noise_whitening(problem, best.values, best.offsets)
    if whitening is not None:
        say("fitting: whitening the residuals for the logged torques' noise")
        reweighted = problem.with_whitening(whitening)
    else:
        say("fitting: reweighting channels by their residuals")
        reweighted = problem.with_weights(channel_weights(problem, best.values, best.offsets))
    final = solve_from(reweighted, best.values, best.offsets, lambda i, cost: say(f"fitting: refining, iteration {i}, cost {cost:.3g}"))
    return FitResult(final.values, final.residual, final.jacobian, reweighted, tuple(results), final, final.offsets)
