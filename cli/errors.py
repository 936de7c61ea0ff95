"""The one place errors become exit codes: every subcommand is registered through :func:`exit_codes`.

Exit codes: 0 success, 1 a TwinError (bad input, failed check: one line naming the file and the problem),
2 usage errors (typer), 130 interrupted. Tracebacks only with ``--debug`` (set by ``cli.main``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import typer
from rich.markup import escape

from cli.console import err, print_json
from twin.errors import TwinError

state = {"debug": False}


def exit_codes(command: Callable) -> Callable:
    """Run a subcommand; a TwinError becomes one line on stderr and exit 1, Ctrl-C exit 130."""

    @functools.wraps(command)
    def run(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except TwinError as exc:
            if state["debug"]:
                err.print_exception()
            err.print(f"[bold red]error:[/bold red] {escape(str(exc))}", highlight=False)
            if kwargs.get("json_output"):  # scripts reading stdout get a JSON document too
                print_json({"ok": False, "error": str(exc)})
            raise typer.Exit(1) from None
        except KeyboardInterrupt:
            err.print("interrupted; nothing partial was left behind")
            raise typer.Exit(130) from None

    return run
