"""Variant batches: distinct, validated, complete asset directories, deterministic for a seed."""

from __future__ import annotations

import json

import numpy as np
import pytest

from asset_gen import output
from asset_gen.families import get_family
from asset_gen.family import Family
from asset_gen.schema import Param, Schema
from asset_gen.variation import draw_distinct, generate_variants
from twin.errors import OutputError, TwinError
from twin.executor import make_executor
from twin.render import RenderError
from twin.shapes import Box
from twin.validation import validate_path

INLINE = make_executor("inline")


def test_batch_writes_complete_valid_assets(tmp_path):
    out = tmp_path / "crates"
    family = get_family("crate")
    result = generate_variants(family, out, count=3, seed=5, executor=INLINE, thumbnail=False)
    assert [a["directory"] for a in result.assets] == ["crate_0", "crate_1", "crate_2"]
    params = []
    for k in range(3):
        d = out / f"crate_{k}"
        assert {"asset.xml", "asset.usda", "asset.json"} <= {p.name for p in d.iterdir()}
        assert validate_path(d / "asset.xml").ok
        meta = json.loads((d / "asset.json").read_text())
        assert meta["family"] == "crate" and meta["index"] == k and meta["batch_seed"] == 5
        assert meta["validation"]["ok"] and meta["validation"]["checks"]["settle"] == "pass"
        assert meta["provenance"]["parameters"]["seed"] == 5 and "mujoco" in meta["provenance"]["versions"]
        assert meta["bbox"]["size"] == pytest.approx([meta["params"][k] for k in ("length", "width", "height")])
        assert meta["mass"] > 0.5
        assert "RevoluteJoint" not in (d / "asset.usda").read_text()
        params.append(meta["params"])
    for i in range(3):
        for j in range(i):
            assert family.schema.distance(params[i], params[j]) >= 0.05
    index = json.loads((out / "assets.json").read_text())
    assert index["count"] == 3 and index["invalid"] == 0


def test_same_seed_same_batch_other_seed_other_batch(tmp_path):
    family = get_family("pallet")
    runs = [generate_variants(family, tmp_path / f"r{i}", count=2, seed=s, executor=INLINE, thumbnail=False)
            for i, s in enumerate((1, 1, 2))]
    assert runs[0].assets[0]["params"] == runs[1].assets[0]["params"]
    assert runs[0].assets[0]["seed"] == runs[1].assets[0]["seed"]
    assert runs[0].assets[0]["params"] != runs[2].assets[0]["params"]
    xml = [(tmp_path / f"r{i}" / "pallet_1" / "asset.xml").read_text() for i in range(2)]
    assert xml[0] == xml[1]


def test_articulated_asset_has_usd_joints_and_a_thumbnail(tmp_path):
    generate_variants(get_family("cabinet"), tmp_path / "c", count=1, seed=0, executor=INLINE)
    d = tmp_path / "c" / "cabinet_0"
    assert "PhysicsRevoluteJoint" in (d / "asset.usda").read_text()
    meta = json.loads((d / "asset.json").read_text())
    assert ("thumbnail.png" in meta["files"]) != bool(meta["warnings"])  # a picture, or a warning why not


def test_no_opengl_degrades_to_a_warning(tmp_path, monkeypatch):
    def no_gl(*args, **kwargs):
        raise RenderError("cannot create an OpenGL context (test)")

    monkeypatch.setattr(output, "render_image", no_gl)
    result = generate_variants(get_family("bin"), tmp_path / "b", count=1, executor=INLINE)
    assert result.assets[0]["warnings"] == ["no thumbnail: cannot create an OpenGL context (test)"]
    assert not (tmp_path / "b" / "bin_0" / "thumbnail.png").exists()


def _two_boxes(scene, name, p, rng, *, pos, quat):
    """A test family: two free boxes that overlap (fail validation) when ``gap`` < 0."""
    body = scene.add_free_body(name, pos=pos, quat=quat)
    scene.add_geom(body, Box((0.2, 0.2, 0.2)), name=f"{name}_a", pos=(0, 0, 0.1), mass=1.0)
    other = scene.add_free_body(f"{name}_b", pos=(pos[0] + 0.2 + p.gap, pos[1], pos[2]))
    scene.add_geom(other, Box((0.2, 0.2, 0.2)), name=f"{name}_b", pos=(0, 0, 0.1), mass=1.0)
    return body


FLAKY = Family("flaky", "sometimes overlaps", Schema((Param("gap", -0.05, 0.05, 0.01, "m", "gap"),)), _two_boxes)


def test_invalid_variants_are_resampled_and_counted(tmp_path):
    result = generate_variants(FLAKY, tmp_path / "f", count=3, seed=0, executor=INLINE, thumbnail=False,
                               min_distance=0.01)
    assert result.invalid > 0 and len(result.failures) == result.invalid
    assert all("overlap by" in failure for failure in result.failures)
    for asset in result.assets:
        assert asset["params"]["gap"] >= -0.001
        assert validate_path(tmp_path / "f" / asset["directory"] / "asset.xml").ok
    assert sorted(p.name for p in (tmp_path / "f").iterdir()) == ["assets.json", "flaky_0", "flaky_1", "flaky_2"]


def test_too_many_invalid_variants_fail_and_leave_nothing(tmp_path):
    broken = Family("broken", "always overlaps", Schema((Param("gap", -0.05, -0.01, -0.02, "m", "gap"),)), _two_boxes)
    with pytest.raises(TwinError, match="variants of 'broken' failed validation"):
        generate_variants(broken, tmp_path / "x", count=2, executor=INLINE, thumbnail=False, max_invalid=2)
    assert not (tmp_path / "x").exists() and not list(tmp_path.iterdir())


def test_near_duplicates_are_rejected():
    schema = Schema((Param("n", 1, 2, 1, "", "two values only", integer=True),))
    rng = np.random.default_rng(0)
    first, _ = draw_distinct(schema, rng, [])
    second, _ = draw_distinct(schema, rng, [first])
    assert second["n"] != first["n"]
    with pytest.raises(TwinError, match="too few distinct variants"):
        draw_distinct(schema, rng, [first, second])


def test_output_is_atomic_and_refuses_foreign_directories(tmp_path):
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me")
    with pytest.raises(OutputError, match="holds no earlier batch"):
        generate_variants(get_family("crate"), foreign, count=1, executor=INLINE)
    assert (foreign / "notes.txt").read_text() == "keep me"
    out = tmp_path / "batch"
    generate_variants(get_family("crate"), out, count=2, executor=INLINE, thumbnail=False)
    generate_variants(get_family("crate"), out, count=1, seed=9, executor=INLINE, thumbnail=False)  # replaces it
    assert sorted(p.name for p in out.iterdir()) == ["assets.json", "crate_0"]


def test_process_pool_gives_the_same_batch(tmp_path):
    family = get_family("table")
    a = generate_variants(family, tmp_path / "a", count=2, seed=4, executor=INLINE, thumbnail=False)
    b = generate_variants(family, tmp_path / "b", count=2, seed=4, executor=make_executor("process", workers=2),
                          thumbnail=False)
    assert a.assets == b.assets
