"""The capture-layout registry: detect a capture's layout from its file names and read it.

Each reader is a module exposing ``NAME``, ``DESCRIPTION`` (the files it looks for), ``detect(path) -> bool``
(cheap: file names only) and ``read(path) -> Capture``. :data:`LAYOUTS` lists them sorted by name.

When several layouts match a path (a Redwood folder that also holds a reconstructed ``.ply``, say), the first
in :data:`PRIORITY` wins and :func:`read_capture` adds a note naming the others: the layouts defined by one
specific file come first (nerfstudio's ``transforms.json``, Record3D's ``metadata.json``, TUM's lists), then
those defined by file-name patterns (7-Scenes, Redwood folders), then single geometry files (mesh before
point cloud, since a PLY with faces is a mesh).

Example:
    >>> capture = read_capture("scans/bin_scan")            # doctest: +SKIP
    >>> capture.layout, len(capture), capture.posed          # doctest: +SKIP
    ('7scenes', 50, 50)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from scans.capture import Capture
from scans.errors import CaptureError
from scans.readers import (
    clouds,
    meshes,
    nerfstudio,
    record3d,
    redwood,
    sevenscenes,
    tum,
)

__all__ = ["LAYOUTS", "PRIORITY", "Layout", "detect_layout", "get_layout", "matching_layouts", "read_capture"]


@dataclass(frozen=True)
class Layout:
    """One capture layout: its name, the files it looks for, and its reader's functions."""

    name: str
    description: str
    detect: Callable[[Path], bool]
    read: Callable[[Path], Capture]


_MODULES = (clouds, meshes, nerfstudio, record3d, redwood, sevenscenes, tum)
LAYOUTS: tuple[Layout, ...] = tuple(sorted((Layout(m.NAME, m.DESCRIPTION, m.detect, m.read) for m in _MODULES),
                                           key=lambda layout: layout.name))
"""Every registered layout, sorted by name."""

PRIORITY: tuple[str, ...] = ("nerfstudio", "record3d", "tum", "7scenes", "redwood", "mesh", "pointcloud")
"""Which layout wins when several match a path, highest first; layouts not listed come after, by name."""


def _rank(layout: Layout) -> tuple[int, str]:
    return (PRIORITY.index(layout.name) if layout.name in PRIORITY else len(PRIORITY), layout.name)


def get_layout(name: str) -> Layout:
    """The layout called ``name``; raise :class:`CaptureError` listing the valid names otherwise."""
    for layout in LAYOUTS:
        if layout.name == name:
            return layout
    raise CaptureError(f"unknown format {name!r}; valid formats: {', '.join(layout.name for layout in LAYOUTS)}")


def _existing(path: str | Path) -> Path:
    path = Path(path)
    if not path.exists():
        raise CaptureError("does not exist; expected a capture folder or file", path)
    return path


def matching_layouts(path: str | Path) -> tuple[Layout, ...]:
    """Every layout whose ``detect`` accepts ``path``, in :data:`PRIORITY` order (possibly none)."""
    path = _existing(path)

    def matches(layout: Layout) -> bool:
        try:
            return bool(layout.detect(path))
        except OSError:  # an unreadable folder is not that layout
            return False

    return tuple(sorted((layout for layout in LAYOUTS if matches(layout)), key=_rank))


def detect_layout(path: str | Path) -> Layout:
    """The layout of the capture at ``path``: the only match, or the first in :data:`PRIORITY`.

    Raises:
        CaptureError: when no layout matches, listing every layout looked for and the files it expects.
    """
    found = matching_layouts(path)
    if not found:
        path = Path(path)
        if path.is_dir() and not any(path.iterdir()):
            raise CaptureError("the directory is empty; expected a capture (see `twin scans info --help`)", path)
        if path.is_dir():
            from scans.readers.clouds import EXTENSIONS, MESH_EXTENSIONS

            files = sorted(p.name for p in path.iterdir() if p.suffix.lower() in set(EXTENSIONS) | set(MESH_EXTENSIONS))
            if len(files) > 1:
                raise CaptureError(f"holds {len(files)} point cloud or mesh files ({', '.join(files[:4])}"
                                   f"{', ...' if len(files) > 4 else ''}); pass one of them", path)
        looked = "; ".join(f"{layout.name} ({layout.description})" for layout in sorted(LAYOUTS, key=_rank))
        raise CaptureError(f"no known capture layout; looked for: {looked}", path)
    return found[0]


def read_capture(path: str | Path, *, format: str | None = None) -> Capture:
    """Read a capture, its layout auto-detected or forced.

    Args:
        path: A capture folder or file.
        format: A layout name (see :data:`LAYOUTS`) to read it as, skipping detection.

    Returns:
        An :class:`~scans.capture.RGBDSequence`, :class:`~scans.capture.PointCloud` or
        :class:`~scans.capture.TriangleMesh`; when several layouts matched, its notes say which.

    Raises:
        CaptureError: unknown ``format`` (the valid names are listed), no matching layout, or bad content.
    """
    if format is not None:
        layout = get_layout(format)
        return layout.read(_existing(path))
    found = matching_layouts(path)
    if not found:
        detect_layout(path)  # raises, listing what was looked for
    capture = found[0].read(Path(path))
    if len(found) > 1:
        others = ", ".join(layout.name for layout in found[1:])
        note = (f"also matches {others}; read as {found[0].name} (priority {' > '.join(PRIORITY)}); "
                "pass a format to choose")
        capture = dataclasses.replace(capture, notes=(*capture.notes, note))
    return capture
