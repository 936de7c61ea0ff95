"""A procedural factory cell for synthetic captures, built with :class:`twin.scene.Scene`.

A closed room (floor, four walls, no ceiling) with racks of boards along the north wall, workbenches along the
south wall, a loaded pallet by the east wall, a thin-walled steel bin and a tote by the west wall, and boxes on
the floor in the middle. Every object rests exactly on its support. The band along the walls is at most
0.9 m deep and the middle objects are lower than 0.7 m, so a camera path 1.3 m inside the walls at 0.9 m or
higher never enters an object (see :mod:`scans.synth.camera`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from twin.examples import CARDBOARD, CONCRETE, PAINTED_WALL, PLASTIC, STEEL, WOOD
from twin.scene import Material, Scene
from twin.shapes import Box
from twin.transforms import yaw_quat

PALLET_WOOD = Material("pallet_wood", friction=0.6, rgba=(0.78, 0.66, 0.45, 1.0), density=850.0)
BIN_STEEL = Material("bin_steel", friction=0.5, rgba=(0.60, 0.62, 0.60, 1.0), density=7850.0)
TOTE_RED = Material("tote_red", friction=0.4, rgba=(0.78, 0.22, 0.18, 1.0), density=950.0)

WALL_HEIGHT = 2.6
WALL_THICKNESS = 0.15


@dataclass(frozen=True)
class Cell:
    """A built cell.

    Args:
        scene: The scene (floor and walls are static geoms, objects are bodies).
        objects: ``(name, kind)`` of every separate object, in build order; kinds are ``rack``, ``table``,
            ``box``, ``tote``, ``bin`` and ``pallet``.
        room: Inner room extents (x, y) in m, centred on the origin.
    """

    scene: Scene
    objects: tuple[tuple[str, str], ...]
    room: tuple[float, float]


class _Builder:
    def __init__(self, rng: np.random.Generator):
        self.rng = rng
        self.scene = Scene("synthetic_cell")
        self.objects: list[tuple[str, str]] = []

    def box(self, name: str, centre_xy, z_support: float, size, yaw: float = 0.0) -> None:
        """A free cardboard box resting on ``z_support``; mass from a carton's density plus contents."""
        volume = size[0] * size[1] * size[2]
        mass = round(CARDBOARD.density * volume + float(self.rng.uniform(0.3, 3.0)), 3)
        self.scene.add_free_object(name, Box(size), pos=(*centre_xy, z_support + size[2] / 2), quat=yaw_quat(yaw),
                                   mass=mass, material=CARDBOARD)
        self.objects.append((name, "box"))

    def random_box(self, name: str, centre_xy, z_support: float, lo, hi, max_yaw: float = 0.25) -> tuple:
        size = tuple(round(float(self.rng.uniform(a, b)), 3) for a, b in zip(lo, hi))
        self.box(name, centre_xy, z_support, size, float(self.rng.uniform(-max_yaw, max_yaw)))
        return size

    def open_container(self, name: str, kind: str, pos, size, wall: float, material: Material, yaw: float = 0.0):
        """An open-topped container (tote, bin) as five thin boxes in one free body; frame at its base centre."""
        body = self.scene.add_free_body(name, pos=pos, quat=yaw_quat(yaw))
        lx, ly, h = size
        walls = [((lx, ly, wall), (0, 0, wall / 2)),
                 ((wall, ly, h - wall), (-lx / 2 + wall / 2, 0, wall + (h - wall) / 2)),
                 ((wall, ly, h - wall), (lx / 2 - wall / 2, 0, wall + (h - wall) / 2)),
                 ((lx - 2 * wall, wall, h - wall), (0, -ly / 2 + wall / 2, wall + (h - wall) / 2)),
                 ((lx - 2 * wall, wall, h - wall), (0, ly / 2 - wall / 2, wall + (h - wall) / 2))]
        for i, (part, at) in enumerate(walls):
            self.scene.add_geom(body, Box(part), name=f"{name}_wall_{i}", pos=at, material=material)
        self.objects.append((name, kind))

    def rack(self, name: str, pos, width: float, depth: float, height: float, boards: int) -> list[float]:
        """A static rack (width along x); returns its boards' top heights, lowest first."""
        body = self.scene.add_body(name, pos=pos)
        post = 0.05
        for i, (sx, sy) in enumerate([(-1, -1), (-1, 1), (1, -1), (1, 1)]):
            self.scene.add_geom(body, Box((post, post, height)), name=f"{name}_post_{i}",
                                pos=(sx * (width - post) / 2, sy * (depth - post) / 2, height / 2), material=STEEL)
        tops = []
        for k in range(boards):
            z = 0.15 + k * (height - 0.25) / (boards - 1)
            self.scene.add_geom(body, Box((width - 2 * post, depth, 0.025)), name=f"{name}_board_{k}",
                                pos=(0, 0, z), material=WOOD)
            tops.append(pos[2] + z + 0.0125)
        self.objects.append((name, "rack"))
        return tops

    def table(self, name: str, pos, length: float, width: float, height: float = 0.75) -> float:
        """A static workbench (length along x); returns its top height."""
        body = self.scene.add_body(name, pos=pos)
        top = 0.04
        self.scene.add_geom(body, Box((length, width, top)), name=f"{name}_top", pos=(0, 0, height - top / 2),
                            material=WOOD)
        for i, (sx, sy) in enumerate([(-1, -1), (-1, 1), (1, -1), (1, 1)]):
            self.scene.add_geom(body, Box((0.05, 0.05, height - top)), name=f"{name}_leg_{i}",
                                pos=(sx * (length / 2 - 0.05), sy * (width / 2 - 0.05), (height - top) / 2),
                                material=STEEL)
        self.objects.append((name, "table"))
        return pos[2] + height

    def pallet(self, name: str, pos, yaw: float) -> float:
        """A 1.2 x 0.8 x 0.144 m EUR pallet (long side along its x) as one free body; returns its top height.

        Built as one is: three bottom boards along the long side, nine blocks, three stringer boards across
        the blocks, and five deck boards along the long side on the stringers (22 + 78 + 22 + 22 mm).
        """
        body = self.scene.add_free_body(name, pos=pos, quat=yaw_quat(yaw))
        parts = [((1.2, w, 0.022), (0, y, 0.011)) for y, w in ((-0.35, 0.1), (0.0, 0.145), (0.35, 0.1))]
        parts += [((0.145, 0.1, 0.078), (x, y, 0.061)) for x in (-0.5275, 0.0, 0.5275) for y in (-0.35, 0.0, 0.35)]
        parts += [((0.145, 0.8, 0.022), (x, 0.0, 0.111)) for x in (-0.5275, 0.0, 0.5275)]
        parts += [((1.2, w, 0.022), (0, y, 0.133))
                  for y, w in ((-0.3275, 0.145), (-0.16375, 0.1), (0.0, 0.1), (0.16375, 0.1), (0.3275, 0.145))]
        for i, (part, at) in enumerate(parts):
            self.scene.add_geom(body, Box(part), name=f"{name}_part_{i}", pos=at, material=PALLET_WOOD)
        self.objects.append((name, "pallet"))
        return pos[2] + 0.144


