"""Lazy imports of optional dependencies, with an error naming the extra that installs them."""

from __future__ import annotations

import importlib
from types import ModuleType

from twin.errors import MissingExtraError


def require(module: str, extra: str, purpose: str) -> ModuleType:
    """Import ``module`` or raise :class:`MissingExtraError` naming the extra to install.

    Args:
        module: Dotted module name, e.g. ``"pxr.UsdPhysics"``.
        extra: The twin-builder extra that provides it, e.g. ``"usd"``.
        purpose: What it is needed for, e.g. ``"writing scene.usda"``.
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingExtraError(
            f"{purpose} needs the optional dependency '{module.split('.')[0]}' ({exc}); "
            f"install it with: pip install 'twin-builder[{extra}]'"
        ) from exc
