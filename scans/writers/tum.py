"""Write a TUM RGB-D sequence: ``rgb/``, ``depth/``, ``rgb.txt``, ``depth.txt``, ``groundtruth.txt``, ``camera.txt``.

Conventions written: images are named by timestamp (``%.6f``, seconds, as TUM does); ``groundtruth.txt`` has
``timestamp tx ty tz qx qy qz qw`` camera-to-world in OpenCV camera axes (TUM's own), full precision, one line
per posed frame at that frame's timestamp; depth is uint16 in units of 1/5000 m (0 = none; beyond 13.1 m
becomes none); colour is a PNG resized to the depth size (TUM registers them); ``camera.txt`` is
``fx fy cx cy``. Frames without a timestamp get ``index / 30`` s; timestamps must increase at 1 µs resolution.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from scans.capture import FrameData
from scans.errors import CaptureError
from scans.images import write_png
from scans.readers._common import rotation_to_quat
from scans.writers._common import checked, color_of, depth_units, num, same_camera

NAME = "tum"
DEPTH_SCALE = 5000.0
FALLBACK_RATE = 30.0
"""Frames per second assumed for frames without a timestamp."""


def write(out: Path, frames: Iterable[FrameData]) -> None:
    """Write ``frames`` (streamed: one image in memory at a time) into the empty folder ``out``."""
    (out / "rgb").mkdir()
    (out / "depth").mkdir()
    first, previous = None, None
    with open(out / "rgb.txt", "w") as rgb, open(out / "depth.txt", "w") as depth, \
            open(out / "groundtruth.txt", "w") as truth:
        rgb.write("# color images\n# timestamp filename\n")
        depth.write("# depth maps\n# timestamp filename\n")
        truth.write("# ground truth trajectory\n# timestamp tx ty tz qx qy qz qw\n")
        for index, frame in checked(frames, NAME):
            if first is None:
                first = frame.intrinsics
            same_camera(first, frame, index, NAME)
            stamp = f"{frame.timestamp if frame.timestamp is not None else index / FALLBACK_RATE:.6f}"
            if previous is not None and float(stamp) <= float(previous):
                raise CaptureError(f"frame {index}: timestamp {stamp} does not increase (previous {previous}); "
                                   "TUM names files by timestamp")
            previous = stamp
            write_png(out / "rgb" / f"{stamp}.png", color_of(frame, (first.width, first.height)))
            write_png(out / "depth" / f"{stamp}.png", depth_units(frame.depth, DEPTH_SCALE))
            rgb.write(f"{stamp} rgb/{stamp}.png\n")
            depth.write(f"{stamp} depth/{stamp}.png\n")
            if frame.pose is not None:
                qx, qy, qz, qw = rotation_to_quat(frame.pose[:3, :3])
                truth.write(" ".join([stamp, *(num(v) for v in frame.pose[:3, 3]), *map(num, (qx, qy, qz, qw))]) + "\n")
    (out / "camera.txt").write_text(f"# fx fy cx cy (pixels, for {first.width}x{first.height})\n"
                                    f"{num(first.fx)} {num(first.fy)} {num(first.cx)} {num(first.cy)}\n")
