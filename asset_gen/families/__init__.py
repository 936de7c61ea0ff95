"""The built-in asset families, as a registry sorted by name.

Example:
    >>> from asset_gen.families import FAMILIES, get_family
    >>> [f.name for f in FAMILIES][:3]
    ['bin', 'cabinet', 'cart']
    >>> get_family("crate").schema.defaults()["length"]
    0.6
"""

from __future__ import annotations

import difflib

import importlib

from asset_gen.family import Family, family_from_namespace
from twin.errors import TwinError

_MODULES = ("bin", "cabinet", "cart", "conveyor", "crate", "drawers", "pallet", "shelf", "table")


def _load(module: str) -> Family:
    mod = importlib.import_module(f"asset_gen.families.{module}")
    return family_from_namespace(mod, source=mod.__name__)


FAMILIES: tuple[Family, ...] = tuple(sorted((_load(m) for m in _MODULES), key=lambda f: f.name))
"""Every built-in family, sorted by name."""

FAMILY_NAMES: tuple[str, ...] = tuple(f.name for f in FAMILIES)


def get_family(name: str) -> Family:
    """The built-in family called ``name``.

    Raises:
        TwinError: no such family; the message lists the valid names.
    """
    for family in FAMILIES:
        if family.name == name:
            return family
    close = difflib.get_close_matches(name.lower().rstrip("s"), FAMILY_NAMES, n=1, cutoff=0.6)
    hint = f"did you mean '{close[0]}'? " if close else ""
    raise TwinError(f"unknown asset family '{name}'; {hint}built-in families: {', '.join(FAMILY_NAMES)}")


__all__ = ["FAMILIES", "FAMILY_NAMES", "get_family"]
