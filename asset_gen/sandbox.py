"""Run generated family code in a separate, confined process; never in this one.

Layers, outermost first:

1. :func:`asset_gen.code_check.check_code`: an import allowlist and name denylist on the AST (skippable
   only in tests, to prove the layers below hold on their own).
2. A child process ``python -I -B`` with an empty environment (no ``ANTHROPIC_API_KEY`` or any other
   secret; ``OPENBLAS_NUM_THREADS=1``), its own session, resource limits (``RLIMIT_CPU``, ``RLIMIT_AS``,
   ``RLIMIT_FSIZE``, ``RLIMIT_NOFILE``, ``RLIMIT_NPROC``) and a wall-clock timeout after which its process
   group is killed. Started as root, it drops to uid/gid 65534 before running the code, so
   ``RLIMIT_NPROC`` counts (it does nothing for root) and root's files are out of reach.
3. Isolation ``"bwrap"`` (bubblewrap, Debian package ``bubblewrap``; chosen by ``"auto"`` when it works):
   a private file-system view holding only read-only binds of the interpreter, the venv, the ``twin`` and
   ``asset_gen`` packages and the system libraries, one writable directory (a size-limited tmpfs), no
   ``/etc``, ``/home``, ``/tmp`` or project files; new network (no interfaces but loopback), PID, IPC and UTS
   namespaces; it dies with its parent, and the PID namespace takes every descendant down with it. (No
   ``--new-session``: the child has no terminal, and staying in the run's process group lets one
   ``killpg`` reach the whole sandbox at once.)
4. Isolation ``"process"`` (the weaker fallback without bubblewrap) relies on layer 2 plus an audit hook
   (``sys.addaudithook``) installed in the child before the code runs, refusing process creation, signals,
   sockets, ``ctypes``, file writes outside the work directory (and more than 32 files opened for writing:
   with ``RLIMIT_FSIZE`` that bounds the disk it can fill) and reads outside the interpreter, the packages
   and the work directory. Audit hooks are not a security boundary against determined native
   code; install bubblewrap where generated code is run routinely.

The child answers with the asset as MJCF text; :func:`asset_gen.xml_check.check_generated_xml` vets it
before anything in this process parses it.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import asset_gen
import twin
from asset_gen.code_check import check_code
from twin.errors import TwinError

ISOLATIONS = ("auto", "bwrap", "process")
RUNNER = Path(__file__).with_name("_sandbox_runner.py")
SANDBOX_DIR = "/sandbox"
"""Where the work directory appears inside bubblewrap."""
SANDBOX_UID = 65534


class SandboxError(TwinError):
    """Generated code failed, was refused or was killed; ``kind`` says which.

    Kinds: ``refused`` (a forbidden action), ``exception`` (the code raised), ``cpu``, ``wall``, ``memory``,
    ``processes`` (fork/thread limit), ``output`` (too large), ``crashed`` (killed by another signal),
    ``no_result``.
    """

    def __init__(self, message: str, kind: str, line: int = 0):
        self.kind = kind
        self.line = line
        super().__init__(message)


@dataclass(frozen=True)
class SandboxLimits:
    """Resource limits of one sandboxed run.

    Args:
        cpu_seconds: CPU time, s (SIGXCPU, then SIGKILL 2 s later).
        wall_seconds: Wall-clock time, s, after which the whole process group is killed.
        memory_mib: Address space, MiB (``RLIMIT_AS``; allocations beyond it fail with MemoryError).
        processes: Processes and threads of the sandbox uid (``RLIMIT_NPROC``).
        file_mib: Largest file the child may write, MiB (``RLIMIT_FSIZE``; also bounds stdout/stderr).
        work_mib: Size of the writable directory under bubblewrap (a tmpfs), MiB.
        result_mib: Largest answer read back, MiB.
    """

    cpu_seconds: int = 20
    wall_seconds: float = 60.0
    memory_mib: int = 1536
    processes: int = 32
    file_mib: int = 16
    work_mib: int = 256
    result_mib: int = 32

    def __post_init__(self) -> None:
        for name, value in asdict(self).items():
            if not value > 0:
                raise TwinError(f"SandboxLimits.{name} must be > 0, got {value!r}")


@functools.lru_cache(maxsize=1)
def bwrap_available() -> bool:
    """Whether bubblewrap is installed and can create its namespaces here (cached)."""
    exe = shutil.which("bwrap")
    if exe is None:
        return False
    try:
        probe = subprocess.run([exe, *_system_binds(), "--unshare-net", "--unshare-pid", "--die-with-parent",
                                "--ro-bind", sys.base_prefix, sys.base_prefix, os.path.realpath(sys.executable),
                                "-I", "-c", "pass"], capture_output=True, timeout=30, env={}, check=False)
    except (OSError, subprocess.SubprocessError):
        return False
    return probe.returncode == 0


def resolve_isolation(isolation: str) -> str:
    """``"bwrap"`` or ``"process"`` for a requested ``isolation`` in :data:`ISOLATIONS`."""
    if isolation not in ISOLATIONS:
        raise TwinError(f"unknown sandbox isolation '{isolation}'; choose one of {', '.join(ISOLATIONS)}")
    if isolation == "auto":
        return "bwrap" if bwrap_available() else "process"
    if isolation == "bwrap" and not bwrap_available():
        raise TwinError("sandbox isolation 'bwrap' needs bubblewrap (Debian package 'bubblewrap') able to create "
                        "namespaces here; use isolation 'auto' or 'process'")
    return isolation


def run_family_code(
    code: str,
    request: dict[str, Any],
    *,
    limits: SandboxLimits = SandboxLimits(),
    isolation: str = "auto",
    check_imports: bool = True,
    audit: bool = True,
) -> dict[str, Any]:
    """Run ``request`` against family ``code`` in the sandbox and return the child's answer.

    Args:
        code: The family module's source.
        request: ``{"action": "describe"}`` or ``{"action": "build", "params": {...}, "seed": int}``.
        limits: Resource limits.
        isolation: One of :data:`ISOLATIONS`.
        check_imports: Run the static check first (disable only to test the runtime layers).
        audit: Install the audit hook in the child (disable only to test the other layers).

    Returns:
        The answer: for ``describe`` ``{"name", "description", "parameters"}``; for ``build``
        ``{"name", "params", "xml"}``.

    Raises:
        UnsafeCodeError: the static check refused the code.
        SandboxError: the code raised, was refused an action, or was killed (``kind`` says which).
    """
    if check_imports:
        check_code(code)
    mode = resolve_isolation(isolation)
    work = Path(tempfile.mkdtemp(prefix="twin-sandbox-"))
    try:
        (work / "family.py").write_text(code)
        # bubblewrap: the inputs are a read-only bind inside a size-limited tmpfs, the only writable place;
        # the fallback's work directory is a host directory (only RLIMIT_FSIZE bounds each file there).
        inputs, inner = (f"{SANDBOX_DIR}/in", SANDBOX_DIR) if mode == "bwrap" else (str(work), str(work))
        roots = [sys.prefix, sys.base_prefix, _package_dir(twin), _package_dir(asset_gen)]
        if mode == "bwrap":
            roots += ["/usr/lib", "/usr/lib64", "/dev/urandom", "/dev/null", "/proc/self", "/proc/cpuinfo"]
        document = {**request, "limits": asdict(limits), "audit": audit, "read_roots": roots}
        (work / "request.json").write_text(json.dumps(document))
        if os.getuid() == 0 and mode == "process":
            os.chown(work, SANDBOX_UID, SANDBOX_UID)
        with tempfile.TemporaryFile() as answer:
            command = _command(mode, work, inputs, inner, answer.fileno(), limits)
            return _run(command, work, inner, answer, limits)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _package_dir(module) -> str:
    return str(Path(module.__file__).resolve().parent)


def _child_env(home: str) -> dict[str, str]:
    """The child's whole environment: nothing inherited (no keys, tokens or proxies)."""
    return {"PATH": "/usr/bin:/bin", "HOME": home, "TMPDIR": home, "LANG": "C.UTF-8", "OPENBLAS_NUM_THREADS": "1",
            "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "MUJOCO_GL": "disable"}


def _system_binds() -> list[str]:
    args = []
    for path in ("/usr/lib", "/usr/lib64"):
        if os.path.isdir(path):
            args += ["--ro-bind", path, path]
    for path in ("/lib", "/lib64", "/lib32"):
        if os.path.islink(path):
            args += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            args += ["--ro-bind", path, path]
    return args


def _bind_with_parents(path: str, seen: set[str]) -> list[str]:
    """``--dir`` for each missing parent (mode 0755: bubblewrap's default 0700 would lock out the sandbox uid),
    then a read-only bind of ``path``."""
    args = []
    parts = Path(path).parts
    for i in range(2, len(parts)):
        parent = str(Path(*parts[:i]))
        if parent not in seen and parent not in ("/usr", "/usr/lib"):
            seen.add(parent)
            args += ["--perms", "0755", "--dir", parent]
    return args + ["--ro-bind", path, path]


def _command(mode: str, work: Path, inputs: str, inner: str, fd: int, limits: SandboxLimits) -> list[str]:
    python = os.path.abspath(sys.executable)  # the venv's python: its pyvenv.cfg gives the site-packages
    runner = [python, "-I", "-B", str(RUNNER), inputs, inner, str(fd)]
    if mode == "process":
        return runner
    binds: list[str] = []
    seen: set[str] = set()
    real_python = os.path.realpath(sys.executable)
    for path in sorted({os.path.realpath(sys.base_prefix), os.path.realpath(sys.prefix), _package_dir(twin),
                        _package_dir(asset_gen), str(Path(real_python).parent.parent)}):
        binds += _bind_with_parents(path, seen)
    if os.path.abspath(sys.prefix) != os.path.realpath(sys.prefix):
        binds += _bind_with_parents(os.path.abspath(sys.prefix), seen)
    return [shutil.which("bwrap") or "bwrap", *_system_binds(), *binds,
            "--perms", "0777", "--size", str(limits.work_mib << 20), "--tmpfs", SANDBOX_DIR,
            "--ro-bind", str(work), inputs, "--chdir", SANDBOX_DIR, "--proc", "/proc", "--dev", "/dev",
            "--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
            "--die-with-parent", "--clearenv",
            *[a for k, v in _child_env(SANDBOX_DIR).items() for a in ("--setenv", k, v)], *runner]


def _run(command: list[str], work: Path, inner: str, answer, limits: SandboxLimits) -> dict[str, Any]:
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log, stderr=log, cwd=str(work),
                                   env=_child_env(inner), start_new_session=True, pass_fds=(answer.fileno(),))
        timed_out = False
        try:
            process.wait(timeout=limits.wall_seconds)
        except subprocess.TimeoutExpired:
            timed_out = True
        except BaseException:
            _kill_group(process)
            raise
        _kill_group(process)  # whatever it left behind in its session goes too
        log.seek(0)
        tail = log.read()[-2000:].decode("utf-8", "replace").strip().splitlines()[-3:]
    if timed_out:
        raise SandboxError(f"generated code killed: still running after the wall-clock limit of "
                           f"{limits.wall_seconds:g} s", "wall")
    result = _read_result(answer, limits)
    if result is None:
        raise _exit_error(process.returncode, limits, tail)
    if not result.get("ok"):
        kind = str(result.get("kind", "exception"))
        line = int(result.get("line") or 0)
        where = f" (family.py line {line})" if line else ""
        if kind == "memory":
            raise SandboxError(f"generated code ran out of memory: the limit is {limits.memory_mib} MiB", "memory")
        if kind == "processes":
            raise SandboxError(f"generated code stopped at the process limit of {limits.processes} "
                               f"({result.get('error', '?')})", "processes", line)
        verb = "was refused" if kind == "refused" else "failed"
        raise SandboxError(f"generated code {verb}{where}: {result.get('error', '?')}", kind, line)
    return result


