"""Scenes built from code: the demo's factory cell, also used by tests and benchmarks.

Every object is placed exactly at rest on its support (its bottom face on the surface below), so a valid
cell passes ``twin validate`` unchanged.
"""

from __future__ import annotations

import numpy as np

from twin.scene import Material, Scene
from twin.shapes import Box, Mesh
from twin.transforms import yaw_quat

CONCRETE = Material("concrete", friction=0.9, rgba=(0.55, 0.55, 0.58, 1.0), density=2400.0)
PAINTED_WALL = Material("painted_wall", friction=0.6, rgba=(0.85, 0.84, 0.80, 1.0), density=1800.0)
STEEL = Material("steel", friction=0.5, rgba=(0.25, 0.35, 0.55, 1.0), density=7850.0)
# Cabinet panels are modelled 2 cm thick for robust contacts but are ~1 mm sheet with stiffeners: an
# effective density keeps the masses real (a 0.8 x 0.5 x 1.0 m cabinet weighs ~30 kg, its door ~6 kg).
SHEET_STEEL = Material("sheet_steel", friction=0.5, rgba=(0.30, 0.42, 0.62, 1.0), density=400.0)
DOOR_PAINT = Material("door_paint", friction=0.5, rgba=(0.80, 0.82, 0.86, 1.0), density=400.0)
HANDLE = Material("handle", friction=0.5, rgba=(0.1, 0.1, 0.1, 1.0), density=7850.0)
WOOD = Material("wood", friction=0.6, rgba=(0.65, 0.48, 0.30, 1.0), density=600.0)
CARDBOARD = Material("cardboard", friction=0.7, rgba=(0.72, 0.56, 0.36, 1.0), density=150.0)
PLASTIC = Material("plastic", friction=0.4, rgba=(0.15, 0.45, 0.75, 1.0), density=950.0)
RUBBER = Material("rubber", friction=1.1, rgba=(0.12, 0.12, 0.12, 1.0), density=1100.0)


def wedge_mesh(name: str, length: float, width: float, height: float) -> Mesh:
    """A convex wedge (a ramp block): right-triangle profile in x-z, extruded along y; frame at its centre."""
    profile = np.array([[0.0, 0.0], [length, 0.0], [0.0, height]])
    profile -= profile.mean(axis=0)
    y = width / 2
    vertices = np.array([[x, -y, z] for x, z in profile] + [[x, y, z] for x, z in profile])
    faces = np.array(
        [[0, 1, 2], [3, 5, 4],  # ends
         [0, 4, 1], [0, 3, 4],  # bottom
         [1, 5, 2], [1, 4, 5],  # slope
         [0, 5, 3], [0, 2, 5]]  # back
    )
    return Mesh(name, vertices, faces)


def _shelf(scene: Scene, pos, *, boards: int = 3) -> list[float]:
    """A static steel rack; returns the heights of its boards' top faces (m)."""
    body = scene.add_body("shelf", pos=pos)
    width, depth, height, post = 1.2, 0.45, 1.8, 0.04
    for i, (sx, sy) in enumerate([(-1, -1), (-1, 1), (1, -1), (1, 1)]):
        scene.add_geom(
            body, Box((post, post, height)), name=f"shelf_post_{i}",
            pos=(sx * (depth - post) / 2, sy * (width - post) / 2, height / 2), material=STEEL,
        )
    tops = []
    for k in range(boards):
        z = 0.3 + k * 0.55
        scene.add_geom(body, Box((depth - 2 * post, width, 0.02)), name=f"shelf_board_{k}", pos=(0, 0, z), material=WOOD)
        tops.append(pos[2] + z + 0.01)
    return tops


