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
from collections.abc import Iterator
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


@contextlib.contextmanager
def atomic_directory(out: str | Path, *, replaceable: str | None = None) -> Iterator[Path]:
    """Yield an empty temporary directory that becomes ``out`` when the block completes.

    Args:
        out: The final directory.
        replaceable: If ``out`` exists, it is replaced only when it is empty or holds this file name (e.g.
            ``"twin.json"``: an earlier output of the same kind); otherwise :class:`OutputError` is raised
            before any work is done, so nothing of the user's is lost.
    """
    out = Path(out).absolute()
    if out.exists():
        if not out.is_dir():
            raise OutputError("exists and is not a directory; choose another output path", out)
        if any(out.iterdir()) and (replaceable is None or not (out / replaceable).exists()):
            raise OutputError(
                "exists, is not empty and is not an earlier output of this command; "
                "choose another output path or remove it",
                out,
            )
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        _remove_stale(out)
        tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}{_MARK}{os.getpid()}-", dir=out.parent))
    except OSError as exc:
        raise OutputError(f"cannot create the output directory: {exc.strerror}", out) from None
    try:
        yield tmp
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
