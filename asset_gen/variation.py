"""Many varied, validated assets of one family: sample, reject near-duplicates, build, validate, write.

``generate_variants(family, OUT, count=N, seed=S)`` writes ``OUT/<family>_<k>/`` for k < N (see
:mod:`asset_gen.output`) and ``OUT/assets.json`` (the batch: every asset's parameters and seed, how many
draws were rejected as near-duplicates and how many variants failed validation and were resampled). Builds
go through an executor (:func:`twin.executor.make_executor`), OUT is written atomically, and the whole batch
is deterministic for a seed.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from asset_gen.family import Family
from asset_gen.generated import GeneratedFamily
from asset_gen.output import load_asset_json, write_asset
from asset_gen.schema import Params, Schema
from twin.atomic import atomic_directory, check_output_directory
from twin.errors import TwinError
from twin.executor import Executor, make_executor
from twin.provenance import make_provenance

INDEX = "assets.json"
AGENT_FILES = ("family", "transcript.jsonl")
"""What an agent run adds to a batch directory."""
MIN_DISTANCE = 0.05
"""Default near-duplicate threshold: RMS of parameter differences normalised by their ranges."""
DRAWS_PER_VARIANT = 200
"""Draws tried for one distinct parameter set before the parameter space counts as exhausted."""

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class BatchResult:
    """What :func:`generate_variants` wrote.

    Args:
        out: The output directory.
        family: Family name.
        assets: One entry per written asset: ``{"directory", "params", "seed", "summary", "warnings"}``.
        duplicates: Draws rejected as near-duplicates of earlier ones.
        invalid: Variants that failed validation (or to build) and were resampled.
        failures: One line per invalid variant (its parameters and what failed), at most 20.
    """

    out: Path
    family: str
    assets: tuple[dict[str, Any], ...]
    duplicates: int
    invalid: int
    failures: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary."""
        return {"out": str(self.out), "family": self.family, "count": len(self.assets), "duplicates": self.duplicates,
                "invalid": self.invalid, "failures": list(self.failures), "assets": list(self.assets)}


def draw_distinct(schema: Schema, rng: np.random.Generator, taken: list[Mapping[str, float]],
                  min_distance: float = MIN_DISTANCE) -> tuple[Params, int]:
    """Draw parameters at least ``min_distance`` away from every set in ``taken``.

    Returns:
        The parameters and how many draws were rejected as near-duplicates first.

    Raises:
        TwinError: :data:`DRAWS_PER_VARIANT` draws in a row were near-duplicates.
    """
    for rejected in range(DRAWS_PER_VARIANT):
        params = schema.sample(rng)
        if all(schema.distance(params, other) >= min_distance for other in taken):
            return params, rejected
    raise TwinError(f"could not draw parameters {min_distance:g} away from the {len(taken)} earlier sets: the "
                    "family has too few distinct variants; ask for fewer or lower the near-duplicate threshold")


@dataclass(frozen=True)
class _Job:
    family: Family | GeneratedFamily
    index: int
    params: dict[str, Any]
    seed: int
    directory: str
    metadata: dict[str, Any]
    thumbnail: bool
    settle_time: float


def _run_job(job: _Job) -> dict[str, Any]:
    """Build, write and validate one variant (runs in an executor worker)."""
    try:
        spec = job.family.spec(job.params, job.seed)
        record = write_asset(spec, job.directory, root=job.family.name, metadata=job.metadata,
                             thumbnail=job.thumbnail, settle_time=job.settle_time)
    except TwinError as exc:
        return {"ok": False, "summary": str(exc)}
    findings = [f["message"] for c in record.report["checks"] for f in c["findings"]]
    return {"ok": record.ok, "summary": record.summary, "findings": findings[:3], "warnings": list(record.warnings)}


