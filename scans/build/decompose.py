"""Convex decomposition of a scanned object: a closed solid from its points, split into convex parts by CoACD.

The solid is a height field over the support: the object's points are binned into square columns of
``cell`` m and each column is filled from the support up to its highest point (gaps inside the footprint
take the nearest column's height). Scans see objects from above and from the sides, almost never from
below, and an object rests on its support, so this solid is closed by construction, needs no normals and
cannot come out inside-out or full of holes the way Poisson, ball-pivoting or alpha-shape surfaces of a
one-sided, noisy scan do. Its blind spot is overhangs (the space under a ledge is filled); tables and
shelving are fitted as compounds of boxes before this is reached. The surface is the boundary of the
columns' voxels (every edge shared by two faces), and its volume is exact.

CoACD (``coacd`` package, ``scan`` extra) runs in a child process: its time is bounded by ``timeout`` (the
child is killed), a crash of the native library cannot take the build down, and its log lines stay out of
the caller's output. It is deterministic for a seed. Each part CoACD returns is re-hulled (scipy), so every
part is convex, closed and oriented outwards, as MuJoCo's exact inertia requires.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
from dataclasses import dataclass

import numpy as np
from scipy.spatial import ConvexHull, QhullError

from twin.errors import TwinError


class DecompositionError(TwinError):
    """CoACD failed, timed out or is not installed (the caller falls back to the convex hull)."""


@dataclass(frozen=True)
class Solid:
    """A closed triangle surface: ``vertices`` (V, 3) m, ``faces`` (F, 3) counter-clockwise seen from
    outside, and its enclosed ``volume`` m^3."""

    vertices: np.ndarray
    faces: np.ndarray
    volume: float


@dataclass(frozen=True)
class Decomposition:
    """Convex parts of a solid: ``parts`` as ``(vertices (V, 3), faces (F, 3))`` each, their ``volumes`` m^3,
    and the ``seconds`` CoACD took."""

    parts: tuple[tuple[np.ndarray, np.ndarray], ...]
    volumes: tuple[float, ...]
    seconds: float


def height_field_solid(points: np.ndarray, *, support: float, cell: float) -> Solid:
    """The solid under an object's (N, 3) world points, down to the height ``support`` m.

    Args:
        points: (N, 3) m, z up.
        support: Height of the surface the object rests on, m.
        cell: Column width and layer height, m.

    Raises:
        DecompositionError: fewer than 4 points.
    """
    if len(points) < 4:
        raise DecompositionError(f"an object needs at least 4 points to be closed, got {len(points)}")
    from scipy import ndimage

    lo = points[:, :2].min(axis=0)
    ij = np.floor((points[:, :2] - lo) / cell).astype(int)
    shape = ij.max(axis=0) + 1
    height = np.zeros(shape)
    np.maximum.at(height, (ij[:, 0], ij[:, 1]), points[:, 2] - support)
    seen = np.zeros(shape, dtype=bool)
    seen[ij[:, 0], ij[:, 1]] = True
    filled = ndimage.binary_fill_holes(ndimage.binary_closing(np.pad(seen, 1), iterations=1))[1:-1, 1:-1] | seen
    if (filled & ~seen).any():  # gaps inside the footprint take the nearest seen column's height
        nearest = ndimage.distance_transform_edt(~seen, return_distances=False, return_indices=True)
        height = np.where(seen, height, height[nearest[0], nearest[1]])
    layers = np.where(filled, np.maximum(np.round(height / cell), 1), 0).astype(int)
    occupied = np.arange(max(int(layers.max()), 1))[None, None, :] < layers[:, :, None]
    vertices, faces = _voxel_surface(occupied)
    vertices = vertices * cell + [lo[0], lo[1], support]
    return Solid(vertices, faces, float(occupied.sum()) * cell**3)


def _voxel_surface(occupied: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Boundary faces of a (X, Y, Z) boolean voxel grid: lattice vertices (V, 3) in voxel units and
    outward, counter-clockwise triangles (F, 3)."""
    grid = np.pad(occupied, 1)
    dims = np.array(grid.shape) + 1
    quads = []
    for axis in range(3):
        u, v = (axis + 1) % 3, (axis + 2) % 3
        step = np.zeros(3, dtype=int)
        step[axis] = 1
        diff = np.diff(grid.astype(np.int8), axis=axis)  # +1: empty -> full (face looks back), -1: full -> empty
        for sign in (1, -1):
            cells = np.argwhere(diff == sign)  # face between cell c and c + step, at lattice plane c[axis] + 1
            base = cells.copy()
            base[:, axis] += 1
            du, dv = np.zeros(3, dtype=int), np.zeros(3, dtype=int)
            du[u], dv[v] = 1, 1
            corners = [base, base + du, base + du + dv, base + dv]  # counter-clockwise about +axis
            if sign == 1:  # outward normal is -axis
                corners = corners[::-1]
            quads.append(np.stack(corners, axis=1))
    quads = np.concatenate(quads)
    keys = np.ravel_multi_index(quads.reshape(-1, 3).T, dims)
    unique, index = np.unique(keys, return_inverse=True)
    quads_idx = index.reshape(-1, 4)
    faces = np.concatenate([quads_idx[:, [0, 1, 2]], quads_idx[:, [0, 2, 3]]])
    vertices = np.stack(np.unravel_index(unique, dims), axis=1).astype(float) - 1.0  # undo the padding
    return vertices, faces


