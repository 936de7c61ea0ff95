"""The one robot-log type every reader returns: a frozen, self-validating :class:`Trajectory`.

Column names follow the canonical log of DESIGN.md: ``time`` (s), ``q.<joint>`` (rad or m), ``dq.<joint>``
(rad/s or m/s), ``tau.<joint>`` (N m or N) and ``ctrl.<actuator>``. Errors name the source file and column.

Example:
    >>> import numpy as np
    >>> t = np.arange(5) * 0.01
    >>> traj = Trajectory(time=t, joints=("a",), q=np.zeros((5, 1)), tau=np.zeros((5, 1)))
    >>> round(traj.dt, 3), traj.is_uniform
    (0.01, True)
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from calibration.errors import BadSampleError, LogError, TimestampError

GAP_FACTOR = 20.0
"""A step longer than this many median steps is a gap (an error: split the log there)."""

UNIFORM_TOLERANCE = 1e-3
"""Steps within this fraction of the median step count as uniform."""


def _check_finite(values: np.ndarray, names: tuple[str, ...], prefix: str, time: np.ndarray, source: str):
    bad = ~np.isfinite(values)
    if bad.any():
        row, col = (int(i) for i in np.argwhere(bad)[0])
        raise BadSampleError(
            f"has a missing or non-numeric value at sample {row} (t = {time[row]:.6g} s); "
            "every sample needs a finite number",
            source or None,
            f"{prefix}.{names[col]}",
        )


def check_time(time: np.ndarray, source: str = "", column: str = "time") -> None:
    """Raise :class:`TimestampError` unless ``time`` (s, shape (T,)) strictly increases without gaps."""
    path = source or None
    if time.ndim != 1:
        raise LogError(f"must be one-dimensional, got shape {time.shape}", path, column)
    bad = ~np.isfinite(time)
    if bad.any():
        row = int(np.argmax(bad))
        raise BadSampleError(f"has a missing or non-numeric value at sample {row}; every sample needs a finite time", path, column)
    steps = np.diff(time)
    if (steps == 0).any():
        i = int(np.argmax(steps == 0))
        raise TimestampError(
            f"repeats {time[i]:.6g} s at samples {i} and {i + 1}; every sample needs its own time stamp", path, column
        )
    if (steps < 0).any():
        i = int(np.argmax(steps < 0))
        raise TimestampError(
            f"decreases at sample {i + 1} ({time[i + 1]:.6g} s after {time[i]:.6g} s); sort the samples by time",
            path,
            column,
        )
    if steps.size:
        median = float(np.median(steps))
        if steps.max() > GAP_FACTOR * median:
            i = int(np.argmax(steps))
            raise TimestampError(
                f"jumps by {steps[i]:.6g} s after t = {time[i]:.6g} s (the median step is {median:.6g} s); "
                "split the log at the gap or fill it",
                path,
                column,
            )


class Sampled:
    """Sample counts and periods of a log whose ``time`` (T,) s is strictly increasing."""

    time: np.ndarray

    @property
    def n_samples(self) -> int:
        """Number of samples T."""
        return int(self.time.size)

    @property
    def duration(self) -> float:
        """Time from the first to the last sample, s."""
        return float(self.time[-1] - self.time[0])

    @property
    def dt(self) -> float:
        """Median sample period, s."""
        return float(np.median(np.diff(self.time)))


@dataclass(frozen=True)
class Trajectory(Sampled):
    """One logged trajectory of a robot.

    Args:
        time: Sample times, s, shape (T,), strictly increasing.
        joints: Names of the logged joints (model joint names), length J.
        q: Joint positions, rad or m, shape (T, J).
        dq: Joint velocities, rad/s or m/s, shape (T, J), or None when not logged.
        tau: Measured joint torques/forces, N m or N, shape (T, J), or None.
        actuators: Names of the logged actuators, length U (empty without ``ctrl``).
        ctrl: Actuator controls in the model's units, shape (T, U), or None.
        source: The file (or directory) it was read from; errors name it.
        notes: What was done to the data on the way (resampling, unit scaling), for the report.
    """

    time: np.ndarray
    joints: tuple[str, ...]
    q: np.ndarray
    dq: np.ndarray | None = None
    tau: np.ndarray | None = None
    actuators: tuple[str, ...] = ()
    ctrl: np.ndarray | None = None
    source: str = ""
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        time = np.array(self.time, dtype=float)
        object.__setattr__(self, "time", time)
        object.__setattr__(self, "joints", tuple(self.joints))
        object.__setattr__(self, "actuators", tuple(self.actuators))
        object.__setattr__(self, "notes", tuple(self.notes))
        path = self.source or None
        check_time(time, self.source)
        if time.size < 2:
            raise LogError(f"has {time.size} sample(s); a trajectory needs at least 2", path)
        if not self.joints:
            raise LogError("has no q.<joint> columns; sysid needs joint positions", path)
        if len(set(self.joints)) != len(self.joints):
            raise LogError(f"names a joint twice: {', '.join(self.joints)}", path)
        for field, names in (("q", self.joints), ("dq", self.joints), ("tau", self.joints), ("ctrl", self.actuators)):
            value = getattr(self, field)
            if value is None:
                continue
            value = np.array(value, dtype=float)
            if value.shape != (time.size, len(names)):
                raise LogError(f"{field} must have shape ({time.size}, {len(names)}), got {value.shape}", path)
            _check_finite(value, names, field, time, self.source)
            value.setflags(write=False)
            object.__setattr__(self, field, value)
        if self.ctrl is None and self.actuators:
            raise LogError("names actuators but has no ctrl values", path)
        if self.tau is None and self.ctrl is None:
            raise LogError(
                "has no tau.<joint> or ctrl.<actuator> columns; sysid replays the logged torques or controls", path
            )
        time.setflags(write=False)

    @property
    def is_uniform(self) -> bool:
        """Whether every step is within :data:`UNIFORM_TOLERANCE` of the median step."""
        steps = np.diff(self.time)
        return bool(np.all(np.abs(steps - self.dt) <= UNIFORM_TOLERANCE * self.dt))

    def window(self, start: float, stop: float) -> Trajectory:
        """The samples with ``start <= time - time[0] < stop`` (s from the first sample)."""
        rel = self.time - self.time[0]
        keep = (rel >= start) & (rel < stop)
        pick = lambda a: None if a is None else a[keep]
        note = f"window {start:g} s to {min(stop, self.duration):g} s of the log"
        return replace(
            self, time=self.time[keep], q=self.q[keep], dq=pick(self.dq), tau=pick(self.tau), ctrl=pick(self.ctrl),
            notes=self.notes + (note,),
        )

    def resampled(self, dt: float | None = None) -> Trajectory:
        """This trajectory on a uniform grid of period ``dt`` (default: the median step).

        Positions, velocities and torques are interpolated linearly; controls are held (zero-order hold), as a
        controller holds them between its ticks. A log that is already uniform at ``dt`` is returned with its
        time stamps snapped to the grid. A note says what was done.
        """
        step = float(f"{self.dt:.4g}") if dt is None else float(dt)
        if step <= 0:
            raise LogError(f"resampling needs a period > 0 s, got {step!r}", self.source or None)
        if dt is None and self.is_uniform:
            grid = self.time[0] + step * np.arange(self.n_samples)
            jitter = float(np.abs(grid - self.time).max())
            if jitter == 0.0:
                return self
            note = f"time stamps snapped to a uniform {step * 1e3:.4g} ms grid (largest shift {jitter * 1e6:.3g} us)"
            return replace(self, time=grid, notes=self.notes + (note,))
        count = int(np.floor(self.duration / step + 1e-9)) + 1
        grid = self.time[0] + step * np.arange(count)
        lerp = lambda a: None if a is None else np.stack([np.interp(grid, self.time, c) for c in a.T], axis=1)
        ctrl = None
        if self.ctrl is not None:
            index = np.clip(np.searchsorted(self.time, grid + 1e-12 * step, side="right") - 1, 0, self.n_samples - 1)
            ctrl = self.ctrl[index]
        steps = np.diff(self.time)
        how = ", ".join(k for k in ("q", "dq", "tau") if getattr(self, k) is not None) + " interpolated linearly"
        note = (
            f"resampled from {self.n_samples} samples (step {steps.min() * 1e3:.3g} to {steps.max() * 1e3:.3g} ms, "
            f"median {self.dt * 1e3:.4g} ms) to {count} samples every {step * 1e3:.4g} ms: {how}"
            + ("; ctrl held between samples" if ctrl is not None else "")
        )
        return replace(
            self, time=grid, q=lerp(self.q), dq=lerp(self.dq), tau=lerp(self.tau), ctrl=ctrl,
            notes=self.notes + (note,),
        )
