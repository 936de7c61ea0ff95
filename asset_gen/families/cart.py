"""Cart with wheels: a shelf trolley (free body) on two fixed rear wheels and two swivel castors.

Every wheel spins on a hinge about its axle; each front castor's fork swivels on a vertical hinge (a separate
body, since one body carries at most one joint in USD). Wheels touch the floor at the root frame's z = 0.
"""

from __future__ import annotations

import math

from asset_gen.materials import POLYPROPYLENE, STEEL, STEEL_DENSITY, WHEEL_RUBBER
from asset_gen.parts import root_body, round_tube_mass, sheet_mass
from asset_gen.schema import Param, Schema
from twin.shapes import Box, Cylinder
from twin.transforms import quat_from_axis_angle

NAME = "cart"
DESCRIPTION = "shelf cart / trolley with two fixed wheels and two swivel castors (hinges), free body"

SCHEMA = Schema((
    Param("length", 0.60, 1.20, 0.90, "m", "deck length along x (the push handle is at -x)"),
    Param("width", 0.40, 0.80, 0.60, "m", "deck width along y"),
    Param("decks", 1, 3, 2, "", "number of decks", integer=True),
    Param("top", 0.60, 1.00, 0.85, "m", "height of the top deck's surface"),
    Param("wheel_radius", 0.04, 0.10, 0.0625, "m", "wheel radius"),
    Param("wheel_width", 0.025, 0.05, 0.032, "m", "wheel width"),
    Param("handle", 0.9, 1.1, 1.0, "m", "push handle height"),
))

DECK = 0.03
"""Deck thickness (moulded polypropylene, modelled solid, 4 mm skin mass), m."""
FORK = 0.012
"""Clearance between a wheel and the body above it, m."""


def build(scene, name, p, rng, *, pos=(0.0, 0.0, 0.0), quat=(1.0, 0.0, 0.0, 0.0)):
    """Add a cart called ``name`` standing at ``pos``; returns its free root body."""
    body = root_body(scene, name, pos=pos, quat=quat, free=True)
    r, ww, L, W = p.wheel_radius, p.wheel_width, p.length, p.width
    mount = 2 * r + FORK + 0.02  # underside of the lowest deck: wheel, clearance, castor plate
    lowest = mount + DECK
    top = max(p.top, lowest + 0.05)
    n = int(p.decks)
    heights = [top] if n == 1 else [lowest + k * (top - lowest) / (n - 1) for k in range(n)]
    for k, z_top in enumerate(heights):
        size = (L, W, DECK)
        scene.add_geom(body, Box(size), name=f"{name}_deck_{k}", pos=(0, 0, z_top - DECK / 2), material=POLYPROPYLENE,
                       mass=2 * sheet_mass(size, 0.004, POLYPROPYLENE.density))
    post, post_h = 0.025, top - mount
    for i, (sx, sy) in enumerate([(-1, -1), (-1, 1), (1, -1), (1, 1)]):
        scene.add_geom(body, Box((post, post, post_h)), name=f"{name}_post_{i}", material=STEEL,
                       pos=(sx * (L / 2 - post / 2), sy * (W / 2 - post / 2), mount + post_h / 2),
                       mass=round_tube_mass(post, post_h, 0.0015, STEEL_DENSITY))
    handle_h = max(p.handle, top + 0.1) - top
    for s, y in (("l", -W / 2 + 0.0125), ("r", W / 2 - 0.0125)):
        scene.add_geom(body, Box((0.025, 0.025, handle_h)), name=f"{name}_handle_{s}", material=STEEL, mass=0.5,
                       pos=(-L / 2 - 0.0125, y, top + handle_h / 2))
    scene.add_geom(body, Box((0.025, W, 0.025)), name=f"{name}_handle_bar", material=STEEL, mass=0.6,
                   pos=(-L / 2 - 0.0125, 0, top + handle_h - 0.0125))
    along_y = quat_from_axis_angle((1.0, 0.0, 0.0), math.pi / 2)
    wheel_mass = math.pi * r * r * ww * WHEEL_RUBBER.density * 0.7  # a hub with spokes, not solid rubber
    inset_x, inset_y = L / 2 - r - 0.02, W / 2 - ww / 2 - 0.03
    for i, (sx, sy) in enumerate([(-1, -1), (-1, 1), (1, -1), (1, 1)]):
        at = (sx * inset_x, sy * inset_y)
        parent, wheel_pos = body, (at[0], at[1], r)
        if sx > 0:  # front castor: a fork swivelling about z; the wheel trails the swivel axis by ``trail``
            trail = 0.3 * r
            fork = scene.add_body(f"{name}_castor_{i}", parent=body, pos=(at[0] + trail, at[1], mount))
            scene.add_geom(fork, Box((0.04, ww + 0.02, 0.01)), name=f"{name}_castor_plate_{i}", material=STEEL,
                           mass=0.3, pos=(0, 0, 0.005))
            scene.add_hinge(fork, f"{name}_swivel_{i}", axis=(0, 0, 1), damping=0.02, frictionloss=0.02)
            parent, wheel_pos = fork, (-trail, 0.0, r - mount)
        wheel = scene.add_body(f"{name}_wheel_{i}", parent=parent, pos=wheel_pos)
        scene.add_geom(wheel, Cylinder(r, ww), name=f"{name}_wheel_{i}", quat=along_y, material=WHEEL_RUBBER,
                       mass=wheel_mass)
        scene.add_hinge(wheel, f"{name}_wheel_{i}", axis=(0, 1, 0), damping=0.01, frictionloss=0.01)
    return body
