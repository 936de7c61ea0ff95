"""Parameter names, wildcards, bounds, priors, and writing values into models and MJCF."""

from __future__ import annotations

import math

import mujoco
import numpy as np
import pytest

from calibration.errors import ParameterError
from calibration.parameters import DEFAULT_SPEC, apply_to_model, apply_to_spec, resolve_parameters
from calibration.synthetic import arm


@pytest.fixture(scope="module")
def model():
    return arm().compile()


def test_default_is_three_joint_terms_per_joint(model):
    params = resolve_parameters(None, model)
    assert len(params) == 12
    assert params.names[:4] == tuple(f"joint/{j}/damping" for j in ("yaw", "shoulder", "elbow", "wrist"))
    assert resolve_parameters(DEFAULT_SPEC, model).names == params.names
    assert params.parameters[0].unit == "N m s/rad" and params.parameters[4].unit == "N m"
    np.testing.assert_allclose(params.nominal[:4], 0.1)


def test_bounds_are_physical_not_multiples_of_nominal(model):
    params = resolve_parameters("joint/*/armature,body/payload/mass", model)
    assert np.all(params.lower[:4] == 0.0) and np.all(np.isinf(params.upper))
    assert params.lower[-1] > 0 and params.parameters[-1].unit == "kg"


def test_wildcards_restricted_to_logged_joints_and_priors(model):
    params = resolve_parameters("joint/*/damping", model, joints=("yaw", "elbow"), priors={"joint/*/damping": (1.0, 0.5)})
    assert params.names == ("joint/yaw/damping", "joint/elbow/damping")
    assert params.parameters[0].prior == (1.0, 0.5)


@pytest.mark.parametrize(
    ("spec", "joints", "message"),
    [
        ("joint/elbw/damping", None, "parameter 'joint/elbw/damping' matches nothing; the model's hinge or slide joints are: yaw, shoulder, elbow, wrist"),
        ("joint/wrist/damping", ("yaw",), "parameter 'joint/wrist/damping': joint 'wrist' is not in the logs; the logged joints are: yaw"),
        ("joint/*/stiffness", None, "parameter 'joint/*/stiffness': a joint has no fitted attribute 'stiffness'; valid: damping, frictionloss, armature"),
        ("link/*/mass", None, "parameter 'link/*/mass' is not <kind>/<element>/<attribute>; valid forms: joint/<name>/damping, joint/<name>/frictionloss, joint/<name>/armature, body/<name>/mass, geom/<name>/friction"),
        ("body/nothing/mass", None, "parameter 'body/nothing/mass' matches nothing; the model's bodies are: base, turret, upper_arm, forearm, hand, payload"),
    ],
)
def test_bad_names(model, spec, joints, message):
    with pytest.raises(ParameterError) as exc:
        resolve_parameters(spec, model, joints=joints)
    assert str(exc.value) == message


def test_apply_to_model_scales_inertia_with_mass(model):
    params = resolve_parameters("joint/elbow/frictionloss,body/payload/mass,geom/payload/friction", model)
    copy = mujoco.MjModel.from_xml_string(arm().spec.to_xml())
    body = mujoco.mj_name2id(copy, mujoco.mjtObj.mjOBJ_BODY, "payload")
    inertia = copy.body_inertia[body].copy()
    apply_to_model(params, np.array([0.7, 1.0, 0.4]), copy)
    assert copy.dof_frictionloss[2] == 0.7 and copy.body_mass[body] == 1.0
    np.testing.assert_allclose(copy.body_inertia[body], inertia * 2.0)
    assert copy.geom_friction[mujoco.mj_name2id(copy, mujoco.mjtObj.mjOBJ_GEOM, "payload"), 0] == 0.4


def test_apply_to_spec_round_trips_through_xml(model):
    params = resolve_parameters("joint/*/damping,joint/*/armature,body/payload/mass", model)
    values = np.linspace(0.2, 1.5, len(params))
    spec = arm().spec
    apply_to_spec(params, values, spec)
    again = mujoco.MjModel.from_xml_string(spec.to_xml())
    back = resolve_parameters("joint/*/damping,joint/*/armature,body/payload/mass", again)
    np.testing.assert_allclose(back.nominal, values, rtol=1e-9)
    body = mujoco.mj_name2id(again, mujoco.mjtObj.mjOBJ_BODY, "payload")
    np.testing.assert_allclose(again.body_inertia[body], model.body_inertia[body] * values[-1] / model.body_mass[body], rtol=1e-6)
    assert not math.isnan(again.body_inertia[body][0])
