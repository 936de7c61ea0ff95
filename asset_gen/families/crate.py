"""Crate / tote: an open plastic box whose bottom and four walls are thin boxes in one free body.

A single mesh would collide as a solid block (MuJoCo uses its convex hull), so the open box is five convex
parts. Walls are modelled ``COLLIDER`` thick; their mass is that of the real wall thickness ``wall``.
"""

from __future__ import annotations

from asset_gen.materials import POLYPROPYLENE
from asset_gen.parts import root_body, sheet_mass
from asset_gen.schema import Param, Schema
from twin.shapes import Box

NAME = "crate"
DESCRIPTION = "open plastic crate / tote: thin-walled box, free body"
COLLIDER = 0.01
"""Modelled wall thickness, m (contacts stay robust; the mass follows ``wall``)."""

SCHEMA = Schema((
    Param("length", 0.30, 0.80, 0.60, "m", "outer length along x"),
    Param("width", 0.20, 0.60, 0.40, "m", "outer width along y"),
    Param("height", 0.10, 0.45, 0.25, "m", "outer height"),
    Param("wall", 0.002, 0.005, 0.0035, "m", "real wall thickness (sets the mass)"),
))


def build(scene, name, p, rng, *, pos=(0.0, 0.0, 0.0), quat=(1.0, 0.0, 0.0, 0.0)):
    """Add a crate called ``name`` standing at ``pos``; returns its free root body."""
    body = root_body(scene, name, pos=pos, quat=quat, free=True)
    length, width, height, t = p.length, p.width, p.height, COLLIDER
    parts = {
        "bottom": ((length, width, t), (0.0, 0.0, t / 2)),
        "wall_x0": ((t, width, height - t), (-length / 2 + t / 2, 0.0, t + (height - t) / 2)),
        "wall_x1": ((t, width, height - t), (length / 2 - t / 2, 0.0, t + (height - t) / 2)),
        "wall_y0": ((length - 2 * t, t, height - t), (0.0, -width / 2 + t / 2, t + (height - t) / 2)),
        "wall_y1": ((length - 2 * t, t, height - t), (0.0, width / 2 - t / 2, t + (height - t) / 2)),
    }
    for part, (size, at) in parts.items():
        scene.add_geom(body, Box(size), name=f"{name}_{part}", pos=at, material=POLYPROPYLENE,
                       mass=sheet_mass(size, p.wall, POLYPROPYLENE.density))
    return body
