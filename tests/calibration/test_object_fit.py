"""``twin sysid --object``: object pose logs, the friction (and mass) fit on generated pushes and slides, errors."""

from __future__ import annotations

import json

import numpy as np
import pytest

from calibration.errors import LogError, ParameterError
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
    return run_object_sysid(floor_dir / "floor.xml", floor_dir / "logs", out, body=BODY, validate=floor_dir / "held.csv")


def test_floor_push_recovers_friction_and_mass(floor_result):
    fitted = {r["name"]: r for r in floor_result.parameters}
    friction, mass = fitted["geom/crate/friction"], fitted["body/crate/mass"]
    assert abs(friction["value"] / FRICTION - 1) < 0.03
    assert abs(mass["value"] / MASS - 1) < 0.03
    assert 0 < friction["std"] < 0.03 * FRICTION and 0 < mass["std"] < 0.03 * MASS
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
    result = run_object_sysid(tmp_path / "slope.xml", logs, tmp_path / "out", body=BODY)
    (friction,) = result.parameters
    assert friction["name"] == "geom/crate/friction"
    assert abs(friction["value"] / FRICTION - 1) < 0.03
    assert any("mass cannot be identified" in w for w in result.warnings)


def _fit(kind: str, seed: int):
    """Fit generated logs (floor: two 2 s pushes; slope: two 1 s slides) of noise seed ``seed``; (values, ci95, truth)."""
    if kind == "floor":
        nominal, truth = floor_scene().compile(), floor_scene(TRUTH, truth=True)
        logs = [simulate_object_log(truth, duration=2.0, force=push_profile(22.0), seed=1000 + seed),
                simulate_object_log(truth, duration=2.0, force=push_profile(16.0, (0.6, 0.8, 0.0)), seed=2000 + seed)]
    else:
        nominal, truth = slope_scene().compile(), slope_scene(TRUTH, truth=True)
        logs = [simulate_object_log(truth, duration=1.0, seed=3000 + seed), simulate_object_log(truth, duration=1.0, seed=4000 + seed)]
    params, _ = object_parameters(nominal, BODY, None, kind == "floor")
    replay = prepare_object_replay(nominal, BODY, params, logs[0].dt)
    problem = ObjectProblem(replay, params, build_object_segments(replay, logs), position_noise(logs))
    fit = fit_object(problem, logs, seed)
    return fit.values, fit.uncertainty.ci95, np.array([TRUTH[n] for n in params.names])


@pytest.mark.slow
@pytest.mark.xfail(strict=True, reason="simulated box contacts chatter: fits scatter by about 1% around the truth, "
                   "beyond the intervals (see the Objects section of docs/commands/sysid.md)")
def test_object_interval_coverage():
    """The 95% intervals hold the truth in at least 80% of 20 noise seeds: friction (floor, slope) and mass (floor)."""
    hits = {"floor": [], "slope": []}
    for kind, found in hits.items():
        for seed in range(20):
            _, ci, truth = _fit(kind, seed)
            found.append((ci[:, 0] <= truth) & (truth <= ci[:, 1]))
    floor, slope = np.mean(hits["floor"], axis=0), np.mean(hits["slope"], axis=0)
    assert floor[0] >= 0.8 and floor[1] >= 0.8 and slope[0] >= 0.8, (floor, slope)


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
                 "--out", str(out), "--object", BODY, "--json"])
    assert code == 0
    document = json.loads(capsys.readouterr().out)
    assert document["ok"] and [p["name"] for p in document["parameters"]] == ["geom/crate/friction", "body/crate/mass"]
    code = main(["sysid", "--model", str(floor_dir / "floor.xml"), "--logs", str(floor_dir / "logs"), "--out", str(tmp_path / "x"), "--object", "box"])
    assert code == 1
    assert "its free bodies are: crate" in capsys.readouterr().err
