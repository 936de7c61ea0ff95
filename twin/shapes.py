"""Collision shapes a scene is built from, as frozen, self-validating dataclasses.

All lengths are in metres. ``Box.size`` holds full extents (as ``twin.json`` does); MuJoCo's half-sizes are
derived when the shape is added to a scene.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from twin.errors import ModelError


def _positive(owner: str, **values: float) -> None:
    for name, value in values.items():
        if not np.isfinite(value) or value <= 0:
            raise ModelError(f"{owner}.{name} must be a positive finite number of metres, got {value!r}")


@dataclass(frozen=True)
class Box:
    """An axis-aligned box in its own frame.

    Args:
        size: Full extents (x, y, z) in m.
    """

    size: tuple[float, float, float]

    def __post_init__(self) -> None:
        object.__setattr__(self, "size", tuple(float(s) for s in self.size))
        if len(self.size) != 3:
            raise ModelError(f"Box.size needs 3 extents (x, y, z), got {len(self.size)}")
        _positive("Box", x=self.size[0], y=self.size[1], z=self.size[2])


@dataclass(frozen=True)
class Sphere:
    """A sphere. ``radius`` in m."""

    radius: float

    def __post_init__(self) -> None:
        _positive("Sphere", radius=self.radius)


@dataclass(frozen=True)
class Cylinder:
    """A cylinder along its local z axis. ``radius`` and full ``height`` in m."""

    radius: float
    height: float

    def __post_init__(self) -> None:
        _positive("Cylinder", radius=self.radius, height=self.height)


@dataclass(frozen=True)
class Capsule:
    """A capsule along its local z axis. ``radius`` and the cylinder part's full ``length`` in m."""

    radius: float
    length: float

    def __post_init__(self) -> None:
        _positive("Capsule", radius=self.radius, length=self.length)


@dataclass(frozen=True, eq=False)
class Mesh:
    """A triangle mesh in its own frame.

    MuJoCo collides a single mesh as its convex hull: give a non-convex object (an open bin) as several
    convex parts. Inertia is always computed exactly (``inertia="exact"``), or as a thin shell when
    ``shell`` is set (sheet-metal parts whose mass sits in the surface).

    Args:
        name: Asset name, unique within a scene; also the file name under ``meshes/``.
        vertices: (V, 3) float array in m.
        faces: (F, 3) int array of vertex indices, counter-clockwise seen from outside.
        shell: Compute inertia as a thin shell instead of a solid.
    """

    name: str
    vertices: np.ndarray
    faces: np.ndarray
    shell: bool = field(default=False)

    def __post_init__(self) -> None:
        vertices = np.asarray(self.vertices, dtype=np.float64)
        faces = np.asarray(self.faces, dtype=np.int64)
        if vertices.ndim != 2 or vertices.shape[1] != 3 or len(vertices) < 4:
            raise ModelError(f"Mesh '{self.name}': vertices must be (V>=4, 3), got shape {vertices.shape}")
        if faces.ndim != 2 or faces.shape[1] != 3 or len(faces) < 4:
            raise ModelError(f"Mesh '{self.name}': faces must be (F>=4, 3), got shape {faces.shape}")
        if not np.isfinite(vertices).all():
            raise ModelError(f"Mesh '{self.name}': vertices contain NaN or infinity")
        if faces.min() < 0 or faces.max() >= len(vertices):
            raise ModelError(
                f"Mesh '{self.name}': face indices must lie in [0, {len(vertices) - 1}], "
                f"got [{faces.min()}, {faces.max()}]"
            )
        vertices.setflags(write=False)
        faces.setflags(write=False)
        object.__setattr__(self, "vertices", vertices)
        object.__setattr__(self, "faces", faces)


Shape = Box | Sphere | Cylinder | Capsule | Mesh
