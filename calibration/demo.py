"""The demo's system-identification step: logs generated from an arm with known joint terms, fitted back.

The arm of :mod:`calibration.synthetic` is simulated with :data:`calibration.synthetic.TRUTH` under closed-loop
PD control with sensor noise; its description file carries the nominal values a vendor file would. The step
writes the inputs (nominal model, fit log, held-out log as canonical CSV) so a user can rerun
``twin sysid`` on them, fits, validates on the held-out log, and reports the fitted values against the truth.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from calibration.readers import write_csv
from calibration.run import SysidResult, run_sysid
from calibration.synthetic import TRUTH, arm, simulate_log
from twin.mjcf import to_mjcf
from twin.report import Section, esc, table


def demo_sysid(
    inputs: Path, out: Path, *, seed: int = 0, duration: float = 6.0, progress: Callable[[str], None] | None = None
) -> tuple[SysidResult, dict[str, float]]:
    """Generate the arm's logs into ``inputs``, fit them into ``out`` and return the result with the truth.

    Args:
        inputs: Directory for ``arm.xml`` (nominal values) and ``fit.csv``/``heldout.csv`` (created).
        out: The sysid output directory (must not exist).
        seed: Seeds the logs' references and noise.
        duration: Length of each log, s.
    """
    inputs.mkdir(parents=True, exist_ok=True)
    model = to_mjcf(arm().spec, inputs, "arm.xml")
    write_csv(simulate_log(TRUTH, seed=seed, duration=duration, source="fit.csv"), inputs / "fit.csv")
    write_csv(simulate_log(TRUTH, seed=seed + 1, duration=duration, source="heldout.csv"), inputs / "heldout.csv")
    params = ",".join(TRUTH)
    result = run_sysid(model, inputs / "fit.csv", out, params=params, validate=inputs / "heldout.csv", seed=seed,
                       progress=progress)
    return result, dict(TRUTH)


def report_section(result: SysidResult, truth: dict[str, float], link: str) -> Section:
    """A report section: fitted values against the truth, the held-out verdict and a link to the sysid report."""
    rows = []
    for record in result.parameters:
        lo, hi = record["ci95"]
        true = truth[record["name"]]
        rows.append((record["name"], f"{record['nominal']:.4g}", f"{true:.4g}", f"{record['value']:.5g}",
                     f"[{lo:.5g}, {hi:.5g}]",
                     "yes" if lo <= true <= hi else "no", record["unit"]))
    verdict = "passed" if result.validation is not None and result.validation.passed else "failed"
    body = (
        f"<p>Logs generated from an arm with known joint terms, fitted by <code>twin sysid</code> in "
        f"{result.seconds:.1f} s; held-out validation {verdict}. "
        f'Details: <a href="{esc(link)}">{esc(link)}</a>. Rerun it with <code>twin sysid --model '
        f"sysid_inputs/arm.xml --logs sysid_inputs/fit.csv --validate sysid_inputs/heldout.csv --out my_fit "
        "--params 'joint/*/damping,joint/*/frictionloss,joint/*/armature,body/payload/mass'</code> (the payload mass must be in --params: the nominal model's "
        "is wrong, as a vendor file's would be).</p>"
        + table(["parameter", "nominal", "truth", "fitted", "95% interval", "truth inside", "unit"], rows)
    )
    return Section("System identification (demo arm)", body)
