"""Camera paths and the capture frame of synthetic captures.

Poses are camera-to-world 4x4 matrices in OpenCV camera axes (+x right, +y down, +z forward), metres.
"""

from __future__ import annotations

import numpy as np

from scans.capture import Intrinsics
from twin.transforms import quat_from_axis_angle, quat_to_matrix


def kinect_intrinsics(width: int = 640, height: int = 480) -> Intrinsics:
    """A Kinect-like pinhole camera (fx = fy = 525 px at 640x480, about 63 x 49 degrees) at any resolution."""
    return Intrinsics(width, height, 525.0 * width / 640, 525.0 * height / 480, width / 2 - 0.5, height / 2 - 0.5)


def look_at(eye, target, up=(0.0, 0.0, 1.0), roll: float = 0.0) -> np.ndarray:
    """Camera-to-world pose (4, 4) of a camera at ``eye`` looking at ``target`` with ``up`` upwards.

    Args:
        roll: Rotation about the viewing axis in rad (positive turns the image clockwise).
    """
    eye, target = np.asarray(eye, dtype=float), np.asarray(target, dtype=float)
    forward = target - eye
    forward /= np.linalg.norm(forward)
    right = np.cross(forward, up)
    right /= np.linalg.norm(right)
    down = np.cross(forward, right)
    c, s = np.cos(roll), np.sin(roll)
    right, down = c * right + s * down, -s * right + c * down
    pose = np.eye(4)
    pose[:3, :3] = np.column_stack([right, down, forward])
    pose[:3, 3] = eye
    return pose


def _smoothstep(x):
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3 - 2 * x)


def orbit_path(frames: int, room: tuple[float, float], rng: np.random.Generator, *, inset: float = 1.3,
               high: float = 1.5, low: float = 0.9) -> np.ndarray:
    """Poses (frames, 4, 4) of two loops around the room, looking at its centre, with a hand-held wobble.

    The first loop is at ``high`` m, the second at ``low`` m (the descent is smooth, halfway); both follow an
    ellipse ``inset`` m inside the walls. The wobble (about 3 cm, 5 cm at the target, 2 degrees of roll)
    comes from ``rng``.

    Args:
        room: Inner room extents (x, y), m, centred on the origin.
    """
    s = (np.arange(frames) + 0.5) / frames
    angle = 4 * np.pi * s + rng.uniform(0, 2 * np.pi)
    blend = _smoothstep((s - 0.45) / 0.1)
    a, b = room[0] / 2 - inset, room[1] / 2 - inset
    eyes = np.column_stack([a * np.cos(angle), b * np.sin(angle), high + (low - high) * blend])
    targets = np.column_stack([np.zeros(frames), np.zeros(frames), 0.5 - 0.2 * blend])
    eyes += rng.normal(0, 0.03, eyes.shape)
    targets += rng.normal(0, 0.05, targets.shape)
    rolls = rng.normal(0, np.radians(2.0), frames)
    return np.stack([look_at(e, t, roll=r) for e, t, r in zip(eyes, targets, rolls)])


PASSES = ((1.6, 1.45, False), (1.35, 0.35, False), (1.2, 0.3, True))
"""The passes of :func:`scan_path`: ``(eye height m, target height m, facing the middle)``."""


def scan_path(frames: int, room: tuple[float, float], rng: np.random.Generator, *, inset: float = 1.3,
              reach: float = 1.0, passes=PASSES) -> np.ndarray:
    """Poses (frames, 4, 4) of a person scanning the cell: one loop per pass, ``inset`` m inside the walls.

    A pass that faces the walls looks at what stands along them, at a target ``reach`` m ahead at its
    target height (with the defaults: the upper shelves first, then the lower ones and the floor in
    front); a pass that faces the middle looks at its target height in the middle of the room (the objects
    on the floor). Height, tilt and heading change smoothly from one pass to the next. A hand-held wobble
    (about 3 cm, 5 cm at the target, 2 degrees of roll) comes from ``rng``.

    Args:
        room: Inner room extents (x, y), m, centred on the origin.
        passes: ``(eye height, target height, facing the middle)`` per loop, m.
    """
    count = len(passes)
    s = (np.arange(frames) + 0.5) / frames * count  # pass k runs over s in [k, k + 1)
    angle = 2 * np.pi * s + rng.uniform(0, 2 * np.pi)
    a, b = room[0] / 2 - inset, room[1] / 2 - inset
    eyes = np.column_stack([a * np.cos(angle), b * np.sin(angle), np.zeros(frames)])
    outward = np.arctan2(np.sin(angle) / b, np.cos(angle) / a)  # the ellipse's normal, away from the middle
    heading, pitch = np.zeros(frames), np.zeros(frames)
    weight = np.zeros(frames)
    for k, (eye_z, target_z, inward) in enumerate(passes):
        # each pass's share: 1 inside it, blending over 0.15 of a loop on either side of its borders
        w = _smoothstep((s - k + 0.15) / 0.3) * (1 - _smoothstep((s - k - 1 + 0.15) / 0.3)) if count > 1 \
            else np.ones(frames)
        w = np.where(k == 0, np.maximum(w, s < 0.5), w) if k == 0 else w
        w = np.maximum(w, s >= count - 0.5) if k == count - 1 else w
        distance = np.hypot(eyes[:, 0], eyes[:, 1]) if inward else reach
        eyes[:, 2] += w * eye_z
        heading += w * np.pi * inward
        pitch += w * np.arctan2(target_z - eye_z, distance)
        weight += w
    eyes[:, 2] /= weight
    heading = outward + heading / weight
    pitch /= weight
    look = np.column_stack([np.cos(pitch) * np.cos(heading), np.cos(pitch) * np.sin(heading), np.sin(pitch)])
    eyes += rng.normal(0, 0.03, eyes.shape)
    targets = eyes + reach * look + rng.normal(0, 0.05, eyes.shape)
    rolls = rng.normal(0, np.radians(2.0), frames)
    return np.stack([look_at(e, t, roll=r) for e, t, r in zip(eyes, targets, rolls)])


def random_world_to_capture(rng: np.random.Generator, *, tilt_deg=(5.0, 15.0), offset: float = 1.0) -> np.ndarray:
    """A rigid transform (4, 4) from the world (z up) to a capture frame that is not gravity aligned.

    A tilt drawn in ``tilt_deg`` about a random horizontal axis, any yaw, and an offset of up to ``offset`` m
    on each axis.
    """
    azimuth, tilt = rng.uniform(0, 2 * np.pi), np.radians(rng.uniform(*tilt_deg))
    yaw = rng.uniform(-np.pi, np.pi)
    tilt_rot = quat_to_matrix(quat_from_axis_angle((np.cos(azimuth), np.sin(azimuth), 0.0), tilt))
    yaw_rot = quat_to_matrix(quat_from_axis_angle((0.0, 0.0, 1.0), yaw))
    transform = np.eye(4)
    transform[:3, :3] = tilt_rot @ yaw_rot
    transform[:3, 3] = rng.uniform(-offset, offset, 3)
    return transform
