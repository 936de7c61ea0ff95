"""Reader for ROS logs: ``sensor_msgs/msg/JointState`` messages of ROS 1 and ROS 2 bags and MCAP files.

Accepted: a ROS 1 bag (``.bag``), a ROS 2 bag (a directory with ``metadata.yaml`` and ``.db3`` or ``.mcap``
storage), and a lone ``.mcap`` (ROS 2 profile) or ``.db3`` file; read with ``rosbags`` (extra ``sysid``).
Each message's ``name[i]`` gives ``q.<name>`` from ``position[i]``, ``dq.<name>`` from ``velocity[i]`` and
``tau.<name>`` from ``effort[i]``; empty ``velocity`` or ``effort`` arrays mean "not logged". Joints are matched
by name, so the order of ``name`` may change between messages and a message may carry only some joints (several
controllers publishing on one topic). Time is ``header.stamp`` (the bag's receive time when stamps are zero), in
s after the first sample; the notes give the absolute start.

Example:
    >>> from calibration.ros_logs import read_ros_log          # doctest: +SKIP
    >>> log = read_ros_log("run.bag", topic="/joint_states")    # doctest: +SKIP
    >>> log.joints, log.dt                                      # doctest: +SKIP
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np

from calibration.errors import LogError, TimestampError
from calibration.trajectory import Trajectory
from twin.extras import require

JOINT_STATE = "sensor_msgs/msg/JointState"
"""The message type read (ROS 1 type names are normalised to this by rosbags)."""

ROS_SUFFIXES = {".bag": "a ROS 1 bag", ".mcap": "an MCAP file", ".db3": "a ROS 2 SQLite bag"}
"""File suffixes read as ROS logs, and what messages call them."""

_PURPOSE = "reading ROS bags"


def is_ros2_bag_dir(path: str | Path) -> bool:
    """Whether ``path`` is a ROS 2 bag directory (it holds ``metadata.yaml``)."""
    path = Path(path)
    return path.is_dir() and (path / "metadata.yaml").is_file()


def is_ros_log(path: str | Path) -> bool:
    """Whether ``path`` is read by :func:`read_ros_log`: a ROS 2 bag directory or a file with a ROS suffix."""
    path = Path(path)
    return is_ros2_bag_dir(path) or (path.suffix.lower() in ROS_SUFFIXES and not path.is_dir())


def _kind(path: Path) -> str:
    return "a ROS 2 bag" if path.is_dir() else ROS_SUFFIXES[path.suffix.lower()]


def _reader_errors() -> tuple[type[BaseException], ...]:
    highlevel = require("rosbags.highlevel", "sysid", _PURPOSE)
    rosbag1 = require("rosbags.rosbag1", "sysid", _PURPOSE)
    rosbag2 = require("rosbags.rosbag2", "sysid", _PURPOSE)
    serde = require("rosbags.serde", "sysid", _PURPOSE)
    return (highlevel.AnyReaderError, rosbag1.ReaderError, rosbag2.ReaderError, serde.SerdeError, struct.error,
            EOFError, OSError, ValueError, KeyError, IndexError)


def _pick_topic(path: Path, topics: dict, topic: str | None) -> str:
    joint_topics = sorted(name for name, info in topics.items() if info.msgtype == JOINT_STATE)
    if topic is not None:
        if topic in topics and topic not in joint_topics:
            raise LogError(f"topic '{topic}' is a {topics[topic].msgtype}, not a {JOINT_STATE}", path)
        if topic not in joint_topics:
            have = ", ".join(joint_topics) or "(none)"
            raise LogError(f"has no {JOINT_STATE} topic '{topic}'; its JointState topics are: {have}", path)
        return topic
    if not joint_topics:
        listed = ", ".join(f"{name} ({info.msgtype})" for name, info in sorted(topics.items())) or "(none)"
        raise LogError(f"has no {JOINT_STATE} topic; its topics are: {listed}", path)
    if len(joint_topics) > 1:
        raise LogError(
            f"has {len(joint_topics)} {JOINT_STATE} topics ({', '.join(joint_topics)}); choose one with --topic", path
        )
    return joint_topics[0]


def _read_messages(path: Path, topic: str | None) -> tuple[str, list]:
    """The chosen topic and its messages as ``(receive ns, stamp ns, names, position, velocity, effort)``."""
    highlevel = require("rosbags.highlevel", "sysid", _PURPOSE)
    typesys = require("rosbags.typesys", "sysid", _PURPOSE)
    errors = _reader_errors()
    # ROS 2 bags recorded before Iron carry no message definitions; JointState is the same in every distro.
    default = typesys.get_typestore(typesys.Stores.ROS2_HUMBLE)
    messages = []
    try:
        with highlevel.AnyReader([path], default_typestore=default) as reader:
            chosen = _pick_topic(path, reader.topics, topic)
            connections = [c for c in reader.connections if c.topic == chosen]
            for connection, received, raw in reader.messages(connections=connections):
                msg = reader.deserialize(raw, connection.msgtype)
                stamp = int(msg.header.stamp.sec) * 1_000_000_000 + int(msg.header.stamp.nanosec)
                messages.append((int(received), stamp, list(msg.name), msg.position, msg.velocity, msg.effort))
    except errors as exc:
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise LogError(f"cannot be read as {_kind(path)}: {reason} (is it truncated or corrupt?)", path) from None
    return chosen, messages


def _check_message(path: Path, topic: str, index: int, names: list, arrays: tuple) -> None:
    if len(set(names)) != len(names):
        twice = next(n for n in names if names.count(n) > 1)
        raise LogError(f"topic '{topic}' message {index} names joint '{twice}' twice", path)
    for field, values in zip(("position", "velocity", "effort"), arrays):
        if len(values) != len(names) and (field == "position" or len(values)):
            raise LogError(
                f"topic '{topic}' message {index} has {len(names)} names but {len(values)} {field} values; "
                f"JointState needs one per name{'' if field == 'position' else ' (or none)'}",
                path,
            )


def _series(path: Path, topic: str, messages: list, time: np.ndarray) -> dict[str, dict[str, np.ndarray]]:
    """Per joint: ``t`` (stamps, ns, sorted), ``q``, ``dq``, ``tau`` (NaN where a message did not carry it)."""
    layouts: dict[tuple, list[int]] = {}
    for i, (_, _, names, *arrays) in enumerate(messages):
        key = tuple(names)
        if key not in layouts:
            layouts[key] = []
            _check_message(path, topic, i, names, arrays)
        elif any(len(a) not in (0, len(names)) for a in arrays) or not len(arrays[0]):
            _check_message(path, topic, i, names, arrays)
        layouts[key].append(i)
    parts: dict[str, list] = {}
    for names, rows in layouts.items():
        values = np.full((3, len(rows), len(names)), np.nan)
        for k, r in enumerate(rows):
            for f, array in enumerate(messages[r][3:]):
                if len(array):
                    values[f, k] = array
        rows = np.array(rows)
        for j, name in enumerate(names):
            parts.setdefault(name, []).append((time[rows], rows, *values[:, :, j]))
    series = {}
    for name, chunks in parts.items():
        t, rows, q, dq, tau = (np.concatenate(c) for c in zip(*chunks))
        order = np.argsort(t, kind="stable")
        t, rows = t[order], rows[order]
        same = np.flatnonzero(np.diff(t) == 0)
        if same.size:
            k = int(same[0])
            first, second = sorted((int(rows[k]), int(rows[k + 1])))
            raise TimestampError(
                f"topic '{topic}' has two samples of joint '{name}' at {(t[k] - time.min()) / 1e9:.9g} s "
                f"(messages {first} and {second}); every sample needs its own time stamp",
                path,
            )
        series[name] = {"t": t, "q": q[order], "dq": dq[order], "tau": tau[order]}
    return series


def _common_time(path: Path, topic: str, series: dict) -> tuple[np.ndarray, dict[str, np.ndarray], list[str]]:
    """One time base (ns) for all joints and each joint's values on it; joints on other stamps are interpolated."""
    groups: dict[bytes, list[str]] = {}
    for name, s in series.items():
        groups.setdefault(s["t"].tobytes(), []).append(name)
    base_names = max(groups.values(), key=lambda g: len(series[g[0]]["t"]))
    t = series[base_names[0]]["t"]
    notes = []
    if len(groups) > 1:
        lo = max(s["t"][0] for s in series.values())
        hi = min(s["t"][-1] for s in series.values())
        t = t[(t >= lo) & (t <= hi)]
        if t.size < 2:
            raise LogError(f"topic '{topic}': joints published in separate messages do not overlap in time", path)
        others = [n for n in series if n not in base_names]
        notes.append(
            f"joints {', '.join(others)} arrive at other times than {', '.join(base_names)}; their q, dq, tau are "
            f"interpolated linearly onto the time stamps of {', '.join(base_names)} ({t.size} samples where all overlap)"
        )
    columns = {}
    for name, s in series.items():
        for kind in ("q", "dq", "tau"):
            values = s[kind]
            if np.isnan(values).all():
                continue
            if np.isnan(values).any():
                field = {"q": "position", "dq": "velocity", "tau": "effort"}[kind]
                have = int((~np.isnan(values)).sum())
                raise LogError(
                    f"topic '{topic}' has {field} for joint '{name}' in {have} of {values.size} messages; "
                    "give it in every message or in none",
                    path,
                )
            # Differences of int64 ns first: epoch ns as float64 are 256 ns coarse.
            same = s["t"].size == t.size and np.array_equal(s["t"], t)
            columns[f"{kind}.{name}"] = values if same else np.interp((t - t[0]).astype(float), (s["t"] - t[0]).astype(float), values)
    return t, columns, notes


