"""Run all checks on a model: :func:`validate_spec` and :func:`validate_path`."""

from __future__ import annotations

import math
from pathlib import Path

import mujoco

from twin.errors import InputError, TwinError
from twin.validation import actuators, compiler, joint_sweep, mass, mesh_inertia, penetration, settle
from twin.validation._capture import captured_warnings, one_line
from twin.validation.registry import CHECKS, DESCRIPTIONS, MODEL_CHECKS
from twin.validation.report import CheckResult, Finding, ValidationReport, make_result
from twin.validation.state import initial_data

SCENE_FILE = "scene.xml"
"""The MJCF file of a twin directory."""


def validate_path(path: str | Path, *, settle_time: float = 2.0) -> ValidationReport:
    """Validate an MJCF file, or the ``scene.xml`` of a twin directory.

    Args:
        path: An MJCF file, or a twin directory containing ``scene.xml``.
        settle_time: Seconds free bodies are simulated for the ``settle`` check.

    Raises:
        InputError: The path does not exist, the directory has no ``scene.xml``, or the file is not MJCF.
    """
    path = Path(path)
    if path.is_dir():
        if not (path / SCENE_FILE).is_file():
            raise InputError(f"no {SCENE_FILE} in this directory; expected an MJCF file or a twin directory "
                             f"containing {SCENE_FILE}", path)
        path = path / SCENE_FILE
    elif not path.is_file():
        raise InputError("no such file; expected an MJCF file or a twin directory containing "
                         f"{SCENE_FILE}", path)
    with captured_warnings() as parse_warnings:
        try:
            spec = mujoco.MjSpec.from_file(str(path))
        except ValueError as exc:
            raise InputError(f"cannot parse MJCF: {one_line(exc)}; expected a MuJoCo XML model", path) from exc
    notes = _file_notes(path, spec)
    return _validate(spec, str(path), settle_time, tuple(parse_warnings), notes)


def _file_notes(path: Path, spec: mujoco.MjSpec) -> tuple[str, ...]:
    """What a reader of the report should know about how the file was read."""
    head = path.read_bytes()[:4096].decode("utf-8", "replace")
    root = head.split("<", 1)[-1] if "<" in head else ""
    while root.startswith(("?", "!")):  # skip the XML declaration and comments
        root = root.split("<", 1)[-1] if "<" in root else ""
    if root.startswith("robot"):
        return ("read as URDF through MuJoCo's importer: MuJoCo's defaults apply (e.g. contacts between "
                "geoms of adjacent links are filtered), convert to MJCF to control them",)
    angular = (int(mujoco.mjtJoint.mjJNT_HINGE), int(mujoco.mjtJoint.mjJNT_BALL))
    if spec.compiler.degree and any(int(j.type) in angular for j in spec.joints):
        return ("angles (joint ranges, euler) were read in degrees, MJCF's default: add "
                '<compiler angle="radian"/> if the file means radians',)
    return ()


def validate_spec(spec: mujoco.MjSpec, *, source: str = "<spec>", settle_time: float = 2.0) -> ValidationReport:
    """Validate a model given as an MjSpec.

    Args:
        spec: The model; not modified (it is compiled, and a copy is patched when it has known defects).
        source: What to call the model in the report.
        settle_time: Seconds free bodies are simulated for the ``settle`` check.

    Returns:
        One result per check in :data:`twin.validation.CHECKS`.
    """
    return _validate(spec, source, settle_time, ())


def _validate(
    spec: mujoco.MjSpec, source: str, settle_time: float, parse_warnings: tuple[str, ...], notes: tuple[str, ...] = ()
) -> ValidationReport:
    if not (math.isfinite(settle_time) and settle_time >= 0):
        raise TwinError(f"settle_time must be a finite number of seconds >= 0, got {settle_time!r}")
    outcome = compiler.compile_spec(spec, parse_warnings)
    results: dict[str, CheckResult] = {}
    mass_findings = list(outcome.mass_findings)
    ctrl_findings = list(outcome.ctrlrange_findings)
    compile_findings = list(outcome.findings)
    model = outcome.model

    if model is None:
        reason = f"the model does not compile: {outcome.error}"
        for name in MODEL_CHECKS:
            results[name] = CheckResult(name, DESCRIPTIONS[name], "skipped", (), reason)
        reported = {f.element for f in ctrl_findings}
        ctrl_findings += [d.finding for d in actuators.spec_defects(spec, include_unlimited=True)
                          if d.finding.element not in reported]
    else:
        # MuJoCo's first simulation warning of each kind goes to mju_user_warning (stdout by default);
        # the counters are reported instead.
        with captured_warnings():
            data = initial_data(model)
            results["penetration"] = _result("penetration", penetration.findings(model, data))
            rolled = settle.rollout(model, data, settle_time)
            results["settle"] = _result("settle", settle.findings(model, rolled))
            results["mesh_inertia"] = _result("mesh_inertia", mesh_inertia.findings(spec, model))
            results["joint_sweep"] = _result("joint_sweep", joint_sweep.findings(model))
        compile_findings += compiler.data_warning_findings(rolled.data)
        mass_findings += mass.model_findings(model, {f.element for f in mass_findings})
        ctrl_findings += actuators.model_findings(model, {f.element for f in ctrl_findings})

    results["compile"] = _result("compile", compile_findings)
    results["mass"] = _result("mass", mass_findings)
    results["actuator_ctrlrange"] = _result("actuator_ctrlrange", ctrl_findings)
    if model is not None and model.njnt == 0:
        notes += ("nothing moves in this model (no joints): settle, mass and joint_sweep had nothing to check",)
    if model is not None and model.ngeom == 0:
        notes += ("the model has no geoms: there is nothing to collide",)
    return ValidationReport(source, tuple(results[c.name] for c in CHECKS), notes)


def _result(name: str, findings: list[Finding]) -> CheckResult:
    return make_result(name, DESCRIPTIONS[name], findings)
