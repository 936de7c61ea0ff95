"""Synthetic captures with ground truth: a procedural factory cell rendered as a noisy RGB-D sequence.

:func:`make_synthetic_capture` writes the frames in any capture layout (through :mod:`scans.writers`), a
LiDAR-like cloud, and the ground truth (world mesh, objects, ``capture_to_world``) beside them. Tests and
benchmarks of the reconstruction, gravity alignment and segmentation recover that truth.
"""

from scans.synth.camera import (
    kinect_intrinsics,
    look_at,
    orbit_path,
    random_world_to_capture,
    scan_path,
)
from scans.synth.capture import (
    LAYOUTS,
    SynthResult,
    load_capture_to_world,
    make_synthetic_capture,
)
from scans.synth.cell import Cell, build_cell
from scans.synth.geometry import (
    GroundTruthObject,
    SceneMesh,
    ground_truth_objects,
    scene_mesh,
)
from scans.synth.sensor import DepthNoise, Raycaster, lidar_scan, render_rgbd

__all__ = [
    "LAYOUTS",
    "Cell",
    "DepthNoise",
    "GroundTruthObject",
    "Raycaster",
    "SceneMesh",
    "SynthResult",
    "build_cell",
    "ground_truth_objects",
    "kinect_intrinsics",
    "lidar_scan",
    "load_capture_to_world",
    "look_at",
    "make_synthetic_capture",
    "orbit_path",
    "random_world_to_capture",
    "render_rgbd",
    "scan_path",
    "scene_mesh",
]
