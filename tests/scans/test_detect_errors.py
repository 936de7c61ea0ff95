"""Detection errors that point the user at the fix: an empty folder, a folder of several clouds."""

from __future__ import annotations

import numpy as np
import pytest

from scans.errors import CaptureError
from scans.readers import read_capture


def test_empty_directory(tmp_path):
    with pytest.raises(CaptureError) as info:
        read_capture(tmp_path)
    assert str(info.value) == f"{tmp_path}: the directory is empty; expected a capture (see `twin scans info --help`)"


def test_directory_of_several_clouds_names_them(tmp_path):
    for name in ("a.xyz", "b.xyz"):
        np.savetxt(tmp_path / name, np.random.default_rng(0).random((10, 3)))
    with pytest.raises(CaptureError) as info:
        read_capture(tmp_path)
    assert str(info.value) == f"{tmp_path}: holds 2 point cloud or mesh files (a.xyz, b.xyz); pass one of them"
    assert len(read_capture(tmp_path / "a.xyz").points) == 10
