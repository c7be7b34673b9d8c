"""The local side is read from the source as it is now; the project folder is never written.

Python trusts ``__pycache__/*.pyc`` while a source's size and modification
second are unchanged, so an edit within one second that keeps the size used
to be invisible.  Every edit here keeps the size and puts the file's old
modification time back (``os.utime``), which is exactly such an edit, made
deterministic on a slow machine.
"""

from __future__ import annotations

import json
import os
import py_compile
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from petbrowser.core import snapshots
from petbrowser.core.agent import source_loader
from petbrowser.core.child import code_cache_dir, run_agent
from petbrowser.core.errors import ProjectError
from petbrowser.core.manager import PetClassManager
from petbrowser.core.project import Project
from petbrowser.core.storage import open_storage
from petbrowser.core.store import Store

REPO = Path(__file__).resolve().parent.parent
ENTRY = REPO / "packaging" / "entry.py"

FILTERS = textwrap.dedent(
    '''
    from helpers import LIMIT


    class Clip:
        """Clips values."""

        limit = LIMIT

        def apply(self, v):
            return min(v, 10)


    class Gate:
        def open(self, v):
            return v > 0
    '''
)
HELPERS = "LIMIT = 5\n"


def edit_same_second(path: Path, old: str, new: str) -> None:
    """Replace ``old`` by ``new`` keeping the file's size and modification time."""
    assert len(old) == len(new)
    text = path.read_text()
    assert text.count(old) == 1, (old, text)
    st = path.stat()
    path.write_text(text.replace(old, new))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    after = path.stat()
    assert (after.st_size, after.st_mtime_ns) == (st.st_size, st.st_mtime_ns)


def tree_state(root: Path) -> dict[str, object]:
    """Every folder and file under ``root``: a file's bytes and modification time."""
    state: dict[str, object] = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.is_dir():
            state[rel + "/"] = None
        else:
            state[rel] = (path.read_bytes(), path.stat().st_mtime_ns)
    return state


