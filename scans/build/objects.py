"""Objects: a collision shape, pose and mass for each segmented piece of the scan (world frame, z up).

Each piece gets a box oriented in yaw (the minimum-area rectangle of its footprint, from its support height
to its top), or a vertical cylinder when a circle fits its side points better and within ``2 * voxel``, or a
compound of boxes (shelving, tables), or, when none fits (side residual above ``max_residual``) or the piece
is an open container (a floor seen well below a rim walled on all four sides: a box would be solid), the
convex hull of its points, which :func:`decompose_object` then splits into convex parts with CoACD
(:mod:`scans.build.decompose`; the hull stays, with a warning, when CoACD fails or runs too long).
Mass is volume x density of the material (:mod:`scans.build.config`; a decomposed object's volume is that of
its closed height-field solid, not the parts' sum, which bulges); inertia is exact (MuJoCo computes it from
the shapes at that mass).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial import ConvexHull, QhullError

from scans.build.decompose import (
    DecompositionError,
    convex_part,
    decompose,
    height_field_solid,
)
from twin.shapes import Box, Cylinder, Mesh, Shape
from twin.transforms import yaw_quat


@dataclass(frozen=True, eq=False)
class FittedObject:
    """A fitted object.

    Args:
        name: Body name.
        shape: Its collider (Box, Cylinder or Mesh), in the body frame.
        position: (3,) body origin in the world, m (the shape's centre; a mesh's vertices are relative to it).
        yaw: Rotation about z, rad.
        volume: Shape volume, m^3.
        residual: RMS distance of the side points to the chosen primitive, m.
        points: How many scan points it was fitted on.
        parts: For a compound (shelving, tables, pallets): ``(Box, offset (3,), yaw)`` per part, the offset
            from ``position`` in the world frame; for a decomposition ``(Mesh, zeros(3), 0.0)`` per convex
            part; ``shape`` is then the largest part.
        surface: (N, 3) world points of a hull object, kept for :func:`decompose_object`; else None.
        orientation: (4,) body quaternion (w, x, y, z) in the world once settled (a slight tilt); None: the
            body is upright (turned by ``yaw`` for a single shape).
    """

    name: str
    shape: Shape
    position: np.ndarray
    yaw: float
    volume: float
    residual: float
    points: int
    parts: tuple = ()
    surface: np.ndarray | None = None
    orientation: tuple[float, float, float, float] | None = None

    @property
    def kind(self) -> str:
        """``box``, ``cylinder``, ``mesh`` (one convex hull), ``compound`` (boxes) or ``decomposed``."""
        if self.parts:
            return "decomposed" if isinstance(self.parts[0][0], Mesh) else "compound"
        return type(self.shape).__name__.lower()

    @property
    def bottom(self) -> float:
        """Lowest height of the collider, m."""
        return float(min(_z_range(shape, offset)[0] for shape, offset, _ in self.colliders()) + self.position[2])

    def body_quat(self) -> tuple[float, float, float, float]:
        """The body's orientation in the world (w, x, y, z)."""
        if self.orientation is not None:
            return self.orientation
        return yaw_quat(self.yaw) if not self.parts else (1.0, 0.0, 0.0, 0.0)

    def colliders(self) -> tuple:
        """``(shape, offset (3,), yaw)`` per geom (one for a single shape)."""
        return self.parts or ((self.shape, np.zeros(3), self.yaw),)


def shape_volume(shape: Shape) -> float:
    """Volume of a Box, Cylinder or convex Mesh, m^3."""
    if isinstance(shape, Box):
        return float(np.prod(shape.size))
    if isinstance(shape, Cylinder):
        return float(np.pi * shape.radius**2 * shape.height)
    if isinstance(shape, Mesh):
        return convex_part(shape.vertices)[2]
    raise TypeError(f"no volume for {type(shape).__name__}")


