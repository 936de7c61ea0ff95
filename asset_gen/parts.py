"""Small building blocks shared by families: real masses of thin parts and the root body of an asset.

Thin parts (sheet panels, tube legs) are modelled with colliders thick enough for robust contacts (about
1-2 cm) but weigh what the real part weighs: pass the mass these helpers compute to ``Scene.add_geom``.
"""

from __future__ import annotations

import math

import mujoco

from asset_gen.materials import CABINET_GREY, STEEL_DENSITY
from twin.scene import Material, Scene
from twin.shapes import Box
from twin.transforms import IDENTITY_QUAT


def sheet_mass(size, thickness: float, density: float) -> float:
    """Mass (kg) of a panel: its two largest extents (m) make the face, ``thickness`` (m) is the real sheet.

    Args:
        size: Full extents (x, y, z) of the modelled box, m.
        thickness: Real sheet thickness, m.
        density: kg/m^3.
    """
    a, b = sorted(float(s) for s in size)[1:]
    return a * b * float(thickness) * float(density)


def square_tube_mass(side: float, length: float, wall: float, density: float) -> float:
    """Mass (kg) of a square hollow section of outer ``side`` (m), ``length`` (m), ``wall`` (m)."""
    inner = max(0.0, side - 2 * wall)
    return (side * side - inner * inner) * length * density


def round_tube_mass(diameter: float, length: float, wall: float, density: float) -> float:
    """Mass (kg) of a round tube of outer ``diameter`` (m), ``length`` (m), ``wall`` (m)."""
    inner = max(0.0, diameter - 2 * wall)
    return math.pi / 4 * (diameter * diameter - inner * inner) * length * density


def root_body(scene: Scene, name: str, *, pos, quat=IDENTITY_QUAT, free: bool) -> mujoco.MjsBody:
    """The asset's root body named ``name`` at ``pos``/``quat``: a free body, or welded to the world.

    The frame is the centre of the asset's footprint at its lowest point (z = 0 on the support surface).
    """
    if free:
        return scene.add_free_body(name, pos=pos, quat=quat)
    return scene.add_body(name, pos=pos, quat=quat)


def sheet_panel(scene: Scene, parent: mujoco.MjsBody, name: str, size, at, sheet: float, *,
                material: Material = CABINET_GREY, factor: float = 1.0) -> mujoco.MjsGeom:
    """A box collider standing for a steel sheet of real thickness ``sheet`` (m): mass = ``factor`` x the
    sheet's (folds and stiffeners), not the modelled box's."""
    return scene.add_geom(parent, Box(size), name=name, pos=at, material=material,
                          mass=factor * sheet_mass(size, sheet, STEEL_DENSITY))


def sheet_carcass(scene: Scene, body: mujoco.MjsBody, name: str, width: float, depth: float, height: float,
                  panel: float, sheet: float) -> None:
    """Back, sides, bottom and top of a box open towards +x, centred on the body's z axis, standing on z = 0.

    Args:
        width, depth, height: Outer size along y, x, z (m).
        panel: Modelled panel thickness (m); ``sheet`` is the real one that sets the mass.
    """
    w, d, h, t = width, depth, height, panel
    for label, size, at in (
        ("back", (t, w, h), (-d / 2 + t / 2, 0, h / 2)),
        ("left", (d - t, t, h), (t / 2, -w / 2 + t / 2, h / 2)),
        ("right", (d - t, t, h), (t / 2, w / 2 - t / 2, h / 2)),
        ("bottom", (d - t, w - 2 * t, t), (t / 2, 0, t / 2)),
        ("top", (d - t, w - 2 * t, t), (t / 2, 0, h - t / 2)),
    ):
        sheet_panel(scene, body, f"{name}_{label}", size, at, sheet)
