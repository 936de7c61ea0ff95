"""Vet MJCF text produced by sandboxed code before MuJoCo parses it in this process.

MuJoCo resolves ``<include file>``, mesh and texture files and plugins while parsing, and :func:`twin.mjcf.to_mjcf`
names mesh files after mesh names: MJCF from generated code could otherwise make this process read files
(``/etc/shadow`` as a mesh), load a plugin or write outside the output directory. Only a plain subset of
MJCF is accepted: known elements, no file attributes, no DTD, safe names, bounded size.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from twin.errors import TwinError

ALLOWED_ELEMENTS = frozenset({
    "mujoco", "compiler", "option", "flag", "size", "visual", "global", "quality", "headlight", "map", "scale",
    "rgba", "statistic", "default", "asset", "material", "mesh", "worldbody", "body", "frame", "geom", "joint",
    "freejoint", "site", "light", "camera", "inertial", "actuator", "position", "motor", "velocity", "general",
    "intvelocity", "damper", "contact", "exclude", "pair", "keyframe", "key",
})
"""MJCF elements generated assets may use."""

_FILE_ATTRIBUTES = re.compile(r"^(file.*|meshdir|texturedir|assetdir|modelfiledir|content_type|plugin|instance)$")
_SAFE_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]{0,127}$")
MAX_BYTES = 16 << 20
MAX_ELEMENTS = 20000


class GeneratedXmlError(TwinError):
    """The MJCF returned by generated code uses something outside the accepted subset."""


def check_generated_xml(xml: str) -> None:
    """Raise :class:`GeneratedXmlError` unless ``xml`` is plain MJCF safe to parse here.

    Raises:
        GeneratedXmlError: naming the first offending element or attribute.
    """
    if not isinstance(xml, str) or not xml.strip():
        raise GeneratedXmlError("generated code returned no MJCF text")
    if len(xml.encode("utf-8", "replace")) > MAX_BYTES:
        raise GeneratedXmlError(f"generated MJCF is larger than {MAX_BYTES >> 20} MiB")
    if "<!" in xml.replace("<!--", ""):
        raise GeneratedXmlError("generated MJCF may not contain a DOCTYPE, ENTITY or CDATA declaration")
    try:
        root = ET.fromstring(xml)
    except ET.ParseError as exc:
        raise GeneratedXmlError(f"generated MJCF is not well-formed XML: {exc}") from None
    if root.tag != "mujoco":
        raise GeneratedXmlError(f"generated MJCF's root element must be <mujoco>, got <{root.tag}>")
    count = 0
    for element in root.iter():
        count += 1
        if count > MAX_ELEMENTS:
            raise GeneratedXmlError(f"generated MJCF has more than {MAX_ELEMENTS} elements")
        if element.tag not in ALLOWED_ELEMENTS:
            raise GeneratedXmlError(f"generated MJCF uses <{element.tag}>, which is not accepted; accepted: "
                                    f"{', '.join(sorted(ALLOWED_ELEMENTS))}")
        for attribute in element.attrib:
            if _FILE_ATTRIBUTES.match(attribute):
                raise GeneratedXmlError(f"generated MJCF sets '{attribute}' on <{element.tag}>; files, directories "
                                        "and plugins are not accepted")
        name = element.get("name")
        if element.tag == "mesh" and (name is None or not _SAFE_NAME.match(name) or ".." in name):
            raise GeneratedXmlError(f"generated MJCF has a mesh named {name!r}; mesh names must match "
                                    f"{_SAFE_NAME.pattern} (they become file names)")
