"""MJCF writer: ``scene.xml`` plus one OBJ file per mesh under ``meshes/``.

Meshes held in memory (vertex lists on the spec) are written as files so the XML stays readable and the same
files serve the USD and other tools; the XML references them through ``<compiler meshdir="meshes"/>``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import mujoco
import numpy as np

from twin.errors import ModelError

MESH_DIR = "meshes"


def write_obj(path: Path, vertices: np.ndarray, faces: np.ndarray) -> None:
    """Write a triangle mesh as Wavefront OBJ (1-based faces, 9 significant digits, deterministic)."""
    lines = [f"v {x:.9g} {y:.9g} {z:.9g}" for x, y, z in np.asarray(vertices, dtype=float)]
    lines += [f"f {a + 1} {b + 1} {c + 1}" for a, b, c in np.asarray(faces, dtype=np.int64)]
    path.write_text("\n".join(lines) + "\n")


def to_mjcf(spec: mujoco.MjSpec, out_dir: str | Path, filename: str = "scene.xml") -> Path:
    """Write ``spec`` as ``out_dir/filename`` with its in-memory meshes under ``out_dir/meshes/``.

    Returns:
        The path of the written XML.

    Raises:
        ModelError: the spec does not compile.
    """
    out_dir = Path(out_dir)
    try:
        xml = spec.to_xml()
    except ValueError as exc:
        raise ModelError(f"scene '{spec.modelname}' does not compile: {exc}") from exc
    root = ET.fromstring(xml)
    in_memory = [m for m in spec.meshes if len(m.uservert) and not m.file]
    if in_memory:
        (out_dir / MESH_DIR).mkdir(parents=True, exist_ok=True)
        by_name = {m.name: m for m in in_memory}
        for element in root.iter("mesh"):
            mesh = by_name.get(element.get("name"))
            if mesh is None:
                continue
            vertices = np.reshape(mesh.uservert, (-1, 3))
            faces = np.reshape(mesh.userface, (-1, 3))
            write_obj(out_dir / MESH_DIR / f"{mesh.name}.obj", vertices, faces)
            element.attrib.pop("vertex", None)
            element.attrib.pop("face", None)
            element.set("file", f"{mesh.name}.obj")
        compiler = root.find("compiler")
        if compiler is None:
            compiler = ET.Element("compiler")
            root.insert(0, compiler)
        compiler.set("meshdir", MESH_DIR)
    ET.indent(root, space="  ")
    path = out_dir / filename
    path.write_text(ET.tostring(root, encoding="unicode") + "\n")
    return path
