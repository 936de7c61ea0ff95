"""The static check on generated code: what it refuses, with the line and what is allowed."""

from __future__ import annotations

from pathlib import Path

import pytest

from asset_gen.code_check import UnsafeCodeError, check_code, code_issues
from asset_gen.families import FAMILIES

HOSTILE = {
    "import os": ("import os\nos.system('rm -rf /')\n", "family.py:1: import of 'os' is not allowed"),
    "subprocess": ("import subprocess\n", "import of 'subprocess' is not allowed"),
    "from os": ("from os import system\n", "import from 'os' is not allowed"),
    "socket": ("import socket\n", "import of 'socket' is not allowed"),
    "open": ("data = open('/etc/passwd').read()\n", "name 'open' is not allowed"),
    "eval": ("eval('1+1')\n", "name 'eval' is not allowed"),
    "exec": ("exec('x=1')\n", "name 'exec' is not allowed"),
    "__import__": ("__import__('os')\n", "name '__import__' is not allowed"),
    "getattr": ("import math\ngetattr(math, 'pi')\n", "family.py:2: name 'getattr' is not allowed"),
    "dunder": ("().__class__.__base__.__subclasses__()\n", "attribute '__class__' is not allowed"),
    "numpy file": ("import numpy as np\nnp.save('/tmp/x', 1)\n", "attribute 'save' is not allowed"),
    "numpy ctypes": ("import numpy as np\nnp.ctypeslib\n", "attribute 'ctypeslib' is not allowed"),
    "numpy submodule": ("from numpy import ctypeslib\n", "import of module 'numpy.ctypeslib' is not allowed"),
    "twin writer": ("from twin import usd\n", "import from 'twin' is not allowed"),
    "mujoco": ("import mujoco\n", "import of 'mujoco' is not allowed"),
    "mesh file": ("def build(scene):\n    scene.spec.add_mesh(name='m').file = '/etc/shadow'\n",
                  "attribute 'file' is not allowed"),
    "environ": ("import numpy\nnumpy.os.environ\n", "attribute 'environ' is not allowed"),
    "syntax": ("def (:\n", "family.py:1: syntax error"),
    "relative": ("from . import secrets\n", "relative imports are not allowed"),
    "global": ("def f():\n    global x\n", "'global' statements are not allowed"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE), ids=sorted(HOSTILE))
def test_hostile_code_is_refused_with_the_line(case):
    code, message = HOSTILE[case]
    with pytest.raises(UnsafeCodeError) as info:
        check_code(code)
    assert message in str(info.value)
    assert info.value.issues


@pytest.mark.parametrize("family", FAMILIES, ids=[f.name for f in FAMILIES])
def test_builtin_family_code_passes(family):
    source = Path(__import__(family.source, fromlist=["x"]).__file__).read_text()
    assert code_issues(source) == ()


def test_the_refusal_names_the_allowed_modules():
    with pytest.raises(UnsafeCodeError, match="allowed modules: .*numpy.*twin.scene"):
        check_code("import shutil\n")