def build_cell(rng: np.random.Generator) -> Cell:
    """Build a randomised factory cell.

    Args:
        rng: Draws the room size, the number of racks, boards and tables, and each box's size and yaw.
    """
    b = _Builder(rng)
    scene = b.scene
    room_x, room_y = round(float(rng.uniform(5.5, 6.5)), 2), round(float(rng.uniform(4.5, 5.5)), 2)
    hx, hy, t, h = room_x / 2, room_y / 2, WALL_THICKNESS, WALL_HEIGHT
    scene.add_floor((room_x + 2 * t, room_y + 2 * t), material=CONCRETE)
    scene.add_static("wall_north", Box((room_x + 2 * t, t, h)), pos=(0, hy + t / 2, h / 2), material=PAINTED_WALL)
    scene.add_static("wall_south", Box((room_x + 2 * t, t, h)), pos=(0, -hy - t / 2, h / 2), material=PAINTED_WALL)
    scene.add_static("wall_east", Box((t, room_y, h)), pos=(hx + t / 2, 0, h / 2), material=PAINTED_WALL)
    scene.add_static("wall_west", Box((t, room_y, h)), pos=(-hx - t / 2, 0, h / 2), material=PAINTED_WALL)

    # North wall: racks with boxes on their lower boards.
    racks = int(rng.integers(1, 3))
    span = room_x - 2.0
    for r in range(racks):
        width, depth = float(rng.uniform(1.2, 1.5)), float(rng.uniform(0.45, 0.55))
        x = -span / 2 + span * (r + 0.5) / racks
        height, boards = float(rng.uniform(1.8, 2.0)), int(rng.integers(3, 5))
        tops = b.rack(f"rack_{r}", (x, hy - depth / 2 - 0.05, 0.0), width, depth, height, boards)
        gap = tops[1] - tops[0] - 0.03
        for k, top in enumerate(tops[:-1]):
            for s, dx in enumerate((-width / 4, width / 4)):
                if rng.uniform() < 0.6:
                    b.random_box(f"box_rack{r}_{k}_{s}", (x + dx, hy - depth / 2 - 0.05), top,
                                 (0.2, 0.2, 0.12), (0.4, depth - 0.1, min(0.35, gap - 0.05)), max_yaw=0.15)

    # South wall: workbenches with a box and a tote.
    tables = int(rng.integers(1, 3))
    for k in range(tables):
        length, width = float(rng.uniform(1.2, 1.6)), 0.7
        x = -span / 2 + span * (k + 0.5) / tables
        y = -hy + width / 2 + 0.1
        top = b.table(f"table_{k}", (x, y, 0.0), length, width)
        b.random_box(f"box_table_{k}", (x - length / 4, y), top, (0.2, 0.2, 0.1), (0.4, 0.35, 0.3))
        b.open_container(f"tote_table_{k}", "tote", (x + length / 4, y, top), (0.5, 0.35, 0.2), 0.01, TOTE_RED,
                         float(rng.uniform(-0.2, 0.2)))

    # East wall: a pallet (long side along y) with a stack of boxes.
    px = hx - 0.4 - 0.1
    pallet_at = (px, float(rng.uniform(-0.5, 0.5)) * (hy - 1.3), 0.0)
    top = b.pallet("pallet", pallet_at, np.pi / 2 + float(rng.uniform(-0.1, 0.1)))
    pallet_y = float(scene.spec.body("pallet").pos[1])
    size = b.random_box("box_pallet_0", (px, pallet_y - 0.24), top, (0.5, 0.32, 0.25), (0.6, 0.36, 0.4), max_yaw=0.05)
    b.random_box("box_pallet_1", (px, pallet_y + 0.24), top, (0.5, 0.3, 0.2), (0.6, 0.36, 0.35), max_yaw=0.05)
    b.random_box("box_pallet_2", (px, pallet_y - 0.24), top + size[2], (0.3, 0.25, 0.15), (0.4, 0.3, 0.25), max_yaw=0.1)

    # West wall: a thin-walled steel bin and a tote.
    bx = -hx + 0.35 + 0.1
    b.open_container("bin", "bin", (bx, 0.45, 0.0), (0.6, 0.45, 0.45), 0.004, BIN_STEEL,
                     float(rng.uniform(-0.15, 0.15)))
    b.open_container("tote_floor", "tote", (bx, -0.45, 0.0), (0.6, 0.4, 0.3), 0.01, PLASTIC,
                     float(rng.uniform(-0.15, 0.15)))

    # Middle: boxes on the floor in separate slots.
    mx, my = max(hx - 1.9, 0.8), max(hy - 1.9, 0.4)
    slots = [(-mx, -my), (0.0, my), (mx, -my), (-mx, my), (mx, my)]
    for i, (sx, sy) in enumerate(slots[: int(rng.integers(2, 5))]):
        b.random_box(f"box_floor_{i}", (sx, sy), 0.0, (0.3, 0.25, 0.2), (0.55, 0.45, 0.6), max_yaw=0.6)
    return Cell(scene, tuple(b.objects), (room_x, room_y))
