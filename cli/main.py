"""Entry point of the ``twin`` command: global options and the subcommands (exit codes: :mod:`cli.errors`)."""

from __future__ import annotations

import sys

import typer

import twin
from cli import assets, build, demo, scans, sysid, validate
from cli.errors import exit_codes, state

app = typer.Typer(
    name="twin",
    help="Build simulation twins (MJCF + USD) of real factories.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        print(f"twin-builder {twin.__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version."),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks for errors."),
) -> None:
    """Build simulation twins (MJCF + USD) of real factories."""
    state["debug"] = debug


app.command("validate")(exit_codes(validate.validate))
app.command("demo")(exit_codes(demo.demo))
app.command("sysid")(exit_codes(sysid.sysid))
app.command("build")(exit_codes(build.build))
app.add_typer(scans.app, name="scans")
app.add_typer(assets.app, name="assets")


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code (usage errors are 2)."""
    try:
        app(args=list(sys.argv[1:] if argv is None else argv), prog_name="twin")
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
