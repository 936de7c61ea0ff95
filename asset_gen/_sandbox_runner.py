"""The child side of the sandbox, run by :mod:`asset_gen.sandbox` as ``python -I -B _sandbox_runner.py IN WORK FD``.

Order matters: read the request and the code, set the resource limits, import every module generated code
may use (later imports could not read the interpreter once privileges are dropped), drop root to the
sandbox uid, install the audit hook, and only then execute the generated code. ``IN`` holds
``request.json`` and ``family.py``; ``WORK`` is the only writable directory; the answer goes as JSON to the
inherited file descriptor ``FD``. The parent trusts nothing in it without checking.
"""

import json
import os
import resource
import sys

SANDBOX_UID = 65534
"""uid/gid generated code runs as when the sandbox starts as root (``nobody``)."""
MAX_WRITES = 32
"""Files the code may open for writing under the audit hook (the fallback's disk-space guard)."""

_PRELOAD = (
    "math", "cmath", "dataclasses", "typing", "enum", "itertools", "functools", "collections", "numpy",
    "numpy.linalg", "numpy.random", "mujoco", "twin.scene", "twin.shapes", "twin.transforms", "twin.errors",
    "asset_gen.schema", "asset_gen.parts", "asset_gen.materials", "asset_gen.family",
)

_REFUSED = (
    "subprocess.", "os.system", "os.exec", "os.spawn", "os.posix_spawn", "os.fork", "os.forkpty", "os.kill",
    "os.killpg", "os.putenv", "os.unsetenv", "os.remove", "os.rename", "os.rmdir", "os.mkdir", "os.chmod",
    "os.chown", "os.symlink", "os.link", "os.truncate", "os.utime", "os.chdir", "os.setxattr",
    "os.removexattr", "os.startfile", "os.add_dll_directory", "pty.", "socket.", "ctypes.", "shutil.",
    "resource.setrlimit", "resource.prlimit", "sys.addaudithook", "sys.settrace", "sys.setprofile",
    "signal.", "mmap.", "urllib.", "http.", "ftplib.", "smtplib.", "webbrowser.", "sqlite3.", "winreg.",
    "code.__new__", "function.__new__", "marshal.load", "pickle.find_class", "cpython.",
)


def _set_limits(limits: dict) -> None:
    cpu = int(limits["cpu_seconds"])
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 2))  # SIGXCPU at the soft limit, SIGKILL 2 s later
    memory = int(limits["memory_mib"]) << 20
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    size = int(limits["file_mib"]) << 20
    resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))


def _drop_privileges(processes: int) -> None:
    if os.getuid() == 0:  # RLIMIT_NPROC means nothing to root; the sandbox uid makes it count
        os.setgroups([])
        os.setgid(SANDBOX_UID)
        os.setuid(SANDBOX_UID)
    resource.setrlimit(resource.RLIMIT_NPROC, (processes, processes))


def _install_audit_hook(work: str, read_roots: tuple) -> None:
    write_root = os.path.realpath(work)
    read_roots = tuple(os.path.realpath(r) for r in read_roots) + (write_root,)
    writing = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
    writes = [0]  # files opened for writing: with RLIMIT_FSIZE, this bounds what the code can put on disk

    def inside(path, roots):
        if isinstance(path, int):
            return True
        if isinstance(path, bytes):
            path = os.fsdecode(path)
        real = os.path.realpath(os.fspath(path))
        return any(real == r or real.startswith(r.rstrip("/") + "/") for r in roots)

    def hook(event, args):
        if event.startswith(_REFUSED):
            raise PermissionError(f"sandbox: '{event}' is not allowed")
        if event == "open" and args[0] is not None:
            path, mode, flags = args[0], args[1], args[2]
            wants_write = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
                isinstance(flags, int) and flags & writing)
            if not inside(path, (write_root,) if wants_write else read_roots):
                raise PermissionError(f"sandbox: opening '{path}' for {'writing' if wants_write else 'reading'}"
                                      " is not allowed outside the sandbox's directories")
            if wants_write and not isinstance(path, int):
                writes[0] += 1
                if writes[0] > MAX_WRITES:
                    raise PermissionError(f"sandbox: more than {MAX_WRITES} files opened for writing")
        elif event in ("os.listdir", "os.scandir", "glob.glob") and args and not inside(args[0] or ".", read_roots):
            raise PermissionError(f"sandbox: listing '{args[0]}' is not allowed")

    sys.addaudithook(hook)


def _answer(fd: int, result: dict) -> None:
    with os.fdopen(fd, "w") as f:
        json.dump(result, f)


def main(inputs: str, work: str, fd: int) -> None:
    """Run the request in ``inputs`` with ``work`` as the writable directory; answer on ``fd``."""
    with open(os.path.join(inputs, "request.json")) as f:
        request = json.load(f)
    with open(os.path.join(inputs, "family.py")) as f:
        code = f.read()
    _set_limits(request["limits"])
    main_pid = os.getpid()
    import importlib

    for module in _PRELOAD:
        importlib.import_module(module)
    from asset_gen.family import asset_scene, family_from_namespace

    _drop_privileges(int(request["limits"]["processes"]))
    if request.get("audit", True):
        _install_audit_hook(work, tuple(request.get("read_roots", ())))
    try:
        namespace = {"__name__": "family", "__file__": "family.py"}
        exec(compile(code, "family.py", "exec"), namespace)  # noqa: S102 - this is the sandbox
        family = family_from_namespace(namespace)
        if request["action"] == "describe":
            result = {"ok": True, "name": family.name, "description": family.description,
                      "parameters": family.schema.to_list()}
        else:
            params = family.schema.validate(request.get("params"))
            scene = asset_scene(family, params, int(request.get("seed", 0)))
            result = {"ok": True, "name": family.name, "params": params.to_dict(), "xml": scene.spec.to_xml()}
    except MemoryError:
        result = {"ok": False, "kind": "memory", "error": "MemoryError"}
    except BlockingIOError as exc:  # fork/thread creation beyond RLIMIT_NPROC
        result = {"ok": False, "kind": "processes", "error": f"{type(exc).__name__}: {exc}", "line": _code_line(exc)}
    except BaseException as exc:  # noqa: BLE001 - everything the code raises goes back as one line
        kind = "refused" if isinstance(exc, PermissionError) and "sandbox:" in str(exc) else "exception"
        result = {"ok": False, "kind": kind, "error": f"{type(exc).__name__}: {exc}"[:2000],
                  "line": _code_line(exc)}
    if os.getpid() != main_pid:  # a process the code forked: only the original answers
        os._exit(0)
    _answer(fd, result)


def _code_line(exc: BaseException) -> int:
    """The last line of family.py in the traceback of ``exc`` or the exceptions it was raised from (0 if none)."""
    while exc is not None:
        line, tb = 0, exc.__traceback__
        while tb is not None:
            if tb.tb_frame.f_code.co_filename == "family.py":
                line = tb.tb_lineno
            tb = tb.tb_next
        if line:
            return line
        exc = exc.__cause__ or exc.__context__
    return 0


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
    sys.stdout.flush()
    os._exit(0)  # no interpreter shutdown hooks of anything the code registered
