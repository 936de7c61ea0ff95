"""What an asset family is, and how its assets are placed in a scene.

A family is a Python module (built in, or written by the agent and run in the sandbox) that defines:

- ``NAME``: identifier of the family (``"crate"``);
- ``DESCRIPTION``: one line;
- ``SCHEMA``: a :class:`~asset_gen.schema.Schema` of typed parameters with ranges, units and defaults;
- ``build(scene, name, params, rng, *, pos, quat) -> mujoco.MjsBody``: adds one asset to ``scene`` through the
  :mod:`twin.scene` API and returns its root body.

Contract of ``build``: the root body is called ``name`` and every other body, geom, joint and actuator name
starts with ``name + "_"``, so several assets share one scene; the root frame is at ``pos``/``quat`` and is the
centre of the asset's footprint at its lowest point (the asset stands on the surface at ``pos``); randomness
beyond ``params`` comes only from ``rng``; materials are shared objects (equal names mean equal values).

:func:`place` puts an asset into an existing scene (several in one scene, e.g. the demo cell);
:func:`asset_scene` builds one asset standing on a floor, the form assets are validated and written in.
"""

from __future__ import annotations

import math
import types
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import mujoco
import numpy as np

from asset_gen.schema import Params, Schema
from twin.errors import ModelError, TwinError
from twin.scene import Scene
from twin.transforms import yaw_quat

Build = Callable[..., mujoco.MjsBody]

FLOOR_MARGIN = 0.5
"""Floor beyond the asset's footprint on each side, m."""


class FamilyError(TwinError):
    """A family module is malformed or its ``build`` failed."""


@dataclass(frozen=True)
class Family:
    """One asset family.

    Args:
        name: Identifier (also the root body name of an asset built alone).
        description: One line.
        schema: Its parameters.
        build: ``build(scene, name, params, rng, *, pos, quat) -> MjsBody`` (see the module docstring).
        source: Where its code lives: a module name for built-ins, ``"<generated>"`` for agent code.
    """

    name: str
    description: str
    schema: Schema
    build: Build
    source: str = "<generated>"

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.isidentifier():
            raise FamilyError(f"a family NAME must be an identifier, got {self.name!r}")
        if not isinstance(self.schema, Schema):
            raise FamilyError(f"family '{self.name}': SCHEMA must be an asset_gen.schema.Schema")
        if not callable(self.build):
            raise FamilyError(f"family '{self.name}': build must be a function")

    def spec(self, params: Mapping[str, Any] | None = None, seed: int = 0) -> mujoco.MjSpec:
        """One asset standing on a floor (:func:`asset_scene`), as an MjSpec; built in this process."""
        return asset_scene(self, params, seed).spec

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready description: name, description, source and parameters."""
        return {"name": self.name, "description": self.description, "source": self.source,
                "parameters": self.schema.to_list()}


def family_from_namespace(namespace: Mapping[str, Any] | types.ModuleType, source: str = "<generated>") -> Family:
    """The family defined by a module (or the globals of executed code).

    Raises:
        FamilyError: ``NAME``, ``DESCRIPTION``, ``SCHEMA`` or ``build`` is missing or has the wrong type.
    """
    ns = vars(namespace) if isinstance(namespace, types.ModuleType) else namespace
    missing = [key for key in ("NAME", "DESCRIPTION", "SCHEMA", "build") if key not in ns]
    if missing:
        raise FamilyError(f"family module {source} does not define {', '.join(missing)}; a family defines "
                          "NAME, DESCRIPTION, SCHEMA and build(scene, name, params, rng, *, pos, quat)")
    return Family(ns["NAME"], str(ns["DESCRIPTION"]), ns["SCHEMA"], ns["build"], source)


def place(
    scene: Scene,
    family: Family,
    name: str,
    params: Mapping[str, Any] | None = None,
    *,
    pos=(0.0, 0.0, 0.0),
    yaw: float = 0.0,
    rng: np.random.Generator | None = None,
) -> mujoco.MjsBody:
    """Add one asset of ``family`` to ``scene``, standing at ``pos`` (m) turned by ``yaw`` (rad) about z.

    Args:
        name: Root body name; every other element of the asset is prefixed with ``name + "_"``.
        params: Parameter values; missing ones take their defaults; checked against the schema.
        rng: Randomness beyond the parameters (e.g. colour); ``default_rng(0)`` when None.

    Raises:
        ParameterError: a value is unknown or out of range.
        FamilyError: ``build`` failed or broke the naming contract.
    """
    checked = params if isinstance(params, Params) else family.schema.validate(params)
    rng = rng if rng is not None else np.random.default_rng(0)
    before = _names(scene.spec)
    try:
        body = family.build(scene, name, checked, rng, pos=tuple(float(v) for v in pos), quat=yaw_quat(float(yaw)))
    except TwinError:
        raise
    except Exception as exc:
        raise FamilyError(f"family '{family.name}' failed to build '{name}': {type(exc).__name__}: {exc}") from exc
    if body is None or getattr(body, "name", None) != name:
        raise FamilyError(f"family '{family.name}': build must return the root body called '{name}'")
    stray = sorted(n for n in _names(scene.spec) - before if n != name and not n.startswith(name + "_"))
    if stray:
        raise FamilyError(f"family '{family.name}': element names must start with '{name}_', got {stray[:5]}")
    return body


def _names(spec: mujoco.MjSpec) -> set[str]:
    elements = [*spec.bodies, *spec.geoms, *spec.joints, *spec.actuators]
    return {e.name for e in elements if e.name}


def asset_scene(family: Family, params: Mapping[str, Any] | None = None, seed: int = 0) -> Scene:
    """One asset of ``family`` standing on a floor at the origin: the form assets are validated and written in.

    The floor is a static box named ``floor`` (top at z = 0) reaching :data:`FLOOR_MARGIN` beyond the asset.
    """
    scene = Scene(family.name)
    place(scene, family, family.name, params, rng=np.random.default_rng(seed))
    model = scene.compile()
    lo, hi = _xy_bounds(model)
    size = (2 * max(abs(lo[0]), abs(hi[0])) + 2 * FLOOR_MARGIN, 2 * max(abs(lo[1]), abs(hi[1])) + 2 * FLOOR_MARGIN)
    scene.add_floor(tuple(round(s, 3) for s in size))
    return scene


def _xy_bounds(model: mujoco.MjModel) -> tuple[np.ndarray, np.ndarray]:
    data = mujoco.MjData(model)
    mujoco.mj_kinematics(model, data)
    points = []
    for g in range(model.ngeom):
        center, half = model.geom_aabb[g, :3], model.geom_aabb[g, 3:]
        rot = data.geom_xmat[g].reshape(3, 3)
        c = data.geom_xpos[g] + rot @ center
        points.append([c - np.abs(rot) @ half, c + np.abs(rot) @ half])
    if not points:
        raise ModelError("the asset has no geoms")
    pts = np.asarray(points).reshape(-1, 3)
    if not np.isfinite(pts).all() or not math.isfinite(float(np.abs(pts).max())):
        raise ModelError("the asset has non-finite geometry")
    return pts.min(axis=0), pts.max(axis=0)

