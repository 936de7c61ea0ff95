"""Entry point of the ``twin`` command: global options and the one place errors become exit codes.

Exit codes: 0 success, 1 a TwinError (bad input, failed check: one line naming the file and the problem),
2 usage errors, 130 interrupted. Tracebacks only with ``--debug``.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable

import typer
from rich.markup import escape

import twin
from cli import assets, build, demo, scans, sysid, validate
from cli.console import err, print_json
from twin.errors import TwinError

app = typer.Typer(
    name="twin",
    help="Build simulation twins (MJCF + USD) of real factories.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
_state = {"debug": False}


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
    _state["debug"] = debug


def _errors_to_exit_codes(command: Callable) -> Callable:
    """Run a subcommand; a TwinError becomes one line on stderr and exit 1, Ctrl-C exit 130."""

    @functools.wraps(command)
    def run(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except TwinError as exc:
            if _state["debug"]:
                err.print_exception()
            err.print(f"[bold red]error:[/bold red] {escape(str(exc))}", highlight=False)
            if kwargs.get("json_output"):  # scripts reading stdout get a JSON document too
                print_json({"ok": False, "error": str(exc)})
            raise typer.Exit(1) from None
        except KeyboardInterrupt:
            err.print("interrupted; nothing partial was left behind")
            raise typer.Exit(130) from None

    return run


app.command("validate")(_errors_to_exit_codes(validate.validate))
app.command("demo")(_errors_to_exit_codes(demo.demo))
app.command("sysid")(_errors_to_exit_codes(sysid.sysid))
app.command("build")(_errors_to_exit_codes(build.build))
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
