"""twin.json: round trip and validation that names the bad field."""

from __future__ import annotations

import json

import numpy as np
import pytest

from twin.errors import ManifestError
from twin.manifest import ObjectRecord, Provenance, TwinManifest


def _manifest() -> TwinManifest:
    tilt = np.eye(4)
    c, s = np.cos(0.1), np.sin(0.1)
    tilt[:3, :3] = [[1, 0, 0], [0, c, -s], [0, s, c]]
    tilt[:3, 3] = [0.5, -0.2, 1.0]
    return TwinManifest(
        objects=(
            ObjectRecord("box", (1.0, 2.0, 0.15), (0.4, 0.3, 0.3), 2.5, "scan"),
            ObjectRecord("shelf", (0.0, 0.0, 0.9), (0.45, 1.2, 1.8), 0.0, "code:factory_cell"),
        ),
        provenance=Provenance("twin build scans/", ({"path": "a.ply", "sha256": "00"},), {"mujoco": "4.0.0"}, {"voxel": 0.01}),
        capture_to_world=tuple(tilt.ravel()),
    )


def test_round_trip(tmp_path):
    manifest = _manifest()
    manifest.save(tmp_path / "twin.json")
    loaded = TwinManifest.load(tmp_path / "twin.json")
    assert loaded == manifest
    np.testing.assert_allclose(loaded.capture_to_world_matrix, np.reshape(manifest.capture_to_world, (4, 4)))
    data = json.loads((tmp_path / "twin.json").read_text())
    assert data["schema_version"] == 1 and data["up_axis"] == "z"
    assert data["units"] == {"length": "m", "mass": "kg", "time": "s", "angle": "rad"}
    assert len(data["capture_to_world"]) == 4 and data["objects"][0]["name"] == "box"


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda d: d["objects"][1].__setitem__("mass", -1), "field 'objects[1].mass' must be a finite number >= 0 kg, got -1"),
        (lambda d: d["objects"][0].__setitem__("size", [1, 2]), "field 'objects[0].size' must be a list of 3 numbers, got [1, 2]"),
        (lambda d: d["objects"][0].pop("source"), "field 'objects[0].source' is missing"),
        (lambda d: d["objects"][1].__setitem__("name", "box"), "field 'objects[1].name' duplicates the name 'box'"),
        (lambda d: d.__setitem__("schema_version", 7), "field 'schema_version' must be 1 (this twin-builder's schema), got 7"),
        (lambda d: d.__setitem__("up_axis", "y"), "field 'up_axis' must be 'z', got 'y'"),
        (lambda d: d["capture_to_world"][0].__setitem__(0, 2.0), "field 'capture_to_world' is not a rigid transform"),
        (lambda d: d.__setitem__("colour", "red"), "field 'colour' is not part of schema 1"),
        (lambda d: d.pop("provenance"), "field 'provenance' is missing"),
        (lambda d: d["objects"][0].__setitem__("position", [0, "x", 1]), "field 'objects[0].position' must hold finite numbers"),
    ],
)
def test_bad_field_is_named(tmp_path, edit, message):
    data = _manifest().to_dict()
    edit(data)
    path = tmp_path / "twin.json"
    path.write_text(json.dumps(data))
    with pytest.raises(ManifestError) as info:
        TwinManifest.load(path)
    assert str(info.value).startswith(f"{path}: {message}")


def test_unreadable_and_malformed(tmp_path):
    with pytest.raises(ManifestError, match="cannot read"):
        TwinManifest.load(tmp_path / "missing.json")
    bad = tmp_path / "twin.json"
    bad.write_text('{"schema_version": 1,')
    with pytest.raises(ManifestError, match=r"is not valid JSON \(line 1"):
        TwinManifest.load(bad)


def test_frozen():
    manifest = _manifest()
    with pytest.raises(AttributeError):
        manifest.objects = ()  # type: ignore[misc]
