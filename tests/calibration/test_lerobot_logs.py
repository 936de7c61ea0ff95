"""LeRobot datasets (v3.0 and v2.1 layouts): written from known episodes, read back one trajectory per episode."""

from __future__ import annotations

import json

import numpy as np
import pytest

from calibration.errors import LogError, TimestampError
from calibration.lerobot_logs import read_lerobot
from calibration.readers import log_files, read_log, read_trajectories
from calibration.run import read_logs

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

FPS = 50
STATE_NAMES = ["shoulder.pos", "elbow.pos"]
ACTION_NAMES = ["shoulder.pos", "elbow.pos"]


def _episode(index: int, n: int) -> dict[str, np.ndarray]:
    """Frames of one episode as LeRobot stores them (float32 lists, float32 timestamps)."""
    t = (np.arange(n) / FPS).astype(np.float32)
    state = np.stack([np.sin(t + index), np.cos(2 * t) - index], axis=1).astype(np.float32)
    return {
        "observation.state": state,
        "action": (state + 0.01).astype(np.float32),
        "timestamp": t,
        "frame_index": np.arange(n, dtype=np.int64),
        "episode_index": np.full(n, index, dtype=np.int64),
    }


def _table(frames: list[dict]) -> pa.Table:
    columns = {k: np.concatenate([f[k] for f in frames]) for k in frames[0]}
    return pa.table({k: list(v) if v.ndim == 2 else v for k, v in columns.items()})


def _info(version: str = "v3.0", state_names=None, features: dict | None = None) -> dict:
    vector = lambda names: {"dtype": "float32", "shape": [len(names if isinstance(names, list) else next(iter(names.values())))], "names": names}
    default = {
        "observation.state": vector(state_names or STATE_NAMES),
        "action": vector(ACTION_NAMES),
        "observation.images.top": {"dtype": "video", "shape": [480, 640, 3], "names": ["height", "width", "channels"]},
        "timestamp": {"dtype": "float32", "shape": [1], "names": None},
        "frame_index": {"dtype": "int64", "shape": [1], "names": None},
        "episode_index": {"dtype": "int64", "shape": [1], "names": None},
    }
    return {"codebase_version": version, "fps": FPS, "features": default if features is None else features}


def write_v3(root, episodes: list[dict], files: list[list[int]], info: dict | None = None):
    """A v3.0 dataset: ``files`` lists the episodes of each data file (chunk-000/file-NNN.parquet)."""
    (root / "meta").mkdir(parents=True)
    (root / "meta" / "info.json").write_text(json.dumps(info or _info()))
    (root / "data" / "chunk-000").mkdir(parents=True)
    for k, members in enumerate(files):
        pq.write_table(_table([episodes[e] for e in members]), root / "data" / "chunk-000" / f"file-{k:03d}.parquet")
    return root


def test_v3_episodes_recover_the_truth(tmp_path):
    episodes = [_episode(i, n) for i, n in enumerate((40, 25, 60))]
    root = write_v3(tmp_path / "ds", episodes, [[0, 1], [2]])
    assert log_files(root) == [root]
    logs = read_logs(str(root))
    assert len(logs) == 3
    for i, (log, truth) in enumerate(zip(logs, episodes)):
        assert log.joints == ("shoulder", "elbow") and log.actuators == ("shoulder", "elbow")
        assert log.dq is None and log.tau is None and log.source == f"{root} episode {i}"
        np.testing.assert_array_equal(log.time, truth["timestamp"].astype(float))
        np.testing.assert_array_equal(log.q, truth["observation.state"].astype(float))
        np.testing.assert_array_equal(log.ctrl, truth["action"].astype(float))


def test_v2_layout_with_motor_names(tmp_path):
    root = tmp_path / "ds"
    (root / "meta").mkdir(parents=True)
    (root / "meta" / "info.json").write_text(json.dumps(_info("v2.1", state_names={"motors": ["shoulder", "elbow"]})))
    (root / "data" / "chunk-000").mkdir(parents=True)
    episodes = [_episode(i, 30) for i in range(2)]
    for i, frames in enumerate(episodes):
        pq.write_table(_table([frames]), root / "data" / "chunk-000" / f"episode_{i:06d}.parquet")
    logs = read_trajectories(root)
    assert [log.joints for log in logs] == [("shoulder", "elbow")] * 2
    np.testing.assert_array_equal(logs[1].q, episodes[1]["observation.state"].astype(float))
    assert read_lerobot(root, episodes=[1])[0].source == f"{root} episode 1"


