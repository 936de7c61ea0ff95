"""Prim naming, value conversion and pose helpers shared by the USD writer modules.

Imported by :mod:`twin.usd` only after the ``usd`` extra has been checked, so ``pxr`` is imported at the top.
Quaternions are MuJoCo's ``(w, x, y, z)`` unless a name says otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import mujoco
import numpy as np
from pxr import Gf, Sdf, Tf, Usd, UsdGeom


class PrimNames:
    """Hands out valid, unique USD prim names per parent path, deterministically in call order."""

    def __init__(self) -> None:
        self._used: dict[str, set[str]] = {}

    def reserve(self, parent: str, names: Iterable[str]) -> None:
        """Mark ``names`` as taken under ``parent`` (for prims the writer itself adds there)."""
        self._used.setdefault(parent, set()).update(names)

    def child(self, parent: str, name: str | None, fallback: str) -> str:
        """Return the path of a new child of ``parent`` named after ``name`` (or ``fallback`` if unnamed).

        Args:
            parent: Path of the parent prim, e.g. ``"/World"``.
            name: The MuJoCo name; ``None`` or ``""`` for an unnamed element.
            fallback: The name used for an unnamed element, e.g. ``"body_3"``.
        """
        used = self._used.setdefault(parent, set())
        base = Tf.MakeValidIdentifier(name) if name else fallback
        candidate, suffix = base, 1
        while candidate in used:
            candidate, suffix = f"{base}_{suffix}", suffix + 1
        used.add(candidate)
        return f"{parent}/{candidate}"


def mj_name(model: mujoco.MjModel, obj: mujoco.mjtObj, index: int) -> str:
    """The MuJoCo name of element ``index`` of kind ``obj``, ``""`` when it has none."""
    return mujoco.mj_id2name(model, obj, index) or ""


def vec3f(v: Sequence[float]) -> Gf.Vec3f:
    return Gf.Vec3f(float(v[0]), float(v[1]), float(v[2]))


def vec3d(v: Sequence[float]) -> Gf.Vec3d:
    return Gf.Vec3d(float(v[0]), float(v[1]), float(v[2]))


def quatf(q: Sequence[float]) -> Gf.Quatf:
    """A ``Gf.Quatf`` from a MuJoCo ``(w, x, y, z)`` quaternion."""
    return Gf.Quatf(float(q[0]), Gf.Vec3f(float(q[1]), float(q[2]), float(q[3])))


def quatd(q: Sequence[float]) -> Gf.Quatd:
    """A ``Gf.Quatd`` from a MuJoCo ``(w, x, y, z)`` quaternion."""
    return Gf.Quatd(float(q[0]), Gf.Vec3d(float(q[1]), float(q[2]), float(q[3])))


def set_pose(
    xformable: UsdGeom.Xformable,
    pos: Sequence[float],
    quat: Sequence[float],
    scale: Sequence[float] | None = None,
) -> None:
    """Author translate, orient (double precision) and optional scale ops, in that order.

    Args:
        xformable: The prim to place.
        pos: Translation, shape (3,), metres, in the parent prim's frame.
        quat: Orientation ``(w, x, y, z)``, shape (4,), in the parent prim's frame.
        scale: Optional scale factors, shape (3,).
    """
    xformable.AddTranslateOp(UsdGeom.XformOp.PrecisionDouble).Set(vec3d(pos))
    xformable.AddOrientOp(UsdGeom.XformOp.PrecisionDouble).Set(quatd(quat))
    if scale is not None:
        xformable.AddScaleOp(UsdGeom.XformOp.PrecisionFloat).Set(vec3f(scale))


def set_custom(prim: Usd.Prim, name: str, type_name: Sdf.ValueTypeName, value: object) -> None:
    """Author a custom attribute (``mjc:*``) that carries MuJoCo data UsdPhysics has no attribute for."""
    prim.CreateAttribute(name, type_name, custom=True).Set(value)


def quat_x_to(axis: np.ndarray) -> np.ndarray:
    """The shortest-arc quaternion ``(w, x, y, z)`` that rotates +X onto ``axis`` (shape (3,), any length)."""
    a = np.asarray(axis, dtype=float) / np.linalg.norm(axis)
    d = a[0]  # dot(+X, a)
    if d < -1.0 + 1e-12:
        return np.array([0.0, 0.0, 0.0, 1.0])  # half turn about Z; any axis normal to X would do
    q = np.array([1.0 + d, 0.0, -a[2], a[1]])  # (1 + dot, cross(+X, a))
    return q / np.linalg.norm(q)


def relative_pose(
    parent_pos: np.ndarray, parent_quat: np.ndarray, pos: np.ndarray, quat: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Express a world pose in a parent's frame.

    Args:
        parent_pos: Parent origin in world, shape (3,), metres.
        parent_quat: Parent orientation in world ``(w, x, y, z)``, shape (4,).
        pos: Point in world, shape (3,), metres.
        quat: Orientation in world ``(w, x, y, z)``, shape (4,).

    Returns:
        ``(local_pos, local_quat)``, shapes (3,) and (4,).
    """
    inv = np.zeros(4)
    mujoco.mju_negQuat(inv, np.asarray(parent_quat, dtype=float))
    local_pos = np.zeros(3)
    mujoco.mju_rotVecQuat(local_pos, np.asarray(pos, dtype=float) - parent_pos, inv)
    local_quat = np.zeros(4)
    mujoco.mju_mulQuat(local_quat, inv, np.asarray(quat, dtype=float))
    return local_pos, local_quat
