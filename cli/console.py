"""Console helpers shared by the subcommands: one stdout console for results, one stderr for progress."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from typing import Any

from rich.console import Console

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def print_json(document: Any) -> None:
    """Print one JSON document on stdout (for scripts and CI)."""
    out.print_json(json.dumps(document), highlight=False) if out.is_terminal else print(json.dumps(document, indent=2))


@contextlib.contextmanager
def stages(quiet: bool) -> Iterator:
    """Yield a ``progress(stage)`` callback that shows the current stage with a spinner on stderr."""
    if quiet:
        yield lambda _stage: None
        return
    if not err.is_terminal:  # logs and CI: one plain line per stage
        yield lambda stage: err.print(f"{stage} ...", markup=False)
        return
    with err.status("starting") as status:
        yield status.update