@pytest.fixture(autouse=True)
def _no_env_storage(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PETBROWSER_STORAGE", raising=False)


@pytest.fixture(autouse=True)
def code_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """petbrowser's code cache, in this test's own folder (platformdirs reads XDG_CACHE_HOME)."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    folder = Path(code_cache_dir() or "")
    assert folder == tmp_path / "xdg-cache" / "petbrowser" / "code"
    return folder


@pytest.fixture()
def root(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    (root / "pyproject.toml").write_text(
        '[tool.petbrowser]\nstorage = "../store"\nmodules = ["filters"]\n'
    )
    (root / "filters.py").write_text(FILTERS)
    (root / "helpers.py").write_text(HELPERS)
    return root


@pytest.fixture()
def project(root: Path) -> Project:
    return Project.load(root, python=sys.executable)


def _hashes(project: Project, name: str = "Clip") -> dict[str, str]:
    return next(c for c in snapshots.scan(project) if c.name == name).hashes


# ------------------------------------------------------------------ core


def test_scan_sees_same_second_edits_of_the_module_and_of_a_sibling_it_imports(
    project: Project, root: Path
) -> None:
    first = _hashes(project)
    edit_same_second(root / "filters.py", "min(v, 10)", "min(v, 11)")
    second = next(c for c in snapshots.scan(project) if c.name == "Clip")
    assert second.hashes["pb1"] != first["pb1"]
    assert second.hashes["labchain"] != first["labchain"]
    assert "min(v, 11)" in second.describe.source
    edit_same_second(root / "helpers.py", "LIMIT = 5", "LIMIT = 6")
    third = next(c for c in snapshots.scan(project) if c.name == "Clip")
    assert third.describe.attributes["limit"] == "6"
    assert third.hashes["pb1"] != second.hashes["pb1"]


def test_get_class_hash_follows_a_same_second_edit(project: Project, root: Path) -> None:
    before = snapshots.get_class_hash(project, "Clip")
    edit_same_second(root / "filters.py", "min(v, 10)", "min(v, 11)")
    after = snapshots.get_class_hash(project, "Clip")
    edit_same_second(root / "filters.py", "min(v, 11)", "min(v, 10)")
    assert before != after
    assert snapshots.get_class_hash(project, "Clip") == before


def test_status_after_same_second_edits(project: Project, root: Path, tmp_path: Path) -> None:
    store = Store(open_storage(tmp_path / "store"))
    (first,) = snapshots.push(store, project, ["Clip"])
    edit_same_second(root / "filters.py", "min(v, 10)", "min(v, 11)")
    status = {e.name: e.status for e in snapshots.check_status(store, project)}
    assert status["Clip"] == "out_of_sync"
    snapshots.push(store, project, ["Clip"])
    assert {e.name: e.status for e in snapshots.check_status(store, project)}["Clip"] == "synced"
    edit_same_second(root / "filters.py", "min(v, 11)", "min(v, 10)")
    # The local code is the first version again: an older one, not latest.
    entry = next(e for e in snapshots.check_status(store, project) if e.name == "Clip")
    assert (entry.status, entry.local_hash) == ("behind", first.hash)


def test_push_edit_push_in_one_second_stores_two_true_versions(
    project: Project, root: Path, tmp_path: Path
) -> None:
    """Each stored version's name, source, metadata and pickled code agree."""
    store = Store(open_storage(tmp_path / "store"))
    texts = [(root / "filters.py").read_text()]
    (first,) = snapshots.push(store, project, ["Clip"])
    edit_same_second(root / "filters.py", "min(v, 10)", "min(v, 11)")
    texts.append((root / "filters.py").read_text())
    (second,) = snapshots.push(store, project, ["Clip"])
    assert first.status == second.status == "pushed"
    assert first.hash != second.hash
    assert {v.hash for v in store.get_class("Clip").versions} == {first.hash, second.hash}
    assert store.read_pointer("Clip").hash == second.hash

    # What each text hashes to in a fresh process, from a folder of its own.
    for i, (result, text, limit) in enumerate(
        zip((first, second), texts, ("min(v, 10)", "min(v, 11)"), strict=True)
    ):
        copy = tmp_path / f"copy{i}"
        copy.mkdir()
        (copy / "filters.py").write_text(text)
        (copy / "helpers.py").write_text(HELPERS)
        fresh = Project.load(copy, modules=["filters"], python=sys.executable)
        assert _hashes(fresh)["pb1"] == result.hash
        meta = store.read_meta("Clip", result.hash)
        assert meta is not None and meta["hash"] == result.hash
        assert limit in meta["source"]
        pulled = snapshots.pull(store, project, "Clip", result.hash)
        assert pulled.verified and pulled.hash_matches is True


def test_diff_latest_local_after_a_same_second_edit(project: Project, root: Path, tmp_path: Path) -> None:
    manager = PetClassManager(open_storage(tmp_path / "store"), project)
    manager.push(["Clip"])
    assert not manager.diff("Clip", "latest", "local").has_changes
    edit_same_second(root / "filters.py", "min(v, 10)", "min(v, 11)")
    diff = manager.diff("Clip", "latest", "local")
    assert [m.name for m in diff.changed_methods] == ["apply"]


def test_a_stale_pyc_left_in_the_project_is_never_read(
    project: Project, root: Path, tmp_path: Path
) -> None:
    """petbrowser 0.1.0 left ``__pycache__`` behind; a .pyc recording the size and
    second of the current source must not stand in for it, nor be touched."""
    source = root / "filters.py"
    pyc = Path(py_compile.compile(str(source), doraise=True))  # of the min(v, 10) text
    edit_same_second(source, "min(v, 10)", "min(v, 12)")
    before = tree_state(root)
    got = next(c for c in snapshots.scan(project) if c.name == "Clip")
    assert "min(v, 12)" in got.describe.source
    copy = tmp_path / "copy"
    shutil.copytree(root, copy, ignore=shutil.ignore_patterns("__pycache__"))
    assert got.hashes == _hashes(Project.load(copy, python=sys.executable))
    assert pyc.is_file() and tree_state(root) == before


def test_a_pyc_without_its_source_is_not_imported(root: Path, project: Project) -> None:
    py_compile.compile(str(root / "filters.py"), cfile=str(root / "legacy.pyc"), doraise=True)
    with pytest.raises(ProjectError, match="module 'legacy' was not found"):
        snapshots.scan(project, ["legacy"])


def test_the_source_kept_with_the_code_is_the_source_compiled(
    project: Project, root: Path
) -> None:
    """A module rewritten while it is imported: its describe shows the bytes its
    code came from, not the file as it is a moment later."""
    (root / "filters.py").write_text(
        FILTERS
        + "\nimport pathlib\n_me = pathlib.Path(__file__)\n"
        + "_me.write_text(_me.read_text().replace('min(v, 10)', 'max(v, 99)'))\n"
    )
    clip = next(c for c in snapshots.scan(project) if c.name == "Clip")
    assert "max(v, 99)" in (root / "filters.py").read_text()
    assert "min(v, 10)" in clip.describe.source
    code = clip.describe.methods["apply"].disassembly
    assert "min" in code and "max" not in code


# ----------------------------------------------------------- the code cache


def test_compiled_code_is_kept_by_content_outside_the_project(
    project: Project, root: Path, code_cache: Path
) -> None:
    before = tree_state(root)
    first = _hashes(project)
    assert len(list(code_cache.iterdir())) == 2  # filters.py and helpers.py
    edit_same_second(root / "filters.py", "min(v, 10)", "min(v, 11)")
    second = _hashes(project)
    assert second != first and len(list(code_cache.iterdir())) == 3
    edit_same_second(root / "filters.py", "min(v, 11)", "min(v, 10)")
    assert _hashes(project) == first
    assert len(list(code_cache.iterdir())) == 3  # the first entry, used again
    assert tree_state(root) == before
    # No cache folder given: compiled, nothing kept.
    edit_same_second(root / "filters.py", "min(v, 10)", "min(v, 12)")
    request = {"op": "scan", "modules": ["filters"], "code_cache": None}
    answer = run_agent(request, python=sys.executable, cwd=root)
    assert {c["name"]: c["hashes"] for c in answer["classes"]}["Clip"] not in (first, second)
    assert len(list(code_cache.iterdir())) == 3


def test_a_damaged_code_cache_means_compiling(
    project: Project, root: Path, code_cache: Path
) -> None:
    first = _hashes(project)
    entries = sorted(code_cache.iterdir())
    entries[0].write_bytes(b"garbage")
    entries[1].write_bytes(entries[1].read_bytes()[:40])  # header intact, code cut short
    assert _hashes(project) == first
    assert all(len(e.read_bytes()) > 40 for e in entries)  # rewritten whole
    shutil.rmtree(code_cache)
    code_cache.write_text("not a folder")  # unusable: still answers
    edit_same_second(root / "filters.py", "min(v, 10)", "min(v, 11)")
    assert _hashes(project) != first
    assert code_cache.read_text() == "not a folder"


def test_the_code_cache_keeps_the_most_recently_used_entries(tmp_path: Path) -> None:
    folder = tmp_path / "code"
    folder.mkdir()
    total = source_loader.CACHE_ENTRIES + 10
    for i in range(total):
        entry = folder / f"{i:064x}"
        entry.write_bytes(b"x")
        os.utime(entry, ns=(i * 10**9, i * 10**9))
    source_loader._prune(str(folder))
    kept = sorted(int(p.name, 16) for p in folder.iterdir())
    assert kept == list(range(10, total))


# ------------------------------------------- the project folder stays as it was


def _rich_project(root: Path) -> list[str]:
    """A module importing a sibling, a package with a subpackage, a src/ layout and
    a .py path given directly; returns the module specs to scan."""
    pkg = root / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("from .consts import FACTOR\n")
    (pkg / "consts.py").write_text("FACTOR = 3\n")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "sub" / "models.py").write_text(
        "from ..consts import FACTOR\n\n\nclass Model:\n    factor = FACTOR\n\n"
        "    def run(self, x):\n        return x * self.factor\n"
    )
    (root / "src" / "srcpkg").mkdir(parents=True)
    (root / "src" / "srcpkg" / "__init__.py").write_text(
        "class Lifted:\n    def up(self, x):\n        return x + 1\n"
    )
    (root / "scripts").mkdir()
    (root / "scripts" / "tool_helpers.py").write_text("OFFSET = 2\n")
    (root / "scripts" / "tool.py").write_text(
        "from tool_helpers import OFFSET\n\n\nclass Tool:\n    offset = OFFSET\n\n"
        "    def use(self, x):\n        return x - self.offset\n"
    )
    return ["filters", "pkg.sub.models", "srcpkg", "scripts/tool.py"]


