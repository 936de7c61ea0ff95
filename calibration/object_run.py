"""``run_object_sysid``: fit an object's sliding friction (and mass) to its pose logs and write a sysid output.

The outputs are those of the robot path (:mod:`calibration.outputs`): params.json, calibrated.xml (fitted
values and the fitted geoms' raised priority), dr.json and report.html.

Example:
    >>> from calibration.object_run import run_object_sysid                              # doctest: +SKIP
    >>> result = run_object_sysid("floor.xml", "pushes/", "out/", body="crate")          # doctest: +SKIP
    >>> [(r["name"], round(r["value"], 3)) for r in result.parameters]                   # doctest: +SKIP
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from calibration.errors import LogError
from calibration.object_bootstrap import RUNS, Bootstrap, bootstrap
from calibration.object_fit import (
    SEGMENT,
    ObjectProblem,
    build_object_segments,
    jacobian,
    object_intervals,
    position_noise,
    residual_variance,
    simulate,
    solve,
    warm_start,
)
from calibration.object_logs import POSITION, ObjectTrajectory, read_object_logs
from calibration.object_model import (
    check_units,
    object_parameters,
    prepare_object_replay,
    raise_priorities,
)
from calibration.outputs import (
    FILES,
    dr_document,
    parameter_records,
    params_document,
    write_calibrated,
    write_json,
)
from calibration.replay import load_model
from calibration.report import write_sysid_report
from calibration.run import SysidResult
from calibration.uncertainty import Uncertainty, flags
from calibration.validation import Validation
from twin.atomic import atomic_directory, check_output_directory
from twin.executor import Executor, InlineExecutor
from twin.provenance import make_provenance

THRESHOLD = 0.01
"""Default held-out pass threshold: RMS position error per axis after the fit, m."""


def _replaceable(out: Path) -> str | None:
    names = {p.name for p in out.iterdir()}
    if "params.json" in names and all(n in FILES or n.endswith(".png") for n in names):
        return None
    return "is not empty and is not an earlier sysid output"


def _read(logs) -> list[ObjectTrajectory]:
    if isinstance(logs, ObjectTrajectory):
        return [logs]
    if isinstance(logs, list):
        return list(logs)
    return read_object_logs(logs)


@dataclass(frozen=True)
class ObjectFit:
    """The outcome of :func:`fit_object`.

    Args:
        values: Fitted parameter values, shape (P,).
        velocity: Fitted start velocities along each segment's surface tangents, shape (S, 2), m/s.
        uncertainty: Their intervals (:func:`calibration.object_fit.object_intervals`).
        correlation: The residuals' lag-one correlation (near zero when the model fits).
        warm: The warm start, shape (P,), and how it was found.
        how: How the warm start was found.
        solved: The least-squares summary (:func:`calibration.object_fit.solve`).
        cost: Half the sum of squared residuals at the fit.
        bootstrap: The bootstrap refits behind the intervals (None with ``runs=0``).
    """

    values: np.ndarray
    velocity: np.ndarray
    uncertainty: Uncertainty
    correlation: float
    warm: np.ndarray
    how: str
    solved: dict
    cost: float
    bootstrap: Bootstrap | None = None


RESTARTS = 2
"""Extra starts of the fit besides the warm start."""
RESTART_SPREAD = 0.03
"""Relative std of the extra starts about the warm start: the cost is rough at the 1% scale (chattering contacts),
and a solve from the warm start alone stopped 2-6% off the truth, at several times the lowest cost, in 3 of 20 slides."""


def _solve(item: tuple[ObjectProblem, np.ndarray]) -> dict:
    return solve(*item)


def fit_object(problem: ObjectProblem, logs: list[ObjectTrajectory], seed: int = 0, *, runs: int = RUNS,
               restarts: int = RESTARTS, executor: Executor | None = None) -> ObjectFit:
    """Warm start, least squares of the parameters and start velocities, and intervals (no files written).

    Args:
        problem: What to fit.
        logs: The logs (for the warm start).
        seed: Seeds the bootstrap (:mod:`calibration.object_bootstrap`).
        runs: Bootstrap replicas B; 0: Gauss-Newton intervals only (too narrow for chattering contacts).
        restarts: Extra starts scattered about the warm start (:data:`RESTART_SPREAD`); the lowest cost wins.
        executor: Runs the starts and the bootstrap refits (default: inline).
    """
    warm, how = warm_start(problem, logs)
    rng = np.random.default_rng([seed, 2])
    starts = [warm] + [np.clip(warm * np.exp(rng.normal(0.0, RESTART_SPREAD, len(warm))), problem.params.lower, problem.params.upper)
                       for _ in range(restarts)]
    solved = min((executor or InlineExecutor()).map(_solve, [(problem, t) for t in starts]), key=lambda r: r["cost"])
    x = solved["x"]
    residual, jac = jacobian(problem, x)
    theta, velocity = problem.split(x)
    boot = None
    if runs > 0:
        sigma = problem.noise * np.sqrt(residual_variance(problem, residual))
        offset = np.abs(np.log(np.maximum(warm, 1e-12) / np.maximum(theta, 1e-12)))  # how far the fit started
        boot = bootstrap(problem, x, sigma, offset, runs=runs, seed=seed, executor=executor)
    unc, rho = object_intervals(problem, x, residual, jac, None if boot is None else boot.covariance, 0 if boot is None else boot.runs)
    return ObjectFit(theta, velocity, unc, rho, warm, how, solved, float(np.sum(residual**2) / 2), boot)


def validate_object_log(problem: ObjectProblem, fitted: np.ndarray, log: ObjectTrajectory, segment: float, threshold: float) -> Validation:
    """Replay a held-out log from its estimated start states with nominal and fitted values; RMS error per axis."""
    segments = build_object_segments(problem.replay, [log], segment)
    held = ObjectProblem(problem.replay, problem.params, segments, problem.noise)
    before, after = simulate(held, np.vstack([held.unknowns(problem.params.nominal), held.unknowns(fitted)]))
    rms = lambda sim: np.nan_to_num(np.sqrt(np.mean((sim - segments.target)[segments.mask] ** 2, axis=0)), nan=np.inf)
    rms_before, rms_after = rms(before), rms(after)
    index = segments.start[:, None] + 1 + np.arange(segments.target.shape[1])[None, :]
    mask = segments.mask
    trace = {
        "time": log.time[np.minimum(index, log.n_samples - 1)][mask] - log.time[0],
        "measured": segments.target[mask], "before": before[mask], "after": after[mask],
        "starts": log.time[segments.start] - log.time[0],
    }
    passed = bool(np.all(rms_after <= rms_before * (1 + 1e-9)) and np.all(rms_after <= threshold))
    return Validation(log.source, POSITION, rms_before, rms_after, threshold, passed, segments.count,
                      round(segments.target.shape[1] * segments.dt, 9), trace)


def run_object_sysid(
    model: str | Path,
    logs: str | Path | list[ObjectTrajectory],
    out: str | Path,
    *,
    body: str,
    params: str | None = None,
    validate: str | Path | ObjectTrajectory | None = None,
    segment: float = SEGMENT,
    threshold: float = THRESHOLD,
    seed: int = 0,
    bootstrap: int = RUNS,
    restarts: int = RESTARTS,
    executor: Executor | None = None,
    progress: Callable[[str], None] | None = None,
) -> SysidResult:
    """Fit ``params`` of the free body ``body`` of ``model`` to object pose ``logs``; write the sysid outputs to ``out``.

    Args:
        model: MJCF (or URDF) file with ``body`` as a free body on a floor or slope.
        logs: An object pose log file, a directory of them, or trajectories (:mod:`calibration.object_logs`).
        out: Output directory (replaced only if it is an earlier sysid output).
        body: The object's body name.
        params: Parameter specification; None: the friction of the object's geoms, plus its mass when a force is logged.
        validate: A held-out object log replayed before and after the fit.
        segment: Segment length, s.
        threshold: Held-out pass threshold, m RMS per axis.
        seed: Seeds the bootstrap behind the intervals.
        bootstrap: Bootstrap replicas behind the intervals (:mod:`calibration.object_bootstrap`); 0: Gauss-Newton
            intervals only, which chattering contacts make far too narrow.
        executor: Runs the bootstrap refits (default: inline).
        progress: Optional ``progress(stage)`` callback.
    """
    started = time.perf_counter()
    say = progress or (lambda _stage: None)
    check_output_directory(out, _replaceable)
    say("reading the model and the object logs")
    spec, nominal_model = load_model(model)
    trajectories = _read(logs)
    dt = float(f"{trajectories[0].dt:.4g}")
    trajectories = [log.resampled(dt) for log in trajectories]
    for log in trajectories:
        check_units(log)
    has_force = any(log.has_force for log in trajectories)
    parameters, warnings = object_parameters(nominal_model, body, params, has_force)
    replay = prepare_object_replay(nominal_model, body, parameters, dt)
    segments = build_object_segments(replay, trajectories, segment)
    problem = ObjectProblem(replay, parameters, segments, position_noise(trajectories))

    say("simulation-error fit")
    fit_started = time.perf_counter()
    fit = fit_object(problem, trajectories, seed, runs=bootstrap, restarts=restarts, executor=executor)
    fit_seconds = time.perf_counter() - fit_started
    values, unc, rho, warm, how, solved = fit.values, fit.uncertainty, fit.correlation, fit.warm, fit.how, fit.solved
    warnings += flags(parameters.names, values, unc.ci95)
    records = parameter_records(parameters, values, unc.std, unc.ci95)

    validation = None
    if validate is not None:
        say("held-out validation")
        held = _read(validate)[0].resampled(dt)
        check_units(held)
        if (held.force is None) != all(log.force is None for log in trajectories):
            raise LogError("has force columns where the fitted logs have none, or the other way round", held.source or None)
        validation = validate_object_log(problem, values, held, segment, threshold)

    notes = [n for log in trajectories for n in (f"{log.source}: {note}" for note in log.notes)] + list(replay.notes)
    notes.append(f"warm start: {how}; {segments.count} segment(s) of up to {segments.target.shape[1] * dt:g} s simulated from start states estimated from the log (put on the surface as it rests; position and velocity from a quadratic fit over 0.1 s, the velocity then fitted with the parameters)")
    notes.append(f"position noise {problem.noise * 1e3:.3g} mm; residuals along the surface, each segment's mean removed; lag-one residual correlation {rho:.2f}")
    if fit.bootstrap is not None:
        notes.append(f"intervals: spread of {fit.bootstrap.runs} bootstrap refits of logs simulated at the fit with perturbed starts and noise (Student t, {fit.bootstrap.runs - 1} degrees of freedom)")
    else:
        notes.append("intervals: Gauss-Newton only (no bootstrap); chattering contacts make them far too narrow")
    fit_doc = {
        "method": "object: Coulomb warm start, bounded simulation-error least squares on tracked positions (mujoco.rollout, logged force as xfrc_applied), start velocities fitted as nuisance values, parametric bootstrap intervals",
        "object": body,
        "logs": [{"source": log.source, "samples": log.n_samples, "duration_s": log.duration, "dt_s": log.dt, "force": log.force is not None} for log in trajectories],
        "input": "force" if has_force else "none",
        "timestep_s": float(replay.model.opt.timestep),
        "substeps": replay.substeps,
        "segments": segments.count,
        "segment_s": round(float(segments.target.shape[1] * dt), 9),
        "position_noise_m": problem.noise,
        "channels": ["tangent1", "tangent2"],
        "weights": [1.0 / problem.noise] * 2,
        "warm_start": dict(zip(parameters.names, map(float, warm))),
        "naive_std": dict(zip(parameters.names, map(float, np.sqrt(np.clip(np.diag(unc.naive_covariance), 0, None))))),
        "residual_correlation": rho,
        "start_velocity_change_rms_m_s": float(np.sqrt(np.mean((fit.velocity - segments.velocity) ** 2))),
        "cost": fit.cost,
        "starts": [{"x0": solved["x0"].tolist(), "cost": solved["cost"], "evaluations": solved["evaluations"], "jacobians": solved["jacobians"], "message": solved["message"]}],
        "seconds": {"fit": fit_seconds},
        "seed": seed,
        "bootstrap": None if fit.bootstrap is None else {"runs": fit.bootstrap.runs, "evaluations": int(fit.bootstrap.evaluations.sum()),
                                                         "mean": dict(zip(parameters.names, map(float, fit.bootstrap.values.mean(axis=0))))},
        "notes": notes,
        "warnings": warnings,
    }
    inputs = [model] + ([] if isinstance(logs, (list, ObjectTrajectory)) else [logs]) + ([validate] if isinstance(validate, (str, Path)) else [])
    provenance = make_provenance("twin sysid", inputs=inputs, parameters={"object": body, "params": params, "seed": seed, "segment": segment, "bootstrap": bootstrap})
    fit_doc["provenance"] = {"command": provenance.command, "inputs": list(provenance.inputs), "versions": dict(provenance.versions), "parameters": dict(provenance.parameters)}

    say("writing the outputs")
    calibrated_spec = spec.copy()
    raise_priorities(calibrated_spec, parameters, nominal_model)
    with atomic_directory(out, replaceable=_replaceable) as tmp:
        write_json(tmp / "params.json", params_document(records, fit_doc, validation.to_dict() if validation else None))
        write_json(tmp / "dr.json", dr_document(records, f"twin sysid --object {body} of {Path(model).name}"))
        write_calibrated(calibrated_spec, model, parameters, values, tmp / "calibrated.xml")
        warnings += write_sysid_report(tmp, records=records, fit=fit_doc, validation=validation, warnings=warnings, notes=notes)
    return SysidResult(Path(out).absolute(), records, fit_doc, validation, warnings, time.perf_counter() - started)
