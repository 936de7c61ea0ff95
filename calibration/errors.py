"""Errors of ``twin sysid``: each names the file, and the column where there is one."""

from __future__ import annotations

from pathlib import Path

from twin.errors import InputError


class LogError(InputError):
    """A robot log cannot be used as it is.

    Args:
        message: What is wrong and what was expected.
        path: The log file (or directory) the problem is in.
        column: The column the problem is in, e.g. ``"q.elbow"`` or ``"time"``; quoted in the message.
    """

    def __init__(self, message: str, path: str | Path | None = None, column: str | None = None):
        self.column = column
        super().__init__(f"column '{column}' {message}" if column else message, path)


class UnknownNameError(LogError):
    """A column names a joint or actuator the model does not have."""


class BadSampleError(LogError):
    """A value is missing, NaN or not a number."""


class TimestampError(LogError):
    """Time stamps are unsorted, repeated, or have a gap."""


class UnitError(LogError):
    """Values look like the wrong unit (degrees where radians are expected)."""


class ShortLogError(LogError):
    """The log is too short to fit anything."""


class ColumnMapError(InputError):
    """A column-map (TOML) file is malformed; the message names the key."""


class ParameterError(InputError):
    """A parameter name or specification does not match the model; the message lists valid names."""
