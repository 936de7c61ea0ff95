"""Thin-walled bin: an open storage bin whose four walls flare outwards, decomposed into convex boxes.

A single mesh would collide as its convex hull (a solid block); here the bottom and each (tilted) wall are
separate boxes in one free body. Walls are ``COLLIDER`` thick; mass follows the real ``wall`` thickness.
"""

from __future__ import annotations

import math

from asset_gen.materials import HDPE
from asset_gen.parts import root_body, sheet_mass
from asset_gen.schema import Param, Schema
from twin.shapes import Box
from twin.transforms import quat_from_axis_angle

NAME = "bin"
DESCRIPTION = "open thin-walled bin with flared walls (decomposed box colliders), free body"
COLLIDER = 0.01
"""Modelled wall thickness, m."""

SCHEMA = Schema((
    Param("length", 0.30, 0.90, 0.50, "m", "top outer length along x"),
    Param("width", 0.25, 0.70, 0.40, "m", "top outer width along y"),
    Param("height", 0.20, 0.60, 0.35, "m", "outer height"),
    Param("flare", 0.0, 0.25, 0.10, "rad", "outward tilt of the walls (limited so the bottom keeps half the top)"),
    Param("wall", 0.002, 0.004, 0.003, "m", "real wall thickness (sets the mass)"),
))


def build(scene, name, p, rng, *, pos=(0.0, 0.0, 0.0), quat=(1.0, 0.0, 0.0, 0.0)):
    """Add a bin called ``name`` standing at ``pos``; returns its free root body."""
    body = root_body(scene, name, pos=pos, quat=quat, free=True)
    t, h = COLLIDER, p.height
    a = min(p.flare, math.atan(0.25 * min(p.length, p.width) / h))
    slant = (h - t * math.sin(a)) / math.cos(a)  # wall length so its vertical extent is h
    inset = h * math.tan(a)  # the bottom is this much smaller than the top on each side
    half_bottom = (p.length / 2 - inset, p.width / 2 - inset)

    def add(label, size, at, rot=(1.0, 0.0, 0.0, 0.0)):
        scene.add_geom(body, Box(size), name=f"{name}_{label}", pos=at, quat=rot, material=HDPE,
                       mass=sheet_mass(size, p.wall, HDPE.density))

    add("bottom", (2 * half_bottom[0], 2 * half_bottom[1], t), (0.0, 0.0, t / 2))
    # Each wall's outer bottom edge sits on the floor at the bottom's edge; the wall leans out by ``a``.
    off = slant / 2 * math.sin(a) - t / 2 * math.cos(a)
    z = slant / 2 * math.cos(a) + t / 2 * math.sin(a)
    for side in (-1, 1):
        rot = quat_from_axis_angle((0.0, 1.0, 0.0), side * a)
        add(f"wall_x{(side + 1) // 2}", (t, p.width, slant), (side * (half_bottom[0] + off), 0.0, z), rot)
        rot = quat_from_axis_angle((1.0, 0.0, 0.0), -side * a)
        add(f"wall_y{(side + 1) // 2}", (p.length - 2 * t, t, slant), (0.0, side * (half_bottom[1] + off), z), rot)
    return body
