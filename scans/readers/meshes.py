"""Triangle mesh files: PLY with faces, OBJ, GLB/GLTF (read with trimesh).

Vertices stay in the file's frame (metres). A scene (GLB/GLTF, an OBJ with several objects) is flattened
into one mesh with each node's transform applied. Vertices are kept as the file has them (no merging), so
the counts match the file. glTF is +Y up by its specification; the mesh is not rotated here (gravity
alignment happens later) but a note says so.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from scans.capture import TriangleMesh
from scans.errors import CaptureError
from scans.readers.cloud_headers import check_ply_size, ply_face_count
from scans.readers.clouds import cloud_or_mesh_file, is_mesh_file, resolve
from twin.extras import require

NAME = "mesh"
DESCRIPTION = "a triangle mesh file: PLY with faces, OBJ, GLB/GLTF"

EXTENSIONS = (".glb", ".gltf", ".obj", ".ply")


def detect(path: str | Path) -> bool:
    """True when ``path`` is (or is a directory holding exactly one) mesh file; a PLY needs faces."""
    found = cloud_or_mesh_file(Path(path))
    return found is not None and is_mesh_file(found)


def read(path: str | Path) -> TriangleMesh:
    """Read a mesh file (or the one in a directory) in its own frame.

    Raises:
        CaptureError: unknown extension, unreadable or truncated file, a PLY without faces, or an empty
            mesh; naming the file.
    """
    path = resolve(path, "mesh")
    suffix = path.suffix.lower()
    if suffix not in EXTENSIONS:
        raise CaptureError(f"unknown mesh extension '{path.suffix}'; expected one of {', '.join(EXTENSIONS)}", path)
    notes = []
    if suffix == ".ply":
        check_ply_size(path)
        if ply_face_count(path) == 0:
            raise CaptureError("PLY file has no faces: it is a point cloud (read it with --format pointcloud)", path)
    trimesh = require("trimesh", "scan", "reading meshes")
    try:
        loaded = trimesh.load(str(path), process=False)
    except OSError as exc:
        raise CaptureError(f"cannot read: {exc.strerror or exc}", path) from None
    except Exception as exc:  # trimesh raises ValueError, KeyError, json errors ... for bad files
        raise CaptureError(f"cannot read {suffix[1:].upper()} mesh ({exc})", path) from None
    if isinstance(loaded, trimesh.Scene):
        parts = len(loaded.geometry)
        if parts == 0:
            raise CaptureError("the mesh is empty (the file holds no geometry)", path)
        loaded = loaded.to_mesh()  # applies each node's transform
        notes.append(f"a scene of {parts} geometries flattened with their transforms")
    if not isinstance(loaded, trimesh.Trimesh):
        raise CaptureError(f"holds no triangles (read as {type(loaded).__name__})", path)
    vertices = np.asarray(loaded.vertices, dtype=np.float64)
    faces = np.asarray(loaded.faces, dtype=np.int64)
    if len(vertices) == 0 or len(faces) == 0:
        raise CaptureError(f"the mesh is empty ({len(vertices)} vertices, {len(faces)} faces)", path)
    if faces.min() < 0 or faces.max() >= len(vertices):
        raise CaptureError(f"face indices reach {faces.max()} but there are {len(vertices)} vertices", path)
    if suffix in (".glb", ".gltf"):
        notes.append("glTF is +Y up by specification; kept in the file's frame")
    return TriangleMesh(path, NAME, vertices, faces, _vertex_colors(loaded), tuple(notes))


def _vertex_colors(mesh) -> np.ndarray | None:
    """(V, 3) floats in [0, 1] when the file gives vertex, face or texture colours, else None."""
    visual = mesh.visual
    if not getattr(visual, "defined", False):
        return None
    try:
        if visual.kind == "texture":
            visual = visual.to_color()
        colors = np.asarray(visual.vertex_colors)
    except Exception:  # a texture that cannot be sampled: no colour rather than no mesh
        return None
    if colors.ndim != 2 or len(colors) != len(mesh.vertices):
        return None
    return colors[:, :3].astype(np.float64) / 255.0
