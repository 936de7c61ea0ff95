"""The agent's system prompt and tool definitions (Messages API ``tools`` format)."""

from __future__ import annotations

import hashlib
import json

from asset_gen.code_check import ALLOWED_MODULES

SYSTEM = f"""You write asset families for twin-builder, a tool that builds MuJoCo simulation twins of factories.
A family is one Python module that builds many varied, simulation-ready assets of one kind through the
twin scene API. It must define:

NAME = "snake_case_name"
DESCRIPTION = "one line"
SCHEMA = Schema((Param("length", 0.3, 0.8, 0.6, "m", "outer length along x"), ...))  # from asset_gen.schema
def build(scene, name, p, rng, *, pos=(0.0, 0.0, 0.0), quat=(1.0, 0.0, 0.0, 0.0)):
    # add ONE asset to `scene` (a twin.scene.Scene) and return its root body, which must be called `name`;
    # every other body/geom/joint/actuator name must start with name + "_".
    # The root frame is at pos/quat: the centre of the footprint at the asset's lowest point (z = 0 = floor).
    # Free-standing objects: scene.add_free_body(name, pos=pos, quat=quat); bolted ones: scene.add_body(...).
    # p holds the parameter values (p.length); use rng (numpy Generator) for any other randomness.

Rules: imports only from {", ".join(sorted(ALLOWED_MODULES - {"__future__"}))}. No file, process, network
or introspection access (no open, eval, getattr, attributes starting with "_"). The code runs in a sandbox.
Simulation decides: every sampled asset must pass `twin validate` standing on a floor: no initial
interpenetration between bodies that collide (> 1 mm), free bodies at rest stay put, positive masses,
limited joints (doors, drawers, lids) that never swing into other geometry anywhere in their range, and
actuators with control ranges. Model real masses (thin sheet: give geoms a mass from the real thickness),
articulate what moves in reality (hinges for doors and wheels, slides for drawers), build non-convex shapes
from several boxes/cylinders (a single mesh collides as its convex hull), leave a few mm between moving
parts and their frames, and keep the parameter ranges to values where the asset stays valid.

Work like this: read the scene API (read_scene_api), look at a similar built-in family (list_families,
read_family), write your family (write_family), check it on sampled parameters (validate_family, with the
size the request implies as expected_size), look at it (render_family), fix what fails, and call
submit_family when it passes. Be brief in text; put the effort in the code."""

TOOLS = [
    {"name": "read_scene_api", "description": "The twin scene API documentation and the family contract.",
     "input_schema": {"type": "object", "properties": {}}},
    {"name": "list_families", "description": "Built-in families and families written in this session, with "
                                             "their parameters.",
     "input_schema": {"type": "object", "properties": {}}},
    {"name": "read_family", "description": "The Python source of a family (built-in or written in this session).",
     "input_schema": {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}},
    {"name": "write_family", "description": "Save (or replace) a family's code. It is checked statically, then "
                                            "loaded in the sandbox; the reply gives its parameters or the error.",
     "input_schema": {"type": "object", "properties": {
         "name": {"type": "string", "description": "the family's NAME"},
         "code": {"type": "string", "description": "the whole module"}}, "required": ["name", "code"]}},
    {"name": "validate_family",
     "description": "Build the family at its defaults and on randomly sampled parameters (or at given ones), "
                    "validate each asset standing on a floor and return the structured reports, each "
                    "asset's bounding box (m) and mass (kg), and the default asset's size against "
                    "expected_size when given.",
     "input_schema": {"type": "object", "properties": {
         "name": {"type": "string"},
         "samples": {"type": "integer", "minimum": 1, "maximum": 8, "description": "assets to check (default 4)"},
         "params": {"type": "object", "description": "check only these parameter values"},
         "expected_size": {"type": "array", "items": {"type": "number"}, "minItems": 3, "maxItems": 3,
                           "description": "size (x, y, z) in m the request implies for the defaults"}},
         "required": ["name"]}},
    {"name": "render_family", "description": "A picture (PNG) of one asset of the family.",
     "input_schema": {"type": "object", "properties": {
         "name": {"type": "string"}, "params": {"type": "object"},
         "azimuth": {"type": "number", "description": "degrees (default 200)"},
         "elevation": {"type": "number", "description": "degrees, negative looks down (default -30)"}},
         "required": ["name"]}},
    {"name": "submit_family",
     "description": "Submit the family as the answer. It is accepted only if every asset in a fresh sample "
                    "passes validation and the default size matches expected_size within 25 %.",
     "input_schema": {"type": "object", "properties": {
         "name": {"type": "string"},
         "expected_size": {"type": "array", "items": {"type": "number"}, "minItems": 3, "maxItems": 3}},
         "required": ["name"]}},
]

NUDGE = ("Continue with the tools: fix the family until validate_family passes, then call submit_family. "
         "If you cannot, say why in one line.")


def prompt_digest() -> str:
    """sha256 of the system prompt and tool definitions (recorded in transcripts)."""
    return hashlib.sha256(json.dumps([SYSTEM, TOOLS], sort_keys=True).encode()).hexdigest()
