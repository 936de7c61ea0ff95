"""Held-out validation: replay a log the fit never saw with the nominal and the fitted values.

The held-out log is cut into the same re-initialised segments as the fit (a long closed-loop log replayed
open loop diverges even with true values), and the per-joint RMS position error over all segment samples is
compared before and after. The verdict passes when no joint gets worse and every joint's error after the fit
is at most the threshold.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from calibration.parameters import ParameterSet
from calibration.replay import Replay
from calibration.segments import build_segments
from calibration.signals import smooth
from calibration.simulate import Problem, simulate
from calibration.trajectory import Trajectory

THRESHOLD = 0.01
"""Default pass threshold of the per-joint RMS position error after the fit, rad (or m)."""
TRACE_SEGMENTS = 10
"""Segments kept for the report's trace plot."""


@dataclass(frozen=True)
class Validation:
    """Held-out replay errors.

    Args:
        source: The held-out log.
        joints: Joint names (J).
        rms_before: Per-joint RMS position error with nominal values, shape (J,), rad or m.
        rms_after: The same with fitted values, shape (J,).
        threshold: Pass threshold for ``rms_after``, rad or m.
        passed: The verdict.
        segments: Number of segments replayed.
        horizon: Segment length, s.
        trace: For the report: time (s), measured, before, after of the first segments, shapes (L',), (L', J)...
    """

    source: str
    joints: tuple[str, ...]
    rms_before: np.ndarray
    rms_after: np.ndarray
    threshold: float
    passed: bool
    segments: int
    horizon: float
    trace: dict

    def to_dict(self) -> dict:
        """The ``validation`` object of params.json."""
        return {
            "log": self.source,
            "segments": self.segments,
            "horizon_s": self.horizon,
            "threshold": self.threshold,
            "passed": self.passed,
            "joints": [
                {"name": j, "rms_before": float(b), "rms_after": float(a)}
                for j, b, a in zip(self.joints, self.rms_before, self.rms_after)
            ],
        }


def validate_log(
    replay: Replay,
    params: ParameterSet,
    fitted: np.ndarray,
    log: Trajectory,
    *,
    segment: float,
    threshold: float = THRESHOLD,
    threads: int = 0,
) -> Validation:
    """Replay ``log`` (uniform, at the replay's period) with nominal and fitted values; see the module docstring."""
    smoothed = smooth(log)
    segments = build_segments(replay, [log], [smoothed], segment=segment, velocity=False)
    problem = Problem(replay, params, segments, np.ones(len(segments.channels)), threads)
    before, after = simulate(problem, np.vstack([params.nominal, fitted]))
    target = segments.targets
    rms_before = np.sqrt(np.mean((before - target) ** 2, axis=(0, 1)))
    rms_after = np.sqrt(np.mean((after - target) ** 2, axis=(0, 1)))
    rms_before = np.nan_to_num(rms_before, nan=np.inf)
    rms_after = np.nan_to_num(rms_after, nan=np.inf)
    keep = min(TRACE_SEGMENTS, segments.count)
    index = segments.start[:keep, None] + 1 + np.arange(segments.length)[None, :]
    trace = {
        "time": log.time[index].reshape(-1) - log.time[0],
        "measured": target[:keep].reshape(-1, target.shape[2]),
        "before": before[:keep].reshape(-1, target.shape[2]),
        "after": after[:keep].reshape(-1, target.shape[2]),
        "starts": log.time[segments.start[:keep]] - log.time[0],
    }
    passed = bool(np.all(rms_after <= rms_before * (1 + 1e-9)) and np.all(rms_after <= threshold))
    return Validation(
        source=log.source, joints=replay.joints, rms_before=rms_before, rms_after=rms_after, threshold=threshold,
        passed=passed, segments=segments.count, horizon=round(segments.length * segments.dt, 9), trace=trace,
    )
