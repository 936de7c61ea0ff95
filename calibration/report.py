"""``report.html`` of a sysid run: parameters with intervals, warnings, how the fit ran, held-out validation.

Plots need matplotlib (imported lazily); without it the report has the tables and says plots were skipped.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from twin.errors import MissingExtraError
from twin.extras import require
from twin.report import Section, esc, picture, table, warnings_block, write_report


def _pyplot():
    matplotlib = require("matplotlib", "report", "plots in report.html")
    matplotlib.use("Agg")
    return require("matplotlib.pyplot", "report", "plots in report.html")


def plot_parameters(path: Path, records: list[dict]) -> None:
    """Fitted value / nominal with the 95% interval, one row per parameter (log scale)."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 0.3 * len(records) + 1.2))
    for i, r in enumerate(records):
        value = r["value"]
        ax.plot([max(r["ci95"][0], 1e-9), max(r["ci95"][1], 1e-9)], [i, i], color="tab:blue", lw=3, alpha=0.5)
        ax.plot(max(value, 1e-9), i, "o", color="tab:blue")
        if r["nominal"] > 0:
            ax.plot(r["nominal"], i, "x", color="tab:red")
    ax.set_yticks(range(len(records)), [r["name"] for r in records], fontsize=7)
    ax.set_xscale("log")
    ax.set_xlabel("value (SI units): o fitted with 95% interval, x nominal")
    ax.invert_yaxis()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_trace(path: Path, trace: dict, joints: tuple[str, ...]) -> None:
    """Held-out positions: measured, replayed with nominal and with fitted values, first segments."""
    plt = _pyplot()
    fig, axes = plt.subplots(len(joints), 1, figsize=(9, 1.6 * len(joints) + 0.6), sharex=True, squeeze=False)
    for j, ax in enumerate(axes[:, 0]):
        ax.plot(trace["time"], trace["measured"][:, j], ".", ms=1.5, color="black", label="measured")
        ax.plot(trace["time"], trace["before"][:, j], ".", ms=1.5, color="tab:red", label="nominal")
        ax.plot(trace["time"], trace["after"][:, j], ".", ms=1.5, color="tab:blue", label="fitted")
        for start in trace["starts"]:
            ax.axvline(start, color="0.85", lw=0.5)
        ax.set_ylabel(joints[j], fontsize=8)
    axes[0, 0].legend(loc="upper right", fontsize=7, markerscale=6)
    axes[-1, 0].set_xlabel("time in the held-out log, s (segments re-initialised at the grey lines)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _stop_reason(message: str) -> str:
    """The optimizer's stop message, with the stopping rule's callback exit said in words."""
    if "StopIteration" in message:
        return "converged: a further step would lower the cost by less than 1% of the residual variance"
    return message


def write_sysid_report(out: Path, *, records: list[dict], fit: dict, validation, warnings: list[str], notes: list[str]) -> list[str]:
    """Write ``out/report.html`` (and its plots); returns notes about what was left out."""
    left_out = []
    plots = {}
    try:
        plot_parameters(out / "parameters.png", records)
        plots["parameters"] = "parameters.png"
        if validation is not None:
            plot_trace(out / "validation.png", validation.trace, validation.joints)
            plots["validation"] = "validation.png"
    except MissingExtraError as exc:
        left_out.append(f"plots skipped: {exc}")
    rows = []
    for r in records:
        flagged = r["ci95"][1] - r["ci95"][0] > abs(r["value"])
        rows.append([r["name"], r["nominal"], fit["warm_start"][r["name"]], r["value"], r["std"], f"[{r['ci95'][0]:.4g}, {r['ci95'][1]:.4g}]", r["unit"], "wide" if flagged else ""])
    body = table(["parameter", "nominal", "warm start", "fitted", "std", "95% interval", "unit", "flag"], rows)
    body += picture(plots["parameters"], "fitted parameters") if "parameters" in plots else ""
    sections = [Section("Parameters", body)]
    if warnings or left_out:
        sections.append(Section("Warnings", warnings_block(warnings + left_out)))
    starts = table(["start", "cost", "residual evaluations", "Jacobians", "stopped because"],
                   [[i, s["cost"], s["evaluations"], s["jacobians"], _stop_reason(s["message"])] for i, s in enumerate(fit["starts"])])
    channels = table(["channel", "weight (1/RMS residual)"], [[c, w] for c, w in zip(fit["channels"], fit["weights"])])
    how = "".join(f"<li>{esc(n)}</li>" for n in notes)
    sections.append(Section("How the fit ran", f"<ul>{how}</ul>{starts}{channels}"))
    if validation is not None:
        verdict = "pass" if validation.passed else "fail"
        rows = [[j, float(b), float(a), "pass" if a <= validation.threshold else "fail"] for j, b, a in zip(validation.joints, validation.rms_before, validation.rms_after)]
        body = (
            f'<p>Held-out log <code>{esc(validation.source)}</code>: {validation.segments} segments of '
            f'{validation.horizon:.3g} s; verdict <span class="{verdict}">{verdict}</span> (threshold '
            f"{validation.threshold:g} rad or m RMS, and no joint worse than nominal).</p>"
            + table(["joint", "RMS error nominal", "RMS error fitted", "status"], rows, classes=["", "", "", "status"])
        )
        body += picture(plots["validation"], "held-out replay") if "validation" in plots else ""
        sections.append(Section("Held-out validation", body))
    write_report(out / "report.html", "twin sysid", sections, subtitle=f"{len(records)} parameters from {fit['segments']} segments of {fit['segment_s']:g} s")
    return left_out


def interval_summary(records: list[dict]) -> float:
    """Median relative half-width of the 95% intervals (for one-line summaries)."""
    widths = [(r["ci95"][1] - r["ci95"][0]) / 2 / abs(r["value"]) for r in records if r["value"]]
    return float(np.median(widths)) if widths else float("nan")
