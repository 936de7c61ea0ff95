"""The in-memory twin: a small builder over :class:`mujoco.MjSpec`.

``MjSpec`` is the source of truth; :class:`Scene` only adds the project's conventions so every capability
builds scenes the same way:

- SI units, radians, z up, the floor's top at z = 0;
- static structure is geoms on the world body (never simulated, never given mass);
- free objects are bodies with a free joint and one collider with an explicit mass;
- articulated bodies have hinge/slide joints with limits, and actuators always carry a ``ctrlrange``;
- meshes always use exact inertia (the legacy computation overcounts non-convex meshes badly);
- friction comes from :class:`Material`; an elliptic friction cone with a high ``impratio`` so objects
  resting on slopes do not creep.

Example:
    >>> from twin.scene import Scene
    >>> from twin.shapes import Box
    >>> scene = Scene("cell")
    >>> _ = scene.add_floor((4.0, 4.0))
    >>> box = scene.add_free_object("box", Box((0.3, 0.2, 0.2)), pos=(0, 0, 0.1), mass=2.0)
    >>> round(float(scene.compile().body_mass[1]), 3)
    2.0
"""

from __future__ import annotations

from dataclasses import dataclass

import mujoco
import numpy as np

from twin.errors import ModelError
from twin.shapes import Box, Capsule, Cylinder, Mesh, Shape, Sphere
from twin.transforms import IDENTITY_QUAT


@dataclass(frozen=True)
class Material:
    """Surface and bulk properties of a geom.

    Args:
        name: Unique material name.
        friction: Sliding friction coefficient (dimensionless).
        rgba: Display colour, each channel in [0, 1].
        density: Bulk density in kg/m^3, used where no explicit mass is given.
    """

    name: str
    friction: float = 1.0
    rgba: tuple[float, float, float, float] = (0.7, 0.7, 0.7, 1.0)
    density: float = 1000.0

    def __post_init__(self) -> None:
        if not self.name:
            raise ModelError("Material.name must not be empty")
        if not np.isfinite(self.friction) or self.friction < 0:
            raise ModelError(f"Material '{self.name}': friction must be >= 0, got {self.friction!r}")
        if not np.isfinite(self.density) or self.density <= 0:
            raise ModelError(f"Material '{self.name}': density must be > 0 kg/m^3, got {self.density!r}")
        if len(self.rgba) != 4 or not all(0.0 <= c <= 1.0 for c in self.rgba):
            raise ModelError(f"Material '{self.name}': rgba needs 4 channels in [0, 1], got {self.rgba!r}")


DEFAULT_MATERIAL = Material("default")

_TORSIONAL_FRICTION = 0.005
_ROLLING_FRICTION = 0.0001


