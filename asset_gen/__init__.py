"""Asset families and the LLM coding agent for ``twin assets`` (not yet implemented: see the project's issues).

Imports only :mod:`twin`.
"""
