"""7-Scenes / 3DMatch RGB-D: ``frame-NNNNNN.{color.png|color.jpg, depth.png, pose.txt}``.

Source convention: ``frame-NNNNNN.pose.txt`` is a 4x4 camera-to-world matrix with **OpenCV camera axes**
already (+x right, +y down, looks down +z), metres: no axis conversion. Frames are sorted by NNNNNN; numbers
may skip. Either every frame has a pose file or none has (then poses are None).

Depth is uint16 PNG in millimetres, with both 0 and 65535 meaning "no depth". Colour and depth must be the
same size (7-Scenes' are not registered, only the same size; 3DMatch copies are registered); this is checked
on the first frame's headers.

Intrinsics: ``camera-intrinsics.txt`` (a 3x3 camera matrix, row-major) in the folder or its parent, for the
depth image's size. 7-Scenes itself ships none: when the folder looks like 7-Scenes (it is, or holds, ``seq-XX``
folders) its published K (585, 585, 320, 240 at 640x480) is used and a note says so; otherwise a missing file
is an error. ``gravity-direction.txt`` (3DMatch, three numbers), when present, is recorded in the notes.

A folder of ``seq-XX/`` sub-folders is read as **all** its sequences, in order, as one capture: a scene's
sequences share one world frame (7-Scenes registers them all to one model).
"""

from __future__ import annotations

import re
from pathlib import Path

from scans.capture import Frame, Intrinsics, RGBDSequence
from scans.errors import CaptureError
from scans.readers._common import (
    camera_matrix,
    check_first_depth,
    check_registered,
    image_size,
    natural_key,
    read_numbers,
    read_pose_txt,
    require_all_or_none,
)

NAME = "7scenes"
DESCRIPTION = "frame-NNNNNN.depth.png, .color.png|jpg, .pose.txt and camera-intrinsics.txt, or seq-XX/ folders of them"
SEVEN_SCENES_INTRINSICS = Intrinsics(640, 480, 585.0, 585.0, 320.0, 240.0)
"""The 7-Scenes depth camera (the dataset ships no intrinsics file)."""
DEPTH_INVALID = (65535,)

_DEPTH = re.compile(r"frame-(\d+)\.depth\.png")
_SEQ = re.compile(r"seq-\d+")


def _has_frames(folder: Path) -> bool:
    return next(folder.glob("frame-*.depth.png"), None) is not None


def _sequences(path: Path) -> list[Path]:
    if not path.is_dir():
        return []
    if _has_frames(path):
        return [path]
    return sorted((p for p in path.iterdir() if p.is_dir() and _SEQ.fullmatch(p.name) and _has_frames(p)), key=natural_key)


def detect(path: Path) -> bool:
    """A folder of ``frame-NNNNNN.depth.png`` files, or of ``seq-XX/`` folders holding them."""
    return bool(_sequences(path))


def _depth_files(folder: Path) -> list[tuple[str, Path]]:
    found = [(m.group(1), p) for p in folder.iterdir() if (m := _DEPTH.fullmatch(p.name))]
    return sorted(found, key=lambda item: int(item[0]))


def _find(path: Path, sequences: list[Path], name: str) -> Path | None:
    """``name`` in the folder, its first sequence, or (for a ``seq-XX`` folder) its scene folder."""
    for folder in (path, sequences[0], *((path.parent,) if _SEQ.fullmatch(path.name) else ())):
        if (folder / name).is_file():
            return folder / name
    return None


def _intrinsics(path: Path, sequences: list[Path], size: tuple[int, int], notes: list[str]) -> Intrinsics:
    file = _find(path, sequences, "camera-intrinsics.txt")
    if file is not None:
        return Intrinsics(*size, *camera_matrix(read_numbers(file), file))
    if not (_SEQ.fullmatch(path.name) or _SEQ.fullmatch(sequences[0].name)):
        raise CaptureError("missing intrinsics: no camera-intrinsics.txt (a 3x3 camera matrix); the 7-Scenes "
                           "defaults are used only for seq-XX folders", path)
    notes.append("no camera-intrinsics.txt: used the 7-Scenes intrinsics fx=fy=585, cx=320, cy=240 (640x480)")
    k = SEVEN_SCENES_INTRINSICS
    return k.scaled(*size) if size != (k.width, k.height) else k


def read(path: Path) -> RGBDSequence:
    """Read a 7-Scenes/3DMatch folder (one sequence, or a scene of ``seq-XX/`` sequences). See the module docstring."""
    sequences = _sequences(path)
    if not sequences:
        raise CaptureError("no frames: no frame-NNNNNN.depth.png files here or in seq-XX/ folders", path)
    files = [(seq, number, depth) for seq in sequences for number, depth in _depth_files(seq)]
    notes: list[str] = []
    intrinsics = _intrinsics(path, sequences, image_size(files[0][2]), notes)

    pose_files = [seq / f"frame-{number}.pose.txt" for seq, number, _ in files]
    missing = [str(p.relative_to(path)) for p in pose_files if not p.is_file()]
    posed = require_all_or_none(missing, len(files), "pose file", path)
    frames = []
    for index, ((seq, number, depth), pose_file) in enumerate(zip(files, pose_files)):
        color = next((c for c in (seq / f"frame-{number}.color.png", seq / f"frame-{number}.color.jpg") if c.is_file()), None)
        frames.append(Frame(index, depth, intrinsics, color_path=color, pose=read_pose_txt(pose_file) if posed else None,
                            depth_scale=1000.0, depth_invalid=DEPTH_INVALID))
    if frames[0].color_path is not None:
        check_registered(frames[0].color_path, frames[0].depth_path, NAME)
    check_first_depth(frames[0])

    if not posed:
        notes.append("no frame-NNNNNN.pose.txt files: the frames have no poses")
    if len(sequences) > 1 or sequences[0] != path:
        notes.append(f"read {len(sequences)} sequence(s) as one capture: {', '.join(s.name for s in sequences)}")
    uncoloured = sum(f.color_path is None for f in frames)
    if uncoloured:
        notes.append(f"{uncoloured} of {len(frames)} frames have no colour image")
    gravity = _find(path, sequences, "gravity-direction.txt")
    if gravity is not None:
        g = read_numbers(gravity)
        if g.size != 3:
            raise CaptureError(f"expected 3 numbers (a gravity direction), got {g.size}", gravity)
        notes.append(f"gravity direction {' '.join(f'{v:g}' for v in g)} (from {gravity.name})")
    return RGBDSequence(path, NAME, tuple(frames), tuple(notes))
