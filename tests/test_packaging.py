"""Packaging: what the wheel ships, the desktop files, the frozen entry point.

The full frozen build is exercised by ``packaging/build.sh`` (minutes); these
checks are the fast part: they fail when a resource or agent file would be
missing from an install, when the desktop metadata stops validating or drifts
from the package, or when the frozen executable stops speaking ``python -c``
well enough to run the class agent.
"""

from __future__ import annotations

import base64
import importlib.metadata
import re
import shutil
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
import zipfile
from configparser import ConfigParser
from pathlib import Path

import pytest
import tomllib

import petbrowser
from petbrowser.core.child import AGENT_DIR, run_agent

ROOT = Path(__file__).resolve().parents[1]
PACKAGING = ROOT / "packaging"
APP_ID = "io.github.petbrowser.PetBrowser"
DESKTOP = PACKAGING / f"{APP_ID}.desktop"
METAINFO = PACKAGING / f"{APP_ID}.metainfo.xml"
ENTRY = PACKAGING / "entry.py"
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _files_under(folder: Path, suffixes: tuple[str, ...] | None = None) -> list[Path]:
    return sorted(
        p
        for p in folder.rglob("*")
        if p.is_file()
        and "__pycache__" not in p.parts
        and (suffixes is None or p.suffix in suffixes)
    )


# ------------------------------------------------------------------ the wheel


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    """The wheel of the current tree, built from a copy (no build/ left in the repo)."""
    src = tmp_path_factory.mktemp("src")
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, src / name)
    for name in ("petbrowser", "resources"):
        shutil.copytree(ROOT / name, src / name, ignore=shutil.ignore_patterns("__pycache__"))
    out = tmp_path_factory.mktemp("wheel")
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out), str(src)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    (path,) = out.glob("petbrowser-*.whl")
    return zipfile.ZipFile(path)


def test_wheel_ships_every_resource(wheel: zipfile.ZipFile) -> None:
    names = set(wheel.namelist())
    resources = _files_under(ROOT / "resources")
    assert any(p.name == "petbrowser.svg" for p in resources)
    missing = [
        str(p.relative_to(ROOT))
        for p in resources
        if f"petbrowser/resources/{p.relative_to(ROOT / 'resources').as_posix()}" not in names
    ]
    assert not missing, f"resources missing from the wheel: {missing}"
    for n in (16, 24, 32, 48, 64, 128, 256, 512):
        assert f"petbrowser/resources/icons/hicolor/{n}x{n}/apps/petbrowser.png" in names


def test_wheel_ships_the_agent_sources(wheel: zipfile.ZipFile) -> None:
    """The child bootstrap loads these as files, so they must be real .py files."""
    names = set(wheel.namelist())
    agent = [p.name for p in _files_under(AGENT_DIR, (".py",))]
    assert "main.py" in agent and "__init__.py" in agent
    assert not [n for n in agent if f"petbrowser/core/agent/{n}" not in names]


def test_wheel_metadata_and_entry_point(wheel: zipfile.ZipFile) -> None:
    info = next(n for n in wheel.namelist() if n.endswith(".dist-info/entry_points.txt"))
    entry_points = wheel.read(info).decode()
    assert re.search(r"^petbrowser = petbrowser\.cli:main$", entry_points, re.M)
    meta = wheel.read(info.replace("entry_points.txt", "METADATA")).decode()
    assert f"Version: {petbrowser.__version__}" in meta
    requires = re.findall(r"^Requires-Dist: ([A-Za-z0-9_.-]+)", meta, re.M)
    assert "PySide6-Essentials" in requires and "PySide6" not in requires
    assert not [n for n in wheel.namelist() if n.startswith(("tests/", "packaging/", "scripts/"))]


def test_gui_needs_only_what_pyside6_essentials_ships() -> None:
    """The dependency is PySide6-Essentials: every Qt module the GUI imports must be in it."""
    files = importlib.metadata.files("PySide6-Essentials") or []
    shipped = {
        m.group(1)
        for f in files
        if (m := re.fullmatch(r"PySide6/(Qt\w+)\.(?:abi3|cpython)[^/]*\.so", str(f)))
    }
    assert {"QtCore", "QtGui", "QtWidgets", "QtSvg"} <= shipped
    imported = set()
    for path in _files_under(ROOT / "petbrowser", (".py",)):
        imported |= set(re.findall(r"\bPySide6\.(Qt\w+)", path.read_text(encoding="utf-8")))
    assert imported, "the GUI imports no Qt module?"
    assert imported <= shipped, f"not in PySide6-Essentials: {sorted(imported - shipped)}"


# ------------------------------------------------- desktop entry and metainfo


def test_desktop_entry_agrees_with_the_package() -> None:
    entry = ConfigParser(interpolation=None, strict=True)
    entry.optionxform = str  # type: ignore[assignment,method-assign]
    entry.read(DESKTOP, encoding="utf-8")
    d = entry["Desktop Entry"]
    assert d["Type"] == "Application"
    assert d["Exec"].split()[0] in PYPROJECT["project"]["scripts"]
    assert d["Icon"] == APP_ID


