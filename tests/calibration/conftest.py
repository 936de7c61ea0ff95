"""Fixtures for sysid tests: the generated arm (nominal description file) and logs simulated from the truth."""

from __future__ import annotations

import pytest

from calibration.readers import write_csv
from calibration.synthetic import arm, simulate_log
from twin.mjcf import to_mjcf


@pytest.fixture(scope="session")
def arm_dir(tmp_path_factory):
    """A folder with ``arm.xml`` (nominal values), ``logs/fit.csv`` (6 s) and ``held.csv`` (3 s), torque-logged."""
    folder = tmp_path_factory.mktemp("arm")
    to_mjcf(arm().spec, folder, "arm.xml")
    (folder / "logs").mkdir()
    write_csv(simulate_log(seed=1, duration=6.0), folder / "logs" / "fit.csv")
    write_csv(simulate_log(seed=2, duration=3.0), folder / "held.csv")
    return folder
