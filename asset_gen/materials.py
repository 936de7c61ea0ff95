"""Materials of the built-in families, with real bulk densities (kg/m^3).

The names and values of materials shared with :mod:`twin.examples` are the same objects, so assets can be
placed in the demo cell without a material clash (a scene refuses two materials with one name and different
values). Thin parts (sheet, tubes) get their mass from their real thickness through :mod:`asset_gen.parts`,
not from their modelled collider thickness.
"""

from __future__ import annotations

from twin.examples import CARDBOARD, PLASTIC, RUBBER, SHEET_STEEL, STEEL, WOOD
from twin.scene import Material

STEEL_DENSITY = 7850.0
"""Steel, kg/m^3 (sheet and tube parts use it with their real wall thickness)."""

POLYPROPYLENE = Material("polypropylene", friction=0.4, rgba=(0.20, 0.40, 0.70, 1.0), density=900.0)
HDPE = Material("hdpe_grey", friction=0.35, rgba=(0.45, 0.47, 0.50, 1.0), density=950.0)
PINE = Material("pine", friction=0.6, rgba=(0.78, 0.64, 0.45, 1.0), density=520.0)
MDF = Material("mdf", friction=0.6, rgba=(0.62, 0.50, 0.36, 1.0), density=750.0)
GALVANISED = Material("galvanised_steel", friction=0.4, rgba=(0.66, 0.68, 0.70, 1.0), density=STEEL_DENSITY)
RACK_ORANGE = Material("rack_orange", friction=0.5, rgba=(0.90, 0.45, 0.10, 1.0), density=STEEL_DENSITY)
RACK_BLUE = Material("rack_blue", friction=0.5, rgba=(0.15, 0.30, 0.65, 1.0), density=STEEL_DENSITY)
ALUMINIUM = Material("aluminium", friction=0.4, rgba=(0.78, 0.79, 0.80, 1.0), density=2700.0)
ROLLER_STEEL = Material("roller_steel", friction=0.35, rgba=(0.72, 0.73, 0.75, 1.0), density=STEEL_DENSITY)
CABINET_GREY = Material("cabinet_grey", friction=0.5, rgba=(0.55, 0.57, 0.60, 1.0), density=STEEL_DENSITY)
WHEEL_RUBBER = RUBBER

__all__ = [
    "ALUMINIUM", "CABINET_GREY", "CARDBOARD", "GALVANISED", "HDPE", "MDF", "PINE", "PLASTIC", "POLYPROPYLENE",
    "RACK_BLUE", "RACK_ORANGE", "ROLLER_STEEL", "RUBBER", "SHEET_STEEL", "STEEL", "STEEL_DENSITY", "WHEEL_RUBBER",
    "WOOD",
]
