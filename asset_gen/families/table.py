"""Table / workbench: a top on four square-tube legs, optionally with a lower shelf; free body."""

from __future__ import annotations

from asset_gen.materials import MDF, STEEL, STEEL_DENSITY
from asset_gen.parts import root_body, square_tube_mass
from asset_gen.schema import Param, Schema
from twin.shapes import Box

NAME = "table"
DESCRIPTION = "table / workbench: wooden top on steel tube legs, optional lower shelf, free body"

SCHEMA = Schema((
    Param("length", 0.80, 2.40, 1.40, "m", "top length along x"),
    Param("width", 0.50, 1.00, 0.70, "m", "top width along y"),
    Param("height", 0.70, 1.05, 0.90, "m", "height of the top surface"),
    Param("top", 0.025, 0.06, 0.04, "m", "top thickness"),
    Param("leg", 0.04, 0.08, 0.05, "m", "leg section (square steel tube, 2 mm wall)"),
    Param("lower_shelf", 0, 1, 1, "", "1: a shelf board between the legs", integer=True),
))

LEG_WALL = 0.002
"""Leg tube wall thickness, m."""


def build(scene, name, p, rng, *, pos=(0.0, 0.0, 0.0), quat=(1.0, 0.0, 0.0, 0.0)):
    """Add a table called ``name`` standing at ``pos``; returns its free root body."""
    body = root_body(scene, name, pos=pos, quat=quat, free=True)
    length, width, height, leg = p.length, p.width, p.height, p.leg
    scene.add_geom(body, Box((length, width, p.top)), name=f"{name}_top", pos=(0, 0, height - p.top / 2), material=MDF)
    leg_h = height - p.top
    inset = leg / 2 + 0.03
    for i, (sx, sy) in enumerate([(-1, -1), (-1, 1), (1, -1), (1, 1)]):
        scene.add_geom(body, Box((leg, leg, leg_h)), name=f"{name}_leg_{i}",
                       pos=(sx * (length / 2 - inset), sy * (width / 2 - inset), leg_h / 2), material=STEEL,
                       mass=square_tube_mass(leg, leg_h, LEG_WALL, STEEL_DENSITY))
    if p.lower_shelf:
        span = (length - 2 * (inset + leg / 2), width - 2 * (inset - leg / 2))
        scene.add_geom(body, Box((span[0], span[1], 0.018)), name=f"{name}_shelf", pos=(0, 0, 0.15), material=MDF)
    return body