def test_metainfo_agrees_with_the_package() -> None:
    root = ET.parse(METAINFO).getroot()
    assert root.findtext("id") == APP_ID
    assert root.findtext("launchable") == DESKTOP.name
    assert root.findtext("project_license") == PYPROJECT["project"]["license"]
    assert root.findtext("provides/binary") in PYPROJECT["project"]["scripts"]
    newest = root.find("releases/release")
    assert newest is not None and newest.get("version") == petbrowser.__version__, (
        "add a <release> for the new version to the metainfo"
    )


@pytest.mark.skipif(
    not shutil.which("desktop-file-validate"), reason="desktop-file-utils not installed"
)
def test_desktop_file_validates() -> None:
    proc = subprocess.run(["desktop-file-validate", str(DESKTOP)], capture_output=True, text=True)
    assert proc.returncode == 0 and not proc.stdout.strip(), proc.stdout + proc.stderr


@pytest.mark.skipif(
    not shutil.which("appstreamcli"), reason="appstream (appstreamcli) not installed"
)
def test_metainfo_validates() -> None:
    proc = subprocess.run(
        ["appstreamcli", "validate", "--no-net", "--pedantic", str(METAINFO)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


# ------------------------------------ the frozen executable as the agent's Python


@pytest.fixture
def frozen_exe(tmp_path: Path) -> Path:
    """An executable that runs packaging/entry.py the way the PyInstaller bootloader does.

    Same ``sys.frozen``, same argv shape, so the ``-I -c`` handling under test is
    the code the frozen app runs; only the interpreter underneath is the venv's.
    """
    exe = tmp_path / "bin" / "petbrowser"
    exe.parent.mkdir()
    code = (
        "import runpy, sys; sys.frozen = True; sys.argv = ['petbrowser', *sys.argv[1:]]; "
        f"runpy.run_path({str(ENTRY)!r}, run_name='__main__')"
    )
    exe.write_text(f'#!/bin/sh\nexec "{sys.executable}" -c "{code}" "$@"\n', encoding="utf-8")
    exe.chmod(0o755)
    return exe


MODULE = textwrap.dedent(
    '''
    import math

    class Scaler:
        """Scales values."""
        factor = 3

        def __init__(self, offset: float = 0.5):
            self.offset = offset

        def apply(self, values):
            return [math.floor(v * self.factor + self.offset) for v in values]

        @property
        def name(self):
            return "scaler"
    '''
)


def test_frozen_exe_answers_the_agent_like_python(frozen_exe: Path, tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "scalers.py").write_text(MODULE, encoding="utf-8")
    request = {"op": "scan", "modules": ["scalers"]}
    frozen = run_agent(request, python=str(frozen_exe), cwd=project)
    real = run_agent(request, python=sys.executable, cwd=project)
    assert [c["name"] for c in frozen["classes"]] == ["Scaler"]
    # pb1 only: LabChain's hash of a method with a comprehension changes per process.
    assert frozen["classes"][0]["hashes"]["pb1"] == real["classes"][0]["hashes"]["pb1"]
    assert frozen["classes"][0]["describe"]["methods"] == real["classes"][0]["describe"]["methods"]


def test_frozen_exe_rebuilds_a_snapshot_whose_source_is_gone(
    frozen_exe: Path, tmp_path: Path
) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "scalers.py").write_text(MODULE, encoding="utf-8")
    dumped = run_agent(
        {"op": "dump", "module": "scalers", "classes": ["Scaler"]},
        python=str(frozen_exe),
        cwd=project,
    )
    (item,) = dumped["items"]
    shutil.rmtree(project)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    rebuilt = run_agent(
        {"op": "rebuild", "pkl": item["pkl"]}, python=str(frozen_exe), cwd=elsewhere
    )
    assert rebuilt["class_name"] == "Scaler" and rebuilt["module"] == "scalers"
    assert rebuilt["methods"]["__init__"] == "(self, offset: float = 0.5)"
    assert rebuilt["hashes"]["pb1"] == item["hashes"]["pb1"]
    assert b"scalers" in base64.b64decode(item["pkl"])


def test_frozen_exe_is_still_the_cli(frozen_exe: Path, tmp_path: Path) -> None:
    """Only a ``[flags] -c CODE`` argv is taken as Python; everything else is petbrowser."""
    proc = subprocess.run(
        [str(frozen_exe), "--version"], capture_output=True, text=True, cwd=tmp_path
    )
    assert proc.returncode == 0 and proc.stdout.strip() == f"petbrowser {petbrowser.__version__}"
    proc = subprocess.run(
        [str(frozen_exe), "-I", "-c", "import sys; print(sys.argv); raise SystemExit(7)", "a", "b"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert proc.returncode == 7 and proc.stdout.strip() == "['-c', 'a', 'b']"
    proc = subprocess.run([str(frozen_exe), "-c"], capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 2 and "usage" in proc.stderr and "Traceback" not in proc.stderr