def test_scan_status_push_and_diff_leave_the_project_byte_for_byte(
    root: Path, tmp_path: Path
) -> None:
    specs = _rich_project(root)
    project = Project.load(root, modules=specs, python=sys.executable)
    before = tree_state(root)
    names = {c.name for c in snapshots.scan(project)}
    assert names == {"Clip", "Gate", "Model", "Lifted", "Tool"}
    manager = PetClassManager(open_storage(tmp_path / "store"), project)
    manager.push(all_=True)
    assert {e.status for e in manager.check_status()} == {"synced"}
    manager.diff("Model", "latest", "local")
    manager.pull("Tool")
    after = tree_state(root)
    assert [k for k in after if "__pycache__" in k] == []
    assert after == before


def test_a_virtualenv_inside_the_project_is_left_as_it_was(root: Path, tmp_path: Path) -> None:
    """The project's own .venv (its interpreter, a package installed there) is
    part of the folder: importing from it writes nothing either."""
    import venv

    venv.EnvBuilder(with_pip=False).create(root / ".venv")
    (site,) = (root / ".venv").glob("lib/python3*/site-packages")
    (site / "installed_pkg").mkdir()
    (site / "installed_pkg" / "__init__.py").write_text("BASE = 7\n")
    (root / "uses_installed.py").write_text(
        "from installed_pkg import BASE\n\n\nclass Uses:\n    base = BASE\n"
    )
    project = Project.load(root, modules=["uses_installed"])
    assert project.python == str(root / ".venv" / "bin" / "python")
    before = tree_state(root)
    (found,) = snapshots.scan(project)
    assert found.describe.attributes == {"base": "7"}
    assert tree_state(root) == before


