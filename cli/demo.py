"""``twin demo --out DIR``: build the demo factory cell from code and write a validated twin directory."""

from __future__ import annotations

import time
from pathlib import Path

import typer
from rich.markup import escape

from cli.console import out, print_json, stages
from asset_gen.demo import furnish
from cli.validate import show_report
from twin.examples import factory_cell
from twin.provenance import make_provenance
from twin.twin_dir import check_twin_output, write_twin


def _sysid_step(tmp: Path, seed: int, progress):
    from calibration.demo import demo_sysid, report_section  # scipy loads only when the step runs

    progress("system identification: generating arm logs and fitting them")
    result, truth = demo_sysid(tmp / "sysid_inputs", tmp / "sysid", seed=seed, progress=progress)
    return [report_section(result, truth, "sysid/report.html")]


def _scan_step(tmp: Path, seed: int, progress):
    from scans.build.demo import demo_build, report_section  # open3d loads only when the step runs

    demo = demo_build(tmp / "scan_capture", tmp / "scan_twin", seed=seed, progress=progress)
    return [report_section(demo, "scan_twin", "scan_capture")]


def _steps(steps):
    """One ``extra_outputs`` callable running the demo's optional steps in order, or None for none."""
    if not steps:
        return None
    return lambda tmp: [section for run in steps for section in run(tmp)]


def demo(
    out_dir: Path = typer.Option(Path("demo_twin"), "--out", help="Twin directory to write (replaced if it is an earlier twin)."),
    seed: int = typer.Option(0, "--seed", min=0, help="Varies the boxes' sizes and placement."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress output."),
    json_output: bool = typer.Option(False, "--json", help="Print one JSON document summarising the run."),
    skip_sysid: bool = typer.Option(False, "--no-sysid", help="Skip the system-identification step."),
    skip_scan: bool = typer.Option(False, "--no-scan", help="Skip the scan-to-twin step."),
) -> None:
    """Build, validate and report a small factory cell as a twin directory (offline).

    The cell: floor, walls, a shelf, a table, boxes, a tote, a rubber wedge and a cabinet with a hinged door,
    plus assets sampled from the built-in families with the seed (conveyor, drawer unit, cart, pallet).
    Writes scene.xml, scene.usda, twin.json, overview.png and report.html, then says where they are.
    A scan step synthesises an RGB-D capture with ground truth (scan_capture/), builds it with `twin build`
    (scan_twin/) and scores it; a system-identification step fits a demo arm's joint terms from logs it
    generates (sysid/).
    """
    started = time.perf_counter()
    check_twin_output(out_dir)  # refuse before any work
    with stages(quiet or json_output) as progress:
        progress("building the factory cell")
        scene, names = factory_cell(seed)
        progress("placing sampled assets (conveyor, drawer unit, cart, pallet)")
        assets = furnish(scene, seed)
        sources = {name: "code:factory_cell" for name in names}
        sources.update({name: f"asset:{family}" for name, family in assets.items()})
        result = write_twin(
            scene.spec,
            out_dir,
            object_sources=sources,
            extra_outputs=_steps([step for step, skip in (
                (lambda tmp: _scan_step(tmp, seed, progress), skip_scan),
                (lambda tmp: _sysid_step(tmp, seed, progress), skip_sysid),
            ) if not skip]),
            provenance=make_provenance("twin demo", parameters={"seed": seed, "sysid": not skip_sysid,
                                                                "scan": not skip_scan}),
            progress=progress,
        )
    seconds = time.perf_counter() - started
    if json_output:
        print_json(
            {
                "out": str(result.path),
                "seconds": round(seconds, 2),
                "files": list(result.manifest.files),
                "objects": len(result.manifest.objects),
                "warnings": list(result.warnings),
                "validation": result.validation.to_dict(),
            }
        )
    else:
        if not quiet:
            show_report(result.validation)
        for warning in result.warnings:
            out.print(f"[yellow]warning:[/yellow] {escape(warning)}")
        out.print(f"Twin written to {result.path} in {seconds:.1f} s:")
        for name in ("scene.xml", "scene.usda", "twin.json", "overview.png", "report.html", "scan_twin/scene.xml",
                     "sysid/params.json"):
            if name in result.manifest.files:
                out.print(f"  {result.path / name}")
    if not result.validation.ok:
        raise typer.Exit(1)