def generate_variants(
    family: Family | GeneratedFamily,
    out: str | Path,
    *,
    count: int,
    seed: int = 0,
    executor: Executor | None = None,
    min_distance: float = MIN_DISTANCE,
    max_invalid: int | None = None,
    thumbnail: bool = True,
    settle_time: float = 2.0,
    metadata: Mapping[str, Any] | None = None,
    progress: Progress | None = None,
    chunk: int = 8,
    command: str = "asset_gen.variation.generate_variants",
    extra_files: Mapping[str, str] | None = None,
) -> BatchResult:
    """Write ``count`` distinct, validated assets of ``family`` to ``out``.

    Args:
        count: Number of assets.
        seed: Seeds the parameter draws and each asset's own seed.
        executor: Runs the builds; a local process pool when None.
        min_distance: Near-duplicate threshold (see :data:`MIN_DISTANCE`).
        max_invalid: Variants allowed to fail validation (and be resampled) before giving up; ``count + 10``
            when None.
        metadata: Extra fields for every ``asset.json`` (e.g. provenance of a generated family).
        progress: Called with (assets written, count) after each chunk.
        chunk: Variants handed to the executor at a time.
        command: What produced the batch, for the provenance in every ``asset.json``.
        extra_files: Text files written into ``out`` with the batch (relative path -> content), e.g. the
            agent's family code and transcript.

    Raises:
        TwinError: more than ``max_invalid`` variants failed, or the parameter space is exhausted.
        OutputError: ``out`` exists and is not an earlier batch.
    """
    if count < 1:
        raise TwinError(f"count must be >= 1, got {count}")
    max_invalid = count + 10 if max_invalid is None else max_invalid
    executor = executor or make_executor("process")
    check_output_directory(out, _earlier_batch)
    rng = np.random.default_rng(seed)
    seeds = np.random.SeedSequence(seed)
    provenance = make_provenance(command, parameters={"family": family.name, "count": count, "seed": seed,
                                                      "min_distance": min_distance, "settle_time": settle_time})
    base = {"family": family.name, "family_source": family.source, **dict(metadata or {}),
            "provenance": dataclasses.asdict(provenance)}
    if isinstance(family, GeneratedFamily):
        base["family_code_sha256"] = family.code_sha256
    taken: list[Params] = []
    written: dict[int, dict[str, Any]] = {}
    duplicates = invalid = 0
    failures: list[str] = []
    with atomic_directory(out, replaceable=_earlier_batch) as tmp:
        write_files(tmp, extra_files or {})
        pending = list(range(count))
        while pending:
            jobs = []
            for index in pending[:chunk]:
                params, rejected = draw_distinct(family.schema, rng, taken, min_distance)
                duplicates += rejected
                taken.append(params)
                variant_seed = int(seeds.spawn(1)[0].generate_state(1)[0])
                meta = {**base, "index": index, "params": params.to_dict(), "seed": variant_seed, "batch_seed": seed}
                jobs.append(_Job(family, index, params.to_dict(), variant_seed, str(tmp / f"{family.name}_{index}"),
                                 meta, thumbnail, settle_time))
            for job, result in zip(jobs, executor.map(_run_job, jobs), strict=True):
                if result["ok"]:
                    written[job.index] = {"directory": Path(job.directory).name, "params": job.params,
                                          "seed": job.seed, "summary": result["summary"],
                                          "warnings": result.get("warnings", [])}
                    continue
                invalid += 1
                if len(failures) < 20:
                    detail = "; ".join(result.get("findings") or []) or result["summary"]
                    failures.append(f"{family.name} {job.params}: {detail}")
                if invalid > max_invalid:
                    raise TwinError(f"{invalid} variants of '{family.name}' failed validation (limit {max_invalid}); "
                                    f"first: {failures[0]}")
            pending = [i for i in range(count) if i not in written]
            if progress:
                progress(len(written), count)
        assets = tuple(written[i] for i in range(count))
        result = BatchResult(Path(out).absolute(), family.name, assets, duplicates, invalid, tuple(failures))
        index_doc = {"schema_version": 1, **base, "seed": seed, "min_distance": min_distance, **result.to_dict()}
        index_doc["out"] = Path(out).name
        (tmp / INDEX).write_text(json.dumps(index_doc, indent=2) + "\n")
    return result


def write_files(directory: Path, files: Mapping[str, str]) -> None:
    """Write text ``files`` (relative path -> content) under ``directory``."""
    for relative, text in files.items():
        path = directory / relative
        if Path(relative).is_absolute() or ".." in Path(relative).parts:
            raise TwinError(f"refusing to write '{relative}' outside the output directory")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def _earlier_batch(path: Path) -> str | None:
    """None when ``path`` holds an earlier batch of assets (``assets.json`` and asset directories) only."""
    if not (path / INDEX).is_file():
        return "is not empty and holds no earlier batch of assets (no assets.json)"
    for child in path.iterdir():
        if child.name in (INDEX, *AGENT_FILES):
            continue
        if not child.is_dir():
            return f"holds an earlier batch but also '{child.name}'"
        try:
            load_asset_json(child)
        except TwinError:
            return f"holds an earlier batch but also '{child.name}', which is not an asset"
    return None
