"""The optional nerfstudio path of ``twin build --method nerfstudio``: train a NeRF on a posed RGB-D capture
with nerfstudio's command-line tools, export a point cloud in the capture's frame, and hand it on as a
:class:`scans.build.fusion.Surface` (the build continues at gravity alignment).

nerfstudio needs a CUDA GPU and is installed with the ``gpu`` extra; without either, :func:`gpu_problem`
says why and :func:`nerfstudio_surface` raises before any work. The tools run as child processes
(``ns-train``, ``ns-export``); their output goes to ``nerfstudio.log`` in the work folder, whose tail is
quoted when a step fails.

Steps:
1. the capture as a nerfstudio dataset: a nerfstudio capture is used in place; any other RGB-D layout is
   written as one (``transforms.json`` with ``depth_file_path``, OpenGL camera axes) by
   :func:`scans.writers.write_capture`;
2. ``ns-train depth-nerfacto`` for ``iterations`` steps with poses kept as given (no re-orientation,
   re-centring or scaling by the data parser, so the export needs no transform back);
3. ``ns-export pointcloud --save-world-frame True`` inside the capture's bounding box;
4. the exported cloud, voxel-downsampled with normals, as the surface.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import numpy as np

from scans.build.fusion import Surface
from scans.capture import FrameData, RGBDSequence
from scans.errors import CaptureError
from twin.extras import require

Progress = Callable[[str, int, int], None]
METHOD = "depth-nerfacto"
"""The nerfstudio method trained: nerfacto with depth supervision from the capture's depth images."""
LOG = "nerfstudio.log"


def gpu_problem() -> str | None:
    """Why the nerfstudio path cannot run here, or None when it can (the tools exist and CUDA works)."""
    missing = [tool for tool in ("ns-train", "ns-export") if shutil.which(tool) is None]
    if missing:
        return (f"{' and '.join(missing)} not found: install nerfstudio with pip install 'twin-builder[gpu]' "
                "on a machine with a CUDA GPU")
    try:
        import torch
    except ImportError:
        return "nerfstudio is on PATH but torch is not importable here: install pip install 'twin-builder[gpu]'"
    if not torch.cuda.is_available():
        return "no CUDA GPU is available (torch.cuda.is_available() is False); use the default --method tsdf"
    return None


def dataset_for(sequence: RGBDSequence, work: Path) -> Path:
    """A nerfstudio dataset of ``sequence``: the capture folder itself when it is one, else a copy written
    into ``work/data`` (every frame needs a pose; nerfstudio trains on posed images only)."""
    if sequence.layout == "nerfstudio" and (Path(sequence.root) / "transforms.json").is_file():
        return Path(sequence.root)
    posed = [f for f in sequence.frames if f.pose is not None]
    if not posed:
        raise CaptureError("--method nerfstudio needs camera poses and the capture has none", sequence.root)
    if any(f.color_path is None for f in posed):
        raise CaptureError("--method nerfstudio needs colour images and some frames have none", sequence.root)
    from scans.writers import write_capture

    return write_capture("nerfstudio", work / "data", (FrameData.load(f) for f in posed))


def _run(command: list[str], log: Path, what: str, timeout: float | None) -> None:
    with log.open("a") as sink:
        sink.write(f"$ {' '.join(command)}\n")
        sink.flush()
        try:
            done = subprocess.run(command, stdout=sink, stderr=subprocess.STDOUT, timeout=timeout,
                                  env={**os.environ, "PYTHONUNBUFFERED": "1"}, check=False)
        except subprocess.TimeoutExpired:
            raise CaptureError(f"nerfstudio {what} ran past {timeout:.0f} s; see {log}") from None
    if done.returncode != 0:
        tail = log.read_text(errors="replace").strip().splitlines()[-5:]
        raise CaptureError(f"nerfstudio {what} failed (exit {done.returncode}); last lines of {log}: "
                           + " | ".join(line.strip() for line in tail))


def _bounds(sequence: RGBDSequence, depth_max: float) -> tuple[np.ndarray, np.ndarray]:
    """An axis-aligned box around every camera position, grown by ``depth_max``: what the export samples."""
    centres = np.array([f.pose[:3, 3] for f in sequence.frames if f.pose is not None])
    return centres.min(axis=0) - depth_max, centres.max(axis=0) + depth_max


