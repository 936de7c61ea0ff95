"""Column maps: TOML files that map vendor log layouts onto the canonical log's names.

A map has a ``[time]`` table and one table per quantity (``[q]``, ``[dq]``, ``[tau]``, ``[ctrl]``)::

    [time]
    column = "t"                      # a column of a table file (CSV, Parquet, HDF5), or
    # file = "time.txt"               # a text file with one number per line, or
    # rate = 1000.0                   # a fixed rate, Hz, when the log has no time stamps
    scale = 1.0                       # optional: multiplies the values (1e-9 for ns)

    [q]
    joints = ["shoulder", "elbow"]    # model joint names, in the source's order
    columns = ["pos_0", "pos_1"]      # their columns in a table file, or
    # file = "positions.txt"          # a text file of whitespace-separated numbers
    # layout = "rows"                 # "rows": one sample per row; "sample-major": one number per line,
    #                                 # all joints of sample 0, then sample 1, ...
    scale = 1.0                       # optional: a number or one per joint (0.0174533 for degrees)
    offset = 0.0                      # optional: added after scaling; a number or one per joint

``file`` names are relative to the ``--logs`` directory; a table without ``file`` reads the log file itself,
so one map applies to every file of a directory. ``[ctrl]`` has ``actuators`` instead of ``joints``.
Examples for the Panda (Gaz et al. 2019) and TIAGo logs are in ``calibration/maps/``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import tomllib

from calibration.errors import ColumnMapError, LogError
from calibration.readers import SUFFIXES, read_columns, trajectory_from_columns
from calibration.trajectory import Trajectory

QUANTITIES = ("q", "dq", "tau", "ctrl")
_TIME_KEYS = {"column", "file", "rate", "scale"}
_QUANTITY_KEYS = {"joints", "actuators", "columns", "file", "layout", "scale", "offset"}
LAYOUTS = ("rows", "sample-major")


def load_column_map(path: str | Path) -> dict:
    """Read and check a column-map file; raises :class:`ColumnMapError` naming the bad key."""
    path = Path(path)
    try:
        document = tomllib.loads(path.read_text())
    except OSError as exc:
        raise ColumnMapError(f"cannot be read: {exc.strerror}", path) from None
    except tomllib.TOMLDecodeError as exc:
        raise ColumnMapError(f"is not valid TOML: {exc}", path) from None
    unknown = sorted(set(document) - {"time", *QUANTITIES, "description"})
    if unknown:
        raise ColumnMapError(f"has unknown table '{unknown[0]}'; expected time, {', '.join(QUANTITIES)}", path)
    time = document.get("time")
    if not isinstance(time, dict) or not ({"column", "file", "rate"} & set(time)):
        raise ColumnMapError("needs a [time] table with column, file or rate", path)
    if "rate" in time and len({"column", "file"} & set(time)):
        raise ColumnMapError("[time] takes column and/or file, or rate, not both", path)
    for key in set(time) - _TIME_KEYS:
        raise ColumnMapError(f"[time] has unknown key '{key}'; expected {', '.join(sorted(_TIME_KEYS))}", path)
    if "q" not in document:
        raise ColumnMapError("needs a [q] table: sysid needs joint positions", path)
    for quantity in QUANTITIES:
        table = document.get(quantity)
        if table is None:
            continue
        names_key = "actuators" if quantity == "ctrl" else "joints"
        for key in set(table) - _QUANTITY_KEYS:
            raise ColumnMapError(f"[{quantity}] has unknown key '{key}'; expected {', '.join(sorted(_QUANTITY_KEYS))}", path)
        names = table.get(names_key)
        if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
            raise ColumnMapError(f"[{quantity}] needs '{names_key}', a list of names", path)
        if "columns" in table and len(table["columns"]) != len(names):
            raise ColumnMapError(f"[{quantity}] has {len(table['columns'])} columns for {len(names)} {names_key}", path)
        if "columns" not in table and "file" not in table:
            raise ColumnMapError(f"[{quantity}] needs 'columns' (a table file) or 'file' (a text file)", path)
        if table.get("layout", "rows") not in LAYOUTS:
            raise ColumnMapError(f"[{quantity}] has layout '{table['layout']}'; expected one of {', '.join(LAYOUTS)}", path)
        for key in ("scale", "offset"):
            value = table.get(key, 0.0)
            if isinstance(value, list) and len(value) != len(names):
                raise ColumnMapError(f"[{quantity}] has {len(value)} {key} values for {len(names)} {names_key}", path)
    return document


def _text_matrix(path: Path, width: int, layout: str) -> np.ndarray:
    try:
        values = np.loadtxt(path, ndmin=2, dtype=float)
    except (OSError, ValueError) as exc:
        raise LogError(f"cannot be read as whitespace-separated numbers: {exc}", path) from None
    if layout == "sample-major":
        flat = values.reshape(-1)
        if flat.size % width:
            raise LogError(f"has {flat.size} numbers, not a multiple of {width} (one per joint and sample)", path)
        return flat.reshape(-1, width)
    if values.shape[1] != width:
        raise LogError(f"has {values.shape[1]} columns per row; the column map names {width}", path)
    return values


def _source(base: Path, log_file: Path | None, table: dict, cache: dict) -> tuple[Path, dict | None]:
    if "file" in table:
        path = (base / table["file"]) if base.is_dir() else base.parent / table["file"]
        if not path.is_file():
            raise LogError("does not exist (named by the column map)", path)
    else:
        if log_file is None:
            raise LogError("the column map reads columns of the log file, but --logs is a directory", base)
        path = log_file
    if "columns" in table and path not in cache:
        cache[path] = read_columns(path)
    return path, cache.get(path)


def _quantity(table: dict, quantity: str, base: Path, log_file: Path | None, cache: dict) -> dict[str, np.ndarray]:
    names = table["actuators" if quantity == "ctrl" else "joints"]
    path, columns = _source(base, log_file, table, cache)
    if "columns" in table:
        missing = [c for c in table["columns"] if c not in columns]
        if missing:
            raise LogError(f"has no column '{missing[0]}' (named by the column map's [{quantity}])", path)
        values = np.stack([columns[c] for c in table["columns"]], axis=1)
    else:
        values = _text_matrix(path, len(names), table.get("layout", "rows"))
    values = values * np.asarray(table.get("scale", 1.0), dtype=float) + np.asarray(table.get("offset", 0.0), dtype=float)
    return {f"{quantity}.{name}": values[:, i] for i, name in enumerate(names)}


def _notes(document: dict) -> tuple[str, ...]:
    notes = []
    for quantity in QUANTITIES:
        table = document.get(quantity, {})
        if "scale" in table or "offset" in table:
            notes.append(f"{quantity} scaled by {table.get('scale', 1.0)} and offset by {table.get('offset', 0.0)} (column map)")
    return tuple(notes)


def read_mapped(document: dict, logs: str | Path, log_file: str | Path | None = None, map_path: str | Path = "") -> Trajectory:
    """Read one trajectory through a loaded column map.

    Args:
        document: A map from :func:`load_column_map`.
        logs: The ``--logs`` path; map ``file`` names are relative to it (to its folder when it is a file).
        log_file: The table file read for map tables without ``file``.
        map_path: The map file, named in the trajectory's notes.
    """
    base = Path(logs)
    log_file = Path(log_file) if log_file is not None else (base if base.is_file() else None)
    cache: dict = {}
    columns: dict[str, np.ndarray] = {}
    for quantity in QUANTITIES:
        if quantity in document:
            columns.update(_quantity(document[quantity], quantity, base, log_file, cache))
    lengths = {len(v) for v in columns.values()}
    length = max(lengths)
    time = document["time"]
    if "rate" in time:
        time_values = np.arange(length) / float(time["rate"])
    elif "column" in time:
        path, table = _source(base, log_file, {"columns": [time["column"]], **{k: time[k] for k in ("file",) if k in time}}, cache)
        if time["column"] not in table:
            raise LogError(f"has no column '{time['column']}' (named by the column map's [time])", path)
        time_values = table[time["column"]]
    else:
        time_values = _text_matrix(_source(base, log_file, time, cache)[0], 1, "rows")[:, 0]
    time_values = np.asarray(time_values, dtype=float) * float(time.get("scale", 1.0))
    if len(lengths) > 1 or len(time_values) != length:
        sizes = ", ".join(f"{k}: {len(v)}" for k, v in {"time": time_values, **columns}.items())
        raise LogError(f"the mapped quantities have different numbers of samples ({sizes})", base)
    columns["time"] = time_values
    source = log_file if log_file is not None else base
    notes = (f"read through the column map {map_path}",) if map_path else ()
    return trajectory_from_columns(columns, source, notes + _notes(document))


def needs_log_file(document: dict) -> bool:
    """Whether some table of the map reads columns of the log file itself (no ``file``)."""
    tables = [document["time"]] + [document[q] for q in QUANTITIES if q in document]
    return any("file" not in t and "rate" not in t for t in tables)


def mapped_logs(map_path: str | Path, logs: str | Path) -> list[Trajectory]:
    """All trajectories ``--logs`` holds, read through the map at ``map_path``.

    A map whose tables all name files reads one trajectory from the ``logs`` directory; otherwise the map is
    applied to ``logs`` itself (a file) or to each log file of the ``logs`` directory.
    """
    document = load_column_map(map_path)
    logs = Path(logs)
    if not logs.exists():
        raise LogError("does not exist; expected a log file or a directory of log files", logs)
    if logs.is_dir() and needs_log_file(document):
        files = sorted(p for p in logs.iterdir() if p.is_file() and p.suffix.lower() in SUFFIXES)
        if not files:
            raise LogError(f"holds no log files; expected files ending in {', '.join(sorted(SUFFIXES))}", logs)
        return [read_mapped(document, logs, f, map_path) for f in files]
    return [read_mapped(document, logs, None, map_path)]
