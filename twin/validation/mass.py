"""Check ``mass``: every moving body has finite, positive mass and inertia.

MuJoCo refuses such a model outright ("mass and inertia of moving bodies must be larger than mjMINVAL"); this
module names the body on the MjSpec before compiling, patches a copy so the other checks can still run, and
checks the compiled model as a safety net.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import mujoco
import numpy as np

from twin.validation._names import model_name, model_ref, spec_name, spec_ref
from twin.validation.report import Finding

CHECK = "mass"
MIN_VALUE = mujoco.mjMINVAL
"""Smallest mass (kg) and principal inertia (kg m^2) MuJoCo accepts on a moving body."""
PATCH_MASS = 1.0
"""Mass (kg) given to a defective body in the patched copy used for the other checks."""
PATCH_INERTIA = 1e-3
"""Principal inertia (kg m^2) given to a defective body in the patched copy."""


@dataclass(frozen=True)
class MassDefect:
    """A defect found on the spec: ``finding`` plus where to patch it (indices into the spec lists)."""

    finding: Finding
    body: int
    geom: int | None = None


def _finite(values) -> bool:
    return bool(np.all(np.isfinite(np.asarray(values, dtype=float))))


def _uses_explicit(body, compiler) -> bool:
    return bool(body.explicitinertial) and compiler.inertiafromgeom != mujoco.mjtInertiaFromGeom.mjINERTIAFROMGEOM_TRUE


def _explicit_inertia(body) -> np.ndarray:
    """Principal inertia (kg m^2, shape (3,)) of an explicit inertial, or its full tensor's diagonal."""
    full = np.asarray(body.fullinertia, dtype=float)
    return full[:3] if not math.isnan(full[0]) else np.asarray(body.inertia, dtype=float)


def _weld_group(body) -> list:
    """The body and its descendants welded to it (no joint between them): they move as one."""
    group, stack = [], [body]
    while stack:
        b = stack.pop()
        group.append(b)
        stack.extend(child for child in b.bodies if not child.joints)
    return group


def spec_defects(spec: mujoco.MjSpec) -> list[MassDefect]:
    """Moving bodies whose mass or inertia MuJoCo would reject, found on the uncompiled spec.

    A body moves when it or an ancestor has a joint. A body with a joint and the bodies welded to it must
    carry positive mass: an explicit ``<inertial>`` counts (after the compiler's ``boundmass`` /
    ``boundinertia``), else its geoms do, by ``mass`` or ``density``, when ``inertiafromgeom`` allows. A
    moving body's explicit inertial must be finite and non-negative. Any body's explicit inertia must satisfy
    the triangle inequality (unless ``balanceinertia``), and any geom's mass or density must be non-negative:
    both are compile errors.

    Args:
        spec: The model; not modified.

    Returns:
        One defect per body (and per geom with negative mass or density), in spec order.
    """
    compiler = spec.compiler
    bodies, geoms = list(spec.bodies), list(spec.geoms)  # kept alive: the id()s below stay theirs
    index = {id(b): i for i, b in enumerate(bodies)}
    geom_index = {id(g): i for i, g in enumerate(geoms)}
    lo, hi = compiler.inertiagrouprange
    defects: list[MassDefect] = []

    def found(body, value, unit, message, geom=None) -> None:
        i = index[id(body)]
        name = spec_name(body, "body", i)
        defects.append(MassDefect(Finding(CHECK, name, value, unit, MIN_VALUE, message), i, geom))

    moving = {id(bodies[0]): False}
    for body in bodies[1:]:  # parents come before their children
        moving[id(body)] = bool(body.joints) or moving[id(body.parent)]

    for body in bodies[1:]:
        ref = spec_ref(body, "body", index[id(body)])
        if _uses_explicit(body, compiler):
            mass, inertia = float(body.mass), _explicit_inertia(body)
            text = f"mass {mass:g} kg, inertia {_fmt(inertia)} kg m^2"
            if moving[id(body)] and (not math.isfinite(mass) or not _finite(inertia)):
                found(body, None, "kg", f"moving {ref} has a non-finite inertial ({text})")
                continue
            if moving[id(body)] and (mass < 0 or np.any(inertia < 0)):
                value, unit = (mass, "kg") if mass < 0 else (float(np.min(inertia)), "kg m^2")
                found(body, value, unit, f"moving {ref} has a negative inertial ({text})")
                continue
            diag = np.sort(inertia)
            if math.isnan(body.fullinertia[0]) and not compiler.balanceinertia and diag[0] + diag[1] < diag[2]:
                # a compile error on any body, moving or not
                found(body, float(diag[0] + diag[1] - diag[2]), "kg m^2",
                      f"{ref} inertia {_fmt(inertia)} kg m^2 violates A + B >= C")
        for geom in body.geoms:  # a compile error on any body
            gm, density = float(geom.mass), float(geom.density)
            if (not math.isnan(gm) and gm < 0) or (math.isnan(gm) and density < 0):
                gi = geom_index[id(geom)]
                value, unit, what = ((gm, "kg", f"mass {gm:g} kg") if not math.isnan(gm)
                                     else (density, "kg/m^3", f"density {density:g} kg/m^3"))
                found(body, value, unit, f"{spec_ref(geom, 'geom', gi)} of {ref} has negative {what}", geom=gi)

    flagged = {d.body for d in defects}
    for body in bodies[1:]:
        if not body.joints or index[id(body)] in flagged:
            continue
        mass, inertia = _group_mass(_weld_group(body), compiler, lo, hi)
        ref = spec_ref(body, "body", index[id(body)])
        if mass <= MIN_VALUE:
            found(body, mass, "kg", f"moving {ref} has mass {mass:g} kg (must be > {MIN_VALUE:g})")
        elif inertia is not None and np.min(inertia) <= MIN_VALUE:
            found(body, float(np.min(inertia)), "kg m^2",
                  f"moving {ref} has inertia {_fmt(inertia)} kg m^2 (each must be > {MIN_VALUE:g})")
    return defects


