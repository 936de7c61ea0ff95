"""``twin sysid --object``: object pose logs, the friction (and mass) fit on generated pushes and slides, errors."""

from __future__ import annotations

import json

import mujoco
import numpy as np
import pytest

from calibration.errors import LogError, ParameterError
from calibration.object_bootstrap import bootstrap, replica_starts, replicas
from calibration.object_fit import ObjectProblem, build_object_segments, position_noise
from calibration.object_logs import ObjectTrajectory, read_object_log, write_object_csv
from calibration.object_model import object_parameters, prepare_object_replay
from calibration.object_run import fit_object, run_object_sysid
from calibration.object_synthetic import (
    BODY,
    TRUTH,
    floor_scene,
    push_profile,
    simulate_object_log,
    slope_scene,
)
from cli.main import main
from twin.executor import make_executor
from twin.mjcf import to_mjcf

FRICTION, MASS = TRUTH["geom/crate/friction"], TRUTH["body/crate/mass"]


@pytest.fixture(scope="module")
def floor_dir(tmp_path_factory):
    """``floor.xml`` (nominal crate, grippier floor), ``logs/`` (two pushes, 2 s each) and ``held.csv``."""
    folder = tmp_path_factory.mktemp("floor")
    to_mjcf(floor_scene().spec, folder, "floor.xml")
    truth = floor_scene(TRUTH, truth=True)
    (folder / "logs").mkdir()
    write_object_csv(simulate_object_log(truth, duration=2.0, force=push_profile(22.0), seed=0), folder / "logs" / "push_x.csv")
    write_object_csv(simulate_object_log(truth, duration=2.0, force=push_profile(16.0, (0.6, 0.8, 0.0)), seed=100), folder / "logs" / "push_xy.csv")
    write_object_csv(simulate_object_log(truth, duration=1.5, force=push_profile(19.0, (0.0, 1.0, 0.0)), seed=7), folder / "held.csv")
    return folder