def _z_range(shape: Shape, offset: np.ndarray) -> tuple[float, float]:
    if isinstance(shape, Box):
        half = shape.size[2] / 2
    elif isinstance(shape, Cylinder):
        half = shape.height / 2
    else:
        return float(shape.vertices[:, 2].min() + offset[2]), float(shape.vertices[:, 2].max() + offset[2])
    return float(offset[2] - half), float(offset[2] + half)


def min_area_rectangle(xy: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """Centre (2,), full size (2,) and yaw (rad) of the smallest-area rectangle around (N, 2) points
    (2nd to 98th percentile extents, robust to stray points)."""
    try:
        hull = xy[ConvexHull(xy).vertices]
    except (QhullError, ValueError):
        hull = xy
    best = None
    edges = np.diff(np.vstack([hull, hull[:1]]), axis=0)
    for angle in np.unique(np.round(np.arctan2(edges[:, 1], edges[:, 0]) % (np.pi / 2), 4)):
        c, s = np.cos(angle), np.sin(angle)
        local = xy @ np.array([[c, -s], [s, c]])
        lo, hi = np.percentile(local, 2, axis=0), np.percentile(local, 98, axis=0)
        area = float(np.prod(hi - lo))
        if best is None or area < best[0]:
            best = (area, angle, lo, hi)
    _, angle, lo, hi = best
    c, s = np.cos(angle), np.sin(angle)
    centre = np.array([[c, -s], [s, c]]) @ ((lo + hi) / 2)
    return centre, hi - lo, float(angle)


def _box_residual(xy: np.ndarray, centre: np.ndarray, size: np.ndarray, yaw: float) -> float:
    c, s = np.cos(yaw), np.sin(yaw)
    local = np.abs((xy - centre) @ np.array([[c, -s], [s, c]]))
    d = np.minimum(np.abs(local[:, 0] - size[0] / 2), np.abs(local[:, 1] - size[1] / 2))
    return float(np.sqrt(np.mean(d**2)))


def _circle(xy: np.ndarray) -> tuple[np.ndarray, float, float]:
    a = np.column_stack([2 * xy, np.ones(len(xy))])
    sol = np.linalg.lstsq(a, (xy**2).sum(axis=1), rcond=None)[0]
    centre = sol[:2]
    radius = float(np.sqrt(max(sol[2] + centre @ centre, 1e-12)))
    return centre, radius, float(np.sqrt(np.mean((np.linalg.norm(xy - centre, axis=1) - radius) ** 2)))


def fit_object(name: str, points: np.ndarray, normals: np.ndarray, *, support: float, voxel: float,
               max_residual: float = 0.04) -> FittedObject:
    """Fit a collider to one object's (N, 3) world points resting at height ``support`` m.

    Args:
        normals: (N, 3); points with |n_z| < 0.5 are the sides the residuals are measured on.
        voxel: Point spacing, m (the cylinder's residual bar is 2 voxels).
        max_residual: Above this side residual (m) neither primitive fits and the hull is used.
    """
    top = float(np.percentile(points[:, 2], 99))
    bottom = min(support, float(np.percentile(points[:, 2], 1)))
    height = max(top - bottom, voxel)
    # the footprint leaves out the lowest 3 voxels: fusion rounds the corner between an object and its
    # support into a fillet that would widen the box
    above = points[:, 2] > bottom + 3 * voxel
    if above.sum() < 0.3 * len(points):
        above[:] = True
    skirt = _top_skirt(points, normals, top, voxel)
    if (above & ~skirt).sum() >= 0.3 * len(points):
        above &= ~skirt
    xy = points[above, :2]
    side = np.abs(normals[above, 2]) < 0.5
    sides = xy[side]
    centre, size, yaw = min_area_rectangle(xy)
    size = np.maximum(size, voxel)
    box_res = _box_residual(sides, centre, size, yaw) if len(sides) >= 10 else 0.0
    z_centre = bottom + height / 2
    if len(sides) >= 30 and not _faces_along(normals[above][side, :2]):
        c_centre, radius, c_res = _circle(sides)
        # the footprint of a cylinder is a square as wide as it
        fits_footprint = bool(np.all(np.abs(size - 2 * radius) <= max(2 * voxel, 0.15 * radius)))
        if c_res < box_res and c_res <= 2 * voxel and fits_footprint:
            return FittedObject(name, Cylinder(radius, height), np.array([*c_centre, z_centre]), 0.0,
                                float(np.pi * radius**2 * height), c_res, len(points))
    open_top = _open_container(points, normals, centre, size, yaw, top=top, bottom=bottom, voxel=voxel)
    # a hull keeps what faces up inside the footprint (a container's floor), not the skirt beyond it
    c, s = np.cos(yaw), np.sin(yaw)
    local = np.abs((points[:, :2] - centre) @ np.array([[c, -s], [s, c]]))
    solid = points[~(skirt & np.any(local > size / 2 + voxel, axis=1))]
    if open_top:  # a box would be solid: the hull goes on to convex decomposition
        return _hull_object(name, solid, bottom, box_res)
    if _has_shelf(points, normals, voxel, top):  # shelving: a box would swallow what stands on its shelves
        compound = fit_compound(name, points, normals, support=bottom, voxel=voxel, residual=box_res)
        if compound is not None:
            return compound
    if box_res <= max_residual:
        return FittedObject(name, Box((size[0], size[1], height)), np.array([*centre, z_centre]), yaw,
                            float(size[0] * size[1] * height), box_res, len(points))
    compound = fit_compound(name, points, normals, support=bottom, voxel=voxel, residual=box_res)
    return compound if compound is not None else _hull_object(name, solid, bottom, box_res)


def _faces_along(side_normals: np.ndarray, *, min_alignment: float = 0.35) -> bool:
    """Whether the horizontal (K, 2) normals of a piece's sides face a few directions 90 degrees apart (flat
    faces, as on a box) rather than all around (a curved side).

    A box seen on one or two faces only (in a rack, against a wall) leaves side points that a circle fits as
    well as a rectangle, but its normals cluster: the mean resultant length of the angles times four (the
    four faces' directions coincide) is near 1; a cylinder's normals spread over the arc seen, and over 65
    degrees or more of arc the length falls under 0.35.
    """
    angle = np.arctan2(side_normals[:, 1], side_normals[:, 0])
    return bool(np.abs(np.mean(np.exp(4j * angle))) >= min_alignment)


def _top_skirt(points: np.ndarray, normals: np.ndarray, top: float, voxel: float) -> np.ndarray:
    """(N,) which points are the TSDF skirt past a lid's edge: upward-facing (|n_z| > 0.7) yet more than half
    a voxel below the lid.

    Where a face is never seen (a box's back against a wall or a neighbour), the rays that hit the lid near
    that edge mark the space beyond it as behind the surface for up to the truncation distance (4 voxels),
    and the rays grazing past the edge mark it free: the zero crossing between them is a sloping surface
    that continues the lid outwards and downwards along the view rays (3-6 cm at 2 cm voxels). It would
    widen the footprint on that side; on a box nothing else faces up below its lid.
    """
    up = np.abs(normals[:, 2]) > 0.9
    lid = up & (points[:, 2] > top - 1.5 * voxel)
    if lid.sum() < 10:
        return np.zeros(len(points), dtype=bool)
    level = float(np.median(points[lid, 2]))
    return (np.abs(normals[:, 2]) > 0.7) & (points[:, 2] < level - voxel / 2)


def fit_compound(name: str, points: np.ndarray, normals: np.ndarray, *, support: float, voxel: float,
                 residual: float, board: float = 0.03) -> FittedObject | None:
    """Boxes for furniture-like objects: a board under each support level (a shelf, a table top, a pallet
    deck; ``board`` m thick) and a box per remaining connected part (legs, posts, blocks); None when the
    object has no support level (then a hull is used)."""
    from scans.build.segment import components, support_levels

    levels = [h for h, _ in support_levels(points, normals, voxel, 0.03) if h > support + board]
    if not levels:
        return None
    parts, used = [], np.zeros(len(points), dtype=bool)
    for h in levels:
        # fusion smears a thin board's underside about a voxel down: those points belong to the board, not to
        # a rail joining the posts under it
        band = (points[:, 2] >= h - board - 1.5 * voxel) & (points[:, 2] <= h + voxel)
        if band.sum() < 10:
            continue
        used |= band
        centre, size, yaw = min_area_rectangle(points[band, :2])
        parts.append((Box((*np.maximum(size, voxel), board)), np.array([*centre, h - board / 2]), yaw))
    rest = np.flatnonzero(~used)
    labels = components(points[rest], 2.5 * voxel) if len(rest) else np.zeros(0, int)
    for label in np.unique(labels):
        idx = rest[labels == label]
        if len(idx) < 10:
            continue
        p = points[idx]
        lo = float(np.percentile(p[:, 2], 1))
        lo = support if lo < support + max(0.05, 4 * voxel) else lo  # the floor's slab hides leg bottoms
        hi = float(np.percentile(p[:, 2], 99))
        centre, size, yaw = min_area_rectangle(p[:, :2])
        parts.append((Box((*np.maximum(size, voxel), max(hi - lo, voxel))), np.array([*centre, (lo + hi) / 2]), yaw))
    if not parts:
        return None
    parts = _reach_support(parts, support, voxel)
    origin = np.mean([c for _, c, _ in parts], axis=0)
    parts = tuple((b, c - origin, y) for b, c, y in parts)
    volume = float(sum(np.prod(b.size) for b, _, _ in parts))
    largest = max(parts, key=lambda part: np.prod(part[0].size))[0]
    return FittedObject(name, largest, origin, 0.0, volume, residual, len(points), parts)


def _reach_support(parts: list, support: float, voxel: float) -> list:
    """Parts ``(Box, centre (3,), yaw)`` of a compound standing on ``support`` m: when none reaches it (the
    blocks of a pallet or a rack's post feet lost in the fused fillet along the support, or hidden behind what
    stands around them), the lowest parts (within 2 voxels of the lowest bottom) are extended down to it: the
    object rests on its support, not in the air above it."""
    bottoms = np.array([c[2] - b.size[2] / 2 for b, c, _ in parts])
    lowest = float(bottoms.min())
    if lowest <= support + voxel:
        return parts
    out = []
    for (box, centre, yaw), bottom in zip(parts, bottoms):
        if bottom <= lowest + 2 * voxel:
            top = centre[2] + box.size[2] / 2
            box, centre = Box((box.size[0], box.size[1], top - support)), np.array([*centre[:2], (top + support) / 2])
        out.append((box, centre, yaw))
    return out


def _has_shelf(points: np.ndarray, normals: np.ndarray, voxel: float, top: float, *, clearance: float = 0.15,
               min_area: float = 0.1) -> bool:
    """Whether an upward-facing patch of ``min_area`` m^2 lies ``clearance`` m or more below the top."""
    from scans.build.segment import support_levels

    return any(h < top - clearance and len(xy) * voxel**2 >= min_area
               for h, xy in support_levels(points, normals, voxel, min_area))


def _open_container(points: np.ndarray, normals: np.ndarray, centre: np.ndarray, size: np.ndarray, yaw: float, *,
                    top: float, bottom: float, voxel: float, min_depth: float = 0.06,
                    min_cavity: float = 0.15, min_wall: float = 0.6) -> bool:
    """Whether a piece is an open container (bin, tote, crate): surface seen inside its footprint (an inner
    floor or inner walls) at least ``min_depth`` m and a third of its height below the top, over
    ``min_cavity`` of the inner footprint (a closed box shows only its lid there), and each of the four sides
    of its footprint rectangle walled along ``min_wall`` of its length (shelving and tables have open sides)."""
    height = top - bottom
    depth = max(min_depth, height / 3)
    if height < 2 * depth or min(size) < 8 * voxel:
        return False
    c, s = np.cos(yaw), np.sin(yaw)
    local = (points[:, :2] - centre) @ np.array([[c, -s], [s, c]])
    half = size / 2
    inner = np.all(np.abs(local) < half - 2 * voxel, axis=1)
    cavity = inner & (points[:, 2] < top - depth)
    cells = {tuple(k) for k in np.floor(local[cavity] / voxel).astype(int)}
    if len(cells) * voxel**2 < min_cavity * float(np.prod(size - 4 * voxel)):
        return False
    wall = ~inner & (points[:, 2] > top - depth)
    for axis in range(2):
        for sign in (-1, 1):
            side = wall & (sign * local[:, axis] > half[axis] - 3 * voxel)
            along = local[side, 1 - axis]
            bins = np.unique(np.floor((along + half[1 - axis]) / (2 * voxel)).astype(int))
            if len(bins) * 2 * voxel < min_wall * size[1 - axis]:
                return False
    return True


CONVEX_ENOUGH = 0.85
"""An object whose solid fills at least this fraction of its convex hull keeps the hull (no decomposition):
a closed box or a drum seen from outside; an open bin or a table seen from below needs the parts."""


def decompose_object(obj: FittedObject, *, cell: float, max_hulls: int, threshold: float, seed: int,
                     timeout: float) -> tuple[FittedObject, float]:
    """An object with its hull replaced by CoACD's convex parts of its height-field solid, and CoACD's seconds;
    the object itself and 0 when the solid is convex enough (:data:`CONVEX_ENOUGH`).

    The parts keep the body frame of the hull (vertices relative to ``position``); the volume becomes the
    solid's (the mass follows it).

    Raises:
        DecompositionError: the object has no kept surface points, or CoACD failed (keep the hull then).
    """
    if obj.surface is None:
        raise DecompositionError(f"{obj.name} has no surface points to decompose")
    extent = float(np.ptp(obj.surface, axis=0).max())
    # at most ~40 columns across: CoACD's time grows with the surface's size, not with the object's
    solid = height_field_solid(obj.surface, support=obj.bottom, cell=max(cell, extent / 40))
    hull_volume = convex_part(solid.vertices)[2]
    if solid.volume >= CONVEX_ENOUGH * hull_volume:  # nothing concave to split: the hull is the collider
        return obj, 0.0
    result = decompose(solid, max_hulls=max_hulls, threshold=threshold, seed=seed, timeout=timeout)
    parts = tuple((Mesh(f"{obj.name}_part{i}", vertices - obj.position, faces), np.zeros(3), 0.0)
                  for i, (vertices, faces) in enumerate(result.parts))
    largest = parts[int(np.argmax(result.volumes))][0]
    return (FittedObject(obj.name, largest, obj.position, 0.0, solid.volume, obj.residual, obj.points, parts),
            result.seconds)


def _hull_object(name: str, points: np.ndarray, bottom: float, residual: float) -> FittedObject:
    # close the hull down to the support: add the footprint at the support height
    base = points.copy()
    base[:, 2] = bottom
    cloud = np.vstack([points, base])
    hull = ConvexHull(cloud)
    lo, hi = cloud.min(axis=0), cloud.max(axis=0)
    centre = (lo + hi) / 2
    used = np.unique(hull.simplices)
    remap = np.full(len(cloud), -1)
    remap[used] = np.arange(len(used))
    faces = remap[hull.simplices]
    vertices = cloud[used] - centre
    # orient faces outwards (qhull's simplices are unordered)
    normals = np.cross(vertices[faces[:, 1]] - vertices[faces[:, 0]], vertices[faces[:, 2]] - vertices[faces[:, 0]])
    outward = np.einsum("ij,ij->i", normals, vertices[faces].mean(axis=1) - vertices.mean(axis=0)) < 0
    faces[outward] = faces[outward][:, ::-1]
    return FittedObject(name, Mesh(f"{name}_hull", vertices, faces), centre, 0.0, float(hull.volume), residual,
                        len(points), surface=points)
