"""Furnishing the demo factory cell with sampled assets from the built-in families.

Each asset has a slot in the cell (a free floor area and a yaw); its parameters are sampled with the seed
until the asset's footprint fits the slot, so every seed gives a different but valid cell.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from asset_gen.families import get_family
from asset_gen.family import Family, _xy_bounds, place
from twin.scene import Scene

MAX_TRIES = 50


@dataclass(frozen=True)
class Slot:
    """Where an asset may stand: centre (x, y) in m, yaw in rad, and the free footprint (x, y extents, m)."""

    name: str
    family: str
    centre: tuple[float, float]
    yaw: float
    free: tuple[float, float]


# Free floor areas of twin.examples.factory_cell (6 x 5 m room, walls at x = -3, y = +-2.5; open at x = +3).
SLOTS = (
    Slot("conveyor", "conveyor", (0.3, -2.05), 0.0, (2.6, 0.8)),
    Slot("drawers", "drawers", (-2.55, -0.1), 0.0, (0.8, 0.9)),  # against the west wall, drawers pull out to +x
    Slot("cart", "cart", (-0.9, -0.7), 0.4, (1.3, 1.0)),
    Slot("pallet", "pallet", (2.35, -0.1), 0.0, (1.3, 1.0)),
)


def _footprint(family: Family, params, yaw: float) -> tuple[float, float]:
    """x, y extents (m) of the asset standing at the origin turned by ``yaw``."""
    scene = Scene(family.name)
    place(scene, family, family.name, params)
    lo, hi = _xy_bounds(scene.compile())
    corners = np.array([[x, y] for x in (lo[0], hi[0]) for y in (lo[1], hi[1])])
    c, s = math.cos(yaw), math.sin(yaw)
    turned = corners @ np.array([[c, s], [-s, c]])
    return tuple(turned.max(axis=0) - turned.min(axis=0))


def furnish(scene: Scene, seed: int = 0, slots: tuple[Slot, ...] = SLOTS) -> dict[str, str]:
    """Place one sampled asset per slot into ``scene``.

    Returns:
        Body name -> family name of the placed assets, in slot order.
    """
    rng = np.random.default_rng(seed)
    placed = {}
    for slot in slots:
        family = get_family(slot.family)
        params = family.schema.validate(None)  # the defaults, if no sample fits
        for _ in range(MAX_TRIES):
            sample = family.schema.sample(rng)
            extent = _footprint(family, sample, slot.yaw)
            if extent[0] <= slot.free[0] and extent[1] <= slot.free[1]:
                params = sample
                break
        place(scene, family, slot.name, params, pos=(*slot.centre, 0.0), yaw=slot.yaw, rng=rng)
        placed[slot.name] = family.name
    return placed