@pytest.fixture(scope="module")
def floor_result(floor_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("floor_out") / "sysid"
    return run_object_sysid(floor_dir / "floor.xml", floor_dir / "logs", out, body=BODY, validate=floor_dir / "held.csv",
                            bootstrap=6, executor=make_executor("process", workers=2))


def test_floor_push_recovers_friction_and_mass(floor_result):
    fitted = {r["name"]: r for r in floor_result.parameters}
    friction, mass = fitted["geom/crate/friction"], fitted["body/crate/mass"]
    assert abs(friction["value"] / FRICTION - 1) < 0.03
    assert abs(mass["value"] / MASS - 1) < 0.03
    naive = floor_result.fit["naive_std"]
    for record, truth in ((friction, FRICTION), (mass, MASS)):
        # the bootstrap holds the simulator's chatter: wider than the noise alone, still within a few percent
        assert naive[record["name"]] < record["std"] < 0.03 * truth
        assert record["ci95"][0] <= truth <= record["ci95"][1]
    assert floor_result.fit["bootstrap"]["runs"] == 6
    assert floor_result.validation.passed


def test_floor_outputs(floor_result):
    out = floor_result.out
    document = json.loads((out / "params.json").read_text())
    assert [r["name"] for r in document["parameters"]] == ["geom/crate/friction", "body/crate/mass"]
    assert document["fit"]["object"] == BODY and document["validation"]["joints"][0]["name"] == "x"
    calibrated = (out / "calibrated.xml").read_text()
    assert 'priority="1"' in calibrated  # the crate's friction is the contact's, not max(crate, floor)
    assert json.loads((out / "dr.json").read_text())["parameters"][0]["name"] == "geom/crate/friction"
    assert "Held-out validation" in (out / "report.html").read_text()


def test_slope_fits_friction_only_and_warns(tmp_path):
    to_mjcf(slope_scene().spec, tmp_path, "slope.xml")
    truth = slope_scene(TRUTH, truth=True)
    logs = [simulate_object_log(truth, duration=1.0, seed=s, source=f"slide{s}.csv") for s in (1, 2)]
    result = run_object_sysid(tmp_path / "slope.xml", logs, tmp_path / "out", body=BODY, bootstrap=4)
    (friction,) = result.parameters
    assert friction["name"] == "geom/crate/friction"
    assert abs(friction["value"] / FRICTION - 1) < 0.03
    assert any("mass cannot be identified" in w for w in result.warnings)


def test_bootstrap_replicas_and_executors():
    """Replicas perturb the start and the noise but keep the estimated starts; refits are seeded and executor-free."""
    problem, _ = _problem("slope", 0)
    x = problem.unknowns(np.array([FRICTION]))
    (a, b) = replicas(problem, x, 1e-3, 2, seed=5)
    assert np.array_equal(a.segments.initial, problem.segments.initial)
    assert not np.allclose(a.segments.target, b.segments.target)
    seg, q = problem.segments, 1 + problem.replay.qpos + 3
    starts = replica_starts(problem, 400, np.random.default_rng(0))
    normal = np.cross(seg.tangent[0, :, 0], seg.tangent[0, :, 1])
    turns = []
    for quat in starts[:, 0, q : q + 4]:
        rel = np.empty(4)
        mujoco.mju_mulQuat(rel, quat, seg.initial[0, q : q + 4] * [1, -1, -1, -1])
        turns.append(2 * np.arctan2(rel[1:] @ normal, rel[0]))
    assert 1e-3 <= seg.turn[0] < 3e-3  # 2e-3 quaternion noise, averaged over the start window
    assert np.std(turns) == pytest.approx(seg.turn[0], rel=0.15)
    inline = bootstrap(problem, x, 1e-3, np.zeros(1), runs=3, evaluations=3, seed=1)
    again = bootstrap(problem, x, 1e-3, np.zeros(1), runs=3, evaluations=3, seed=1, executor=make_executor("process", workers=2))
    assert inline.values.shape == (3, 1) and np.all(inline.evaluations <= 3)
    assert np.array_equal(inline.values, again.values)
    assert inline.covariance.shape == (1, 1) and inline.covariance[0, 0] > 0


def _logs(kind: str, seed: int):
    """Generated logs of noise seed ``seed`` (floor: two 2 s pushes; slope: two 1 s slides); (nominal model, logs)."""
    if kind == "floor":
        truth = floor_scene(TRUTH, truth=True)
        logs = [simulate_object_log(truth, duration=2.0, force=push_profile(22.0), seed=1000 + seed),
                simulate_object_log(truth, duration=2.0, force=push_profile(16.0, (0.6, 0.8, 0.0)), seed=2000 + seed)]
        return floor_scene().compile(), logs
    truth = slope_scene(TRUTH, truth=True)
    return slope_scene().compile(), [simulate_object_log(truth, duration=1.0, seed=3000 + seed), simulate_object_log(truth, duration=1.0, seed=4000 + seed)]


def _problem(kind: str, seed: int):
    nominal, logs = _logs(kind, seed)
    params, _ = object_parameters(nominal, BODY, None, kind == "floor")
    replay = prepare_object_replay(nominal, BODY, params, logs[0].dt)
    return ObjectProblem(replay, params, build_object_segments(replay, logs), position_noise(logs)), logs


def _fit(item: tuple[str, int, int]):
    """Fit ``(kind, seed, bootstrap runs)``; (values, ci95, truth, naive std)."""
    kind, seed, runs = item
    problem, logs = _problem(kind, seed)
    fit = fit_object(problem, logs, seed, runs=runs)
    naive = np.sqrt(np.diag(fit.uncertainty.naive_covariance))
    return fit.values, fit.uncertainty.ci95, np.array([TRUTH[n] for n in problem.params.names]), naive


COVERAGE_SEEDS = 20
COVERAGE_RUNS = 8
"""Bootstrap replicas per fit in the coverage study (the CLI's default is larger)."""


def coverage(kind: str, seeds: int = COVERAGE_SEEDS, runs: int = COVERAGE_RUNS, executor=None) -> tuple[np.ndarray, list]:
    """Share of ``seeds`` noise seeds whose 95% intervals hold the truth, per parameter, and the fits."""
    fits = (executor or make_executor("process", workers=2)).map(_fit, [(kind, seed, runs) for seed in range(seeds)])
    hits = [(ci[:, 0] <= truth) & (truth <= ci[:, 1]) for _, ci, truth, _ in fits]
    return np.mean(hits, axis=0), fits


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["floor", "slope"])
def test_object_interval_coverage(kind):
    """The 95% intervals hold the truth in at least 80% of 20 noise seeds: friction and mass (floor), friction (slope)."""
    found, fits = coverage(kind)
    naive = np.mean([f[3] for f in fits], axis=0)
    half = np.mean([(f[1][:, 1] - f[1][:, 0]) / 2 for f in fits], axis=0)
    assert np.all(found >= 0.8), found
    assert np.all(half > 5 * 1.96 * naive), (half, naive)  # the chatter's share, beyond the noise's


# -- errors ------------------------------------------------------------------------------------------------------


