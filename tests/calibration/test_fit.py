"""Recovery of known truth on the generated arm: warm start, simulation-error fit, honest intervals."""

from __future__ import annotations

import numpy as np
import pytest

from calibration.fit import (
    channel_weights,
    fit,
    noise_whitening,
    solve_from,
    starts,
    torque_noise,
)
from calibration.parameters import resolve_parameters
from calibration.replay import initial_states, prepare_replay
from calibration.segments import build_segments
from calibration.signals import noise_std, smooth
from calibration.simulate import Problem, residuals
from calibration.synthetic import DEFAULT_NOISE, TRUTH, Noise, arm, simulate_log
from calibration.uncertainty import intervals
from calibration.warm_start import warm_start

SPEC = "joint/*/damping,joint/*/frictionloss,joint/*/armature,body/payload/mass"


def _problem(mode: str = "tau", seed: int = 1, duration: float = 6.0, noise: Noise = DEFAULT_NOISE):
    log = simulate_log(seed=seed, duration=duration, mode=mode, noise=noise)
    model = arm(servo=mode == "ctrl").compile()
    replay = prepare_replay(model, [log])
    smoothed = [smooth(log)]
    params = resolve_parameters(SPEC, model, joints=log.joints)
    segments = build_segments(replay, [log], smoothed)
    sigma = np.maximum(noise_std(np.concatenate([log.q, log.dq], axis=1)), 1e-6)
    truth = np.array([TRUTH[name] for name in params.names])
    return log, replay, smoothed, params, Problem(replay, params, segments, 1.0 / sigma), truth


def _fit(problem, replay, params, log, smoothed):
    warm = warm_start(replay, params, [log], smoothed)
    problem = problem.with_weights(np.minimum(problem.weights, channel_weights(problem, warm.values)))
    result = fit(problem, starts(warm.values, params.nominal, 1, np.random.default_rng(0), params.lower, params.upper))
    unc = intervals(result.values, result.jacobian, result.residual, problem.segments.count, lower=params.lower, upper=params.upper)
    return warm, result, unc


def test_rollout_has_no_lag_and_holds_inputs():
    """With noise-free logs and exact start states, replaying the true values reproduces the log exactly."""
    log, replay, _, params, problem, truth = _problem(noise=Noise(0.0, 0.0, 0.0), duration=1.0)
    seg = problem.segments
    exact = initial_states(replay, log.q[seg.start], log.dq[seg.start])
    problem = Problem(replay, params, type(seg)(**{**seg.__dict__, "states": exact}), np.ones(len(seg.channels)))
    r = np.abs(residuals(problem, truth)).reshape(seg.count, seg.length, -1)
    assert r[:, :10].max() < 1e-12  # a one-step lag or interpolated inputs would show at once
    assert r[..., :4].max() < 1e-6 and r.max() < 1e-4  # the friction solver's warm start differs a little later on
    assert np.abs(residuals(problem, params.nominal)).max() > 1e-3


def test_torque_logs_recover_truth():
    log, replay, smoothed, params, problem, truth = _problem("tau")
    warm, result, unc = _fit(problem, replay, params, log, smoothed)
    assert np.median(np.abs(warm.values - truth) / truth) < 0.1
    error = np.abs(result.values - truth) / truth
    assert np.median(error) <= 0.05 and error.max() <= 0.1
    assert np.all(unc.std > 0) and np.all(unc.ci95[:, 0] <= result.values) and np.all(result.values <= unc.ci95[:, 1])
    # whitened residuals with the start states estimated: the naive std agrees with the cluster-robust one
    assert 0.5 < np.median(unc.std / np.sqrt(np.diag(unc.naive_covariance))) < 2.0


def test_servo_logs_recover_truth():
    log, replay, smoothed, params, problem, truth = _problem("ctrl", seed=3)
    assert replay.mode == "ctrl"
    _, result, _ = _fit(problem, replay, params, log, smoothed)
    assert np.median(np.abs(result.values - truth) / truth) <= 0.05


def test_torque_noise_whitening_gives_unit_variance():
    """Closed-loop torque logs: the sensor noise is told from the fed-back measurement noise; whitened residuals are white."""
    *_, problem, truth = _problem(duration=2.0)
    assert np.allclose(torque_noise(problem), DEFAULT_NOISE.tau, rtol=0.2)  # a plain noise estimate of tau gives up to 6x
    offsets = np.zeros((problem.segments.count, 8))
    whitened = problem.with_whitening(noise_whitening(problem, truth, offsets))
    result = solve_from(whitened, truth)
    dof = whitened.size - len(truth) - result.offsets.size
    assert 0.9 < float(result.residual @ result.residual) / dof < 1.1
    assert np.abs(result.offsets[:, 4:]).max() > 10 * DEFAULT_NOISE.dq / np.sqrt(50)  # the smoothed start velocities were off


@pytest.mark.slow
def test_intervals_cover_truth_over_noise_seeds():
    """Over repeated noise seeds the truth falls inside the 95% interval in >= 80% of runs (per parameter, pooled)."""
    inside, naive_inside = [], []
    for seed in range(10, 20):
        log, replay, smoothed, params, problem, truth = _problem("tau", seed=seed, duration=6.0)
        _, result, unc = _fit(problem, replay, params, log, smoothed)
        inside.append((unc.ci95[:, 0] <= truth) & (truth <= unc.ci95[:, 1]))
        naive = unc.t95 * np.sqrt(np.diag(unc.naive_covariance))
        naive_inside.append(np.abs(result.values - truth) <= naive)
    coverage, naive_coverage = np.mean(inside), np.mean(naive_inside)
    assert coverage >= 0.8, coverage
    assert naive_coverage < coverage, (naive_coverage, coverage)


def test_a_prior_adds_one_residual_and_pulls():
    log, replay, smoothed, _, problem, truth = _problem(duration=1.0)
    params = resolve_parameters(SPEC, arm().compile(), joints=log.joints, priors={"joint/wrist/armature": (0.5, 1e-4)})
    with_prior = Problem(replay, params, problem.segments, problem.weights)
    r = residuals(with_prior, truth)
    assert r.size == problem.size + 1 and r[-1] == pytest.approx((truth[11] - 0.5) / 1e-4)
    result = fit(with_prior, truth[None])
    assert result.values[11] > 0.4  # the (absurdly tight) prior wins over the data
