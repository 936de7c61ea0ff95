"""``run_sysid`` and ``twin sysid`` end to end: output files and schemas, refusals, bad inputs as one line."""

from __future__ import annotations

import json

import mujoco
import numpy as np
import pytest

from calibration.readers import write_csv
from calibration.run import run_sysid
from calibration.synthetic import TRUTH, simulate_log
from cli.main import main
from twin.errors import OutputError
from twin.executor import make_executor

SPEC = "joint/*/damping,joint/*/frictionloss,joint/*/armature,body/payload/mass"


@pytest.fixture(scope="module")
def result(arm_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("sysid") / "out"
    executor = make_executor("process", workers=2)  # the multi-starts go through the executor interface
    return run_sysid(arm_dir / "arm.xml", arm_dir / "logs", out, params=SPEC, validate=arm_dir / "held.csv", n_starts=2, executor=executor)


def test_params_json_schema_and_values(result):
    document = json.loads((result.out / "params.json").read_text())
    assert set(document) == {"parameters", "fit", "validation"}
    assert len(document["parameters"]) == 13
    for record in document["parameters"]:
        assert set(record) == {"name", "value", "std", "ci95", "unit", "nominal"}
        lo, hi = record["ci95"]
        assert lo <= record["value"] <= hi and record["std"] > 0
        assert abs(record["value"] - TRUTH[record["name"]]) / TRUTH[record["name"]] < 0.05
    fit = document["fit"]
    assert fit["input"] == "tau" and fit["timestep_s"] == pytest.approx(0.001) and len(fit["starts"]) == 2
    assert fit["provenance"]["command"] == "twin sysid" and fit["provenance"]["inputs"]
    assert document["validation"]["passed"] is True
    for joint in document["validation"]["joints"]:
        assert joint["rms_after"] < joint["rms_before"]


def test_dr_json_calibrated_xml_and_report(result):
    dr = json.loads((result.out / "dr.json").read_text())
    assert dr["schema_version"] == 1 and len(dr["parameters"]) == 13
    for entry, record in zip(dr["parameters"], result.parameters):
        assert set(entry) == {"name", "distribution", "low", "high", "unit"}
        assert entry["distribution"] == "uniform" and [entry["low"], entry["high"]] == record["ci95"]
    model = mujoco.MjModel.from_xml_path(str(result.out / "calibrated.xml"))
    fitted = {r["name"]: r["value"] for r in result.parameters}
    # MuJoCo's XML writer keeps 6 significant digits
    assert model.dof_frictionloss[1] == pytest.approx(fitted["joint/shoulder/frictionloss"], rel=1e-5)
    body = mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_BODY, "payload")
    assert model.body_mass[body] == pytest.approx(fitted["body/payload/mass"], rel=1e-5)
    html = (result.out / "report.html").read_text()
    assert "Held-out validation" in html and "joint/elbow/armature" in html and "qfrc_applied" not in html
    assert (result.out / "parameters.png").is_file() and (result.out / "validation.png").is_file()


def test_progress_reports_every_iteration(arm_dir, tmp_path):
    messages = []
    run_sysid(arm_dir / "arm.xml", arm_dir / "logs", tmp_path / "o", params="joint/*/frictionloss", n_starts=1, progress=messages.append)
    assert "fitting: start 1/1" in messages
    assert any(m.startswith("fitting: start 1/1, iteration 2, cost ") for m in messages)
    assert any(m.startswith("fitting: refining, iteration 1, cost ") for m in messages)


def test_refuses_a_foreign_output_directory(arm_dir, tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "thesis.tex").write_text("x")
    with pytest.raises(OutputError) as exc:
        run_sysid(arm_dir / "arm.xml", arm_dir / "logs", out)
    assert str(exc.value) == f"{out}: is not empty and is not an earlier sysid output; choose another output path or remove it"


def test_cli_end_to_end_json(arm_dir, tmp_path, capsys):
    out = tmp_path / "cli_out"
    args = ["sysid", "--model", str(arm_dir / "arm.xml"), "--logs", str(arm_dir / "logs"), "--out", str(out), "--params", "joint/*/frictionloss", "--starts", "1", "--executor", "inline", "--json"]
    assert main(args) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["ok"] is True and [p["name"] for p in document["parameters"]] == [f"joint/{j}/frictionloss" for j in ("yaw", "shoulder", "elbow", "wrist")]
    assert main(args) == 0  # an earlier sysid output is replaced
    assert sorted(p.name for p in out.iterdir()) == ["calibrated.xml", "dr.json", "parameters.png", "params.json", "report.html"]


def _bad_log(tmp_path, **changes):
    log = simulate_log(seed=4, duration=changes.pop("duration", 1.0))
    columns = {"q": log.q, "dq": log.dq, "tau": log.tau, "joints": log.joints}
    columns.update(changes)
    from calibration.trajectory import Trajectory

    path = tmp_path / "bad.csv"
    write_csv(Trajectory(log.time, columns["joints"], columns["q"], columns["dq"], columns["tau"]), path)
    return path


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"joints": ("yaw", "shoulder", "elbw", "wrist")}, "{path}: column 'q.elbw' names joint 'elbw', which is not in the model; the model's joints are: yaw, shoulder, elbow, wrist"),
        ({"duration": 0.3}, "{path}: the log is 0.3 s long (301 samples); sysid needs at least 0.4 s (2 segments of 0.2 s)"),
        ("degrees", "{path}: column 'q.wrist' spans {lo} to {hi}, more than a turn: it looks like degrees, but hinge joints need radians; convert it or set scale = 0.01745329252 in a column map (--columns)"),
    ],
)
def test_bad_logs_are_one_line_errors(arm_dir, tmp_path, capsys, changes, message):
    if changes == "degrees":
        log = simulate_log(seed=4, duration=1.0)
        q = log.q.copy()
        q[:, 3] = np.degrees(q[:, 3]) * 8  # a wrist swinging through many degrees
        path = _bad_log(tmp_path, q=q)
        message = message.format(path="{path}", lo=f"{q[:, 3].min():.4g}", hi=f"{q[:, 3].max():.4g}")
    else:
        path = _bad_log(tmp_path, **changes)
    code = main(["sysid", "--model", str(arm_dir / "arm.xml"), "--logs", str(path), "--out", str(tmp_path / "o"), "--quiet"])
    assert code == 1
    err = capsys.readouterr().err.strip()
    assert err == "error: " + message.format(path=path)
    assert not (tmp_path / "o").exists()


def test_model_joint_missing_from_logs(arm_dir, tmp_path):
    log = simulate_log(seed=4, duration=1.0)
    from calibration.trajectory import Trajectory

    short = Trajectory(log.time, log.joints[:3], log.q[:, :3], tau=log.tau[:, :3], source="three.csv")
    with pytest.raises(Exception) as exc:
        run_sysid(arm_dir / "arm.xml", [short], tmp_path / "o")
    assert str(exc.value) == "three.csv: the model's joints wrist are not in the log; log them or use a model without them"


def test_urdf_without_joints_is_a_one_line_error(tmp_path, capsys):
    urdf = tmp_path / "r.urdf"
    urdf.write_text('<robot name="r"><link name="a"/></robot>')
    path = _bad_log(tmp_path)
    code = main(["sysid", "--model", str(urdf), "--logs", str(path), "--out", str(tmp_path / "o"), "--quiet"])
    assert code == 1
    err = capsys.readouterr().err.strip()
    assert err == (f"error: {path}: column 'q.yaw' names joint 'yaw', which is not in the model; "
                   "the model's joints are: (none)")
