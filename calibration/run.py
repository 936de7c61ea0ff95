"""``run_sysid``: read logs, fit, estimate uncertainty, validate, and write the output directory atomically.

Example:
    >>> from calibration.run import run_sysid                                   # doctest: +SKIP
    >>> result = run_sysid("arm.xml", "logs/", "out/", validate="held_out.csv")  # doctest: +SKIP
    >>> result.parameters[0]["name"], result.validation.passed                   # doctest: +SKIP
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from calibration import checks
from calibration.column_map import mapped_logs
from calibration.errors import LogError
from calibration.fit import channel_weights, fit, starts
from calibration.outputs import FILES, dr_document, parameter_records, params_document, write_calibrated, write_json
from calibration.parameters import resolve_parameters
from calibration.readers import read_trajectories
from calibration.replay import load_model, prepare_replay
from calibration.report import write_sysid_report
from calibration.segments import SEGMENT, build_segments
from calibration.signals import noise_std, smooth
from calibration.simulate import Problem
from calibration.trajectory import Trajectory
from calibration.uncertainty import flags, intervals
from calibration.validation import THRESHOLD, Validation, validate_log
from calibration.warm_start import select_window
from twin.atomic import atomic_directory, check_output_directory
from twin.executor import Executor, InlineExecutor
from twin.provenance import make_provenance

NOISE_FLOOR = {"q": 1e-6, "dq": 1e-4}
"""Smallest channel noise std assumed (rad or m; rad/s or m/s): printed logs can look noise-free."""


@dataclass(frozen=True)
class SysidResult:
    """What ``twin sysid`` produced.

    Args:
        out: The output directory.
        parameters: The ``parameters`` records of params.json.
        fit: The ``fit`` object of params.json.
        validation: Held-out validation, or None.
        warnings: What the user should know (unidentifiable parameters, wide intervals, units).
        seconds: Wall time, s.
    """

    out: Path
    parameters: list[dict]
    fit: dict
    validation: Validation | None
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def to_dict(self) -> dict:
        """A JSON summary for ``--json``."""
        return {
            "out": str(self.out),
            "seconds": round(self.seconds, 2),
            "parameters": self.parameters,
            "validation": self.validation.to_dict() if self.validation else None,
            "warnings": self.warnings,
        }


def _replaceable(out: Path) -> str | None:
    names = {p.name for p in out.iterdir()}
    if "params.json" in names and all(n in FILES or n.endswith(".png") for n in names):
        return None
    return "is not empty and is not an earlier sysid output"


def read_logs(logs: str | Path | list[Trajectory] | Trajectory, columns: str | Path | None = None,
              topic: str | None = None) -> list[Trajectory]:
    """Trajectories from a log file, a ROS bag (``topic``: its JointState topic, needed when it has several),
    a LeRobot dataset, a directory of logs, or a column map applied to a file or directory."""
    if isinstance(logs, Trajectory):
        return [logs]
    if isinstance(logs, list):
        return list(logs)
    if columns is not None:
        return mapped_logs(columns, logs)
    return read_trajectories(logs, topic=topic)


def _uniform(logs: list[Trajectory], dt: float | None = None) -> list[Trajectory]:
    first = logs[0].resampled() if dt is None else logs[0].resampled(dt)
    step = first.dt
    rest = [log.resampled() if abs(log.dt - step) <= 1e-9 * step and log.is_uniform else log.resampled(step) for log in logs[1:]]
    return [first, *rest]


def run_sysid(
    model: str | Path,
    logs: str | Path | list[Trajectory],
    out: str | Path,
    *,
    params: str | None = None,
    validate: str | Path | Trajectory | None = None,
    columns: str | Path | None = None,
    topic: str | None = None,
    seed: int = 0,
    executor: Executor | None = None,
    n_starts: int = 3,
    segment: float = SEGMENT,
    threshold: float = THRESHOLD,
    integrator: str | None = None,
    threads: int = 0,
    progress: Callable[[str], None] | None = None,
) -> SysidResult:
    """Fit ``params`` of ``model`` to ``logs`` and write params.json, calibrated.xml, dr.json, report.html to ``out``.

    Args:
        model: MJCF or URDF file.
        logs: A log file, a directory of logs, or trajectories.
        out: Output directory (replaced only if it is an earlier sysid output).
        params: Parameter specification (see :func:`calibration.parameters.resolve_parameters`); None: default.
        validate: A held-out log (file or trajectory) to replay before and after the fit.
        columns: A column-map TOML file for vendor layouts (also used for ``validate``).
        topic: The sensor_msgs/JointState topic of ROS bags and MCAP files with several (also for ``validate``).
        seed: Seeds the random multi-starts.
        executor: Runs the multi-starts (default: inline).
        n_starts: Number of starts (warm start, nominal, random spreads of the warm start).
        segment: Segment length, s.
        threshold: Validation pass threshold, rad or m RMS.
        integrator: Override the model's integrator for the fit (``"euler"``, ``"implicitfast"``, ...).
        threads: Rollout threads (0: one per CPU).
        progress: Optional ``progress(stage)`` callback.
    """
    started = time.perf_counter()
    say = progress or (lambda _stage: None)
    check_output_directory(out, _replaceable)
    say("reading the model and the logs")
    spec, nominal_model = load_model(model)
    trajectories = _uniform(read_logs(logs, columns, topic))
    warnings: list[str] = []
    for log in trajectories:
        warnings += checks.check_units(log, nominal_model) + checks.check_length(log, segment)
    replay = prepare_replay(nominal_model, trajectories, integrator=integrator)
    parameters = resolve_parameters(params, nominal_model, joints=replay.joints)
    smoothed = [smooth(log) for log in trajectories]
    warnings += checks.check_excitation(trajectories, smoothed, parameters)

    say("stage 1: inverse-dynamics warm start")
    stage1_started = time.perf_counter()
    window, warm = select_window(replay, parameters, trajectories)
    stage1_seconds = time.perf_counter() - stage1_started

    say("stage 2: building segments")
    segments = build_segments(replay, trajectories, smoothed, segment=segment)
    signals = np.concatenate([np.concatenate([log.q] + ([log.dq] if len(segments.channels) > len(replay.joints) else []), axis=1) for log in trajectories])
    floor = np.array([NOISE_FLOOR[c.split(".")[0]] for c in segments.channels])
    noise = np.maximum(noise_std(signals), floor)
    problem = Problem(replay, parameters, segments, 1.0 / noise, threads)
    problem = problem.with_weights(np.minimum(1.0 / noise, channel_weights(problem, warm.values)))
    x0s = starts(warm.values, parameters.nominal, n_starts, np.random.default_rng(seed), parameters.lower, parameters.upper)
    stage2_started = time.perf_counter()
    result = fit(problem, x0s, executor or InlineExecutor(), say)
    stage2_seconds = time.perf_counter() - stage2_started

    say("uncertainty")
    priors = sum(p.prior is not None for p in parameters)
    unc = intervals(
        result.values, result.jacobian, result.residual, segments.count,
        lower=parameters.lower, upper=parameters.upper, prior_rows=priors, nuisance=result.offsets.size,
    )
    warnings += flags(parameters.names, result.values, unc.ci95)
    q_mean = np.mean(np.concatenate([log.q for log in trajectories]), axis=0)
    warnings += checks.check_frozen(nominal_model, replay.joints, q_mean, parameters, result.values)
    records = parameter_records(parameters, result.values, unc.std, unc.ci95)

    validation = None
    if validate is not None:
        say("held-out validation")
        held = _uniform(read_logs(validate, columns, topic), trajectories[0].dt)[0]
        warnings += checks.check_units(held, nominal_model)
        checks.check_length(held, segment)
        held_replay = prepare_replay(nominal_model, [held], integrator=integrator)
        if held_replay.mode != replay.mode or held_replay.joints != replay.joints:
            raise LogError("has other columns than the fitted logs; the held-out log must have the same columns", held.source)
        validation = validate_log(replay, parameters, result.values, held, segment=segment, threshold=threshold, threads=threads)

    notes = [n for log in trajectories for n in (f"{log.source}: {note}" for note in log.notes)] + list(replay.notes)
    notes.append(f"warm start from accelerations smoothed over {window:g} s (the window that explained the most torque); segment start states smoothed over {smoothed[0].window} samples")
    notes.append(
        f"{segments.count} segments of {segments.length * segments.dt:g} s, each from its own start state estimated with the parameters "
        f"(starting from the smoothed log); intervals from the cluster-robust (per segment) Gauss-Newton covariance of the parameters "
        f"with the start states eliminated, t with {unc.clusters - 1} dof"
    )
    if result.problem.whitening is not None:
        notes.append("the last pass whitened the residuals for the logged torques' noise (a Kalman filter along each segment) instead of weighting channels")
    fit_doc = {
        "method": "stage 1: inverse dynamics + bounded linear least squares; stage 2: bounded simulation-error least squares on re-initialised segments (mujoco.rollout), each segment's start state a nuisance parameter (variable projection)",
        "logs": [{"source": log.source, "samples": log.n_samples, "duration_s": log.duration, "dt_s": log.dt} for log in trajectories],
        "input": replay.mode,
        "timestep_s": float(replay.model.opt.timestep),
        "substeps": replay.substeps,
        "segments": segments.count,
        "segment_s": round(float(segments.length * segments.dt), 9),
        "smoothing_s": window,
        "channels": list(segments.channels),
        "weights": result.problem.weights.tolist(),
        "whitened": result.problem.whitening is not None,
        "warm_start": dict(zip(parameters.names, map(float, warm.values))),
        "naive_std": dict(zip(parameters.names, map(float, np.sqrt(np.clip(np.diag(unc.naive_covariance), 0, None))))),
        "cost": float(result.final.cost),
        "starts": [{"x0": s.x0.tolist(), "cost": s.cost, "evaluations": s.evaluations, "jacobians": s.jacobians, "message": s.message} for s in result.starts],
        "start_state_offsets_rms": dict(zip([f"{c}.{j}" for c in ("q", "dq") for j in replay.joints], map(float, np.sqrt(np.mean(result.offsets**2, axis=0))))),
        "seconds": {"stage1": stage1_seconds, "stage2": stage2_seconds},
        "seed": seed,
        "notes": notes,
        "warnings": warnings,
    }
    inputs = [model] + ([] if isinstance(logs, (list, Trajectory)) else [logs]) + ([columns] if columns else []) + ([validate] if isinstance(validate, (str, Path)) else [])
    provenance = make_provenance("twin sysid", inputs=inputs, parameters={"params": params, "seed": seed, "n_starts": n_starts, "segment": segment})
    fit_doc["provenance"] = {"command": provenance.command, "inputs": list(provenance.inputs), "versions": dict(provenance.versions), "parameters": dict(provenance.parameters)}

    say("writing the outputs")
    with atomic_directory(out, replaceable=_replaceable) as tmp:
        write_json(tmp / "params.json", params_document(records, fit_doc, validation.to_dict() if validation else None))
        write_json(tmp / "dr.json", dr_document(records, f"twin sysid of {Path(model).name}"))
        write_calibrated(spec, model, parameters, result.values, tmp / "calibrated.xml")
        warnings += write_sysid_report(tmp, records=records, fit=fit_doc, validation=validation, warnings=warnings, notes=notes)
    return SysidResult(Path(out).absolute(), records, fit_doc, validation, warnings, time.perf_counter() - started)
