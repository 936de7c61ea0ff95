"""Small queries on a compiled ``mujoco.MjModel`` shared by the writers and the checks."""

from __future__ import annotations

import mujoco
import numpy as np


def subtree_mask(model: mujoco.MjModel, body: int) -> np.ndarray:
    """Boolean mask (nbody,) of ``body`` and all its descendants."""
    inside = np.zeros(model.nbody, dtype=bool)
    inside[body] = True
    for b in range(body + 1, model.nbody):  # MuJoCo orders every parent before its children
        inside[b] = inside[model.body_parentid[b]]
    return inside


def excluded_body_pairs(model: mujoco.MjModel) -> set[tuple[int, int]]:
    """Body id pairs (low, high) with an explicit ``<exclude>``.

    MuJoCo packs the two body ids of an exclude into one int: ``(body1 << 16) + body2``.
    """
    pairs = set()
    for sig in model.exclude_signature:
        b1, b2 = int(sig) >> 16, int(sig) & 0xFFFF
        pairs.add((min(b1, b2), max(b1, b2)))
    return pairs
