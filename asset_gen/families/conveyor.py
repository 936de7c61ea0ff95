"""Static roller conveyor section: a frame on legs with free-spinning rollers (hinges about y) between its rails."""

from __future__ import annotations

import math

from asset_gen.materials import ALUMINIUM, ROLLER_STEEL, STEEL_DENSITY
from asset_gen.parts import root_body, round_tube_mass, square_tube_mass
from asset_gen.schema import Param, Schema
from twin.shapes import Box, Cylinder
from twin.transforms import quat_from_axis_angle

NAME = "conveyor"
DESCRIPTION = "static gravity roller conveyor section: frame, legs, free-spinning rollers (hinges)"

SCHEMA = Schema((
    Param("length", 1.0, 3.0, 2.0, "m", "section length along x (the direction of travel)"),
    Param("width", 0.30, 0.90, 0.50, "m", "roller length between the rails"),
    Param("height", 0.50, 1.00, 0.75, "m", "height of the rollers' top"),
    Param("roller_diameter", 0.04, 0.08, 0.05, "m", "roller outer diameter (steel tube, 1.5 mm wall)"),
    Param("pitch", 0.08, 0.20, 0.10, "m", "roller spacing along x (at least a diameter plus 10 mm)"),
))

RAIL = (0.04, 0.1)
"""Side rail section (y thickness, z height), m (aluminium profile, modelled solid, 2 mm wall mass)."""
CLEARANCE = 0.003
"""Gap between a roller's end and the rail, m."""


def build(scene, name, p, rng, *, pos=(0.0, 0.0, 0.0), quat=(1.0, 0.0, 0.0, 0.0)):
    """Add a conveyor called ``name`` standing at ``pos``; returns its root body (welded to the world)."""
    body = root_body(scene, name, pos=pos, quat=quat, free=False)
    r = p.roller_diameter / 2
    axle_z = p.height - r
    rail_y = p.width / 2 + CLEARANCE + RAIL[0] / 2
    for side, y in (("0", -rail_y), ("1", rail_y)):
        scene.add_geom(body, Box((p.length, RAIL[0], RAIL[1])), name=f"{name}_rail_{side}",
                       pos=(0.0, y, axle_z), material=ALUMINIUM,
                       mass=square_tube_mass(RAIL[1], p.length, 0.002, ALUMINIUM.density) / 2)
    legs_per_side = 2 + int(p.length // 1.5)
    leg, leg_h = 0.05, axle_z - RAIL[1] / 2
    for k in range(legs_per_side):
        x = -p.length / 2 + leg / 2 + k * (p.length - leg) / (legs_per_side - 1)
        for side, y in (("0", -rail_y), ("1", rail_y)):
            scene.add_geom(body, Box((leg, RAIL[0], leg_h)), name=f"{name}_leg_{k}_{side}", pos=(x, y, leg_h / 2),
                           material=ALUMINIUM, mass=square_tube_mass(leg, leg_h, 0.002, ALUMINIUM.density))
    pitch = max(p.pitch, p.roller_diameter + 0.01)
    count = math.floor((p.length - 2 * 0.03 - p.roller_diameter) / pitch) + 1
    span = (count - 1) * pitch
    along_y = quat_from_axis_angle((1.0, 0.0, 0.0), math.pi / 2)
    mass = round_tube_mass(p.roller_diameter, p.width, 0.0015, STEEL_DENSITY)
    for k in range(count):
        roller = scene.add_body(f"{name}_roller_{k}", parent=body, pos=(-span / 2 + k * pitch, 0.0, axle_z))
        scene.add_geom(roller, Cylinder(r, p.width), name=f"{name}_roller_{k}", quat=along_y,
                       material=ROLLER_STEEL, mass=mass)
        scene.add_hinge(roller, f"{name}_roller_{k}", axis=(0, 1, 0), damping=0.002, frictionloss=0.01,
                        armature=0.0001)
    return body
