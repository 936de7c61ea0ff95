"""Entry point of the ``twin`` command: global options and the one place errors become exit codes.

Exit codes: 0 success, 1 a TwinError (bad input, failed check: one line naming the file and the problem),
2 usage errors, 130 interrupted. Tracebacks only with ``--debug``.
"""

from __future__ import annotations

import sys

import click
import typer

import twin
from cli import demo, validate
from cli.console import err
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


app.command("validate")(validate.validate)
app.command("demo")(demo.demo)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the exit code (the console script exits with it)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    _state["debug"] = "--debug" in argv
    command = typer.main.get_command(app)
    try:
        code = command.main(args=argv, prog_name="twin", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.ClickException as exc:  # usage errors: bad option, missing argument
        exc.show()
        return 2 if isinstance(exc, click.UsageError) else exc.exit_code
    except (KeyboardInterrupt, click.exceptions.Abort):
        err.print("interrupted; nothing partial was left behind")
        return 130
    except TwinError as exc:
        if _state["debug"]:
            err.print_exception()
        err.print(f"[bold red]error:[/bold red] {exc}", markup=True, highlight=False)
        return 1
    except Exception:
        if _state["debug"]:
            raise
        err.print_exception()
        err.print("[bold red]internal error[/bold red]: please report it with the traceback above")
        return 3
    return code if isinstance(code, int) else 0


if __name__ == "__main__":
    sys.exit(main())
