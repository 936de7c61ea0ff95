"""Check ``mesh_inertia``: no mesh uses legacy inertia where the exact computation differs by more than 2x.

MuJoCo's default (legacy) mesh inertia sums unsigned tetrahedra from a centre point, which overcounts
non-convex meshes badly (an open bin: 43 kg instead of 4.2 kg). Each legacy mesh is compiled alone, once
legacy and once exact, and the volumes are compared.
"""

from __future__ import annotations

import mujoco
import numpy as np

from twin.validation._names import spec_name, spec_ref
from twin.validation.report import Finding

CHECK = "mesh_inertia"
MAX_RATIO = 2.0
"""Largest tolerated ratio between the legacy and the exact mesh volume (either way round)."""
DENSITY = 1000.0
"""Density (kg/m^3) used to express the volumes as masses in messages (MuJoCo's default)."""


def mesh_volume(vertices: np.ndarray, faces: np.ndarray, inertia: mujoco.mjtMeshInertia) -> float:
    """Volume (m^3) MuJoCo computes for a triangle mesh with the given inertia mode.

    Args:
        vertices: Vertex positions (m), shape (n, 3).
        faces: Triangle vertex indices, shape (f, 3).
        inertia: The mesh inertia computation.

    Raises:
        ValueError: MuJoCo cannot compute it (e.g. exact inertia on inconsistently oriented faces).
    """
    spec = mujoco.MjSpec()
    mesh = spec.add_mesh(name="mesh")
    mesh.uservert = np.asarray(vertices, dtype=np.float32).ravel()
    mesh.userface = np.asarray(faces, dtype=np.int32).ravel()
    mesh.inertia = inertia
    body = spec.worldbody.add_body()
    body.add_freejoint()
    body.add_geom(type=mujoco.mjtGeom.mjGEOM_MESH, meshname="mesh", density=1.0)
    return float(spec.compile().body_mass[1])


def findings(spec: mujoco.MjSpec, model: mujoco.MjModel) -> list[Finding]:
    """Legacy-inertia meshes whose exact volume differs by more than :data:`MAX_RATIO`.

    Args:
        spec: The model's spec, for each mesh's inertia mode (same order as the model's meshes).
        model: The compiled model, for each mesh's vertices and faces (already scaled).

    Returns:
        One finding per mesh, value the ratio legacy / exact volume (unit "x"), in mesh order. Meshes whose
        exact inertia MuJoCo cannot compute are skipped.
    """
    out = []
    for i, mesh in enumerate(spec.meshes):
        if mesh.inertia != mujoco.mjtMeshInertia.mjMESH_INERTIA_LEGACY or i >= model.nmesh:
            continue
        v0, nv = model.mesh_vertadr[i], model.mesh_vertnum[i]
        f0, nf = model.mesh_faceadr[i], model.mesh_facenum[i]
        if nf == 0:
            continue
        vertices, faces = model.mesh_vert[v0:v0 + nv], model.mesh_face[f0:f0 + nf]
        try:
            legacy = mesh_volume(vertices, faces, mujoco.mjtMeshInertia.mjMESH_INERTIA_LEGACY)
            exact = mesh_volume(vertices, faces, mujoco.mjtMeshInertia.mjMESH_INERTIA_EXACT)
        except ValueError:
            continue
        if legacy <= 0 or exact <= 0:
            continue
        ratio = legacy / exact
        if max(ratio, 1.0 / ratio) > MAX_RATIO:
            name = spec_name(mesh, "mesh", i)
            out.append(Finding(
                CHECK, name, ratio, "x", MAX_RATIO,
                f"{spec_ref(mesh, 'mesh', i)} uses legacy inertia: volume {legacy:.4g} m^3 "
                f"({legacy * DENSITY:.3g} kg at {DENSITY:g} kg/m^3) vs exact {exact:.4g} m^3 "
                f"({exact * DENSITY:.3g} kg), {ratio:.2f}x; set inertia=\"exact\"",
            ))
    return out
