"""Check ``actuator_ctrlrange``: every actuator has a control range of positive width.

A zero-width or inverted ``ctrlrange`` with ``ctrllimited`` is a compile error in MuJoCo; an actuator without a
range accepts any control, so a policy's action scaling has nothing to go by.
"""

from __future__ import annotations

from dataclasses import dataclass

import mujoco

from twin.validation._names import model_name, model_ref, spec_name, spec_ref
from twin.validation.report import Finding

CHECK = "actuator_ctrlrange"
MIN_WIDTH = 0.0
"""A limited control range must be wider than this (in the actuator's control unit)."""


@dataclass(frozen=True)
class CtrlrangeDefect:
    """A defect found on the spec: ``finding`` plus the actuator's index in ``spec.actuators``."""

    finding: Finding
    actuator: int
    blocks_compile: bool


def _limited(actuator, autolimits: bool) -> bool:
    """Whether the compiler will treat ``actuator`` as control-limited."""
    if actuator.ctrllimited == mujoco.mjtLimited.mjLIMITED_AUTO:
        # autolimits: limited iff a range was given (the spec default is [0, 0])
        return autolimits and (actuator.ctrlrange[0] != 0 or actuator.ctrlrange[1] != 0)
    return actuator.ctrllimited == mujoco.mjtLimited.mjLIMITED_TRUE


def spec_defects(spec: mujoco.MjSpec, *, include_unlimited: bool) -> list[CtrlrangeDefect]:
    """Actuators with an empty or inverted control range (compile errors) and, optionally, with none.

    Args:
        spec: The model; not modified.
        include_unlimited: Also report actuators without a control range (use when there is no compiled model
            to read the ranges from; ``inheritrange`` counts as a range).

    Returns:
        One defect per actuator, in spec order.
    """
    defects = []
    for i, act in enumerate(spec.actuators):
        name, ref = spec_name(act, "actuator", i), spec_ref(act, "actuator", i)
        lo, hi = (float(v) for v in act.ctrlrange)
        if _limited(act, spec.compiler.autolimits):
            width = hi - lo
            if width <= MIN_WIDTH:
                kind = "zero-width" if width == 0 else "inverted"
                message = f"{ref} has a {kind} ctrlrange [{lo:g}, {hi:g}] (width {width:g}) with ctrllimited"
                defects.append(CtrlrangeDefect(Finding(CHECK, name, width, "", MIN_WIDTH, message), i, True))
        elif include_unlimited and act.inheritrange <= 0:
            defects.append(CtrlrangeDefect(_unlimited(name, ref), i, False))
    return defects


def patch(spec: mujoco.MjSpec, defect: CtrlrangeDefect) -> None:
    """Make ``defect`` compile in ``spec`` (a copy): the actuator becomes unlimited."""
    spec.actuators[defect.actuator].ctrllimited = mujoco.mjtLimited.mjLIMITED_FALSE


def model_findings(model: mujoco.MjModel, skip: set[str]) -> list[Finding]:
    """Actuators of a compiled model without a control range, or with one of no width.

    Args:
        model: The compiled model.
        skip: Element names already reported (from the spec); not reported again.
    """
    findings = []
    for i in range(model.nu):
        name, ref = model_name(model, "actuator", i), model_ref(model, "actuator", i)
        if name in skip:
            continue
        if not model.actuator_ctrllimited[i]:
            findings.append(_unlimited(name, ref))
            continue
        lo, hi = (float(v) for v in model.actuator_ctrlrange[i])
        if hi - lo <= MIN_WIDTH:
            findings.append(Finding(CHECK, name, hi - lo, "", MIN_WIDTH,
                                    f"{ref} has ctrlrange [{lo:g}, {hi:g}] (width {hi - lo:g})"))
    return findings


def _unlimited(name: str, ref: str) -> Finding:
    return Finding(CHECK, name, None, "", MIN_WIDTH,
                   f"{ref} has no ctrlrange (ctrllimited false, or auto without a range): controls are unbounded")
