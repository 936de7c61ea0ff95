"""Asset benchmark: validity of the built-in families over sampled variants, and time per validated asset.

Reference (measured in the same run): validating the demo factory cell (``twin.examples.factory_cell``).
Reported per family: valid variants out of N (target >= 99 %), the time to build and validate one asset and
to write one complete asset directory (xml, usda, json, thumbnail), both as ratios to the reference; and the
cost of building in the sandbox. ``--agent`` also runs the LLM agent on ``bench/asset_prompts.txt`` (only
with ANTHROPIC_API_KEY; without it the acceptance rate is not measured and the output says so).

    python -m bench.assets [--variants 200] [--family NAME] [--written 5] [--agent]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np

from asset_gen.families import FAMILIES
from asset_gen.generated import load_generated
from asset_gen.variation import generate_variants
from bench import best_of
from twin.examples import factory_cell
from twin.executor import make_executor
from twin.validation import validate_spec

PROMPTS = Path(__file__).with_name("asset_prompts.txt")


def validity(family, variants: int, seed: int = 0) -> tuple[int, float, list[str]]:
    """Valid variants out of ``variants`` draws, seconds per build + validation, and the first failures."""
    rng = np.random.default_rng(seed)
    valid, failures = 0, []
    start = time.perf_counter()
    for k in range(variants):
        params = family.schema.sample(rng)
        report = validate_spec(family.spec(params, seed=k))
        valid += report.ok
        if not report.ok and len(failures) < 3:
            failures.append(f"{dict(params)}: {report.summary()}")
    return valid, (time.perf_counter() - start) / variants, failures


def written(family, count: int) -> float:
    """Seconds per complete asset directory (inline, one process)."""
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        generate_variants(family, Path(tmp) / "out", count=count, executor=make_executor("inline"))
        return (time.perf_counter() - start) / count


def agent_acceptance(prompts: list[str]) -> None:
    """Run the agent on every prompt (needs ANTHROPIC_API_KEY) and print its acceptance rate."""
    if not os.environ.get("ANTHROPIC_API_KEY"):
        print(f"agent: not measured: ANTHROPIC_API_KEY is not set ({len(prompts)} prompts in {PROMPTS.name})")
        return
    from asset_gen.agent import AgentSettings, agent_generate, make_client

    client, accepted, turns, tokens = make_client(), 0, 0, 0
    for prompt in prompts:
        with tempfile.TemporaryDirectory() as tmp:
            run = agent_generate(prompt, Path(tmp) / "out", client=client, settings=AgentSettings(), count=1,
                                 thumbnail=False)
        accepted += run.result.family is not None
        turns, tokens = turns + run.result.turns, tokens + run.result.tokens
        print(f"  {'accepted' if run.result.family else run.result.stop:>9}  {run.result.turns:>2} turns  {prompt}")
    print(f"agent: {accepted}/{len(prompts)} prompts accepted ({100 * accepted / len(prompts):.0f} %), "
          f"{turns / len(prompts):.1f} turns and {tokens / len(prompts):.0f} tokens per prompt")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", type=int, default=200)
    parser.add_argument("--family", action="append", default=None)
    parser.add_argument("--written", type=int, default=5, help="complete asset directories timed per family")
    parser.add_argument("--agent", action="store_true")
    args = parser.parse_args(argv)
    families = [f for f in FAMILIES if args.family is None or f.name in args.family]
    scene, _ = factory_cell(0)
    ref = best_of(lambda: validate_spec(scene.spec))
    print(f"reference: validating the demo factory cell = {ref * 1e3:.1f} ms")
    print(f"{'family':<10} {'valid':>9} {'%':>7} {'build+validate / ref':>21} {'written asset / ref':>20}")
    total = valid_total = 0
    for family in families:
        valid, seconds, failures = validity(family, args.variants)
        per_written = written(family, args.written) if args.written else float("nan")
        total, valid_total = total + args.variants, valid_total + valid
        print(f"{family.name:<10} {valid:>4}/{args.variants:<4} {100 * valid / args.variants:>6.1f} "
              f"{seconds / ref:>21.3f} {per_written / ref:>20.3f}")
        for failure in failures:
            print(f"    invalid: {failure}")
    print(f"all families: {valid_total}/{total} valid ({100 * valid_total / max(1, total):.2f} %, target >= 99 %)")
    code = (Path(__file__).resolve().parents[1] / "asset_gen" / "families" / "crate.py").read_text()
    sandboxed = load_generated(code)
    inline = next(f for f in FAMILIES if f.name == "crate")
    ratio = best_of(lambda: sandboxed.spec()) / best_of(lambda: inline.spec())
    print(f"sandboxed build of a crate / in-process build: {ratio:.0f}x (a fresh confined process per build)")
    if args.agent:
        prompts = [p.strip() for p in PROMPTS.read_text().splitlines() if p.strip() and not p.startswith("#")]
        agent_acceptance(prompts)


if __name__ == "__main__":
    main()
