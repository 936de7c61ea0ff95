"""The files of a sysid output: ``params.json``, ``dr.json`` and ``calibrated.xml``.

``params.json`` follows DESIGN.md: ``{"parameters": [{"name", "value", "std", "ci95", "unit", "nominal"}],
"fit": {...}, "validation": {...} or null}``. ``dr.json`` gives domain-randomization ranges from the 95%
intervals, one uniform distribution per parameter, for RL export.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import mujoco
import numpy as np

from calibration.parameters import ParameterSet, apply_to_spec

SCHEMA_VERSION = 1
FILES = ("params.json", "dr.json", "calibrated.xml", "report.html")
"""Files a sysid output directory holds (plots go next to them as ``*.png``)."""


def parameter_records(params: ParameterSet, values, std, ci95) -> list[dict[str, Any]]:
    """The ``parameters`` list of params.json."""
    return [
        {"name": p.name, "value": float(v), "std": float(s), "ci95": [float(lo), float(hi)], "unit": p.unit, "nominal": float(p.nominal)}
        for p, v, s, (lo, hi) in zip(params, values, std, ci95)
    ]


def params_document(records: list[dict], fit: dict, validation: dict | None) -> dict:
    """The whole params.json document."""
    return {"parameters": records, "fit": fit, "validation": validation}


def dr_document(records: list[dict], source: str) -> dict:
    """dr.json: ``{"schema_version", "source", "parameters": [{"name", "distribution", "low", "high", "unit"}]}``."""
    return {
        "schema_version": SCHEMA_VERSION,
        "source": source,
        "parameters": [
            {"name": r["name"], "distribution": "uniform", "low": r["ci95"][0], "high": r["ci95"][1], "unit": r["unit"]}
            for r in records
        ],
    }


def write_json(path: str | Path, document: dict) -> None:
    """Write ``document`` as indented JSON (NaN and infinity are not valid JSON: they become null)."""

    def clean(value):
        if isinstance(value, float) and not np.isfinite(value):
            return None
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [clean(v) for v in value]
        return value

    Path(path).write_text(json.dumps(clean(document), indent=2) + "\n")


def write_calibrated(spec: mujoco.MjSpec, model_path: str | Path, params: ParameterSet, values: np.ndarray, path: str | Path) -> None:
    """Write the model with fitted values as MJCF; asset folders become absolute so it loads from anywhere."""
    spec = spec.copy()
    apply_to_spec(params, values, spec)
    base = Path(model_path).resolve().parent
    for attr, assets in (("meshdir", spec.meshes), ("texturedir", spec.textures)):
        if any(getattr(a, "file", "") for a in assets):
            folder = getattr(spec, attr)
            setattr(spec, attr, os.fspath(base / folder) if folder else os.fspath(base))
    spec.compile()
    Path(path).write_text(spec.to_xml())
