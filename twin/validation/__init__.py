"""Sim-readiness validation of a twin: named checks with findings that name the element and the measured value.

Example:
    >>> from twin.validation import validate_path
    >>> report = validate_path("out/")            # doctest: +SKIP
    >>> print(report.summary())                   # doctest: +SKIP
    7 checks: 6 passed, 1 failed (penetration: 2 findings)
"""

from twin.validation.registry import CHECKS, CheckInfo
from twin.validation.report import CheckResult, Finding, ValidationReport
from twin.validation.validate import validate_path, validate_spec

__all__ = [
    "CHECKS",
    "CheckInfo",
    "CheckResult",
    "Finding",
    "ValidationReport",
    "validate_path",
    "validate_spec",
]
