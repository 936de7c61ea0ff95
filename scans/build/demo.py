"""The demo's scan step: a synthetic RGB-D capture with ground truth -> :func:`build_twin` -> a validated twin,
scored against the truth it was never shown.

The capture (:func:`scans.synth.make_synthetic_capture`: a procedural cell with walls, racks, benches,
boxes, totes, a bin and a pallet, ray cast along a handheld-like path with depth noise, tilted and offset from
the true world) and its ``ground_truth/`` are written beside the twin so a user can rerun
``twin build`` on them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from scans.build.config import BuildConfig
from scans.build.metrics import evaluate_twin
from scans.build.pipeline import BuildResult, build_twin
from scans.readers import read_capture
from scans.synth import make_synthetic_capture
from twin.report import Section, esc, table, warnings_block

FRAMES, WIDTH, HEIGHT, VOXEL = 120, 320, 240, 0.02
"""The demo capture's size and the build's voxel: a twin in about half a minute on two cores."""


@dataclass(frozen=True, eq=False)
class ScanDemo:
    """The scan step's result: the build and its scores against the ground truth (see ``evaluate_twin``)."""

    build: BuildResult
    metrics: dict
    capture: Path


def demo_build(capture: Path, out: Path, *, seed: int = 0,
               progress: Callable[[str], None] | None = None) -> ScanDemo:
    """Synthesise a capture into ``capture``, build its twin into ``out`` and score it against the truth.

    Args:
        capture: Folder for the synthetic capture (must not exist).
        out: The scan twin directory (must not exist).
        seed: Seeds the synthetic cell, its path and its noise.
        progress: Optional ``progress(stage)``.
    """
    say = progress or (lambda _stage: None)
    say(f"scan: synthesising a {FRAMES}-frame {WIDTH}x{HEIGHT} RGB-D capture")
    make_synthetic_capture(capture, frames=FRAMES, width=WIDTH, height=HEIGHT, seed=seed, lidar=False)
    last = {"stage": None}

    def step(stage: str, _done: int, _total: int) -> None:
        if stage != last["stage"]:
            last["stage"] = stage
            say(f"scan: {stage}")

    result = build_twin(capture, out, BuildConfig(voxel=VOXEL, seed=seed), progress=step)
    say("scan: scoring the twin against the ground truth")
    sequence = read_capture(capture)
    metrics = evaluate_twin(out, capture, poses=[f.pose for f in sequence.frames],
                            intrinsics=sequence.frames[0].intrinsics)
    return ScanDemo(result, metrics, capture)


def report_section(demo: ScanDemo, twin_link: str, capture_link: str) -> Section:
    """A report section: what was built, its scores against the truth and its validation."""
    surface, objects = demo.metrics["surface"], demo.metrics["objects"]
    validation = demo.build.twin.validation
    rows = [
        ("surface Chamfer-L1", f"{surface['chamfer_l1'] * 1000:.1f} mm"),
        (f"F-score at {surface['threshold'] * 100:.0f} cm", f"{surface['fscore']:.3f}"),
        ("floor normal vs truth", f"{demo.metrics['floor_angle_deg']:.3f} deg"),
        ("objects found (centre 10 cm, size 20%)", f"{objects['found']} / {objects['total']}"),
        ("structure boxes / free objects / static clutter",
         f"{len(demo.build.structure)} / {len(demo.build.objects)} / {len(demo.build.static_clutter)}"),
        ("validation", validation.summary()),
        ("build time", f"{sum(demo.build.seconds.values()):.1f} s"),
    ]
    body = (f"<p>A synthetic RGB-D capture (<code>{esc(capture_link)}</code>, {FRAMES} frames "
            f"{WIDTH}x{HEIGHT}, ground truth in its <code>ground_truth/</code>) built by <code>twin build "
            f"--voxel {VOXEL}</code> into <a href=\"{esc(twin_link)}/report.html\">{esc(twin_link)}/</a> and "
            "scored against the truth it was never shown.</p>"
            + table(["measure", "value"], rows) + warnings_block(demo.build.warnings))
    return Section("Scan to twin (synthetic capture)", body)