def _table(scene: Scene, pos) -> float:
    """A static workbench; returns the height of its top face (m)."""
    body = scene.add_body("table", pos=pos)
    length, width, height, top = 1.4, 0.7, 0.75, 0.04
    scene.add_geom(body, Box((length, width, top)), name="table_top", pos=(0, 0, height - top / 2), material=WOOD)
    for i, (sx, sy) in enumerate([(-1, -1), (-1, 1), (1, -1), (1, 1)]):
        scene.add_geom(
            body, Box((0.05, 0.05, height - top)), name=f"table_leg_{i}",
            pos=(sx * (length / 2 - 0.05), sy * (width / 2 - 0.05), (height - top) / 2), material=STEEL,
        )
    return pos[2] + height


def _cabinet(scene: Scene, pos) -> None:
    """A static steel cabinet facing +x with a door hinged at its left front edge (opens to -1.6 rad)."""
    body = scene.add_body("cabinet", pos=pos)
    w, d, h, t, gap = 0.8, 0.5, 1.0, 0.02, 0.003
    panels = {
        "back": ((t, w, h), (-d / 2 + t / 2, 0, h / 2)),
        "left": ((d, t, h), (0, -w / 2 + t / 2, h / 2)),
        "right": ((d, t, h), (0, w / 2 - t / 2, h / 2)),
        "bottom": ((d, w - 2 * t, t), (0, 0, t / 2)),
        "top": ((d, w - 2 * t, t), (0, 0, h - t / 2)),
    }
    for name, (size, at) in panels.items():
        scene.add_geom(body, Box(size), name=f"cabinet_{name}", pos=at, material=SHEET_STEEL)
    # Hinge on the door's outer face at the left edge: opening (negative angle) swings it outwards, clear of
    # the carcass at both limits.
    hinge = (d / 2 + gap + t, -w / 2, 0.0)
    door = scene.add_body("cabinet_door", parent=body, pos=hinge)
    scene.add_geom(
        door, Box((t, w - gap, h - 2 * gap)), name="cabinet_door",
        pos=(-t / 2, (w - gap) / 2, h / 2), material=DOOR_PAINT,
    )
    scene.add_geom(door, Box((0.03, 0.03, 0.2)), name="cabinet_handle", pos=(0.015, w - 0.08, h / 2), material=HANDLE)
    scene.add_hinge(door, "cabinet_door_hinge", axis=(0, 0, 1), limits=(-1.6, 0.0), damping=0.5, frictionloss=0.05)


def _tote(scene: Scene, name: str, pos) -> None:
    """An open plastic tote as five thin boxes in one free body (a single mesh would collide as a solid block)."""
    body = scene.add_free_body(name, pos=pos)
    length, width, height, t = 0.6, 0.4, 0.25, 0.01
    walls = [
        ((length, width, t), (0, 0, t / 2)),
        ((t, width, height), (-length / 2 + t / 2, 0, height / 2)),
        ((t, width, height), (length / 2 - t / 2, 0, height / 2)),
        ((length - 2 * t, t, height), (0, -width / 2 + t / 2, height / 2)),
        ((length - 2 * t, t, height), (0, width / 2 - t / 2, height / 2)),
    ]
    for i, (size, at) in enumerate(walls):
        scene.add_geom(body, Box(size), name=f"{name}_wall_{i}", pos=at, material=PLASTIC)


