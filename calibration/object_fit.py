"""Fit sliding friction (and mass, with a logged push force) to object pose logs by simulation error.

Each log is cut into segments (:data:`SEGMENT` s by default) simulated from their estimated start states
(:mod:`calibration.object_model`: the object put on the surface as it rests, position and velocity from the
log). Residuals are simulated minus logged positions along the surface the object moves on (two tangents;
along the normal the contact sets the position), in units of the position noise. Each segment has four
nuisance values: its start position along the two tangents (a plane surface shifts the whole simulated path
with it, so each segment's mean residual per tangent is projected out, which solves for them exactly) and its
start velocity along them, fitted jointly with the parameters. A start velocity taken from a local fit of noisy
positions is off by about 3 cm/s at a log's first sample; left unfitted it biased the friction fitted on 1 s
slides down a slope by up to 5%.

The fit starts from the nominal values or a Coulomb regression on smoothed accelerations, whichever simulates
better (:func:`warm_start`), and runs bounded ``scipy.optimize.least_squares`` (trust region reflective) with a
batched central-difference Jacobian: one ``mujoco.rollout`` call of (5 + 2P) x S segments (a segment's start
velocity moves only that segment, so all segments' velocities are perturbed together). Intervals: the
spread of a parametric bootstrap of the whole experiment at the fit (:mod:`calibration.object_bootstrap`;
:func:`object_intervals`).
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
    turn_uncertainty,
    velocity_index,
)
from calibration.object_warm import coulomb_warm_start, surface_normal
from calibration.parameters import ParameterSet
from calibration.signals import noise_std
from calibration.uncertainty import Uncertainty
from twin.extras import require

SEGMENT = 2.0
"""Default segment length, s (objects can be replayed longer than closed-loop robots)."""
NUISANCE = 4
"""Nuisance values per segment: the start position (projected out) and velocity (fitted) along two tangents."""
RELATIVE_STEP = 3e-3
"""Central-difference step of the parameters, relative. Not smaller: a sliding box's simulated contacts chatter
(it hops by up to 0.6 mm at a 1 ms step), which moves it by 10-40 um in a way that changes with every
parameter value."""
VELOCITY_STEP = 3e-3
"""Central-difference step of the start velocities, m/s."""
VELOCITY_PRIOR = 0.1
"""Std of a weak prior that ties each start velocity to its local-fit estimate, m/s: it only pins velocities the
logs cannot see (a box that sticks at the start)."""
NOISE_FLOOR = 1e-5
"""Smallest position noise std assumed, m (printed logs can look noise-free)."""
MAX_ITERATIONS = 40
"""Residual evaluations of the trust-region solve at most."""
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
        velocity: Start velocities along the tangents from the local fit, shape (S, 2), m/s.
        dt: Log period, s.
        turn: Std of each estimated start turn about the surface normal, shape (S,), rad (NaN: no orientation
            logged).
    """

    initial: np.ndarray
    forces: np.ndarray
    target: np.ndarray
    mask: np.ndarray
    log: np.ndarray
    start: np.ndarray
    tangent: np.ndarray
    velocity: np.ndarray
    dt: float
    turn: np.ndarray | None = None

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
    normals = [surface_normal(log.position) for log in logs]
    target, mask = np.zeros((count, length, 3)), np.zeros((count, length), dtype=bool)
    forces = np.zeros((count, length * replay.substeps, 3))
    initial, turn = np.empty((count, replay.nstate)), np.full(count, np.nan)
    for s, (i, a, n) in enumerate(cuts):
        log = logs[i]
        target[s, :n] = log.position[a + 1 : a + 1 + n]
        mask[s, :n] = True
        forces[s] = step_forces(log, a, length, replay.substeps)
        initial[s] = start_state(replay, log, a, normals[i])
        std = turn_uncertainty(replay, log, a, normals[i])
        turn[s] = np.nan if std is None else std
    index = np.array([c[0] for c in cuts])
    tangent = np.array([tangent_basis(normals[i]) for i in index])
    v = velocity_index(replay)
    velocity = np.einsum("sd,sdk->sk", initial[:, v : v + 3], tangent)
    return ObjectSegments(initial, forces, target, mask, index, np.array([c[1] for c in cuts]), tangent, velocity, dt, turn)


def tangent_basis(normal: np.ndarray) -> np.ndarray:
    """Two unit vectors square to ``normal`` and to each other, shape (3, 2)."""
    seed = np.eye(3)[int(np.argmin(np.abs(normal)))]
    first = seed - (seed @ normal) * normal
    first /= np.linalg.norm(first)
    return np.stack([first, np.cross(normal, first)], axis=1)


