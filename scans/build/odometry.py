"""Poses for RGB-D captures that have none: frame-to-frame RGB-D odometry, loop closure, pose-graph optimisation.

Each frame is tracked against the last well-tracked frame (``open3d.t.pipelines.odometry``, hybrid depth and
intensity loss, multi-scale, CPU) from a constant-velocity guess; a frame that does not track is skipped and
left out of fusion, and after ``max_skipped`` such frames tracking restarts from the prediction (a break).
Keyframes close in estimated position and viewing direction are then matched the same way; the matches that
pass the fitness and overlap checks become uncertain edges of a pose graph that
``open3d.pipelines.registration.global_optimization`` (Levenberg-Marquardt) optimises, pruning loop edges
that disagree with the rest.

Poses are camera-to-world in OpenCV axes with the first frame at the identity; the drift estimate is the
largest change the loop closures made to any pose.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from scans.capture import RGBDSequence
from scans.errors import CaptureError
from twin.extras import require

Progress = Callable[[str, int, int], None]
"""``progress(stage, done, total)``: stage ``"estimating poses"`` (frames) then ``"closing loops"`` (pairs)."""

PYRAMID_ITERATIONS = (20, 10, 5, 3)
"""Odometry iterations per pyramid level, coarsest first (four levels: 40x30 pixels at the top for 320x240)."""

WEAK_INFORMATION = 1.0
"""Information (per unit of pose error) of edges that only carry a prediction: they keep the graph connected
without pulling against measured edges."""


@dataclass(frozen=True)
class OdometrySettings:
    """Settings of :func:`estimate_poses`.

    Args:
        depth_max: Depth beyond this is ignored, m.
        min_fitness: A match with a smaller inlier fraction is a tracking failure.
        max_skipped: After this many frames in a row fail to track, tracking restarts (a break).
        keyframe_every: Every this many frames is a keyframe for loop closure.
        loop_distance: Keyframes farther apart than this are not matched, m.
        loop_angle_deg: Keyframes whose viewing directions differ more than this are not matched, degrees.
        loop_min_fitness: A loop match with a smaller inlier fraction is rejected.
        loop_max_rmse_ratio: A loop match whose residual exceeds this multiple of the median frame-to-frame
            residual is rejected (wide-baseline matches that converged to a wrong minimum).
        max_loop_candidates: Each keyframe is matched with at most this many earlier ones (the closest).
        outlier_distance: Point pairs farther apart than this are outliers in odometry, m.
    """

    depth_max: float = 5.0
    min_fitness: float = 0.3
    max_skipped: int = 3
    keyframe_every: int = 5
    loop_distance: float = 1.0
    loop_angle_deg: float = 45.0
    loop_min_fitness: float = 0.3
    loop_max_rmse_ratio: float = 5.0
    max_loop_candidates: int = 3
    outlier_distance: float = 0.07

    def __post_init__(self) -> None:
        if not (self.depth_max > 0 and self.loop_distance > 0 and self.outlier_distance > 0):
            raise CaptureError("odometry: depth_max, loop_distance and outlier_distance must be > 0")
        if not (0 <= self.min_fitness <= 1 and 0 <= self.loop_min_fitness <= 1):
            raise CaptureError("odometry: fitness thresholds must be in [0, 1]")
        if self.max_skipped < 0 or self.keyframe_every < 1 or self.max_loop_candidates < 0:
            raise CaptureError("odometry: max_skipped and max_loop_candidates must be >= 0, keyframe_every >= 1")


@dataclass(frozen=True)
class Edge:
    """One match between two frames (positions in the sequence): ``source`` seen from ``target``.

    Args:
        kind: ``"odometry"`` (consecutive tracked frames), ``"loop"`` (keyframes) or ``"prediction"``
            (no match: the constant-velocity guess, weakly weighted).
        fitness: Fraction of the source's valid pixels with a target pixel within ``outlier_distance``.
        rmse: Root-mean-square residual of the inliers (hybrid loss units).
        kept: False for loop candidates that failed the checks or that the optimisation pruned.
    """

    source: int
    target: int
    kind: str
    fitness: float
    rmse: float
    kept: bool = True


@dataclass(frozen=True, eq=False)
class PoseEstimate:
    """Estimated poses of a sequence and how they were obtained.

    Args:
        poses: (N, 4, 4) camera-to-world, OpenCV axes, metres; ``poses[0]`` is the identity.
        tracked: (N,) bool; False for frames that could not be tracked (their pose is only a prediction).
        edges: Every edge of the pose graph.
        drift_mm: Largest change of a tracked camera's position made by the loop closures, mm (None without
            loops): how far odometry alone had drifted.
        drift_deg: The same for orientation, degrees.
        warnings: Tracking failures, one line each, naming the frame indices.
    """

    poses: np.ndarray
    tracked: np.ndarray
    edges: tuple[Edge, ...]
    drift_mm: float | None
    drift_deg: float | None
    warnings: tuple[str, ...]

    @property
    def loop_closures(self) -> int:
        """Loop edges kept after pruning."""
        return sum(e.kind == "loop" and e.kept for e in self.edges)

    def note(self) -> str:
        """One line for the build's notes."""
        drift = (f"drift {self.drift_mm:.0f} mm, {self.drift_deg:.1f} deg" if self.drift_mm is not None
                 else "drift unknown (no loop closure)")
        return (f"poses estimated by RGB-D odometry: {int(self.tracked.sum())} frames, "
                f"{self.loop_closures} loop closures, {drift}")