def _csv(path, header, rows):
    path.write_text(header + "\n" + "\n".join(",".join(str(v) for v in row) for row in rows) + "\n")
    return path


def test_missing_column(tmp_path):
    path = _csv(tmp_path / "a.csv", "time,x,y", [(0.01 * i, 0, 0) for i in range(20)])
    with pytest.raises(LogError) as info:
        read_object_log(path)
    assert str(info.value) == f"{path}: has no 'z' column; an object pose log has time, x, y, z (m), optionally qw, qx, qy, qz and fx, fy, fz (N)"


def test_partial_force_columns(tmp_path):
    path = _csv(tmp_path / "a.csv", "time,x,y,z,fx", [(0.01 * i, 0, 0, 0, 1) for i in range(20)])
    with pytest.raises(LogError) as info:
        read_object_log(path)
    assert str(info.value) == f"{path}: has fx but no 'fy' column; give all of fx, fy, fz (push force, N) or none"


def test_unsorted_time(tmp_path):
    rows = [(0.01 * i, 0, 0, 0) for i in range(20)]
    rows[5], rows[6] = rows[6], rows[5]
    path = _csv(tmp_path / "a.csv", "time,x,y,z", rows)
    with pytest.raises(LogError) as info:
        read_object_log(path)
    assert str(info.value) == f"{path}: column 'time' decreases at sample 6 (0.05 s after 0.06 s); sort the samples by time"


def test_nan_and_short_logs():
    t = np.arange(20) * 0.01
    position = np.zeros((20, 3))
    position[3, 1] = np.nan
    with pytest.raises(LogError) as info:
        ObjectTrajectory(t, position, source="a.csv")
    assert str(info.value) == "a.csv: column 'y' has a missing or non-numeric value at sample 3 (t = 0.03 s); every sample needs a finite number"
    with pytest.raises(LogError) as info:
        ObjectTrajectory(t[:5], np.zeros((5, 3)), source="a.csv")
    assert str(info.value) == "a.csv: has 5 sample(s); an object log needs at least 10"


def test_unknown_and_jointed_body():
    model = floor_scene().compile()
    with pytest.raises(ParameterError) as info:
        object_parameters(model, "box", None, True)
    assert str(info.value) == "--object 'box': the model has no such body; its free bodies are: crate"
    import mujoco

    spec = floor_scene().spec
    spec.worldbody.add_body(name="shelf", pos=[1, 0, 0.5]).add_geom(size=[0.1, 0.1, 0.1], type=mujoco.mjtGeom.mjGEOM_BOX)
    with pytest.raises(ParameterError) as info:
        object_parameters(spec.compile(), "shelf", None, True)
    assert str(info.value) == "--object 'shelf': the body has no free joint (it is welded or jointed); the model's free bodies are: crate"


def test_mass_without_force():
    model = floor_scene().compile()
    with pytest.raises(ParameterError) as info:
        object_parameters(model, BODY, "geom/crate/friction,body/crate/mass", False)
    assert str(info.value) == (
        "parameter 'body/crate/mass' cannot be identified without a logged push force (fx, fy, fz columns): a sliding "
        "object decelerates at mu*g whatever its mass; drop it from --params or log the force"
    )
    params, warnings = object_parameters(model, BODY, None, False)
    assert params.names == ("geom/crate/friction",) and "only friction is fitted" in warnings[0]
    with pytest.raises(ParameterError) as info:
        object_parameters(model, BODY, "geom/crate/friction,geom/floor/friction", True)
    assert str(info.value) == "parameters geom/crate/friction and geom/floor/friction: their contact uses one coefficient; fit one of them"


def test_cli_object(floor_dir, tmp_path, capsys):
    out = tmp_path / "cli"
    code = main(["sysid", "--model", str(floor_dir / "floor.xml"), "--logs", str(floor_dir / "logs" / "push_x.csv"),
                 "--out", str(out), "--object", BODY, "--json", "--bootstrap", "4", "--executor", "inline"])
    assert code == 0
    document = json.loads(capsys.readouterr().out)
    assert json.loads((out / "params.json").read_text())["fit"]["bootstrap"]["runs"] == 4
    assert document["ok"] and [p["name"] for p in document["parameters"]] == ["geom/crate/friction", "body/crate/mass"]
    code = main(["sysid", "--model", str(floor_dir / "floor.xml"), "--logs", str(floor_dir / "logs"), "--out", str(tmp_path / "x"), "--object", "box"])
    assert code == 1
    assert "its free bodies are: crate" in capsys.readouterr().err
