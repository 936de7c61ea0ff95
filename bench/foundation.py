"""Foundation benchmark: what writing and validating a twin costs, relative to simulating it.

Reference: a bare ``mj_step`` loop over the same model for the settle time (2 s of simulated time). Reported:
validation / reference, each writer / reference, the whole demo pipeline / reference, and peak memory.
"""

from __future__ import annotations

import resource
import tempfile
from pathlib import Path

import mujoco

from bench import best_of
from twin.examples import factory_cell
from twin.mjcf import to_mjcf
from twin.provenance import make_provenance
from twin.twin_dir import write_twin
from twin.usd import write_usd
from twin.validation import validate_spec


def main() -> None:
    scene, names = factory_cell(0)
    model = scene.compile()
    steps = int(round(2.0 / model.opt.timestep))

    def reference() -> None:
        data = mujoco.MjData(model)
        for _ in range(steps):
            mujoco.mj_step(model, data)

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        ref = best_of(reference, repeats=5)
        rows = {
            "validate (7 checks)": best_of(lambda: validate_spec(scene.spec), repeats=5),
            "write scene.xml": best_of(lambda: to_mjcf(scene.spec, tmp / "x"), repeats=5),
            "write scene.usda": best_of(lambda: write_usd(model, tmp / "scene.usda"), repeats=5),
            "whole demo twin": best_of(
                lambda: write_twin(
                    scene.spec, tmp / "twin", object_names=names, source="bench", provenance=make_provenance("bench")
                ),
                repeats=3,
            ),
        }
    print(f"factory cell: {model.nbody} bodies, {model.ngeom} geoms; reference = {steps} bare mj_step calls "
          f"(2 s simulated) = {ref * 1e3:.1f} ms")
    print(f"{'stage':<22} {'ratio to reference':>20}")
    for name, seconds in rows.items():
        print(f"{name:<22} {seconds / ref:>20.2f}")
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory: {peak_mib:.0f} MiB")


if __name__ == "__main__":
    main()
