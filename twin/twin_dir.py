"""Writing a twin directory: scene.xml, meshes/, scene.usda, twin.json, overview.png, report.html.

Everything is written into a temporary sibling and renamed into place at the end (:mod:`twin.atomic`), so an
error or Ctrl-C leaves the previous twin (or nothing), never a partial one.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import mujoco
import numpy as np

from twin import report as html
from twin.atomic import atomic_directory, check_output_directory
from twin.errors import ManifestError, ModelError
from twin.manifest import IDENTITY_4X4, ObjectRecord, Provenance, TwinManifest
from twin.mjcf import to_mjcf
from twin.model_queries import subtree_mask
from twin.render import RenderError, render_image, save_png
from twin.usd import write_usd
from twin.validation import ValidationReport, validate_path

PICTURE = "overview.png"

Progress = Callable[[str], None]


@dataclass(frozen=True)
class TwinOutput:
    """What :func:`write_twin` produced."""

    path: Path
    manifest: TwinManifest
    validation: ValidationReport
    picture: Path | None
    warnings: tuple[str, ...]


def earlier_twin(path: Path) -> str | None:
    """None when the directory ``path`` holds an earlier twin and nothing else, else why it does not."""
    try:
        manifest = TwinManifest.load(path / "twin.json")
    except ManifestError as exc:
        return f"is not empty and holds no valid twin ({exc.message})"
    listed = set(manifest.files)
    extra = sorted(str(p.relative_to(path)) for p in path.rglob("*") if p.is_file() and str(p.relative_to(path)) not in listed)
    if extra:
        shown = ", ".join(extra[:5]) + (f" and {len(extra) - 5} more" if len(extra) > 5 else "")
        return f"holds an earlier twin but also files that are not part of it ({shown})"
    return None


def check_twin_output(out: str | Path) -> None:
    """Raise :class:`~twin.errors.OutputError` unless ``out`` is absent, empty or only an earlier twin."""
    check_output_directory(out, earlier_twin)


_CORNERS = np.array([[sx, sy, sz] for sx in (-1, 1) for sy in (-1, 1) for sz in (-1, 1)], dtype=float)


def _geom_points(model: mujoco.MjModel, data: mujoco.MjData, geom: int) -> np.ndarray:
    """World points whose bounding box is the geom's: a mesh's vertices, else its local box's corners."""
    mesh = int(model.geom_dataid[geom])
    if int(model.geom_type[geom]) == int(mujoco.mjtGeom.mjGEOM_MESH) and mesh >= 0:
        start, count = model.mesh_vertadr[mesh], model.mesh_vertnum[mesh]
        local = model.mesh_vert[start : start + count]  # in the geom's frame after compilation
    else:
        local = model.geom_aabb[geom, :3] + _CORNERS * model.geom_aabb[geom, 3:]
    return data.geom_xpos[geom] + local @ data.geom_xmat[geom].reshape(3, 3).T


def object_records(model: mujoco.MjModel, names: Sequence[str], source: str) -> tuple[ObjectRecord, ...]:
    """Manifest records of the named bodies at qpos0: world AABB of their subtree's geoms and subtree mass.

    Raises:
        ModelError: a name is not a body of ``model``.
    """
    data = mujoco.MjData(model)
    mujoco.mj_kinematics(model, data)
    records = []
    for name in names:
        body = mujoco.mj_name2id(model, mujoco.mjtObj.mjOBJ_BODY, name)
        if body < 0:
            raise ModelError(f"object '{name}' is not a body of the scene")
        points = [_geom_points(model, data, g) for b in np.flatnonzero(subtree_mask(model, body)) for g in np.flatnonzero(model.geom_bodyid == b)]
        if not points:
            raise ModelError(f"object '{name}' has no geometry")
        points = np.concatenate(points)
        lo, hi = points.min(axis=0), points.max(axis=0)
        records.append(
            ObjectRecord(
                name=name,
                position=tuple(np.round((lo + hi) / 2, 6).tolist()),
                size=tuple(np.round(hi - lo, 6).tolist()),
                mass=round(float(model.body_subtreemass[body]), 6),
                source=source,
            )
        )
    return tuple(records)