def test_state_velocity_and_effort_names(tmp_path):
    frames = _episode(0, 20)
    state = np.concatenate([frames["observation.state"], 2 * frames["observation.state"], 3 * frames["observation.state"]], axis=1)
    frames["observation.state"] = state
    names = ["shoulder.pos", "elbow.pos", "shoulder.vel", "elbow.vel", "shoulder.effort", "elbow.effort"]
    info = _info(state_names=names)
    del info["features"]["action"]
    del frames["action"]
    root = write_v3(tmp_path / "ds", [frames], [[0]], info)
    log = read_log(root)
    assert log.ctrl is None
    np.testing.assert_array_equal(log.dq, state[:, 2:4].astype(float))
    np.testing.assert_array_equal(log.tau, state[:, 4:].astype(float))


def test_rows_out_of_order_are_put_in_frame_order(tmp_path):
    frames = _episode(0, 20)
    shuffled = {k: v[::-1].copy() for k, v in frames.items()}
    root = write_v3(tmp_path / "ds", [shuffled], [[0]])
    log = read_log(root)
    np.testing.assert_array_equal(log.q, frames["observation.state"].astype(float))
    assert "rows put in frame_index order" in log.notes


def test_read_log_of_many_episodes_points_to_read_trajectories(tmp_path):
    root = write_v3(tmp_path / "ds", [_episode(0, 10), _episode(1, 10)], [[0, 1]])
    with pytest.raises(LogError) as exc:
        read_log(root)
    assert str(exc.value) == f"{root}: is a LeRobot dataset of 2 episodes; read them with read_trajectories"


def test_missing_info_json(tmp_path):
    root = write_v3(tmp_path / "ds", [_episode(0, 10)], [[0]])
    (root / "meta" / "info.json").unlink()
    with pytest.raises(LogError) as exc:
        read_logs(root)
    assert str(exc.value) == f"{root}: looks like a LeRobot dataset (data/chunk-*/) but has no meta/info.json; it names the features"


def test_missing_observation_state(tmp_path):
    info = _info()
    del info["features"]["observation.state"]
    root = write_v3(tmp_path / "ds", [_episode(0, 10)], [[0]], info)
    with pytest.raises(LogError) as exc:
        read_logs(root)
    assert str(exc.value) == (
        f"{root / 'meta' / 'info.json'}: has no 'observation.state' feature; its features are: "
        "action, episode_index, frame_index, observation.images.top, timestamp"
    )


def test_names_that_do_not_fit_the_shape(tmp_path):
    info = _info()
    info["features"]["observation.state"]["names"] = ["dim"]
    root = write_v3(tmp_path / "ds", [_episode(0, 10)], [[0]], info)
    with pytest.raises(LogError) as exc:
        read_logs(root)
    assert str(exc.value) == (
        f"{root / 'meta' / 'info.json'}: feature 'observation.state' has names [\"dim\"] for shape [2]; "
        "sysid needs one name per value (the joint names)"
    )


def test_repeated_timestamp_and_frame(tmp_path):
    frames = _episode(0, 10)
    frames["timestamp"][4] = frames["timestamp"][3]
    frames["episode_index"][:] = 1
    root = write_v3(tmp_path / "b", [_episode(0, 10), frames], [[0, 1]])
    path = root / "data" / "chunk-000" / "file-000.parquet"
    with pytest.raises(TimestampError) as exc:
        read_logs(root)
    assert str(exc.value) == f"{path}: episode 1: column 'timestamp' repeats 0.06 s at samples 3 and 4; every sample needs its own time stamp"
    frames = _episode(0, 10)
    frames["frame_index"][5] = 4
    root = write_v3(tmp_path / "c", [frames], [[0]])
    with pytest.raises(LogError) as exc:
        read_logs(root)
    assert str(exc.value) == f"{root / 'data' / 'chunk-000' / 'file-000.parquet'}: episode 0 has frame_index 4 twice; every frame needs its own row"


def test_no_inputs(tmp_path):
    info = _info()
    del info["features"]["action"]
    root = write_v3(tmp_path / "ds", [_episode(0, 10)], [[0]], info)
    with pytest.raises(LogError) as exc:
        read_logs(root)
    assert str(exc.value) == (
        f"{root / 'meta' / 'info.json'}: has neither an 'action' feature nor joint efforts; sysid replays the logged actions or torques"
    )


def test_a_data_file_given_alone_points_to_the_dataset(tmp_path):
    root = write_v3(tmp_path / "ds", [_episode(0, 10)], [[0]])
    path = root / "data" / "chunk-000" / "file-000.parquet"
    with pytest.raises(LogError) as exc:
        read_log(path)
    assert str(exc.value) == (
        f"{path}: column 'observation.state' holds list<element: float> values; a canonical log has one number per row "
        "(for a LeRobot dataset, give its directory)"
    )
