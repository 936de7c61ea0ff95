"""twin: the core of twin-builder.

The scene model (:mod:`twin.scene` over ``mujoco.MjSpec``), the ``twin.json`` manifest, the MJCF and USD
writers, sim-readiness validation, atomic outputs, the executor interface and the error hierarchy. This
package imports none of ``scans``, ``calibration``, ``asset_gen`` or ``cli``.
"""

import os as _os
import sys as _sys

# MuJoCo picks its OpenGL back end when it is first imported; a headless Linux machine has no display for
# the default (GLFW), so render through EGL unless the user chose otherwise.
if _sys.platform.startswith("linux") and not _os.environ.get("DISPLAY"):
    _os.environ.setdefault("MUJOCO_GL", "egl")

__version__ = "0.1.0"

__all__ = ["__version__"]
