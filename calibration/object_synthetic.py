"""Generated object scenes with known friction and mass, and tracked pose logs simulated from them.

Two set-ups: a crate on a floor pushed along the floor by a known force (a half-sine pulse) and then released
until it stops (:func:`floor_scene`), and a crate sliding down a slope from rest (:func:`slope_scene`). The
floor and the slope are grippier (friction 0.9) than the crate, as a workshop floor often is, so fitting the
crate's friction relies on the geom priority the fit sets. :func:`simulate_object_log` logs what a tracker and a
force gauge give: the pose with noise, and the push force with noise.
"""

from __future__ import annotations

import math

import mujoco
import numpy as np

from calibration.object_logs import ObjectTrajectory
from twin.scene import Material, Scene
from twin.shapes import Box

BODY = "crate"
SIZE = (0.3, 0.2, 0.15)
"""The crate's extents, m."""
TRUTH = {"geom/crate/friction": 0.35, "body/crate/mass": 2.5}
"""The true values logs are simulated with."""
NOMINAL = {"geom/crate/friction": 0.6, "body/crate/mass": 1.5}
"""What the crate's description says."""
SLOPE_DEG = 28.0


def _scene(name: str, values: dict[str, float] | None, angle_deg: float, truth: bool) -> Scene:
    values = {**NOMINAL, **(values or {})}
    scene = Scene(name, timestep=0.001)
    angle = math.radians(angle_deg)
    quat = (math.cos(angle / 2), 0.0, math.sin(angle / 2), 0.0)  # about +y: the slope descends towards +x
    rot = np.zeros(9)
    mujoco.mju_quat2Mat(rot, np.array(quat))
    normal = rot.reshape(3, 3)[:, 2]
    ground = Material("ground", friction=0.9)
    if angle_deg:
        scene.add_static("slope", Box((6.0, 2.0, 0.1)), pos=tuple(-0.05 * normal), quat=quat, material=ground)
    else:
        scene.add_floor((6.0, 6.0), material=ground)
    material = Material("crate", friction=values[f"geom/{BODY}/friction"], rgba=(0.8, 0.5, 0.2, 1.0))
    pos = tuple(normal * SIZE[2] / 2)
    scene.add_free_object(BODY, Box(SIZE), pos=pos, quat=quat, mass=values[f"body/{BODY}/mass"], material=material)
    if truth:  # the crate's coefficient is the contact's, whatever the ground's
        scene.spec.geom(BODY).priority = 1
    return scene


def floor_scene(values: dict[str, float] | None = None, *, truth: bool = False) -> Scene:
    """The crate on a level floor, with ``values`` by parameter name (default :data:`NOMINAL`).

    Args:
        truth: Make the crate's friction the contact's (geom priority), as the world behaves; without it the
            model is a plain description file, whose contacts take the larger (the ground's) friction.
    """
    return _scene("pushed_crate", values, 0.0, truth)


def slope_scene(values: dict[str, float] | None = None, angle_deg: float = SLOPE_DEG, *, truth: bool = False) -> Scene:
    """The crate resting on a slope of ``angle_deg`` degrees (its origin at the world origin); see :func:`floor_scene`."""
    return _scene("sliding_crate", values, angle_deg, truth)


def push_profile(peak: float, direction=(1.0, 0.0, 0.0), start: float = 0.2, length: float = 0.6):
    """A half-sine push: ``F(t)``, N, shape (3,), ``peak`` N along ``direction`` between ``start`` and ``start + length`` s."""
    unit = np.asarray(direction, dtype=float) / np.linalg.norm(direction)

    def force(t: float) -> np.ndarray:
        inside = start <= t < start + length
        return unit * (peak * math.sin(math.pi * (t - start) / length) if inside else 0.0)

    return force


def simulate_object_log(
    scene: Scene,
    *,
    duration: float,
    force=None,
    rate: float = 100.0,
    noise: float = 1e-3,
    force_noise: float = 0.02,
    quat_noise: float = 2e-3,
    turn: float = 0.02,
    seed: int = 0,
    source: str = "",
) -> ObjectTrajectory:
    """Simulate the crate of ``scene`` and log it at ``rate`` Hz.

    Args:
        scene: The scene with the true values.
        duration: Logged time, s.
        force: ``F(t)`` (N, world frame, at the centre of mass), or None: no push and no force columns.
        noise: Position noise std, m.
        force_noise: Force gauge noise std, N.
        quat_noise: Orientation noise std per quaternion component (renormalised).
        turn: Std of the crate's start turn about the surface normal, rad: a crate put down by hand is never
            exactly square to the scene (and a simulated box square to it slides differently: see
            :mod:`calibration.object_model`).
        seed: Seeds the turn and the noise.
    """
    model = scene.compile()
    data = mujoco.MjData(model)
    body = mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_BODY, BODY)
    rng = np.random.default_rng(seed)
    rest = data.qpos[3:7].copy()
    normal = np.empty(3)
    mujoco.mju_rotVecQuat(normal, np.array([0.0, 0.0, 1.0]), rest)
    angle = rng.normal(0.0, turn)
    mujoco.mju_mulQuat(data.qpos[3:7], np.array([math.cos(angle / 2), *(math.sin(angle / 2) * normal)]), rest)
    every = round(1.0 / rate / model.opt.timestep)
    count = round(duration * rate) + 1
    rows = []
    for k in range(count * every):
        if k % every == 0:
            rows.append((data.time, *data.qpos[:7], *(force(data.time) if force else np.zeros(3))))
        data.xfrc_applied[body, :3] = force(data.time) if force else 0.0
        mujoco.mj_step(model, data)
    table = np.array(rows)
    quat = table[:, 4:8] + rng.normal(0.0, quat_noise, (count, 4))
    return ObjectTrajectory(
        time=table[:, 0],
        position=table[:, 1:4] + rng.normal(0.0, noise, (count, 3)),
        quat=quat / np.linalg.norm(quat, axis=1, keepdims=True),
        force=table[:, 8:11] + rng.normal(0.0, force_noise, (count, 3)) if force else None,
        source=source,
    )
