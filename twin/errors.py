"""The one exception hierarchy of twin-builder.

Every error a user can cause is a :class:`TwinError`. The CLI prints ``str(error)`` as one line and exits 1;
anything else is a bug and shows a traceback (``--debug`` shows it for TwinErrors too).
"""

from __future__ import annotations

from pathlib import Path


class TwinError(Exception):
    """Base class for errors caused by input, configuration or environment.

    Args:
        message: What is wrong and what was expected.
        path: The file or directory the problem is in, if any; it is prefixed to the message.
    """

    def __init__(self, message: str, path: str | Path | None = None):
        self.message = message
        self.path = Path(path) if path is not None else None
        super().__init__(f"{self.path}: {message}" if self.path is not None else message)


class InputError(TwinError):
    """A file or directory given by the user cannot be read or has the wrong content."""


class ModelError(TwinError):
    """A scene or MJCF model is malformed or does not compile."""


class ManifestError(InputError):
    """``twin.json`` is missing, malformed, or has an invalid field (the field is named)."""


class MissingExtraError(TwinError):
    """An optional dependency is not installed; the message names the extra that provides it."""


class OutputError(TwinError):
    """An output location cannot be written (exists and is not ours, no permission, ...)."""