def test_installed_packages_keep_their_own_loaders(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only the project's own folders are compiled from source: site-packages
    (even a .venv's inside the project) and the standard library are not."""
    import sysconfig

    root = tmp_path / "proj"
    monkeypatch.setattr(source_loader, "_PROJECT", [os.path.realpath(root)])
    monkeypatch.setattr(source_loader, "_INSTALLED", source_loader._installed_folders())
    assert source_loader.is_project_path(str(root))
    assert source_loader.is_project_path(str(root / "pkg" / "sub"))
    assert not source_loader.is_project_path(str(root / ".venv/lib/python3.11/site-packages/np"))
    assert not source_loader.is_project_path(str(tmp_path / "elsewhere"))
    assert not source_loader.is_project_path(sysconfig.get_paths()["stdlib"])
    with pytest.raises(ImportError):
        source_loader._finder_hook(str(tmp_path / "elsewhere"))


def test_the_child_writes_no_bytecode_and_serves_the_project_from_source(
    tmp_path: Path,
) -> None:
    probe = run_agent(
        {"op": "scan", "modules": ["probe.py"]}, python=sys.executable, cwd=_probe(tmp_path)
    )
    assert probe["classes"][0]["describe"]["attributes"]["flags"] == "(True, True)"


def _probe(tmp_path: Path) -> Path:
    """A module that reports the child's bytecode settings as a class attribute."""
    folder = tmp_path / "probe"
    folder.mkdir()
    (folder / "probe.py").write_text(
        "import sys\nfrom _petbrowser_agent import source_loader\n\n\nclass Probe:\n"
        "    flags = (sys.dont_write_bytecode, source_loader._finder_hook in sys.path_hooks)\n"
    )
    return folder


# ------------------------------------------------------------- the command line


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "PETBROWSER_STORAGE"}
    return subprocess.run(
        [sys.executable, "-m", "petbrowser", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )


def _ok(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_cli_hash_status_push_and_diff_between_same_second_edits(root: Path) -> None:

    (root / "pyproject.toml").write_text(
        f'[tool.petbrowser]\nstorage = "../store"\nmodules = ["filters"]\npython = "{sys.executable}"\n'
    )
    before = tree_state(root)
    src = root / "filters.py"

    def clip_hash() -> str:
        rows = json.loads(_ok(run_cli("hash", "--json", cwd=root)))
        return next(r["hash"] for r in rows if r["name"] == "Clip")

    def clip_status() -> str:
        rows = json.loads(_ok(run_cli("status", "--json", cwd=root)))
        return next(r["status"] for r in rows if r["name"] == "Clip")

    h10 = clip_hash()
    _ok(run_cli("push", "Clip", cwd=root))
    assert clip_status() == "synced"
    edit_same_second(src, "min(v, 10)", "min(v, 11)")
    h11 = clip_hash()
    assert h11 != h10
    assert clip_status() == "out_of_sync"
    diff = json.loads(_ok(run_cli("diff", "Clip", "latest", "local", "--json", cwd=root)))
    assert [m["name"] for m in diff["methods"] if m["status"] != "unchanged"] == ["apply"]
    _ok(run_cli("push", "Clip", cwd=root))
    edit_same_second(src, "min(v, 11)", "min(v, 12)")
    _ok(run_cli("push", "Clip", cwd=root))
    assert clip_status() == "synced"
    listing = json.loads(_ok(run_cli("ls", "--json", cwd=root)))
    clip = next(c for c in listing if c["name"] == "Clip")
    assert len(clip["versions"]) == 3
    assert h10 in {v["hash"] for v in clip["versions"]} and h11 in {
        v["hash"] for v in clip["versions"]
    }
    edit_same_second(src, "min(v, 12)", "min(v, 10)")
    assert clip_status() == "behind"
    assert clip_hash() == h10
    assert tree_state(root) == before  # the last edit restored the first text and time


# ------------------------------------------------ the frozen app and other Pythons


@pytest.fixture
def frozen_exe(tmp_path: Path) -> Path:
    """Runs packaging/entry.py as the PyInstaller bootloader does (see test_packaging)."""
    exe = tmp_path / "bin" / "petbrowser"
    exe.parent.mkdir()
    code = (
        "import runpy, sys; sys.frozen = True; sys.argv = ['petbrowser', *sys.argv[1:]]; "
        f"runpy.run_path({str(ENTRY)!r}, run_name='__main__')"
    )
    exe.write_text(f'#!/bin/sh\nexec "{sys.executable}" -c "{code}" "$@"\n', encoding="utf-8")
    exe.chmod(0o755)
    return exe


def _scan_twice_across_an_edit(python: str, root: Path) -> tuple[dict, dict]:
    request = {"op": "scan", "modules": ["filters"]}
    first = run_agent(request, python=python, cwd=root, timeout=120)["classes"][0]
    edit_same_second(root / "filters.py", "min(v, 10)", "min(v, 11)")
    second = run_agent(request, python=python, cwd=root, timeout=120)["classes"][0]
    return first, second


def test_frozen_app_agent_compiles_from_source_and_writes_nothing(
    frozen_exe: Path, root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Whatever the environment says: the agent itself must not write bytecode.
    monkeypatch.delenv("PYTHONDONTWRITEBYTECODE", raising=False)
    first, second = _scan_twice_across_an_edit(str(frozen_exe), root)
    assert first["hashes"] != second["hashes"]
    assert "min(v, 11)" in second["describe"]["source"]
    assert [k for k in tree_state(root) if "__pycache__" in k] == []


def _other_pythons() -> list[str]:
    found = []
    for minor in range(8, 14):
        exe = Path.home() / ".pyenv" / "versions"
        for candidate in sorted(exe.glob(f"3.{minor}.*/bin/python3")):
            found.append(str(candidate))
            break
    return found


@pytest.mark.parametrize("python", _other_pythons() or [None])
def test_every_supported_python_compiles_from_source(python: str | None, root: Path) -> None:
    if python is None:
        pytest.skip("no other CPython 3.8-3.13 under ~/.pyenv/versions")
    first, second = _scan_twice_across_an_edit(python, root)
    assert first["hashes"] != second["hashes"]
    assert [k for k in tree_state(root) if "__pycache__" in k] == []
