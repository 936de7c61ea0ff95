"""Placement: move fitted objects apart until nothing overlaps, then check that they stay put.

Fits of noisy, fused surfaces overlap: a box's footprint reaches a few centimetres into its neighbour or the
wall, a box on a pallet sinks into the deck. MuJoCo would resolve that at the first step with a kick, so the
twin would not settle. Here MuJoCo's own collision detection (the same geoms the twin is written with:
boxes, cylinders, convex parts) finds every overlap at the initial state, and a few Jacobi iterations move
free bodies apart along each contact's normal (the minimum-penetration direction):

- a free body overlapping static geometry (floor, walls, clutter) moves out by the full depth;
- two free bodies stacked (normal within ~45 degrees of vertical) separate by lifting the upper one (the geom
  the contact normal points up into: a shelving unit's origin lies above the boxes on its lowest board);
- two free bodies side by side move apart by half the depth each.

Then the scene is simulated for ``settle_time`` s with :func:`twin.validation.settle.rollout` (the validation's
own check): a body that moved further than the validation allows, without sliding, turning or falling much,
takes its settled pose (it was resting a little above its support or on an uneven one). A body that falls
further than ``max_drop`` rests on something the twin lacks (a board hidden under it) and is kept static
where it was scanned; one that turned (furniture whose far legs were never seen tips over) or still moves in
the last round is kept static too, with a note, and so is a body the separation could not free (wedged
between static geometry; 1 mm of overlap is tolerated, as by the validation). Whatever is kept static goes
back to where it was scanned: the pushes that failed to free it (into a wall, through a rack's boards) would
move it by up to the overlap it could not lose. Both repeat until the scene settles, lowest movers first
(what rests on a mover moves with it).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import mujoco
import numpy as np

from scans.build.objects import FittedObject
from twin.scene import Scene

Assemble = Callable[[Sequence[FittedObject], Sequence[FittedObject]], Scene]
"""``assemble(free, clutter)``: the scene the twin will be written from (structure included)."""


@dataclass(frozen=True)
class Placement:
    """The outcome: objects left ``free``, objects kept static (``clutter``, including the ones made
    static here), ``notes`` for the report, and counts: ``moved`` (by the overlap pass), ``settled``
    (took their settled pose) and ``made_static``."""

    free: tuple[FittedObject, ...]
    clutter: tuple[FittedObject, ...]
    notes: tuple[str, ...]
    moved: int
    settled: int
    made_static: int


def separate(model: mujoco.MjModel, bodies: Sequence[int], *, gap: float = 0.001, tolerance: float = 0.0002,
             iterations: int = 40, lift_cosine: float = 0.7) -> tuple[np.ndarray, dict[tuple[int, int], float]]:
    """Translations (len(bodies), 3) m of free ``bodies`` that remove the overlaps of the model at qpos0.

    Args:
        model: A compiled model whose ``bodies`` carry free joints.
        gap: Clearance added to each separation, m.
        tolerance: Overlaps shallower than this are left, m.
        iterations: Jacobi iterations (each runs MuJoCo's collision detection once).
        lift_cosine: Contacts between free bodies whose normal has |z| above this separate by lifting the
            upper body.

    Returns:
        The translations, and the overlaps left after the last iteration: depth (m) by pair of body ids.
    """
    data = mujoco.MjData(model)
    index = {int(b): i for i, b in enumerate(bodies)}
    adr = np.array([model.jnt_qposadr[model.body_jntadr[b]] for b in bodies], dtype=int)
    start = np.array([model.qpos0[a:a + 3] for a in adr]).reshape(-1, 3)
    shift = np.zeros((len(bodies), 3))
    for _ in range(iterations + 1):
        for i, a in enumerate(adr):
            data.qpos[a:a + 3] = start[i] + shift[i]
        mujoco.mj_forward(model, data)
        pairs: dict[tuple[int, int], tuple[float, np.ndarray]] = {}
        for c in data.contact[:data.ncon]:
            b1, b2 = int(model.geom_bodyid[c.geom[0]]), int(model.geom_bodyid[c.geom[1]])
            key = (b1, b2)
            if c.dist < -tolerance and c.dist < pairs.get(key, (0.0, None))[0]:
                pairs[key] = (float(c.dist), np.array(c.frame[:3]))  # normal from geom 0 to geom 1
        if not pairs or _ == iterations:
            break
        push = np.zeros_like(shift)
        for (b1, b2), (dist, normal) in pairs.items():
            depth = -dist + gap
            i1, i2 = index.get(b1), index.get(b2)
            if i1 is not None and i2 is not None:
                if abs(normal[2]) > lift_cosine:  # stacked: lift the upper geom's body
                    upper = i2 if normal[2] > 0 else i1
                    push[upper, 2] += depth
                else:
                    push[i1] -= normal * depth / 2
                    push[i2] += normal * depth / 2
            elif i2 is not None:
                push[i2] += normal * depth
            elif i1 is not None:
                push[i1] -= normal * depth
        shift += push
    return shift, {key: -dist for key, (dist, _) in pairs.items()}


def place_objects(free: Sequence[FittedObject], clutter: Sequence[FittedObject], assemble: Assemble, *,
                  settle_time: float = 2.0, rounds: int = 8, max_turn_deg: float = 2.0, max_slide: float = 0.02,
                  max_drop: float = 0.05, tier: float = 0.05) -> Placement:
    """Separate overlapping objects, then settle them; see the module docstring.

    Args:
        free, clutter: Fitted free objects and static clutter (world frame).
        assemble: Builds the scene from them.
        settle_time: Seconds simulated (the validation's settle time).
        rounds: Separate-and-settle rounds; what still moves in the last is kept static (then the scene is
            checked again).
        max_turn_deg: A body that turned more than this while settling is kept static.
        max_slide: ... or slid further than this sideways, m.
        max_drop: ... or dropped further than this, m (less: it takes its settled position). A fit rests within
            a voxel or two of its support; a body that falls further rests on something not in the twin (a
            board hidden under it, a leg never seen), so it stays where it was scanned.
        tier: Each round judges the movers whose bottom is within this of the lowest mover's, m.
    """
    from twin.validation import settle
    from twin.validation.state import initial_data

    free, clutter, notes = list(free), list(clutter), []
    scanned = {o.name: o for o in free}  # what is made static stays where it was scanned, not where it was pushed
    moved, settled, made_static = set(), 0, 0
    # each round: about 0.2 s of compiling and simulating per 20 bodies. From the last round on, every mover is
    # kept static and the scene simulated again (making one static can unsettle what touched it), until none moves
    for round_ in range(rounds + len(free)):
        last = round_ >= rounds - 1
        for _ in range(5):  # separate; keep static what cannot be freed; separate the rest again
            model = assemble(free, clutter).compile()
            bodies = [mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_BODY, o.name) for o in free]
            shift, left = separate(model, bodies)
            for i, o in enumerate(free):
                if np.linalg.norm(shift[i]) > 0:
                    free[i] = dataclasses.replace(o, position=o.position + shift[i])
                    moved.add(o.name)
            stuck = _stuck(left, bodies, free)
            for i in sorted(stuck, reverse=True):
                o = free.pop(i)
                clutter.append(scanned[o.name])
                made_static += 1
                depth = max(d for pair, d in left.items() if bodies[i] in pair)
                notes.append(f"{o.name} ({o.kind}) still overlaps its neighbours by {depth * 1000:.0f} mm after "
                             "separation (wedged between static geometry): kept static")
            if not stuck:
                break
        model = assemble(free, clutter).compile()
        bodies = [mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_BODY, o.name) for o in free]
        start = initial_data(model)
        rolled = settle.rollout(model, start, settle_time)
        delta = rolled.end - rolled.start
        drift = np.linalg.norm(delta, axis=1)
        movers = {int(b) for b, d in zip(rolled.bodies, drift, strict=True) if d > settle.MAX_DRIFT}
        if not movers:
            break
        # the lowest movers first: what rests on them moves with them and is judged once they are fixed
        lowest = min(rolled.start_lowest[k] for k, b in enumerate(rolled.bodies) if int(b) in movers)
        keep = []
        for o, b in zip(free, bodies, strict=True):
            k = int(np.flatnonzero(rolled.bodies == b)[0])
            if b not in movers or (rolled.start_lowest[k] > lowest + tier and not last):
                keep.append(o)
                continue
            turn = _turn_deg(start.xquat[b], rolled.data.xquat[b])
            slide = float(np.linalg.norm(delta[k, :2]))
            if not last and turn <= max_turn_deg and slide <= max_slide and -max_drop <= delta[k, 2] <= 0.01:
                quat = tuple(float(q) for q in rolled.data.xquat[b])
                keep.append(dataclasses.replace(o, position=o.position + delta[k], orientation=quat))
                settled += 1
                continue
            clutter.append(scanned[o.name])
            made_static += 1
            if not last and turn <= max_turn_deg and slide <= max_slide and delta[k, 2] < -max_drop:
                notes.append(f"{o.name} ({o.kind}) would fall {-delta[k, 2] * 1000:.0f} mm when settling: it rests "
                             "on something not in the twin (a support hidden under it or never seen): kept static "
                             "where it was scanned")
                continue
            notes.append(f"{o.name} ({o.kind}) does not stay put on its own (moved {drift[k] * 1000:.0f} mm, "
                         f"turned {turn:.0f} degrees in a {settle_time:g} s settle; e.g. furniture whose far legs "
                         "were not seen, or an object resting on it): kept static")
        free = keep
    return Placement(tuple(free), tuple(clutter), tuple(notes), len(moved), settled, made_static)


def _stuck(left: dict[tuple[int, int], float], bodies: list[int], free: list[FittedObject]) -> set[int]:
    """Indices of free objects to keep static so no overlap is left: per pair, the free one, or the larger."""
    index = {b: i for i, b in enumerate(bodies)}
    stuck: set[int] = set()
    for (b1, b2), depth in sorted(left.items(), key=lambda item: -item[1]):
        i1, i2 = index.get(b1), index.get(b2)
        if i1 in stuck or i2 in stuck or depth <= 0.0005:
            continue
        candidates = [i for i in (i1, i2) if i is not None]
        if candidates:
            stuck.add(max(candidates, key=lambda i: free[i].volume))
    return stuck


def _turn_deg(q0: np.ndarray, q1: np.ndarray) -> float:
    """Angle between two unit quaternions, degrees."""
    return float(np.degrees(2 * np.arccos(np.clip(abs(float(np.dot(q0, q1))), 0.0, 1.0))))
