"""Reading and writing capture images: PNG/JPG (8/16-bit) with Pillow, EXR (float depth) with OpenEXR."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from scans.errors import CaptureError
from twin.extras import require


def read_image(path: str | Path) -> np.ndarray:
    """Read an image as a numpy array: uint8 (H, W, 3|4) colour, uint16 (H, W) depth, float (H, W) EXR.

    Raises:
        CaptureError: missing, truncated or unreadable, naming the file.
    """
    path = Path(path)
    if not path.is_file():
        raise CaptureError("image file is missing", path)
    if path.suffix.lower() == ".exr":
        return _read_exr(path)
    pil = require("PIL.Image", "scan", "reading capture images")
    try:
        with pil.open(path) as image:
            image.load()
            array = np.asarray(image)
    except (OSError, SyntaxError, ValueError) as exc:
        raise CaptureError(f"cannot read image ({exc}); the file may be truncated or not an image", path) from None
    if array.dtype == np.int32 and image.mode.startswith("I"):  # 16-bit PNGs arrive as 32-bit ints
        array = array.astype(np.uint16)
    return array


def _read_exr(path: Path) -> np.ndarray:
    exr = require("OpenEXR", "scan", "reading EXR depth images")
    try:
        with exr.File(str(path)) as f:
            channels = f.channels()
            name = "R" if "R" in channels else ("Z" if "Z" in channels else next(iter(channels)))
            pixels = channels[name].pixels
    except Exception as exc:  # OpenEXR raises plain exceptions for corrupt files
        raise CaptureError(f"cannot read EXR image ({exc})", path) from None
    pixels = np.asarray(pixels)
    return pixels[..., 0] if pixels.ndim == 3 else pixels


def write_png(path: str | Path, array: np.ndarray) -> None:
    """Write uint8 colour (H, W, 3) or uint16 depth (H, W) as PNG."""
    pil = require("PIL.Image", "scan", "writing capture images")
    array = np.asarray(array)
    image = pil.fromarray(array.astype(np.uint16 if array.dtype == np.uint16 else np.uint8))
    image.save(path, format="PNG", compress_level=1)  # captures are large and noisy: speed over size
