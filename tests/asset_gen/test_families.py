"""The built-in families, tested from the registry: every family gets every test."""

from __future__ import annotations

import mujoco
import numpy as np
import pytest

from asset_gen.families import FAMILIES, FAMILY_NAMES, get_family
from asset_gen.family import FamilyError, asset_scene, place
from asset_gen.output import asset_bbox
from twin.errors import TwinError
from twin.scene import Scene
from twin.validation import validate_spec

# What the real thing has: the joint kinds (besides a free joint) and whether the asset is free-standing.
ARTICULATION = {
    "bin": (set(), True),
    "cabinet": ({"hinge"}, False),
    "cart": ({"hinge"}, True),
    "conveyor": ({"hinge"}, False),
    "crate": (set(), True),
    "drawers": ({"slide"}, False),
    "pallet": (set(), True),
    "shelf": (set(), False),
    "table": (set(), True),
}
# Realistic total mass at the defaults, kg.
MASS = {"bin": (1, 6), "cabinet": (15, 60), "cart": (8, 40), "conveyor": (15, 80), "crate": (1, 5),
        "drawers": (20, 70), "pallet": (12, 30), "shelf": (30, 200), "table": (20, 80)}
_KIND = {int(mujoco.mjtJoint.mjJNT_HINGE): "hinge", int(mujoco.mjtJoint.mjJNT_SLIDE): "slide",
         int(mujoco.mjtJoint.mjJNT_FREE): "free", int(mujoco.mjtJoint.mjJNT_BALL): "ball"}


def test_registry_is_sorted_and_complete():
    assert list(FAMILY_NAMES) == sorted(FAMILY_NAMES)
    assert set(FAMILY_NAMES) == set(ARTICULATION) == set(MASS)
    with pytest.raises(TwinError, match="unknown asset family 'sofa'; built-in families: bin, cabinet"):
        get_family("sofa")


@pytest.mark.parametrize("family", FAMILIES, ids=FAMILY_NAMES)
def test_schema_is_documented(family):
    assert family.description and family.schema.params
    for p in family.schema.params:
        assert p.doc, f"{family.name}.{p.name} has no doc"
        if not p.integer and p.name not in ("travel",):
            assert p.unit in ("m", "rad", "kg", ""), p


@pytest.mark.parametrize("family", FAMILIES, ids=FAMILY_NAMES)
def test_defaults_and_samples_validate(family):
    rng = np.random.default_rng(1)
    for k, params in enumerate([family.schema.defaults()] + [family.schema.sample(rng) for _ in range(3)]):
        report = validate_spec(family.spec(params, seed=k))
        assert report.ok, (params, [f.message for f in report.findings])


@pytest.mark.parametrize("family", FAMILIES, ids=FAMILY_NAMES)
def test_articulation_and_mass(family):
    model = family.spec().compile()
    kinds = {_KIND[int(t)] for t in model.jnt_type}
    joints, free = ARTICULATION[family.name]
    assert kinds - {"free"} == joints
    assert ("free" in kinds) == free
    _, mass = asset_bbox(model, family.name)
    lo, hi = MASS[family.name]
    assert lo <= mass <= hi, f"{family.name}: {mass:.1f} kg"
    limited = model.jnt_limited.astype(bool)
    slides_and_doors = np.isin(model.jnt_type, [int(mujoco.mjtJoint.mjJNT_SLIDE)]) | (
        (model.jnt_type == int(mujoco.mjtJoint.mjJNT_HINGE)) & limited)
    assert np.all(limited[slides_and_doors])


@pytest.mark.parametrize("family", FAMILIES, ids=FAMILY_NAMES)
def test_asset_stands_on_the_floor_at_its_origin(family):
    model = family.spec().compile()
    bbox, _ = asset_bbox(model, family.name)
    assert bbox["min"][2] == pytest.approx(0.0, abs=1e-6)
    centre = (np.array(bbox["min"][:2]) + np.array(bbox["max"][:2])) / 2
    assert np.all(np.abs(centre) < 0.2 * np.array(bbox["size"][:2]) + 0.05)


def test_bounding_box_follows_the_parameters():
    model = get_family("crate").spec({"length": 0.5, "width": 0.3, "height": 0.2}).compile()
    assert asset_bbox(model, "crate")[0]["size"] == pytest.approx([0.5, 0.3, 0.2])
    model = get_family("shelf").spec({"width": 2.0, "depth": 0.8, "height": 2.5}).compile()
    assert asset_bbox(model, "shelf")[0]["size"] == pytest.approx([0.8, 2.0, 2.5])


def test_cabinet_and_drawer_counts_follow_the_parameters():
    model = get_family("cabinet").spec({"doors": 2}).compile()
    assert sum(model.jnt_type == int(mujoco.mjtJoint.mjJNT_HINGE)) == 2
    model = get_family("drawers").spec({"drawers": 5}).compile()
    assert sum(model.jnt_type == int(mujoco.mjtJoint.mjJNT_SLIDE)) == 5


def test_every_family_placed_together_in_one_scene():
    scene = Scene("yard")
    scene.add_floor((30.0, 6.0))
    for k, family in enumerate(FAMILIES):
        for copy in range(2):
            place(scene, family, f"{family.name}_{copy}", pos=(-12.0 + 3.0 * k, -1.5 + 3.0 * copy, 0.0),
                  yaw=0.3 * copy, rng=np.random.default_rng(k))
    report = validate_spec(scene.spec)
    assert report.ok, [f.message for f in report.findings]


def test_place_checks_parameters_and_naming():
    scene = Scene("x")
    with pytest.raises(TwinError, match="out of range"):
        place(scene, get_family("crate"), "c", {"length": 5.0})
    from asset_gen.family import Family
    from asset_gen.schema import Schema
    from twin.shapes import Box

    def sloppy(scene, name, p, rng, *, pos, quat):
        body = scene.add_body(name, pos=pos)
        scene.add_geom(body, Box((0.1, 0.1, 0.1)), name="lid")
        return body

    with pytest.raises(FamilyError, match="element names must start with 'c_'"):
        place(Scene("y"), Family("sloppy", "", Schema(()), sloppy), "c")


def test_asset_scene_is_deterministic():
    family = get_family("shelf")
    assert asset_scene(family, seed=3).spec.to_xml() == asset_scene(family, seed=3).spec.to_xml()


def test_assets_placed_in_the_demo_cell_keep_it_valid():
    from twin.examples import factory_cell

    scene, _ = factory_cell()
    place(scene, get_family("cart"), "cart_1", {"decks": 3}, pos=(1.5, -1.8, 0.0), yaw=0.4)
    place(scene, get_family("pallet"), "pallet_1", pos=(-1.0, 0.2, 0.0))
    report = validate_spec(scene.spec)
    assert report.ok, [f.message for f in report.findings]


def test_a_near_miss_family_name_gets_a_suggestion():
    with pytest.raises(TwinError, match=r"unknown asset family 'shelfs'; did you mean 'shelf'\? built-in families: bin,"):
        get_family("shelfs")
