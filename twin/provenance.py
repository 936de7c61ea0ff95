"""Provenance: what produced an output (command, input digests, library versions, parameters)."""

from __future__ import annotations

import hashlib
import importlib.metadata
import platform
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from twin.manifest import Provenance

_DISTRIBUTIONS = ("twin-builder", "mujoco", "numpy", "usd-core", "open3d", "trimesh", "scipy", "anthropic")


def library_versions(names: Iterable[str] = _DISTRIBUTIONS) -> dict[str, str]:
    """Installed versions of the distributions that shape an output (absent ones are left out)."""
    versions = {"python": platform.python_version()}
    for name in names:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return versions


def file_digest(path: str | Path) -> dict[str, Any]:
    """``{"path", "bytes", "sha256"}`` of a file, read in 1 MiB chunks."""
    path = Path(path)
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return {"path": str(path), "bytes": path.stat().st_size, "sha256": digest.hexdigest()}


def make_provenance(command: str, *, inputs: Iterable[str | Path] = (), parameters: Mapping[str, Any] | None = None) -> Provenance:
    """Provenance for ``command`` with digests of ``inputs`` (files; directories are walked in sorted order)."""
    records = []
    for item in inputs:
        item = Path(item)
        files = sorted(p for p in item.rglob("*") if p.is_file()) if item.is_dir() else [item]
        records.extend(file_digest(f) for f in files)
    return Provenance(command=command, inputs=tuple(records), versions=library_versions(), parameters=dict(parameters or {}))
