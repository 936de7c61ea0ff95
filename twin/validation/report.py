"""Result types of ``twin validate``: one :class:`Finding` per defect, one :class:`CheckResult` per check."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

Status = Literal["pass", "fail", "skipped"]
_STATUSES = ("pass", "fail", "skipped")
_DIGITS = 6  # significant digits of JSON floats: measurements are not more precise, limits (1e-15) survive


def _round(value: float | None) -> float | None:
    """Round a measured value for JSON to 6 significant digits; NaN and infinities (not JSON) become ``None``."""
    if value is None or not math.isfinite(value):
        return None
    return float(f"{float(value):.{_DIGITS}g}")


@dataclass(frozen=True)
class Finding:
    """One defect found by one check.

    Args:
        check: Name of the check that found it (a name in :data:`twin.validation.CHECKS`).
        element: The MuJoCo element, by name (``"door_hinge"``), by kind and index when unnamed
            (``"body #3"``), or a pair (``"geom 'a' / geom 'b'"``); ``"model"`` for the whole model.
        value: The measured value in ``unit``, or ``None`` when there is nothing to measure (or it is NaN).
        unit: Unit of ``value`` and ``limit`` (``"mm"``, ``"kg"``, ``"x"`` for a ratio, ...), ``""`` if none.
        limit: The threshold ``value`` was compared with, or ``None``.
        message: One human-readable line naming the element and the measured value.
    """

    check: str
    element: str
    value: float | None
    unit: str
    limit: float | None
    message: str

    def __post_init__(self) -> None:
        for attr in ("value", "limit"):  # numpy scalars in, plain floats out
            v = getattr(self, attr)
            if v is not None:
                object.__setattr__(self, attr, float(v))
        if not self.check or not self.element:
            raise ValueError(f"a Finding needs a check and an element, got {self.check!r}, {self.element!r}")
        if "\n" in self.message:
            raise ValueError(f"a Finding message is one line, got {self.message!r}")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict; floats rounded to 6 significant digits, NaN as ``None``."""
        return {
            "check": self.check,
            "element": self.element,
            "value": _round(self.value),
            "unit": self.unit,
            "limit": _round(self.limit),
            "message": self.message,
        }


@dataclass(frozen=True)
class CheckResult:
    """The verdict of one check.

    Args:
        name: The check's name.
        description: What it checks, from :data:`twin.validation.CHECKS`.
        status: ``"pass"`` (no finding), ``"fail"`` (at least one finding) or ``"skipped"`` (could not run).
        findings: The defects found, in model order.
        reason: Why the check was skipped; empty otherwise.
    """

    name: str
    description: str
    status: Status
    findings: tuple[Finding, ...] = ()
    reason: str = ""

    def __post_init__(self) -> None:
        if self.status not in _STATUSES:
            raise ValueError(f"status must be one of {_STATUSES}, got {self.status!r}")
        if (self.status == "fail") != bool(self.findings):
            raise ValueError(f"check {self.name!r}: status 'fail' if and only if there are findings")
        if (self.status == "skipped") != bool(self.reason):
            raise ValueError(f"check {self.name!r}: a reason if and only if the check is skipped")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        out: dict[str, Any] = {
            "name": self.name,
            "description": self.description,
            "status": self.status,
            "findings": [f.to_dict() for f in self.findings],
        }
        if self.reason:
            out["reason"] = self.reason
        return out


@dataclass(frozen=True)
class ValidationReport:
    """Sim-readiness verdicts for one model.

    Args:
        source: What was validated (a file path, or ``"<spec>"``).
        checks: One result per check, in the order of :data:`twin.validation.CHECKS`.
        notes: Facts worth knowing that are not defects (URDF input, angles read in degrees, nothing to
            simulate), one line each.
    """

    source: str
    checks: tuple[CheckResult, ...]
    notes: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """True when no check failed (skipped checks do not fail a model)."""
        return all(c.status != "fail" for c in self.checks)

    @property
    def findings(self) -> tuple[Finding, ...]:
        """All findings of all checks, in check order."""
        return tuple(f for c in self.checks for f in c.findings)

    def check(self, name: str) -> CheckResult:
        """The result of the check called ``name``.

        Raises:
            KeyError: No check has that name; the message lists the valid names.
        """
        for c in self.checks:
            if c.name == name:
                return c
        raise KeyError(f"no check {name!r}; valid names: {', '.join(c.name for c in self.checks)}")

    def summary(self) -> str:
        """One line, e.g. ``"7 checks: 6 passed, 1 failed (penetration: 2 findings)"``."""
        passed = sum(c.status == "pass" for c in self.checks)
        failed = [c for c in self.checks if c.status == "fail"]
        skipped = sum(c.status == "skipped" for c in self.checks)
        parts = [f"{passed} passed", f"{len(failed)} failed"]
        if skipped:
            parts.append(f"{skipped} skipped")
        text = f"{len(self.checks)} checks: {', '.join(parts)}"
        if failed:
            details = ", ".join(
                f"{c.name}: {len(c.findings)} finding{'s' if len(c.findings) != 1 else ''}" for c in failed
            )
            text += f" ({details})"
        return text

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: ``{"source", "ok", "summary", "notes": [...], "checks": [...]}``."""
        return {
            "source": self.source,
            "ok": self.ok,
            "summary": self.summary(),
            "notes": list(self.notes),
            "checks": [c.to_dict() for c in self.checks],
        }


def make_result(name: str, description: str, findings: list[Finding] | tuple[Finding, ...]) -> CheckResult:
    """A ``pass`` or ``fail`` result, depending on whether there are findings."""
    return CheckResult(name, description, "fail" if findings else "pass", tuple(findings))


__all__ = ["Finding", "CheckResult", "ValidationReport", "Status", "make_result"]
