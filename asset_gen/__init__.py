"""Asset families, their variation, the sandbox for generated code, and the LLM coding agent (``twin assets``).

Imports only :mod:`twin` (and ``anthropic`` lazily, in :mod:`asset_gen.agent`).

Example:
    >>> from asset_gen.families import get_family
    >>> from asset_gen.family import place
    >>> from twin.scene import Scene
    >>> scene = Scene("cell")
    >>> _ = scene.add_floor((4.0, 4.0))
    >>> _ = place(scene, get_family("cabinet"), "cab", {"doors": 2}, pos=(1.0, 0.0, 0.0), yaw=3.14)
    >>> scene.compile().njnt
    2
"""
