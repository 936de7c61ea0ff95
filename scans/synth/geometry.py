"""The compiled scene as one triangle mesh in the world frame, and the ground-truth records of its objects."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import mujoco
import numpy as np

from twin.errors import ModelError
from twin.model_queries import subtree_mask
from twin.twin_dir import object_records

# A unit box's corners and its 12 triangles, counter-clockwise seen from outside.
_CORNERS = np.array([[x, y, z] for x in (-1, 1) for y in (-1, 1) for z in (-1, 1)], dtype=np.float64)
_BOX_FACES = np.array([[0, 1, 3], [0, 3, 2], [4, 6, 7], [4, 7, 5], [0, 4, 5], [0, 5, 1],
                       [2, 3, 7], [2, 7, 6], [0, 2, 6], [0, 6, 4], [1, 5, 7], [1, 7, 3]], dtype=np.int64)


@dataclass(frozen=True, eq=False)
class SceneMesh:
    """Triangles of every geom, world frame.

    Args:
        vertices: (V, 3) float64, m; each geom has its own vertices.
        faces: (F, 3) int64, counter-clockwise seen from outside.
        face_rgb: (F, 3) float albedo in [0, 1] (the geom's rgba).
        face_body: (F,) int MuJoCo body id of each face's geom.
        vertex_rgb: (V, 3) float albedo in [0, 1].
    """

    vertices: np.ndarray
    faces: np.ndarray
    face_rgb: np.ndarray
    face_body: np.ndarray
    vertex_rgb: np.ndarray


def _geom_local(model: mujoco.MjModel, geom: int) -> tuple[np.ndarray, np.ndarray]:
    kind = int(model.geom_type[geom])
    if kind == mujoco.mjtGeom.mjGEOM_BOX:
        return _CORNERS * model.geom_size[geom], _BOX_FACES
    if kind == mujoco.mjtGeom.mjGEOM_MESH:
        mesh = int(model.geom_dataid[geom])
        v0, nv = model.mesh_vertadr[mesh], model.mesh_vertnum[mesh]
        f0, nf = model.mesh_faceadr[mesh], model.mesh_facenum[mesh]
        return model.mesh_vert[v0 : v0 + nv].astype(np.float64), model.mesh_face[f0 : f0 + nf].astype(np.int64)
    raise ModelError(f"geom {geom}: synthetic captures render boxes and meshes, not {mujoco.mjtGeom(kind).name}")


def scene_mesh(model: mujoco.MjModel, data: mujoco.MjData | None = None) -> SceneMesh:
    """Triangulate every geom of ``model`` at ``data`` (qpos0 when None) in the world frame."""
    if data is None:
        data = mujoco.MjData(model)
        mujoco.mj_kinematics(model, data)
    vertices, faces, face_rgb, face_body, vertex_rgb = [], [], [], [], []
    offset = 0
    for geom in range(model.ngeom):
        local, tris = _geom_local(model, geom)
        world = data.geom_xpos[geom] + local @ data.geom_xmat[geom].reshape(3, 3).T
        rgb = model.geom_rgba[geom, :3].astype(np.float64)
        vertices.append(world)
        faces.append(tris + offset)
        face_rgb.append(np.tile(rgb, (len(tris), 1)))
        face_body.append(np.full(len(tris), model.geom_bodyid[geom]))
        vertex_rgb.append(np.tile(rgb, (len(world), 1)))
        offset += len(world)
    return SceneMesh(np.concatenate(vertices), np.concatenate(faces), np.concatenate(face_rgb),
                     np.concatenate(face_body), np.concatenate(vertex_rgb))


def _rounded(values) -> tuple[float, ...]:
    return tuple(round(float(v), 6) for v in values)


@dataclass(frozen=True)
class GroundTruthObject:
    """One object of a synthetic cell, as written to ``objects.json``.

    Args:
        name: Body name in the cell's scene.
        kind: ``rack``, ``table`` (static), ``box``, ``tote``, ``bin`` or ``pallet`` (free).
        position: Centre of the world axis-aligned bounding box, m (as in ``twin.json``).
        size: Extents of that box, m (as in ``twin.json``).
        mass: Total mass, kg.
        source: ``"synth"``.
        static: Welded to the world (no joint).
        yaw: Rotation of the body frame about +z, rad.
        local_size: Extents in the body frame, m.
        pose: Body frame in the world, (4, 4) row-major as nested tuples.
    """

    name: str
    kind: str
    position: tuple[float, float, float]
    size: tuple[float, float, float]
    mass: float
    source: str
    static: bool
    yaw: float
    local_size: tuple[float, float, float]
    pose: tuple[tuple[float, ...], ...]

    def __post_init__(self) -> None:
        if np.asarray(self.pose).shape != (4, 4) or len(self.position) != 3 or len(self.size) != 3:
            raise ModelError(f"object '{self.name}': pose must be 4x4, position and size 3 numbers")
        if self.mass <= 0 or min(self.size) <= 0:
            raise ModelError(f"object '{self.name}': mass and size must be positive, got {self.mass}, {self.size}")

    def to_dict(self) -> dict:
        """JSON-ready dict: the ``twin.json`` object fields first, then the ground-truth extras."""
        return {"name": self.name, "position": list(self.position), "size": list(self.size), "mass": self.mass,
                "source": self.source, "kind": self.kind, "static": self.static, "yaw": self.yaw,
                "local_size": list(self.local_size), "pose": [list(row) for row in self.pose]}


def ground_truth_objects(
    model: mujoco.MjModel, objects: Sequence[tuple[str, str]], source: str = "synth"
) -> tuple[GroundTruthObject, ...]:
    """One record per ``(name, kind)`` object at qpos0: the ``twin.json`` fields plus the ground-truth extras.

    ``position``, ``size`` and ``mass`` come from :func:`twin.twin_dir.object_records`, so they mean exactly
    what they mean in a built twin.
    """
    data = mujoco.MjData(model)
    mujoco.mj_kinematics(model, data)
    records = object_records(model, [name for name, _ in objects], source)
    out = []
    for (name, kind), record in zip(objects, records):
        body = mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_BODY, name)
        rotation = data.xmat[body].reshape(3, 3)
        pose = np.eye(4)
        pose[:3, :3], pose[:3, 3] = rotation, data.xpos[body]
        inside = subtree_mask(model, body)
        local = []
        for geom in np.flatnonzero(inside[model.geom_bodyid]):
            corners, _ = _geom_local(model, geom)
            world = data.geom_xpos[geom] + corners @ data.geom_xmat[geom].reshape(3, 3).T
            local.append((world - data.xpos[body]) @ rotation)
        local = np.concatenate(local)
        out.append(GroundTruthObject(
            name=name, kind=kind, position=record.position, size=record.size, mass=record.mass, source=source,
            static=bool(model.body_jntnum[body] == 0), yaw=round(float(np.arctan2(rotation[1, 0], rotation[0, 0])), 6),
            local_size=_rounded(local.max(axis=0) - local.min(axis=0)), pose=tuple(_rounded(row) for row in pose),
        ))
    return tuple(out)
