"""Point cloud files: PLY (without faces), PCD, XYZ text, LAS/LAZ and E57.

Points stay in the file's frame (metres); nothing is re-centred or gravity aligned here. Colours become
floats in [0, 1]. Non-finite points (NaN pixels of organized PCDs, invalid E57 returns) are dropped, and a
note says how many. Headers are checked against the file size before a library parses the body: Open3D reads
a truncated PLY without complaint and returns garbage points.

A path is a point cloud when it is such a file, or a directory holding exactly one cloud or mesh file and no
images (so an RGB-D capture folder that carries a ``sparse_pc.ply`` is not taken for a cloud).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from scans.capture import PointCloud
from scans.errors import CaptureError
from scans.readers.cloud_headers import check_pcd_size, check_ply_size, ply_face_count
from twin.extras import require

NAME = "pointcloud"
DESCRIPTION = "a point cloud file: PLY without faces, PCD, XYZ/PTS text, LAS/LAZ, E57"

EXTENSIONS = (".e57", ".las", ".laz", ".pcd", ".ply", ".pts", ".xyz", ".xyzrgb")
MESH_EXTENSIONS = (".glb", ".gltf", ".obj", ".ply")
_IMAGE_EXTENSIONS = {".png", ".jpg", ".jpeg", ".exr"}
_RGBD_MARKERS = ("transforms.json", "metadata.json", "rgb.txt", "depth.txt", "camera-intrinsics.txt")
_RGBD_FOLDERS = ("color", "depth", "image", "images", "rgb", "EXR_RGBD")

# -- finding the file -----------------------------------------------------------------------------------------


def cloud_or_mesh_file(path: Path) -> Path | None:
    """The single cloud or mesh file that ``path`` is or holds, or None.

    A directory qualifies when it holds exactly one such file at its top level and no images, RGB-D layout
    files or image folders (an RGB-D capture that carries a reconstruction is not a cloud).
    """
    path = Path(path)
    known = set(EXTENSIONS) | set(MESH_EXTENSIONS)
    if path.is_file():
        return path if path.suffix.lower() in known else None
    if not path.is_dir():
        return None
    entries = [p for p in path.iterdir() if not p.name.startswith(".")]
    files = [p for p in entries if p.is_file()]
    if any(p.suffix.lower() in _IMAGE_EXTENSIONS or p.name in _RGBD_MARKERS for p in files):
        return None
    if any(p.is_dir() and p.name in _RGBD_FOLDERS for p in entries):
        return None
    found = [p for p in files if p.suffix.lower() in known]
    return found[0] if len(found) == 1 else None


def is_mesh_file(path: Path) -> bool:
    """A ``.ply`` with faces, an ``.obj``, ``.glb`` or ``.gltf``."""
    suffix = path.suffix.lower()
    if suffix == ".ply":
        try:
            return ply_face_count(path) > 0
        except (CaptureError, OSError):
            return False
    return suffix in MESH_EXTENSIONS


def resolve(path: str | Path, kind: str) -> Path:
    """The file to read for ``path`` (a file, or a directory holding one), else a :class:`CaptureError`."""
    path = Path(path)
    if not path.exists():
        raise CaptureError("does not exist", path)
    if path.is_dir():
        known = set(EXTENSIONS) | set(MESH_EXTENSIONS)
        found = sorted(p.name for p in path.iterdir() if p.is_file() and p.suffix.lower() in known)
        if len(found) != 1:
            listed = ", ".join(found) if found else "none"
            raise CaptureError(f"a {kind} directory must hold exactly one cloud or mesh file, found {len(found)} "
                               f"({listed}); pass the file itself", path)
        return path / found[0]
    return path


def detect(path: str | Path) -> bool:
    """True when ``path`` is (or is a directory holding exactly one) point cloud file."""
    found = cloud_or_mesh_file(Path(path))
    return found is not None and found.suffix.lower() in EXTENSIONS and not is_mesh_file(found)


# -- reading --------------------------------------------------------------------------------------------------


def read(path: str | Path) -> PointCloud:
    """Read a point cloud file (or the one in a directory) in its own frame.

    Raises:
        CaptureError: unknown extension, unreadable or truncated file, or no finite points; naming the file.
    """
    path = resolve(path, "point cloud")
    suffix = path.suffix.lower()
    readers = {".ply": _read_open3d, ".pcd": _read_open3d, ".xyz": _read_text, ".xyzrgb": _read_text,
               ".pts": _read_text, ".las": _read_las, ".laz": _read_las, ".e57": _read_e57}
    if suffix not in readers:
        raise CaptureError(f"unknown point cloud extension '{path.suffix}'; expected one of {', '.join(EXTENSIONS)}",
                           path)
    try:
        points, colors, normals, notes = readers[suffix](path)
    except OSError as exc:
        raise CaptureError(f"cannot read: {exc.strerror or exc}", path) from None
    return _finish(path, points, colors, normals, notes)


def _finish(path: Path, points, colors, normals, notes: list[str]) -> PointCloud:
    points = np.asarray(points, dtype=np.float64).reshape(-1, 3)
    finite = np.isfinite(points).all(axis=1)
    if not finite.any():
        raise CaptureError(f"the point cloud is empty: 0 finite points of {len(points)}", path)
    if not finite.all():
        notes.append(f"dropped {int((~finite).sum())} of {len(points)} points that are NaN or infinite")
        points = points[finite]
        colors = None if colors is None else colors[finite]
        normals = None if normals is None else normals[finite]
    return PointCloud(path, NAME, points, colors, normals, tuple(notes))


def _read_open3d(path: Path):
    if path.suffix.lower() == ".ply":
        check_ply_size(path)
    else:
        check_pcd_size(path)
    o3d = require("open3d", "scan", "reading PLY and PCD point clouds")
    with o3d.utility.VerbosityContextManager(o3d.utility.VerbosityLevel.Error):
        cloud = o3d.io.read_point_cloud(str(path), remove_nan_points=False, remove_infinite_points=False)
    points = np.asarray(cloud.points)
    if len(points) == 0:
        raise CaptureError("the point cloud is empty (0 points could be read)", path)
    notes = [f"{path.suffix.lower()[1:].upper()} read with Open3D"]
    if path.suffix.lower() == ".ply" and (faces := ply_face_count(path)):
        notes.append(f"a mesh PLY read as the point cloud of its {len(points)} vertices ({faces} faces ignored)")
    colors = np.asarray(cloud.colors) if cloud.has_colors() else None
    normals = np.asarray(cloud.normals) if cloud.has_normals() else None
    return points, colors, normals, notes


def _read_text(path: Path):
    """``x y z [r g b]`` per line (spaces, tabs or commas); ``.pts`` may start with a point count line."""
    lines = path.read_text(errors="replace").splitlines()
    rows = [line for line in lines if line.strip() and not line.lstrip().startswith(("#", "//"))]
    if rows and len(rows[0].replace(",", " ").split()) == 1:
        rows = rows[1:]  # the count line of a .pts file
    if not rows:
        raise CaptureError("the point cloud is empty: the text file holds no points", path)
    columns = len(rows[0].replace(",", " ").split())
    try:
        values = np.array(" ".join(rows).replace(",", " ").split(), dtype=np.float64)
    except ValueError:
        raise CaptureError("holds a value that is not a number; expected lines of 'x y z [r g b]'", path) from None
    if columns < 3 or len(values) != columns * len(rows):
        bad = next((i for i, r in enumerate(rows) if len(r.replace(",", " ").split()) != columns), 0)
        raise CaptureError(f"expected every line to hold the same {columns} numbers 'x y z [r g b]'; "
                           f"data line {bad + 1} differs", path)
    table = values.reshape(len(rows), columns)
    notes = [f"text cloud with {columns} columns"]
    colors = None
    if columns in (6, 7):
        rgb = table[:, columns - 3 :]  # .pts: x y z intensity r g b
        colors = rgb / 255.0 if rgb.max() > 1.0 else rgb
        notes[-1] += " (the last three read as RGB)"
    return table[:, :3], colors, None, notes


def _read_las(path: Path):
    laspy = require("laspy", "scan", "reading LAS/LAZ point clouds")
    try:
        las = laspy.read(str(path))
    except Exception as exc:  # laspy raises LaspyException, ValueError, lazrs errors
        raise CaptureError(f"cannot read LAS/LAZ file ({exc})", path) from None
    points = np.column_stack([np.asarray(las.x), np.asarray(las.y), np.asarray(las.z)])
    notes = [f"LAS {las.header.version} point format {las.header.point_format.id}, scaled coordinates"]
    colors = None
    if {"red", "green", "blue"} <= set(las.point_format.dimension_names):
        rgb = np.column_stack([np.asarray(las.red), np.asarray(las.green), np.asarray(las.blue)]).astype(np.float64)
        colors = rgb / (65535.0 if rgb.max() > 255 else 255.0)
    if len(points) and np.abs(points).max() > 1e4:
        notes.append("coordinates are large (a georeferenced frame, e.g. UTM); kept as they are")
    return points, colors, None, notes


def _read_e57(path: Path):
    pye57 = require("pye57", "scan", "reading E57 scans")
    try:
        e57 = pye57.E57(str(path))
    except Exception as exc:  # libE57 raises its own exception types
        raise CaptureError(f"cannot read E57 file ({exc})", path) from None
    try:
        parts, colors, posed = [], [], 0
        for index in range(e57.scan_count):
            scan = e57.read_scan(index, colors=True, ignore_missing_fields=True, transform=True)
            posed += bool(e57.get_header(index).has_pose())
            parts.append(np.column_stack([scan["cartesianX"], scan["cartesianY"], scan["cartesianZ"]]))
            if all(f"color{c}" in scan for c in ("Red", "Green", "Blue")):
                colors.append(np.column_stack([scan[f"color{c}"] for c in ("Red", "Green", "Blue")]) / 255.0)
    except Exception as exc:
        raise CaptureError(f"cannot read E57 scan data ({exc})", path) from None
    finally:
        e57.close()
    if not parts:
        raise CaptureError("the point cloud is empty: the E57 file holds no scans", path)
    scans = f"{len(parts)} scan{'s' if len(parts) > 1 else ''}"
    if posed == len(parts):
        notes = [f"E57: {scans}, each moved into the file frame by its pose"]
    elif posed == 0:
        notes = [f"E57: {scans} without a pose (points already in the file frame)"]
    else:
        notes = [f"E57: {scans}, {posed} moved into the file frame by their poses (the others have none)"]
    if colors and len(colors) != len(parts):
        notes.append(f"colour dropped: only {len(colors)} of {len(parts)} scans have it")
    rgb = np.concatenate(colors) if colors and len(colors) == len(parts) else None
    return np.concatenate(parts), rgb, None, notes
