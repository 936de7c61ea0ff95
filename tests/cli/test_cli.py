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
    for later in ("export",):  # a subcommand appears when it works
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
    result = _run("demo", "--out", str(out))
    assert result.returncode == 1
    assert "is not empty and holds no valid twin" in result.stderr
    assert "building" not in result.stderr  # refused before any work
    assert (out / "notes.txt").read_text() == "keep me"
    (out / "twin.json").write_text("{}")  # a file merely called twin.json is not a twin
    result = _run("demo", "--out", str(out), "--quiet")
    assert result.returncode == 1 and "field 'schema_version' is missing" in result.stderr
    assert (out / "notes.txt").read_text() == "keep me"


def test_demo_replaces_an_earlier_twin_but_not_files_added_to_it(tmp_path, capsys):
    out = tmp_path / "twin"
    assert main(["demo", "--out", str(out), "--quiet", "--no-sysid", "--no-scan"]) == 0
    assert main(["demo", "--out", str(out), "--quiet", "--seed", "3", "--no-sysid", "--no-scan"]) == 0  # an earlier twin: replaced
    assert json.loads((out / "twin.json").read_text())["provenance"]["parameters"] == {"seed": 3, "sysid": False, "scan": False}
    (out / "my_notes.txt").write_text("keep me")
    capsys.readouterr()
    assert main(["demo", "--out", str(out), "--quiet", "--no-sysid", "--no-scan"]) == 1
    assert "also files that are not part of it (my_notes.txt)" in capsys.readouterr().err
    assert (out / "my_notes.txt").read_text() == "keep me"


def test_errors_with_json_are_json_too(tmp_path):
    result = _run("validate", str(tmp_path / "nope.xml"), "--json")
    assert result.returncode == 1
    document = json.loads(result.stdout)
    assert document["ok"] is False and "nope.xml" in document["error"]


def test_negative_seed_is_a_usage_error():
    result = _run("demo", "--seed", "-1", "--out", "x")
    assert result.returncode == 2 and "Traceback" not in result.stderr


def test_missing_extra_message_keeps_the_extra_name(tmp_path):
    code = "import sys; sys.modules['pxr'] = None\nfrom cli.main import main\nsys.exit(main(sys.argv[1:]))"
    result = subprocess.run(
        [sys.executable, "-c", code, "demo", "--out", str(tmp_path / "t"), "--quiet", "--no-sysid", "--no-scan"],
        cwd=REPO, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 1
    assert "pip install 'twin-builder[usd]'" in result.stderr
    assert not (tmp_path / "t").exists()
