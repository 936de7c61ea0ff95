"""``twin.json``: the versioned manifest of a twin directory.

The manifest is a frozen dataclass that validates itself on construction and on load; a bad file is
reported with the dotted path of the bad field (``objects[2].mass``). Units are SI (m, kg, s), z is up, and
``capture_to_world`` maps the capture's frame into the twin's (identity for twins built from code).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from twin.errors import ManifestError
from twin.transforms import check_transform

SCHEMA_VERSION = 1
UNITS = {"length": "m", "mass": "kg", "time": "s", "angle": "rad"}
IDENTITY_4X4 = tuple(float(v) for v in np.eye(4).ravel())


def _fail(field_path: str, problem: str) -> ManifestError:
    return ManifestError(f"field '{field_path}' {problem}")


def _vector(value: Any, field_path: str, n: int, *, positive: bool = False) -> tuple[float, ...]:
    if not isinstance(value, (list, tuple)) or len(value) != n:
        raise _fail(field_path, f"must be a list of {n} numbers, got {value!r}")
    out = []
    for v in value:
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            raise _fail(field_path, f"must hold finite numbers, got {value!r}")
        if positive and v <= 0:
            raise _fail(field_path, f"must hold positive numbers, got {value!r}")
        out.append(float(v))
    return tuple(out)


@dataclass(frozen=True)
class ObjectRecord:
    """One separate object of the twin.

    Args:
        name: Body name in scene.xml.
        position: Centre of the object's world axis-aligned bounding box, m.
        size: Extents of that box, m.
        mass: Total mass, kg (0 for static objects).
        source: Where it came from, e.g. ``"code:factory_cell"``, ``"scan"``, ``"asset:pallet"``.
    """

    name: str
    position: tuple[float, float, float]
    size: tuple[float, float, float]
    mass: float
    source: str

    def __post_init__(self) -> None:
        self.validate("object")

    def validate(self, where: str) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise _fail(f"{where}.name", "must be a non-empty string")
        object.__setattr__(self, "position", _vector(self.position, f"{where}.position", 3))
        object.__setattr__(self, "size", _vector(self.size, f"{where}.size", 3))
        if any(s < 0 for s in self.size):
            raise _fail(f"{where}.size", f"must hold extents >= 0 m, got {list(self.size)}")
        mass = self.mass
        if isinstance(mass, bool) or not isinstance(mass, (int, float)) or not math.isfinite(mass) or mass < 0:
            raise _fail(f"{where}.mass", f"must be a finite number >= 0 kg, got {mass!r}")
        object.__setattr__(self, "mass", float(mass))
        if not isinstance(self.source, str) or not self.source:
            raise _fail(f"{where}.source", "must be a non-empty string")


@dataclass(frozen=True)
class Provenance:
    """What produced a twin: the command, its inputs (with digests), library versions and parameters."""

    command: str
    inputs: tuple[Mapping[str, Any], ...] = ()
    versions: Mapping[str, str] = field(default_factory=dict)
    parameters: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.command, str) or not self.command:
            raise _fail("provenance.command", "must be a non-empty string")
        if not isinstance(self.inputs, (list, tuple)) or not all(isinstance(i, Mapping) for i in self.inputs):
            raise _fail("provenance.inputs", "must be a list of objects")
        for name in ("versions", "parameters"):
            if not isinstance(getattr(self, name), Mapping):
                raise _fail(f"provenance.{name}", "must be an object")
        object.__setattr__(self, "inputs", tuple(dict(i) for i in self.inputs))
        object.__setattr__(self, "versions", dict(self.versions))
        object.__setattr__(self, "parameters", dict(self.parameters))


@dataclass(frozen=True)
class TwinManifest:
    """The content of ``twin.json``.

    Args:
        objects: Separate objects of the twin, in scene order.
        provenance: What produced it.
        capture_to_world: 4x4 row-major rigid transform from the capture frame to the twin frame (z up,
            floor at z = 0), flattened to 16 numbers.
        files: Relative paths of the twin's files (scene.xml, scene.usda, ...).
    """

    objects: tuple[ObjectRecord, ...]
    provenance: Provenance
    capture_to_world: tuple[float, ...] = IDENTITY_4X4
    files: tuple[str, ...] = ("scene.xml", "scene.usda", "report.html")
    schema_version: int = SCHEMA_VERSION
    units: Mapping[str, str] = field(default_factory=lambda: dict(UNITS))
    up_axis: str = "z"

    def __post_init__(self) -> None:
        if self.schema_version != SCHEMA_VERSION:
            raise _fail("schema_version", f"must be {SCHEMA_VERSION} (this twin-builder's schema), got {self.schema_version!r}")
        if dict(self.units) != UNITS:
            raise _fail("units", f"must be {UNITS}, got {dict(self.units)!r}")
        if self.up_axis != "z":
            raise _fail("up_axis", f"must be 'z', got {self.up_axis!r}")
        flat = _vector(list(np.asarray(self.capture_to_world, dtype=object).ravel()), "capture_to_world", 16)
        try:
            check_transform(np.reshape(flat, (4, 4)), "capture_to_world")
        except ValueError as exc:
            raise _fail("capture_to_world", f"is not a rigid transform: {exc}") from None
        object.__setattr__(self, "capture_to_world", flat)
        objects = tuple(self.objects)
        seen: set[str] = set()
        for i, obj in enumerate(objects):
            if not isinstance(obj, ObjectRecord):
                raise _fail(f"objects[{i}]", "must be an ObjectRecord")
            if obj.name in seen:
                raise _fail(f"objects[{i}].name", f"duplicates the name '{obj.name}'")
            seen.add(obj.name)
        object.__setattr__(self, "objects", objects)
        if not isinstance(self.files, (list, tuple)) or not all(isinstance(f, str) and f for f in self.files):
            raise _fail("files", "must be a list of relative paths")
        object.__setattr__(self, "files", tuple(self.files))
        object.__setattr__(self, "units", dict(self.units))

    @property
    def capture_to_world_matrix(self) -> np.ndarray:
        """``capture_to_world`` as a (4, 4) array."""
        return np.reshape(self.capture_to_world, (4, 4))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict in the documented field order."""
        return {
            "schema_version": self.schema_version,
            "units": dict(self.units),
            "up_axis": self.up_axis,
            "capture_to_world": [list(row) for row in self.capture_to_world_matrix.tolist()],
            "files": list(self.files),
            "objects": [
                {"name": o.name, "position": list(o.position), "size": list(o.size), "mass": o.mass, "source": o.source}
                for o in self.objects
            ],
            "provenance": {
                "command": self.provenance.command,
                "inputs": [dict(i) for i in self.provenance.inputs],
                "versions": dict(self.provenance.versions),
                "parameters": dict(self.provenance.parameters),
            },
        }

    @classmethod
    def from_dict(cls, data: Any) -> TwinManifest:
        """Build and validate a manifest from parsed JSON; errors name the bad field."""
        if not isinstance(data, dict):
            raise ManifestError("must hold a JSON object at the top level")
        known = {"schema_version", "units", "up_axis", "capture_to_world", "files", "objects", "provenance"}
        for key in ("schema_version", "objects", "provenance"):
            if key not in data:
                raise _fail(key, "is missing")
        unknown = sorted(set(data) - known)
        if unknown:
            raise _fail(unknown[0], f"is not part of schema {SCHEMA_VERSION}; known fields: {sorted(known)}")
        objects_data = data["objects"]
        if not isinstance(objects_data, list):
            raise _fail("objects", "must be a list")
        objects = []
        for i, o in enumerate(objects_data):
            if not isinstance(o, dict):
                raise _fail(f"objects[{i}]", "must be an object")
            missing = [k for k in ("name", "position", "size", "mass", "source") if k not in o]
            if missing:
                raise _fail(f"objects[{i}].{missing[0]}", "is missing")
            try:
                objects.append(ObjectRecord(o["name"], o["position"], o["size"], o["mass"], o["source"]))
            except ManifestError as exc:
                raise ManifestError(exc.message.replace("'object.", f"'objects[{i}].")) from None
        prov = data["provenance"]
        if not isinstance(prov, dict) or "command" not in prov:
            raise _fail("provenance.command", "is missing")
        provenance = Provenance(
            prov["command"], prov.get("inputs", []), prov.get("versions", {}), prov.get("parameters", {})
        )
        matrix = data.get("capture_to_world", np.eye(4).tolist())
        if not isinstance(matrix, list) or len(matrix) != 4 or not all(isinstance(r, list) for r in matrix):
            raise _fail("capture_to_world", "must be a 4x4 list of lists (row-major)")
        flat = [v for row in matrix for v in row]
        return cls(
            objects=tuple(objects),
            provenance=provenance,
            capture_to_world=tuple(flat),
            files=tuple(data.get("files", ())),
            schema_version=data["schema_version"],
            units=data.get("units", UNITS),
            up_axis=data.get("up_axis", "z"),
        )

    def save(self, path: str | Path) -> None:
        """Write as indented JSON (deterministic key order)."""
        Path(path).write_text(json.dumps(self.to_dict(), indent=2) + "\n")

    @classmethod
    def load(cls, path: str | Path) -> TwinManifest:
        """Read and validate ``twin.json``; every problem is a :class:`ManifestError` naming the file."""
        path = Path(path)
        try:
            text = path.read_text()
        except OSError as exc:
            raise ManifestError(f"cannot read: {exc.strerror}", path) from None
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ManifestError(f"is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})", path) from None
        try:
            return cls.from_dict(data)
        except ManifestError as exc:
            raise ManifestError(exc.message, path) from None
