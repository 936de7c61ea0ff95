"""The sandbox: built-in family code runs there unchanged; hostile code is refused or killed, each with a
clear error, by the runtime limits alone (static check off), under bubblewrap and in the fallback."""

from __future__ import annotations

import os
import socket
import time
from pathlib import Path

import pytest

from asset_gen.families import get_family
from asset_gen.generated import load_generated
from asset_gen.sandbox import SandboxError, SandboxLimits, bwrap_available, resolve_isolation, run_family_code
from asset_gen.xml_check import GeneratedXmlError, check_generated_xml
from tests.conftest import REPO
from twin.errors import TwinError
from twin.validation import validate_spec

FAKE_KEY = "sk-ant-api03-FAKE-do-not-leak-0123456789"
LIMITS = SandboxLimits(cpu_seconds=2, wall_seconds=6, memory_mib=1024, processes=16)
# The runtime layers on their own: bubblewrap without the audit hook; the fallback with it (its only guard).
MODES = [pytest.param("bwrap", False, id="bwrap", marks=pytest.mark.skipif(not bwrap_available(),
                                                                          reason="bubblewrap not usable here")),
         pytest.param("process", True, id="process+audit")]


def _crate_code() -> str:
    return (REPO / "asset_gen" / "families" / "crate.py").read_text()


def test_builtin_family_code_runs_in_the_sandbox():
    family = load_generated(_crate_code(), isolation="auto")
    builtin = get_family("crate")
    assert family.name == "crate" and family.schema == builtin.schema
    spec = family.spec({"length": 0.5}, seed=2)
    assert validate_spec(spec).ok
    assert spec.to_xml() == builtin.spec({"length": 0.5}, seed=2).to_xml()


