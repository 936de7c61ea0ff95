"""Build benchmark: ``twin build`` on a 100-frame 640x480 synthetic capture.

References measured in the same run:
- integration: a bare ``VoxelBlockGrid`` loop over the same frames (open3d reads the PNGs, integrates, no
  other work) against the build's fusion stage, as frames/s and their ratio;
- simulation: steps/s of the built twin against the same scene with every object as one box (its AABB).
Also prints the total build time, peak memory and the accuracy against the ground truth.

Run: ``python -m bench.build [--frames 100] [--voxel 0.01]``.
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from pathlib import Path

import mujoco
import numpy as np

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def bare_integration(capture, voxel: float, depth_max: float) -> float:
    """Seconds for a bare VoxelBlockGrid loop over ``capture``'s frames (reading included)."""
    import open3d as o3d

    from scans.build.fusion import make_grid

    grid = make_grid(o3d, voxel)
    start = time.perf_counter()
    for frame in capture.frames:
        depth = o3d.t.io.read_image(str(frame.depth_path))
        color = o3d.t.io.read_image(str(frame.color_path)) if frame.color_path else None
        intrinsic = o3d.core.Tensor(frame.intrinsics.matrix, o3d.core.float64)
        extrinsic = o3d.core.Tensor(np.linalg.inv(frame.pose))
        blocks = grid.compute_unique_block_coordinates(depth, intrinsic, extrinsic, frame.depth_scale, depth_max, 4.0)
        if color is not None and color.rows == depth.rows:
            grid.integrate(blocks, depth, color, intrinsic, intrinsic, extrinsic,
                           frame.depth_scale, depth_max, 4.0)
        else:
            grid.integrate(blocks, depth, intrinsic, extrinsic, frame.depth_scale, depth_max, 4.0)
    grid.extract_triangle_mesh(weight_threshold=2.0)
    return time.perf_counter() - start


def steps_per_second(model: mujoco.MjModel, steps: int = 2000) -> float:
    data = mujoco.MjData(model)
    start = time.perf_counter()
    for _ in range(steps):
        mujoco.mj_step(model, data)
    return steps / (time.perf_counter() - start)


def boxes_only(result) -> mujoco.MjModel:
    """The built scene with every object replaced by one box of its axis-aligned bounding box."""
    from scans.build.config import BuildConfig
    from scans.build.objects import FittedObject
    from scans.build.pipeline import assemble_scene
    from twin.shapes import Box

    boxes = [FittedObject(o.name, Box(o.size), np.array(o.position), 0.0, float(np.prod(o.size)), 0.0, 0)
             for o in result.twin.manifest.objects]
    return assemble_scene("boxes", result.structure, boxes, (), BuildConfig().object_material()).compile()


def main(frames: int = 100, voxel: float = 0.01) -> None:
    from scans.build import BuildConfig, build_twin
    from scans.build.metrics import evaluate_twin
    from scans.readers import read_capture
    from scans.synth import make_synthetic_capture

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        make_synthetic_capture(tmp / "capture", frames=frames, width=640, height=480, seed=0, lidar=False)
        capture = read_capture(tmp / "capture")
        for path in (tmp / "capture").rglob("*"):  # both runs read from a warm file cache
            if path.is_file():
                path.read_bytes()
        bare = bare_integration(capture, voxel, 5.0)
        start = time.perf_counter()
        result = build_twin(tmp / "capture", tmp / "twin", BuildConfig(voxel=voxel))
        total = time.perf_counter() - start
        fusion = result.seconds["fusion"]
        metrics = evaluate_twin(tmp / "twin", tmp / "capture", poses=[f.pose for f in capture.frames],
                                intrinsics=capture.frames[0].intrinsics)
        twin_model = mujoco.MjModel.from_xml_path(str(tmp / "twin" / "scene.xml"))
        twin_sps, box_sps = steps_per_second(twin_model), steps_per_second(boxes_only(result))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"build benchmark: {frames} frames 640x480, voxel {voxel} m")
    print(f"  total build            {total:7.1f} s   (stages: "
          + ", ".join(f"{k} {v:.1f}" for k, v in result.seconds.items()) + ")")
    print(f"  integration            {frames / fusion:7.1f} frames/s vs bare VoxelBlockGrid {frames / bare:.1f} "
          f"frames/s: ratio {bare / fusion:.2f}")
    print(f"  simulation             {twin_sps:7.0f} steps/s vs every object as one box {box_sps:.0f}: "
          f"ratio {twin_sps / box_sps:.2f}")
    print(f"  peak memory (RSS)      {peak:7.0f} MiB")
    s = metrics["surface"]
    print(f"  accuracy               Chamfer-L1 {s['chamfer_l1'] * 1000:.1f} mm, F@2cm {s['fscore']:.3f}, floor "
          f"{metrics['floor_angle_deg']:.3f} deg, objects {metrics['objects']['found']}/{metrics['objects']['total']}")
    print(f"  missed: {', '.join(metrics['objects']['missed']) or 'none'}")
    print(f"  objects: {len(result.objects)} ({', '.join(sorted({o.kind for o in result.objects}))}); "
          f"validation {result.twin.validation.summary()}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=100)
    parser.add_argument("--voxel", type=float, default=0.01)
    args = parser.parse_args()
    main(args.frames, args.voxel)
