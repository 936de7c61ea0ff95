"""Build the Stage 2 problem: short segments of the logs, each re-initialised from the smoothed log.

Replaying a long closed-loop log open loop diverges even with the true parameters, so the logs are cut into
segments (0.2 s by default) that start from the smoothed state (not the raw one: under closed-loop control the
controller fed back the same noise, and starting from it biases inertial terms). A segment's targets are the
measured positions (and velocities, when logged) at the following log samples.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from calibration.replay import Replay, control_array, initial_states
from calibration.signals import Smoothed
from calibration.trajectory import Trajectory

SEGMENT = 0.2
"""Default segment length, s."""


@dataclass(frozen=True)
class Segments:
    """Segments of one or more logs, ready for batched rollouts.

    Args:
        states: Initial full physics states, shape (S, nstate).
        controls: Control vectors per simulation step (``ctrl`` then ``qfrc_applied``), shape (S, L * substeps, nu + nv).
        targets: Measured channels at the L log samples after each start, shape (S, L, C).
        channels: Channel names, ``q.<joint>`` then ``dq.<joint>`` when velocities were logged, length C.
        log_index: Which log each segment comes from, shape (S,).
        start: The log sample each segment starts at, shape (S,).
        substeps: Simulation steps per log sample.
        dt: Log period, s.
    """

    states: np.ndarray
    controls: np.ndarray
    targets: np.ndarray
    channels: tuple[str, ...]
    log_index: np.ndarray
    start: np.ndarray
    substeps: int
    dt: float

    @property
    def count(self) -> int:
        """Number of segments S."""
        return int(self.states.shape[0])

    @property
    def length(self) -> int:
        """Log samples per segment L."""
        return int(self.targets.shape[1])


def build_segments(
    replay: Replay,
    logs: list[Trajectory],
    smoothed: list[Smoothed],
    *,
    segment: float = SEGMENT,
    edge: int | None = None,
    velocity: bool = True,
) -> Segments:
    """Cut uniformly sampled logs into non-overlapping segments of ``segment`` s.

    Args:
        replay: How the model replays these logs.
        logs: Uniformly sampled logs with the replay's period.
        smoothed: Their smoothed signals (initial states come from these).
        segment: Segment length, s.
        edge: Samples skipped at each end of a log (default: half the smoothing window).
        velocity: Include logged velocities as channels (when the logs have them).
    """
    length = max(2, round(segment / logs[0].dt))
    use_dq = velocity and logs[0].dq is not None
    channels = tuple(f"q.{j}" for j in replay.joints) + (tuple(f"dq.{j}" for j in replay.joints) if use_dq else ())
    states, controls, targets, log_index, starts = [], [], [], [], []
    for k, (log, sm) in enumerate(zip(logs, smoothed)):
        skip = sm.window // 2 if edge is None else edge
        control = control_array(replay, log)
        measured = np.concatenate([log.q, log.dq], axis=1) if use_dq else log.q
        begin = np.arange(skip, log.n_samples - skip - length, length)
        if begin.size == 0:
            continue
        states.append(initial_states(replay, sm.q[begin], sm.dq[begin]))
        index = begin[:, None] + np.arange(length)[None, :]
        controls.append(np.repeat(control[index], replay.substeps, axis=1))
        targets.append(measured[index + 1])
        log_index.append(np.full(begin.size, k))
        starts.append(begin)
    return Segments(
        states=np.concatenate(states),
        controls=np.concatenate(controls),
        targets=np.concatenate(targets),
        channels=channels,
        log_index=np.concatenate(log_index),
        start=np.concatenate(starts),
        substeps=replay.substeps,
        dt=logs[0].dt,
    )
