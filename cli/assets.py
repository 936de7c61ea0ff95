"""``twin assets``: list the asset families, generate varied validated assets (built-in family or the LLM
agent), replay an agent run offline."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from cli.errors import exit_codes
from cli.console import err, out, print_json

app = typer.Typer(
    name="assets",
    help="Asset families: list them, generate varied validated assets (offline or with the LLM agent), replay runs.",
    no_args_is_help=True,
    add_completion=False,
)


@contextlib.contextmanager
def _variant_progress(quiet: bool) -> Iterator[Callable[[int, int], None]]:
    """Yield a ``progress(done, total)`` callback drawing a bar over variants on stderr."""
    if quiet:
        yield lambda _done, _total: None
        return
    if not err.is_terminal:
        yield lambda done, total: err.print(f"variants: {done}/{total}", markup=False)
        return
    columns = (TextColumn("variants"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=err, transient=True) as bar:
        task = bar.add_task("variants", total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total)


def families(
    json_output: bool = typer.Option(False, "--json", help="Print one JSON document instead of a table."),
) -> None:
    """List the built-in asset families and their parameters (ranges, units, defaults)."""
    from asset_gen.families import FAMILIES

    if json_output:
        print_json({"families": [f.to_dict() for f in FAMILIES]})
        return
    table = Table(title="asset families", title_justify="left")
    table.add_column("family")
    table.add_column("description")
    table.add_column(escape("parameters: name [low, high] unit (default)"))
    for family in FAMILIES:
        params = "\n".join(f"{p.name} [{p.low:g}, {p.high:g}] {p.unit} ({p.default:g})".replace("  ", " ")
                           for p in family.schema.params)
        table.add_row(family.name, escape(family.description), escape(params))
    out.print(table)


def generate(
    text: str = typer.Argument("", metavar="TEXT", help="What to build, e.g. \"steel shelving unit, 4 shelves\"."),
    out_dir: Path = typer.Option(..., "--out", help="Folder to write (replaced if it is an earlier batch)."),
    count: int = typer.Option(1, "--count", "-n", min=1, help="Number of distinct validated assets."),
    family: str = typer.Option(None, "--family", help="Use this built-in family (offline, no agent)."),
    model: str = typer.Option(None, "--model", help="Model the agent uses."),
    max_turns: int = typer.Option(20, "--max-turns", min=1, help="Agent budget: most Messages API calls."),
    max_tokens: int = typer.Option(400_000, "--max-tokens", min=1, help="Agent budget: most input+output tokens."),
    seed: int = typer.Option(0, "--seed", min=0, help="Seeds the parameter draws (deterministic)."),
    executor: str = typer.Option("process", "--executor", help="Where variants are built: inline|process|ray."),
    no_thumbnails: bool = typer.Option(False, "--no-thumbnails", help="Do not render thumbnail.png."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress output."),
    json_output: bool = typer.Option(False, "--json", help="Print one JSON document summarising the run."),
) -> None:
    """Generate COUNT varied assets that all pass `twin validate`.

    From a built-in --family offline, or from a family the LLM agent writes for TEXT (needs
    ANTHROPIC_API_KEY). Writes OUT/<family>_<k>/ (asset.xml, asset.usda, asset.json, thumbnail.png) and OUT/assets.json; an agent
    run adds OUT/family/ (code and provenance) and OUT/transcript.jsonl. Exits 1 when the agent's budget is
    spent without an accepted family.
    """
    from asset_gen.agent import DEFAULT_MODEL, AgentSettings, agent_generate, make_client
    from asset_gen.families import get_family
    from asset_gen.variation import generate_variants
    from twin.executor import make_executor

    started = time.perf_counter()
    if family is None and not text.strip():
        raise typer.BadParameter("give TEXT (what to build) or --family NAME", param_hint="TEXT")
    pool = make_executor(executor)
    with _variant_progress(quiet or json_output) as progress:
        if family is not None:
            batch = generate_variants(get_family(family), out_dir, count=count, seed=seed, executor=pool,
                                      thumbnail=not no_thumbnails, progress=progress, command="twin assets generate",
                                      metadata={"prompt": text} if text else None)
            _report_batch(batch, time.perf_counter() - started, json_output)
            return
        client = make_client()
        settings = AgentSettings(model=model or DEFAULT_MODEL, max_turns=max_turns, max_tokens=max_tokens, seed=seed)
        if not (quiet or json_output):
            err.print(f"agent ({settings.model}) writing a family for: {escape(text)}", highlight=False)
        run = agent_generate(text, out_dir, client=client, settings=settings, count=count, executor=pool,
                             thumbnail=not no_thumbnails, progress=progress)
    _report_agent(run, time.perf_counter() - started, json_output)


def replay(
    transcript: Path = typer.Argument(..., metavar="TRANSCRIPT", help="transcript.jsonl of an agent run."),
    out_dir: Path = typer.Option(..., "--out", help="Folder to write."),
    count: int = typer.Option(None, "--count", "-n", min=1, help="Variants to write (default: as recorded)."),
    executor: str = typer.Option("process", "--executor", help="Where variants are built: inline|process|ray."),
    no_thumbnails: bool = typer.Option(False, "--no-thumbnails", help="Do not render thumbnail.png."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress output."),
    json_output: bool = typer.Option(False, "--json", help="Print one JSON document summarising the run."),
) -> None:
    """Reproduce an agent run offline from its transcript.

    The recorded responses are fed back and every tool (sandboxed builds, validation, renders) runs again
    here; says whether the tool results matched the record.
    """
    from asset_gen.agent import replay as replay_run
    from twin.executor import make_executor

    started = time.perf_counter()
    with _variant_progress(quiet or json_output) as progress:
        run = replay_run(transcript, out_dir, count=count, executor=make_executor(executor),
                         thumbnail=not no_thumbnails, progress=progress)
    _report_agent(run, time.perf_counter() - started, json_output)


def _report_batch(batch, seconds: float, json_output: bool) -> None:
    if json_output:
        print_json({"ok": True, "seconds": round(seconds, 2), **batch.to_dict()})
        return
    warnings = sorted({w for a in batch.assets for w in a["warnings"]})
    for warning in warnings:
        out.print(f"[yellow]warning:[/yellow] {escape(warning)}")
    out.print(f"{len(batch.assets)} '{batch.family}' assets, all passing twin validate, written to {batch.out} in "
              f"{seconds:.1f} s ({batch.duplicates} near-duplicate draws rejected, {batch.invalid} invalid variants "
              "resampled)")


def _report_agent(run, seconds: float, json_output: bool) -> None:
    result = run.result
    if json_output:
        print_json({"ok": result.family is not None, "seconds": round(seconds, 2), **run.to_dict()})
    else:
        if run.divergences is not None:
            state = "reproduced" if run.divergences == 0 else f"{run.divergences} tool results differ from the record"
            out.print(f"replay: {state}")
        if result.family is not None:
            out.print(f"agent: family '{result.family.name}' accepted after {result.turns} turns, {result.tokens} tokens")
            _report_batch(run.batch, seconds, False)
        else:
            out.print(f"agent: no family accepted ({result.stop}: {result.turns} turns, {result.tokens} tokens); "
                      f"transcript and draft in {run.out}")
    if result.family is None:
        raise typer.Exit(1)


app.command("families")(exit_codes(families))
app.command("generate")(exit_codes(generate))
app.command("replay")(exit_codes(replay))
