"""``twin sysid --model ROBOT.xml --logs LOGS --out OUT``: fit joint friction, damping, armature and masses."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from cli.console import out, print_json, stages
from twin.executor import make_executor


def show_result(result) -> None:
    """Print the fitted parameters as a table, then warnings, validation and where the files are."""
    table = Table(title="twin sysid", title_justify="left")
    for column in ("parameter", "nominal", "fitted", "std", "95% interval", "unit"):
        table.add_column(column, justify="left" if column in ("parameter", "unit") else "right")
    for r in result.parameters:
        table.add_row(escape(r["name"]), f"{r['nominal']:.4g}", f"{r['value']:.4g}", f"{r['std']:.2g}", f"[{r['ci95'][0]:.4g}, {r['ci95'][1]:.4g}]", r["unit"])
    out.print(table)
    for warning in result.warnings:
        out.print(f"[yellow]warning:[/yellow] {escape(warning)}")
    if result.validation is not None:
        v = result.validation
        verdict = "[green]pass[/green]" if v.passed else "[bold red]fail[/bold red]"
        out.print(f"held-out validation {verdict}: per-{'axis' if v.joints == ('x', 'y', 'z') else 'joint'} RMS error before -> after (threshold {v.threshold:g}):")
        for joint, before, after in zip(v.joints, v.rms_before, v.rms_after):
            out.print(f"  {escape(joint)}: {before:.3g} -> {after:.3g}")
    out.print(f"Written to {result.out} in {result.seconds:.1f} s: params.json, calibrated.xml, dr.json, report.html")


def sysid(
    model: Path = typer.Option(..., "--model", help="Robot model: MJCF .xml or .urdf."),
    logs: Path = typer.Option(..., "--logs", help="A log file (CSV, Parquet, HDF5, ROS 1 .bag, ROS 2 .mcap/.db3), a ROS 2 bag directory, a LeRobot dataset, or a directory of these (see docs/log-formats.md)."),
    out_dir: Path = typer.Option(..., "--out", help="Output directory (replaced only if it is an earlier sysid output)."),
    params: str = typer.Option(None, "--params", help="Comma-separated names with * wildcards; default: joint/*/damping,joint/*/frictionloss,joint/*/armature."),
    validate: Path = typer.Option(None, "--validate", help="A held-out log replayed before and after the fit."),
    columns: Path = typer.Option(None, "--columns", help="Column-map TOML file for vendor log layouts."),
    topic: str = typer.Option(None, "--topic", help="The sensor_msgs/JointState topic of ROS bags or MCAP files that have several."),
    seed: int = typer.Option(0, "--seed", min=0, help="Seeds the random multi-starts."),
    starts: int = typer.Option(3, "--starts", min=1, help="Optimizer starts: warm start, nominal, random."),
    segment: float = typer.Option(None, "--segment", min=0.005, help="Segment length in s (each re-initialised from the log); default 0.2, with --object 2."),
    threshold: float = typer.Option(0.01, "--threshold", min=0.0, help="Validation pass threshold: per-joint (or, with --object, per-axis) RMS error, rad or m."),
    body: str = typer.Option(None, "--object", help="Fit a free body's sliding friction (and mass, with a logged push force) to its tracked pose logs (--logs: time, x, y, z [, qw..qz] [, fx, fy, fz])."),
    bootstrap: int = typer.Option(16, "--bootstrap", min=0, help="With --object: refits of simulated replicas behind the 95% intervals (0: Gauss-Newton only, too narrow)."),
    executor: str = typer.Option("process", "--executor", help="Where the starts (and --object's bootstrap refits) run: inline, process or ray."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress output."),
    json_output: bool = typer.Option(False, "--json", help="Print one JSON document summarising the run."),
) -> None:
    """Fit friction, damping, armature and masses of a robot model to its logs, with 95% intervals.

    Writes params.json, calibrated.xml, dr.json (domain-randomization ranges) and report.html to --out.
    With --object BODY, --logs are tracked pose logs of that free body and its contact friction (and mass) is fitted.
    With --validate, exits 1 when the held-out check fails.
    """
    from twin.executor import EXECUTORS

    if executor not in EXECUTORS:
        raise typer.BadParameter(f"{executor!r} is not one of {', '.join(EXECUTORS)}", param_hint="--executor")
    if body is not None:
        from calibration.object_run import run_object_sysid

        if columns is not None:
            raise typer.BadParameter("--columns maps robot logs; object pose logs use fixed column names", param_hint="--columns")
        extra = {} if segment is None else {"segment": segment}
        with stages(quiet or json_output) as progress:
            result = run_object_sysid(
                model, logs, out_dir, body=body, params=params, validate=validate, seed=seed, threshold=threshold,
                bootstrap=bootstrap, executor=make_executor(executor), progress=progress, **extra,
            )
    else:
        from calibration.run import (
            run_sysid,  # scipy and friends load only when the command runs
        )

        pool = make_executor(executor)
        extra = {} if segment is None else {"segment": segment}
        with stages(quiet or json_output) as progress:
            result = run_sysid(
                model, logs, out_dir, params=params, validate=validate, columns=columns, topic=topic, seed=seed, executor=pool,
                n_starts=starts, threshold=threshold, progress=progress, **extra,
            )
    if json_output:
        print_json({"ok": result.validation is None or result.validation.passed, **result.to_dict()})
    else:
        show_result(result)
    if result.validation is not None and not result.validation.passed:
        raise typer.Exit(1)
