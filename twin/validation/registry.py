"""The registry of checks ``twin validate`` runs, as data, in report order."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CheckInfo:
    """A check's name (stable: scripts and the CLI use it) and a one-line description."""

    name: str
    description: str

    def __post_init__(self) -> None:
        if not self.name.isidentifier():
            raise ValueError(f"a check name is a lower-case identifier, got {self.name!r}")


CHECKS: tuple[CheckInfo, ...] = (
    CheckInfo("compile", "the model compiles; MuJoCo compiler and simulation warnings"),
    CheckInfo("penetration", "no geoms that may collide overlap by more than 1 mm in the initial state"),
    CheckInfo("settle", "free bodies left alone for the settle time stay above the floor and move at most 5 mm"),
    CheckInfo("mass", "every moving body has finite, positive mass and inertia"),
    CheckInfo("mesh_inertia", "no mesh uses legacy inertia where the exact computation differs by more than 2x"),
    CheckInfo(
        "joint_sweep",
        "no limited hinge or slide joint, at its limits or part-way, pushes its subtree more than 1 mm deeper into other geoms",
    ),
    CheckInfo("actuator_ctrlrange", "every actuator has a control range of positive width"),
)
"""All checks, in the order they are reported."""

CHECK_NAMES: tuple[str, ...] = tuple(c.name for c in CHECKS)
DESCRIPTIONS: dict[str, str] = {c.name: c.description for c in CHECKS}

# The checks that need a compiled model and simulation; skipped when the model does not compile.
MODEL_CHECKS: tuple[str, ...] = ("penetration", "settle", "mesh_inertia", "joint_sweep")
