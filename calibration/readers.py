"""Readers for the canonical robot log (CSV, Parquet, HDF5) and log directories; a canonical CSV writer.

Each table reader returns named columns; :func:`trajectory_from_columns` turns canonical names (``time``,
``q.<joint>``, ``dq.<joint>``, ``tau.<joint>``, ``ctrl.<actuator>``) into a :class:`Trajectory`. Vendor
layouts go through a column map (:mod:`calibration.column_map`) into the same names. ROS bags and MCAP files
(:mod:`calibration.ros_logs`) and LeRobot datasets (:mod:`calibration.lerobot_logs`) are recognised by suffix
or directory layout: :func:`read_trajectories` reads whatever a ``--logs`` argument names.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from calibration.errors import LogError
from calibration.lerobot_logs import is_lerobot_dataset, read_lerobot
from calibration.ros_logs import ROS_SUFFIXES, is_ros2_bag_dir, is_ros_log, read_ros_log
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
    columns = {}
    for name in table.column_names:
        try:
            columns[name] = np.asarray(table.column(name).to_numpy(zero_copy_only=False), dtype=float)
        except (TypeError, ValueError):
            raise LogError(
                f"holds {table.schema.field(name).type} values; a canonical log has one number per row "
                "(for a LeRobot dataset, give its directory)",
                path,
                name,
            ) from None
    return columns


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


def log_format(path: str | Path) -> str | None:
    """What ``path`` is read as: ``"table"`` (:data:`SUFFIXES`), ``"ros"``, ``"lerobot"``, or None."""
    path = Path(path)
    if path.is_dir():
        return "ros" if is_ros2_bag_dir(path) else "lerobot" if is_lerobot_dataset(path) else None
    if path.suffix.lower() in SUFFIXES:
        return "table"
    return "ros" if is_ros_log(path) else None


def _read(path: Path, topic: str | None) -> list[Trajectory]:
    kind = log_format(path)
    if kind == "lerobot":
        return read_lerobot(path)
    if kind == "ros":
        return [read_ros_log(path, topic)]
    if kind is None and path.is_dir():
        raise LogError("is a directory, not a ROS 2 bag (metadata.yaml) or a LeRobot dataset (meta/info.json)", path)
    if kind is None and path.suffix.lower() not in SUFFIXES:
        suffixes = ", ".join(sorted({**SUFFIXES, **ROS_SUFFIXES}))
        raise LogError(f"has an unknown suffix; expected one of {suffixes}, a ROS 2 bag or a LeRobot dataset directory", path)
    return [trajectory_from_columns(read_columns(path), path)]


def read_log(path: str | Path, topic: str | None = None) -> Trajectory:
    """Read one log into a :class:`Trajectory`: a canonical table file, a ROS log, or a one-episode LeRobot dataset.

    Args:
        path: The log file or directory.
        topic: The ``sensor_msgs/msg/JointState`` topic of a ROS log with several (ignored for other formats).
    """
    logs = _read(Path(path), topic)
    if len(logs) != 1:
        raise LogError(f"is a LeRobot dataset of {len(logs)} episodes; read them with read_trajectories", path)
    return logs[0]


def read_trajectories(path: str | Path, topic: str | None = None) -> list[Trajectory]:
    """Every trajectory a ``--logs`` argument names (see :func:`log_files`); a LeRobot dataset gives one per episode.

    Args:
        path: A log file, a ROS 2 bag, a LeRobot dataset, or a directory of them.
        topic: The ``sensor_msgs/msg/JointState`` topic of ROS logs with several.
    """
    items = log_files(path)
    if topic is not None and not any(log_format(item) == "ros" for item in items):
        raise LogError(f"holds no ROS bag or MCAP file; --topic {topic} chooses among the JointState topics of those",
                       path)
    return [log for item in items for log in _read(item, topic)]


def log_files(path: str | Path) -> list[Path]:
    """The logs a ``--logs`` argument names, sorted by name.

    That is the file itself, a ROS 2 bag directory or LeRobot dataset itself, or a directory's log files
    (:data:`SUFFIXES`, ``.bag``, ``.mcap``, ``.db3``) and the ROS 2 bags and LeRobot datasets in it.
    """
    path = Path(path)
    if path.is_file() or log_format(path) is not None:
        return [path]
    if not path.is_dir():
        raise LogError("does not exist; expected a log file, a ROS 2 bag, a LeRobot dataset or a directory of logs", path)
    suffixes = {**SUFFIXES, **ROS_SUFFIXES}
    files = sorted(
        p for p in path.iterdir() if (p.is_file() and p.suffix.lower() in suffixes) or (p.is_dir() and log_format(p) is not None)
    )
    if not files:
        raise LogError(
            f"holds no logs; expected files ending in {', '.join(sorted(suffixes))}, ROS 2 bag directories or "
            "LeRobot datasets (or give --columns MAP)",
            path,
        )
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
