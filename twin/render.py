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
    azimuth: float | None = None,
    elevation: float = -40.0,
    distance_scale: float = 0.8,
    data: mujoco.MjData | None = None,
) -> np.ndarray:
    """Render ``model`` at ``data`` (qpos0 when None) from a free camera aimed at the scene's centre.

    Args:
        azimuth: Camera azimuth in degrees (MuJoCo's free camera convention); None picks the one of eight
            (200 degrees first) that sees the most moving bodies past static geometry (walls of a scan).
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
    camera.azimuth = least_occluded_azimuth(model, data, camera.distance, elevation) if azimuth is None else azimuth
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


def least_occluded_azimuth(model: mujoco.MjModel, data: mujoco.MjData, distance: float, elevation: float,
                           candidates: tuple[float, ...] = (200.0, 245.0, 290.0, 335.0, 20.0, 65.0, 110.0, 155.0)
                           ) -> float:
    """The candidate azimuth (degrees) from which the fewest moving bodies hide behind static geoms: a ray
    from the camera to each body's origin that first hits a geom of a world-welded body counts as hidden."""
    moving = [b for b in range(1, model.nbody) if model.body_weldid[b] != 0]
    if not moving:
        return candidates[0]
    best, fewest = candidates[0], None
    geomid = np.zeros(1, dtype=np.int32)
    for azimuth in candidates:
        a, e = np.radians(azimuth), np.radians(elevation)
        # MuJoCo's free camera looks along (cos e cos a, cos e sin a, sin e) from lookat - distance * that
        forward = np.array([np.cos(e) * np.cos(a), np.cos(e) * np.sin(a), np.sin(e)])
        eye = model.stat.center - distance * forward
        hidden = 0
        for body in moving:
            target = data.xpos[body] - eye
            length = float(np.linalg.norm(target))
            if length < 1e-9:
                continue
            hit = mujoco.mj_ray(model, data, eye, target / length, None, 1, -1, geomid)
            if 0 <= hit < length - 1e-6 and geomid[0] >= 0 and model.body_weldid[model.geom_bodyid[geomid[0]]] == 0:
                hidden += 1
        if fewest is None or hidden < fewest:
            best, fewest = azimuth, hidden
    return best


def save_png(image: np.ndarray, path: str | Path) -> None:
    """Write an RGB uint8 image as PNG (needs the ``report`` extra)."""
    pil = require("PIL.Image", "report", "writing PNG pictures")
    pil.fromarray(image).save(path, format="PNG", optimize=True)
