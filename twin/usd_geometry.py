"""MuJoCo geoms as UsdGeom prims: shapes, colliders, physics materials and mesh layers.

Imported by :mod:`twin.usd` only after the ``usd`` extra has been checked, so ``pxr`` is imported at the top.
Every geom becomes a child prim of its body's prim, placed by ``geom_pos``/``geom_quat`` (body frame).
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

import mujoco
import numpy as np
from pxr import Sdf, Usd, UsdGeom, UsdPhysics, UsdShade, Vt

from twin.errors import ModelError
from twin.usd_prims import mj_name, set_custom, set_pose, vec3f

# Plain ints: a mujoco enum compared with a numpy integer is never equal (enum == np.int32 is False).
_BOX, _SPHERE, _CAPSULE, _CYLINDER, _ELLIPSOID, _PLANE, _MESH = (
    int(getattr(mujoco.mjtGeom, f"mjGEOM_{kind}"))
    for kind in ("BOX", "SPHERE", "CAPSULE", "CYLINDER", "ELLIPSOID", "PLANE", "MESH")
)
# Rings and segments of the tessellated ellipsoid: its inscribed hull stays within 2 % of the true surface.
_ELLIPSOID_RINGS, _ELLIPSOID_SEGMENTS = 12, 24


class Materials:
    """One ``UsdShade.Material`` with ``UsdPhysics.MaterialAPI`` per distinct sliding friction.

    Args:
        stage: The stage being written.
        scope: Path of the scope that holds the materials, created on first use.
    """

    def __init__(self, stage: Usd.Stage, scope: str) -> None:
        self._stage, self._scope = stage, scope
        self._by_friction: dict[float, UsdShade.Material] = {}

    def get(self, friction: float) -> UsdShade.Material:
        """The material for sliding friction ``friction`` (dimensionless), created on first request."""
        if friction not in self._by_friction:
            if not self._by_friction:
                UsdGeom.Scope.Define(self._stage, self._scope)
            material = UsdShade.Material.Define(self._stage, f"{self._scope}/friction_{len(self._by_friction)}")
            api = UsdPhysics.MaterialAPI.Apply(material.GetPrim())
            # Engines differ in which coefficient they read (Newton reads only dynamicFriction); MuJoCo has one.
            api.CreateStaticFrictionAttr(friction)
            api.CreateDynamicFrictionAttr(friction)
            api.CreateRestitutionAttr(0.0)  # MuJoCo contacts are inelastic by default (solref damping)
            self._by_friction[friction] = material
        return self._by_friction[friction]


class MeshLayers:
    """Mesh geometry either inline or as one ``.usda`` layer per MuJoCo mesh, referenced relatively.

    Args:
        model: The compiled model.
        usd_dir: Directory of the scene's ``.usda``; relative references are anchored there.
        meshes_dir: Directory for mesh layers, absolute or relative to ``usd_dir``; ``None`` writes meshes
            inline.

    Attributes:
        files: Mesh layer file -> its text, for the caller to write with the scene.
        references: (prim path, relative asset path) pairs for the caller to add to the scene's layer.
    """

    def __init__(self, model: mujoco.MjModel, usd_dir: Path, meshes_dir: str | None) -> None:
        self._model = model
        self._dir = None if meshes_dir is None else (usd_dir / meshes_dir)
        self._usd_dir = usd_dir
        self._assets: dict[int, str] = {}  # mesh id -> asset path
        self.files: dict[Path, str] = {}
        self.references: list[tuple[str, str]] = []

    def author(self, stage: Usd.Stage, path: str, mesh_id: int) -> UsdGeom.Mesh:
        """Define a Mesh prim at ``path`` holding (or, with a meshes directory, referencing) mesh ``mesh_id``."""
        mesh = UsdGeom.Mesh.Define(stage, path)
        if self._dir is None:
            _fill_mesh(mesh, *mesh_arrays(self._model, mesh_id))
        else:
            if mesh_id not in self._assets:
                self._assets[mesh_id] = self._layer(mesh_id)
            self.references.append((path, self._assets[mesh_id]))
        return mesh

    def _layer(self, mesh_id: int) -> str:
        """Render mesh ``mesh_id`` as a layer of its own; return its asset path relative to the scene."""
        name = Path(mj_name(self._model, mujoco.mjtObj.mjOBJ_MESH, mesh_id)).name
        stem = "".join(c if c.isalnum() or c in "-_" else "_" for c in name) or f"mesh_{mesh_id}"
        file = self._dir / f"{stem}.usda"
        if file in self.files:  # names that differ only in characters replaced above
            file = self._dir / f"{stem}_{mesh_id}.usda"
        layer_stage = Usd.Stage.CreateInMemory()
        UsdGeom.SetStageUpAxis(layer_stage, UsdGeom.Tokens.z)
        UsdGeom.SetStageMetersPerUnit(layer_stage, 1.0)
        mesh = UsdGeom.Mesh.Define(layer_stage, "/Mesh")
        layer_stage.SetDefaultPrim(mesh.GetPrim())
        _fill_mesh(mesh, *mesh_arrays(self._model, mesh_id))
        self.files[file] = layer_stage.GetRootLayer().ExportToString()
        relative = Path(os.path.relpath(file, self._usd_dir)).as_posix()
        # "./" anchors the path to the referencing layer; a bare relative path may fall back to search paths.
        return relative if relative.startswith("../") else f"./{relative}"


def mesh_arrays(model: mujoco.MjModel, mesh_id: int) -> tuple[np.ndarray, np.ndarray]:
    """Vertices (shape (n, 3), metres, geom frame after compile) and triangles (shape (m, 3)) of a mesh."""
    va, vn = model.mesh_vertadr[mesh_id], model.mesh_vertnum[mesh_id]
    fa, fn = model.mesh_faceadr[mesh_id], model.mesh_facenum[mesh_id]
    return model.mesh_vert[va : va + vn], model.mesh_face[fa : fa + fn]


@functools.cache
def _unit_sphere() -> tuple[np.ndarray, np.ndarray]:
    """A latitude-longitude triangulation of the unit sphere, outward-facing (counter-clockwise)."""
    rings, segs = _ELLIPSOID_RINGS, _ELLIPSOID_SEGMENTS
    theta = np.pi * np.arange(1, rings) / rings
    phi = 2 * np.pi * np.arange(segs) / segs
    ring_pts = np.stack(
        [
            np.outer(np.sin(theta), np.cos(phi)),
            np.outer(np.sin(theta), np.sin(phi)),
            np.outer(np.cos(theta), np.ones(segs)),
        ],
        axis=-1,
    ).reshape(-1, 3)
    points = np.vstack([[0.0, 0.0, 1.0], ring_pts, [0.0, 0.0, -1.0]])
    south = len(points) - 1
    faces = []
    for s in range(segs):
        t = (s + 1) % segs
        faces.append((0, 1 + s, 1 + t))
        for r in range(rings - 2):
            a, b, c, d = 1 + r * segs + s, 1 + r * segs + t, 1 + (r + 1) * segs + s, 1 + (r + 1) * segs + t
            faces += [(a, c, d), (a, d, b)]
        last = 1 + (rings - 2) * segs
        faces.append((south, last + t, last + s))
    return points, np.array(faces)


def _fill_mesh(mesh: UsdGeom.Mesh, vertices: np.ndarray, faces: np.ndarray) -> None:
    points = Vt.Vec3fArray.FromNumpy(np.ascontiguousarray(vertices, dtype=np.float32))
    mesh.CreatePointsAttr(points)
    mesh.CreateFaceVertexCountsAttr(Vt.IntArray([3] * len(faces)))
    mesh.CreateFaceVertexIndicesAttr(Vt.IntArray.FromNumpy(np.ascontiguousarray(faces, dtype=np.int32).ravel()))
    mesh.CreateSubdivisionSchemeAttr(UsdGeom.Tokens.none)  # polygonal collision/visual geometry, not a cage
    mesh.CreateExtentAttr(UsdGeom.PointBased.ComputeExtent(points))


def write_geom(
    stage: Usd.Stage,
    model: mujoco.MjModel,
    geom: int,
    path: str,
    materials: Materials,
    meshes: MeshLayers,
) -> None:
    """Write geom ``geom`` as a prim at ``path`` (a child of its body's prim).

    Args:
        stage: The stage being written.
        model: The compiled model.
        geom: Geom id.
        path: Prim path for the geom.
        materials: Physics materials, shared by friction value.
        meshes: Where mesh geometry goes.

    Raises:
        ModelError: For height fields and SDF geoms, which this writer does not map.
    """
    gtype, size = int(model.geom_type[geom]), model.geom_size[geom]
    scale = None
    if gtype == _BOX:
        gprim = UsdGeom.Cube.Define(stage, path)
        gprim.CreateSizeAttr(2.0)
        scale = size  # a size-2 cube scaled by the half-extents
    elif gtype == _SPHERE:
        gprim = UsdGeom.Sphere.Define(stage, path)
        gprim.CreateRadiusAttr(float(size[0]))
    elif gtype in (_CAPSULE, _CYLINDER):
        schema = UsdGeom.Capsule if gtype == _CAPSULE else UsdGeom.Cylinder
        gprim = schema.Define(stage, path)
        gprim.CreateRadiusAttr(float(size[0]))
        gprim.CreateHeightAttr(2.0 * float(size[1]))  # MuJoCo stores the half-length of the axis (z)
        gprim.CreateAxisAttr(UsdGeom.Tokens.z)
    elif gtype == _ELLIPSOID:
        # UsdPhysics rejects non-uniformly scaled sphere colliders, so the ellipsoid is a tessellated hull.
        gprim = UsdGeom.Mesh.Define(stage, path)
        unit_points, faces = _unit_sphere()
        _fill_mesh(gprim, unit_points * size, faces)
    elif gtype == _PLANE:
        gprim = UsdGeom.Plane.Define(stage, path)
        # MuJoCo collides every plane as infinite and uses the size for drawing only (0 = draw "large").
        far = max(10.0, 2.0 * float(model.stat.extent))
        gprim.CreateWidthAttr(2.0 * float(size[0]) if size[0] > 0 else 2.0 * far)
        gprim.CreateLengthAttr(2.0 * float(size[1]) if size[1] > 0 else 2.0 * far)
        gprim.CreateAxisAttr(UsdGeom.Tokens.z)
    elif gtype == _MESH:
        gprim = meshes.author(stage, path, int(model.geom_dataid[geom]))
    else:
        name = mj_name(model, mujoco.mjtObj.mjOBJ_GEOM, geom) or f"geom_{geom}"
        raise ModelError(
            f"geom '{name}' has type {mujoco.mjtGeom(gtype).name.removeprefix('mjGEOM_').lower()}; the USD writer maps "
            "plane, sphere, capsule, ellipsoid, cylinder, box and mesh geoms"
        )
    set_pose(gprim, model.geom_pos[geom], model.geom_quat[geom], scale)
    if gtype in (_SPHERE, _CAPSULE, _CYLINDER, _PLANE):
        gprim.CreateExtentAttr(UsdGeom.Boundable.ComputeExtentFromPlugins(gprim, Usd.TimeCode.Default()))
    _color(gprim, model, geom)
    prim = gprim.GetPrim()
    if name := mj_name(model, mujoco.mjtObj.mjOBJ_GEOM, geom):
        set_custom(prim, "mjc:name", Sdf.ValueTypeNames.String, name)
    if model.geom_contype[geom] == 0 and model.geom_conaffinity[geom] == 0:
        return  # visual only: MuJoCo never collides it
    UsdPhysics.CollisionAPI.Apply(prim)
    if gtype in (_MESH, _ELLIPSOID):
        # MuJoCo collides a mesh as its convex hull; without this engines would collide the raw triangles.
        UsdPhysics.MeshCollisionAPI.Apply(prim).CreateApproximationAttr(UsdPhysics.Tokens.convexHull)
    material = materials.get(float(model.geom_friction[geom, 0]))
    UsdShade.MaterialBindingAPI.Apply(prim).Bind(material, UsdShade.Tokens.weakerThanDescendants, "physics")


def _color(gprim: UsdGeom.Gprim, model: mujoco.MjModel, geom: int) -> None:
    rgba = model.geom_rgba[geom]
    matid = model.geom_matid[geom]
    # MuJoCo draws a geom with its material's colour unless the geom's own rgba was changed from the default.
    if matid >= 0 and np.allclose(rgba, (0.5, 0.5, 0.5, 1.0)):
        rgba = model.mat_rgba[matid]
    gprim.CreateDisplayColorAttr(Vt.Vec3fArray([vec3f(rgba[:3])]))
    if rgba[3] < 1.0:
        gprim.CreateDisplayOpacityAttr(Vt.FloatArray([float(rgba[3])]))
