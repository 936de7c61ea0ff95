"""Physical parameters addressed by name, with nominal values, bounds and optional priors.

Names are ``<kind>/<element>/<attribute>`` (DESIGN.md): ``joint/<name>/damping|frictionloss|armature``,
``body/<name>/mass``, ``geom/<name>/friction`` (the sliding coefficient). In a specification ``*`` (and the
other shell wildcards) matches element names. Bounds are physical (>= 0, a positive mass), never multiples of
the nominal value: real arms' friction can be 100x a description file's.

Example:
    >>> import mujoco
    >>> model = mujoco.MjModel.from_xml_string(
    ...     '<mujoco><worldbody><body><joint name="j" damping="0.5"/><geom size=".1"/></body></worldbody></mujoco>')
    >>> params = resolve_parameters("joint/*/damping", model)
    >>> params.names, params.nominal.tolist()
    (('joint/j/damping',), [0.5])
"""

from __future__ import annotations

import fnmatch
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import mujoco
import numpy as np

from calibration.errors import ParameterError

ATTRIBUTES = {"joint": ("damping", "frictionloss", "armature"), "body": ("mass",), "geom": ("friction",)}
"""What can be fitted, by element kind."""

DEFAULT_SPEC = "joint/*/damping,joint/*/frictionloss,joint/*/armature"
"""The default: the three joint terms for every (logged) hinge and slide joint."""

_JOINT_UNITS = {
    int(mujoco.mjtJoint.mjJNT_HINGE): {"damping": "N m s/rad", "frictionloss": "N m", "armature": "kg m^2"},
    int(mujoco.mjtJoint.mjJNT_SLIDE): {"damping": "N s/m", "frictionloss": "N", "armature": "kg"},
}
_OBJ = {"joint": mujoco.mjtObj.mjOBJ_JOINT, "body": mujoco.mjtObj.mjOBJ_BODY, "geom": mujoco.mjtObj.mjOBJ_GEOM}
MIN_MASS = 1e-6
"""Lower bound of a fitted mass, kg (a moving body with zero mass does not compile)."""


@dataclass(frozen=True)
class Parameter:
    """One fitted scalar.

    Args:
        name: ``<kind>/<element>/<attribute>``.
        nominal: The model's value, in ``unit``.
        unit: SI unit of the value.
        lower: Lower bound (physical), in ``unit``.
        upper: Upper bound, in ``unit`` (``inf``: none).
        prior: Optional Gaussian prior ``(mean, std)`` in ``unit``; added to the fit as a residual.
    """

    name: str
    nominal: float
    unit: str
    lower: float = 0.0
    upper: float = math.inf
    prior: tuple[float, float] | None = None

    def __post_init__(self) -> None:
        parts = self.name.split("/")
        if len(parts) != 3 or parts[0] not in ATTRIBUTES or parts[2] not in ATTRIBUTES[parts[0]] or not parts[1]:
            raise ParameterError(f"parameter '{self.name}' is not <kind>/<element>/<attribute>; {_valid_forms()}")
        if not self.lower <= self.upper:
            raise ParameterError(f"parameter '{self.name}': lower bound {self.lower} is above upper bound {self.upper}")
        if self.prior is not None and not self.prior[1] > 0:
            raise ParameterError(f"parameter '{self.name}': prior std must be > 0, got {self.prior[1]}")

    @property
    def kind(self) -> str:
        """``joint``, ``body`` or ``geom``."""
        return self.name.split("/")[0]

    @property
    def element(self) -> str:
        """The model element's name."""
        return self.name.split("/")[1]

    @property
    def attribute(self) -> str:
        """The MJCF attribute, e.g. ``damping``."""
        return self.name.split("/")[2]


@dataclass(frozen=True)
class ParameterSet:
    """An ordered set of parameters; vectors of values follow this order.

    Args:
        parameters: The parameters, unique by name.
    """

    parameters: tuple[Parameter, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "parameters", tuple(self.parameters))
        if not self.parameters:
            raise ParameterError("no parameters to fit")
        if len(set(self.names)) != len(self.names):
            raise ParameterError(f"a parameter is named twice: {', '.join(self.names)}")

    def __len__(self) -> int:
        return len(self.parameters)

    def __iter__(self):
        return iter(self.parameters)

    @property
    def names(self) -> tuple[str, ...]:
        """Parameter names in order."""
        return tuple(p.name for p in self.parameters)

    @property
    def nominal(self) -> np.ndarray:
        """Nominal values, shape (P,)."""
        return np.array([p.nominal for p in self.parameters])

    @property
    def lower(self) -> np.ndarray:
        """Lower bounds, shape (P,)."""
        return np.array([p.lower for p in self.parameters])

    @property
    def upper(self) -> np.ndarray:
        """Upper bounds, shape (P,)."""
        return np.array([p.upper for p in self.parameters])


def _valid_forms() -> str:
    forms = ", ".join(f"{kind}/<name>/{a}" for kind, attrs in ATTRIBUTES.items() for a in attrs)
    return f"valid forms: {forms}"


def _element_names(model: mujoco.MjModel, kind: str, joints: Sequence[str] | None) -> list[str]:
    count = {"joint": model.njnt, "body": model.nbody, "geom": model.ngeom}[kind]
    names = [mujoco.mj_id2name(model, _OBJ[kind], i) or "" for i in range(count)]
    if kind == "joint":
        names = [n for i, n in enumerate(names) if n and int(model.jnt_type[i]) in _JOINT_UNITS]
        if joints is not None:
            names = [n for n in names if n in joints]
    return [n for n in names if n and n != "world"]


