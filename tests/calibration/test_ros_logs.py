"""ROS 1 bags, ROS 2 bags (sqlite3 and mcap storage) and lone MCAP files: written from a known trajectory, read back."""

from __future__ import annotations

import shutil
import time

import numpy as np
import pytest

from calibration.errors import LogError, TimestampError
from calibration.readers import log_files, read_log, read_trajectories, write_csv
from calibration.ros_logs import read_ros_log
from calibration.run import read_logs
from calibration.trajectory import Trajectory

rosbags = pytest.importorskip("rosbags")
from rosbags.rosbag1 import Writer as Writer1
from rosbags.rosbag2 import StoragePlugin
from rosbags.rosbag2 import Writer as Writer2
from rosbags.typesys import Stores, get_typestore

ROS1 = get_typestore(Stores.ROS1_NOETIC)
ROS2 = get_typestore(Stores.ROS2_HUMBLE)
JS = "sensor_msgs/msg/JointState"
START = 1_700_000_000_123_456_789
"""An epoch time stamp (ns) as real bags carry: float seconds would lose the ns."""
STEP = 2_000_000
JOINTS = ("a", "b", "c")
KINDS = ("ros1", "sqlite3", "mcap", "lone-mcap")


def _truth(n: int = 200) -> tuple[np.ndarray, Trajectory]:
    """Integer ns stamps and the trajectory they carry (time in s from the first stamp)."""
    stamps = START + STEP * np.arange(n, dtype=np.int64)
    t = (stamps - START) / 1e9
    q = np.stack([np.sin(3 * t), np.cos(2 * t), 0.1 * t], axis=1)
    dq = np.stack([3 * np.cos(3 * t), -2 * np.sin(2 * t), np.full_like(t, 0.1)], axis=1)
    return stamps, Trajectory(t, JOINTS, q, dq=dq, tau=-2.0 * q + 0.5, source="truth")