class Scene:
    """Builds a twin scene on a :class:`mujoco.MjSpec` with the project's conventions.

    Args:
        name: Model name written into the MJCF.
        timestep: Simulation timestep in s.
    """

    def __init__(self, name: str = "twin", *, timestep: float = 0.002):
        if not timestep > 0:
            raise ModelError(f"timestep must be > 0 s, got {timestep!r}")
        spec = mujoco.MjSpec()
        spec.modelname = name
        spec.compiler.degree = False
        spec.compiler.autolimits = True
        spec.option.timestep = timestep
        spec.option.integrator = mujoco.mjtIntegrator.mjINT_IMPLICITFAST
        spec.option.cone = mujoco.mjtCone.mjCONE_ELLIPTIC
        spec.option.impratio = 10.0
        light = spec.worldbody.add_light(name="sun", pos=[0.0, 0.0, 6.0], dir=[0.2, 0.3, -1.0])
        light.type = mujoco.mjtLightType.mjLIGHT_DIRECTIONAL
        self.spec = spec
        self._materials: dict[str, Material] = {}
        self._meshes: dict[str, Mesh] = {}
        self.add_material(DEFAULT_MATERIAL)

    # -- materials and assets -------------------------------------------------------------------------------

    def add_material(self, material: Material) -> Material:
        """Register ``material`` (idempotent for an identical one; a different one with the same name fails)."""
        known = self._materials.get(material.name)
        if known is not None:
            if known != material:
                raise ModelError(f"material '{material.name}' is already defined with other values")
            return known
        self.spec.add_material(name=material.name, rgba=list(material.rgba))
        self._materials[material.name] = material
        return material

    def material(self, name: str) -> Material:
        """The registered material called ``name``."""
        try:
            return self._materials[name]
        except KeyError:
            raise ModelError(f"unknown material '{name}'; known: {sorted(self._materials)}") from None

    def _mesh_asset(self, mesh: Mesh) -> str:
        known = self._meshes.get(mesh.name)
        if known is mesh:
            return mesh.name
        if known is not None:
            raise ModelError(f"another mesh is already called '{mesh.name}'")
        asset = self.spec.add_mesh(name=mesh.name)
        asset.uservert = mesh.vertices.ravel().tolist()
        asset.userface = mesh.faces.ravel().tolist()
        asset.inertia = mujoco.mjtMeshInertia.mjMESH_INERTIA_SHELL if mesh.shell else mujoco.mjtMeshInertia.mjMESH_INERTIA_EXACT
        self._meshes[mesh.name] = mesh
        return mesh.name

    @property
    def meshes(self) -> dict[str, Mesh]:
        """Meshes used by the scene, by asset name."""
        return dict(self._meshes)

    # -- geometry -------------------------------------------------------------------------------------------

    def add_geom(
        self,
        body: mujoco.MjsBody,
        shape: Shape,
        *,
        name: str | None = None,
        pos=(0.0, 0.0, 0.0),
        quat=IDENTITY_QUAT,
        material: Material | None = None,
        mass: float | None = None,
        collide: bool = True,
    ) -> mujoco.MjsGeom:
        """Add a geom of ``shape`` to ``body`` at ``pos``/``quat`` in the body frame.

        Args:
            mass: Mass in kg; when None the material's density gives it.
            collide: False makes a visual-only geom (no contacts, no mass).
        """
        material = self.add_material(material or DEFAULT_MATERIAL)
        geom = body.add_geom(pos=list(pos), quat=list(quat))
        if name:
            geom.name = name
        if isinstance(shape, Box):
            geom.type = mujoco.mjtGeom.mjGEOM_BOX
            geom.size = [s / 2 for s in shape.size]
        elif isinstance(shape, Sphere):
            geom.type = mujoco.mjtGeom.mjGEOM_SPHERE
            geom.size = [shape.radius, 0, 0]
        elif isinstance(shape, Cylinder):
            geom.type = mujoco.mjtGeom.mjGEOM_CYLINDER
            geom.size = [shape.radius, shape.height / 2, 0]
        elif isinstance(shape, Capsule):
            geom.type = mujoco.mjtGeom.mjGEOM_CAPSULE
            geom.size = [shape.radius, shape.length / 2, 0]
        elif isinstance(shape, Mesh):
            geom.type = mujoco.mjtGeom.mjGEOM_MESH
            geom.meshname = self._mesh_asset(shape)
        else:
            raise ModelError(f"unsupported shape {type(shape).__name__}")
        geom.material = material.name
        geom.rgba = list(material.rgba)
        geom.friction = [material.friction, _TORSIONAL_FRICTION, _ROLLING_FRICTION]
        geom.density = material.density
        if mass is not None:
            if not np.isfinite(mass) or mass <= 0:
                raise ModelError(f"geom '{name or '?'}': mass must be > 0 kg, got {mass!r}")
            geom.mass = float(mass)
        if not collide:
            geom.contype = 0
            geom.conaffinity = 0
            geom.group = 1
            geom.mass = 0.0
            geom.density = 0.0
        return geom

    def add_static(self, name: str, shape: Shape, *, pos, quat=IDENTITY_QUAT, material: Material | None = None):
        """Add static structure (a floor, a wall, a fixed rack): a massless geom on the world body."""
        geom = self.add_geom(self.spec.worldbody, shape, name=name, pos=pos, quat=quat, material=material)
        geom.density = 0.0
        return geom

    def add_plane(self, name: str, *, size_xy=(0.0, 0.0), pos=(0.0, 0.0, 0.0), quat=IDENTITY_QUAT, material=None):
        """Add a static collision plane through ``pos`` with normal +z of ``quat``'s frame.

        Args:
            size_xy: Rendered extents in m; (0, 0) draws it infinite. It always collides as infinite.
        """
        material = self.add_material(material or DEFAULT_MATERIAL)
        geom = self.spec.worldbody.add_geom(name=name, type=mujoco.mjtGeom.mjGEOM_PLANE, pos=list(pos), quat=list(quat))
        geom.size = [size_xy[0] / 2, size_xy[1] / 2, 0.05]
        geom.material = material.name
        geom.rgba = list(material.rgba)
        geom.friction = [material.friction, _TORSIONAL_FRICTION, _ROLLING_FRICTION]
        return geom

    def add_floor(self, size_xy=(10.0, 10.0), *, thickness: float = 0.1, material: Material | None = None):
        """Add the floor as a static box of ``thickness`` m whose top face is z = 0."""
        return self.add_static(
            "floor", Box((size_xy[0], size_xy[1], thickness)), pos=(0.0, 0.0, -thickness / 2), material=material
        )

    # -- bodies ---------------------------------------------------------------------------------------------

    def _unique_body_name(self, name: str) -> None:
        if not name:
            raise ModelError("bodies must be named")
        if self.spec.body(name) is not None:
            raise ModelError(f"a body called '{name}' already exists")

    def add_body(self, name: str, *, parent: mujoco.MjsBody | None = None, pos=(0.0, 0.0, 0.0), quat=IDENTITY_QUAT):
        """Add a named body under ``parent`` (the world when None); without joints it is welded to the parent."""
        self._unique_body_name(name)
        parent = parent if parent is not None else self.spec.worldbody
        return parent.add_body(name=name, pos=list(pos), quat=list(quat))

    def add_free_object(
        self,
        name: str,
        shape: Shape,
        *,
        pos,
        quat=IDENTITY_QUAT,
        mass: float | None = None,
        material: Material | None = None,
    ) -> mujoco.MjsBody:
        """Add a free-floating rigid object with one collider named ``name``.

        Args:
            pos: Position of the shape's frame in the world, m.
            mass: Total mass in kg (density of ``material`` when None).
        """
        body = self.add_free_body(name, pos=pos, quat=quat)
        self.add_geom(body, shape, name=name, material=material, mass=mass)
        return body

    def add_free_body(self, name: str, *, pos, quat=IDENTITY_QUAT) -> mujoco.MjsBody:
        """Add an empty free-floating body; give it colliders with :meth:`add_geom` (e.g. an open tote)."""
        body = self.add_body(name, pos=pos, quat=quat)
        body.add_freejoint(name=name)
        return body

    # -- joints and actuators -------------------------------------------------------------------------------

    def _add_joint(self, kind, body, name, axis, limits, pos, damping, armature, frictionloss):
        if self.spec.joint(name) is not None:
            raise ModelError(f"a joint called '{name}' already exists")
        axis = np.asarray(axis, dtype=float)
        if axis.shape != (3,) or not np.linalg.norm(axis) > 0:
            raise ModelError(f"joint '{name}': axis must be a non-zero 3-vector, got {axis.tolist()}")
        joint = body.add_joint(name=name, type=kind, axis=(axis / np.linalg.norm(axis)).tolist(), pos=list(pos))
        if limits is not None:
            lo, hi = (float(v) for v in limits)
            if not lo < hi:
                raise ModelError(f"joint '{name}': limits must satisfy lower < upper, got [{lo}, {hi}]")
            joint.limited = mujoco.mjtLimited.mjLIMITED_TRUE
            joint.range = [lo, hi]
        for attr, value in (("armature", armature), ("frictionloss", frictionloss)):
            if value < 0:
                raise ModelError(f"joint '{name}': {attr} must be >= 0, got {value!r}")
            setattr(joint, attr, float(value))
        if damping < 0:
            raise ModelError(f"joint '{name}': damping must be >= 0, got {damping!r}")
        joint.damping = [float(damping), 0.0, 0.0]  # mujoco 4: linear term plus polynomial terms
        return joint

    def add_hinge(self, body, name, *, axis, limits=None, pos=(0, 0, 0), damping=0.0, armature=0.0, frictionloss=0.0):
        """Add a hinge (revolute) joint to ``body``; ``limits`` in rad, damping in N m s/rad."""
        return self._add_joint(mujoco.mjtJoint.mjJNT_HINGE, body, name, axis, limits, pos, damping, armature, frictionloss)

    def add_slide(self, body, name, *, axis, limits=None, pos=(0, 0, 0), damping=0.0, armature=0.0, frictionloss=0.0):
        """Add a slide (prismatic) joint to ``body``; ``limits`` in m, damping in N s/m."""
        return self._add_joint(mujoco.mjtJoint.mjJNT_SLIDE, body, name, axis, limits, pos, damping, armature, frictionloss)

    def _add_actuator(self, joint: str, name: str | None, ctrlrange, forcerange) -> mujoco.MjsActuator:
        if self.spec.joint(joint) is None:
            raise ModelError(f"actuator on unknown joint '{joint}'")
        lo, hi = (float(v) for v in ctrlrange)
        if not lo < hi:
            raise ModelError(f"actuator '{name or joint}': ctrlrange must satisfy lower < upper, got [{lo}, {hi}]")
        act = self.spec.add_actuator(name=name or joint, target=joint)
        act.trntype = mujoco.mjtTrn.mjTRN_JOINT
        act.ctrllimited = mujoco.mjtLimited.mjLIMITED_TRUE
        act.ctrlrange = [lo, hi]
        if forcerange is not None:
            act.forcelimited = mujoco.mjtLimited.mjLIMITED_TRUE
            act.forcerange = [float(v) for v in forcerange]
        return act

    def add_position_actuator(self, joint: str, *, kp: float, kv: float = 0.0, ctrlrange, forcerange=None, name=None):
        """Add a PD position servo on ``joint``: force = kp (ctrl - q) - kv dq, ctrl within ``ctrlrange``."""
        act = self._add_actuator(joint, name, ctrlrange, forcerange)
        act.set_to_position(kp=float(kp), kv=float(kv))
        return act

    def add_motor(self, joint: str, *, ctrlrange, gear: float = 1.0, name=None):
        """Add a torque/force motor on ``joint``: force = gear * ctrl."""
        act = self._add_actuator(joint, name, ctrlrange, None)
        act.set_to_motor()
        act.gear = [float(gear), 0, 0, 0, 0, 0]
        return act

    def exclude_contacts(self, body_a: str, body_b: str) -> None:
        """Never collide bodies ``body_a`` and ``body_b`` (parts meant to overlap)."""
        self.spec.add_exclude(bodyname1=body_a, bodyname2=body_b)

    # -- compile --------------------------------------------------------------------------------------------

    def compile(self) -> mujoco.MjModel:
        """Compile the scene; a MuJoCo compile error becomes :class:`ModelError`."""
        try:
            return self.spec.compile()
        except ValueError as exc:
            raise ModelError(f"scene '{self.spec.modelname}' does not compile: {exc}") from exc
