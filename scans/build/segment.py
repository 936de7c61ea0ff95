"""Segmentation: cluster the non-structure points into objects and split objects resting on others.

Clusters are connected components of a radius graph (``eps`` m). Inside a cluster, upward-facing patches are
support levels (a shelf, a pallet's deck, a box's top); the thin slab of points just above each level, over
its footprint, is cut away, and the pieces whose bottom sits on that slab and whose footprint is wide enough
become separate objects (boxes on a shelf, on a pallet, on each other). The rest (posts, legs, the support
itself) stays one object; cut points go back to the nearest piece.
"""

from __future__ import annotations

import numpy as np
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree


def components(points: np.ndarray, eps: float) -> np.ndarray:
    """(N,) component label of each point of the radius graph with radius ``eps`` m."""
    if len(points) == 0:
        return np.zeros(0, dtype=int)
    pairs = cKDTree(points).query_pairs(eps, output_type="ndarray")
    from scipy.sparse import coo_matrix

    graph = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(len(points), len(points)))
    return connected_components(graph, directed=False)[1]


def support_levels(points: np.ndarray, normals: np.ndarray, voxel: float, min_area: float) -> list[tuple[float, np.ndarray]]:
    """Heights (m) of upward-facing patches of at least ``min_area`` m^2, with their points' xy (K, 2)."""
    up = np.abs(normals[:, 2]) > 0.9  # estimated normals are unoriented; scans rarely see undersides
    if not up.any():
        return []
    z = points[up, 2]
    bins = np.round(z / voxel).astype(int)
    levels = []
    values, counts = np.unique(bins, return_counts=True)
    for b in values[np.argsort(-counts)]:  # densest first, so a patch's own level wins over its fringe
        members = (bins >= b - 1) & (bins <= b + 1)
        if (bins == b).sum() * voxel**2 < min_area / 3 or members.sum() * voxel**2 < min_area:
            continue
        if any(abs(h - b * voxel) <= 3 * voxel for h, _ in levels):
            continue
        levels.append((float(np.median(z[members])), points[up][members, :2]))
    return levels


def _over(xy: np.ndarray, footprint: np.ndarray, cell: float, dilate: int = 5) -> np.ndarray:
    """Which (N, 2) ``xy`` lie over a support patch: inside the convex hull of its points (parts hidden under
    objects included) or within ``dilate`` cells of one."""
    inside = np.zeros(len(xy), dtype=bool)
    if len(footprint) >= 3:
        from scipy.spatial import Delaunay, QhullError

        try:
            inside = Delaunay(footprint).find_simplex(xy) >= 0
        except QhullError:  # collinear footprint
            pass
    keys = set(map(tuple, np.floor(footprint / cell).astype(int)))
    grown = {(a + i, b + j) for a, b in keys for i in range(-dilate, dilate + 1) for j in range(-dilate, dilate + 1)}
    cells = np.floor(xy / cell).astype(int)
    return inside | np.array([tuple(c) in grown for c in cells], dtype=bool)


def split_on_supports(points: np.ndarray, normals: np.ndarray, *, voxel: float, eps: float,
                      slab: float = 0.04, min_support_area: float = 0.03, min_width: float = 0.1,
                      min_points: int = 30) -> list[tuple[np.ndarray, float | None]]:
    """Split one cluster into objects.

    Args:
        points: (N, 3) world-frame points of one cluster, m.
        normals: (N, 3) their normals.
        slab: Height of the slab cut above each support level, m (at least ``eps + 1.5 voxel``).
        min_width: Narrowest footprint a resting piece may have to count as an object, m.

    Returns:
        ``(indices, support_height)`` per object: indices into ``points``, and the height it rests on
        (None for the base piece, which rests on whatever is below the cluster).
    """
    slab = max(slab, eps + 1.5 * voxel)  # the cut must be wider than the connection radius
    levels = support_levels(points, normals, voxel, min_support_area)
    cut = np.zeros(len(points), dtype=bool)
    for height, footprint in levels:
        band = (points[:, 2] > height + voxel / 2) & (points[:, 2] <= height + slab)
        if band.any():
            idx = np.flatnonzero(band)
            cut[idx[_over(points[idx, :2], footprint, 2 * voxel)]] = True
    kept = np.flatnonzero(~cut)
    if len(kept) == 0 or not levels:
        return [(np.arange(len(points)), None)]
    labels = components(points[kept], eps)
    pieces: list[tuple[np.ndarray, float | None]] = []
    base: list[np.ndarray] = []
    for label in np.unique(labels):
        idx = kept[labels == label]
        bottom = float(np.percentile(points[idx, 2], 2))
        resting = [h for h, _ in levels if h + slab - 2 * voxel <= bottom <= h + slab + 3 * voxel]
        xy = points[idx, :2]
        width = _min_width(xy)
        if resting and width >= min_width and len(idx) >= min_points and _walled(points[idx], voxel):
            pieces.append((idx, max(resting)))
        else:
            base.append(idx)
    if base:
        pieces.insert(0, (np.concatenate(base), None))
    if len(pieces) == 1:
        return [(np.arange(len(points)), pieces[0][1])]
    # cut points under a resting piece's own points (its lower sides, judged in xy: in 3D the support below
    # is nearer) go to that piece; the others to the nearest piece (posts and boards to the base)
    owner = np.concatenate([np.full(len(idx), i) for i, (idx, _) in enumerate(pieces)])
    tree = cKDTree(points[np.concatenate([idx for idx, _ in pieces])])
    cut_idx = np.flatnonzero(cut)
    nearest = owner[tree.query(points[cut_idx])[1]]
    best_gap = np.full(len(cut_idx), np.inf)
    for i, (idx, support) in enumerate(pieces):
        if support is None:
            continue
        gap = cKDTree(points[idx, :2]).query(points[cut_idx, :2])[0]
        z = points[cut_idx, 2]
        under = (gap <= 1.5 * voxel) & (gap < best_gap) & (z > support) & (z <= points[idx, 2].min() + voxel)
        nearest[under], best_gap[under] = i, gap[under]
    if base:
        resting_elsewhere = np.isinf(best_gap) & np.array([pieces[j][1] is not None for j in nearest], dtype=bool)
        nearest[resting_elsewhere] = 0
    return [(np.concatenate([idx, cut_idx[nearest == i]]), h) for i, (idx, h) in enumerate(pieces)]


def _walled(points: np.ndarray, voxel: float, min_ratio: float = 0.3) -> bool:
    """Whether a piece stands on sides around its footprint (a box, a tote) rather than on a few posts (the
    upper part of a shelving unit): the cells its lowest 5 cm occupy, against its footprint's perimeter."""
    bottom = points[:, 2] <= np.percentile(points[:, 2], 2) + 0.05
    cell = 2 * voxel
    occupied = len(set(map(tuple, np.floor(points[bottom, :2] / cell).astype(int))))
    lo, hi = np.percentile(points[:, :2], 2, axis=0), np.percentile(points[:, :2], 98, axis=0)
    perimeter = 2 * float((hi - lo).sum()) / cell
    return occupied >= min_ratio * perimeter


def _min_width(xy: np.ndarray) -> float:
    """The narrowest extent of the points' footprint over 18 directions, m."""
    if len(xy) < 3:
        return 0.0
    angles = np.radians(np.arange(0, 180, 10))
    dirs = np.stack([np.cos(angles), np.sin(angles)], axis=1)
    proj = xy @ dirs.T
    return float((np.percentile(proj, 98, axis=0) - np.percentile(proj, 2, axis=0)).min())
