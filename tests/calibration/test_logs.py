"""Log readers, column maps, resampling and their exact error messages."""

from __future__ import annotations

import numpy as np
import pytest

from calibration.column_map import load_column_map, mapped_logs
from calibration.errors import BadSampleError, ColumnMapError, LogError, TimestampError
from calibration.readers import read_log, trajectory_columns, write_csv
from calibration.run import read_logs
from calibration.trajectory import Trajectory

HEADER = "time,q.a,q.b,tau.a,tau.b"


def _log(n: int = 50, dt: float = 0.01) -> Trajectory:
    t = np.arange(n) * dt
    q = np.stack([np.sin(t), np.cos(t)], axis=1)
    return Trajectory(t, ("a", "b"), q, dq=np.gradient(q, dt, axis=0), tau=q * 2, source="x")


def _csv(tmp_path, rows: list[str], header: str = HEADER):
    path = tmp_path / "log.csv"
    path.write_text("\n".join([header, *rows]) + "\n")
    return path


def test_csv_round_trip(tmp_path):
    log = _log()
    write_csv(log, tmp_path / "a.csv")
    back = read_log(tmp_path / "a.csv")
    assert back.joints == ("a", "b") and back.ctrl is None
    np.testing.assert_array_equal(back.q, log.q)
    np.testing.assert_array_equal(back.tau, log.tau)
    assert back.is_uniform


@pytest.mark.parametrize("suffix", [".parquet", ".h5"])
def test_parquet_and_hdf5(tmp_path, suffix):
    log = _log()
    columns = trajectory_columns(log)
    path = tmp_path / f"a{suffix}"
    if suffix == ".parquet":
        pa = pytest.importorskip("pyarrow")
        pytest.importorskip("pyarrow.parquet").write_table(pa.table(columns), path)
    else:
        h5py = pytest.importorskip("h5py")
        with h5py.File(path, "w") as f:
            for name, values in columns.items():
                f[name] = values
    back = read_log(path)
    np.testing.assert_array_equal(back.dq, log.dq)


def test_nan_names_file_column_and_sample(tmp_path):
    path = _csv(tmp_path, ["0,0,0,1,1", "0.01,0,nan,1,1", "0.02,0,0,1,1"])
    with pytest.raises(BadSampleError) as exc:
        read_log(path)
    assert str(exc.value) == (
        f"{path}: column 'q.b' has a missing or non-numeric value at sample 1 (t = 0.01 s); every sample needs a finite number"
    )


def test_text_in_a_number_column(tmp_path):
    path = _csv(tmp_path, ["0,0,0,1,1", "0.01,0,0,1,oops"])
    with pytest.raises(BadSampleError, match=r"column 'tau.b' has a missing or non-numeric value at sample 1"):
        read_log(path)


def test_unsorted_time(tmp_path):
    path = _csv(tmp_path, ["0,0,0,1,1", "0.02,0,0,1,1", "0.01,0,0,1,1"])
    with pytest.raises(TimestampError) as exc:
        read_log(path)
    assert str(exc.value) == f"{path}: column 'time' decreases at sample 2 (0.01 s after 0.02 s); sort the samples by time"


def test_duplicate_time(tmp_path):
    path = _csv(tmp_path, ["0,0,0,1,1", "0.01,0,0,1,1", "0.01,0,0,1,1"])
    with pytest.raises(TimestampError) as exc:
        read_log(path)
    assert str(exc.value) == f"{path}: column 'time' repeats 0.01 s at samples 1 and 2; every sample needs its own time stamp"


def test_gap_in_time(tmp_path):
    rows = [f"{i * 0.01:.2f},0,0,1,1" for i in range(30)] + ["5.0,0,0,1,1"]
    path = _csv(tmp_path, rows)
    with pytest.raises(TimestampError) as exc:
        read_log(path)
    assert str(exc.value) == (
        f"{path}: column 'time' jumps by 4.71 s after t = 0.29 s (the median step is 0.01 s); split the log at the gap or fill it"
    )


def test_missing_time_and_inputs(tmp_path):
    with pytest.raises(LogError) as exc:
        read_log(_csv(tmp_path, ["0,0"], header="q.a,tau.a"))
    assert str(exc.value).endswith(
        "has no 'time' column; the canonical log has time, q.<joint>, and tau.<joint> or ctrl.<actuator> columns"
    )
    with pytest.raises(LogError) as exc:
        read_log(_csv(tmp_path, ["0,0", "0.01,0"], header="time,q.a"))
    assert str(exc.value).endswith("has no tau.<joint> or ctrl.<actuator> columns; sysid replays the logged torques or controls")


def test_partial_torque_columns(tmp_path):
    with pytest.raises(LogError) as exc:
        read_log(_csv(tmp_path, ["0,0,0,1", "0.01,0,0,1"], header="time,q.a,q.b,tau.a"))
    assert str(exc.value).endswith("has tau for some joints but no tau.b; give tau for every logged joint or none")


