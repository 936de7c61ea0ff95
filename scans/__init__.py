"""Capture readers and reconstruction for ``twin build`` (not yet implemented: see the project's issues).

Imports only :mod:`twin`.
"""
