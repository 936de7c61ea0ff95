"""Check ``joint_sweep``: no limited joint, anywhere in its range, pushes its subtree deeper into other geoms.

MuJoCo filters contacts between a body and its parent and between bodies welded to the world, so a door can
swing into its frame, or an arm link into the link before it, and no contact ever shows it. Each limited hinge
or slide joint is moved to each limit and to evenly spaced positions between them (at most
:data:`HINGE_STEP` rad or :data:`SLIDE_STEP` m apart; all other joints at ``qpos0``), and the signed distance between every
geom of the moved subtree and every other geom that could touch it (contype/conaffinity, filtered pairs
included, explicit ``<exclude>`` honoured) is measured with ``mj_geomDistance``. Overlaps already present at
``qpos0`` (designed overlaps at an arm's joints) only count by how much they grow.
"""

from __future__ import annotations

import math

import mujoco
import numpy as np

from twin.model_queries import excluded_body_pairs, subtree_mask
from twin.validation._names import model_name, model_ref
from twin.validation.report import Finding

CHECK = "joint_sweep"
MAX_DEPTH_INCREASE = 0.001
"""Largest tolerated growth (m) of a geom pair's penetration between qpos0 and a joint limit."""
DISTMAX = 0.01
"""Distances (m) are only resolved up to this; farther pairs do not matter."""

HINGE_STEP = 0.1
"""Largest spacing (rad) of the positions a hinge is swept through between its limits."""
SLIDE_STEP = 0.02
"""Largest spacing (m) of the positions a slide is swept through between its limits."""
MAX_POSITIONS = 64

_SWEPT = (int(mujoco.mjtJoint.mjJNT_HINGE), int(mujoco.mjtJoint.mjJNT_SLIDE))


def _candidates(model: mujoco.MjModel, data: mujoco.MjData, moved: np.ndarray, others: np.ndarray) -> np.ndarray:
    """Pairs (k, 2) of geoms (moved, other) whose bounding volumes overlap in ``data``: cheap pruning.

    A bounding sphere per geom (``geom_rbound``); a plane (rbound 0, unbounded) is tested as a half space.
    """
    is_plane = model.geom_type == int(mujoco.mjtGeom.mjGEOM_PLANE)
    pos, rb = data.geom_xpos, model.geom_rbound
    gap = np.linalg.norm(pos[moved][:, None, :] - pos[others][None, :, :], axis=2)
    gap -= rb[moved][:, None] + rb[others][None, :]
    for axis_geoms, axis in ((moved, 0), (others, 1)):
        planes = axis_geoms[is_plane[axis_geoms]]
        for p in planes:
            normal = data.geom_xmat[p].reshape(3, 3)[:, 2]
            rest = others if axis == 0 else moved
            height = (pos[rest] - pos[p]) @ normal - rb[rest]
            idx = np.flatnonzero(axis_geoms == p)[0]
            if axis == 0:
                gap[idx, :] = height
            else:
                gap[:, idx] = height
    both_planes = is_plane[moved][:, None] & is_plane[others][None, :]
    gap[both_planes] = np.inf
    i, j = np.nonzero(gap < 0.0)
    return np.stack([moved[i], others[j]], axis=1)


def _compatible(model: mujoco.MjModel, g1: int, g2: int) -> bool:
    return bool((model.geom_contype[g1] & model.geom_conaffinity[g2])
                or (model.geom_contype[g2] & model.geom_conaffinity[g1]))