def _joint_state(store, stamp: int, names, position, velocity=(), effort=()):
    types = store.types
    header = types["std_msgs/msg/Header"]
    extra = {"seq": 0} if "seq" in header.__dataclass_fields__ else {}
    return types[JS](
        header=header(**extra, stamp=types["builtin_interfaces/msg/Time"](sec=stamp // 10**9, nanosec=stamp % 10**9), frame_id=""),
        name=list(names),
        position=np.asarray(position, dtype=float),
        velocity=np.asarray(velocity, dtype=float),
        effort=np.asarray(effort, dtype=float),
    )


def write_bag(path, kind: str, messages: list, extra_topics: dict | None = None):
    """Write ``messages`` = [(topic, receive ns, JointState fields...)] as a ``kind`` bag; returns the path to read."""
    extra_topics = extra_topics or {}
    if kind == "ros1":
        path = path.with_suffix(".bag")
        with Writer1(path) as writer:
            conns = {t: writer.add_connection(t, JS, typestore=ROS1) for t in dict.fromkeys(m[0] for m in messages)}
            for topic, msgtype in extra_topics.items():
                writer.add_connection(topic, msgtype, typestore=ROS1)
            for topic, received, *fields in messages:
                writer.write(conns[topic], received, ROS1.serialize_ros1(_joint_state(ROS1, *fields), JS))
        return path
    plugin = StoragePlugin.SQLITE3 if kind == "sqlite3" else StoragePlugin.MCAP
    with Writer2(path, version=9, storage_plugin=plugin) as writer:
        conns = {t: writer.add_connection(t, JS, typestore=ROS2) for t in dict.fromkeys(m[0] for m in messages)}
        for topic, msgtype in extra_topics.items():
            writer.add_connection(topic, msgtype, typestore=ROS2)
        for topic, received, *fields in messages:
            writer.write(conns[topic], received, ROS2.serialize_cdr(_joint_state(ROS2, *fields), JS))
    if kind == "lone-mcap":
        lone = path.parent / f"{path.name}-lone.mcap"
        shutil.move(next(path.glob("*.mcap")), lone)
        shutil.rmtree(path)
        return lone
    return path


def _messages(stamps, log: Trajectory, topic: str = "/joint_states", with_dq: bool = True) -> list:
    return [
        (topic, int(s) + 500_000, int(s), JOINTS, log.q[i], log.dq[i] if with_dq else (), log.tau[i])
        for i, s in enumerate(stamps)
    ]


@pytest.mark.parametrize("kind", KINDS)
def test_round_trip_recovers_the_truth(tmp_path, kind):
    stamps, truth = _truth()
    path = write_bag(tmp_path / "run", kind, _messages(stamps, truth))
    assert log_files(path) == [path]
    log = read_log(path)
    assert log.joints == JOINTS and log.source == str(path)
    np.testing.assert_array_equal(log.time, truth.time)
    np.testing.assert_array_equal(log.q, truth.q)
    np.testing.assert_array_equal(log.dq, truth.dq)
    np.testing.assert_array_equal(log.tau, truth.tau)
    assert "time is s after header.stamp 1700000000.123456789" in log.notes
    assert read_logs(str(path))[0].joints == JOINTS


def test_directory_of_bags_and_csv(tmp_path):
    stamps, truth = _truth()
    folder = tmp_path / "logs"
    folder.mkdir()
    write_bag(folder / "a", "ros1", _messages(stamps, truth))
    write_bag(folder / "b", "mcap", _messages(stamps, truth))
    write_csv(truth, folder / "c.csv")
    (folder / "notes.txt").write_text("not a log")
    assert [p.name for p in log_files(folder)] == ["a.bag", "b", "c.csv"]
    logs = read_trajectories(folder)
    assert len(logs) == 3
    for log in logs:
        np.testing.assert_allclose(log.q, truth.q, rtol=0, atol=1e-15)


def test_name_order_changes_and_subsets_by_name(tmp_path):
    stamps, truth = _truth()
    messages = []
    for i, s in enumerate(stamps):
        order = [2, 0, 1] if i % 2 else [0, 1, 2]
        if i % 3 == 0:  # one message with every joint, shuffled
            fields = (truth.q[i][order], truth.dq[i][order], truth.tau[i][order])
            messages.append(("/joint_states", int(s), int(s), [JOINTS[k] for k in order], *fields))
        else:  # two controllers: joint c alone, then a and b
            messages.append(("/joint_states", int(s), int(s), ["c"], truth.q[i, 2:], truth.dq[i, 2:], truth.tau[i, 2:]))
            messages.append(("/joint_states", int(s) + 1, int(s), ["b", "a"], truth.q[i, [1, 0]], truth.dq[i, [1, 0]], truth.tau[i, [1, 0]]))
    log = read_log(write_bag(tmp_path / "run", "sqlite3", messages))
    assert log.joints == JOINTS
    np.testing.assert_array_equal(log.q, truth.q)
    np.testing.assert_array_equal(log.tau, truth.tau)
    np.testing.assert_array_equal(log.time, truth.time)


def test_controllers_at_different_times_are_interpolated(tmp_path):
    stamps, _ = _truth()
    line = lambda t: 0.3 + 2.0 * t  # linear in time: interpolation is exact
    messages = []
    for s in stamps:
        t = (s - START) / 1e9
        messages.append(("/joint_states", int(s), int(s), ["a", "b"], [line(t), -line(t)], (), [1.0, 2.0]))
        later = int(s) + STEP // 2
        t2 = (later - START) / 1e9
        messages.append(("/joint_states", later, later, ["c"], [line(t2)], (), [3.0]))
    log = read_log(write_bag(tmp_path / "run", "mcap", messages))
    assert log.joints == ("a", "b", "c") and log.dq is None
    assert log.n_samples == len(stamps) - 1  # a and b's stamps where c is logged too: all but the first
    t = log.time + STEP / 1e9
    np.testing.assert_allclose(log.q[:, 0], line(t), atol=1e-12)
    np.testing.assert_allclose(log.q[:, 2], line(t), atol=1e-12)
    assert any("interpolated linearly onto the time stamps of a, b" in n for n in log.notes)


def test_zero_stamps_fall_back_to_receive_time(tmp_path):
    stamps, truth = _truth()
    messages = [(topic, received, 0, *rest) for topic, received, _, *rest in _messages(stamps, truth)]
    log = read_log(write_bag(tmp_path / "run", "ros1", messages))
    np.testing.assert_array_equal(log.time, truth.time)
    assert "header.stamp is zero in some messages: time is the bag's receive time" in log.notes


def test_several_joint_state_topics_need_a_choice(tmp_path):
    stamps, truth = _truth()
    path = write_bag(tmp_path / "run", "sqlite3", _messages(stamps, truth, "/right/joint_states") + _messages(stamps, truth, "/left/joint_states"))
    with pytest.raises(LogError) as exc:
        read_log(path)
    assert str(exc.value) == (
        f"{path}: has 2 sensor_msgs/msg/JointState topics (/left/joint_states, /right/joint_states); choose one with --topic"
    )
    assert read_log(path, topic="/left/joint_states").joints == JOINTS
    with pytest.raises(LogError) as exc:
        read_ros_log(path, topic="/joint_states")
    assert str(exc.value) == (
        f"{path}: has no sensor_msgs/msg/JointState topic '/joint_states'; "
        "its JointState topics are: /left/joint_states, /right/joint_states"
    )


def test_no_joint_state_topic_lists_the_topics(tmp_path):
    path = tmp_path / "run.bag"
    with Writer1(path) as writer:
        conn = writer.add_connection("/chatter", "std_msgs/msg/String", typestore=ROS1)
        writer.add_connection("/tf", "geometry_msgs/msg/Twist", typestore=ROS1)
        writer.write(conn, 1, ROS1.serialize_ros1(ROS1.types["std_msgs/msg/String"](data="hi"), "std_msgs/msg/String"))
    with pytest.raises(LogError) as exc:
        read_log(path)
    assert str(exc.value) == (
        f"{path}: has no sensor_msgs/msg/JointState topic; its topics are: /chatter (std_msgs/msg/String), /tf (geometry_msgs/msg/Twist)"
    )
    with pytest.raises(LogError) as exc:
        read_log(path, topic="/chatter")
    assert str(exc.value) == f"{path}: topic '/chatter' is a std_msgs/msg/String, not a sensor_msgs/msg/JointState"


@pytest.mark.parametrize(("kind", "reason"), [("ros1", "Bag index looks damaged"), ("lone-mcap", "File end magic is invalid.")])
def test_truncated_bag(tmp_path, kind, reason):
    stamps, truth = _truth()
    path = write_bag(tmp_path / "run", kind, _messages(stamps, truth))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(LogError) as exc:
        read_log(path)
    name = "a ROS 1 bag" if kind == "ros1" else "an MCAP file"
    assert str(exc.value).startswith(f"{path}: cannot be read as {name}: {reason}")
    assert str(exc.value).endswith("(is it truncated or corrupt?)")


def test_corrupt_ros2_storage(tmp_path):
    stamps, truth = _truth()
    path = write_bag(tmp_path / "run", "sqlite3", _messages(stamps, truth))
    (path / "run.db3").write_bytes(b"x" * 1000)
    with pytest.raises(LogError) as exc:
        read_log(path)
    assert str(exc.value) == (
        f"{path}: cannot be read as a ROS 2 bag: Cannot open database {path / 'run.db3'}: file is not a database (is it truncated or corrupt?)"
    )


def test_repeated_stamp(tmp_path):
    stamps, truth = _truth()
    messages = _messages(stamps, truth)
    messages[5] = messages[5][:2] + (messages[4][2],) + messages[5][3:]
    path = write_bag(tmp_path / "run", "mcap", messages)
    with pytest.raises(TimestampError) as exc:
        read_log(path)
    assert str(exc.value) == (
        f"{path}: topic '/joint_states' has two samples of joint 'a' at 0.008 s (messages 4 and 5); every sample needs its own time stamp"
    )


def test_message_errors(tmp_path):
    stamps, truth = _truth()
    no_effort = [m[:6] + ((),) for m in _messages(stamps, truth)]
    path = write_bag(tmp_path / "no_effort", "ros1", no_effort)
    with pytest.raises(LogError) as exc:
        read_log(path)
    assert str(exc.value) == f"{path}: topic '/joint_states' has no effort values; sysid replays the logged joint torques (JointState effort)"
    short = _messages(stamps, truth)
    short[3] = short[3][:4] + (truth.q[3, :2],) + short[3][5:]
    path = write_bag(tmp_path / "short", "ros1", short)
    with pytest.raises(LogError) as exc:
        read_log(path)
    assert str(exc.value) == f"{path}: topic '/joint_states' message 3 has 3 names but 2 position values; JointState needs one per name"
    some_effort = _messages(stamps, truth)
    some_effort[7] = some_effort[7][:6] + ((),)
    path = write_bag(tmp_path / "some_effort", "ros1", some_effort)
    with pytest.raises(LogError) as exc:
        read_log(path)
    assert str(exc.value) == f"{path}: topic '/joint_states' has effort for joint 'a' in 199 of 200 messages; give it in every message or in none"


def test_missing_bag(tmp_path):
    with pytest.raises(LogError) as exc:
        read_log(tmp_path / "nope.bag")
    assert str(exc.value) == f"{tmp_path / 'nope.bag'}: does not exist; expected a ROS 1 bag"


def test_read_speed_of_a_10k_message_bag(tmp_path):
    stamps, truth = _truth(10_000)
    path = write_bag(tmp_path / "big", "mcap", _messages(stamps, truth))
    started = time.perf_counter()
    log = read_log(path)
    seconds = time.perf_counter() - started
    assert log.n_samples == 10_000
    assert seconds < 10.0  # about 0.2 s here; generous for shared CI machines


def _arm_bag(tmp_path, duration: float):
    from calibration.synthetic import simulate_log

    log = simulate_log(seed=1, duration=duration)
    stamps = START + np.round(log.time * 1e9).astype(np.int64)
    names = list(log.joints)
    messages = [("/joint_states", int(s), int(s), names, log.q[i], log.dq[i], log.tau[i]) for i, s in enumerate(stamps)]
    return log, write_bag(tmp_path / "bag", "sqlite3", messages)


def test_sysid_reads_a_ros2_bag_as_its_csv(tmp_path):
    log, bag = _arm_bag(tmp_path, 1.0)
    write_csv(log, tmp_path / "log.csv")
    (from_bag,), (from_csv,) = read_logs(bag), read_logs(tmp_path / "log.csv")
    assert from_bag.joints == from_csv.joints
    np.testing.assert_allclose(from_bag.time, from_csv.time, rtol=0, atol=1e-15)  # ns stamps vs. float sums
    for field in ("q", "dq", "tau"):
        np.testing.assert_array_equal(getattr(from_bag, field), getattr(from_csv, field))


@pytest.mark.slow
def test_sysid_end_to_end_from_a_ros2_bag(tmp_path):
    from calibration.run import run_sysid
    from calibration.synthetic import TRUTH, arm
    from twin.mjcf import to_mjcf

    to_mjcf(arm().spec, tmp_path, "arm.xml")
    log, bag = _arm_bag(tmp_path, 6.0)
    write_csv(log, tmp_path / "log.csv")
    from_bag = run_sysid(tmp_path / "arm.xml", bag, tmp_path / "out_bag", n_starts=1)
    from_csv = run_sysid(tmp_path / "arm.xml", tmp_path / "log.csv", tmp_path / "out_csv", n_starts=1)
    assert from_bag.fit["logs"][0]["source"] == str(bag)
    for a, b in zip(from_bag.parameters, from_csv.parameters):
        assert a["name"] == b["name"] and a["value"] == pytest.approx(b["value"], rel=1e-6)
    assert {p["name"] for p in from_bag.parameters} <= set(TRUTH)


def test_dispatch_errors(tmp_path):
    (tmp_path / "run.txt").write_text("1 2 3\n")
    with pytest.raises(LogError) as exc:
        read_log(tmp_path / "run.txt")
    assert str(exc.value) == (
        f"{tmp_path / 'run.txt'}: has an unknown suffix; expected one of .bag, .csv, .db3, .h5, .hdf5, .mcap, .parquet, .pq, "
        "a ROS 2 bag or a LeRobot dataset directory"
    )
    with pytest.raises(LogError) as exc:
        read_logs(tmp_path)
    assert str(exc.value) == (
        f"{tmp_path}: holds no logs; expected files ending in .bag, .csv, .db3, .h5, .hdf5, .mcap, .parquet, .pq, "
        "ROS 2 bag directories or LeRobot datasets (or give --columns MAP)"
    )


def test_cli_topic_chooses_among_joint_state_topics(tmp_path, capsys):
    from calibration.synthetic import arm
    from cli.main import main
    from twin.mjcf import to_mjcf

    log, _ = _arm_bag(tmp_path, 0.5)
    stamps = START + np.round(log.time * 1e9).astype(np.int64)
    names = list(log.joints)
    messages = [(topic, int(s), int(s), names, log.q[i], log.dq[i], log.tau[i])
                for topic in ("/left/joint_states", "/right/joint_states") for i, s in enumerate(stamps)]
    bag = write_bag(tmp_path / "two", "sqlite3", messages)
    model = to_mjcf(arm().spec, tmp_path, "arm.xml")
    assert main(["sysid", "--model", str(model), "--logs", str(bag), "--out", str(tmp_path / "out"), "--quiet"]) == 1
    assert "choose one with --topic" in capsys.readouterr().err
    (chosen,) = read_logs(bag, topic="/right/joint_states")
    np.testing.assert_array_equal(chosen.q, log.q)
