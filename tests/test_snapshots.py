"""Push, pull and status through the real store and real child processes."""

from __future__ import annotations

import hashlib
import json
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from petbrowser.core import snapshots
from petbrowser.core.demo import create_demo
from petbrowser.core.errors import (
    AlreadyExistsError,
    IntegrityError,
    NotFoundError,
    ProjectError,
    UnsafePickleError,
    UsageError,
)
from petbrowser.core.project import Project
from petbrowser.core.storage import open_storage
from petbrowser.core.store import Store

V1 = '''
import math


def _square(v):
    return v * v


class Energy:
    """Sum of squares, scaled."""

    scale = 2

    def __init__(self, offset: float = 0.0):
        self.offset = offset

    def apply(self, xs):
        return self.scale * sum(_square(x) for x in xs) + self.offset

    @property
    def label(self):
        return f"energy+{self.offset}"


class Gate:
    def open(self, v):
        return v > 0
'''

V2 = V1.replace("scale = 2", "scale = 3")


def write_module(root: Path, text: str, name: str = "filters") -> None:
    (root / f"{name}.py").write_text(text)
    shutil.rmtree(root / "__pycache__", ignore_errors=True)  # same-second rewrites


@pytest.fixture(autouse=True)
def _no_env_storage(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PETBROWSER_STORAGE", raising=False)


@pytest.fixture()
def project(tmp_path: Path) -> Project:
    root = tmp_path / "proj"
    root.mkdir()
    (root / "pyproject.toml").write_text(
        '[tool.petbrowser]\nstorage = "../store"\nmodules = ["filters"]\ntimeout = 60\n'
    )
    write_module(root, V1)
    return Project.load(root, python=sys.executable)


@pytest.fixture()
def store(project: Project) -> Store:
    assert project.storage_url is not None
    return Store(open_storage(project.storage_url))


def _statuses(store: Store, project: Project) -> dict[str, str]:
    return {e.name: e.status for e in snapshots.check_status(store, project)}


def test_push_writes_version_meta_and_pointer(store: Store, project: Project) -> None:
    (res,) = snapshots.push(store, project, ["Energy"])
    assert res.created and res.moved and res.from_hash is None and res.status == "pushed"
    assert res.hash == snapshots.get_class_hash(project, "Energy")
    pkl = store.read_pkl("Energy", res.hash)
    meta = store.read_meta("Energy", res.hash)
    assert meta is not None
    assert meta["pkl_sha256"] == hashlib.sha256(pkl).hexdigest()
    assert meta["pkl_size"] == len(pkl)
    assert meta["hash"] == res.hash and meta["hash_scheme"] == "pb1"
    assert meta["hashes"]["pb1"] == res.hash and len(meta["hashes"]["labchain"]) == 64
    assert meta["class_name"] == "Energy" and meta["module"] == "filters"
    assert meta["by_reference"] is False and meta["format"] == 1
    assert meta["pushed_at"].endswith("Z") and "@" in meta["pushed_by"]
    assert "def apply(self, xs):" in meta["source"]
    assert set(meta["methods"]) >= {"__init__", "apply", "label"}
    assert meta["cloudpickle_version"] and meta["python_version"].startswith("3.")
    pointer = store.read_pointer("Energy")
    assert pointer is not None and pointer.hash == res.hash

    (again,) = snapshots.push(store, project, ["Energy"])
    assert (again.created, again.moved, again.status) == (False, False, "unchanged")


def test_pulled_class_runs_in_a_fresh_process_where_its_source_is_gone(
    store: Store, project: Project, tmp_path: Path
) -> None:
    (res,) = snapshots.push(store, project, ["Energy"])
    shutil.rmtree(project.root)  # the module is gone for good

    pulled = snapshots.pull(store, None, "Energy", res.hash[:8], restore_dir=tmp_path / "restored")
    assert pulled.verified and pulled.hash_matches and pulled.hash == res.hash
    assert pulled.methods["__init__"] == "(self, offset: float = 0.0)"
    assert pulled.restored_path == tmp_path / "restored" / f"Energy_{res.hash[:12]}.py"
    assert "def apply(self, xs):" in pulled.restored_path.read_text()

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "v.pkl").write_bytes(store.read_pkl("Energy", res.hash))
    code = (
        "import cloudpickle\n"
        "E = cloudpickle.loads(open('v.pkl', 'rb').read())\n"
        "print(E(offset=1).apply([1, 2, 3]), E().label)\n"
    )
    out = subprocess.run(
        [sys.executable, "-I", "-c", code],
        cwd=elsewhere,
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.split() == ["29", "energy+0.0"]


def test_restore_never_overwrites_without_force(
    store: Store, project: Project, tmp_path: Path
) -> None:
    snapshots.push(store, project, ["Gate"])
    first = snapshots.pull(store, project, "Gate", restore_dir=tmp_path)
    assert first.restored_path is not None
    first.restored_path.write_text("# my edits\n")
    with pytest.raises(AlreadyExistsError, match="--force"):
        snapshots.pull(store, project, "Gate", restore_dir=tmp_path)
    assert first.restored_path.read_text() == "# my edits\n"
    snapshots.pull(store, project, "Gate", restore_dir=tmp_path, force=True)
    assert "class Gate" in first.restored_path.read_text()


def test_pull_refuses_a_tampered_pickle(store: Store, project: Project) -> None:
    (res,) = snapshots.push(store, project, ["Gate"])
    pkl = Path(store.storage.root) / "plugins" / "Gate" / f"{res.hash}.pkl"  # type: ignore[attr-defined]
    pkl.write_bytes(pkl.read_bytes().replace(b"open", b"OPEN"))
    with pytest.raises(IntegrityError, match="digest"):
        snapshots.pull(store, project, "Gate")


def _labchain_style_version(store: Store, project: Project, name: str) -> str:
    """What LabChain writes: a by-reference pickle, a pickled pointer, no meta."""
    local = {c.name: c for c in snapshots.scan(project)}[name]
    h = local.hashes["labchain"]
    root = Path(store.storage.root) / "plugins" / name  # type: ignore[attr-defined]
    root.mkdir(parents=True, exist_ok=True)
    (root / f"{h}.pkl").write_bytes(pickle.dumps(("filters", name), protocol=4))
    (root / "latest.json").write_bytes(pickle.dumps({"hash": h, "class_name": name}, protocol=4))
    return h


def test_labchain_store_is_compared_with_the_labchain_hash(store: Store, project: Project) -> None:
    h = _labchain_style_version(store, project, "Gate")
    (entry,) = [e for e in snapshots.check_status(store, project) if e.name == "Gate"]
    assert (entry.status, entry.local_hash, entry.hash_scheme) == ("synced", h, "labchain")
    write_module(project.root, V1.replace("return v > 0", "return v >= 0"))
    assert _statuses(store, project)["Gate"] == "out_of_sync"


def test_pull_without_metadata_or_sandbox_needs_allow_unsafe(
    store: Store, project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 13/11: a clean version without metadata pulls in a sandbox; with no sandbox
    it needs the explicit yes (tests/reliability/test_pull_sandbox.py covers the rest)."""
    _labchain_style_version(store, project, "Gate")
    monkeypatch.setenv("PETBROWSER_SANDBOX", "off")
    with pytest.raises(UnsafePickleError, match="no sandbox to rebuild it in"):
        snapshots.pull(store, project, "Gate")


def test_push_all_pushes_only_what_is_not_synced(store: Store, project: Project) -> None:
    snapshots.push(store, project, ["Gate"])
    results = snapshots.push(store, project, all_=True)
    assert [r.name for r in results] == ["Energy"]
    assert _statuses(store, project) == {"Energy": "synced", "Gate": "synced"}
    assert snapshots.push(store, project, all_=True).results == ()


def test_push_moves_latest_back_to_an_existing_version(store: Store, project: Project) -> None:
    (v1,) = snapshots.push(store, project, ["Energy"])
    write_module(project.root, V2)
    (v2,) = snapshots.push(store, project, ["Energy"])
    assert v2.from_hash == v1.hash and v2.status == "pushed"
    write_module(project.root, V1)
    assert _statuses(store, project)["Energy"] == "behind"
    (back,) = snapshots.push(store, project, ["Energy"])
    assert (back.hash, back.created, back.moved, back.status) == (v1.hash, False, True, "moved")
    assert [h.action for h in store.history("Energy")].count("push") == 3


def test_persist_class_stores_without_moving_latest(store: Store, project: Project) -> None:
    (v1,) = snapshots.push(store, project, ["Energy"])
    write_module(project.root, V2)
    h2 = snapshots.persist_class(store, project, "Energy")
    assert h2 != v1.hash
    assert store.read_meta("Energy", h2) is not None
    assert store.read_pointer("Energy").hash == v1.hash  # type: ignore[union-attr]
    assert _statuses(store, project)["Energy"] == "ahead"  # stored after latest, not latest


def test_push_needs_a_name_or_all_and_a_known_class(store: Store, project: Project) -> None:
    with pytest.raises(UsageError):
        snapshots.push(store, project, [])
    with pytest.raises(NotFoundError, match="'Nope'"):
        snapshots.push(store, project, ["Nope"])


def test_restore_needs_source(store: Store, project: Project, tmp_path: Path) -> None:
    h = _labchain_style_version(store, project, "Gate")
    with pytest.raises(ProjectError, match="no source to restore"):
        snapshots.pull(store, project, "Gate", h, restore_dir=tmp_path, allow_unsafe=True)


def test_push_and_pull_against_s3(project: Project, s3_url: str, s3_endpoint: str) -> None:
    store = Store(open_storage(s3_url, endpoint_url=s3_endpoint))
    (res,) = snapshots.push(store, project, ["Energy"])
    assert _statuses(store, project) == {"Energy": "synced", "Gate": "untracked"}
    pulled = snapshots.pull(store, project, "Energy")
    assert pulled.verified and pulled.hash == res.hash and "apply" in pulled.methods


# ------------------------------------------------------------ the demo: every status
@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Store, Project]:
    project_dir = create_demo(tmp_path_factory.mktemp("demo"), python=sys.executable)
    project = Project.load(project_dir)
    assert project.storage_url is not None
    return Store(open_storage(project.storage_url)), project


@pytest.mark.parametrize(
    ("name", "status"),
    [
        ("Normalizer", "synced"),
        ("ThresholdFilter", "behind"),
        ("LinearModel", "out_of_sync"),
        ("MovingAverage", "untracked"),
        ("Clipper", "remote_only"),
    ],
)
def test_demo_shows_each_status(demo: tuple[Store, Project], name: str, status: str) -> None:
    store, project = demo
    entries = {e.name: e for e in snapshots.check_status(store, project)}
    assert entries[name].status == status
    assert len(entries) == 5
    entry = entries[name]
    if status in ("synced", "behind"):
        assert entry.local_hash in {v.hash for v in store.get_class(name).versions}
    if status == "synced":
        assert entry.local_hash == entry.latest
        assert [h.action for h in store.history(name)][-1] == "rollback"  # rolled back to it
    if status == "remote_only":
        assert entry.local_hash is None and entry.latest is not None
    if status == "untracked":
        assert entry.latest is None and entry.local_hash


def test_demo_is_idempotent(demo: tuple[Store, Project]) -> None:
    _, project = demo
    before = (project.root / "demo_filters.py").read_text()
    assert create_demo(project.root.parent) == project.root
    assert (project.root / "demo_filters.py").read_text() == before
    assert json.loads(json.dumps(project.modules)) == ["demo_filters"]


class _CallsOsSystem:
    """What a hostile pickle looks like: loading it calls os.system."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        import os

        return (os.system, (f"touch '{self.marker}'",))


def test_pull_refuses_a_pickle_that_would_call_something(
    store: Store, project: Project, tmp_path: Path
) -> None:
    pytest.importorskip("petbrowser.core.safe_pickle")
    (res,) = snapshots.push(store, project, ["Gate"])
    marker = tmp_path / "ran"
    hostile = pickle.dumps(_CallsOsSystem(marker), protocol=4)
    h = "f" * 64
    meta = dict(store.read_meta("Gate", res.hash) or {})
    meta.update(hash=h, pkl_sha256=hashlib.sha256(hostile).hexdigest(), pkl_size=len(hostile))
    store.write_version("Gate", h, hostile, meta)  # the digest matches: only the scan can object
    with pytest.raises(UnsafePickleError) as exc:
        snapshots.pull(store, project, "Gate", h)
    assert "system" in str(exc.value) and "--allow-unsafe" in str(exc.value)
    assert not marker.exists()


def test_labchain_scheme_project_pushes_under_the_labchain_hash(
    project: Project, store: Store
) -> None:
    lab = Project.load(project.root, python=sys.executable, hash_scheme="labchain")
    (res,) = snapshots.push(store, lab, ["Gate"])
    local = {c.name: c for c in snapshots.scan(lab)}["Gate"]
    assert res.hash == local.hashes["labchain"] == local.hash
    assert store.read_meta("Gate", res.hash)["hash_scheme"] == "labchain"  # type: ignore[index]
    (entry,) = [e for e in snapshots.check_status(store, project) if e.name == "Gate"]
    assert (entry.status, entry.hash_scheme) == ("synced", "labchain")
