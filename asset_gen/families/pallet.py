"""Pallet: a block pallet (EUR style) of bottom boards, nine blocks, cross boards and deck boards; free body."""

from __future__ import annotations

import numpy as np

from asset_gen.materials import PINE
from asset_gen.parts import root_body
from asset_gen.schema import Param, Schema
from twin.shapes import Box

NAME = "pallet"
DESCRIPTION = "wooden block pallet (EUR style): deck boards on nine blocks, free body"

SCHEMA = Schema((
    Param("length", 0.80, 1.30, 1.20, "m", "length along x (deck boards run along x)"),
    Param("width", 0.60, 1.20, 0.80, "m", "width along y"),
    Param("height", 0.12, 0.16, 0.144, "m", "overall height"),
    Param("board", 0.015, 0.024, 0.022, "m", "board thickness"),
    Param("deck_boards", 3, 7, 5, "", "number of top deck boards", integer=True),
))

BLOCK = 0.1
"""Block and bottom/cross board width, m."""


def build(scene, name, p, rng, *, pos=(0.0, 0.0, 0.0), quat=(1.0, 0.0, 0.0, 0.0)):
    """Add a pallet called ``name`` standing at ``pos``; returns its free root body."""
    body = root_body(scene, name, pos=pos, quat=quat, free=True)
    length, width, t = p.length, p.width, p.board
    block_h = p.height - 3 * t
    xs = (-length / 2 + BLOCK / 2, 0.0, length / 2 - BLOCK / 2)
    ys = (-width / 2 + BLOCK / 2, 0.0, width / 2 - BLOCK / 2)

    def part(label, size, at):
        scene.add_geom(body, Box(size), name=f"{name}_{label}", pos=at, material=PINE)

    for j, y in enumerate(ys):
        part(f"bottom_{j}", (length, BLOCK, t), (0.0, y, t / 2))
    for i, x in enumerate(xs):
        for j, y in enumerate(ys):
            part(f"block_{i}{j}", (BLOCK, BLOCK, block_h), (x, y, t + block_h / 2))
        part(f"cross_{i}", (BLOCK, width, t), (x, 0.0, t + block_h + t / 2))
    n = int(p.deck_boards)
    board_w = min(0.145, 0.9 * width / n)
    for k, y in enumerate(np.linspace(-width / 2 + board_w / 2, width / 2 - board_w / 2, n)):
        part(f"deck_{k}", (length, board_w, t), (0.0, float(y), 2 * t + block_h + t / 2))
    return body