def _rgbd(o3d, frame, depth_max: float):
    """The frame as an open3d RGBD image (depth float32 m, colour float32 [0, 1] at depth size, grey when
    there is none) and its count of valid depth pixels."""
    depth = frame.depth()
    depth[depth > depth_max] = 0.0
    color = frame.color()
    if color is None:
        color = np.full((*depth.shape, 3), 0.5, np.float32)
    else:
        if color.shape[:2] != depth.shape:
            from PIL import Image

            color = np.asarray(Image.fromarray(color).resize((depth.shape[1], depth.shape[0]), Image.BILINEAR))
        color = color.astype(np.float32) / 255.0
    image = o3d.t.geometry.RGBDImage(o3d.t.geometry.Image(o3d.core.Tensor(np.ascontiguousarray(color))),
                                     o3d.t.geometry.Image(o3d.core.Tensor(depth)))
    return image, int(np.count_nonzero(depth))


def _match(o3d, source, target, intrinsic, init: np.ndarray, settings: OdometrySettings):
    """Hybrid odometry of ``source`` (an image and its valid pixel count) into ``target`` from ``init``
    (source-to-target): (transform, fitness, rmse, information (6, 6)). The fitness is the fraction of the
    source's valid pixels with a target point within ``outlier_distance`` after alignment (open3d's own
    fitness depends on the pyramid level); 0 when the solve fails (no valid depth, singular system)."""
    odometry = o3d.t.pipelines.odometry
    (source, valid), (target, _) = source, target
    params = odometry.OdometryLossParams(settings.outlier_distance, 0.05, 0.1)
    criteria = [odometry.OdometryConvergenceCriteria(n) for n in PYRAMID_ITERATIONS]
    try:
        result = odometry.rgbd_odometry_multi_scale(source, target, intrinsic, o3d.core.Tensor(init), 1.0,
                                                    settings.depth_max, criteria, odometry.Method.Hybrid, params)
        transform = result.transformation.numpy().astype(np.float64)
        information = odometry.compute_odometry_information_matrix(
            source.depth, target.depth, intrinsic, result.transformation, settings.outlier_distance, 1.0,
            settings.depth_max).numpy().astype(np.float64)
    except RuntimeError:
        return init, 0.0, 0.0, np.zeros((6, 6))
    if not (np.isfinite(transform).all() and np.isfinite(information).all()) or valid == 0:
        return init, 0.0, 0.0, np.zeros((6, 6))
    return transform, float(information[5, 5]) / valid, float(result.inlier_rmse), information


def _angle_deg(rotation: np.ndarray) -> float:
    return float(np.degrees(np.arccos(np.clip((np.trace(rotation) - 1) / 2, -1.0, 1.0))))