def _kill_group(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    process.wait()


def _read_result(answer, limits: SandboxLimits) -> dict[str, Any] | None:
    size = os.fstat(answer.fileno()).st_size
    if size == 0:
        return None
    if size > limits.result_mib << 20:
        raise SandboxError(f"generated code's answer is larger than {limits.result_mib} MiB", "output")
    answer.seek(0)
    try:
        result = json.loads(answer.read().decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return None
    return result if isinstance(result, dict) else None


def _exit_error(code: int, limits: SandboxLimits, tail: list[str]) -> SandboxError:
    sig = -code if code < 0 else (code - 128 if code > 128 else 0)  # bubblewrap reports 128 + signal
    if sig == signal.SIGXCPU or sig == signal.SIGKILL:
        return SandboxError(f"generated code killed: it used more than its CPU time limit of {limits.cpu_seconds} s"
                            if sig == signal.SIGXCPU else
                            "generated code killed (SIGKILL: CPU hard limit or memory)", "cpu")
    if sig == signal.SIGXFSZ:
        return SandboxError(f"generated code killed: it wrote a file larger than {limits.file_mib} MiB", "output")
    detail = f": {' | '.join(tail)}" if tail else ""
    if sig:
        return SandboxError(f"generated code crashed with signal {signal.Signals(sig).name}{detail}", "crashed")
    return SandboxError(f"generated code exited with status {code} without an answer{detail}", "no_result")
