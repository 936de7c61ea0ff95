"""Cabinet with one or two hinged doors: a sheet-steel carcass (static, bolted) with internal shelves.

Each door hangs on a vertical hinge at the outer face of its side edge, so it swings outwards and stays clear
of the carcass at every angle up to its ``open_limit`` (checked by ``twin validate``'s joint sweep).
"""

from __future__ import annotations

from asset_gen.materials import CABINET_GREY, STEEL
from asset_gen.parts import root_body, sheet_carcass, sheet_panel
from asset_gen.schema import Param, Schema
from twin.shapes import Box

NAME = "cabinet"
DESCRIPTION = "sheet-steel cabinet with 1-2 hinged doors and internal shelves, static carcass"
PANEL = 0.018
"""Modelled panel thickness, m (mass follows ``sheet``)."""
GAP = 0.004
"""Gap between a door and the carcass or the other door, m."""

SCHEMA = Schema((
    Param("width", 0.40, 1.20, 0.80, "m", "width along y"),
    Param("depth", 0.30, 0.70, 0.50, "m", "depth along x (doors face +x)"),
    Param("height", 0.60, 2.00, 1.00, "m", "height"),
    Param("doors", 1, 2, 1, "", "number of doors", integer=True),
    Param("shelves", 0, 4, 1, "", "internal shelves", integer=True),
    Param("open_limit", 1.5, 2.4, 1.6, "rad", "how far a door opens"),
    Param("sheet", 0.0008, 0.0015, 0.001, "m", "real sheet thickness (sets the mass)"),
))


def build(scene, name, p, rng, *, pos=(0.0, 0.0, 0.0), quat=(1.0, 0.0, 0.0, 0.0)):
    """Add a cabinet called ``name`` standing at ``pos``; returns its root body (welded to the world)."""
    body = root_body(scene, name, pos=pos, quat=quat, free=False)
    w, d, h, t = p.width, p.depth, p.height, PANEL

    def panel(parent, label, size, at, material=CABINET_GREY, factor=1.0):
        sheet_panel(scene, parent, f"{name}_{label}", size, at, p.sheet, material=material, factor=factor)

    sheet_carcass(scene, body, name, w, d, h, t, p.sheet)
    n = int(p.shelves)
    for k in range(n):
        z = t + (k + 1) * (h - 2 * t) / (n + 1)
        panel(body, f"shelf_{k}", (d - 2 * t, w - 2 * t, t), (0, 0, z))
    doors = int(p.doors)
    door_w = (w - (doors - 1) * GAP) / doors
    for k in range(doors):
        side = -1 if k == 0 else 1  # door 0 hinges on the left (-y) edge, door 1 on the right
        hinge = (d / 2 + GAP + t, side * w / 2, 0.0)
        door = scene.add_body(f"{name}_door_{k}", parent=body, pos=hinge)
        centre_y = -side * door_w / 2
        panel(door, f"door_{k}", (t, door_w, h - 2 * GAP), (-t / 2, centre_y, h / 2), factor=1.5)  # + stiffeners
        scene.add_geom(door, Box((0.025, 0.02, 0.15)), name=f"{name}_handle_{k}", material=STEEL, mass=0.15,
                       pos=(0.0125, -side * (door_w - 0.05), h / 2))
        limits = (-p.open_limit, 0.0) if side < 0 else (0.0, p.open_limit)
        scene.add_hinge(door, f"{name}_door_{k}", axis=(0, 0, 1), limits=limits, damping=0.5, armature=0.01,
                        frictionloss=0.05)
    return body
