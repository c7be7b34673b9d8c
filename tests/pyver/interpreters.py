"""The CPython interpreters of this machine, and small venvs with cloudpickle for them.

The version tests need a real 3.8 ... 3.13: one that pushes (petbrowser's
agent runs in it, so it needs cloudpickle) and one that inspects (petbrowser's
static inspection needs only the standard library).  Interpreters are found
under ``~/.pyenv/versions`` and on PATH (``python3.X``); a venv for pushing is
made without pip (nothing is downloaded) and gets a copy of the cloudpickle
petbrowser itself runs with, which is pure Python and supports 3.8+.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
from pathlib import Path

import cloudpickle

MINORS = ("3.8", "3.9", "3.10", "3.11", "3.12", "3.13")
REPO = Path(__file__).resolve().parents[2]


def find_python(minor: str) -> str | None:
    """A CPython ``minor`` interpreter (newest patch under pyenv first), or None."""
    hits = sorted(glob.glob(os.path.expanduser(f"~/.pyenv/versions/{minor}.*/bin/python3")))
    for path in reversed(hits):
        if os.access(path, os.X_OK):
            return path
    found = shutil.which(f"python{minor}")
    if found:
        return found
    if "{}.{}".format(*sys.version_info[:2]) == minor:
        return sys.executable
    return None


def missing_reason(minor: str) -> str:
    return f"no CPython {minor} on this machine (looked in ~/.pyenv/versions and for python{minor} on PATH)"


def make_venv(python: str, dest: Path) -> Path:
    """A venv of ``python`` at ``dest`` holding cloudpickle; returns its interpreter."""
    if not (dest / "bin" / "python").exists():
        subprocess.run(
            [python, "-m", "venv", "--without-pip", str(dest)],
            check=True,
            capture_output=True,
            timeout=120,
        )
    venv_python = dest / "bin" / "python"
    purelib = subprocess.run(
        [str(venv_python), "-I", "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout.strip()
    target = Path(purelib) / "cloudpickle"
    if not target.exists():
        shutil.copytree(
            Path(cloudpickle.__file__).parent, target, ignore=shutil.ignore_patterns("__pycache__")
        )
    return venv_python


def push_probe(venv_python: Path, project: Path, store: Path) -> int:
    """``petbrowser push Probe`` of tests/pyver/matrix_mod.py, hashed and pickled by ``venv_python``."""
    from petbrowser.cli import main

    project.mkdir(parents=True, exist_ok=True)
    shutil.copy(Path(__file__).with_name("matrix_mod.py"), project / "matrix_mod.py")
    (project / "pyproject.toml").write_text(
        f'[tool.petbrowser]\nmodules = ["matrix_mod"]\npython = "{venv_python}"\n'
    )
    return main(["push", "Probe", "--project", str(project), "--storage", str(store)])