def findings(model: mujoco.MjModel) -> list[Finding]:
    """Joint limits where a geom pair penetrates more than :data:`MAX_DEPTH_INCREASE` deeper than at qpos0.

    Args:
        model: The compiled model.

    Returns:
        One finding per (joint, limit) with a collision; for a joint clear at both limits, one for the deepest
        collision strictly between them (a door swinging through a post mid-way); each naming the deepest pair and its depth (mm, the
        value), in joint order: lower limit, upper limit, then the sweep.
    """
    collides = (model.geom_contype | model.geom_conaffinity) != 0
    excluded = excluded_body_pairs(model)
    base = mujoco.MjData(model)
    mujoco.mj_kinematics(model, base)
    data = mujoco.MjData(model)
    out = []
    for j in range(model.njnt):
        if not model.jnt_limited[j] or int(model.jnt_type[j]) not in _SWEPT:
            continue
        inside = subtree_mask(model, int(model.jnt_bodyid[j]))[model.geom_bodyid]
        moved = np.flatnonzero(inside & collides)
        others = np.flatnonzero(~inside & collides)
        if moved.size == 0 or others.size == 0:
            continue
        lo, hi = (float(v) for v in model.jnt_range[j])
        step = HINGE_STEP if int(model.jnt_type[j]) == int(mujoco.mjtJoint.mjJNT_HINGE) else SLIDE_STEP
        count = min(MAX_POSITIONS, max(2, math.ceil((hi - lo) / step) + 1))
        interior = np.linspace(lo, hi, count)[1:-1]
        sweep_worst, at_limits = None, len(out)
        for side, position in [("lower", lo), ("upper", hi)] + [("sweep", float(q)) for q in interior]:
            data.qpos[:] = model.qpos0
            data.qpos[model.jnt_qposadr[j]] = position
            mujoco.mj_kinematics(model, data)
            hits = sorted(_hits(model, data, base, moved, others, excluded))
            if not hits:
                continue
            if side != "sweep":
                out.append(_finding(model, j, side, position, hits))
            elif sweep_worst is None or hits[0][0] < sweep_worst[1][0][0]:
                sweep_worst = (position, hits)
        if sweep_worst is not None and len(out) == at_limits:  # a limit finding already covers this joint
            out.append(_finding(model, j, "sweep", *sweep_worst))
    return out


def _hits(model, data, base, moved, others, excluded):
    """(distance, distance at qpos0, geom, geom) of pairs that penetrate deeper than at qpos0."""
    for g1, g2 in _candidates(model, data, moved, others):
        b1, b2 = int(model.geom_bodyid[g1]), int(model.geom_bodyid[g2])
        if (min(b1, b2), max(b1, b2)) in excluded or not _compatible(model, g1, g2):
            continue
        dist = _distance(model, data, g1, g2)
        if dist >= -MAX_DEPTH_INCREASE:
            continue
        before = min(0.0, _distance(model, base, g1, g2))
        if before - dist > MAX_DEPTH_INCREASE:
            yield (dist, before, int(g1), int(g2))


def _distance(model: mujoco.MjModel, data: mujoco.MjData, g1: int, g2: int) -> float:
    """Signed distance (m) between two geoms, capped at :data:`DISTMAX`; ``DISTMAX`` if MuJoCo has no
    distance function for the pair."""
    try:
        return float(mujoco.mj_geomDistance(model, data, int(g1), int(g2), DISTMAX, None))
    except Exception:  # noqa: BLE001 - unsupported pair types (e.g. two height fields): nothing to measure
        return DISTMAX


def _finding(model: mujoco.MjModel, joint: int, side: str, limit: float, hits: list) -> Finding:
    dist, before, g1, g2 = hits[0]
    depth_mm = -dist * 1000.0
    hinge = int(model.jnt_type[joint]) == int(mujoco.mjtJoint.mjJNT_HINGE)
    where = f"{limit:.4g} rad ({math.degrees(limit):.1f} deg)" if hinge else f"{limit:.4g} m"
    r1, r2 = model_ref(model, "geom", g1), model_ref(model, "geom", g2)
    b1, b2 = model_ref(model, "body", model.geom_bodyid[g1]), model_ref(model, "body", model.geom_bodyid[g2])
    more = f"; {len(hits) - 1} more pair(s)" if len(hits) > 1 else ""
    at = f"part-way through its range, at {where}" if side == "sweep" else f"at its {side} limit {where}"
    return Finding(
        CHECK, model_name(model, "joint", joint), depth_mm, "mm", MAX_DEPTH_INCREASE * 1000.0,
        f"{model_ref(model, 'joint', joint)} {at}: {r1} ({b1}) penetrates {r2} ({b2}) "
        f"by {depth_mm:.1f} mm ({max(0.0, -before) * 1000:.1f} mm at qpos0){more}",
    )
