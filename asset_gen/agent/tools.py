"""The agent's tools: read docs and families, write a family (sandboxed), validate, render, submit.

Every tool returns a :class:`ToolOutcome`; errors the agent can act on (a failed check, a sandbox kill, a
bad parameter) come back as ``is_error`` results, never as exceptions. Generated code runs only in the
sandbox; its MJCF is vetted before MuJoCo parses it here.
"""

from __future__ import annotations

import base64
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

import asset_gen
from asset_gen import family as family_module
from asset_gen import materials, parts, schema
from asset_gen.code_check import code_issues
from asset_gen.families import FAMILIES
from asset_gen.generated import GeneratedFamily, load_generated
from asset_gen.output import asset_bbox
from asset_gen.sandbox import SandboxLimits
from twin.errors import TwinError
from twin.extras import require
from twin.validation import validate_spec

SIZE_TOLERANCE = 0.25
"""Relative tolerance of the default asset's size against the size the request implies."""
SUBMIT_SAMPLES = 8
"""Assets (defaults + random draws) an accepted family must all pass."""


@dataclass(frozen=True)
class ToolOutcome:
    """The result of one tool call: ``content`` for the tool_result block, plus what the loop tracks."""

    content: str | list[dict[str, Any]]
    is_error: bool = False
    verdict: dict[str, Any] | None = None
    accepted: GeneratedFamily | None = None


def _json(document: Any, is_error: bool = False) -> ToolOutcome:
    return ToolOutcome(json.dumps(document, indent=1), is_error)


def scene_api_text() -> str:
    """docs/scene-api.md (or the twin.scene docstring in an install without docs) plus the family contract."""
    docs = Path(asset_gen.__file__).resolve().parents[1] / "docs" / "scene-api.md"
    import twin.scene

    api = docs.read_text() if docs.is_file() else (twin.scene.__doc__ or "")
    return (f"{api}\n\n# The family contract (asset_gen.family)\n{family_module.__doc__}\n\n"
            f"# Parameters (asset_gen.schema)\n{schema.__doc__}\n\n# Helpers (asset_gen.parts)\n"
            f"{parts.__doc__}\nsheet_mass(size, thickness, density), square_tube_mass(side, length, wall, "
            "density), round_tube_mass(diameter, length, wall, density), root_body(scene, name, *, pos, quat, free)\n"
            "Materials (asset_gen.materials): " + ", ".join(sorted(
                n for n in dir(materials) if n.isupper() and not n.endswith("DENSITY"))))