def estimate_poses(sequence: RGBDSequence, settings: OdometrySettings | None = None, *,
                   progress: Progress | None = None) -> PoseEstimate:
    """Estimate camera-to-world poses of every frame of ``sequence`` (its own poses, if any, are ignored).

    Args:
        sequence: The frames, in time order; depth through ``Frame.depth`` (metres).
        settings: Thresholds (defaults when None).
        progress: Called as ``progress("estimating poses", done, total)``, then ``("closing loops", ...)``.

    Returns:
        The poses (first frame at the identity), the edges, the drift estimate and the tracking warnings.
    """
    o3d = require("open3d", "scan", "estimating camera poses")
    settings = settings or OdometrySettings()
    step = progress or (lambda _s, _d, _t: None)
    frames = sequence.frames
    intrinsic = o3d.core.Tensor(frames[0].intrinsics.matrix, o3d.core.float64)

    @lru_cache(maxsize=8)
    def image(i: int):
        if frames[i].intrinsics != frames[0].intrinsics:
            raise CaptureError(f"frame {frames[i].index}: intrinsics differ from the first frame's; pose "
                               "estimation needs one camera", frames[i].depth_path)
        return _rgbd(o3d, frames[i], settings.depth_max)

    poses, tracked, graph, edges, warnings = _track(o3d, frames, image, intrinsic, settings, step)
    odometry_poses = poses.copy()
    rmse = [e.rmse for e in edges if e.kind == "odometry"]
    max_rmse = settings.loop_max_rmse_ratio * float(np.median(rmse)) if rmse else 0.0
    loops = _close_loops(o3d, image, poses, tracked, intrinsic, settings, step, max_rmse)
    verified = [(*loop[:4], True) for loop in loops if loop[4]]
    kept, poses = _optimise(o3d, poses, graph, verified, settings)
    edges += [Edge(s, t, "loop", fit, rmse, (s, t) in kept) for s, t, *_, (fit, rmse) in loops]
    drift_mm = drift_deg = None
    if any(e.kind == "loop" and e.kept for e in edges):
        after, before = poses[tracked], odometry_poses[tracked]
        drift_mm = 1000 * float(np.max(np.linalg.norm(after[:, :3, 3] - before[:, :3, 3], axis=1)))
        drift_deg = max(_angle_deg(a[:3, :3].T @ b[:3, :3]) for a, b in zip(after, before))
    return PoseEstimate(poses, tracked, tuple(edges), drift_mm, drift_deg, tuple(warnings))


def _track(o3d, frames, image, intrinsic, settings: OdometrySettings, step):
    """Frame-to-frame tracking: (poses (N, 4, 4), tracked (N,), graph edges
    ``(source, target, transform source-to-target, information (6, 6), uncertain)``, edges, warnings)."""
    n = len(frames)
    poses = np.tile(np.eye(4), (n, 1, 1))
    tracked = np.zeros(n, bool)
    tracked[0] = True
    graph: list[tuple] = []
    edges: list[Edge] = []
    warnings: list[str] = []
    velocity, ref, first_fail, lost = np.eye(4), 0, None, False
    step("estimating poses", 1, n)
    for j in range(1, n):
        predicted = poses[j - 1] @ velocity
        if lost:  # after a break, the next frame with depth is the new reference, at its predicted pose
            poses[j], tracked[j], lost = predicted, image(j)[1] > 0, image(j)[1] == 0
            ref = j if tracked[j] else ref
            graph.append((j, j - 1, velocity, WEAK_INFORMATION * np.eye(6), False))
            edges.append(Edge(j, j - 1, "prediction", 0.0, 0.0))
            step("estimating poses", j + 1, n)
            continue
        source, target = image(j), image(ref)
        guesses = [np.linalg.inv(poses[ref]) @ predicted, np.linalg.inv(poses[ref]) @ poses[j - 1]]
        matches = [_match(o3d, source, target, intrinsic, guess, settings) for guess in guesses]
        # a wrong local minimum keeps a similar inlier fraction but a much larger residual
        good = [m for m in matches if m[1] >= settings.min_fitness]
        transform, fitness, rmse, information = (min(good, key=lambda m: m[2]) if good
                                                 else max(matches, key=lambda m: m[1]))
        if fitness >= settings.min_fitness:
            poses[j], tracked[j] = poses[ref] @ transform, True
            graph.append((j, ref, transform, information, False))
            edges.append(Edge(j, ref, "odometry", fitness, rmse))
            if ref < j - 1:
                skipped = (f"frame {frames[ref + 1].index}" if ref + 1 == j - 1
                           else f"frames {frames[ref + 1].index}-{frames[j - 1].index}")
                warnings.append(f"{skipped} could not be tracked (fitness {first_fail:.2f} against frame "
                                f"{frames[ref].index}): left out of fusion")
            velocity = np.linalg.inv(poses[j - 1]) @ poses[j] if ref == j - 1 else velocity
            ref, first_fail = j, None
        else:
            poses[j] = predicted
            first_fail = fitness if first_fail is None else first_fail
            graph.append((j, j - 1, velocity, WEAK_INFORMATION * np.eye(6), False))
            edges.append(Edge(j, j - 1, "prediction", fitness, rmse))
            if j - ref > settings.max_skipped or j == n - 1:
                warnings.append(f"tracking failed between frames {frames[ref].index} and "
                                f"{frames[ref + 1].index} (fitness {first_fail:.2f}): poses after it may be wrong")
                first_fail, lost = None, True
        step("estimating poses", j + 1, n)
    return poses, tracked, graph, edges, warnings


