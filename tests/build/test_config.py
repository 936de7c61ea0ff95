"""Build settings: wrong values in a settings file are one line naming the file and the setting."""

from __future__ import annotations

import pytest

from scans.build.config import BuildConfig, load_config
from twin.errors import InputError


@pytest.mark.parametrize(("text", "message"), [
    ('voxel = "big"', "setting 'voxel' must be a number, got 'big'"),
    ("stride = 2.5", "setting 'stride' must be a whole number, got 2.5"),
    ('wall_thickness = "x"', "setting 'wall_thickness' must be a number, got 'x'"),
    ("seed = -1", "seed must be >= 0, depth_max and wall_thickness > 0 m, got -1, 5.0 and 0.1"),
    ("depth_max = 0", "seed must be >= 0, depth_max and wall_thickness > 0 m, got 0, 0 and 0.1"),
    ("method = 3", "setting 'method' must be text, got 3"),
])
def test_wrong_values_name_the_file_and_the_setting(tmp_path, text, message):
    path = tmp_path / "settings.toml"
    path.write_text(text + "\n")
    with pytest.raises(InputError) as exc:
        load_config(path)
    assert str(exc.value) == f"{path}: {message}"


def test_valid_file_and_overrides():
    config = BuildConfig(voxel=0.02, max_frames=None, density=500)
    assert config.object_material().density == 500
