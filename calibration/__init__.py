"""System identification for ``twin sysid``: fit joint friction, damping, armature and masses to robot logs.

Read logs into a :class:`Trajectory` (:mod:`calibration.readers`, :mod:`calibration.column_map`), name the
parameters (:mod:`calibration.parameters`), warm-start from inverse dynamics (:mod:`calibration.warm_start`),
refine on simulation error over re-initialised segments (:mod:`calibration.segments`, :mod:`calibration.simulate`,
:mod:`calibration.fit`), get honest intervals (:mod:`calibration.uncertainty`), validate on held-out logs
(:mod:`calibration.validation`) and write the outputs (:func:`run_sysid`). Objects: tracked pose logs of a free
body (:mod:`calibration.object_logs`) fit its sliding friction and mass (:func:`run_object_sysid`). Imports only :mod:`twin`; scipy
(extra ``sysid``) is needed for the fit, matplotlib (extra ``report``) for plots.
"""

from calibration.errors import (
    BadSampleError,
    ColumnMapError,
    LogError,
    ParameterError,
    ShortLogError,
    TimestampError,
    UnitError,
    UnknownNameError,
)
from calibration.object_logs import ObjectTrajectory, read_object_log, read_object_logs
from calibration.parameters import (
    DEFAULT_SPEC,
    Parameter,
    ParameterSet,
    resolve_parameters,
)
from calibration.trajectory import Trajectory

__all__ = [
    "DEFAULT_SPEC",
    "BadSampleError",
    "ColumnMapError",
    "LogError",
    "ObjectTrajectory",
    "Parameter",
    "ParameterError",
    "ParameterSet",
    "ShortLogError",
    "TimestampError",
    "Trajectory",
    "UnitError",
    "UnknownNameError",
    "read_object_log",
    "read_object_logs",
    "resolve_parameters",
    "run_object_sysid",
    "run_sysid",
]


def __getattr__(name: str):
    if name == "run_sysid":  # scipy and the report load only when a fit runs
        from calibration.run import run_sysid

        return run_sysid
    if name == "run_object_sysid":
        from calibration.object_run import run_object_sysid

        return run_object_sysid
    raise AttributeError(name)
