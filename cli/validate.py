"""``twin validate PATH``: sim-readiness checks of an MJCF file or a twin directory."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from cli.console import out, print_json
from twin.validation import validate_path

_STATUS_STYLE = {"pass": "green", "fail": "bold red", "skipped": "yellow"}


def show_report(report) -> None:
    """Print a validation report as a table of checks, then one line per finding."""
    table = Table(title=f"twin validate {report.source}", title_justify="left")
    table.add_column("check")
    table.add_column("status")
    table.add_column("what it checks")
    for check in report.checks:
        style = _STATUS_STYLE.get(check.status, "")
        status = f"[{style}]{check.status}[/{style}]" + (f" ({len(check.findings)})" if check.findings else "")
        table.add_row(check.name, status, escape(check.description))
    out.print(table)
    for finding in report.findings:
        out.print(f"[red]{finding.check}[/red]: {escape(finding.message)}", highlight=False)
    for check in report.checks:
        if check.status == "skipped" and check.reason:
            out.print(f"[yellow]{check.name} skipped[/yellow]: {escape(check.reason)}")
    for note in report.notes:
        out.print(f"[cyan]note:[/cyan] {escape(note)}")
    out.print(report.summary())


def validate(
    path: Path = typer.Argument(..., metavar="PATH", help="An MJCF file, or a twin directory holding scene.xml."),
    json_output: bool = typer.Option(False, "--json", help="Print one JSON document instead of tables."),
    settle_time: float = typer.Option(2.0, "--settle-time", min=0.1, help="Seconds simulated by the settle check."),
) -> None:
    """Check that a scene is ready to simulate: penetrations, settling, masses, joint sweeps, actuators.

    Exits 1 when a check fails.
    """
    report = validate_path(path, settle_time=settle_time)
    if json_output:
        print_json(report.to_dict())
    else:
        show_report(report)
    if not report.ok:
        raise typer.Exit(1)