def convex_part(vertices: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """The convex hull of (V, 3) points: its vertices, outward faces and volume.

    Raises:
        DecompositionError: the points are flat or too few.
    """
    try:
        hull = ConvexHull(vertices)
    except (QhullError, ValueError) as exc:
        raise DecompositionError(f"a part is flat or degenerate ({str(exc).splitlines()[0]})") from None
    used = np.unique(hull.simplices)
    remap = np.full(len(vertices), -1)
    remap[used] = np.arange(len(used))
    faces = remap[hull.simplices]
    points = vertices[used]
    normals = np.cross(points[faces[:, 1]] - points[faces[:, 0]], points[faces[:, 2]] - points[faces[:, 0]])
    inward = np.einsum("ij,ij->i", normals, points[faces].mean(axis=1) - points.mean(axis=0)) < 0
    faces[inward] = faces[inward][:, ::-1]
    return points, faces, float(hull.volume)


_WORKER = """
import io, os, sys
import numpy as np
out = os.dup(1)
os.dup2(2, 1)  # CoACD logs to stdout: keep the result channel clean
import coacd
coacd.set_log_level("off")
args = np.load(io.BytesIO(sys.stdin.buffer.read()))
parts = coacd.run_coacd(coacd.Mesh(args["vertices"], args["faces"]), threshold=float(args["threshold"]),
                        max_convex_hull=int(args["max_hulls"]), preprocess_mode="auto",
                        preprocess_resolution=int(args["preprocess_resolution"]), resolution=int(args["resolution"]),
                        mcts_iterations=int(args["mcts_iterations"]), seed=int(args["seed"]))
buffer = io.BytesIO()
np.savez(buffer, counts=np.array([len(v) for v, _ in parts], dtype=np.int64),
         vertices=np.concatenate([v for v, _ in parts]) if parts else np.zeros((0, 3)))
os.write(out, buffer.getvalue())
"""


def decompose(solid: Solid, *, max_hulls: int, threshold: float, seed: int, timeout: float,
              resolution: int = 300, preprocess_resolution: int = 30, mcts_iterations: int = 20) -> Decomposition:
    """Split ``solid`` into at most ``max_hulls`` convex parts with CoACD.

    Args:
        max_hulls: Hull budget (CoACD merges parts beyond it).
        threshold: CoACD's concavity threshold (0.01-1; lower: more, tighter parts).
        seed: CoACD's random seed (the result is deterministic for it).
        timeout: Seconds before the child process is killed.
        resolution, preprocess_resolution, mcts_iterations: CoACD's sampling resolution, remeshing grid and
            tree-search iterations. CoACD's own defaults (2000, 50, 150) took 55 s on a 0.7 m pump casing
            (12 parts); (500, 30, 50) took 9 s (8 parts); these (300, 30, 20) take 8 s instead of 14 s on the
            synthetic cell's open tote (8 parts, budget 8), on 2 shared cores.

    Raises:
        DecompositionError: ``coacd`` is not installed, CoACD failed, returned nothing, or ran past ``timeout``.
    """
    if not _coacd_installed():
        raise DecompositionError("the 'coacd' package is not installed (pip install 'twin-builder[scan]')")
    buffer = io.BytesIO()
    np.savez(buffer, vertices=solid.vertices, faces=solid.faces.astype(np.int32), threshold=threshold,
             max_hulls=max_hulls, seed=seed, resolution=resolution, preprocess_resolution=preprocess_resolution,
             mcts_iterations=mcts_iterations)
    env = {**os.environ, "OMP_WAIT_POLICY": "PASSIVE"}
    start = time.perf_counter()
    try:
        done = subprocess.run([sys.executable, "-c", _WORKER], input=buffer.getvalue(), capture_output=True,
                              timeout=timeout, env=env, check=False)
    except subprocess.TimeoutExpired:
        raise DecompositionError(f"CoACD ran past {timeout:g} s") from None
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        tail = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or [f"exit {done.returncode}"]
        raise DecompositionError(f"CoACD failed: {tail[0]}")
    try:
        result = np.load(io.BytesIO(done.stdout))
        counts, vertices = result["counts"], result["vertices"]
    except (OSError, ValueError, KeyError) as exc:
        raise DecompositionError(f"CoACD returned no readable result ({exc})") from None
    parts, volumes = [], []
    for chunk in np.split(vertices, np.cumsum(counts)[:-1]) if len(counts) else []:
        try:
            points, faces, volume = convex_part(chunk)
        except DecompositionError:
            continue  # a flat sliver: nothing to collide with
        parts.append((points, faces))
        volumes.append(volume)
    if not parts:
        raise DecompositionError("CoACD returned no solid part")
    return Decomposition(tuple(parts), tuple(volumes), seconds)


def _coacd_installed() -> bool:
    import importlib.util

    return importlib.util.find_spec("coacd") is not None
