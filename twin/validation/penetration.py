"""Check ``penetration``: no geoms that may collide overlap by more than 1 mm in the initial state."""

from __future__ import annotations

import mujoco

from twin.validation._names import model_ref, pair
from twin.validation.report import Finding
from twin.validation.state import describe

CHECK = "penetration"
MAX_DEPTH = 0.001
"""Deepest initial overlap (m) tolerated between two geoms that collide (soft contacts rest slightly inside)."""


def findings(model: mujoco.MjModel, data: mujoco.MjData) -> list[Finding]:
    """Geom pairs whose contacts in ``data`` are deeper than :data:`MAX_DEPTH`.

    Only pairs MuJoCo collides are seen (contype/conaffinity, no parent-child or world-welded pairs; those
    are the ``joint_sweep`` check's business). Contacts whose distance is positive (inside the margin) are
    not penetrations.

    Args:
        model: The compiled model.
        data: Data after ``mj_forward`` at the initial state (see :func:`twin.validation.state.initial_data`).

    Returns:
        One finding per geom pair, at its deepest contact, value in mm, ordered by geom ids.
    """
    deepest: dict[tuple[int, int], float] = {}
    for i in range(data.ncon):
        contact = data.contact[i]
        g1, g2 = int(contact.geom[0]), int(contact.geom[1])
        if g1 < 0 or g2 < 0:  # flex contacts
            continue
        key = (min(g1, g2), max(g1, g2))
        deepest[key] = min(deepest.get(key, 0.0), float(contact.dist))
    state = describe(model)
    out = []
    for (g1, g2), dist in sorted(deepest.items()):
        if dist >= -MAX_DEPTH:
            continue
        depth_mm = -dist * 1000.0
        r1, r2 = model_ref(model, "geom", g1), model_ref(model, "geom", g2)
        b1 = model_ref(model, "body", model.geom_bodyid[g1])
        b2 = model_ref(model, "body", model.geom_bodyid[g2])
        out.append(Finding(
            CHECK, pair(r1, r2), depth_mm, "mm", MAX_DEPTH * 1000.0,
            f"{r1} ({b1}) and {r2} ({b2}) overlap by {depth_mm:.1f} mm at {state} "
            f"(limit {MAX_DEPTH * 1000:g} mm)",
        ))
    return out