def factory_cell(seed: int = 0) -> tuple[Scene, list[str]]:
    """Build a small factory cell: floor, walls, a shelf, a table, boxes, a tote, a wedge and a cabinet.

    Args:
        seed: Varies the boxes' sizes and yaw slightly (deterministic for a given seed).

    Returns:
        The scene and the names of its separate objects (static props and free objects), in build order.
    """
    rng = np.random.default_rng(seed)
    scene = Scene("factory_cell")
    room_x, room_y, wall_h, wall_t = 6.0, 5.0, 2.5, 0.15
    scene.add_floor((room_x + 2 * wall_t, room_y + 2 * wall_t), material=CONCRETE)
    scene.add_static("wall_north", Box((room_x, wall_t, wall_h)), pos=(0, room_y / 2 + wall_t / 2, wall_h / 2), material=PAINTED_WALL)
    scene.add_static("wall_south", Box((room_x, wall_t, wall_h)), pos=(0, -room_y / 2 - wall_t / 2, wall_h / 2), material=PAINTED_WALL)
    scene.add_static("wall_west", Box((wall_t, room_y, wall_h)), pos=(-room_x / 2 - wall_t / 2, 0, wall_h / 2), material=PAINTED_WALL)

    board_tops = _shelf(scene, (-2.5, 1.2, 0.0))
    table_top = _table(scene, (0.3, 1.6, 0.0))
    _cabinet(scene, (-2.4, -1.4, 0.0))
    objects = ["shelf", "table", "cabinet"]

    def box(name: str, x: float, y: float, z_support: float, size_hint) -> None:
        size = tuple(float(s * rng.uniform(0.9, 1.1)) for s in size_hint)
        volume = size[0] * size[1] * size[2]
        scene.add_free_object(
            name, Box(size), pos=(x, y, z_support + size[2] / 2), quat=yaw_quat(rng.uniform(-0.3, 0.3)),
            mass=round(CARDBOARD.density * volume + 0.5, 3), material=CARDBOARD,
        )
        objects.append(name)

    box("box_floor_0", 1.2, -1.0, 0.0, (0.4, 0.3, 0.3))
    box("box_floor_1", 1.9, -1.1, 0.0, (0.5, 0.4, 0.35))
    box("box_table", 0.1, 1.6, table_top, (0.3, 0.25, 0.2))
    box("box_shelf_0", -2.5, 1.0, board_tops[0], (0.3, 0.3, 0.25))
    box("box_shelf_1", -2.5, 1.4, board_tops[1], (0.25, 0.3, 0.2))
    _tote(scene, "tote", (0.8, 0.2, 0.0))
    objects.append("tote")
    wedge = wedge_mesh("wedge", 0.5, 0.4, 0.25)
    # The wedge mesh's frame is its profile centroid, one third of its height above the base.
    scene.add_free_object("wedge", wedge, pos=(2.0, 1.2, 0.25 / 3), mass=4.0, material=RUBBER)
    objects.append("wedge")
    return scene, objects


def two_link_arm() -> Scene:
    """A planar 2-link arm on a static pedestal: a position-servoed shoulder and a torque-driven elbow.

    Link lengths 0.4 m and 0.3 m, hinge axes along y, joint damping, armature and friction set as a real arm's
    would be; used by tests and as the smallest articulated example.
    """
    scene = Scene("two_link_arm")
    scene.add_floor((2.0, 2.0), material=CONCRETE)
    pedestal = scene.add_body("pedestal", pos=(0, 0, 0))
    scene.add_geom(pedestal, Box((0.2, 0.2, 0.5)), name="pedestal", pos=(0, 0, 0.25), material=STEEL)
    upper = scene.add_body("upper_arm", parent=pedestal, pos=(0, 0, 0.6))
    scene.add_geom(upper, Box((0.06, 0.06, 0.4)), name="upper_arm", pos=(0, 0, 0.2), material=PLASTIC, mass=1.5)
    scene.add_hinge(upper, "shoulder", axis=(0, 1, 0), limits=(-1.2, 1.2), damping=1.0, armature=0.05, frictionloss=0.2)
    fore = scene.add_body("forearm", parent=upper, pos=(0, 0, 0.45))
    scene.add_geom(fore, Box((0.05, 0.05, 0.3)), name="forearm", pos=(0, 0, 0.15), material=PLASTIC, mass=0.8)
    scene.add_hinge(fore, "elbow", axis=(0, 1, 0), limits=(-2.0, 2.0), damping=0.5, armature=0.02, frictionloss=0.1)
    scene.add_position_actuator("shoulder", kp=200.0, kv=10.0, ctrlrange=(-1.2, 1.2), forcerange=(-80, 80))
    scene.add_motor("elbow", ctrlrange=(-1.0, 1.0), gear=20.0)
    return scene
