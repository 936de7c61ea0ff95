"""The first line of defence for generated family code: an import allowlist and a name denylist on the AST.

This check is cheap and gives the agent precise feedback (line numbers, what is allowed), but no static
check makes Python safe: the process sandbox (:mod:`asset_gen.sandbox`) is the boundary that must hold even
when this check is bypassed, and its tests run hostile code with this check disabled.

Rules: imports only from :data:`ALLOWED_MODULES`; no names or attributes that reach the interpreter,
the file system or the process (:data:`BLOCKED_NAMES`, :data:`BLOCKED_ATTRIBUTES`); no attribute or name
starting with an underscore (dunder tricks such as ``().__class__.__base__.__subclasses__()``).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from twin.errors import TwinError

ALLOWED_MODULES = frozenset({
    "__future__", "math", "cmath", "dataclasses", "typing", "enum", "itertools", "functools", "collections",
    "numpy", "numpy.linalg", "numpy.random",
    "twin.scene", "twin.shapes", "twin.transforms", "twin.errors",
    "asset_gen.schema", "asset_gen.parts", "asset_gen.materials", "asset_gen.family",
})
"""Modules generated code may import (exact names; ``from numpy import linalg`` needs ``numpy.linalg``)."""

BLOCKED_NAMES = frozenset({
    "open", "eval", "exec", "compile", "__import__", "getattr", "setattr", "delattr", "hasattr", "globals",
    "locals", "vars", "dir", "breakpoint", "input", "help", "exit", "quit", "memoryview", "type", "super",
    "object", "classmethod", "staticmethod", "property", "__builtins__", "copyright", "credits", "license",
})
"""Builtins generated code may not name."""

BLOCKED_ATTRIBUTES = frozenset({
    # numpy and MuJoCo file I/O and escape hatches
    "load", "save", "savez", "savez_compressed", "loadtxt", "savetxt", "genfromtxt", "fromfile", "tofile",
    "memmap", "DataSource", "ctypeslib", "ctypes", "f2py", "testing", "distutils", "lib", "fromregex",
    "from_file", "to_file", "from_zip", "to_zip", "from_xml_path", "from_binary_path", "file", "meshdir",
    "texturedir", "assetdir", "modelfiledir", "add_plugin", "activate_plugin", "plugin",
    # process and environment
    "system", "popen", "environ", "getenv", "fork", "spawn", "kill", "modules", "stdout", "stderr", "stdin",
    "gi_frame", "f_globals", "f_locals", "f_back", "cr_frame", "tb_frame",
})
"""Attribute names generated code may not use."""


class UnsafeCodeError(TwinError):
    """Generated code failed the static check; ``issues`` holds one line per problem."""

    def __init__(self, issues: tuple[str, ...], filename: str = "family.py"):
        self.issues = issues
        shown = "; ".join(issues[:5]) + (f"; and {len(issues) - 5} more" if len(issues) > 5 else "")
        super().__init__(f"generated code refused before running ({filename}): {shown}")


@dataclass(frozen=True)
class _Issue:
    line: int
    message: str


def code_issues(code: str, filename: str = "family.py") -> tuple[str, ...]:
    """Every problem the static check finds, as ``"family.py:LINE: message"`` lines (empty: allowed)."""
    try:
        tree = ast.parse(code, filename=filename)
    except SyntaxError as exc:
        return (f"{filename}:{exc.lineno or 0}: syntax error: {exc.msg}",)
    issues: list[_Issue] = []
    for node in ast.walk(tree):
        issues.extend(_node_issues(node))
    return tuple(f"{filename}:{i.line}: {i.message}" for i in sorted(issues, key=lambda i: (i.line, i.message)))


def check_code(code: str, filename: str = "family.py") -> None:
    """Raise :class:`UnsafeCodeError` unless ``code`` passes the static check."""
    issues = code_issues(code, filename)
    if issues:
        raise UnsafeCodeError(issues, filename)


def _allowed_list() -> str:
    return ", ".join(sorted(ALLOWED_MODULES - {"__future__"}))


def _node_issues(node: ast.AST):
    line = getattr(node, "lineno", 0)
    if isinstance(node, ast.Import):
        for alias in node.names:
            if alias.name not in ALLOWED_MODULES:
                yield _Issue(line, f"import of '{alias.name}' is not allowed; allowed modules: {_allowed_list()}")
    elif isinstance(node, ast.ImportFrom):
        module = node.module or ""
        if node.level:
            yield _Issue(line, "relative imports are not allowed")
        elif module not in ALLOWED_MODULES:
            yield _Issue(line, f"import from '{module}' is not allowed; allowed modules: {_allowed_list()}")
        else:
            for alias in node.names:
                full = f"{module}.{alias.name}"
                if alias.name == "*":
                    yield _Issue(line, "'import *' is not allowed")
                elif _is_module_like(full) and full not in ALLOWED_MODULES:
                    yield _Issue(line, f"import of module '{full}' is not allowed")
                elif alias.name in BLOCKED_ATTRIBUTES or alias.name.startswith("_"):
                    yield _Issue(line, f"importing '{alias.name}' from '{module}' is not allowed")
    elif isinstance(node, ast.Name):
        if node.id in BLOCKED_NAMES or node.id.startswith("__"):
            yield _Issue(line, f"name '{node.id}' is not allowed")
    elif isinstance(node, ast.Attribute):
        if node.attr.startswith("_"):
            yield _Issue(line, f"attribute '{node.attr}' is not allowed (no attributes starting with '_')")
        elif node.attr in BLOCKED_ATTRIBUTES:
            yield _Issue(line, f"attribute '{node.attr}' is not allowed (file, process or interpreter access)")
    elif isinstance(node, (ast.Global, ast.Nonlocal)):
        yield _Issue(line, f"'{type(node).__name__.lower()}' statements are not allowed")
    elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        if isinstance(node, ast.AsyncFunctionDef):
            yield _Issue(line, "async functions are not allowed")
        for deco in getattr(node, "decorator_list", ()):
            if not _plain_decorator(deco):
                yield _Issue(line, "only @dataclass-style decorators are allowed")
    elif isinstance(node, (ast.Await, ast.Yield, ast.YieldFrom)):
        yield _Issue(line, "generators and coroutines are not allowed")


def _plain_decorator(node: ast.AST) -> bool:
    target = node.func if isinstance(node, ast.Call) else node
    name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
    return name in {"dataclass", "cache", "lru_cache"}


def _is_module_like(full: str) -> bool:
    """Whether ``from a import b`` may name a submodule (a package's child we do not allow)."""
    top = full.split(".")[0]
    return top in {"numpy", "twin", "asset_gen"} and full.split(".")[-1] in _SUBMODULES


_SUBMODULES = frozenset({
    "linalg", "random", "fft", "polynomial", "ma", "ctypeslib", "lib", "testing", "f2py", "distutils", "typing",
    "scene", "shapes", "transforms", "errors", "schema", "parts", "materials", "family", "usd", "mjcf", "render",
    "atomic", "executor", "provenance", "manifest", "twin_dir", "report", "validation", "sandbox", "agent",
    "families", "variation", "extras", "examples", "core", "char", "rec", "strings", "exceptions", "dtypes",
})
