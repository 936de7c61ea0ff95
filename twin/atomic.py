"""Atomic outputs: work in a temporary sibling, rename into place only when complete.

A run stopped by an error or Ctrl-C removes its temporary directory; one stopped by ``kill -9`` leaves a
``.NAME.partial-PID`` sibling that the next run for the same output removes. Either way ``NAME`` itself is
the previous complete output or nothing, never a partial one.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from twin.errors import OutputError

_MARK = ".partial-"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove_stale(out: Path) -> None:
    for sibling in out.parent.glob(f".{out.name}{_MARK}*"):
        pid_text = sibling.name.rsplit(_MARK, 1)[-1].split("-", 1)[0]
        if pid_text.isdigit() and not _pid_alive(int(pid_text)):
            shutil.rmtree(sibling, ignore_errors=True) if sibling.is_dir() else sibling.unlink(missing_ok=True)


Replaceable = Callable[[Path], "str | None"]
"""Given an existing, non-empty output directory: None if it may be replaced, else why not."""


def check_output_directory(out: str | Path, replaceable: Replaceable | None = None) -> None:
    """Raise :class:`OutputError` unless ``out`` is absent, empty, or ``replaceable`` accepts it.

    Call it before long work so a refusal comes first; :func:`atomic_directory` calls it again.
    """
    out = Path(out).absolute()
    if not out.exists():
        return
    if not out.is_dir():
        raise OutputError("exists and is not a directory; choose another output path", out)
    if not any(out.iterdir()):
        return
    reason = "is not empty" if replaceable is None else replaceable(out)
    if reason:
        raise OutputError(f"{reason}; choose another output path or remove it", out)


def _default_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o777 & ~umask


@contextlib.contextmanager
def atomic_directory(out: str | Path, *, replaceable: Replaceable | None = None) -> Iterator[Path]:
    """Yield an empty temporary directory that becomes ``out`` when the block completes.

    Args:
        out: The final directory.
        replaceable: Decides whether an existing, non-empty ``out`` (an earlier output of the same kind,
            holding nothing else) may be replaced; without it only an empty ``out`` is. A refusal is an
            :class:`OutputError` raised before the block runs, so nothing of the user's is lost.
    """
    out = Path(out).absolute()
    check_output_directory(out, replaceable)
    mode = out.stat().st_mode & 0o7777 if out.exists() else _default_mode()
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        _remove_stale(out)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}{_MARK}{os.getpid()}-", dir=out.parent))
    except OSError as exc:
        raise OutputError(f"cannot create the output directory: {exc.strerror}", out) from None
    try:
        yield tmp
        os.chmod(tmp, mode)  # mkdtemp makes it 0700; give it the mode a plain mkdir (or the old output) had
        old = None
        if out.exists():
            old = out.parent / f".{out.name}{_MARK}{os.getpid()}-old"
            out.rename(old)
        tmp.rename(out)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


@contextlib.contextmanager
def atomic_file(path: str | Path) -> Iterator[Path]:
    """Yield a temporary sibling path that replaces ``path`` (``os.replace``) when the block completes."""
    path = Path(path).absolute()
    tmp = path.parent / f".{path.name}{_MARK}{os.getpid()}"
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
