"""Scans: capture readers, synthetic captures with ground truth, and (later) reconstruction for ``twin build``.

Imports only :mod:`twin`. The capture model is in :mod:`scans.capture`; readers are registered in
:mod:`scans.readers` and writers in :mod:`scans.writers`.
"""
