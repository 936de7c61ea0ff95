"""Warm start of the object fit from Coulomb's law on smoothed accelerations (no simulation).

While the object slides, its acceleration along the sliding direction ``u`` is
``(a - g) . u = (F . u) / m - mu * g_n`` with ``g_n`` the part of gravity pressing it on the surface
(``-g . n``, the surface normal ``n`` from the logged motion: the least-varying direction of the positions,
or, for motion along a line, the upward direction square to that line). With a logged force that is linear
in ``1/m`` and ``mu``; without one it gives ``mu`` alone. The fit needs this start: friction and mass trade off
along a valley so narrow (a 5% error moves a 1 m slide by centimetres) that a grid misses it.
"""

from __future__ import annotations

import numpy as np

from calibration.object_logs import ObjectTrajectory
from twin.extras import require

SLIDING_SPEED = 0.05
"""Samples slower than this (m/s) are not used: the object may be sticking or about to stop."""
WINDOW = 0.1
"""Savitzky-Golay smoothing window, s."""


def surface_normal(positions: np.ndarray) -> np.ndarray:
    """The upward normal of the plane the positions (shape (T, 3)) move in, shape (3,)."""
    centred = positions - positions.mean(axis=0)
    _, sv, vt = np.linalg.svd(centred, full_matrices=False)
    up = np.array([0.0, 0.0, 1.0])
    if sv[0] < 0.01 * np.sqrt(len(positions)):  # it barely moves (under about 1 cm RMS)
        return up
    if sv[1] < 0.05 * sv[0]:  # motion along a line: the vertical square to it
        line = vt[0]
        normal = up - (up @ line) * line
    else:
        normal = vt[2]
    normal = normal / np.linalg.norm(normal)
    return normal if normal @ up >= 0 else -normal


def coulomb_rows(log: ObjectTrajectory, gravity: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per sliding sample: ``y = (a - g) . u``, ``F . u`` (N) and ``g_n`` (m/s^2), each shape (K,)."""
    signal = require("scipy.signal", "sysid", "smoothing logs")
    n = max(7, round(WINDOW / log.dt)) | 1
    if log.n_samples <= n:
        return np.zeros(0), np.zeros(0), np.zeros(0)
    sg = lambda d: signal.savgol_filter(log.position, n, 3, deriv=d, delta=log.dt, axis=0)
    velocity, acceleration = sg(1), sg(2)
    speed = np.linalg.norm(velocity, axis=1)
    sliding = speed > SLIDING_SPEED
    sliding[: n // 2] = sliding[-(n // 2) :] = False  # the smoother's ends are the least reliable
    sliding &= np.convolve(sliding, np.ones(n), mode="same") >= n - 0.5  # away from starts and stops
    if sliding.sum() < 3:
        return np.zeros(0), np.zeros(0), np.zeros(0)
    normal = surface_normal(log.position[speed > SLIDING_SPEED])
    u = velocity[sliding] / speed[sliding, None]
    force = np.zeros((log.n_samples, 3)) if log.force is None else log.force
    y = np.einsum("kd,kd->k", acceleration[sliding] - gravity, u)
    return y, np.einsum("kd,kd->k", force[sliding], u), np.full(len(y), -float(gravity @ normal))


def coulomb_warm_start(logs: list[ObjectTrajectory], gravity: np.ndarray, with_mass: bool) -> tuple[float, float | None] | None:
    """``(mu, mass or None)`` from all logs' sliding samples, or None when nothing slides clearly."""
    rows = [coulomb_rows(log, gravity) for log in logs]
    y, f, gn = (np.concatenate([r[i] for r in rows]) for i in range(3))
    if len(y) < 3:
        return None
    if with_mass and np.ptp(f) > 0:
        (inverse_mass, mu), *_ = np.linalg.lstsq(np.stack([f, -gn], axis=1), y, rcond=None)
        mass = 1.0 / inverse_mass if inverse_mass > 0 else None
        return max(float(mu), 0.0), mass
    return max(float(np.mean(-y / gn)), 0.0), None
