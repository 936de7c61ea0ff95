"""Golden files for both writers: the demo cell and the 2-link arm, byte for byte.

A change to a writer (or to MuJoCo/USD's number formatting) shows up here as a diff. When the change is
intended, regenerate with ``TWIN_UPDATE_GOLDEN=1 make test`` and review the diff of tests/golden/ like code.
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path

import mujoco
import pytest

from twin.examples import factory_cell, two_link_arm
from twin.mjcf import to_mjcf

pytest.importorskip("pxr")
from twin.usd import write_usd  # noqa: E402

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
UPDATE = os.environ.get("TWIN_UPDATE_GOLDEN") == "1"

SCENES = {"factory_cell": lambda: factory_cell(0)[0], "two_link_arm": two_link_arm}


def _written(name: str, out: Path) -> dict[str, str]:
    scene = SCENES[name]()
    xml = to_mjcf(scene.spec, out)
    write_usd(mujoco.MjModel.from_xml_path(str(xml)), out / "scene.usda")
    return {str(p.relative_to(out)): p.read_text() for p in sorted(out.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("name", sorted(SCENES))
def test_writers_match_golden_files(name, tmp_path):
    files = _written(name, tmp_path)
    golden_dir = GOLDEN / name
    if UPDATE:
        for rel, text in files.items():
            (golden_dir / rel).parent.mkdir(parents=True, exist_ok=True)
            (golden_dir / rel).write_text(text)
    expected = {str(p.relative_to(golden_dir)): p.read_text() for p in sorted(golden_dir.rglob("*")) if p.is_file()}
    assert sorted(files) == sorted(expected), "the set of written files changed"
    for rel, text in files.items():
        if text != expected[rel]:
            diff = "".join(
                list(difflib.unified_diff(expected[rel].splitlines(True), text.splitlines(True), f"golden/{rel}", rel))[:40]
            )
            pytest.fail(f"{name}/{rel} differs from its golden file (TWIN_UPDATE_GOLDEN=1 to accept):\n{diff}")


def test_golden_detects_a_change(tmp_path):
    files = _written("two_link_arm", tmp_path)
    golden = (GOLDEN / "two_link_arm" / "scene.xml").read_text()
    assert files["scene.xml"] == golden
    assert files["scene.xml"].replace('damping="1"', 'damping="1.5"') != golden
