"""Parameter schemas: ranges, defaults, types, sampling and the normalised distance."""

from __future__ import annotations

import numpy as np
import pytest

from asset_gen.schema import Param, ParameterError, Params, Schema

SCHEMA = Schema((
    Param("length", 0.3, 0.8, 0.6, "m", "outer length"),
    Param("boards", 2, 6, 4, "", "boards", integer=True),
))


def test_defaults_and_validation():
    assert SCHEMA.defaults().to_dict() == {"length": 0.6, "boards": 4}
    p = SCHEMA.validate({"length": 0.5})
    assert (p.length, p["boards"]) == (0.5, 4)
    assert isinstance(SCHEMA.validate({"boards": 3.0}).boards, int)


@pytest.mark.parametrize(("values", "message"), [
    ({"length": 0.9}, "parameter 'length' = 0.9 is out of range [0.3, 0.8] m"),
    ({"boards": 2.5}, "parameter 'boards' must be a whole number, got 2.5"),
    ({"height": 1}, "unknown parameter(s) height; known: length, boards"),
    ({"length": "long"}, "parameter 'length' must be a number, got 'long'"),
    ({"length": True}, "parameter 'length' must be a number, got True"),
])
def test_bad_values_name_the_range(values, message):
    with pytest.raises(ParameterError) as info:
        SCHEMA.validate(values)
    assert str(info.value) == message


def test_bad_schemas_are_refused():
    with pytest.raises(ParameterError, match="low <= default <= high"):
        Param("x", 1.0, 2.0, 3.0)
    with pytest.raises(ParameterError, match="unique"):
        Schema((Param("x", 0, 1, 0), Param("x", 0, 1, 0)))
    with pytest.raises(ParameterError, match="identifier"):
        Param("not a name", 0, 1, 0)


def test_params_are_immutable():
    p = SCHEMA.defaults()
    with pytest.raises(AttributeError):
        p.length = 1.0
    with pytest.raises(TypeError):
        p["length"] = 1.0  # type: ignore[index]
    assert isinstance(p, Params) and dict(p) == p.to_dict()


def test_sampling_stays_in_range_and_is_deterministic():
    draws = [SCHEMA.sample(np.random.default_rng(7)) for _ in range(2)]
    assert draws[0] == draws[1]
    rng = np.random.default_rng(0)
    for _ in range(200):
        SCHEMA.validate(SCHEMA.sample(rng))  # raises if out of range


def test_distance_is_normalised_by_range():
    a = SCHEMA.validate({"length": 0.3, "boards": 2})
    b = SCHEMA.validate({"length": 0.8, "boards": 6})
    assert SCHEMA.distance(a, a) == 0.0
    assert SCHEMA.distance(a, b) == pytest.approx(1.0)
    assert SCHEMA.distance(a, SCHEMA.validate({"length": 0.8, "boards": 2})) == pytest.approx(np.sqrt(0.5))


def test_json_round_trip():
    assert Schema.from_list(SCHEMA.to_list()) == SCHEMA
