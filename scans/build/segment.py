"""Segmentation: cluster the non-structure points into objects and split objects resting on others.

Clusters are connected components of a radius graph (``eps`` m). Inside a cluster, upward-facing patches are
support levels (a shelf, a pallet's deck, a box's top); the thin slab of points just above each level, over
its footprint, is cut away, and the pieces whose bottom sits on that slab and whose footprint is wide enough
become separate objects (boxes on a shelf, on a pallet, on each other). The rest (posts, legs, the support
itself) stays one object; cut points go back to the nearest piece, and fragments too small to be objects
(a box's side seen alone) go to the resting piece they touch.

Before that, :func:`attach_hanging` joins a cluster that does not reach the floor to the cluster under it:
a scan leaves gaps in thin posts and shelves, which would cut the upper part of a rack (and what stands on
it) loose from the lower part.
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


def attach_hanging(points: np.ndarray, labels: np.ndarray, *, cell: float = 0.05, floor_gap: float = 0.1,
                   gap: float = 0.3) -> np.ndarray:
    """Relabel so that each cluster not reaching the floor joins the cluster below it.

    A cluster hangs when its lowest points (1st percentile) are ``floor_gap`` m or more above the floor
    (z = 0). It joins the cluster sharing most of its footprint cells (``cell`` m, grown by one cell) that
    comes within ``gap`` m below it there: the lower part of a rack under its upper part, a shelf under a box
    whose board was not seen. Clusters hanging over nothing (pipes, ducts) keep their label.

    Args:
        points: (N, 3) world points (z up), m.
        labels: (N,) cluster label per point.

    Returns:
        (N,) labels, merged clusters taking the label of the one they join.
    """
    if len(points) == 0:
        return labels
    ids, inverse = np.unique(labels, return_inverse=True)
    keys = np.floor(points[:, :2] / cell).astype(np.int64)
    # per (cluster, cell): lowest and highest z
    table = np.column_stack([inverse, keys])
    groups, at = np.unique(table, axis=0, return_inverse=True)
    at = at.ravel()
    low = np.full(len(groups), np.inf)
    high = np.full(len(groups), -np.inf)
    np.minimum.at(low, at, points[:, 2])
    np.maximum.at(high, at, points[:, 2])
    cells: dict[tuple[int, int], list[tuple[int, float, float]]] = {}
    own: dict[int, list[tuple[int, int, float]]] = {}
    for (c, x, y), lo, hi in zip(groups.tolist(), low, high):
        cells.setdefault((x, y), []).append((c, lo, hi))
        own.setdefault(c, []).append((x, y, lo))
    bottom = np.array([np.percentile(points[inverse == c, 2], 1) for c in range(len(ids))])
    parent = np.arange(len(ids))

    def root(c: int) -> int:
        while parent[c] != c:
            parent[c] = parent[parent[c]]
            c = parent[c]
        return c

    for c in np.argsort(bottom):  # lowest first, so chains (post fragments, upper rack) end on the floor
        if bottom[c] < floor_gap:
            continue
        votes: dict[int, int] = {}
        for x, y, lo in own[int(c)]:
            below = set()
            for dx in (-1, 0, 1):
                for dy in (-1, 0, 1):
                    for other, olo, ohi in cells.get((x + dx, y + dy), ()):
                        if other != c and olo < lo and ohi >= lo - gap:
                            below.add(other)
            for other in below:
                votes[other] = votes.get(other, 0) + 1
        if votes:
            best = max(votes, key=lambda o: (votes[o], -bottom[o]))
            a, b = root(int(c)), root(int(best))
            if a != b:
                parent[a] = b
    return ids[np.array([root(c) for c in range(len(ids))])][inverse]


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
                      slab: float = 0.04, min_support_area: float = 0.01, min_width: float = 0.1,
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
            footprint = _cross_section(points, height, footprint, voxel, eps)
            cut[idx[_over(points[idx, :2], footprint, 2 * voxel)]] = True
    kept = np.flatnonzero(~cut)
    if len(kept) == 0 or not levels:
        return [(np.arange(len(points)), None)]
    labels = components(points[kept], eps)
    pieces: list[tuple[np.ndarray, float | None]] = []
    base: list[np.ndarray] = []
    fragments: list[np.ndarray] = []
    for label in np.unique(labels):
        idx = kept[labels == label]
        bottom = float(np.percentile(points[idx, 2], 2))
        resting = [h for h, _ in levels if h + slab - 2 * voxel <= bottom <= h + slab + 3 * voxel]
        xy = points[idx, :2]
        width = _min_width(xy)
        if resting and width >= min_width and len(idx) >= min_points and _walled(points[idx], voxel):
            pieces.append((idx, max(resting)))
        elif resting and (width < min_width or len(idx) < min_points):
            fragments.append(idx)
        else:
            base.append(idx)
    if pieces and fragments:  # a side or corner of a resting piece, cut loose by the gap beside it
        tree = cKDTree(points[np.concatenate([idx for idx, _ in pieces])])
        owner = np.concatenate([np.full(len(idx), i) for i, (idx, _) in enumerate(pieces)])
        for idx in fragments:
            gap, near = tree.query(points[idx])
            if gap.min() <= 2 * eps:
                i = owner[near[np.argmin(gap)]]
                pieces[i] = (np.concatenate([pieces[i][0], idx]), pieces[i][1])
            else:
                base.append(idx)
    else:
        base.extend(fragments)
    if base:
        pieces.insert(0, (np.concatenate(base), None))
    if len(pieces) == 1:
        return [(np.arange(len(points)), pieces[0][1])]
    # cut points beside a resting piece's own points, judged in xy and within its height (its lower sides,
    # or its sides where a neighbour's support cut them: in 3D the support below is nearer), go to that piece;
    # the others to the nearest piece (posts and boards to the base)
    owner = np.concatenate([np.full(len(idx), i) for i, (idx, _) in enumerate(pieces)])
    tree = cKDTree(points[np.concatenate([idx for idx, _ in pieces])])
    cut_idx = np.flatnonzero(cut)
    nearest = owner[tree.query(points[cut_idx])[1]]
    best_gap = np.full(len(cut_idx), np.inf)
    over_nearest = np.zeros(len(cut_idx), dtype=bool)
    z = points[cut_idx, 2]
    for i, (idx, support) in enumerate(pieces):
        if support is None:
            continue
        gap = cKDTree(points[idx, :2]).query(points[cut_idx, :2])[0]
        mine = np.flatnonzero(nearest == i)
        over_nearest[mine] = _over(points[cut_idx[mine], :2], points[idx, :2], voxel, dilate=1)
        under = (gap <= 1.5 * voxel) & (gap < best_gap) & (z > support) & (z <= points[idx, 2].max())
        nearest[under], best_gap[under] = i, gap[under]
    if base:
        # cut points nearest a resting piece but off its footprint (a post or board beside a box) go to the
        # base; over its footprint they are its own top (a lid cut by the slab of a neighbour's level a few
        # centimetres lower, both lids being one support level)
        resting_elsewhere = np.isinf(best_gap) & ~over_nearest & np.array([pieces[j][1] is not None for j in nearest],
                                                                           dtype=bool)
        nearest[resting_elsewhere] = 0
    return [(np.concatenate([idx, cut_idx[nearest == i]]), h) for i, (idx, h) in enumerate(pieces)]


def _cross_section(points: np.ndarray, height: float, patch: np.ndarray, voxel: float, eps: float) -> np.ndarray:
    """The xy (K, 2) of the support's whole cross-section at ``height``: the points within a couple of voxels
    of that height connected to its upward-facing ``patch`` (its rims and sides, and the bottom of what stands
    on it), so that a support mostly covered by what rests on it (a box under a box) still spans it."""
    near = np.flatnonzero(np.abs(points[:, 2] - height) <= 2 * voxel)
    if len(near) == 0:
        return patch
    labels = components(points[near, :2], eps)
    tree = cKDTree(points[near, :2])
    hits = np.unique(labels[tree.query(patch)[1]])
    return np.vstack([patch, points[near[np.isin(labels, hits)], :2]])


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
