"""Readers for the canonical robot log (CSV, Parquet, HDF5) and log directories; a canonical CSV writer.

Each reader returns named columns; :func:`trajectory_from_columns` turns canonical names (``time``,
``q.<joint>``, ``dq.<joint>``, ``tau.<joint>``, ``ctrl.<actuator>``) into a :class:`Trajectory`. Vendor
layouts go through a column map (:mod:`calibration.column_map`) into the same names.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from calibration.errors import LogError
from calibration.trajectory import Trajectory
from twin.extras import require

SUFFIXES = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet", ".h5": "hdf5", ".hdf5": "hdf5"}
"""Log file suffixes and their formats."""

_PER_JOINT = ("q", "dq", "tau")


def read_csv_columns(path: str | Path) -> dict[str, np.ndarray]:
    """Columns of a CSV file with one header row; values that are not numbers become NaN (reported later)."""
    path = Path(path)
    try:
        with path.open(newline="") as f:
            header = next(csv.reader(f), None)
            if not header:
                raise LogError("is empty; expected a header row (time, q.<joint>, ...) and samples", path)
            rows = [row for row in csv.reader(f) if row]
    except (OSError, UnicodeDecodeError) as exc:
        raise LogError(f"cannot be read as CSV: {exc}", path) from None
    names = [h.strip() for h in header]
    for i, row in enumerate(rows):
        if len(row) != len(names):
            raise LogError(f"row {i + 2} has {len(row)} fields but the header has {len(names)}", path)

    def number(text: str) -> float:
        try:
            return float(text)
        except ValueError:
            return float("nan")

    table = np.array([[number(x) for x in row] for row in rows], dtype=float).reshape(len(rows), len(names))
    return {name: table[:, i] for i, name in enumerate(names)}


def read_parquet_columns(path: str | Path) -> dict[str, np.ndarray]:
    """Columns of a Parquet file (needs pyarrow: extra ``sysid``)."""
    parquet = require("pyarrow.parquet", "sysid", "reading Parquet logs")
    try:
        table = parquet.read_table(str(path))
    except (OSError, ValueError, require("pyarrow", "sysid", "reading Parquet logs").ArrowException) as exc:
        raise LogError(f"cannot be read as Parquet: {exc}", path) from None
    return {name: np.asarray(table.column(name).to_numpy(zero_copy_only=False), dtype=float) for name in table.column_names}


def read_hdf5_columns(path: str | Path) -> dict[str, np.ndarray]:
    """One-dimensional datasets directly under ``/`` of an HDF5 file (needs h5py: extra ``sysid``)."""
    h5py = require("h5py", "sysid", "reading HDF5 logs")
    try:
        with h5py.File(str(path), "r") as f:
            return {name: np.asarray(item[()], dtype=float).reshape(-1) for name, item in f.items() if isinstance(item, h5py.Dataset)}
    except OSError as exc:
        raise LogError(f"cannot be read as HDF5: {exc}", path) from None


def read_columns(path: str | Path) -> dict[str, np.ndarray]:
    """Columns of a log file, by its suffix (one of :data:`SUFFIXES`)."""
    path = Path(path)
    kind = SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise LogError(f"has an unknown suffix; expected one of {', '.join(sorted(SUFFIXES))}", path)
    if not path.is_file():
        raise LogError("does not exist or is not a file", path)
    return {"csv": read_csv_columns, "parquet": read_parquet_columns, "hdf5": read_hdf5_columns}[kind](path)


def trajectory_from_columns(columns: dict[str, np.ndarray], source: str | Path, notes: tuple[str, ...] = ()) -> Trajectory:
    """Build a :class:`Trajectory` from canonically named columns (see the module docstring).

    Columns with other names are ignored and a note lists them. Every logged joint needs ``q``; ``dq`` and
    ``tau`` are given for every logged joint or for none.
    """
    source = str(source)
    if "time" not in columns:
        raise LogError(
            "has no 'time' column; the canonical log has time, q.<joint>, and tau.<joint> or ctrl.<actuator> columns",
            source,
        )
    groups: dict[str, dict[str, np.ndarray]] = {kind: {} for kind in (*_PER_JOINT, "ctrl")}
    ignored = []
    for name, values in columns.items():
        kind, _, element = name.partition(".")
        if name == "time":
            continue
        if kind in groups and element:
            groups[kind][element] = np.asarray(values, dtype=float)
        else:
            ignored.append(name)
    joints = tuple(groups["q"])
    for kind in ("dq", "tau"):
        extra = [j for j in groups[kind] if j not in groups["q"]]
        if extra:
            raise LogError(f"has no q.{extra[0]} column for {kind}.{extra[0]}; every logged joint needs its position", source)
        missing = [j for j in joints if j not in groups[kind]]
        if groups[kind] and missing:
            raise LogError(
                f"has {kind} for some joints but no {kind}.{missing[0]}; give {kind} for every logged joint or none",
                source,
            )
    stack = lambda group, names: np.stack([group[n] for n in names], axis=1) if names and group else None
    if ignored:
        notes = notes + (f"ignored columns: {', '.join(ignored)}",)
    return Trajectory(
        time=np.asarray(columns["time"], dtype=float),
        joints=joints,
        q=stack(groups["q"], joints) if joints else np.zeros((len(columns["time"]), 0)),
        dq=stack(groups["dq"], joints),
        tau=stack(groups["tau"], joints),
        actuators=tuple(groups["ctrl"]),
        ctrl=stack(groups["ctrl"], tuple(groups["ctrl"])),
        source=source,
        notes=notes,
    )


def read_log(path: str | Path) -> Trajectory:
    """Read one canonical log file (CSV, Parquet or HDF5) into a :class:`Trajectory`."""
    return trajectory_from_columns(read_columns(path), path)


def log_files(path: str | Path) -> list[Path]:
    """The log files a ``--logs`` argument names: the file itself, or a directory's log files, sorted by name."""
    path = Path(path)
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise LogError("does not exist; expected a log file or a directory of log files", path)
    files = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in SUFFIXES)
    if not files:
        raise LogError(f"holds no log files; expected files ending in {', '.join(sorted(SUFFIXES))} (or give --columns MAP)", path)
    return files


def trajectory_columns(log: Trajectory) -> dict[str, np.ndarray]:
    """The canonical columns of a trajectory (the inverse of :func:`trajectory_from_columns`)."""
    columns = {"time": log.time}
    for kind in _PER_JOINT:
        values = getattr(log, kind)
        if values is not None:
            columns.update({f"{kind}.{j}": values[:, i] for i, j in enumerate(log.joints)})
    if log.ctrl is not None:
        columns.update({f"ctrl.{a}": log.ctrl[:, i] for i, a in enumerate(log.actuators)})
    return columns


def write_csv(log: Trajectory, path: str | Path) -> None:
    """Write a trajectory as a canonical CSV log (full float precision)."""
    columns = trajectory_columns(log)
    table = np.stack(list(columns.values()), axis=1)
    np.savetxt(path, table, delimiter=",", header=",".join(columns), comments="", fmt="%.17g")
