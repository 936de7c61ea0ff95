"""A scripted Messages API client for offline agent tests: real ``anthropic.types.Message`` responses.

The script is the conversation of an agent that writes a locker family whose door swings into its carcass,
sees the joint_sweep failure in validate_family's report, fixes the door's limits and submits.
"""

from __future__ import annotations

import copy
from typing import Any

LOCKER = '''"""A steel locker with one hinged door."""
from asset_gen.schema import Param, Schema
from twin.shapes import Box

NAME = "locker"
DESCRIPTION = "steel locker, one hinged door, bolted to the floor"
SCHEMA = Schema((
    Param("height", 1.5, 1.9, 1.8, "m", "height"),
    Param("width", 0.3, 0.5, 0.4, "m", "width along y"),
))
OPEN = LIMITS


def build(scene, name, p, rng, *, pos=(0.0, 0.0, 0.0), quat=(1.0, 0.0, 0.0, 0.0)):
    body = scene.add_body(name, pos=pos, quat=quat)
    scene.add_geom(body, Box((0.5, p.width, p.height)), name=name + "_carcass", pos=(0.0, 0.0, p.height / 2),
                   mass=30.0)
    door = scene.add_body(name + "_door", parent=body, pos=(0.274, -p.width / 2, 0.0))
    scene.add_geom(door, Box((0.02, p.width, p.height - 0.01)), name=name + "_door",
                   pos=(-0.01, p.width / 2, p.height / 2), mass=4.0)
    scene.add_hinge(door, name + "_hinge", axis=(0, 0, 1), limits=OPEN, damping=0.5)
    return body
'''
BAD_LOCKER = LOCKER.replace("LIMITS", "(0.0, 1.6)")  # opens inwards: through the carcass
GOOD_LOCKER = LOCKER.replace("LIMITS", "(-1.6, 0.0)")
MODEL = "claude-test-model"


def message(turn: int, blocks: list[dict[str, Any]], stop: str = "tool_use", tokens=(1200, 300)):
    """A Messages API response as the SDK returns it (an ``anthropic.types.Message``)."""
    from anthropic.types import Message

    return Message.model_validate({
        "id": f"msg_{turn:03d}", "type": "message", "role": "assistant", "model": MODEL, "content": blocks,
        "stop_reason": stop, "stop_sequence": None,
        "usage": {"input_tokens": tokens[0], "output_tokens": tokens[1]},
    })


def use(turn: int, k: int, tool: str, **arguments: Any) -> dict[str, Any]:
    """A tool_use block."""
    return {"type": "tool_use", "id": f"toolu_{turn:02d}_{k}", "name": tool, "input": arguments}


def text(value: str) -> dict[str, Any]:
    return {"type": "text", "text": value}


def repair_script() -> list:
    """Read docs, write a broken family, see it fail, fix it, look at it, submit it."""
    return [
        message(0, [text("Reading the API."), use(0, 0, "read_scene_api"), use(0, 1, "list_families")]),
        message(1, [use(1, 0, "read_family", name="cabinet")]),
        message(2, [use(2, 0, "write_family", name="locker", code=BAD_LOCKER)]),
        message(3, [use(3, 0, "validate_family", name="locker", samples=2, expected_size=[0.5, 0.4, 1.8])]),
        message(4, [text("The door swings into the carcass: open it outwards."),
                    use(4, 0, "write_family", name="locker", code=GOOD_LOCKER)]),
        message(5, [use(5, 0, "validate_family", name="locker", samples=2), use(5, 1, "render_family", name="locker")]),
        message(6, [use(6, 0, "submit_family", name="locker", expected_size=[0.5, 0.4, 1.8])]),
    ]


class ScriptedClient:
    """Stands in for ``anthropic.Anthropic``; remembers every request."""

    def __init__(self, responses: list):
        self.messages = self
        self._responses = list(responses)
        self.requests: list[dict[str, Any]] = []

    def create(self, **kwargs: Any):
        self.requests.append(copy.deepcopy(kwargs))  # the loop keeps appending to the same list
        if not self._responses:
            raise AssertionError("the agent asked for more responses than scripted")
        return self._responses.pop(0)
