"""The agent in a child process: scan, dump, rebuild, and user code misbehaving."""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from petbrowser.core.child import run_agent
from petbrowser.core.errors import ChildTimeoutError, ProjectError

PY = sys.executable

MODULE = """
import math
from collections import OrderedDict  # imported: must not be listed


def helper(v):
    return v * 3


class Scaler:
    factor = 2

    def __init__(self, offset: int = 1):
        self.offset = offset

    def apply(self, xs):
        return [helper(x) * self.factor + self.offset for x in xs if x > -math.inf]

    @staticmethod
    def name():
        return "scaler"


class Child(Scaler):
    factor = 5


Alias = Scaler
"""


def _project(tmp_path: Path, source: str = MODULE, name: str = "userlib") -> Path:
    root = tmp_path / "proj"
    root.mkdir(exist_ok=True)
    (root / f"{name}.py").write_text(textwrap.dedent(source))
    return root


def test_scan_lists_the_module_own_classes_with_both_hashes(tmp_path: Path) -> None:
    root = _project(tmp_path)
    answer = run_agent({"op": "scan", "modules": ["userlib"]}, python=PY, cwd=root, timeout=60)
    classes = {c["name"]: c for c in answer["classes"]}
    assert set(classes) == {"Scaler", "Child"}  # not OrderedDict, not the Alias
    sc = classes["Scaler"]
    assert sc["module"] == "userlib" and sc["file"].endswith("userlib.py")
    assert len(sc["hashes"]["pb1"]) == 64 and len(sc["hashes"]["labchain"]) == 64
    assert sc["describe"]["attributes"] == {"factor": "2"}
    assert sc["hashes"] != classes["Child"]["hashes"]


