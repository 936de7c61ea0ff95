"""The `twin` command as a user meets it: help, version, exit codes, one-line errors, JSON output."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import twin
from cli.main import main
from tests.conftest import REPO

GOOD_XML = """<mujoco>
  <worldbody>
    <geom name="floor" type="box" size="2 2 0.05" pos="0 0 -0.05"/>
    <body name="crate" pos="0 0 0.1"><freejoint/><geom name="crate" type="box" size="0.1 0.1 0.1" mass="2"/></body>
  </worldbody>
</mujoco>"""

PENETRATING_XML = GOOD_XML.replace('pos="0 0 0.1"', 'pos="0 0 0.09"')


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "cli.main", *args], cwd=REPO, capture_output=True, text=True, timeout=300
    )


def test_help_and_version():
    result = _run("--help")
    assert result.returncode == 0
    for command in ("validate", "demo"):
        assert command in result.stdout
    for later in ("build", "sysid", "export"):  # a subcommand appears when it works
        assert f" {later} " not in result.stdout
    result = _run("--version")
    assert result.returncode == 0 and result.stdout.strip() == f"twin-builder {twin.__version__}"


def test_usage_error_exits_2(capsys):
    assert main(["validate"]) == 2
    assert main(["frobnicate"]) == 2
    assert main(["validate", "x.xml", "--settle-time", "nope"]) == 2


def test_validate_good_file_passes(tmp_path, capsys):
    path = tmp_path / "good.xml"
    path.write_text(GOOD_XML)
    assert main(["validate", str(path)]) == 0
    assert "penetration" in capsys.readouterr().out


def test_validate_failure_exits_1_with_json(tmp_path, capsys):
    path = tmp_path / "bad.xml"
    path.write_text(PENETRATING_XML)
    assert main(["validate", str(path), "--json"]) == 1
    document = json.loads(capsys.readouterr().out)
    assert document["ok"] is False
    failed = [c["name"] for c in document["checks"] if c["status"] == "fail"]
    assert "penetration" in failed


def test_bad_input_is_one_line_naming_the_file(tmp_path):
    missing = tmp_path / "nope.xml"
    result = _run("validate", str(missing))
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and str(missing) in lines[0] and "Traceback" not in result.stderr
    broken = tmp_path / "broken.xml"
    broken.write_text("<mujoco><worldbody><body>")
    result = _run("validate", str(broken))
    assert result.returncode == 1 and str(broken) in result.stderr and "Traceback" not in result.stderr
    result = _run("--debug", "validate", str(broken))
    assert result.returncode == 1 and "Traceback" in result.stderr


def test_demo_refuses_to_overwrite_user_data(tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    result = _run("demo", "--out", str(out), "--quiet")
    assert result.returncode == 1
    assert "is not an earlier output of this command" in result.stderr
    assert (out / "notes.txt").read_text() == "keep me"
