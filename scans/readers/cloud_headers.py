"""Header checks for PLY and PCD files, run before a library parses the body.

Open3D reads a truncated PLY (or PCD) without complaint and returns garbage points, so the element counts of
the header are checked against the file size first.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from scans.errors import CaptureError

_PLY_SIZES = {"char": 1, "int8": 1, "uchar": 1, "uint8": 1, "short": 2, "int16": 2, "ushort": 2, "uint16": 2,
              "int": 4, "int32": 4, "uint": 4, "uint32": 4, "float": 4, "float32": 4, "double": 8, "float64": 8}


def ply_header(path: Path) -> tuple[str, list[tuple[str, int, list[tuple]]], int]:
    """Parse a PLY header: ``(format, [(element, count, [(property, size_or_list)...])...], header_bytes)``.

    A list property is given as ``("list", count_size, item_size)``.

    Raises:
        CaptureError: not a PLY file, or a malformed header.
    """
    with path.open("rb") as f:
        head = f.read(1 << 16)
    if not head.startswith(b"ply"):
        raise CaptureError("is not a PLY file (it does not start with 'ply')", path)
    end = re.search(rb"end_header\r?\n", head)
    if end is None:
        raise CaptureError("PLY header has no 'end_header' line within 64 KiB", path)
    fmt, elements = "", []
    for line in head[: end.start()].decode("ascii", "replace").splitlines()[1:]:
        words = line.split()
        if not words or words[0] in ("comment", "obj_info"):
            continue
        try:
            if words[0] == "format":
                fmt = words[1]
            elif words[0] == "element":
                elements.append((words[1], int(words[2]), []))
            elif words[0] == "property" and words[1] == "list":
                elements[-1][2].append((words[4], ("list", _PLY_SIZES[words[2]], _PLY_SIZES[words[3]])))
            elif words[0] == "property":
                elements[-1][2].append((words[2], _PLY_SIZES[words[1]]))
        except (IndexError, KeyError, ValueError):
            raise CaptureError(f"malformed PLY header line {line.strip()!r}", path) from None
    if fmt not in ("ascii", "binary_little_endian", "binary_big_endian"):
        expected = "ascii, binary_little_endian or binary_big_endian"
        raise CaptureError(f"unknown PLY format {fmt!r}; expected {expected}", path)
    return fmt, elements, end.end()


def ply_face_count(path: Path) -> int:
    """How many faces (or triangle strips) a PLY file's header declares."""
    _, elements, _ = ply_header(path)
    return sum(count for name, count, _ in elements if name in ("face", "tristrips"))


def check_ply_size(path: Path) -> None:
    """Raise :class:`CaptureError` when the body is shorter than the header's element counts need.

    Binary: fixed-size rows exactly, lists at their minimum (three vertices for a face, else none), which
    catches a cut inside the vertex block and most cuts among triangles. ASCII: one line per element.
    """
    fmt, elements, start = ply_header(path)
    size = path.stat().st_size
    if fmt == "ascii":
        with path.open("rb") as f:
            f.seek(start)
            lines = sum(1 for line in f if line.strip())
        need = sum(count for _, count, _ in elements)
        if lines < need:
            raise CaptureError(
                f"PLY file is truncated: the header declares {need} elements but the file holds {lines} lines", path
            )
        return
    need = start
    for name, count, props in elements:
        items = 3 if name == "face" else 0  # a face has at least three vertices
        row = sum(p[1] if isinstance(p[1], int) else p[1][1] + items * p[1][2] for p in props)
        need += count * row
    if size < need:
        raise CaptureError(f"PLY file is truncated: the header's element counts need at least {need} bytes "
                           f"but the file has {size}", path)


def check_pcd_size(path: Path) -> None:
    """Raise :class:`CaptureError` when a PCD's header is malformed or its data is shorter than it declares."""
    with path.open("rb") as f:
        head = f.read(1 << 16)
    fields: dict[str, list[str]] = {}
    offset = 0
    for raw in head.split(b"\n"):
        offset += len(raw) + 1
        words = raw.decode("ascii", "replace").split()
        if not words or words[0].startswith("#"):
            continue
        fields[words[0].upper()] = words[1:]
        if words[0].upper() == "DATA":
            break
    if "DATA" not in fields or "POINTS" not in fields and "WIDTH" not in fields:
        raise CaptureError("is not a PCD file (no DATA / POINTS header lines)", path)
    try:
        if "POINTS" in fields:
            points = int(fields["POINTS"][0])
        else:
            points = int(fields["WIDTH"][0]) * int(fields.get("HEIGHT", ["1"])[0])
        sizes = [int(s) for s in fields["SIZE"]]
        counts = [int(c) for c in fields.get("COUNT", ["1"] * len(sizes))]
    except (KeyError, ValueError, IndexError):
        raise CaptureError("malformed PCD header (POINTS, SIZE or COUNT)", path) from None
    kind, size = fields["DATA"][0].lower(), path.stat().st_size
    if kind == "binary":
        need = offset + points * sum(s * c for s, c in zip(sizes, counts))
    elif kind == "binary_compressed":
        words = np.frombuffer(head[offset : offset + 8], dtype="<u4") if len(head) >= offset + 8 else [1 << 31, 0]
        need = offset + 8 + int(words[0])
    else:
        return  # ascii: Open3D stops at the data it has; the finite count tells the rest
    if size < need:
        raise CaptureError(f"PCD file is truncated: its header needs {need} bytes of data but the file has {size}",
                           path)
