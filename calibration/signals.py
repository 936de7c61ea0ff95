"""Signal processing for logs: Savitzky-Golay smoothing and derivatives, white-noise estimates.

The smoother is centred (no phase lag). Velocities come from the logged ``dq`` when there is one (smoothed),
else from differentiating ``q``; accelerations from differentiating the velocity signal.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from calibration.trajectory import Trajectory
from twin.extras import require

SMOOTHING_WINDOW = 0.05
"""Default Savitzky-Golay window, s."""
POLYORDER = 3


@dataclass(frozen=True)
class Smoothed:
    """Filtered joint signals of one trajectory, each shape (T, J).

    Args:
        q: Positions, rad or m.
        dq: Velocities, rad/s or m/s.
        ddq: Accelerations, rad/s^2 or m/s^2.
        window: The smoothing window, samples.
    """

    q: np.ndarray
    dq: np.ndarray
    ddq: np.ndarray
    window: int


def window_samples(dt: float, window: float = SMOOTHING_WINDOW) -> int:
    """An odd Savitzky-Golay window of about ``window`` s at period ``dt`` s (at least 7 samples)."""
    n = max(POLYORDER + 4, round(window / dt))
    return n + 1 - n % 2


def smooth(log: Trajectory, window: float = SMOOTHING_WINDOW) -> Smoothed:
    """Smoothed q, dq and ddq of a uniformly sampled log.

    Args:
        log: A trajectory on a uniform grid (see :meth:`Trajectory.resampled`).
        window: Smoothing window, s.
    """
    signal = require("scipy.signal", "sysid", "smoothing logs")
    dt = log.dt
    n = min(window_samples(dt, window), log.n_samples - (1 - log.n_samples % 2))
    if n <= POLYORDER:
        return Smoothed(log.q.copy(), np.gradient(log.q, dt, axis=0), np.zeros_like(log.q), n)
    sg = lambda x, d: signal.savgol_filter(x, n, POLYORDER, deriv=d, delta=dt, axis=0, mode="interp")
    q = sg(log.q, 0)
    if log.dq is not None:
        dq, ddq = sg(log.dq, 0), sg(log.dq, 1)
    else:
        dq, ddq = sg(log.q, 1), sg(log.q, 2)
    return Smoothed(q, dq, ddq, n)


def noise_std(x: np.ndarray) -> np.ndarray:
    """Robust estimate of each column's white-noise std from third differences, shape (C,) for x of shape (T, C).

    Third differences cancel smooth motion (a cubic) and multiply white noise's variance by 20; the median
    absolute deviation ignores occasional jumps. Quantized signals give about quantum / sqrt(12).
    """
    d3 = np.diff(np.asarray(x, dtype=float), n=3, axis=0)
    mad = np.median(np.abs(d3 - np.median(d3, axis=0)), axis=0)
    return 1.4826 * mad / np.sqrt(20.0)
