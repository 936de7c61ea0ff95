"""Families whose code was generated (by the agent): described and built only through the sandbox.

:class:`GeneratedFamily` is picklable (code, schema, limits), so variant batches of generated families go
through the same executors as built-in ones; every build starts a fresh sandboxed process.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import mujoco

from asset_gen.sandbox import SandboxError, SandboxLimits, run_family_code
from asset_gen.schema import Params, Schema
from asset_gen.xml_check import check_generated_xml
from twin.errors import ModelError


@dataclass(frozen=True)
class GeneratedFamily:
    """A family defined by generated code.

    Args:
        code: The module source (defines NAME, DESCRIPTION, SCHEMA, build).
        name: Its NAME, as reported by the sandbox.
        description: Its DESCRIPTION.
        schema: Its SCHEMA, rebuilt in this process from the sandbox's JSON.
        limits: Sandbox limits of each build.
        isolation: Sandbox isolation (see :data:`asset_gen.sandbox.ISOLATIONS`).
    """

    code: str
    name: str
    description: str
    schema: Schema
    limits: SandboxLimits = field(default_factory=SandboxLimits)
    isolation: str = "auto"
    source: str = "<generated>"

    @property
    def code_sha256(self) -> str:
        """sha256 of the code, hex."""
        return hashlib.sha256(self.code.encode("utf-8")).hexdigest()

    def spec(self, params: Mapping[str, Any] | None = None, seed: int = 0) -> mujoco.MjSpec:
        """The asset standing on a floor, built in the sandbox and parsed here after vetting its MJCF.

        Raises:
            ParameterError: a value is unknown or out of range.
            SandboxError: the code failed or was killed.
            GeneratedXmlError: the MJCF uses something outside the accepted subset.
            ModelError: MuJoCo cannot parse it.
        """
        checked = params if isinstance(params, Params) else self.schema.validate(params)
        answer = run_family_code(self.code, {"action": "build", "params": checked.to_dict(), "seed": int(seed)},
                                 limits=self.limits, isolation=self.isolation)
        xml = answer.get("xml")
        check_generated_xml(xml)
        try:
            return mujoco.MjSpec.from_string(xml)
        except ValueError as exc:
            raise ModelError(f"generated family '{self.name}' returned MJCF MuJoCo cannot parse: {exc}") from exc

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready description."""
        return {"name": self.name, "description": self.description, "source": self.source,
                "code_sha256": self.code_sha256, "parameters": self.schema.to_list()}


def load_generated(code: str, *, limits: SandboxLimits = SandboxLimits(), isolation: str = "auto") -> GeneratedFamily:
    """Describe ``code`` in the sandbox and return it as a family.

    Raises:
        UnsafeCodeError: the static check refused it.
        SandboxError: it failed to define a family, or was killed.
        ParameterError: its SCHEMA is malformed.
    """
    answer = run_family_code(code, {"action": "describe"}, limits=limits, isolation=isolation)
    try:
        name, description = str(answer["name"]), str(answer["description"])
        schema = Schema.from_list(answer["parameters"])
    except (KeyError, TypeError) as exc:
        raise SandboxError(f"generated family described itself without {exc}", "no_result") from None
    return GeneratedFamily(code, name, description, schema, limits, isolation)