@dataclass(frozen=True)
class ObjectProblem:
    """What the fit minimises.

    The unknowns are ``x = (theta, v)``: the P parameters, then the S x 2 start velocities along the tangents.

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

    @property
    def n_params(self) -> int:
        """Number of parameters P."""
        return len(self.params)

    def unknowns(self, theta: np.ndarray, velocity: np.ndarray | None = None) -> np.ndarray:
        """``x`` from parameters (P,) and start velocities (S, 2) (default: the local fits'), shape (P + 2S,)."""
        velocity = self.segments.velocity if velocity is None else velocity
        return np.concatenate([theta, np.asarray(velocity, dtype=float).reshape(-1)])

    def split(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(theta (P,), velocity (S, 2))`` of ``x``."""
        return x[: self.n_params], x[self.n_params :].reshape(-1, 2)


def position_noise(logs: list[ObjectTrajectory]) -> float:
    """The logs' position noise std, m: the median over logs and axes of a third-difference estimate, or a floor."""
    return max(float(np.median(np.concatenate([noise_std(log.position) for log in logs]))), NOISE_FLOOR)


def simulate(problem: ObjectProblem, xs: np.ndarray, starts: np.ndarray | None = None) -> np.ndarray:
    """Positions of every segment for each unknown vector, shape (K, S, L, 3), for ``xs`` of shape (K, P + 2S).

    ``starts`` (shape (K, S, nstate)) replaces the segments' start states (their velocities are set from ``xs``).
    """
    seg = problem.segments
    v = velocity_index(problem.replay)
    models, initial = [], []
    for k, x in enumerate(xs):
        theta, velocity = problem.split(x)
        model = problem.replay.with_values(problem.params, theta)
        states = (seg.initial if starts is None else starts[k]).copy()
        states[:, v : v + 3] = np.einsum("sdk,sk->sd", seg.tangent, velocity)
        models += [model] * seg.count
        initial.append(states)
    forces = np.tile(seg.forces, (len(xs), 1, 1))
    return rollout_positions(problem.replay, models, np.concatenate(initial), forces).reshape(len(xs), seg.count, -1, 3)


def _data(problem: ObjectProblem, positions: np.ndarray) -> np.ndarray:
    """Noise-scaled position errors along the surface, each segment's mean removed, shape (N,)."""
    seg = problem.segments
    error = np.einsum("sld,sdk->slk", positions - seg.target, seg.tangent)
    error = np.where(seg.mask[..., None], error, 0.0)
    error -= (error.sum(axis=1) / seg.mask.sum(axis=1)[:, None])[:, None, :]
    r = error[seg.mask] / problem.noise
    return np.where(np.isfinite(r), r, DIVERGED).reshape(-1)


def _priors(problem: ObjectProblem, x: np.ndarray) -> np.ndarray:
    """Parameter priors (R,), then the start velocities' weak prior (2S,)."""
    theta, velocity = problem.split(x)
    params = [(v - p.prior[0]) / p.prior[1] for p, v in zip(problem.params, theta) if p.prior is not None]
    return np.concatenate([params, ((velocity - problem.segments.velocity) / VELOCITY_PRIOR).reshape(-1)])


def _prior_jacobian(problem: ObjectProblem) -> np.ndarray:
    params, p = problem.params, problem.n_params
    extra = [q for q in params if q.prior is not None]
    rows = np.zeros((len(extra) + 2 * problem.segments.count, p + 2 * problem.segments.count))
    for k, q in enumerate(extra):
        rows[k, params.names.index(q.name)] = 1.0 / q.prior[1]
    rows[len(extra) :, p:] = np.eye(2 * problem.segments.count) / VELOCITY_PRIOR
    return rows


def residuals(problem: ObjectProblem, x: np.ndarray) -> np.ndarray:
    """Data residuals then prior residuals, shape (N + R + 2S,)."""
    return np.concatenate([_data(problem, simulate(problem, x[None])[0]), _priors(problem, x)])


def cost(problem: ObjectProblem, x: np.ndarray) -> float:
    """Half the sum of squared residuals at ``x``."""
    return float(np.sum(residuals(problem, x) ** 2) / 2)


def scale(problem: ObjectProblem, x: np.ndarray) -> np.ndarray:
    """Typical magnitude of each unknown (optimizer scaling, finite-difference steps of the parameters)."""
    p = problem.n_params
    return np.concatenate([np.maximum(np.abs(x[:p]), 1e-2), np.full(len(x) - p, 0.1)])


def jacobian(problem: ObjectProblem, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Residuals (M,) and their central-difference Jacobian (M, P + 2S) in one batched rollout."""
    params, p, seg = problem.params, problem.n_params, problem.segments
    h = RELATIVE_STEP * scale(problem, x)[:p]
    plus, minus = np.minimum(x[:p] + h, params.upper), np.maximum(x[:p] - h, params.lower)
    xs = [x]
    for i in range(p):  # central differences, one-sided at a bound
        for value in (plus[i], minus[i]):
            xs.append(x.copy())
            xs[-1][i] = value
    for k in range(2):  # every segment's start velocity along tangent k at once: segments do not interact
        for sign in (1.0, -1.0):
            xs.append(x.copy())
            xs[-1][p + k :: 2] += sign * VELOCITY_STEP
    data = [_data(problem, positions) for positions in simulate(problem, np.array(xs))]
    columns = [(data[1 + 2 * i] - data[2 + 2 * i]) / (plus[i] - minus[i]) for i in range(p)]
    rows = np.repeat(np.arange(seg.count), seg.mask.sum(axis=1) * 2)  # the segment of each data residual
    velocity = np.zeros((len(data[0]), 2 * seg.count))
    for k in range(2):
        change = (data[1 + 2 * p + 2 * k] - data[2 + 2 * p + 2 * k]) / (2 * VELOCITY_STEP)
        velocity[np.arange(len(rows)), 2 * rows + k] = change
    jac = np.vstack([np.hstack([np.stack(columns, axis=1), velocity]), _prior_jacobian(problem)])
    return np.concatenate([data[0], _priors(problem, x)]), jac


def solve(problem: ObjectProblem, theta: np.ndarray, velocity: np.ndarray | None = None, evaluations: int = MAX_ITERATIONS) -> dict:
    """Bounded least squares of parameters and start velocities from ``theta`` (shape (P,)) and ``velocity``
    (shape (S, 2), default: the local fits'), with at most ``evaluations`` residual evaluations; the result's
    unknowns ``x``, cost, counts and stopping reason."""
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

    params, n = problem.params, 2 * problem.segments.count
    lower, upper = np.concatenate([params.lower, np.full(n, -np.inf)]), np.concatenate([params.upper, np.full(n, np.inf)])
    x0 = problem.unknowns(np.clip(theta, params.lower, params.upper), velocity)
    result = optimize.least_squares(fun, x0, jac=jac, bounds=(lower, upper), method="trf", x_scale=scale(problem, x0),
                                    ftol=1e-10, xtol=1e-10, gtol=1e-10, max_nfev=evaluations)
    return {"x": np.array(result.x, dtype=float), "x0": x0[: problem.n_params], "cost": float(result.cost),
            "evaluations": int(result.nfev), "jacobians": int(result.njev or 0), "message": str(result.message)}


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
    """The start of the fit (shape (P,)) and how it was found: the lower cost of the nominal values and the Coulomb
    regression (:mod:`calibration.object_warm`), or of a coarse grid when nothing slides clearly enough for it."""
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
    xs = np.array([problem.unknowns(c) for c in candidates])
    costs = [float(np.sum(_data(problem, sim) ** 2)) for sim in simulate(problem, xs)]
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


def object_intervals(problem: ObjectProblem, x: np.ndarray, residual: np.ndarray, jac: np.ndarray,
                     spread: np.ndarray | None = None, runs: int = 0) -> tuple[Uncertainty, float]:
    """Intervals of the parameters and the residuals' lag-one correlation (a check: near zero when the model fits).

    ``naive_covariance`` is ``s^2 (J^T J)^-1`` over parameters and start velocities (``J`` of the residuals with
    each segment's mean projected out, so the start positions are marginalised too), restricted to the
    parameters: the parameters' covariance marginalised over the nuisance values, with ``s^2`` the data
    residuals' variance on ``N - P - 4S`` degrees of freedom. ``spread`` (shape (P, P)) is the covariance of
    ``runs`` bootstrap refits (:mod:`calibration.object_bootstrap`), which holds the noise's share as well: when
    given it is the covariance, with the t quantile of ``runs - 1`` degrees of freedom; otherwise the naive one is,
    with that of the residuals'.
    """
    stats = require("scipy.stats", "sysid", "confidence intervals")
    n, p = problem.n_data, problem.n_params
    theta = x[:p]
    dof = max(n - p - NUISANCE * problem.segments.count, 1)
    s2 = residual_variance(problem, residual)
    rho = lag_correlation(problem, residual[:n])
    naive = np.linalg.pinv(jac.T @ jac, rcond=1e-12, hermitian=True)[:p, :p] * s2
    covariance = naive if spread is None else spread
    t95 = float(stats.t.ppf(0.975, dof if spread is None else max(runs - 1, 1)))
    std = np.sqrt(np.clip(np.diag(covariance), 0.0, None))
    ci = np.stack([np.maximum(theta - t95 * std, problem.params.lower), np.minimum(theta + t95 * std, problem.params.upper)], axis=1)
    return Uncertainty(covariance, naive, std, ci, problem.segments.count, t95), rho


def residual_variance(problem: ObjectProblem, residual: np.ndarray) -> float:
    """Variance of the data residuals (in units of the position noise) on ``N - P - 4S`` degrees of freedom."""
    n = problem.n_data
    dof = max(n - problem.n_params - NUISANCE * problem.segments.count, 1)
    return float(residual[:n] @ residual[:n]) / dof