def test_scan_accepts_a_py_path_and_a_src_layout(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    (root / "src" / "pkg").mkdir(parents=True)
    (root / "src" / "pkg" / "__init__.py").write_text("")
    (root / "src" / "pkg" / "models.py").write_text("class InPkg:\n    pass\n")
    (root / "scripts").mkdir()
    (root / "scripts" / "loose.py").write_text("class Loose:\n    pass\n")
    answer = run_agent(
        {"op": "scan", "modules": ["pkg.models", "scripts/loose.py"]}, python=PY, cwd=root
    )
    assert [(c["module"], c["name"]) for c in answer["classes"]] == [
        ("pkg.models", "InPkg"),
        ("loose", "Loose"),
    ]
    assert answer["classes"][1]["spec"] == "scripts/loose.py"
    dumped = run_agent(
        {"op": "dump", "module": "scripts/loose.py", "class": "Loose"}, python=PY, cwd=root
    )
    assert dumped["items"][0]["module"] == "loose"


def test_dumped_class_runs_in_a_fresh_process_after_its_source_is_deleted(tmp_path: Path) -> None:
    root = _project(tmp_path)
    answer = run_agent({"op": "dump", "module": "userlib", "class": "Scaler"}, python=PY, cwd=root)
    (item,) = answer["items"]
    pkl = base64.b64decode(item["pkl"])
    assert b"helper" in pkl  # pickled by value: the module's function travels with it
    shutil.rmtree(root)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "v.pkl").write_bytes(pkl)
    code = (
        "import cloudpickle, sys\n"
        "C = cloudpickle.loads(open('v.pkl', 'rb').read())\n"
        "assert 'userlib' not in sys.modules\n"
        "print(C(offset=10).apply([1, 2]), C.name())\n"
    )
    out = subprocess.run(
        [PY, "-I", "-c", code], cwd=elsewhere, capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == ["[16,", "22]", "scaler"]

    rebuilt = run_agent({"op": "rebuild", "pkl": item["pkl"]}, python=PY, cwd=elsewhere)
    assert rebuilt["class_name"] == "Scaler"
    assert rebuilt["methods"]["__init__"] == "(self, offset: int = 1)"
    assert rebuilt["hashes"]["pb1"] == item["hashes"]["pb1"]


def test_dump_leaves_a_module_registered_by_value_registered(tmp_path: Path) -> None:
    # The module registers itself; the agent must not unregister it (nor fail).
    src = "import cloudpickle, sys\ncloudpickle.register_pickle_by_value(sys.modules[__name__])\n"
    root = _project(tmp_path, src + MODULE)
    answer = run_agent(
        {"op": "dump", "module": "userlib", "classes": ["Scaler", "Child"]}, python=PY, cwd=root
    )
    assert [i["name"] for i in answer["items"]] == ["Scaler", "Child"]


def test_user_output_on_stdout_does_not_break_the_answer(tmp_path: Path) -> None:
    noisy = "import sys\nprint('x' * 4_000_000)\nsys.stdout.write('{\"ok\": false}\\n')\n"
    root = _project(tmp_path, noisy + MODULE)
    answer = run_agent({"op": "scan", "modules": ["userlib"]}, python=PY, cwd=root)
    assert {c["name"] for c in answer["classes"]} == {"Scaler", "Child"}


def test_module_raising_on_import_is_a_project_error(tmp_path: Path) -> None:
    root = _project(tmp_path, "x = 1\nraise RuntimeError('no GPU here')\n", name="broken")
    with pytest.raises(ProjectError) as exc:
        run_agent({"op": "scan", "modules": ["broken"]}, python=PY, cwd=root)
    assert str(exc.value) == "module 'broken' failed to import: RuntimeError: no GPU here"


def test_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    root = _project(tmp_path, "class A:\n    pass\ndef f(:\n", name="demo_mod")
    with pytest.raises(ProjectError) as exc:
        run_agent({"op": "scan", "modules": ["demo_mod"]}, python=PY, cwd=root)
    assert str(exc.value).startswith("module 'demo_mod' failed to import: SyntaxError: ")
    assert "(demo_mod.py, line 3)" in str(exc.value)


def test_missing_module_is_named(tmp_path: Path) -> None:
    root = _project(tmp_path)
    with pytest.raises(ProjectError, match="module 'nosuch' was not found"):
        run_agent({"op": "scan", "modules": ["nosuch"]}, python=PY, cwd=root)


def test_module_calling_exit_on_import_is_reported(tmp_path: Path) -> None:
    root = _project(tmp_path, "import sys\nsys.exit(3)\n", name="quitter")
    with pytest.raises(ProjectError, match="module 'quitter' failed to import: SystemExit: 3"):
        run_agent({"op": "scan", "modules": ["quitter"]}, python=PY, cwd=root)


def test_hanging_import_is_killed_and_named(tmp_path: Path) -> None:
    root = _project(tmp_path, "import time\nwhile True:\n    time.sleep(1)\n", name="hangs")
    with pytest.raises(ChildTimeoutError) as exc:
        run_agent({"op": "scan", "modules": ["hangs"]}, python=PY, cwd=root, timeout=3)
    assert str(exc.value) == "importing module 'hangs' did not finish within 3 s"


def test_interpreter_without_cloudpickle_is_a_clear_error(tmp_path: Path) -> None:
    base = getattr(sys, "_base_executable", None)
    if os.name != "posix" or not base or not Path(base).exists():
        pytest.skip("needs a POSIX base interpreter")
    # The base interpreter run with -S sees no site-packages, so no cloudpickle.
    fake = tmp_path / "bin" / "python"
    fake.parent.mkdir()
    fake.write_text(f'#!/bin/sh\nexec "{base}" -S "$@"\n')
    fake.chmod(0o755)
    root = _project(tmp_path)
    with pytest.raises(ProjectError) as exc:
        run_agent(
            {"op": "dump", "module": "userlib", "class": "Scaler"}, python=str(fake), cwd=root
        )
    assert str(exc.value) == (
        f"the project's interpreter {fake} has no cloudpickle: pip install cloudpickle there"
    )


def test_missing_interpreter_is_a_project_error(tmp_path: Path) -> None:
    with pytest.raises(ProjectError, match="cannot be started"):
        run_agent({"op": "scan", "modules": []}, python=str(tmp_path / "nope"), cwd=tmp_path)
