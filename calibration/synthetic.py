"""A generated arm with known joint terms and payload, and logs simulated from it (tests, demo, benchmark).

The arm has four hinge joints (base yaw, shoulder, elbow, wrist pitch) and a payload welded to the wrist.
:func:`simulate_log` runs a PD controller with gravity compensation at the log rate on *noisy* measurements
(so measurement noise is fed back, as on a real robot) and logs what a robot logs: noisy q and dq and the
applied torque with sensor noise (``mode="tau"``), or the position servos' set points (``mode="ctrl"``).
"""

from __future__ import annotations

from dataclasses import dataclass

import mujoco
import numpy as np

from calibration.trajectory import Trajectory
from twin.scene import Scene
from twin.shapes import Box, Capsule

JOINTS = ("yaw", "shoulder", "elbow", "wrist")
TRUTH = {
    **{f"joint/{j}/damping": v for j, v in zip(JOINTS, (0.8, 1.5, 0.6, 0.2))},
    **{f"joint/{j}/frictionloss": v for j, v in zip(JOINTS, (0.4, 0.8, 0.3, 0.1))},
    **{f"joint/{j}/armature": v for j, v in zip(JOINTS, (0.05, 0.12, 0.04, 0.01))},
    "body/payload/mass": 1.2,
}
"""The true values logs are simulated with (SI units)."""
NOMINAL = {"damping": 0.1, "frictionloss": 0.0, "armature": 0.01, "mass": 0.5}
"""What the arm's description file says (as far off as real description files are)."""
_KP = np.array([150.0, 400.0, 200.0, 40.0])
_KD = np.array([12.0, 25.0, 12.0, 2.0])


@dataclass(frozen=True)
class Noise:
    """Measurement noise standard deviations.

    Args:
        q: Joint position noise, rad.
        dq: Joint velocity noise, rad/s.
        tau: Torque sensor noise, N m.
    """

    q: float = 1e-4
    dq: float = 2e-3
    tau: float = 0.01


DEFAULT_NOISE = Noise()


def arm(values: dict[str, float] | None = None, *, servo: bool = False) -> Scene:
    """The arm with ``values`` (parameter name -> value; default: the nominal description-file values).

    Args:
        values: Joint terms and payload mass by parameter name; missing ones take :data:`NOMINAL`.
        servo: Position servos (kp, kd of the controller) instead of torque motors.
    """
    values = values or {}
    get = lambda name: values.get(name, NOMINAL[name.rsplit("/", 1)[1]])
    scene = Scene("sysid_arm", timestep=0.001)
    scene.spec.option.integrator = mujoco.mjtIntegrator.mjINT_IMPLICITFAST
    base = scene.add_body("base", pos=(0, 0, 0))
    scene.add_geom(base, Box((0.2, 0.2, 0.1)), name="base", pos=(0, 0, 0.05), mass=5.0)
    bodies = [
        ("turret", (0, 0, 0.1), (0, 0, 1), Capsule(0.06, 0.1), (0, 0, 0.1), 2.0),
        ("upper_arm", (0, 0, 0.2), (0, 1, 0), Capsule(0.04, 0.4), (0.2, 0, 0), 2.5),
        ("forearm", (0.4, 0, 0), (0, 1, 0), Capsule(0.035, 0.3), (0.15, 0, 0), 1.5),
        ("hand", (0.3, 0, 0), (0, 1, 0), Capsule(0.03, 0.1), (0.05, 0, 0), 0.5),
    ]
    parent = base
    for joint, (name, pos, axis, shape, centre, mass) in zip(JOINTS, bodies):
        body = scene.add_body(name, parent=parent, pos=pos)
        quat = (1, 0, 0, 0) if axis == (0, 0, 1) else (0.7071068, 0, 0.7071068, 0)  # capsules along x for the links
        scene.add_geom(body, shape, name=name, pos=centre, quat=quat, mass=mass)
        scene.add_hinge(
            body, joint, axis=axis, damping=get(f"joint/{joint}/damping"),
            frictionloss=get(f"joint/{joint}/frictionloss"), armature=get(f"joint/{joint}/armature"),
        )
        parent = body
    payload = scene.add_body("payload", parent=parent, pos=(0.12, 0, 0))
    scene.add_geom(payload, Box((0.06, 0.06, 0.06)), name="payload", mass=get("body/payload/mass"))
    for i, joint in enumerate(JOINTS):
        if servo:
            scene.add_position_actuator(joint, kp=_KP[i], kv=_KD[i], ctrlrange=(-6.3, 6.3))
        else:
            scene.add_motor(joint, ctrlrange=(-500.0, 500.0))
    scene.spec.option.disableflags |= mujoco.mjtDisableBit.mjDSBL_CONTACT  # a bare arm in free space
    return scene


