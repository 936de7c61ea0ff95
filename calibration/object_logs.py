"""Tracked object pose logs for ``twin sysid --object BODY``: a frozen, self-validating :class:`ObjectTrajectory`.

An object pose log (CSV, Parquet, or HDF5 with one dataset per column under ``/``) has the columns:

- ``time`` (s), strictly increasing;
- ``x``, ``y``, ``z`` (m): the position of the body's frame (as placed in the MJCF) in the world frame;
- ``qw``, ``qx``, ``qy``, ``qz`` (optional, all four or none): its orientation, a unit quaternion in the world frame;
- ``fx``, ``fy``, ``fz`` (optional, all three or none): the push force applied to the body, N, in the world
  frame, acting at the body's centre of mass (zero while nothing pushes).

Other columns are ignored and a note lists them. Errors are one line naming the file and the column.

Example:
    >>> import numpy as np
    >>> t = np.arange(20) * 0.01
    >>> log = ObjectTrajectory(time=t, position=np.zeros((20, 3)))
    >>> log.n_samples, round(log.dt, 3), log.has_force
    (20, 0.01, False)
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from calibration.errors import BadSampleError, LogError, ShortLogError
from calibration.readers import log_files, read_columns
from calibration.trajectory import Sampled, check_time

MIN_SAMPLES = 10
"""Fewest samples an object log may have."""
POSITION = ("x", "y", "z")
QUATERNION = ("qw", "qx", "qy", "qz")
FORCE = ("fx", "fy", "fz")
COLUMNS = ("time", *POSITION, *QUATERNION, *FORCE)
"""Every column an object pose log may have, in the order :func:`write_object_csv` writes them."""


def _checked(values, names: tuple[str, ...], time: np.ndarray, source: str) -> np.ndarray:
    values = np.array(values, dtype=float)
    if values.shape != (time.size, len(names)):
        raise LogError(f"{'/'.join(names)} must have shape ({time.size}, {len(names)}), got {values.shape}", source or None)
    bad = ~np.isfinite(values)
    if bad.any():
        row, col = (int(i) for i in np.argwhere(bad)[0])
        raise BadSampleError(
            f"has a missing or non-numeric value at sample {row} (t = {time[row]:.6g} s); every sample needs a finite number",
            source or None, names[col],
        )
    values.setflags(write=False)
    return values


@dataclass(frozen=True)
class ObjectTrajectory(Sampled):
    """One tracked trajectory of a free object.

    Args:
        time: Sample times, s, shape (T,), strictly increasing, T >= :data:`MIN_SAMPLES`.
        position: Body frame position in the world, m, shape (T, 3).
        quat: Body orientation ``(w, x, y, z)`` in the world, shape (T, 4), or None when not tracked;
            normalised on construction.
        force: Applied push force at the centre of mass, world frame, N, shape (T, 3), or None when not logged.
        source: The file it was read from; errors name it.
        notes: What was done to the data on the way, for the report.
    """

    time: np.ndarray
    position: np.ndarray
    quat: np.ndarray | None = None
    force: np.ndarray | None = None
    source: str = ""
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        time = np.array(self.time, dtype=float)
        check_time(time, self.source)
        if time.size < MIN_SAMPLES:
            raise ShortLogError(f"has {time.size} sample(s); an object log needs at least {MIN_SAMPLES}", self.source or None)
        time.setflags(write=False)
        object.__setattr__(self, "time", time)
        object.__setattr__(self, "notes", tuple(self.notes))
        object.__setattr__(self, "position", _checked(self.position, POSITION, time, self.source))
        if self.force is not None:
            object.__setattr__(self, "force", _checked(self.force, FORCE, time, self.source))
        if self.quat is not None:
            quat = np.array(_checked(self.quat, QUATERNION, time, self.source))
            norm = np.linalg.norm(quat, axis=1)
            if (norm < 0.5).any() or (norm > 1.5).any():
                row = int(np.argmax((norm < 0.5) | (norm > 1.5)))
                raise LogError(
                    f"has a quaternion of norm {norm[row]:.3g} at sample {row} (t = {time[row]:.6g} s); "
                    "expected a unit quaternion (w, x, y, z)", self.source or None, "qw",
                )
            quat /= norm[:, None]
            quat.setflags(write=False)
            object.__setattr__(self, "quat", quat)

    @property
    def has_force(self) -> bool:
        """Whether a push force is logged and not zero throughout."""
        return self.force is not None and bool(np.any(self.force != 0.0))

    def resampled(self, dt: float) -> ObjectTrajectory:
        """This log on a uniform grid of period ``dt`` s (positions, quaternions, forces interpolated linearly).

        A log already uniform at ``dt`` (within 0.1% per step) only has its time stamps snapped to the grid.
        """
        steps = np.diff(self.time)
        if np.all(np.abs(steps - dt) <= 1e-3 * dt):
            grid = self.time[0] + dt * np.arange(self.n_samples)
            return self if np.array_equal(grid, self.time) else replace(self, time=grid)
        count = int(np.floor(self.duration / dt + 1e-9)) + 1
        grid = self.time[0] + dt * np.arange(count)
        lerp = lambda a: None if a is None else np.stack([np.interp(grid, self.time, c) for c in a.T], axis=1)
        note = f"resampled from {self.n_samples} samples (median step {self.dt * 1e3:.4g} ms) to {count} samples every {dt * 1e3:.4g} ms, linearly"
        return replace(self, time=grid, position=lerp(self.position), quat=lerp(self.quat), force=lerp(self.force), notes=self.notes + (note,))


def _group(columns: dict[str, np.ndarray], names: tuple[str, ...], source: str, what: str) -> np.ndarray | None:
    present = [n for n in names if n in columns]
    if not present:
        return None
    if len(present) < len(names):
        missing = next(n for n in names if n not in columns)
        raise LogError(f"has {', '.join(present)} but no '{missing}' column; give all of {', '.join(names)} ({what}) or none", source)
    return np.stack([np.asarray(columns[n], dtype=float) for n in names], axis=1)


def object_trajectory_from_columns(columns: dict[str, np.ndarray], source: str | Path) -> ObjectTrajectory:
    """Build an :class:`ObjectTrajectory` from named columns (see the module docstring)."""
    source = str(source)
    for name in ("time", *POSITION):
        if name not in columns:
            raise LogError(
                f"has no '{name}' column; an object pose log has time, x, y, z (m), optionally qw, qx, qy, qz and fx, fy, fz (N)",
                source,
            )
    ignored = [n for n in columns if n not in COLUMNS]
    return ObjectTrajectory(
        time=np.asarray(columns["time"], dtype=float),
        position=_group(columns, POSITION, source, "position, m"),
        quat=_group(columns, QUATERNION, source, "orientation"),
        force=_group(columns, FORCE, source, "push force, N"),
        source=source,
        notes=(f"ignored columns: {', '.join(ignored)}",) if ignored else (),
    )


def read_object_log(path: str | Path) -> ObjectTrajectory:
    """Read one object pose log file (CSV, Parquet or HDF5)."""
    return object_trajectory_from_columns(read_columns(path), path)


def read_object_logs(path: str | Path) -> list[ObjectTrajectory]:
    """Read a log file, or every log file of a directory (sorted by name)."""
    return [read_object_log(f) for f in log_files(path)]


def object_columns(log: ObjectTrajectory) -> dict[str, np.ndarray]:
    """The named columns of a log (the inverse of :func:`object_trajectory_from_columns`)."""
    columns = {"time": log.time, **{n: log.position[:, i] for i, n in enumerate(POSITION)}}
    for names, values in ((QUATERNION, log.quat), (FORCE, log.force)):
        if values is not None:
            columns.update({n: values[:, i] for i, n in enumerate(names)})
    return columns


def write_object_csv(log: ObjectTrajectory, path: str | Path) -> None:
    """Write a log as CSV (full float precision)."""
    columns = object_columns(log)
    np.savetxt(path, np.stack(list(columns.values()), axis=1), delimiter=",", header=",".join(columns), comments="", fmt="%.17g")