def _group_mass(group, compiler, lo: int, hi: int) -> tuple[float, np.ndarray | None]:
    """Mass (kg) of a weld group as the compiler will see it, and the principal inertia (kg m^2) when a single
    explicit inertial is all that carries mass (else ``None``: geoms of positive volume have inertia)."""
    total, explicit, has_geoms = 0.0, [], False
    for b in group:
        if _uses_explicit(b, compiler):
            m = max(float(b.mass), compiler.boundmass)
            if m > MIN_VALUE:
                total += m
                explicit.append(np.maximum(_explicit_inertia(b), compiler.boundinertia))
            continue
        if compiler.inertiafromgeom == mujoco.mjtInertiaFromGeom.mjINERTIAFROMGEOM_FALSE:
            continue
        for g in b.geoms:
            if not lo <= g.group <= hi:
                continue
            gm = float(g.mass)
            if math.isnan(gm):
                gm = 1.0 if g.density > 0 else 0.0  # positive volume assumed; only the sign matters here
            if gm > MIN_VALUE:
                total += gm
                has_geoms = True
    return total, (explicit[0] if len(explicit) == 1 and not has_geoms else None)


def patch(spec: mujoco.MjSpec, defect: MassDefect) -> None:
    """Make ``defect`` compile in ``spec`` (a copy): a positive explicit inertial, non-negative geoms."""
    spec.compiler.balanceinertia = True
    if defect.geom is not None:
        geom = spec.geoms[defect.geom]
        geom.mass = float("nan")
        geom.density = 0.0
    body = list(spec.bodies)[defect.body]
    patch_body(body)


def patch_body(body) -> None:
    """Give ``body`` an explicit inertial of :data:`PATCH_MASS` kg and :data:`PATCH_INERTIA` kg m^2."""
    body.explicitinertial = True
    body.mass = PATCH_MASS
    body.inertia = [PATCH_INERTIA] * 3
    body.fullinertia = [float("nan"), 0, 0, 0, 0, 0]
    body.ipos = [0, 0, 0]
    body.iquat = [1, 0, 0, 0]


def model_findings(model: mujoco.MjModel, skip: set[str]) -> list[Finding]:
    """Moving bodies of a compiled model with non-finite, negative or zero mass or inertia.

    Args:
        model: The compiled model.
        skip: Element names already reported (from the spec); not reported again.
    """
    findings = []
    for i in range(1, model.nbody):
        if model.body_weldid[i] == 0:
            continue
        name, ref = model_name(model, "body", i), model_ref(model, "body", i)
        if name in skip:
            continue
        mass, inertia = float(model.body_mass[i]), model.body_inertia[i]
        if not math.isfinite(mass) or not _finite(inertia) or mass < 0 or np.any(inertia < 0):
            findings.append(Finding(CHECK, name, mass if math.isfinite(mass) else None, "kg", MIN_VALUE,
                                    f"moving {ref} has mass {mass:g} kg, inertia {_fmt(inertia)} kg m^2"))
        elif model.body_jntnum[i] > 0:
            group_mass = float(model.body_mass[model.body_weldid == i].sum())
            if group_mass <= MIN_VALUE:
                findings.append(Finding(CHECK, name, group_mass, "kg", MIN_VALUE,
                                        f"moving {ref} has mass {group_mass:g} kg"))
    return findings


def _fmt(values) -> str:
    return "[" + " ".join(f"{float(v):g}" for v in np.ravel(values)) + "]"
