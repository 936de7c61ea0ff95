"""Drawer unit: a sheet-steel carcass (static) with a stack of drawers on prismatic joints along x."""

from __future__ import annotations

from asset_gen.materials import CABINET_GREY, STEEL
from asset_gen.parts import root_body, sheet_carcass, sheet_panel
from asset_gen.schema import Param, Schema
from twin.shapes import Box

NAME = "drawers"
DESCRIPTION = "drawer unit: static sheet-steel carcass with 2-6 drawers on slides (prismatic joints)"
PANEL = 0.018
"""Modelled panel thickness of the carcass and the drawer fronts, m."""
BOX_WALL = 0.01
"""Modelled wall thickness of a drawer's box, m."""
GAP = 0.004
"""Gap between drawer fronts, and between a front and the carcass, m."""
CLEAR = 0.006
"""Clearance between a drawer's box and the carcass, m."""

SCHEMA = Schema((
    Param("width", 0.40, 0.90, 0.56, "m", "width along y"),
    Param("depth", 0.40, 0.75, 0.60, "m", "depth along x (drawers pull out towards +x)"),
    Param("height", 0.45, 1.20, 0.80, "m", "height"),
    Param("drawers", 2, 6, 4, "", "number of drawers", integer=True),
    Param("travel", 0.6, 0.9, 0.8, "", "pull-out travel as a fraction of the inner depth"),
    Param("sheet", 0.0008, 0.0015, 0.001, "m", "real sheet thickness (sets the mass)"),
))


def build(scene, name, p, rng, *, pos=(0.0, 0.0, 0.0), quat=(1.0, 0.0, 0.0, 0.0)):
    """Add a drawer unit called ``name`` standing at ``pos``; returns its root body (welded to the world)."""
    body = root_body(scene, name, pos=pos, quat=quat, free=False)
    w, d, h, t = p.width, p.depth, p.height, PANEL

    def panel(parent, label, size, at, material=CABINET_GREY, factor=1.0):
        sheet_panel(scene, parent, f"{name}_{label}", size, at, p.sheet, material=material, factor=factor)

    sheet_carcass(scene, body, name, w, d, h, t, p.sheet)
    n = int(p.drawers)
    slot = (h - 2 * t) / n
    inner_w = w - 2 * t - 2 * CLEAR
    inner_d = d - t - CLEAR  # from the back panel's face to the carcass front
    box_h = min(0.8 * slot, slot - 2 * CLEAR)
    travel = p.travel * inner_d
    for k in range(n):
        z0 = t + k * slot  # the slot's bottom
        drawer = scene.add_body(f"{name}_drawer_{k}", parent=body, pos=(d / 2, 0.0, z0))
        front = (t, w - GAP, slot - GAP)
        panel(drawer, f"front_{k}", front, (GAP + t / 2, 0, GAP / 2 + front[2] / 2), factor=1.5)
        bottom_z = CLEAR + BOX_WALL / 2
        panel(drawer, f"floor_{k}", (inner_d, inner_w, BOX_WALL), (-inner_d / 2 + GAP, 0, bottom_z))
        side_z = CLEAR + box_h / 2
        for s, y in (("l", -(inner_w - BOX_WALL) / 2), ("r", (inner_w - BOX_WALL) / 2)):
            panel(drawer, f"side_{k}{s}", (inner_d, BOX_WALL, box_h), (-inner_d / 2 + GAP, y, side_z))
        panel(drawer, f"rear_{k}", (BOX_WALL, inner_w, box_h), (-inner_d + GAP + BOX_WALL / 2, 0, side_z))
        scene.add_geom(drawer, Box((0.025, min(0.3, 0.5 * w), 0.02)), name=f"{name}_handle_{k}", material=STEEL,
                       mass=0.2, pos=(GAP + t + 0.0125, 0, GAP / 2 + front[2] / 2))
        scene.add_slide(drawer, f"{name}_drawer_{k}", axis=(1, 0, 0), limits=(0.0, travel), damping=5.0,
                        frictionloss=1.0, armature=0.05)
    return body
