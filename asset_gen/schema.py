"""Typed, frozen parameter schemas of asset families, and the parameter values drawn from them.

A family declares its parameters as a :class:`Schema` of :class:`Param` (name, range, default, unit); a set of
values is a :class:`Params`, an immutable mapping that also reads as attributes (``p.length``). Sampling
and near-duplicate distances work on values normalised to [0, 1] by each parameter's range.

Example:
    >>> schema = Schema((Param("length", 0.3, 0.8, 0.6, "m", "outer length along x"),
    ...                  Param("boards", 2, 6, 4, "", "number of boards", integer=True)))
    >>> p = schema.validate({"length": 0.5})
    >>> (p.length, p.boards)
    (0.5, 4)
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from twin.errors import TwinError


class ParameterError(TwinError):
    """A parameter value is unknown, of the wrong type or out of its family's range."""


@dataclass(frozen=True)
class Param:
    """One parameter of a family.

    Args:
        name: Identifier (``length``, ``door_count``).
        low: Smallest allowed value, in ``unit``.
        high: Largest allowed value, in ``unit``.
        default: The value used when none is given; within [low, high].
        unit: ``"m"``, ``"kg"``, ``"rad"``, ``""`` for counts and ratios.
        doc: What it means, one line.
        integer: Values are whole numbers (counts); sampled uniformly over the integers in range.
    """

    name: str
    low: float
    high: float
    default: float
    unit: str = ""
    doc: str = ""
    integer: bool = False

    def __post_init__(self) -> None:
        if not self.name.isidentifier():
            raise ParameterError(f"a parameter name must be an identifier, got {self.name!r}")
        values = (self.low, self.high, self.default)
        if not all(isinstance(v, (int, float)) and math.isfinite(v) for v in values):
            raise ParameterError(f"parameter '{self.name}': low, high and default must be finite numbers")
        if not self.low <= self.default <= self.high:
            raise ParameterError(
                f"parameter '{self.name}': need low <= default <= high, got {self.low}, {self.default}, {self.high}"
            )
        if self.integer and not all(float(v).is_integer() for v in values):
            raise ParameterError(f"integer parameter '{self.name}': low, high and default must be whole numbers")

    def check(self, value: Any) -> float | int:
        """``value`` converted to this parameter's type, or :class:`ParameterError` naming the range."""
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
            raise ParameterError(f"parameter '{self.name}' must be a number, got {value!r}")
        value = float(value)
        if self.integer:
            if not value.is_integer():
                raise ParameterError(f"parameter '{self.name}' must be a whole number, got {value!r}")
            value = int(value)
        if not (math.isfinite(value) and self.low <= value <= self.high):
            raise ParameterError(
                f"parameter '{self.name}' = {value!r} is out of range [{self.low:g}, {self.high:g}] {self.unit}".rstrip()
            )
        return value

    def sample(self, rng: np.random.Generator) -> float | int:
        """A value drawn uniformly from the range (floats rounded to 0.1 mm or 1e-4 of the unit)."""
        if self.integer:
            return int(rng.integers(int(self.low), int(self.high) + 1))
        return round(float(rng.uniform(self.low, self.high)), 4)

    def normalised(self, value: float) -> float:
        """``value`` mapped to [0, 1] over the range (0 for a fixed parameter)."""
        span = self.high - self.low
        return 0.0 if span == 0 else (float(value) - self.low) / span

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready description."""
        kind = "int" if self.integer else "float"
        return {"name": self.name, "type": kind, "low": self.low, "high": self.high, "default": self.default,
                "unit": self.unit, "doc": self.doc}


class Params(Mapping):
    """Immutable parameter values of one asset, readable as ``p["length"]`` or ``p.length``."""

    __slots__ = ("_values",)

    def __init__(self, values: Mapping[str, float | int]):
        object.__setattr__(self, "_values", dict(values))

    def __getitem__(self, key: str) -> float | int:
        return self._values[key]

    def __getattr__(self, key: str) -> float | int:
        try:
            return self._values[key]
        except KeyError:
            raise AttributeError(f"no parameter {key!r}; known: {', '.join(self._values)}") from None

    def __setattr__(self, key, value) -> None:
        raise AttributeError("Params are immutable")

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"Params({self._values!r})"

    def to_dict(self) -> dict[str, float | int]:
        """A plain dict copy (JSON-ready)."""
        return dict(self._values)


@dataclass(frozen=True)
class Schema:
    """The parameters of a family, in declaration order; names unique."""

    params: tuple[Param, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "params", tuple(self.params))
        names = [p.name for p in self.params]
        if len(set(names)) != len(names):
            raise ParameterError(f"parameter names must be unique, got {names}")
        if not all(isinstance(p, Param) for p in self.params):
            raise ParameterError("a Schema holds Param objects only")

    @property
    def names(self) -> tuple[str, ...]:
        """Parameter names in declaration order."""
        return tuple(p.name for p in self.params)

    def defaults(self) -> Params:
        """All parameters at their defaults."""
        return Params({p.name: (int(p.default) if p.integer else float(p.default)) for p in self.params})

    def validate(self, values: Mapping[str, Any] | None = None) -> Params:
        """Checked values: unknown names and out-of-range values raise :class:`ParameterError`; missing ones
        take their defaults."""
        values = dict(values or {})
        unknown = sorted(set(values) - set(self.names))
        if unknown:
            raise ParameterError(f"unknown parameter(s) {', '.join(unknown)}; known: {', '.join(self.names)}")
        out = self.defaults().to_dict()
        for p in self.params:
            if p.name in values:
                out[p.name] = p.check(values[p.name])
        return Params(out)

    def sample(self, rng: np.random.Generator) -> Params:
        """Values drawn uniformly and independently for every parameter."""
        return Params({p.name: p.sample(rng) for p in self.params})

    def normalised(self, params: Mapping[str, float]) -> np.ndarray:
        """(n,) values mapped to [0, 1] by each parameter's range."""
        return np.array([p.normalised(params[p.name]) for p in self.params], dtype=float)

    def distance(self, a: Mapping[str, float], b: Mapping[str, float]) -> float:
        """Root-mean-square difference of two value sets, normalised by the ranges: 0 same, 1 opposite corners."""
        if not self.params:
            return 0.0
        diff = self.normalised(a) - self.normalised(b)
        return float(np.sqrt(np.mean(diff * diff)))

    def to_list(self) -> list[dict[str, Any]]:
        """JSON-ready description of every parameter."""
        return [p.to_dict() for p in self.params]

    @classmethod
    def from_list(cls, items: list[Mapping[str, Any]]) -> Schema:
        """The schema described by :meth:`to_list` (e.g. returned by a sandboxed family).

        Raises:
            ParameterError: an item lacks a field or has a wrong value.
        """
        try:
            return cls(tuple(
                Param(str(i["name"]), i["low"], i["high"], i["default"], str(i.get("unit", "")),
                      str(i.get("doc", "")), i.get("type") == "int")
                for i in items
            ))
        except (KeyError, TypeError) as exc:
            raise ParameterError(f"malformed parameter schema: missing or wrong field {exc}") from None
