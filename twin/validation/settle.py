"""Check ``settle``: free bodies left alone stay above the floor and do not drift.

One rollout of the whole model with zero controls; every body with a free joint is compared between the
initial state and the end.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import mujoco
import numpy as np

from twin.validation._names import model_name, model_ref
from twin.validation.report import Finding

CHECK = "settle"
FLOOR_Z = -0.05
"""A free body whose lowest point (geom bounding boxes) ends below this height (m) fell through the floor."""
MAX_DRIFT = 0.005
"""Largest displacement (m) of a free body's origin over the settle time."""


@dataclass(frozen=True)
class Rollout:
    """Positions of the free bodies before and after settling.

    Args:
        bodies: Ids of the bodies with a free joint, shape (n,).
        start: Their world positions (m) at the initial state, shape (n, 3).
        end: Their world positions (m) after ``duration``, shape (n, 3).
        start_lowest: Lowest z (m) of each body's subtree's geom bounding boxes at the start, shape (n,).
        lowest: The same at the end, shape (n,).
        duration: Simulated time (s).
        data: The data at the end (its warning counters are read by the ``compile`` check).
    """

    bodies: np.ndarray
    start: np.ndarray
    end: np.ndarray
    start_lowest: np.ndarray
    lowest: np.ndarray
    duration: float
    data: mujoco.MjData


def free_bodies(model: mujoco.MjModel) -> np.ndarray:
    """Ids of the bodies that carry a free joint, in body order."""
    joints = np.flatnonzero(model.jnt_type == int(mujoco.mjtJoint.mjJNT_FREE))
    return np.unique(model.jnt_bodyid[joints]).astype(int)


def rollout(model: mujoco.MjModel, initial: mujoco.MjData, settle_time: float) -> Rollout:
    """Simulate from ``initial`` for ``settle_time`` seconds with zero controls.

    Args:
        model: The compiled model; its own timestep and integrator are used.
        initial: Data at the initial state after ``mj_forward``; not modified.
        settle_time: Seconds to simulate.
    """
    data = mujoco.MjData(model)
    mujoco.mj_copyData(data, model, initial)
    data.ctrl[:] = 0.0
    bodies = free_bodies(model)
    start = data.xpos[bodies].copy()
    start_lowest = np.array([_lowest_z(model, data, b) for b in bodies], dtype=float)
    steps = max(0, int(math.ceil(settle_time / model.opt.timestep - 1e-9)))
    for _ in range(steps):
        mujoco.mj_step(model, data)
    mujoco.mj_kinematics(model, data)
    lowest = np.array([_lowest_z(model, data, b) for b in bodies], dtype=float)
    return Rollout(bodies, start, data.xpos[bodies].copy(), start_lowest, lowest, steps * model.opt.timestep, data)


def _lowest_z(model: mujoco.MjModel, data: mujoco.MjData, body: int) -> float:
    """Lowest world z (m) of the bounding boxes of the geoms on ``body`` and the bodies below it."""
    geoms = np.flatnonzero(np.isin(model.geom_bodyid, np.flatnonzero(model.body_rootid == body)))
    geoms = geoms[model.geom_type[geoms] != int(mujoco.mjtGeom.mjGEOM_PLANE)]
    if geoms.size == 0:
        return float(data.xpos[body, 2])
    lows = []
    for g in geoms:
        center, half = model.geom_aabb[g, :3], model.geom_aabb[g, 3:]
        row = data.geom_xmat[g].reshape(3, 3)[2]  # world z of the geom's axes
        lows.append(data.geom_xpos[g, 2] + row @ center - np.abs(row) @ half)
    return float(min(lows))


def findings(model: mujoco.MjModel, result: Rollout) -> list[Finding]:
    """Free bodies that fell below :data:`FLOOR_Z` (value: lowest z in m) or drifted more than
    :data:`MAX_DRIFT` (value: displacement in mm), one finding per body, in body order.

    A body that starts below the floor height only counts as fallen if it went down by more than
    :data:`MAX_DRIFT`; else its drift is what is checked.
    """
    out = []
    columns = (result.bodies, result.start, result.end, result.start_lowest, result.lowest)
    for b, start, end, low0, low in zip(*columns, strict=True):
        name, ref = model_name(model, "body", b), model_ref(model, "body", b)
        t = f"{result.duration:g} s"
        if not (np.all(np.isfinite(end)) and math.isfinite(low)):
            out.append(Finding(CHECK, name, None, "m", FLOOR_Z, f"free {ref} diverged (non-finite position) in {t}"))
        elif low < FLOOR_Z and low < low0 - MAX_DRIFT:
            out.append(Finding(CHECK, name, low, "m", FLOOR_Z,
                               f"free {ref} fell below the floor: lowest point at z = {low:.3f} m after {t} "
                               f"(limit {FLOOR_Z:g} m)"))
        else:
            drift = float(np.linalg.norm(end - start))
            if drift > MAX_DRIFT:
                out.append(Finding(CHECK, name, drift * 1000.0, "mm", MAX_DRIFT * 1000.0,
                                   f"free {ref} moved {drift * 1000:.1f} mm in {t} with zero controls "
                                   f"(limit {MAX_DRIFT * 1000:g} mm)"))
    return out
