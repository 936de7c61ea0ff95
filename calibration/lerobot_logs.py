"""Reader for LeRobot datasets (v3.0, and v2.x): each episode becomes one :class:`Trajectory`.

A dataset is a directory with ``meta/info.json`` and Parquet files under ``data/`` (v3:
``data/chunk-000/file-000.parquet``, several episodes per file; v2: ``data/chunk-000/episode_000000.parquet``).
``info.json`` ``features`` give the ``names`` of the list columns; the rows have ``timestamp`` (s from the
episode's start), ``episode_index`` and ``frame_index``. The mapping onto the canonical log:

- ``observation.state``: a name ``<joint>.pos`` or plain ``<joint>`` gives ``q.<joint>``, ``<joint>.vel`` gives
  ``dq.<joint>``, ``<joint>.effort`` or ``<joint>.torque`` gives ``tau.<joint>``;
- ``observation.velocity`` and ``observation.effort`` (where present): ``dq`` and ``tau`` by the same names;
- ``action``: ``ctrl.<name>`` (``.pos`` stripped), read by the model's actuators of those names.

The names must then be the model's joint and actuator names (sysid says which are not). Rows of an episode are
put in ``frame_index`` order; values are stored as float32 by LeRobot and converted to float64.

Example:
    >>> from calibration.lerobot_logs import read_lerobot       # doctest: +SKIP
    >>> episodes = read_lerobot("so100_pick/")                  # doctest: +SKIP
    >>> episodes[0].joints, episodes[0].actuators               # doctest: +SKIP
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from calibration.errors import LogError
from calibration.trajectory import Trajectory, check_time
from twin.extras import require

STATE = "observation.state"
FEATURES = {STATE: None, "observation.velocity": "dq", "observation.effort": "tau", "action": "ctrl"}
"""The list features read, and the quantity each gives (None: by the name's suffix)."""
SUFFIXES = {".pos": "q", ".vel": "dq", ".effort": "tau", ".torque": "tau"}
"""Name suffixes of ``observation.state`` and the quantity each gives; a name without one is a position."""
_PURPOSE = "reading LeRobot datasets"


def is_lerobot_dataset(path: str | Path) -> bool:
    """Whether ``path`` looks like a LeRobot dataset: ``meta/info.json`` or ``data/chunk-*/`` in a directory."""
    path = Path(path)
    return path.is_dir() and ((path / "meta" / "info.json").is_file() or any((path / "data").glob("chunk-*")))


def _names(info_path: Path, feature: str, spec: dict) -> list[str]:
    names = spec.get("names")
    if isinstance(names, dict) and len(names) == 1:  # v2.0 wrote {"motors": [...]}
        names = next(iter(names.values()))
    width = int(np.prod(spec.get("shape", [0])))
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names) or len(names) != width:
        raise LogError(
            f"feature '{feature}' has names {json.dumps(names)} for shape {spec.get('shape')}; "
            "sysid needs one name per value (the joint names)",
            info_path,
        )
    return names


def _mapping(info_path: Path, features: dict) -> dict[str, list[str]]:
    """Per read feature, the canonical column of each of its values."""
    if STATE not in features:
        raise LogError(f"has no '{STATE}' feature; its features are: {', '.join(sorted(features)) or '(none)'}", info_path)
    mapping: dict[str, list[str]] = {}
    for feature, quantity in FEATURES.items():
        if feature in features:
            mapping[feature] = []
            for name in _names(info_path, feature, features[feature]):
                suffix = next((s for s in SUFFIXES if name.endswith(s)), "")
                mapping[feature].append(f"{quantity or SUFFIXES.get(suffix, 'q')}.{name.removesuffix(suffix) if suffix else name}")
    columns = [c for names in mapping.values() for c in names]
    twice = next((c for c in columns if columns.count(c) > 1), None)
    if twice:
        raise LogError(f"features name {twice} twice (after stripping .pos/.vel/.effort); every value needs its own name", info_path)
    per_kind = {k: [c.partition(".")[2] for c in columns if c.startswith(k + ".")] for k in ("q", "dq", "tau", "ctrl")}
    for kind in ("dq", "tau"):
        odd = [j for j in per_kind[kind] if j not in per_kind["q"]] or (
            [j for j in per_kind["q"] if j not in per_kind[kind]] if per_kind[kind] else []
        )
        if odd:
            raise LogError(
                f"features give {kind} for {', '.join(per_kind[kind])} and q for {', '.join(per_kind['q']) or '(none)'}; "
                f"sysid needs {kind} for every joint with a position, or for none",
                info_path,
            )
    if not per_kind["tau"] and not per_kind["ctrl"]:
        raise LogError("has neither an 'action' feature nor joint efforts; sysid replays the logged actions or torques", info_path)
    return mapping


