"""The initial state the simulation checks start from."""

from __future__ import annotations

import mujoco


def initial_data(model: mujoco.MjModel) -> mujoco.MjData:
    """Data at keyframe 0 if the model has one, else at ``qpos0``, with ``mj_forward`` run (contacts found)."""
    data = mujoco.MjData(model)
    if model.nkey > 0:
        mujoco.mj_resetDataKeyframe(model, data, 0)
    mujoco.mj_forward(model, data)
    return data


def describe(model: mujoco.MjModel) -> str:
    """How :func:`initial_data` chose the state, for messages: ``"keyframe 'home'"`` or ``"qpos0"``."""
    if model.nkey == 0:
        return "qpos0"
    name = mujoco.mj_id2name(model, mujoco.mjtObj.mjOBJ_KEY, 0)
    return f"keyframe '{name}'" if name else "keyframe 0"
