"""The nerfstudio path's orchestration, with stand-in ``ns-train``/``ns-export`` tools on PATH.

The stand-ins check the arguments nerfstudio would get and produce what it would: ``ns-train`` a run folder
with ``config.yml``; ``ns-export`` a ``point_cloud.ply`` in the dataset's world frame, back-projected from
the dataset's depth images (what a converged depth-supervised NeRF renders). So these tests check the
dataset handed over, the commands, the continuation, and the errors; not nerfstudio itself (that needs a GPU).
"""

from __future__ import annotations

import os
import stat
import sys
import textwrap

import numpy as np
import pytest

from scans.build.nerfstudio import gpu_problem, nerfstudio_surface
from scans.errors import CaptureError
from scans.readers import read_capture
from scans.synth import make_synthetic_capture

TRAIN = """\
import sys
from pathlib import Path
args = sys.argv[1:]
assert args[0] == "depth-nerfacto", args
value = lambda flag: args[args.index(flag) + 1]
data, out = Path(value("--data")), Path(value("--output-dir"))
assert (data / "transforms.json").is_file(), data
assert value("--orientation-method") == "none" and value("--center-method") == "none"
assert value("--auto-scale-poses") == "False"
run = out / "data" / "depth-nerfacto" / "2026-01-01_000000"
run.mkdir(parents=True)
(run / "config.yml").write_text(f"data: {data}\\n")
print("training done")
"""

EXPORT = """\
import sys
from pathlib import Path
import numpy as np
import open3d as o3d
from scans.readers import read_capture
args = sys.argv[1:]
assert args[0] == "pointcloud", args
value = lambda flag: args[args.index(flag) + 1]
assert value("--save-world-frame") == "True"
data = Path(Path(value("--load-config")).read_text().split(": ", 1)[1].strip())
lo = np.array([float(v) for v in args[args.index("--bounding-box-min") + 1:][:3]])
points = []
for frame in read_capture(data).frames[::5]:
    depth, k = frame.depth(), frame.intrinsics
    v, u = np.nonzero(depth > 0)
    z = depth[v, u]
    cam = np.stack([(u - k.cx) * z / k.fx, (v - k.cy) * z / k.fy, z, np.ones_like(z)], axis=1)
    points.append((cam @ frame.pose.T)[:, :3])
points = np.concatenate(points)
assert (points >= lo).all()
out = Path(value("--output-dir"))
out.mkdir(parents=True, exist_ok=True)
o3d.io.write_point_cloud(str(out / "point_cloud.ply"), o3d.geometry.PointCloud(o3d.utility.Vector3dVector(points)))
"""


def _tool(folder, name, body):
    path = folder / name
    path.write_text(f"#!{sys.executable}\n" + body)
    path.chmod(path.stat().st_mode | stat.S_IEXEC)


@pytest.fixture()
def tools(tmp_path, monkeypatch):
    folder = tmp_path / "bin"
    folder.mkdir()
    _tool(folder, "ns-train", TRAIN)
    _tool(folder, "ns-export", EXPORT)
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(sys.path))
    return folder


@pytest.fixture(scope="module")
def capture(tmp_path_factory):
    path = tmp_path_factory.mktemp("nerf") / "capture"
    make_synthetic_capture(path, frames=10, width=160, height=120, seed=3, lidar=False, layout="7scenes")
    return path


def test_surface_from_the_exported_cloud_lies_on_the_capture(tools, capture, tmp_path):
    sequence = read_capture(capture)
    stages = []
    surface = nerfstudio_surface(sequence, tmp_path / "work", voxel=0.03, iterations=10, check=lambda: None,
                                 progress=lambda s, _d, _t: stages.append(s))
    assert (tmp_path / "work" / "data" / "transforms.json").is_file()  # 7-Scenes written as nerfstudio
    assert len(stages) == 3 and surface.frames == 10 and "depth-nerfacto" in surface.notes[0]
    # The exported cloud must agree with the capture's own back-projection of frame 0 in the capture frame.
    frame = sequence.frames[0]
    depth, k = frame.depth(), frame.intrinsics
    v, u = np.nonzero(depth > 0)
    z = depth[v, u]
    own = (np.stack([(u - k.cx) * z / k.fx, (v - k.cy) * z / k.fy, z, np.ones_like(z)], axis=1) @ frame.pose.T)[:, :3]
    from scipy.spatial import cKDTree

    distance, _ = cKDTree(surface.points).query(own[::50])
    assert np.median(distance) < 0.03


def test_without_a_gpu_the_path_refuses_before_any_work(capture, tmp_path):
    with pytest.raises(CaptureError, match=r"^--method nerfstudio cannot run: no CUDA GPU"):
        nerfstudio_surface(read_capture(capture), tmp_path / "work",
                           check=lambda: "no CUDA GPU is available (torch.cuda.is_available() is False)")
    assert not (tmp_path / "work").exists()


def test_this_machine_says_what_is_missing():
    problem = gpu_problem()
    if problem is not None:  # CI machines have neither nerfstudio nor a GPU
        assert "twin-builder[gpu]" in problem or "CUDA" in problem


def test_a_failing_tool_is_one_error_quoting_its_log(tools, capture, tmp_path):
    (tools / "ns-train").write_text(f"#!{sys.executable}\n" + textwrap.dedent("""\
        import sys
        print("CUDA out of memory")
        sys.exit(3)
        """))
    with pytest.raises(CaptureError, match=r"nerfstudio training failed \(exit 3\); last lines of .*CUDA out of memory"):
        nerfstudio_surface(read_capture(capture), tmp_path / "work", check=lambda: None)


def test_cli_method_nerfstudio_without_a_gpu_is_one_line_and_writes_nothing(capture, tmp_path, capsys, monkeypatch):
    from cli.main import main

    monkeypatch.setenv("PATH", "/usr/bin:/bin")  # no ns-train on PATH, whatever the machine has
    out = tmp_path / "twin"
    assert main(["build", str(capture), "--out", str(out), "--method", "nerfstudio", "--quiet"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: --method nerfstudio cannot run: ns-train and ns-export not found: install "
                          "nerfstudio with pip install 'twin-builder[gpu]'") and "Traceback" not in err
    assert not out.exists() and not list(tmp_path.glob(".twin*"))


def test_cli_unknown_method_lists_the_valid_ones(capture, tmp_path, capsys):
    from cli.main import main

    assert main(["build", str(capture), "--out", str(tmp_path / "t"), "--method", "nerf", "--quiet"]) == 2
    assert "'nerf' is not one of tsdf, nerfstudio" in capsys.readouterr().err