def _info(root: Path) -> tuple[Path, dict]:
    info_path = root / "meta" / "info.json"
    if not info_path.is_file():
        raise LogError("looks like a LeRobot dataset (data/chunk-*/) but has no meta/info.json; it names the features", root)
    try:
        info = json.loads(info_path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise LogError(f"cannot be read as JSON: {exc}", info_path) from None
    if not isinstance(info, dict) or not isinstance(info.get("features"), dict):
        raise LogError("has no 'features' object; a LeRobot info.json names each feature's dtype, shape and names", info_path)
    return info_path, info


def _read_file(path: Path, mapping: dict[str, list[str]], fps: float | None) -> dict[str, np.ndarray]:
    parquet = require("pyarrow.parquet", "sysid", _PURPOSE)
    pyarrow = require("pyarrow", "sysid", _PURPOSE)
    require("pyarrow.compute", "sysid", _PURPOSE)
    try:
        present = set(parquet.read_schema(str(path)).names)
        wanted = [c for c in (*mapping, "timestamp", "episode_index", "frame_index") if c in present]
        table = parquet.read_table(str(path), columns=wanted)
    except (OSError, ValueError, pyarrow.ArrowException) as exc:
        raise LogError(f"cannot be read as Parquet: {exc}", path) from None
    for column in ("episode_index", "frame_index"):
        if column not in present:
            raise LogError(f"has no '{column}' column; LeRobot data files have episode_index and frame_index", path)
    if "timestamp" not in present and not fps:
        raise LogError("has no 'timestamp' column and meta/info.json gives no fps", path)
    columns = {c: table.column(c).to_numpy(zero_copy_only=False) for c in ("episode_index", "frame_index")}
    columns["timestamp"] = (
        np.asarray(table.column("timestamp").to_numpy(zero_copy_only=False), dtype=float)
        if "timestamp" in present else columns["frame_index"] / float(fps)
    )
    for feature, names in mapping.items():
        if feature not in present:
            raise LogError(f"has no '{feature}' column, which meta/info.json names", path)
        cells = table.column(feature).combine_chunks()
        lengths = pyarrow.compute.list_value_length(cells).to_numpy(zero_copy_only=False)
        bad = np.flatnonzero(~np.isfinite(lengths.astype(float)) | (lengths != len(names)))
        if bad.size:
            size = "no value" if not np.isfinite(float(lengths[bad[0]])) else f"{int(lengths[bad[0]])} values"
            raise LogError(f"column '{feature}' has {size} in row {bad[0]}; meta/info.json names {len(names)}", path)
        values = np.asarray(cells.flatten().to_numpy(zero_copy_only=False), dtype=float).reshape(len(cells), len(names))
        columns.update({name: values[:, i] for i, name in enumerate(names)})
    return columns


def read_lerobot(root: str | Path, episodes: list[int] | None = None) -> list[Trajectory]:
    """Read a LeRobot dataset: one trajectory per episode, in episode order.

    Args:
        root: The dataset directory (holds ``meta/info.json`` and ``data/``).
        episodes: Episode indices to read (default: all).

    Raises:
        LogError: No ``meta/info.json``, no ``observation.state`` (or its names), unreadable data files, a
            repeated ``frame_index``, or time stamps that repeat or decrease within an episode.
    """
    root = Path(root)
    info_path, info = _info(root)
    mapping = _mapping(info_path, info["features"])
    files = sorted((root / "data").glob("**/*.parquet"))
    if not files:
        raise LogError("holds no data/chunk-*/*.parquet files; a LeRobot dataset keeps its frames there", root)
    fps = info.get("fps")
    rows: dict[int, list] = {}
    for path in files:
        columns = _read_file(path, mapping, fps)
        for episode in np.unique(columns["episode_index"]):
            keep = columns["episode_index"] == episode
            rows.setdefault(int(episode), []).append((path, {k: v[keep] for k, v in columns.items()}))
    wanted = sorted(rows) if episodes is None else list(episodes)
    missing = [e for e in wanted if e not in rows]
    if missing:
        raise LogError(f"has no episode {missing[0]}; its episodes are {min(rows)} to {max(rows)}", root)
    return [_episode(root, e, rows[e]) for e in wanted]


def _episode(root: Path, episode: int, parts: list) -> Trajectory:
    path = parts[0][0]
    columns = {k: np.concatenate([p[k] for _, p in parts]) for k in parts[0][1]}
    frames = columns["frame_index"]
    order = np.argsort(frames, kind="stable")
    notes = [f"LeRobot episode {episode} of {root}"]
    if (np.diff(order) != 1).any():
        notes.append("rows put in frame_index order")
    frames = frames[order]
    twice = np.flatnonzero(np.diff(frames) == 0)
    if twice.size:
        raise LogError(f"episode {episode} has frame_index {frames[twice[0]]} twice; every frame needs its own row", path)
    columns = {k: v[order] for k, v in columns.items()}
    try:
        check_time(columns["timestamp"], "", "timestamp")
    except LogError as exc:  # TimestampError or BadSampleError: keep the kind, name the episode
        raise type(exc)(f"episode {episode}: {exc.message}", path) from None
    groups: dict[str, dict[str, np.ndarray]] = {k: {} for k in ("q", "dq", "tau", "ctrl")}
    for name, values in columns.items():
        kind, _, element = name.partition(".")
        if kind in groups and element:
            groups[kind][element] = values
    joints = tuple(groups["q"])
    stack = lambda group, names: np.stack([group[n] for n in names], axis=1) if group else None
    return Trajectory(
        time=columns["timestamp"],
        joints=joints,
        q=stack(groups["q"], joints) if joints else np.zeros((frames.size, 0)),
        dq=stack(groups["dq"], joints),
        tau=stack(groups["tau"], joints),
        actuators=tuple(groups["ctrl"]),
        ctrl=stack(groups["ctrl"], tuple(groups["ctrl"])),
        source=f"{root} episode {episode}",
        notes=tuple(notes),
    )
