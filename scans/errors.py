"""Errors of the scan readers: each names the file and what was expected."""

from __future__ import annotations

from twin.errors import InputError


class CaptureError(InputError):
    """A capture cannot be read: unknown layout, missing intrinsics, bad poses, unreadable images, ..."""
