"""Fit sliding friction (and mass, with a logged push force) to object pose logs by simulation error.

Each log is cut into segments (:data:`SEGMENT` s by default) simulated from their estimated start states
(:mod:`calibration.object_model`). Residuals are simulated minus logged positions along the surface the object
moves on (two tangents; along the normal the contact sets the position), in units of the position noise. The
error of a segment's logged start position shifts its whole simulated path along a plane surface, so each
segment's mean residual per tangent is projected out (two nuisance values per segment, solved exactly). The
Gauss-Newton covariance of the projected problem, scaled by the residual variance, gives the intervals;
residual correlation left over (start-velocity error, model error) inflates it by the AR(1) factor
``(1 + rho) / (1 - rho)``, and the simulator's own jitter widens it (:func:`cost_jitter`): simulated contacts
of a pushed box rock at the 0.1 mm level, which made the cost rough and left fits 1-2% from the truth with
purely statistical intervals of 0.1%.

The fit starts from the nominal values or a Coulomb regression on smoothed accelerations, whichever simulates
better (:func:`warm_start`), and runs bounded ``scipy.optimize.least_squares`` (trust region reflective) with a
batched central-difference Jacobian: one ``mujoco.rollout`` call of (1 + 2P) x S segments. Start velocities
are not fitted: a pushed box's contacts made the joint fit of parameters and start states stall far from its
minimum.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from calibration.object_logs import ObjectTrajectory
from calibration.object_model import (
    ObjectReplay,
    rollout_positions,
    start_state,
    step_forces,
)
from calibration.object_warm import coulomb_warm_start, surface_normal
from calibration.parameters import ParameterSet
from calibration.signals import noise_std
from calibration.uncertainty import Uncertainty
from twin.extras import require

SEGMENT = 2.0
"""Default segment length, s (objects can be replayed longer than closed-loop robots)."""
NUISANCE = 2
"""Projected-out values per segment: the start position along two tangents of the surface."""
RELATIVE_STEP = 3e-3
"""Central-difference step of the parameters, relative. Not smaller: a pushed box's simulated contacts rock at
the 0.1 mm level (a 1e-5 change of its mass moved it by 0.1 to 0.4 mm); not one-sided: forward differences
this large biased the fitted friction and mass by up to 1%."""
NOISE_FLOOR = 1e-5
"""Smallest position noise std assumed, m (printed logs can look noise-free)."""
MAX_ITERATIONS = 40
"""Residual evaluations of the trust-region solve at most."""
JITTER_POINTS = 6
"""Perturbations :func:`cost_jitter` simulates."""
POLISH_ROUNDS = 5
"""Rounds of :func:`polish` after the trust-region solve."""
DIVERGED = 1e6
FRICTION_GRID = np.geomspace(0.03, 1.5, 11)
"""Friction coefficients the warm-start scan tries."""
MASS_FACTORS = np.geomspace(0.25, 4.0, 7)
"""Multiples of the nominal mass the warm-start scan tries."""


@dataclass(frozen=True)
class ObjectSegments:
    """Log segments to simulate, padded to a common length L.

    Args:
        initial: Estimated start states, shape (S, nstate).
        forces: Per-step push forces, shape (S, L * substeps, 3), N.
        target: Logged positions at the L samples after each start, shape (S, L, 3), m (zero where masked).
        mask: Which of those samples exist, shape (S, L).
        log: Index of each segment's log, shape (S,).
        start: Each segment's start sample in its log, shape (S,).
        tangent: Two unit tangents of the surface each segment's log moves on, shape (S, 3, 2).
        dt: Log period, s.
    """

    initial: np.ndarray
    forces: np.ndarray
    target: np.ndarray
    mask: np.ndarray
    log: np.ndarray
    start: np.ndarray
    tangent: np.ndarray
    dt: float

    @property
    def count(self) -> int:
        """Number of segments S."""
        return len(self.start)


def build_object_segments(replay: ObjectReplay, logs: list[ObjectTrajectory], segment: float = SEGMENT) -> ObjectSegments:
    """Cut uniform logs (all at the replay's period) into near-equal segments of about ``segment`` s."""
    dt = logs[0].dt
    wanted = max(1, round(segment / dt))
    cuts = []
    for i, log in enumerate(logs):
        count = max(1, round((log.n_samples - 1) / wanted))
        edges = np.linspace(0, log.n_samples - 1, count + 1).round().astype(int)
        cuts += [(i, int(a), int(b - a)) for a, b in itertools.pairwise(edges)]
    length = max(n for _, _, n in cuts)
    count = len(cuts)
    target, mask = np.zeros((count, length, 3)), np.zeros((count, length), dtype=bool)
    forces = np.zeros((count, length * replay.substeps, 3))
    initial = np.empty((count, replay.nstate))
    for s, (i, a, n) in enumerate(cuts):
        log = logs[i]
        target[s, :n] = log.position[a + 1 : a + 1 + n]
        mask[s, :n] = True
        forces[s] = step_forces(log, a, length, replay.substeps)
        initial[s] = start_state(replay, log, a)
    tangents = [tangent_basis(surface_normal(log.position)) for log in logs]
    index = np.array([c[0] for c in cuts])
    return ObjectSegments(initial, forces, target, mask, index, np.array([c[1] for c in cuts]), np.array([tangents[i] for i in index]), dt)


def tangent_basis(normal: np.ndarray) -> np.ndarray:
    """Two unit vectors square to ``normal`` and to each other, shape (3, 2)."""
    seed = np.eye(3)[int(np.argmin(np.abs(normal)))]
    first = seed - (seed @ normal) * normal
    first /= np.linalg.norm(first)
    return np.stack([first, np.cross(normal, first)], axis=1)


@dataclass(frozen=True)
class ObjectProblem:
    """What the fit minimises.

    Args:
        replay: The prepared model.
        params: The fitted parameters (P).
        segments: The segments (S).
        noise: Position noise std, m (residuals are divided by it).
    """

    replay: ObjectReplay
    params: ParameterSet
    segments: ObjectSegments
    noise: float

    @property
    def n_data(self) -> int:
        """Number of data residuals N (two per existing sample: the position error along the surface)."""
        return int(self.segments.mask.sum()) * 2


def position_noise(logs: list[ObjectTrajectory]) -> float:
    """The logs' position noise std, m: the median over logs and axes of a third-difference estimate, or a floor."""
    return max(float(np.median(np.concatenate([noise_std(log.position) for log in logs]))), NOISE_FLOOR)


def simulate(problem: ObjectProblem, thetas: np.ndarray) -> np.ndarray:
    """Positions of every segment for each parameter vector, shape (K, S, L, 3), for ``thetas`` of shape (K, P)."""
    seg = problem.segments
    models = [problem.replay.with_values(problem.params, theta) for theta in thetas for _ in range(seg.count)]
    initial = np.tile(seg.initial, (len(thetas), 1))
    forces = np.tile(seg.forces, (len(thetas), 1, 1))
    return rollout_positions(problem.replay, models, initial, forces).reshape(len(thetas), seg.count, -1, 3)


def _data(problem: ObjectProblem, positions: np.ndarray) -> np.ndarray:
    """Noise-scaled position errors along the surface, each segment's mean removed, shape (N,)."""
    seg = problem.segments
    error = np.einsum("sld,sdk->slk", positions - seg.target, seg.tangent)
    error = np.where(seg.mask[..., None], error, 0.0)
    error -= (error.sum(axis=1) / seg.mask.sum(axis=1)[:, None])[:, None, :]
    r = error[seg.mask] / problem.noise
    return np.where(np.isfinite(r), r, DIVERGED).reshape(-1)


def _priors(problem: ObjectProblem, theta: np.ndarray) -> np.ndarray:
    return np.array([(v - p.prior[0]) / p.prior[1] for p, v in zip(problem.params, theta) if p.prior is not None])


def residuals(problem: ObjectProblem, theta: np.ndarray) -> np.ndarray:
    """Data residuals then prior residuals, shape (N + R,)."""
    return np.concatenate([_data(problem, simulate(problem, theta[None])[0]), _priors(problem, theta)])


def scale(problem: ObjectProblem, theta: np.ndarray) -> np.ndarray:
    """Typical magnitude of each parameter (optimizer scaling, finite-difference steps)."""
    return np.maximum(np.abs(theta), 1e-2)


def jacobian(problem: ObjectProblem, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Residuals (N + R,) and their central-difference Jacobian (N + R, P) in one batched rollout."""
    params = problem.params
    h = RELATIVE_STEP * scale(problem, theta)
    plus, minus = np.minimum(theta + h, params.upper), np.maximum(theta - h, params.lower)
    thetas = [theta]
    for i in range(len(h)):  # central differences, one-sided at a bound
        for value in (plus[i], minus[i]):
            thetas.append(theta.copy())
            thetas[-1][i] = value
    positions = simulate(problem, np.array(thetas))
    columns = [(_data(problem, positions[1 + 2 * i]) - _data(problem, positions[2 + 2 * i])) / (plus[i] - minus[i]) for i in range(len(h))]
    extra = [p for p in params if p.prior is not None]
    prior_j = np.zeros((len(extra), len(theta)))
    for k, p in enumerate(extra):
        prior_j[k, params.names.index(p.name)] = 1.0 / p.prior[1]
    residual = np.concatenate([_data(problem, positions[0]), _priors(problem, theta)])
    return residual, np.vstack([np.stack(columns, axis=1), prior_j])


def solve(problem: ObjectProblem, theta: np.ndarray) -> dict:
    """Bounded least squares from ``theta`` (shape (P,)); the result's values, cost, counts and stopping reason."""
    optimize = require("scipy.optimize", "sysid", "the object fit")
    cache: dict = {}

    def fun(x):
        if x.tobytes() not in cache:
            cache.clear()
            cache[x.tobytes()] = residuals(problem, x)
        return cache[x.tobytes()]

    def jac(x):
        r, j = jacobian(problem, x)
        cache.clear()
        cache[x.tobytes()] = r
        return j

    x0 = np.clip(theta, problem.params.lower, problem.params.upper)
    result = optimize.least_squares(fun, x0, jac=jac, bounds=(problem.params.lower, problem.params.upper), method="trf",
                                    x_scale=scale(problem, x0), ftol=1e-10, xtol=1e-10, gtol=1e-10, max_nfev=MAX_ITERATIONS)
    return {"theta": np.array(result.x, dtype=float), "x0": x0, "cost": float(result.cost), "evaluations": int(result.nfev),
            "jacobians": int(result.njev or 0), "message": str(result.message)}


def polish(problem: ObjectProblem, theta: np.ndarray, jac: np.ndarray, rounds: int = POLISH_ROUNDS) -> tuple[np.ndarray, float, int]:
    """Line searches along the principal axes of ``J^T J`` from ``theta``, all points of a round in one rollout call.

    Simulated contacts jitter (a box rocks by 0.1 mm on its soft contacts), so near the minimum the cost is
    rough and the trust-region steps stall short of it (measured: the truth cost 540 where the fit stopped at
    700). Each round tries 8 points per axis across +-10 (then 5, 2.5, ...) Gauss-Newton standard deviations
    and moves to the best. Returns the values, their cost and the number of rounds that moved.
    """
    params = problem.params
    scales = scale(problem, theta)
    eigen, axes = np.linalg.eigh((jac * scales).T @ (jac * scales))
    spans = 10.0 / np.sqrt(np.maximum(eigen, 1e-12))
    spans = np.minimum(spans, 0.3)  # at most 30% of a parameter's scale in one line
    best = float(np.sum(residuals(problem, theta) ** 2) / 2)
    moved = 0
    offsets = np.concatenate([np.linspace(-1.0, -0.125, 4), np.linspace(0.125, 1.0, 4)])
    for _ in range(rounds):
        points = np.array([theta + scales * axes[:, k] * spans[k] * o for k in range(len(theta)) for o in offsets])
        points = np.clip(points, params.lower, params.upper)
        costs = [float(np.sum(np.concatenate([_data(problem, sim), _priors(problem, t)]) ** 2) / 2) for t, sim in zip(points, simulate(problem, points))]
        k = int(np.argmin(costs))
        if costs[k] < best:
            theta, best, moved = points[k], costs[k], moved + 1
        spans = spans / 2
    return theta, best, moved


def _grid(params: ParameterSet) -> np.ndarray:
    friction = np.array([p.kind == "geom" for p in params])
    grid = params.nominal[None]
    if friction.any():
        grid = np.repeat(grid, len(FRICTION_GRID), axis=0)
        grid[:, friction] = FRICTION_GRID[:, None]
    for i, p in enumerate(params):
        if p.kind == "body":
            grid = np.repeat(grid, len(MASS_FACTORS), axis=0)
            grid[:, i] = np.clip(p.nominal * np.tile(MASS_FACTORS, len(grid) // len(MASS_FACTORS)), p.lower, p.upper)
    return grid


def warm_start(problem: ObjectProblem, logs: list[ObjectTrajectory]) -> tuple[np.ndarray, str]:
    """The start of the fit and how it was found: the lower cost of the nominal values and the Coulomb regression
    (:mod:`calibration.object_warm`), or of a coarse grid when nothing slides clearly enough for the regression."""
    params = problem.params
    coulomb = coulomb_warm_start(logs, problem.replay.model.opt.gravity.copy(), any(p.kind == "body" for p in params))
    candidates, labels = [params.nominal], ["nominal"]
    if coulomb is None:
        grid = _grid(params)
        candidates += list(grid)
        labels += ["grid"] * len(grid)
    else:
        theta = params.nominal.copy()
        for i, p in enumerate(params):
            theta[i] = coulomb[0] if p.kind == "geom" else (coulomb[1] or p.nominal)
        candidates.append(np.clip(theta, params.lower, params.upper))
        labels.append("Coulomb regression on smoothed accelerations")
    costs = [float(np.sum(_data(problem, sim) ** 2)) for sim in simulate(problem, np.array(candidates))]
    best = int(np.argmin(costs))
    return candidates[best], labels[best]


def lag_correlation(problem: ObjectProblem, data: np.ndarray) -> float:
    """Lag-one autocorrelation of the data residuals within segments, per axis, pooled."""
    seg = problem.segments
    r = np.zeros((*seg.mask.shape, 2))
    r[seg.mask] = data.reshape(-1, 2)
    both = seg.mask[:, 1:] & seg.mask[:, :-1]
    num = float(np.sum((r[:, 1:] * r[:, :-1])[both]))
    den = float(np.sum(r[seg.mask] ** 2))
    return num / den if den > 0 else 0.0


def cost_jitter(problem: ObjectProblem, theta: np.ndarray, count: int = JITTER_POINTS, seed: int = 0) -> float:
    """Std of the cost (half the sum of squared residuals) over ``count`` perturbations of 1e-4 relative around ``theta``.

    A smooth model changes its cost by almost nothing there; a pushed box's rocking contacts change it by
    hundreds (with about 400 data points), which bounds how precisely the logs can pin the parameters down.
    """
    rng = np.random.default_rng(seed)
    points = theta * (1 + 1e-4 * rng.standard_normal((count, len(theta))))
    points = np.clip(np.vstack([theta, points]), problem.params.lower, problem.params.upper)
    costs = [float(np.sum(np.concatenate([_data(problem, sim), _priors(problem, t)]) ** 2) / 2) for t, sim in zip(points, simulate(problem, points))]
    return float(np.std(costs))


def object_intervals(problem: ObjectProblem, theta: np.ndarray, residual: np.ndarray, jac: np.ndarray, jitter: float = 0.0) -> tuple[Uncertainty, float]:
    """Intervals of the parameters (module docstring); also the residuals' lag-one correlation.

    Args:
        jitter: The cost's jitter (:func:`cost_jitter`). Parameters whose cost differs by less than twice that
            cannot be told apart, so ``4 jitter / t95^2 (J^T J)^-1`` is added to the covariance: the 95%
            interval then spans at least the ellipse where the linearised cost rises by ``2 jitter``.
    """
    stats = require("scipy.stats", "sysid", "confidence intervals")
    n = problem.n_data
    dof = max(n - len(theta) - NUISANCE * problem.segments.count, 1)
    s2 = float(residual[:n] @ residual[:n]) / dof
    rho = min(lag_correlation(problem, residual[:n]), 0.95)
    inflation = max(1.0, (1 + rho) / (1 - rho))
    t95 = float(stats.t.ppf(0.975, dof))
    inverse = np.linalg.pinv(jac.T @ jac, rcond=1e-12, hermitian=True)
    naive = inverse * s2
    covariance = naive * inflation + inverse * 4.0 * jitter / t95**2
    std = np.sqrt(np.clip(np.diag(covariance), 0.0, None))
    ci = np.stack([np.maximum(theta - t95 * std, problem.params.lower), np.minimum(theta + t95 * std, problem.params.upper)], axis=1)
    return Uncertainty(covariance, naive, std, ci, problem.segments.count, t95), rho
