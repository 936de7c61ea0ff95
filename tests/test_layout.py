"""Package layout: import direction cli -> {scans, calibration, asset_gen} -> twin, and lazy extras."""

from __future__ import annotations

import ast
import subprocess
import sys

import pytest

from tests.conftest import REPO
from twin.errors import MissingExtraError
from twin.extras import require

PACKAGES = ("twin", "scans", "calibration", "asset_gen", "cli")
ALLOWED = {
    "twin": set(),
    "scans": {"twin"},
    "calibration": {"twin"},
    "asset_gen": {"twin"},
    "cli": {"twin", "scans", "calibration", "asset_gen"},
}


def _imported_packages(path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names & set(PACKAGES)


@pytest.mark.parametrize("package", PACKAGES)
def test_import_direction(package):
    files = sorted((REPO / package).rglob("*.py"))
    assert files, f"package {package} has no modules"
    for path in files:
        bad = _imported_packages(path) - ALLOWED[package] - {package}
        assert not bad, f"{path.relative_to(REPO)} imports {sorted(bad)}; {package} may import only {sorted(ALLOWED[package])}"


def test_direction_checker_catches_a_violation(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("from cli.main import app\nimport scans.readers\n")
    assert _imported_packages(bad) == {"cli", "scans"}


def test_missing_extra_names_the_extra():
    with pytest.raises(MissingExtraError, match=r"pip install 'twin-builder\[scan\]'") as info:
        require("no_such_module_for_twin_tests", "scan", "reading E57 clouds")
    assert "reading E57 clouds" in str(info.value)


def test_core_and_cli_import_without_optional_packages():
    # pxr (usd) and PIL (report) are imported lazily: blocking them must not break importing the CLI.
    code = (
        "import sys; sys.modules['pxr'] = None; sys.modules['PIL'] = None\n"
        "import cli.main, twin.twin_dir, twin.usd\n"
        "from twin.errors import MissingExtraError\n"
        "from twin.render import save_png\n"
        "import numpy as np\n"
        "try:\n    save_png(np.zeros((2, 2, 3), np.uint8), 'x.png')\n"
        "except MissingExtraError as e:\n    print(e)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "twin-builder[report]" in result.stdout
