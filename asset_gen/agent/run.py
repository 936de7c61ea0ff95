"""An agent run from prompt to output directory, and its offline replay.

``OUT/`` of an agent run::

    family/<name>.py     the accepted family's code (family/draft.py when nothing was accepted)
    family/asset.json    provenance: prompt, model, budget, transcript sha256, verdicts, how the run ended
    transcript.jsonl     every request, response and tool call (no keys or headers)
    assets.json          the batch of variants (see asset_gen.variation)
    <name>_<k>/          the variants, each with asset.xml, asset.usda, asset.json, thumbnail.png
"""

from __future__ import annotations

import dataclasses
import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from asset_gen.agent.loop import AgentResult, run_agent
from asset_gen.agent.prompt import prompt_digest
from asset_gen.agent.tools import ToolBox
from asset_gen.agent.transcript import ReplayClient, Transcript, read_transcript
from asset_gen.sandbox import SandboxLimits
from asset_gen.variation import INDEX, BatchResult, _earlier_batch, generate_variants, write_files
from twin.atomic import atomic_directory, check_output_directory
from twin.errors import TwinError
from twin.executor import Executor
from twin.extras import require
from twin.provenance import library_versions, make_provenance

DEFAULT_MODEL = "claude-sonnet-4-5"
KEY_NEEDED = ("generating a new family with the agent needs ANTHROPIC_API_KEY (it calls the Anthropic API); set it, "
              "or pass --family NAME to generate from a built-in family offline (twin assets families lists them)")


def make_client() -> Any:
    """``anthropic.Anthropic()`` reading ANTHROPIC_API_KEY from the environment.

    Raises:
        TwinError: ANTHROPIC_API_KEY is not set (the message says ``--family`` works offline).
        MissingExtraError: the ``anthropic`` package is not installed (extra ``llm``).
    """
    if not os.environ.get("ANTHROPIC_API_KEY"):
        raise TwinError(KEY_NEEDED)
    anthropic = require("anthropic", "llm", "the asset agent")
    return anthropic.Anthropic()


@dataclass(frozen=True)
class AgentSettings:
    """Budget and sandbox of an agent run.

    Args:
        model: Model name.
        max_turns: Most Messages API calls.
        max_tokens: Most input plus output tokens over the run.
        seed: Seeds the agent's validation draws and the variants.
        samples: Assets validate_family checks by default.
        limits: Sandbox limits of every build.
        isolation: Sandbox isolation.
    """

    model: str = DEFAULT_MODEL
    max_turns: int = 20
    max_tokens: int = 400_000
    seed: int = 0
    samples: int = 4
    limits: SandboxLimits = field(default_factory=SandboxLimits)
    isolation: str = "auto"

    def __post_init__(self) -> None:
        if self.max_turns < 1 or self.max_tokens < 1:
            raise TwinError(f"the budget needs max_turns >= 1 and max_tokens >= 1, got {self.max_turns}, "
                            f"{self.max_tokens}")


