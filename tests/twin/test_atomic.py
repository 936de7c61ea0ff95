"""Atomic outputs: nothing partial after an error, Ctrl-C or kill -9; user data is never replaced."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from tests.conftest import REPO
from twin.atomic import atomic_directory, atomic_file
from twin.errors import OutputError


def _leftovers(parent):
    return sorted(p.name for p in parent.iterdir() if ".partial-" in p.name)


def test_success_renames_into_place(tmp_path):
    out = tmp_path / "twin"
    with atomic_directory(out) as tmp:
        (tmp / "twin.json").write_text("{}")
        assert not out.exists()
    assert (out / "twin.json").read_text() == "{}"
    assert _leftovers(tmp_path) == []


def test_error_leaves_previous_output(tmp_path):
    out = tmp_path / "twin"
    with atomic_directory(out) as tmp:
        (tmp / "twin.json").write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_directory(out, replaceable=_ours) as tmp:
            (tmp / "twin.json").write_text("new")
            raise RuntimeError("boom")
    assert (out / "twin.json").read_text() == "old"
    assert _leftovers(tmp_path) == []


def test_keyboard_interrupt_cleans_up(tmp_path):
    with pytest.raises(KeyboardInterrupt):
        with atomic_directory(tmp_path / "twin") as tmp:
            (tmp / "scene.xml").write_text("partial")
            raise KeyboardInterrupt
    assert not (tmp_path / "twin").exists() and _leftovers(tmp_path) == []


def _ours(path):
    return None if (path / "twin.json").read_text() == "old" else "is not ours"


def test_replaces_an_earlier_output_and_keeps_its_mode(tmp_path):
    out = tmp_path / "twin"
    out.mkdir(mode=0o750)
    out.chmod(0o750)
    (out / "twin.json").write_text("old")
    with atomic_directory(out, replaceable=_ours) as tmp:
        (tmp / "twin.json").write_text("new")
    assert (out / "twin.json").read_text() == "new"
    assert out.stat().st_mode & 0o777 == 0o750


def test_new_output_gets_the_mode_of_a_plain_mkdir(tmp_path):
    (tmp_path / "plain").mkdir()
    with atomic_directory(tmp_path / "twin") as tmp:
        (tmp / "twin.json").write_text("{}")
    assert (tmp_path / "twin").stat().st_mode & 0o777 == (tmp_path / "plain").stat().st_mode & 0o777


def test_refuses_to_replace_user_data(tmp_path):
    out = tmp_path / "my_project"
    out.mkdir()
    (out / "twin.json").write_text("{}")
    (out / "notes.txt").write_text("precious")
    with pytest.raises(OutputError, match="is not ours; choose another output path or remove it"):
        with atomic_directory(out, replaceable=_ours):
            pass
    with pytest.raises(OutputError, match="is not empty; choose another output path"):
        with atomic_directory(out):
            pass
    assert (out / "notes.txt").read_text() == "precious"
    (tmp_path / "file").write_text("x")
    with pytest.raises(OutputError, match="is not a directory"):
        with atomic_directory(tmp_path / "file"):
            pass


def test_kill_9_leaves_no_partial_output_and_next_run_cleans_up(tmp_path):
    out = tmp_path / "twin"
    code = (
        "import os, signal, sys\n"
        "from twin.atomic import atomic_directory\n"
        f"with atomic_directory({str(out)!r}) as tmp:\n"
        "    (tmp / 'scene.xml').write_text('half')\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, timeout=60)
    assert result.returncode == -signal.SIGKILL
    assert not out.exists()
    assert len(_leftovers(tmp_path)) == 1
    with atomic_directory(out) as tmp:
        (tmp / "twin.json").write_text("{}")
    assert _leftovers(tmp_path) == []


def test_atomic_file(tmp_path):
    path = tmp_path / "params.json"
    path.write_text("old")
    with pytest.raises(ValueError):
        with atomic_file(path) as tmp:
            tmp.write_text("new")
            raise ValueError
    assert path.read_text() == "old" and os.listdir(tmp_path) == ["params.json"]
    with atomic_file(path) as tmp:
        tmp.write_text("new")
    assert path.read_text() == "new"
