"""The overview camera: it picks a side from which static walls do not hide the moving bodies."""

from __future__ import annotations

import mujoco
import numpy as np

from twin.render import least_occluded_azimuth
from twin.scene import Scene
from twin.shapes import Box


def _hidden(model, data, azimuth, distance, elevation=-40.0):
    a, e = np.radians(azimuth), np.radians(elevation)
    eye = model.stat.center - distance * np.array([np.cos(e) * np.cos(a), np.cos(e) * np.sin(a), np.sin(e)])
    body = model.body("crate").id
    direction = data.xpos[body] - eye
    geom = np.zeros(1, dtype=np.int32)
    hit = mujoco.mj_ray(model, data, eye, direction / np.linalg.norm(direction), None, 1, -1, geom)
    return model.geom_bodyid[geom[0]] == 0 and hit < np.linalg.norm(direction) - 1e-6


def test_the_camera_moves_to_the_side_the_wall_does_not_block():
    scene = Scene("occluded")
    scene.add_floor()
    scene.add_free_object("crate", Box((0.4, 0.4, 0.4)), pos=(0, 0, 0.2), mass=5.0)
    # a tall wall on the side the default azimuth (200 deg) looks from: the camera sits at +x, slightly +y
    scene.add_static("wall", Box((0.1, 4.0, 3.0)), pos=(0.6, 0, 1.5))
    model = scene.compile()
    data = mujoco.MjData(model)
    mujoco.mj_forward(model, data)
    distance = 0.8 * model.stat.extent
    assert _hidden(model, data, 200.0, distance)
    chosen = least_occluded_azimuth(model, data, distance, -40.0)
    assert chosen != 200.0 and not _hidden(model, data, chosen, distance)


def test_without_walls_the_default_side_is_kept():
    scene = Scene("open")
    scene.add_floor()
    scene.add_free_object("crate", Box((0.4, 0.4, 0.4)), pos=(0, 0, 0.2), mass=5.0)
    model = scene.compile()
    data = mujoco.MjData(model)
    mujoco.mj_forward(model, data)
    assert least_occluded_azimuth(model, data, 0.8 * model.stat.extent, -40.0) == 200.0
