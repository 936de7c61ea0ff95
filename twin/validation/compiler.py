"""Check ``compile``: the model compiles, and MuJoCo's compiler and simulation warnings.

Compile errors that are known defects (a massless moving body, an empty control range) are not reported here
but by their own checks (``mass``, ``actuator_ctrlrange``): they are found on the spec, patched in a copy, and
the copy is compiled so the other checks can still run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import mujoco

from twin.validation import actuators, mass
from twin.validation._capture import captured_warnings, one_line
from twin.validation._names import spec_name, spec_ref
from twin.validation.report import Finding

CHECK = "compile"
MAX_PATCHES = 100
"""Give up patching known defects after this many compile attempts."""

_ELEMENT = re.compile(r"Element name '([^']*)', id (-?\d+)")


@dataclass(frozen=True)
class CompileOutcome:
    """What compiling a spec gave.

    Args:
        model: The compiled model (of the patched copy when defects were patched), or ``None``.
        findings: ``compile`` findings: the unrecoverable error, if any, and compiler warnings.
        mass_findings: ``mass`` findings found on the spec or from the compiler's errors.
        ctrlrange_findings: ``actuator_ctrlrange`` findings that blocked compilation.
        error: The unrecoverable compile error as one line; empty when a model was compiled.
    """

    model: mujoco.MjModel | None
    findings: tuple[Finding, ...]
    mass_findings: tuple[Finding, ...]
    ctrlrange_findings: tuple[Finding, ...]
    error: str = ""


def compile_spec(spec: mujoco.MjSpec, parse_warnings: tuple[str, ...] = ()) -> CompileOutcome:
    """Compile ``spec``, turning known defects into findings and patching them in a copy.

    Args:
        spec: The model; not modified (it is compiled, and copied when it needs patching).
        parse_warnings: Warnings MuJoCo gave while parsing the file, reported with the compiler's.

    Returns:
        The outcome; ``model`` is ``None`` when even the patched copy does not compile. Warnings raised while
        attaching specs are stored in the spec and lost on ``copy()``, so they are only reported when the
        original compiles.
    """
    mass_defects = mass.spec_defects(spec)
    ctrl_defects = actuators.spec_defects(spec, include_unlimited=False)
    mass_findings = [d.finding for d in mass_defects]
    ctrl_findings = [d.finding for d in ctrl_defects]
    messages = list(parse_warnings)

    with captured_warnings() as compile_messages:
        try:
            model, error = spec.compile(), ""
        except ValueError as exc:
            model, error = None, str(exc)
    messages += compile_messages

    if model is None and (_is_known(error) or mass_defects or ctrl_defects):
        patched = spec.copy()
        for d in mass_defects:
            mass.patch(patched, d)
        for d in ctrl_defects:
            actuators.patch(patched, d)
        for _ in range(MAX_PATCHES):
            with captured_warnings() as patched_messages:
                try:
                    model, error = patched.compile(), ""
                except ValueError as exc:
                    model, error = None, str(exc)
            if model is not None:
                messages += patched_messages
                break
            found = _patch_error(patched, error)
            if found is None:
                break
            kind, finding = found
            target = mass_findings if kind == "mass" else ctrl_findings
            if finding.element in {f.element for f in target}:
                break  # patched already and still failing: report the error
            target.append(finding)

    findings = [_warning_finding(m) for m in _unique(messages)]
    if model is None:
        text = one_line(error)
        findings.insert(0, Finding(CHECK, _element(error) or "model", None, "", None, f"does not compile: {text}"))
        error = text
    return CompileOutcome(model, tuple(findings), tuple(mass_findings), tuple(ctrl_findings), error)


def _is_known(error: str) -> bool:
    return any(key in error for key in _KNOWN)


_KNOWN = (
    "mass and inertia of moving bodies",
    "mass, inertia or density are negative",
    "inertia must satisfy A + B >= C",
    "invalid control range for actuator",
)


def _patch_error(spec: mujoco.MjSpec, error: str) -> tuple[str, Finding] | None:
    """Patch the element a known compile error names; ``(check, finding)``, or ``None`` if not known."""
    match = _ELEMENT.search(error)
    if match is None:
        return None
    name, index = match.group(1), int(match.group(2))
    text = one_line(error).removeprefix("Error: ")
    if "mass and inertia of moving bodies" in error or "inertia must satisfy" in error:
        i, body = _find(spec.bodies, name, index)
        if body is None:
            return None
        ref = spec_ref(body, "body", i)
        mass.patch_body(body)
        spec.compiler.balanceinertia = True
        return "mass", Finding(mass.CHECK, spec_name(body, "body", i), None, "kg", mass.MIN_VALUE,
                               f"moving {ref} is rejected by the compiler: {text.split(';')[0]}")
    if "negative in geom" in error:
        i, geom = _find(spec.geoms, name, index)
        if geom is None:
            return None
        body = geom.parent
        bi = next((k for k, b in enumerate(spec.bodies) if b is body), 0)
        geom.mass, geom.density = float("nan"), 0.0
        return "mass", Finding(mass.CHECK, spec_name(body, "body", bi), None, "kg", mass.MIN_VALUE,
                               f"{spec_ref(geom, 'geom', i)}: {text.split(';')[0]}")
    if "invalid control range" in error:
        i, act = _find(spec.actuators, name, index)
        if act is None:
            return None
        act.ctrllimited = mujoco.mjtLimited.mjLIMITED_FALSE
        lo, hi = (float(v) for v in act.ctrlrange)
        return "actuator_ctrlrange", Finding(
            actuators.CHECK, spec_name(act, "actuator", i), hi - lo, "", actuators.MIN_WIDTH,
            f"{spec_ref(act, 'actuator', i)} has an invalid ctrlrange [{lo:g}, {hi:g}]")
    return None


def _find(elements, name: str, index: int):
    elements = list(elements)
    if name:
        for i, e in enumerate(elements):
            if e.name == name:
                return i, e
    if 0 <= index < len(elements):
        return index, elements[index]
    return -1, None


def _element(error: str) -> str:
    match = _ELEMENT.search(error)
    return match.group(1) if match and match.group(1) else ""


def _unique(messages: list[str]) -> list[str]:
    """Messages once each; a C warning that is the first line of a Python one is dropped."""
    out: list[str] = []
    for m in messages:
        if m in out or any(m != other and m in other for other in messages):
            continue
        out.append(m)
    return out


def _warning_finding(message: str) -> Finding:
    return Finding(CHECK, _element(message) or "model", None, "", None, f"warning: {one_line(message)}")


def data_warning_findings(data: mujoco.MjData) -> list[Finding]:
    """Findings for MuJoCo's simulation warning counters (contact buffer full, bad qacc, ...).

    Args:
        data: The data after simulating; its ``warning`` counters are read.
    """
    findings = []
    for name, w in mujoco.mjtWarning.__members__.items():
        if w == mujoco.mjtWarning.mjNWARNING:
            continue
        stat = data.warning[int(w)]
        if stat.number > 0:
            text = one_line(mujoco.mju_warningText(int(w), int(stat.lastinfo)))
            label = name.removeprefix("mjWARN_")
            findings.append(Finding(CHECK, "model", float(stat.number), "times", 0.0,
                                    f"simulation warning {label} ({stat.number} times): {text}"))
    return findings
