"""Warnings about what the logs cannot identify."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from calibration.checks import check_excitation, check_frozen
from calibration.parameters import resolve_parameters
from calibration.signals import smooth
from calibration.synthetic import arm, simulate_log


def test_a_joint_that_does_not_move_is_named():
    log = simulate_log(seed=5, duration=2.0)
    q = log.q.copy()
    q[:, 3] = 0.3  # the wrist is held still
    dq = log.dq.copy()
    dq[:, 3] = 0.0
    log = replace(log, q=q, dq=dq)
    params = resolve_parameters(None, arm().compile(), joints=log.joints)
    warnings = check_excitation([log], [smooth(log)], params)
    assert warnings == [
        (
            "joint 'wrist' barely moves (RMS speed 0): joint/wrist/damping, joint/wrist/frictionloss, "
            "joint/wrist/armature cannot be identified from these logs"
        )
    ]


def test_one_direction_only_confounds_friction():
    log = simulate_log(seed=5, duration=2.0)
    t = log.time
    q = log.q.copy()
    q[:, 0] = 0.5 * t
    dq = log.dq.copy()
    dq[:, 0] = 0.5
    log = replace(log, q=q, dq=dq)
    params = resolve_parameters("joint/yaw/frictionloss", arm().compile(), joints=log.joints)
    (warning,) = check_excitation([log], [smooth(log)], params)
    assert warning.startswith("joint 'yaw' reverses direction 0 time(s): joint/yaw/frictionloss is confounded")


def test_huge_armature_is_reported_as_a_frozen_joint():
    model = arm().compile()
    params = resolve_parameters("joint/wrist/armature,joint/elbow/armature", model)
    warnings = check_frozen(model, ("yaw", "shoulder", "elbow", "wrist"), np.zeros(4), params, np.array([50.0, 0.05]))
    assert len(warnings) == 1 and warnings[0].startswith("joint/wrist/armature = 50 kg m^2 is ")
