"""Write one asset directory: ``asset.xml`` (+ ``meshes/``), ``asset.usda``, ``thumbnail.png``, ``asset.json``.

The asset is written in the form it is validated in (standing on a static ``floor``), the written
``asset.xml`` is what is validated, and ``asset.json`` records the family, parameters, seed, bounding box,
mass, validation verdicts and provenance. A failed validation removes the directory.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mujoco

from twin.errors import ModelError
from twin.mjcf import to_mjcf
from twin.render import RenderError, render_image, save_png
from twin.twin_dir import object_records
from twin.usd import write_usd
from twin.validation import ValidationReport, validate_path

ASSET_SCHEMA_VERSION = 1
ASSET_XML = "asset.xml"
THUMBNAIL = "thumbnail.png"


@dataclass(frozen=True)
class AssetRecord:
    """What writing one asset produced.

    Args:
        directory: The asset directory (removed again when validation failed).
        ok: Whether the written ``asset.xml`` passed every validation check.
        summary: The validation summary line.
        report: The full validation report (``ValidationReport.to_dict()``).
        bbox: ``{"min", "max", "size"}`` of the asset (floor excluded) at rest, m.
        mass: Total mass of the asset's moving and static bodies, kg.
        warnings: Non-fatal problems (no thumbnail without OpenGL).
    """

    directory: str
    ok: bool
    summary: str
    report: dict[str, Any]
    bbox: dict[str, list[float]]
    mass: float
    warnings: tuple[str, ...] = ()


def validation_summary(report: ValidationReport) -> dict[str, Any]:
    """``{"ok", "summary", "checks": {name: status}}`` of a report, for ``asset.json``."""
    return {"ok": report.ok, "summary": report.summary(), "checks": {c.name: c.status for c in report.checks}}


def asset_bbox(model: mujoco.MjModel, root: str) -> tuple[dict[str, list[float]], float]:
    """Bounding box (m) and mass (kg) of the body ``root`` and its subtree at qpos0."""
    record = object_records(model, [root], "asset")[0]
    lo = [round(p - s / 2, 6) for p, s in zip(record.position, record.size)]
    hi = [round(p + s / 2, 6) for p, s in zip(record.position, record.size)]
    body = mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_BODY, root)
    mass = float(model.body_subtreemass[body])
    return {"min": lo, "max": hi, "size": list(record.size)}, round(mass, 6)


def write_asset(
    spec: mujoco.MjSpec,
    directory: str | Path,
    *,
    root: str,
    metadata: Mapping[str, Any],
    thumbnail: bool = True,
    settle_time: float = 2.0,
) -> AssetRecord:
    """Write, validate and describe one asset in ``directory`` (created; removed again if invalid).

    Args:
        spec: The asset standing on a floor.
        root: The asset's root body name.
        metadata: Fields put first in ``asset.json`` (family, params, seed, provenance, ...).
        thumbnail: Render ``thumbnail.png`` (a failure without OpenGL becomes a warning).
        settle_time: Seconds simulated by the settle check.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=False)
    try:
        xml = to_mjcf(spec, directory, ASSET_XML)
        report = validate_path(xml, settle_time=settle_time)
        report = dataclasses.replace(report, source=ASSET_XML)
        if not report.ok:
            shutil.rmtree(directory)
            return AssetRecord(str(directory), False, report.summary(), report.to_dict(), {}, 0.0)
        model = mujoco.MjModel.from_xml_path(str(xml))
        bbox, mass = asset_bbox(model, root)
        write_usd(model, directory / "asset.usda")
        warnings = []
        if thumbnail:
            try:
                save_png(render_image(model, width=320, height=240, distance_scale=1.3, elevation=-30.0),
                         directory / THUMBNAIL)
            except RenderError as exc:
                warnings.append(f"no thumbnail: {exc}")
        files = sorted(str(p.relative_to(directory)) for p in directory.rglob("*") if p.is_file()) + ["asset.json"]
        document = {
            "schema_version": ASSET_SCHEMA_VERSION, **metadata, "root_body": root,
            "units": {"length": "m", "mass": "kg", "angle": "rad"}, "bbox": bbox, "mass": mass,
            "validation": validation_summary(report), "files": sorted(files), "warnings": warnings,
        }
        (directory / "asset.json").write_text(json.dumps(document, indent=2) + "\n")
    except BaseException:
        shutil.rmtree(directory, ignore_errors=True)
        raise
    return AssetRecord(str(directory), True, report.summary(), report.to_dict(), bbox, mass, tuple(warnings))


def load_asset_json(directory: str | Path) -> dict[str, Any]:
    """The ``asset.json`` of an asset directory.

    Raises:
        ModelError: it is missing or not JSON.
    """
    path = Path(directory) / "asset.json"
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ModelError(f"cannot read asset.json: {exc}", path) from None
