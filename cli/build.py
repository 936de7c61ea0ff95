"""``twin build SCAN_DIR --out OUT``: reconstruct a segmented, gravity-aligned twin from a capture."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape

from cli.console import out, print_json, stages
from scans.build import BuildConfig, build_twin, load_config


def build(
    scan_dir: Path = typer.Argument(..., help="Capture folder or file (RGB-D sequence, point cloud or mesh)."),
    out_dir: Path = typer.Option(..., "--out", help="Twin directory to write (replaced if it is an earlier twin)."),
    voxel: float = typer.Option(None, "--voxel", help="TSDF voxel size in m (default 0.01)."),
    max_frames: int = typer.Option(None, "--max-frames", min=1, help="Fuse at most this many frames."),
    stride: int = typer.Option(None, "--stride", min=1, help="Fuse every K-th frame."),
    config_file: Path = typer.Option(None, "--config", help="TOML settings (materials, thresholds)."),
    capture_format: str = typer.Option(None, "--format",
                                       help="Force a capture layout (one of those `twin scans info` detects)."),
    seed: int = typer.Option(None, "--seed", min=0, help="RANSAC seed."),
    method: str = typer.Option(None, "--method",
                               help="tsdf (default: TSDF fusion) or nerfstudio (train and export with nerfstudio; "
                                    "needs a CUDA GPU and pip install 'twin-builder\\[gpu]')."),
    poses: str = typer.Option(None, "--poses",
                              help="auto (default: the capture's, estimated by RGB-D odometry when it has none), "
                                   "given, or estimate (ignore the capture's)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress output."),
    json_output: bool = typer.Option(False, "--json", help="Print one JSON document summarising the build."),
) -> None:
    """Fuse, gravity-align and segment a capture into a twin directory (MJCF + USD + reconstruction.ply)."""
    from scans.build.config import METHODS, POSE_SOURCES
    from scans.readers import LAYOUTS

    for value, valid, flag in ((method, METHODS, "--method"), (poses, POSE_SOURCES, "--poses"),
                               (capture_format, tuple(layout.name for layout in LAYOUTS), "--format")):
        if value is not None and value not in valid:
            raise typer.BadParameter(f"{value!r} is not one of {', '.join(valid)}", param_hint=flag)
    overrides = {"voxel": voxel, "max_frames": max_frames, "stride": stride, "seed": seed, "method": method,
                 "poses": poses}
    if config_file is not None:
        config = load_config(config_file, **overrides)
    else:
        config = BuildConfig(**{k: v for k, v in overrides.items() if v is not None})
    with stages(quiet or json_output) as show:
        last = {"stage": None}

        def progress(stage: str, done: int, total: int) -> None:
            if stage != last["stage"] or (total and done in (total, total // 2)):
                last["stage"] = stage
                show(f"{stage} {done}/{total}" if total else stage)

        result = build_twin(scan_dir, out_dir, config, format=capture_format, progress=progress)
    if json_output:
        print_json(result.to_dict())
        return
    for warning in result.warnings:
        out.print(f"[yellow]warning:[/yellow] {escape(warning)}")
    out.print(f"{len(result.structure)} structure boxes, {len(result.objects)} objects, "
              f"{len(result.static_clutter)} static clutter, {result.dropped} small pieces dropped")
    for obj in result.objects:
        out.print(f"  {obj.name:12s} {obj.kind:8s} at {obj.position.round(2).tolist()}  residual {obj.residual * 1000:.0f} mm")
    out.print(f"validation: {result.twin.validation.summary()}")
    out.print(f"Twin written to {result.twin.path} in {sum(result.seconds.values()):.1f} s")
