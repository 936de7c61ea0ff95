"""How findings name MuJoCo elements: by name, or by kind and index when unnamed."""

from __future__ import annotations

import mujoco

_OBJ = {
    "body": mujoco.mjtObj.mjOBJ_BODY,
    "geom": mujoco.mjtObj.mjOBJ_GEOM,
    "joint": mujoco.mjtObj.mjOBJ_JOINT,
    "actuator": mujoco.mjtObj.mjOBJ_ACTUATOR,
    "mesh": mujoco.mjtObj.mjOBJ_MESH,
}


def model_name(model: mujoco.MjModel, kind: str, index: int) -> str:
    """The element's name, or ``"<kind> #<index>"`` when it has none (e.g. ``"body #3"``)."""
    name = mujoco.mj_id2name(model, _OBJ[kind], int(index))
    return name if name else f"{kind} #{int(index)}"


def model_ref(model: mujoco.MjModel, kind: str, index: int) -> str:
    """The element with its kind, for messages and pairs: ``"geom 'lid'"`` or ``"geom #4"``."""
    name = mujoco.mj_id2name(model, _OBJ[kind], int(index))
    return f"{kind} '{name}'" if name else f"{kind} #{int(index)}"


def spec_name(element, kind: str, index: int) -> str:
    """Like :func:`model_name` for an MjSpec element at ``index`` in its spec list (same order as the model)."""
    return element.name if element.name else f"{kind} #{int(index)}"


def spec_ref(element, kind: str, index: int) -> str:
    """Like :func:`model_ref` for an MjSpec element."""
    return f"{kind} '{element.name}'" if element.name else f"{kind} #{int(index)}"


def pair(first: str, second: str) -> str:
    """A pair element, e.g. ``"geom 'a' / geom 'b'"``, from two refs."""
    return f"{first} / {second}"