def test_resampling_non_uniform_log_says_what_was_done():
    t = np.arange(100) * 0.01 + np.random.default_rng(0).uniform(-0.002, 0.002, 100)
    q = np.sin(t)[:, None]
    log = Trajectory(t, ("a",), q, tau=q, actuators=("m",), ctrl=q)
    assert not log.is_uniform
    uniform = log.resampled()
    assert uniform.is_uniform and uniform.dt == pytest.approx(0.01, rel=0.05)
    assert "interpolated linearly" in uniform.notes[-1] and "ctrl held" in uniform.notes[-1]
    np.testing.assert_allclose(uniform.q[:, 0], np.sin(uniform.time), atol=1e-4)


def test_window_and_read_logs_accepts_trajectories():
    log = _log(100)
    part = log.window(0.2, 0.5)
    assert part.n_samples == 30 and part.time[0] == pytest.approx(0.2)
    assert read_logs([log, part]) == [log, part]


# -- column maps -------------------------------------------------------------------------------------------


def test_sample_major_text_map(tmp_path):
    q = np.arange(12, dtype=float).reshape(4, 3) / 10
    np.savetxt(tmp_path / "pos.txt", q.reshape(-1))
    np.savetxt(tmp_path / "tau.txt", -q.reshape(-1))
    np.savetxt(tmp_path / "time.txt", np.arange(4) * 0.001)
    (tmp_path / "map.toml").write_text(
        '[time]\nfile = "time.txt"\n'
        '[q]\nfile = "pos.txt"\nlayout = "sample-major"\njoints = ["a", "b", "c"]\n'
        '[tau]\nfile = "tau.txt"\nlayout = "sample-major"\njoints = ["a", "b", "c"]\nscale = [1.0, 2.0, 3.0]\n'
    )
    (log,) = mapped_logs(tmp_path / "map.toml", tmp_path)
    np.testing.assert_allclose(log.q, q)
    np.testing.assert_allclose(log.tau, -q * [1, 2, 3])
    assert any("scaled" in n for n in log.notes)


def test_table_map_with_fixed_rate_applies_to_each_file(tmp_path):
    for k in range(2):
        (tmp_path / f"run{k}.csv").write_text("pos_0,eff_0\n" + "\n".join(f"{i * 1.0},{i * 2.0}" for i in range(10)) + "\n")
    (tmp_path / "map.toml").write_text(
        '[time]\nrate = 100.0\n[q]\njoints = ["a"]\ncolumns = ["pos_0"]\nscale = 0.0174532925199\n'
        '[tau]\njoints = ["a"]\ncolumns = ["eff_0"]\n'
    )
    logs = mapped_logs(tmp_path / "map.toml", tmp_path)
    assert len(logs) == 2 and logs[0].dt == pytest.approx(0.01)
    assert logs[1].q[-1, 0] == pytest.approx(np.radians(9.0))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[q]\njoints = ["a"]\ncolumns = ["x"]\n', "needs a [time] table with column, file or rate"),
        ('[time]\nrate = 10\n[qq]\n', "has unknown table 'qq'; expected time, q, dq, tau, ctrl"),
        ('[time]\nrate = 10\n[q]\njoints = ["a"]\ncolumns = ["x", "y"]\n', "[q] has 2 columns for 1 joints"),
        ('[time]\nrate = 10\n[q]\njoints = ["a"]\nfile = "p.txt"\nlayout = "joint-major"\n', "[q] has layout 'joint-major'; expected one of rows, sample-major"),
        ("[time\n", "is not valid TOML"),
    ],
)
def test_column_map_errors(tmp_path, text, message):
    path = tmp_path / "map.toml"
    path.write_text(text)
    with pytest.raises(ColumnMapError) as exc:
        load_column_map(path)
    assert str(exc.value).startswith(f"{path}: {message}")


def test_column_map_missing_column(tmp_path):
    (tmp_path / "a.csv").write_text("t,p\n0,0\n0.1,0\n")
    (tmp_path / "map.toml").write_text('[time]\ncolumn = "t"\n[q]\njoints = ["a"]\ncolumns = ["pos"]\n')
    with pytest.raises(LogError) as exc:
        mapped_logs(tmp_path / "map.toml", tmp_path / "a.csv")
    assert str(exc.value) == f"{tmp_path / 'a.csv'}: has no column 'pos' (named by the column map's [q])"


def test_shipped_maps_load():
    from pathlib import Path

    for path in sorted((Path(__file__).parents[2] / "calibration" / "maps").glob("*.toml")):
        document = load_column_map(path)
        assert "q" in document and "tau" in document


def test_time_in_milliseconds_is_refused_before_the_fit():
    from calibration.checks import check_length
    from calibration.errors import ShortLogError

    log = _log(n=50, dt=10.0)  # 10 ms steps written as 10 "seconds"
    with pytest.raises(ShortLogError) as exc:
        check_length(log, 0.2)
    assert str(exc.value) == ("x: samples come every 10 s, too slowly for 0.2 s segments (at least 4 samples each); "
                              "is the time column in milliseconds? It must be in seconds")
    assert check_length(_log(n=2000, dt=0.01), 0.2) == []


def test_topic_without_a_bag_is_refused(tmp_path):
    path = tmp_path / "log.csv"
    write_csv(_log(), path)
    with pytest.raises(LogError) as exc:
        read_logs(path, topic="/joint_states")
    assert str(exc.value) == (f"{path}: holds no ROS bag or MCAP file; --topic /joint_states chooses among the "
                              "JointState topics of those")