def _close_loops(o3d, image, poses, tracked, intrinsic, settings: OdometrySettings, step,
                 max_rmse: float) -> list[tuple]:
    """Matches between non-adjacent keyframes close in position and viewing direction:
    ``(source, target, transform, information, verified, (fitness, rmse))`` each."""
    keys = [i for i in range(0, len(poses), settings.keyframe_every) if tracked[i]]
    pairs = []
    cos_max = np.cos(np.radians(settings.loop_angle_deg))
    for b in keys:
        near = [(float(np.linalg.norm(poses[a, :3, 3] - poses[b, :3, 3])), a) for a in keys
                if a < b - settings.keyframe_every]
        near = [(d, a) for d, a in near if d <= settings.loop_distance and poses[a, :3, 2] @ poses[b, :3, 2] >= cos_max]
        pairs += [(b, a) for _, a in sorted(near)[:settings.max_loop_candidates]]
    loops = []
    for k, (b, a) in enumerate(sorted(pairs, key=lambda p: (p[1], p[0]))):
        guess = np.linalg.inv(poses[a]) @ poses[b]
        transform, fitness, rmse, information = _match(o3d, image(b), image(a), intrinsic, guess, settings)
        change = np.linalg.inv(guess) @ transform
        verified = (fitness >= settings.loop_min_fitness and rmse <= max_rmse and np.linalg.norm(change[:3, 3]) <= settings.loop_distance / 2
                    and _angle_deg(change[:3, :3]) <= settings.loop_angle_deg / 2)
        loops.append((b, a, transform, information, verified, (fitness, rmse)))
        step("closing loops", k + 1, len(pairs))
    return loops


def _optimise(o3d, poses: np.ndarray, graph: list[tuple], loops: list[tuple],
              settings: OdometrySettings) -> tuple[set[tuple[int, int]], np.ndarray]:
    """Optimise the pose graph (first frame fixed): (the loop edges kept, the optimised poses)."""
    registration = o3d.pipelines.registration
    if not loops:
        return set(), poses
    pose_graph = registration.PoseGraph()
    for pose in poses:
        pose_graph.nodes.append(registration.PoseGraphNode(pose))
    for source, target, transform, information, uncertain in graph + loops:
        pose_graph.edges.append(registration.PoseGraphEdge(source, target, transform, information, uncertain))
    option = registration.GlobalOptimizationOption(max_correspondence_distance=settings.outlier_distance,
                                                   edge_prune_threshold=0.25, preference_loop_closure=1.0,
                                                   reference_node=0)
    with o3d.utility.VerbosityContextManager(o3d.utility.VerbosityLevel.Error):
        registration.global_optimization(pose_graph, registration.GlobalOptimizationLevenbergMarquardt(),
                                         registration.GlobalOptimizationConvergenceCriteria(), option)
    kept = {(e.source_node_id, e.target_node_id) for e in pose_graph.edges if e.uncertain}
    optimised = np.stack([np.asarray(node.pose) for node in pose_graph.nodes])
    return kept, np.linalg.inv(optimised[0]) @ optimised


def with_poses(sequence: RGBDSequence, estimate: PoseEstimate) -> RGBDSequence:
    """``sequence`` with the estimated poses; frames that could not be tracked get no pose."""
    frames = tuple(dataclasses.replace(f, pose=pose if ok else None)
                   for f, pose, ok in zip(sequence.frames, estimate.poses, estimate.tracked))
    return dataclasses.replace(sequence, frames=frames)