def train_command(data: Path, work: Path, iterations: int, seed: int) -> list[str]:
    """The ``ns-train`` command: poses kept as given, no viewer, a fixed number of iterations."""
    return ["ns-train", METHOD, "--data", str(data), "--output-dir", str(work / "runs"),
            "--max-num-iterations", str(iterations), "--machine.seed", str(seed),
            "--viewer.quit-on-train-completion", "True", "--vis", "tensorboard",
            "nerfstudio-data", "--orientation-method", "none", "--center-method", "none",
            "--auto-scale-poses", "False"]


def export_command(config: Path, work: Path, lo: np.ndarray, hi: np.ndarray, points: int) -> list[str]:
    """The ``ns-export pointcloud`` command: world frame, open3d normals, the capture's bounds."""
    return ["ns-export", "pointcloud", "--load-config", str(config), "--output-dir", str(work / "export"),
            "--num-points", str(points), "--normal-method", "open3d", "--save-world-frame", "True",
            "--bounding-box-min", *(f"{v:.4f}" for v in lo), "--bounding-box-max", *(f"{v:.4f}" for v in hi)]


def nerfstudio_surface(sequence: RGBDSequence, work: Path, *, voxel: float = 0.01, depth_max: float = 5.0,
                       iterations: int = 30000, points: int = 2_000_000, seed: int = 0,
                       timeout: float | None = None, progress: Progress | None = None,
                       check: Callable[[], str | None] = gpu_problem) -> Surface:
    """Train nerfstudio on ``sequence`` in ``work`` and return its exported cloud as a surface.

    Args:
        sequence: A posed RGB-D capture.
        work: A folder for the dataset copy, the training run, the export and ``nerfstudio.log``.
        voxel: The cloud is downsampled to this spacing, m.
        depth_max: The export samples cameras' bounding box grown by this, m.
        iterations: Training iterations.
        points: Points the export samples.
        seed: nerfstudio's seed.
        timeout: Per tool, s (None: no limit).
        progress: ``progress(stage, done, total)``.
        check: Returns why the path cannot run, or None (default :func:`gpu_problem`).

    Raises:
        CaptureError: no GPU or nerfstudio, no poses or colour, a tool failed, or the export is empty.
    """
    problem = check()
    if problem is not None:
        raise CaptureError(f"--method nerfstudio cannot run: {problem}")
    step = progress or (lambda _s, _d, _t: None)
    o3d = require("open3d", "scan", "reading the nerfstudio export")
    work.mkdir(parents=True, exist_ok=True)
    log = work / LOG
    step("nerfstudio: preparing the dataset", 0, 0)
    data = dataset_for(sequence, work)
    step(f"nerfstudio: training {METHOD} ({iterations} iterations)", 0, 0)
    _run(train_command(data, work, iterations, seed), log, "training", timeout)
    configs = sorted((work / "runs").rglob("config.yml"), key=lambda p: p.stat().st_mtime)
    if not configs:
        raise CaptureError(f"nerfstudio training wrote no config.yml under {work / 'runs'}; see {log}")
    step("nerfstudio: exporting the point cloud", 0, 0)
    lo, hi = _bounds(sequence, depth_max)
    _run(export_command(configs[-1], work, lo, hi, points), log, "export", timeout)
    exported = work / "export" / "point_cloud.ply"
    cloud = o3d.io.read_point_cloud(str(exported)) if exported.is_file() else o3d.geometry.PointCloud()
    if not cloud.has_points():
        raise CaptureError(f"the nerfstudio export {exported} is missing or empty; see {log}")
    count = len(cloud.points)
    cloud = cloud.voxel_down_sample(voxel)
    cloud.estimate_normals(o3d.geometry.KDTreeSearchParamHybrid(radius=3 * voxel, max_nn=30))
    colors = np.asarray(cloud.colors) if cloud.has_colors() else None
    note = (f"surface from nerfstudio {METHOD} ({iterations} iterations, {len(sequence.frames)} frames): "
            f"{count:,} exported points, {len(cloud.points):,} after {voxel} m downsampling")
    return Surface(points=np.asarray(cloud.points), normals=np.asarray(cloud.normals), colors=colors,
                   frames=len(sequence.frames), notes=(note,))