def _report_sections(manifest: TwinManifest, validation: ValidationReport, picture: str | None, warnings) -> list:
    sections = []
    if warnings:
        sections.append(html.Section("Warnings", html.warnings_block(warnings)))
    if picture:
        sections.append(html.Section("Overview", html.picture(picture, "overview render of the twin")))
    rows = [(o.name, list(o.position), list(o.size), o.mass, o.source) for o in manifest.objects]
    sections.append(
        html.Section("Objects", html.table(["name", "position (m)", "size (m)", "mass (kg)", "source"], rows))
    )
    check_rows = []
    for check in validation.checks:
        detail = "; ".join(f.message for f in check.findings) or (check.reason or "")
        check_rows.append((check.name, check.status, check.description, detail))
    sections.append(
        html.Section(
            f"Validation: {validation.summary()}",
            html.table(["check", "status", "what it checks", "findings"], check_rows, classes=["", "status"])
            + "".join(f"<p>Note: {html.esc(note)}</p>" for note in validation.notes),
        )
    )
    prov = manifest.provenance
    prov_rows = [("command", prov.command)]
    prov_rows += [(f"version {k}", v) for k, v in prov.versions.items()]
    prov_rows += [(f"parameter {k}", v) for k, v in prov.parameters.items()]
    prov_rows += [(f"input {i['path']}", i.get("sha256", "")) for i in prov.inputs]
    sections.append(html.Section("Provenance", html.table(["item", "value"], prov_rows)))
    return sections


def write_twin(
    spec: mujoco.MjSpec,
    out: str | Path,
    *,
    objects: Sequence[ObjectRecord] | None = None,
    object_names: Sequence[str] = (),
    source: str = "code",
    object_sources: Mapping[str, str] | None = None,
    provenance: Provenance,
    capture_to_world: Sequence[float] = IDENTITY_4X4,
    settle_time: float = 2.0,
    picture: bool = True,
    extra_outputs: Callable[[Path], Sequence[html.Section]] | None = None,
    progress: Progress | None = None,
) -> TwinOutput:
    """Write the twin directory ``out`` for ``spec``, validate it and write its report.

    Args:
        objects: Manifest records; when None they are computed from the written scene for ``object_sources``
            (body name -> source, in order) or else for ``object_names``, all with ``source``.
        capture_to_world: 4x4 row-major transform from the capture frame, flattened (identity for code).
        settle_time: Seconds simulated by the settle check.
        picture: Render ``overview.png`` (needs OpenGL); a failure to render becomes a warning.
        extra_outputs: Writes more files into the (temporary) twin directory it is given, e.g.
            ``reconstruction.ply`` or a ``sysid/`` folder, and returns report sections about them; its files
            are listed in ``twin.json`` like the others.
        progress: Called with the name of each stage as it starts.
    """
    step = progress or (lambda _stage: None)
    warnings: list[str] = []
    out = Path(out)
    with atomic_directory(out, replaceable=earlier_twin) as tmp:
        step("writing scene.xml")
        xml_path = to_mjcf(spec, tmp)
        try:
            model = mujoco.MjModel.from_xml_path(str(xml_path))
        except ValueError as exc:
            raise ModelError(f"the written scene does not load: {exc}", out / "scene.xml") from exc
        step("writing scene.usda")
        write_usd(model, tmp / "scene.usda")
        step("validating")
        validation = validate_path(xml_path, settle_time=settle_time)
        validation = dataclasses.replace(validation, source=str(out / "scene.xml"))
        picture_name = None
        if picture:
            step("rendering")
            try:
                save_png(render_image(model), tmp / PICTURE)
                picture_name = PICTURE
            except RenderError as exc:
                warnings.append(f"no overview picture: {exc}")
        if objects is None:
            sources = object_sources if object_sources is not None else {n: source for n in object_names}
            objects = tuple(r for name, src in sources.items() for r in object_records(model, [name], src))
        extra_sections = list(extra_outputs(tmp)) if extra_outputs is not None else []
        written = sorted(str(p.relative_to(tmp)) for p in tmp.rglob("*") if p.is_file())
        files = ["scene.xml", "scene.usda", "twin.json", "report.html"]
        files += [f for f in written if f not in files]
        manifest = TwinManifest(
            objects=tuple(objects), provenance=provenance, capture_to_world=tuple(capture_to_world), files=tuple(files)
        )
        manifest.save(tmp / "twin.json")
        step("writing report.html")
        html.write_report(
            tmp / "report.html",
            f"Twin: {spec.modelname}",
            _report_sections(manifest, validation, picture_name, warnings) + extra_sections,
            subtitle=f"{len(manifest.objects)} objects; {validation.summary()}",
        )
    return TwinOutput(
        path=out.absolute(),
        manifest=manifest,
        validation=validation,
        picture=out.absolute() / picture_name if picture_name else None,
        warnings=tuple(warnings),
    )
