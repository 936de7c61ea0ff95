"""Shelf / pallet rack: four steel uprights with N boards (or decks), bolted to the floor (static).

Small values give a shelving unit, large ones a pallet rack bay; boards are evenly spaced from ``first_board``
up to just under the top.
"""

from __future__ import annotations

from asset_gen.materials import GALVANISED, MDF, RACK_BLUE, RACK_ORANGE, STEEL_DENSITY
from asset_gen.parts import root_body, square_tube_mass
from asset_gen.schema import Param, Schema
from twin.shapes import Box

NAME = "shelf"
DESCRIPTION = "steel shelving unit or pallet rack bay with N boards, static (bolted)"

SCHEMA = Schema((
    Param("width", 0.80, 2.70, 1.20, "m", "width along y"),
    Param("depth", 0.30, 1.10, 0.50, "m", "depth along x"),
    Param("height", 1.20, 3.00, 1.80, "m", "upright height"),
    Param("boards", 2, 6, 4, "", "number of boards", integer=True),
    Param("post", 0.035, 0.09, 0.05, "m", "upright section"),
    Param("board", 0.018, 0.04, 0.025, "m", "board thickness"),
    Param("first_board", 0.08, 0.30, 0.15, "m", "height of the lowest board's top"),
))

POST_WALL = 0.002
"""Upright wall thickness (cold-formed steel section), m."""


def build(scene, name, p, rng, *, pos=(0.0, 0.0, 0.0), quat=(1.0, 0.0, 0.0, 0.0)):
    """Add a shelf called ``name`` standing at ``pos``; returns its root body (welded to the world)."""
    body = root_body(scene, name, pos=pos, quat=quat, free=False)
    frame = (RACK_ORANGE, RACK_BLUE, GALVANISED)[int(rng.integers(3))]
    w, d, h, s, t = p.width, p.depth, p.height, p.post, p.board
    for i, (sx, sy) in enumerate([(-1, -1), (-1, 1), (1, -1), (1, 1)]):
        scene.add_geom(body, Box((s, s, h)), name=f"{name}_post_{i}",
                       pos=(sx * (d - s) / 2, sy * (w - s) / 2, h / 2), material=frame,
                       mass=square_tube_mass(s, h, POST_WALL, STEEL_DENSITY))
    n = int(p.boards)
    top = h - t  # the highest board's top sits one board under the upright tops
    step = (top - p.first_board) / max(1, n - 1)
    for k in range(n):
        z = p.first_board + k * step - t / 2
        scene.add_geom(body, Box((d - 2 * s, w, t)), name=f"{name}_board_{k}", pos=(0.0, 0.0, z), material=MDF)
    return body
