"""Real data: the Franka Panda excitation log of Gaz et al. 2019 with the Menagerie inertials (panda_nohand.xml).

The log is split in time: the first 14 s are fitted, the last 7 s are held out. The published friction model is
a sigmoid whose full swing phi1 is the symmetric-Coulomb level times two (see the log's README).
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from calibration.column_map import mapped_logs
from calibration.run import run_sysid
from tests.conftest import REPO

PHI1 = np.array([0.54615, 0.87224, 0.64068, 1.2794, 0.83904, 0.30301, 0.56489])
"""Published friction swing per joint, N m (Gaz et al. 2019, get_FrictionTorque.m)."""


@pytest.mark.realdata
@pytest.mark.slow
def test_panda_gaz2019(shared_data, tmp_path):
    logs = shared_data / "robot_logs" / "panda_gaz2019"
    model = shared_data / "robots" / "panda_nomesh" / "panda_nohand.xml"
    (log,) = mapped_logs(REPO / "calibration" / "maps" / "panda_gaz2019.toml", logs)
    log = log.resampled()
    assert "resampled" in log.notes[-1]
    fit_part, held_out = log.window(0.0, 14.0), log.window(14.0, 30.0)
    result = run_sysid(model, [fit_part], tmp_path / "out", validate=held_out, n_starts=1)
    document = json.loads((tmp_path / "out" / "params.json").read_text())
    assert document["fit"]["input"] == "tau"  # position servos in the model: torques go in as qfrc_applied
    assert any("qfrc_applied" in note for note in document["fit"]["notes"])

    friction = {r["name"]: r["value"] for r in result.parameters if r["name"].endswith("frictionloss")}
    warm = np.array([document["fit"]["warm_start"][f"joint/joint{i}/frictionloss"] for i in range(1, 8)])
    # Stage 1 (inverse dynamics) lands within a factor of two of the published symmetric Coulomb level
    ratio = warm / (PHI1 / 2)
    assert np.all((ratio > 0.5) & (ratio < 2.0)), ratio
    # the fitted model predicts the held-out 0.2 s segments better than the nominal one on every joint
    v = result.validation
    assert np.all(v.rms_after < v.rms_before), (v.rms_before, v.rms_after)
    assert np.median(v.rms_before / v.rms_after) > 1.5
    print("fitted frictionloss", {k: round(x, 3) for k, x in friction.items()})
    print("warm-start frictionloss", np.round(warm, 3), "published phi1/2", np.round(PHI1 / 2, 3))
    print("held-out RMS before", np.round(v.rms_before, 4), "after", np.round(v.rms_after, 4))
    print("warnings", result.warnings)
