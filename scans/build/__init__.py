"""``twin build``: a scan directory in, a segmented, gravity-aligned, collision-ready twin out.

Stages, one module each: :mod:`~scans.build.fusion` (TSDF), :mod:`~scans.build.gravity` (floor and
``capture_to_world``), :mod:`~scans.build.structure` (floor and wall boxes), :mod:`~scans.build.segment`
(clusters split on supports), :mod:`~scans.build.objects` (primitives, hulls, mass),
:mod:`~scans.build.decompose` (CoACD), :mod:`~scans.build.placement` (overlaps, settling),
:mod:`~scans.build.pipeline` (assembly) and :mod:`~scans.build.metrics` (against synthetic ground truth).
"""

from scans.build.config import MATERIALS, BuildConfig, load_config
from scans.build.pipeline import BuildResult, build_twin

__all__ = ["MATERIALS", "BuildConfig", "BuildResult", "build_twin", "load_config"]
