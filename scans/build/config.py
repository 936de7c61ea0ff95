"""Build settings: one frozen dataclass, optionally read from a TOML file (``twin build --config FILE``).

Example file::

    voxel = 0.02
    small_objects = "static"        # or "drop"
    max_convex_hulls = 8            # CoACD's hull budget per object
    concavity = 0.1                 # CoACD's concavity threshold (lower: more, tighter parts)
    [material]                      # every scanned object gets this material
    name = "cardboard"
    density = 250.0                 # kg/m^3
    friction = 0.5
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import tomllib

from scans.build.fusion import POSE_SOURCES
from twin.errors import InputError
from twin.scene import Material

MATERIALS = {
    "cardboard": Material("scan_cardboard", friction=0.5, rgba=(0.72, 0.58, 0.40, 1.0), density=250.0),
    "wood": Material("scan_wood", friction=0.6, rgba=(0.70, 0.55, 0.35, 1.0), density=600.0),
    "plastic": Material("scan_plastic", friction=0.4, rgba=(0.3, 0.4, 0.8, 1.0), density=950.0),
    "steel": Material("scan_steel", friction=0.5, rgba=(0.6, 0.6, 0.62, 1.0), density=7850.0),
}
"""Built-in materials by name; a scanned solid's mass is its hull volume times the density."""

METHODS = ("tsdf", "nerfstudio")
"""How an RGB-D capture becomes a surface."""


@dataclass(frozen=True)
class BuildConfig:
    """Settings of ``twin build``.

    Args:
        voxel: TSDF voxel and point spacing, m.
        depth_max: Depth beyond this is not fused, m.
        max_frames: Fuse at most this many frames (None: all).
        stride: Fuse every ``stride``-th frame.
        seed: RANSAC seed.
        material: Material name (see :data:`MATERIALS`) or ``"custom"`` with ``density``/``friction``.
        density: Overrides the material's density, kg/m^3.
        friction: Overrides the material's friction.
        min_object_volume: Smaller pieces are "small objects", m^3.
        small_objects: ``"drop"`` them or keep them as ``"static"`` clutter.
        wall_thickness: Thickness of structure boxes behind the observed surface, m; also how far apart two
            parallel planes may be and still be merged into one wall.
        max_convex_hulls: Hull budget of the convex decomposition (CoACD) of an object no primitive fits.
        concavity: CoACD's concavity threshold (0.01-1, a fraction of the object's size: CoACD scales each
            object to a unit box; lower gives more, tighter parts and takes longer).
        decomposition_timeout: Seconds CoACD may spend on one object before its convex hull is used.
        settle_time: Seconds objects are simulated while placing them (the validation's settle time).
        method: How an RGB-D capture becomes a surface: ``"tsdf"`` (fusion, the default) or ``"nerfstudio"``
            (train and export with nerfstudio; needs a CUDA GPU and the ``gpu`` extra).
        poses: ``"auto"`` (the capture's poses, estimated by RGB-D odometry when it has none), ``"given"``
            (the capture's only) or ``"estimate"`` (always estimated, the capture's ignored).
        nerf_iterations: Training iterations of the nerfstudio method.
    """

    voxel: float = 0.01
    depth_max: float = 5.0
    max_frames: int | None = None
    stride: int = 1
    seed: int = 0
    material: str = "cardboard"
    density: float | None = None
    friction: float | None = None
    min_object_volume: float = 0.001
    small_objects: str = "drop"
    wall_thickness: float = 0.1
    max_convex_hulls: int = 8
    concavity: float = 0.1
    decomposition_timeout: float = 30.0
    settle_time: float = 2.0
    method: str = "tsdf"
    poses: str = "auto"
    nerf_iterations: int = 30000

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):  # a TOML file can hold any type: say which setting is wrong
            value, kind = getattr(self, f.name), f.type
            if value is None and "None" in kind:
                continue
            if kind.startswith("int") and (isinstance(value, bool) or not isinstance(value, int)):
                raise InputError(f"setting '{f.name}' must be a whole number, got {value!r}")
            if kind.startswith("float") and (isinstance(value, bool) or not isinstance(value, (int, float))):
                raise InputError(f"setting '{f.name}' must be a number, got {value!r}")
            if kind.startswith("str") and not isinstance(value, str):
                raise InputError(f"setting '{f.name}' must be text, got {value!r}")
        if self.seed < 0 or not self.depth_max > 0 or not self.wall_thickness > 0:
            raise InputError(f"seed must be >= 0, depth_max and wall_thickness > 0 m, got {self.seed}, "
                             f"{self.depth_max} and {self.wall_thickness}")
        if not 0.001 <= self.voxel <= 0.2:
            raise InputError(f"voxel must be in [0.001, 0.2] m, got {self.voxel}")
        if self.stride < 1 or (self.max_frames is not None and self.max_frames < 1):
            raise InputError(f"stride and max_frames must be >= 1, got {self.stride} and {self.max_frames}")
        if self.small_objects not in ("drop", "static"):
            raise InputError(f"small_objects must be 'drop' or 'static', got {self.small_objects!r}")
        if self.method not in METHODS:
            raise InputError(f"unknown method {self.method!r}; valid: {', '.join(METHODS)}")
        if self.poses not in POSE_SOURCES:
            raise InputError(f"unknown poses {self.poses!r}; valid: {', '.join(POSE_SOURCES)}")
        if self.nerf_iterations < 1:
            raise InputError(f"nerf_iterations must be >= 1, got {self.nerf_iterations}")
        if not 1 <= self.max_convex_hulls <= 64:
            raise InputError(f"max_convex_hulls must be in [1, 64], got {self.max_convex_hulls}")
        if not 0.01 <= self.concavity <= 1.0:
            raise InputError(f"concavity must be in [0.01, 1], got {self.concavity}")
        if not self.decomposition_timeout > 0 or not self.settle_time >= 0:
            raise InputError(f"decomposition_timeout must be > 0 s and settle_time >= 0 s, got "
                             f"{self.decomposition_timeout} and {self.settle_time}")
        if self.material not in MATERIALS and not (self.material == "custom" and self.density):
            raise InputError(f"unknown material {self.material!r}; valid: {', '.join(sorted(MATERIALS))}, "
                             "or 'custom' with a density")

    def object_material(self) -> Material:
        """The material every scanned object gets (with the overrides applied)."""
        base = MATERIALS.get(self.material, Material("scan_custom", density=self.density or 1000.0))
        return dataclasses.replace(base, density=self.density or base.density,
                                   friction=base.friction if self.friction is None else self.friction)


def load_config(path: str | Path, **overrides) -> BuildConfig:
    """Read a TOML config; keyword ``overrides`` (not None) win over the file.

    Raises:
        InputError: unreadable TOML or an unknown key (the valid keys are listed).
    """
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise InputError(f"cannot read the config ({exc})", path) from None
    material = data.pop("material", None)
    if isinstance(material, dict):
        data["material"] = material.get("name", "custom")
        for key in ("density", "friction"):
            if key in material:
                data[key] = material[key]
    elif material is not None:
        data["material"] = material
    valid = {f.name for f in dataclasses.fields(BuildConfig)}
    unknown = sorted(set(data) - valid)
    if unknown:
        raise InputError(f"unknown setting(s) {', '.join(unknown)}; valid: {', '.join(sorted(valid))}", path)
    try:
        BuildConfig(**data)  # the file's own values, so a wrong one is reported against the file
    except InputError as exc:
        raise InputError(str(exc), path) from None
    data.update({k: v for k, v in overrides.items() if v is not None})
    return BuildConfig(**data)