def _make(model: mujoco.MjModel, kind: str, element: str, attribute: str, prior) -> Parameter:
    index = mujoco.mj_name2id(model, _OBJ[kind], element)
    name = f"{kind}/{element}/{attribute}"
    if kind == "joint":
        dof = model.jnt_dofadr[index]
        nominal = float(getattr(model, f"dof_{attribute}")[dof])
        return Parameter(name, nominal, _JOINT_UNITS[int(model.jnt_type[index])][attribute], prior=prior)
    if kind == "body":
        return Parameter(name, float(model.body_mass[index]), "kg", lower=MIN_MASS, prior=prior)
    return Parameter(name, float(model.geom_friction[index, 0]), "1", prior=prior)


def resolve_parameters(
    spec: str | Iterable[str] | None,
    model: mujoco.MjModel,
    *,
    joints: Sequence[str] | None = None,
    priors: Mapping[str, tuple[float, float]] | None = None,
) -> ParameterSet:
    """The parameters a specification names, with nominal values read from ``model``.

    Args:
        spec: Comma-separated names (or a list of them) with ``*`` wildcards; None or empty: :data:`DEFAULT_SPEC`.
        model: The compiled model.
        joints: If given, joint wildcards match only these (the logged joints), and naming another joint is an error.
        priors: Optional Gaussian priors ``{name or pattern: (mean, std)}``.

    Raises:
        ParameterError: A name is malformed or matches nothing; the message lists what the model has.
    """
    items = spec.split(",") if isinstance(spec, str) else list(spec or [])
    items = [s.strip() for s in items if s.strip()] or DEFAULT_SPEC.split(",")
    found: dict[str, Parameter] = {}
    for item in items:
        parts = item.split("/")
        if len(parts) == 3 and parts[0] in ATTRIBUTES and parts[2] not in ATTRIBUTES[parts[0]]:
            raise ParameterError(f"parameter '{item}': a {parts[0]} has no fitted attribute '{parts[2]}'; "
                                 f"valid: {', '.join(ATTRIBUTES[parts[0]])}")
        if len(parts) != 3 or parts[0] not in ATTRIBUTES:
            raise ParameterError(f"parameter '{item}' is not <kind>/<element>/<attribute>; {_valid_forms()}")
        kind, pattern, attribute = parts
        candidates = _element_names(model, kind, joints)
        matches = [n for n in candidates if fnmatch.fnmatchcase(n, pattern)]
        if not matches:
            if kind == "joint" and joints is not None and pattern in _element_names(model, kind, None):
                raise ParameterError(f"parameter '{item}': joint '{pattern}' is not in the logs; the logged joints are: {', '.join(candidates)}")
            what = {"joint": "hinge or slide joints", "body": "bodies"}.get(kind, f"{kind}s")
            raise ParameterError(f"parameter '{item}' matches nothing; the model's {what} are: {', '.join(candidates) or '(none)'}")
        for element in matches:
            name = f"{kind}/{element}/{attribute}"
            prior = next((tuple(v) for k, v in (priors or {}).items() if fnmatch.fnmatchcase(name, k)), None)
            found.setdefault(name, _make(model, kind, element, attribute, prior))
    return ParameterSet(tuple(found.values()))


def apply_to_model(params: ParameterSet, values: np.ndarray, model: mujoco.MjModel) -> None:
    """Write ``values`` (shape (P,)) into ``model`` in place.

    A body's mass scales its rotational inertia with it (same shape, different density). After a mass or an
    armature changes, the constants MuJoCo derives at compile time are recomputed (``mj_setConst``): the
    constraint softness of joint friction, limits and contacts scales with ``dof_invweight0`` and
    ``body_invweight0``, which a stale model keeps at the old values (up to 2x off on the generated arm).
    """
    inertial = any(p.kind == "body" or p.attribute == "armature" for p in params)
    for p, value in zip(params, np.asarray(values, dtype=float)):
        index = mujoco.mj_name2id(model, _OBJ[p.kind], p.element)
        if p.kind == "joint":
            start = model.jnt_dofadr[index]
            getattr(model, f"dof_{p.attribute}")[start] = value
        elif p.kind == "body":
            model.body_inertia[index] *= value / model.body_mass[index]
            model.body_mass[index] = value
        else:
            model.geom_friction[index, 0] = value
    if inertial:
        mujoco.mj_setConst(model, mujoco.MjData(model))


def apply_to_spec(params: ParameterSet, values: np.ndarray, spec: mujoco.MjSpec) -> None:
    """Write ``values`` into ``spec`` in place (for ``calibrated.xml``); masses become explicit inertials."""
    compiled = None
    for p, value in zip(params, np.asarray(values, dtype=float)):
        if p.kind == "joint":
            joint = spec.joint(p.element)
            if p.attribute == "damping":
                damping = np.array(joint.damping, dtype=float).reshape(-1)
                damping[0] = value
                joint.damping = damping if damping.size > 1 else float(value)
            else:
                setattr(joint, p.attribute, float(value))
        elif p.kind == "body":
            compiled = compiled or spec.copy().compile()
            index = mujoco.mj_name2id(compiled, mujoco.mjtObj.mjOBJ_BODY, p.element)
            body = spec.body(p.element)
            body.explicitinertial = True
            body.mass = float(value)
            body.ipos = compiled.body_ipos[index].copy()
            body.iquat = compiled.body_iquat[index].copy()
            body.inertia = compiled.body_inertia[index] * (value / compiled.body_mass[index])
            body.fullinertia = np.full(6, np.nan)
        else:
            geom = spec.geom(p.element)
            friction = np.array(geom.friction, dtype=float)
            friction[0] = value
            geom.friction = friction