@dataclass
class ToolBox:
    """Executes tool calls for one agent run.

    Args:
        limits: Sandbox limits of every build.
        isolation: Sandbox isolation.
        seed: Seeds the parameter draws of validate_family and submit_family (deterministic replays).
        samples: Default number of assets validate_family checks.
    """

    limits: SandboxLimits = field(default_factory=SandboxLimits)
    isolation: str = "auto"
    seed: int = 0
    samples: int = 4
    written: dict[str, GeneratedFamily] = field(default_factory=dict)
    last_code: str | None = None
    _calls: int = 0

    def call(self, name: str, arguments: dict[str, Any]) -> ToolOutcome:
        """Run tool ``name`` with ``arguments`` (the tool_use block's input)."""
        self._calls += 1
        handler = getattr(self, f"_tool_{name}", None)
        if handler is None:
            return ToolOutcome(f"unknown tool '{name}'", True)
        try:
            return handler(**(arguments or {}))
        except TypeError as exc:
            return ToolOutcome(f"bad arguments for {name}: {exc}", True)
        except TwinError as exc:
            return ToolOutcome(str(exc), True)

    def _rng(self) -> np.random.Generator:
        return np.random.default_rng([self.seed, self._calls])

    def _family(self, name: str) -> GeneratedFamily:
        if name not in self.written:
            raise TwinError(f"no family '{name}' was written in this session; written: {sorted(self.written) or 'none'}"
                            " (built-in families can be read, not validated: write your own)")
        return self.written[name]

    def _tool_read_scene_api(self) -> ToolOutcome:
        return ToolOutcome(scene_api_text())

    def _tool_list_families(self) -> ToolOutcome:
        return _json({"built_in": [f.to_dict() for f in FAMILIES],
                      "written": [f.to_dict() for f in self.written.values()]})

    def _tool_read_family(self, name: str) -> ToolOutcome:
        if name in self.written:
            return ToolOutcome(self.written[name].code)
        for f in FAMILIES:
            if f.name == name:
                return ToolOutcome(Path(__import__(f.source, fromlist=["_"]).__file__).read_text())
        raise TwinError(f"no family '{name}'; built-in: {', '.join(f.name for f in FAMILIES)}")

    def _tool_write_family(self, name: str, code: str) -> ToolOutcome:
        self.last_code = code
        issues = code_issues(code)
        if issues:
            return ToolOutcome("refused by the static check, nothing saved:\n" + "\n".join(issues), True)
        family = load_generated(code, limits=self.limits, isolation=self.isolation)
        if family.name != name:
            return ToolOutcome(f"the code's NAME is '{family.name}', not '{name}'; nothing saved", True)
        self.written[name] = family
        return _json({"saved": name, "description": family.description, "parameters": family.schema.to_list()})

    def _check(self, family: GeneratedFamily, params: dict, seed: int) -> dict[str, Any]:
        try:
            spec = family.spec(params, seed)
            report = validate_spec(spec, source=family.name)
            bbox, mass = asset_bbox(spec.compile(), family.name)
        except TwinError as exc:
            return {"params": params, "ok": False, "error": str(exc)}
        return {"params": params, "ok": report.ok, "report": report.to_dict(), "bbox": bbox, "mass": mass}

    def _draws(self, family: GeneratedFamily, count: int, params: dict | None) -> list[dict]:
        if params:
            return [family.schema.validate(params).to_dict()]
        rng = self._rng()
        return [family.schema.defaults().to_dict()] + [family.schema.sample(rng).to_dict() for _ in range(count - 1)]

    def _tool_validate_family(self, name: str, samples: int | None = None, params: dict | None = None,
                              expected_size: list | None = None) -> ToolOutcome:
        family = self._family(name)
        count = int(min(8, max(1, samples or self.samples)))
        results = [self._check(family, p, k) for k, p in enumerate(self._draws(family, count, params))]
        document = {"family": name, "ok": all(r["ok"] for r in results), "samples": results}
        if expected_size is not None:
            document["size_check"] = size_check(results[0].get("bbox"), expected_size)
            document["ok"] = document["ok"] and document["size_check"]["ok"]
        return _json(document, not document["ok"])

    def _tool_render_family(self, name: str, params: dict | None = None, azimuth: float = 200.0,
                            elevation: float = -30.0) -> ToolOutcome:
        from twin.render import render_image

        family = self._family(name)
        model = family.spec(params or {}, 0).compile()
        image = render_image(model, width=640, height=480, azimuth=float(azimuth), elevation=float(elevation),
                             distance_scale=1.3)
        image_module = require("PIL.Image", "report", "rendering pictures for the agent")
        buffer = io.BytesIO()
        image_module.fromarray(image).save(buffer, format="PNG")
        data = base64.b64encode(buffer.getvalue()).decode("ascii")
        return ToolOutcome([{"type": "text", "text": f"{name} at {params or 'defaults'}"},
                            {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": data}}])

    def _tool_submit_family(self, name: str, expected_size: list | None = None) -> ToolOutcome:
        family = self._family(name)
        results = [self._check(family, p, k) for k, p in enumerate(self._draws(family, SUBMIT_SAMPLES, None))]
        verdict = {"family": name, "code_sha256": family.code_sha256, "samples": [
            {"params": r["params"], "ok": r["ok"], "summary": r.get("report", {}).get("summary", r.get("error"))}
            for r in results]}
        verdict["size_check"] = size_check(results[0].get("bbox"), expected_size) if expected_size else None
        verdict["accepted"] = all(r["ok"] for r in results) and (verdict["size_check"] or {"ok": True})["ok"]
        if verdict["accepted"]:
            return ToolOutcome(json.dumps({"accepted": True, "family": name}), False, verdict, family)
        failing = [r for r in results if not r["ok"]]
        return ToolOutcome(json.dumps({"accepted": False, "size_check": verdict["size_check"],
                                       "failing": failing[:3]}, indent=1), True, verdict)


def size_check(bbox: dict | None, expected: list | None, tolerance: float = SIZE_TOLERANCE) -> dict[str, Any]:
    """Per-axis comparison of a bounding box's size with the expected size (m), within ``tolerance``."""
    if not bbox:
        return {"ok": False, "reason": "the default asset did not build"}
    size = np.asarray(bbox["size"], dtype=float)
    want = np.asarray(expected, dtype=float)
    if want.shape != (3,) or not np.all(want > 0):
        return {"ok": False, "reason": f"expected_size must be 3 positive lengths in m, got {expected!r}"}
    ratio = size / want
    return {"ok": bool(np.all(np.abs(ratio - 1) <= tolerance)), "size": size.round(4).tolist(),
            "expected": want.tolist(), "ratio": ratio.round(3).tolist(), "tolerance": tolerance}
