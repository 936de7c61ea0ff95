"""System identification for ``twin sysid`` (not yet implemented: see the project's issues).

Imports only :mod:`twin`.
"""
