"""The executor interface: same results in input order from every local executor; clear errors."""

from __future__ import annotations

import pytest

from twin.errors import TwinError
from twin.executor import make_executor


def _square(x: int) -> int:
    return x * x


@pytest.mark.parametrize("name", ["inline", "process"])
def test_results_in_input_order(name):
    executor = make_executor(name, workers=2)
    assert executor.map(_square, range(7)) == [x * x for x in range(7)]


def test_unknown_executor():
    with pytest.raises(TwinError, match="unknown executor 'dask'; choose one of inline, process, ray"):
        make_executor("dask")
