"""Offscreen pictures of a model for reports and thumbnails.

Headless machines render through EGL (set in ``twin/__init__.py`` before MuJoCo is imported, unless the user
chose ``MUJOCO_GL``); on Debian that needs ``libegl1`` and ``libegl-mesa0`` (``make`` installs them).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import mujoco
import numpy as np

from twin.errors import TwinError
from twin.extras import require


class RenderError(TwinError):
    """No OpenGL context could be made, so no picture was rendered."""


def _prefer_egl_when_headless() -> None:
    # MuJoCo chose its GL back end when it was first imported. If that happened before twin set MUJOCO_GL
    # (the user imported mujoco first) on a machine without a display, it chose GLFW, which cannot work
    # here: switch the renderer to EGL, which is what MUJOCO_GL=egl would have selected.
    if not sys.platform.startswith("linux") or os.environ.get("DISPLAY"):
        return
    from mujoco.rendering.classic import gl_context

    if getattr(gl_context, "_MUJOCO_GL", "egl") in ("", "glfw", "enable", "enabled", "on", "true", "1"):
        try:
            from mujoco.egl import GLContext
        except ImportError:
            return
        gl_context.GLContext = GLContext


def render_image(
    model: mujoco.MjModel,
    *,
    width: int = 960,
    height: int = 640,
    azimuth: float = 200.0,
    elevation: float = -40.0,
    distance_scale: float = 0.8,
    data: mujoco.MjData | None = None,
) -> np.ndarray:
    """Render ``model`` at ``data`` (qpos0 when None) from a free camera aimed at the scene's centre.

    Args:
        azimuth: Camera azimuth in degrees (MuJoCo's free camera convention).
        elevation: Camera elevation in degrees (negative looks down).
        distance_scale: Camera distance as a multiple of the model's extent.

    Returns:
        (height, width, 3) uint8 RGB image.
    """
    if data is None:
        data = mujoco.MjData(model)
        mujoco.mj_forward(model, data)
    model.vis.global_.offwidth = max(model.vis.global_.offwidth, width)
    model.vis.global_.offheight = max(model.vis.global_.offheight, height)
    camera = mujoco.MjvCamera()
    camera.type = mujoco.mjtCamera.mjCAMERA_FREE
    camera.lookat[:] = model.stat.center
    camera.distance = distance_scale * model.stat.extent
    camera.azimuth = azimuth
    camera.elevation = elevation
    _prefer_egl_when_headless()
    try:
        renderer = mujoco.Renderer(model, height=height, width=width)
    except Exception as exc:  # GL back ends raise ImportError, RuntimeError or their own errors
        raise RenderError(
            f"cannot create an OpenGL context ({exc}); on a headless machine set MUJOCO_GL=egl before "
            "mujoco is first imported and install libegl1 and libegl-mesa0"
        ) from exc
    try:
        renderer.update_scene(data, camera=camera)
        return renderer.render().copy()
    finally:
        renderer.close()


def save_png(image: np.ndarray, path: str | Path) -> None:
    """Write an RGB uint8 image as PNG (needs the ``report`` extra)."""
    pil = require("PIL.Image", "report", "writing PNG pictures")
    pil.fromarray(image).save(path, format="PNG", optimize=True)