def reference(t: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A multi-sine joint reference and its velocity, each shape (T, 4): 5 harmonics of 0.1 Hz per joint."""
    freqs = 0.1 * np.arange(1, 6) * 2 * np.pi
    amp = np.array([0.8, 0.5, 0.7, 1.0])[:, None] / np.arange(1, 6)[None, :] ** 0.5 / 2.0
    phase = rng.uniform(0, 2 * np.pi, size=(4, 5))
    arg = t[:, None, None] * freqs[None, None, :] + phase[None]
    q = (amp[None] * np.sin(arg)).sum(-1) + np.array([0.0, 0.3, -0.6, 0.0])
    dq = (amp[None] * freqs * np.cos(arg)).sum(-1)
    return q, dq


def simulate_log(
    values: dict[str, float] = TRUTH,
    *,
    seed: int = 0,
    duration: float = 10.0,
    noise: Noise = DEFAULT_NOISE,
    mode: str = "tau",
    source: str = "synthetic",
) -> Trajectory:
    """Simulate the arm with ``values`` under closed-loop PD control and log it at 1 kHz.

    Args:
        values: True parameter values (see :data:`TRUTH`).
        seed: Seeds the reference's phases and the noise.
        duration: Log length, s.
        noise: Measurement noise (fed back to the controller, then logged).
        mode: ``"tau"``: torque motors, the applied torque is logged (with sensor noise); ``"ctrl"``: position
            servos in the model, their set points are logged as ``ctrl``.
        source: Written into the trajectory's ``source``.
    """
    rng = np.random.default_rng(seed)
    servo = mode == "ctrl"
    model = arm(values, servo=servo).compile()
    nominal = arm().compile()
    data, gdata = mujoco.MjData(model), mujoco.MjData(nominal)
    n = round(duration / model.opt.timestep) + 1
    t = np.arange(n) * model.opt.timestep
    q_ref, dq_ref = reference(t, rng)
    data.qpos[:] = q_ref[0]
    data.qvel[:] = dq_ref[0]
    q_log, dq_log, tau_log = np.zeros((n, 4)), np.zeros((n, 4)), np.zeros((n, 4))
    for k in range(n):
        q_m = data.qpos + rng.normal(0, noise.q, 4)
        dq_m = data.qvel + rng.normal(0, noise.dq, 4)
        if servo:
            data.ctrl[:] = q_ref[k]
            mujoco.mj_forward(model, data)
            tau = data.qfrc_actuator.copy()
        else:
            gdata.qpos[:] = q_m
            mujoco.mj_forward(nominal, gdata)
            tau = _KP * (q_ref[k] - q_m) + _KD * (dq_ref[k] - dq_m) + gdata.qfrc_bias
            data.ctrl[:] = tau
        q_log[k], dq_log[k], tau_log[k] = q_m, dq_m, tau + rng.normal(0, noise.tau, 4)
        mujoco.mj_step(model, data)
    if servo:
        return Trajectory(t, JOINTS, q_log, dq_log, actuators=JOINTS, ctrl=q_ref, source=source)
    return Trajectory(t, JOINTS, q_log, dq_log, tau=tau_log, source=source)
