"""``twin scans``: synthetic captures with ground truth (``synth``) and what a capture holds (``info``)."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from pathlib import Path

import typer
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from cli.errors import exit_codes
from cli.console import err, out, print_json

app = typer.Typer(
    name="scans",
    help="Work with captures: make synthetic ones with ground truth, inspect real ones.",
    no_args_is_help=True,
    add_completion=False,
)

LAYOUT_NAMES = ("nerfstudio", "7scenes", "tum", "record3d", "redwood")


@contextlib.contextmanager
def _frame_progress(quiet: bool) -> Iterator:
    """Yield a ``progress(stage, done, total)`` callback drawing a bar per stage on stderr."""
    if quiet:
        yield lambda _stage, _done, _total: None
        return
    if not err.is_terminal:  # logs and CI: one line per stage
        seen: set[str] = set()

        def plain(stage: str, done: int, total: int) -> None:
            if stage not in seen:
                seen.add(stage)
                err.print(f"{stage} ...", markup=False)

        yield plain
        return
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=err, transient=True) as bar:
        tasks: dict[str, int] = {}

        def update(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done, total=total)

        yield update


def synth(
    out_dir: Path = typer.Option(..., "--out", help="Folder to write (replaces an earlier synthetic capture)."),
    seed: int = typer.Option(0, "--seed", min=0, help="Draws the cell, camera path, capture frame and noise."),
    layout: str = typer.Option("7scenes", "--layout", help=f"Capture layout to write: {'|'.join(LAYOUT_NAMES)}."),
    frames: int = typer.Option(60, "--frames", min=1, help="Number of RGB-D frames."),
    width: int = typer.Option(640, "--width", min=8, help="Image width, pixels."),
    height: int = typer.Option(480, "--height", min=8, help="Image height, pixels."),
    no_lidar: bool = typer.Option(False, "--no-lidar", help="Do not write lidar.ply."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress output."),
    json_output: bool = typer.Option(False, "--json", help="Print one JSON document summarising the run."),
) -> None:
    """Render a synthetic RGB-D capture of a factory cell, with its ground truth beside it.

    Writes the frames in LAYOUT, lidar.ply (a LiDAR-like cloud of the same cell) and ground_truth/ (mesh.ply,
    objects.json, capture_to_world.json, synth.json). Deterministic for a seed.
    """
    from scans.synth import make_synthetic_capture

    if layout not in LAYOUT_NAMES:
        raise typer.BadParameter(f"'{layout}' is not one of {', '.join(LAYOUT_NAMES)}", param_hint="--layout")
    started = time.perf_counter()
    with _frame_progress(quiet or json_output) as progress:
        result = make_synthetic_capture(out_dir, layout=layout, seed=seed, frames=frames, width=width, height=height,
                                        lidar=not no_lidar, progress=progress)
    seconds = time.perf_counter() - started
    if json_output:
        print_json({**result.to_dict(), "seconds": round(seconds, 2)})
        return
    out.print(f"Synthetic {layout} capture written to {escape(str(result.path))} in {seconds:.1f} s: "
              f"{result.frames} frames of {width}x{height}, {len(result.objects)} objects, room "
              f"{result.room[0]:.2f} x {result.room[1]:.2f} m")
    if result.lidar_path:
        out.print(f"  {escape(str(result.lidar_path))} ({result.lidar_points:,} points, capture frame)")
    for path in (result.mesh_path, result.objects_path, result.capture_to_world_path):
        out.print(f"  {escape(str(path))}")


def _fmt(values, digits: int = 2) -> str:
    return " x ".join(f"{v:.{digits}f}" for v in values)


def show_info(info) -> None:
    """Print a :class:`~scans.info.CaptureInfo` as a two-column table, then its notes and warnings."""
    table = Table(show_header=False, box=None, pad_edge=False, title=f"{escape(info.path)}", title_justify="left")
    table.add_column(style="bold")
    table.add_column()
    table.add_row("layout", info.layout)
    if info.kind == "rgbd":
        c, d, n = info.camera, info.depth, info.counts
        colour = f" (colour {c['color_width']}x{c['color_height']})" if c["color_width"] else " (no colour)"
        table.add_row("frames", f"{n['frames']}, depth {c['width']}x{c['height']}{colour}")
        table.add_row("intrinsics", f"fx {c['fx']:.2f}  fy {c['fy']:.2f}  cx {c['cx']:.2f}  cy {c['cy']:.2f}"
                      + (f"  ({c['distortion_model']})" if c["distortion_model"] else ""))
        table.add_row("poses", f"{n['posed']} of {n['frames']} frames")
        if "median" in d:
            table.add_row("depth", f"{d['p01']:.2f}-{d['p99']:.2f} m (1st-99th percentile), "
                          f"median {d['median']:.2f} m, {d['valid_fraction']:.0%} of pixels valid; "
                          f"sampled {d['sampled_frames']} of {n['frames']} frames")
        else:
            table.add_row("depth", f"none valid in {d['sampled_frames']} sampled frames")
        if info.extent:
            e = info.extent
            table.add_row("camera path", f"extent {_fmt(e['size'])} m, length {e['path_length']:.2f} m")
    else:
        counts = ", ".join(f"{v:,} {k}" for k, v in info.counts.items())
        table.add_row(info.kind, counts)
        e = info.extent
        table.add_row("extent", f"{_fmt(e['size'])} m (min {_fmt(e['min'])}, max {_fmt(e['max'])})")
        table.add_row("colour", "yes" if info.colour else "no")
    out.print(table)
    for note in info.notes:
        out.print(f"[cyan]note:[/cyan] {escape(note)}")
    for warning in info.warnings:
        out.print(f"[yellow]warning:[/yellow] {escape(warning)}")


def info(
    scan: Path = typer.Argument(..., metavar="SCAN", help="A capture folder, or a point cloud or mesh file."),
    format_name: str = typer.Option(None, "--format", help="Read as this layout instead of detecting it."),
    sample: int = typer.Option(20, "--sample", min=1, help="Depth images read for the depth statistics."),
    json_output: bool = typer.Option(False, "--json", help="Print one JSON document instead of a table."),
) -> None:
    """Say what a capture holds: layout, frames, camera, poses, depth range and extent, or points and extent.

    Warns about unposed frames, few frames, odd depth ranges and what the reader had to do.
    """
    from scans.info import capture_info
    from scans.readers import read_capture

    summary = capture_info(read_capture(scan, format=format_name), sample=sample)
    if json_output:
        print_json({"ok": True, **summary.to_dict()})
    else:
        show_info(summary)


app.command("synth")(exit_codes(synth))
app.command("info")(exit_codes(info))