@dataclass(frozen=True)
class AgentRun:
    """What an agent run (or replay) wrote.

    Args:
        out: The output directory.
        result: How the loop ended.
        transcript_sha256: sha256 of ``transcript.jsonl``.
        batch: The variants, when a family was accepted.
        divergences: For a replay: tool results that differ from the recorded ones (0: reproduced).
    """

    out: Path
    result: AgentResult
    transcript_sha256: str
    batch: BatchResult | None
    divergences: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary."""
        r = self.result
        return {"out": str(self.out), "accepted": r.family is not None, "family": r.family.name if r.family else None,
                "stop": r.stop, "turns": r.turns, "tokens": r.tokens, "transcript_sha256": self.transcript_sha256,
                "verdicts": [{"accepted": v["accepted"], "family": v["family"]} for v in r.verdicts],
                "count": len(self.batch.assets) if self.batch else 0, "divergences": self.divergences,
                "batch": self.batch.to_dict() if self.batch else None}


def agent_generate(
    prompt: str,
    out: str | Path,
    *,
    client: Any,
    settings: AgentSettings = AgentSettings(),
    count: int = 1,
    executor: Executor | None = None,
    thumbnail: bool = True,
    progress: Callable[[int, int], None] | None = None,
    recorded: list[dict[str, Any]] | None = None,
) -> AgentRun:
    """Let the agent write a family for ``prompt``, then write ``count`` validated variants of it to ``out``.

    Args:
        client: Has ``messages.create`` (see :mod:`asset_gen.agent.loop`); see :func:`make_client`.
        recorded: The records of a transcript being replayed (see :func:`replay`).

    Raises:
        OutputError: ``out`` exists and is not an earlier batch (checked before any API call).
        TwinError: a Messages API call failed.
    """
    if not prompt.strip():
        raise TwinError("the description is empty; say what to build, e.g. \"steel shelving unit, 4 shelves\"")
    check_output_directory(out, _earlier_batch)
    with tempfile.TemporaryDirectory(prefix="twin-agent-") as work:
        transcript = Transcript(Path(work) / "transcript.jsonl")
        transcript.meta(prompt=prompt, model=settings.model, max_turns=settings.max_turns,
                        max_tokens=settings.max_tokens, seed=settings.seed, samples=settings.samples, count=count,
                        prompt_sha256=prompt_digest(), versions=library_versions())
        toolbox = ToolBox(settings.limits, settings.isolation, settings.seed, settings.samples)
        result = run_agent(prompt, client, toolbox, transcript, model=settings.model,
                           max_turns=settings.max_turns, max_tokens=settings.max_tokens)
        text, digest = transcript.path.read_text(), transcript.sha256()
    divergences = _divergences(recorded, read_lines(text)) if recorded is not None else None
    family = result.family
    document = {
        "schema_version": 1, "prompt": prompt, "model": settings.model, "accepted": family is not None,
        "family": family.name if family else None, "code_sha256": family.code_sha256 if family else None,
        "stop": result.stop, "turns": result.turns, "tokens": result.tokens,
        "budget": {"max_turns": settings.max_turns, "max_tokens": settings.max_tokens},
        "transcript": "transcript.jsonl", "transcript_sha256": digest, "verdicts": list(result.verdicts),
        "replay": None if recorded is None else {"divergences": divergences},
        "provenance": dataclasses.asdict(make_provenance(
            "twin assets replay" if recorded is not None else "twin assets generate",
            parameters={"model": settings.model, "seed": settings.seed, "count": count})),
    }
    code_name = f"family/{family.name}.py" if family else "family/draft.py"
    files = {"family/asset.json": json.dumps(document, indent=2) + "\n", "transcript.jsonl": text}
    if result.last_code is not None or family is not None:
        files[code_name] = family.code if family else result.last_code
    if family is None:
        with atomic_directory(out, replaceable=_earlier_batch) as tmp:
            write_files(tmp, files)
            (tmp / INDEX).write_text(json.dumps({"schema_version": 1, "family": None, "count": 0, "assets": [],
                                                 "accepted": False, "stop": result.stop}, indent=2) + "\n")
        return AgentRun(Path(out).absolute(), result, digest, None, divergences)
    batch = generate_variants(family, out, count=count, seed=settings.seed, executor=executor, thumbnail=thumbnail,
                              progress=progress, extra_files=files, command=document["provenance"]["command"],
                              metadata={"agent": {"prompt": prompt, "model": settings.model,
                                                  "transcript_sha256": digest}})
    return AgentRun(Path(out).absolute(), result, digest, batch, divergences)


def read_lines(text: str) -> list[dict[str, Any]]:
    """JSONL text as records."""
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def _divergences(recorded: list[dict[str, Any]], replayed: list[dict[str, Any]]) -> int:
    """Tool calls whose name or result differ between a transcript and its replay (extra or missing count)."""
    a = [(r["name"], r["content_sha256"]) for r in recorded if r.get("type") == "tool"]
    b = [(r["name"], r["content_sha256"]) for r in replayed if r.get("type") == "tool"]
    return sum(x != y for x, y in zip(a, b)) + abs(len(a) - len(b))


def replay(
    transcript: str | Path,
    out: str | Path,
    *,
    count: int | None = None,
    executor: Executor | None = None,
    thumbnail: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> AgentRun:
    """Reproduce an agent run offline: the recorded responses are fed back, the tools run again here.

    Args:
        count: Variants to write (the recorded run's count when None).

    Raises:
        InputError: the transcript is unreadable.
        TwinError: the replay asks for more responses than were recorded (it diverged).
    """
    records = read_transcript(transcript)
    meta = records[0]
    settings = AgentSettings(model=str(meta["model"]), max_turns=int(meta["max_turns"]),
                             max_tokens=int(meta["max_tokens"]), seed=int(meta["seed"]), samples=int(meta["samples"]))
    return agent_generate(str(meta["prompt"]), out, client=ReplayClient(records), settings=settings,
                          count=int(count or meta.get("count") or 1), executor=executor, thumbnail=thumbnail,
                          progress=progress, recorded=records)