@pytest.fixture
def listener():
    """A TCP server on this machine's loopback that generated code must not reach."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    yield server.getsockname()[1]
    server.close()


def _cases(port: int, marker: Path) -> dict[str, tuple[str, set[str]]]:
    """name -> (code run at import time, the SandboxError kinds that count as stopped)."""
    return {
        "shell": ((f"import os\nos.system('touch {marker}')\nimport subprocess\n"
                   f"subprocess.run(['/bin/sh', '-c', 'touch {marker}'])\n"), {"refused", "exception"}),
        "read_passwd": ("raise ValueError(open('/etc/passwd').read())\n", {"refused", "exception"}),
        "read_project": (f"raise ValueError(open('{REPO / 'pyproject.toml'}').read())\n", {"refused", "exception"}),
        "write_outside": (f"open('{marker}', 'w').write('x')\n", {"refused", "exception"}),
        "fill_disk": ("blob = bytes(8 << 20)\nfor k in range(100000):\n    open(f'f{k}', 'wb').write(blob)\n",
                      {"refused", "exception", "output", "cpu"}),
        "socket": ((f"import socket\ns = socket.socket()\ns.settimeout(2)\ns.connect(('127.0.0.1', {port}))\n"
                    "raise ValueError('CONNECTED')\n"), {"refused", "exception"}),
        "infinite_loop": ("while True:\n    pass\n", {"cpu"}),
        "sleep_forever": ("import time\ntime.sleep(3600)\n", {"wall"}),
        "fork_bomb": ("import os\nwhile True:\n    os.fork()\n", {"refused", "processes"}),
        "huge_allocation": ("x = bytearray(64 << 30)\n", {"memory"}),
        "api_key": ("import os\nraise ValueError(repr(dict(os.environ)))\n", {"exception"}),
    }


CASE_NAMES = sorted(_cases(0, Path("/x")))


@pytest.mark.parametrize(("isolation", "audit"), MODES)
@pytest.mark.parametrize("case", CASE_NAMES)
def test_hostile_code_is_stopped_by_the_runtime_limits(case, isolation, audit, listener, tmp_path, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", FAKE_KEY)
    marker = tmp_path / "pwned"
    code, stopped = _cases(listener, marker)[case]
    with pytest.raises(SandboxError) as info:
        run_family_code(code, {"action": "describe"}, limits=LIMITS, isolation=isolation, check_imports=False,
                        audit=audit)
    message = str(info.value)
    assert info.value.kind in stopped, message
    assert message.startswith("generated code ")
    for leak in (FAKE_KEY, "root:x:0", "[build-system]", "CONNECTED"):
        assert leak not in message
    assert not marker.exists()
    assert not _sandbox_processes(), "a sandboxed process outlived its run"


def _sandbox_processes(grace: float = 3.0) -> list[int]:
    """Processes running the sandbox runner still alive after ``grace`` s (SIGKILL is delivered at once, but
    a killed process takes a moment to go)."""
    deadline = time.monotonic() + grace
    while (found := _runner_pids()) and time.monotonic() < deadline:
        time.sleep(0.05)
    return found


def _runner_pids() -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if b"_sandbox_runner" in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


@pytest.mark.parametrize(("isolation", "audit"), MODES)
def test_the_kill_messages_name_the_limit(isolation, audit):
    with pytest.raises(SandboxError, match="CPU time limit of 2 s"):
        run_family_code("while True:\n    pass\n", {"action": "describe"}, limits=LIMITS, isolation=isolation,
                        check_imports=False, audit=audit)
    with pytest.raises(SandboxError, match="ran out of memory: the limit is 1024 MiB"):
        run_family_code("x = bytearray(64 << 30)\n", {"action": "describe"}, limits=LIMITS, isolation=isolation,
                        check_imports=False, audit=audit)


def test_the_static_check_runs_first():
    with pytest.raises(TwinError, match="refused before running .*import of 'os' is not allowed"):
        run_family_code("import os\n", {"action": "describe"})


def test_errors_in_generated_code_name_the_line():
    code = _crate_code().replace("    body = root_body(", "    raise ValueError('no crate today')\n    body = root_body(")
    family = load_generated(code)
    with pytest.raises(SandboxError, match=r"failed \(family\.py line \d+\): .*no crate today"):
        family.spec()


def test_a_module_that_is_no_family_is_reported():
    with pytest.raises(SandboxError, match="does not define NAME, DESCRIPTION, SCHEMA, build"):
        load_generated("x = 1\n")


def test_isolation_names_are_checked():
    with pytest.raises(TwinError, match="unknown sandbox isolation 'docker'; choose one of auto, bwrap, process"):
        resolve_isolation("docker")
    assert resolve_isolation("auto") in ("bwrap", "process")


@pytest.mark.parametrize(("xml", "message"), [
    ('<mujoco><include file="/etc/passwd"/></mujoco>', "uses <include>"),
    ('<mujoco><asset><mesh name="m" file="/etc/shadow"/></asset></mujoco>', "sets 'file' on <mesh>"),
    ('<mujoco><compiler meshdir="/root"/></mujoco>', "sets 'meshdir'"),
    ('<!DOCTYPE m [<!ENTITY x SYSTEM "file:///etc/passwd">]><mujoco>&x;</mujoco>', "DOCTYPE"),
    ('<mujoco><asset><mesh name="../../evil" vertex="0 0 0 1 0 0 0 1 0 0 0 1"/></asset></mujoco>', "mesh named"),
    ('<mujoco><extension><plugin plugin="mujoco.elasticity.cable"/></extension></mujoco>', "uses <extension>"),
    ("<robot/>", "root element must be <mujoco>"),
    ("not xml", "not well-formed"),
])
def test_generated_mjcf_is_vetted_before_parsing(xml, message):
    with pytest.raises(GeneratedXmlError, match=message):
        check_generated_xml(xml)


def test_child_environment_is_empty_of_secrets(monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", FAKE_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "also-secret")
    code = "import os\nraise ValueError(repr(sorted(os.environ)))\n"
    with pytest.raises(SandboxError) as info:
        run_family_code(code, {"action": "describe"}, check_imports=False, audit=False)
    names = str(info.value)
    assert "OPENBLAS_NUM_THREADS" in names and "ANTHROPIC" not in names and "AWS" not in names
    assert os.environ["ANTHROPIC_API_KEY"] == FAKE_KEY  # the parent's own environment is untouched