def read_ros_log(path: str | Path, topic: str | None = None) -> Trajectory:
    """Read the ``sensor_msgs/msg/JointState`` messages of one ROS log into a :class:`Trajectory`.

    Args:
        path: A ``.bag`` (ROS 1), ``.mcap`` or ``.db3`` file, or a ROS 2 bag directory.
        topic: The JointState topic to read; needed only when the log has several.

    Raises:
        LogError: The log cannot be read, has no (or several) JointState topics, or inconsistent messages.
    """
    path = Path(path)
    if not path.exists():
        raise LogError(f"does not exist; expected {_kind(path) if path.suffix.lower() in ROS_SUFFIXES else 'a ROS 2 bag'}", path)
    chosen, messages = _read_messages(path, topic)
    if not messages:
        raise LogError(f"topic '{chosen}' has no messages", path)
    received = np.array([m[0] for m in messages], dtype=np.int64)
    stamps = np.array([m[1] for m in messages], dtype=np.int64)
    notes = [f"read {len(messages)} {JOINT_STATE} messages of topic {chosen}"]
    if (stamps == 0).any():
        stamps = received
        notes.append("header.stamp is zero in some messages: time is the bag's receive time")
        clock = "receive time"
    else:
        clock = "header.stamp"
    if (np.diff(stamps) < 0).any():
        notes.append(f"messages sorted by {clock} (they were recorded out of order)")
    series = _series(path, chosen, messages, stamps)
    t, columns, more = _common_time(path, chosen, series)
    notes += more
    start = int(t[0])
    notes.append(f"time is s after {clock} {start // 1_000_000_000}.{start % 1_000_000_000:09d}")
    joints = tuple(series)
    efforts = [j for j in joints if f"tau.{j}" in columns]
    if not efforts:
        raise LogError(f"topic '{chosen}' has no effort values; sysid replays the logged joint torques (JointState effort)", path)
    if efforts and len(efforts) != len(joints):
        missing = ", ".join(j for j in joints if j not in efforts)
        raise LogError(
            f"topic '{chosen}' has effort for {', '.join(efforts)} but not for {missing}; "
            "sysid needs the effort of every logged joint",
            path,
        )
    velocities = [j for j in joints if f"dq.{j}" in columns]
    if velocities and len(velocities) != len(joints):
        notes.append(f"velocity dropped: not logged for {', '.join(j for j in joints if j not in velocities)}")
        velocities = []
    stack = lambda kind: np.stack([columns[f"{kind}.{j}"] for j in joints], axis=1)
    return Trajectory(
        time=(t - t[0]).astype(float) / 1e9,
        joints=joints,
        q=stack("q"),
        dq=stack("dq") if velocities else None,
        tau=stack("tau") if efforts else None,
        source=str(path),
        notes=tuple(notes),
    )
