"""LabChain round trip (issue 11): what petbrowser writes, LabChain reads.

LabChain 1.2.11 reads ``latest.json`` with plain ``pickle.load`` and names
versions by its own ``get_class_hash``.  These tests read every pointer the
way LabChain does (``pickle.loads``) after each move petbrowser makes, on a
local folder and on S3 (moto), and check version names against what real
LabChain computed: the stores in ``tests/data/labchain_stores/`` (written by
LabChain 1.2.11) and ``tests/data/labchain_hash_vectors/``.

The project here imports ``labchain`` and ``numpy``; neither needs to be
installed: a small stand-in package in the project folder defines the names
LabChain's hash looks at (a base class's module and qualname, the
annotations in a signature), nothing more.
"""

from __future__ import annotations

import json
import os
import pickle
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from petbrowser.core import layout
from petbrowser.core.errors import ConflictError
from petbrowser.core.manager import PetClassManager
from petbrowser.core.models import Pointer
from petbrowser.core.pointer import encode_pointer
from petbrowser.core.project import Project
from petbrowser.core.storage import open_storage
from petbrowser.core.storage.base import Storage
from petbrowser.core.store import Store

DATA = Path(__file__).parent / "data"
STORES = DATA / "labchain_stores"
REPO = Path(__file__).resolve().parents[1]
#: Names real LabChain 1.2.11 gave these classes (CPython 3.11.7): the stores' file names.
SCALER_V1 = "98d201d866a6d8920003a210eb5de86321390cb5b50f27a612601010f5ea3acc"
SCALER_V2 = "bb955877f6bf78976308991be77fc6af20e517938085170d38052d19ea82ec37"
DOUBLE = "58b13facf5fa124cf791743e770ddf35abed824861898c00cf86e9c718a73876"
ON_311 = sys.version_info[:2] == (3, 11)

FAKE_LABCHAIN = {
    "labchain/__init__.py": (
        "from labchain.base.base_clases import BaseFilter\n"
        "from labchain.base.base_types import XYData\n\n\n"
        "class Container:\n"
        "    @staticmethod\n"
        "    def bind(**_kwargs):\n"
        "        return lambda cls: cls\n"
    ),
    "labchain/base/__init__.py": "",
    "labchain/base/base_clases.py": (
        "from abc import ABC\n\n\n"
        "class BaseFilter(ABC):\n"
        "    def __init__(self, **kwargs):\n"
        "        self.__dict__.update(kwargs)\n"
    ),
    "labchain/base/base_types.py": (
        "class XYData:\n"
        "    def __init__(self, value):\n"
        "        self.value = value\n\n"
        "    @classmethod\n"
        "    def mock(cls, value):\n"
        "        return cls(value)\n"
    ),
    "numpy/__init__.py": "def asarray(v):\n    return list(v)\n\n\ndef array(v):\n    return list(v)\n",
}


@pytest.fixture(autouse=True)
def _no_env_storage(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PETBROWSER_STORAGE", raising=False)


def write_filters(root: Path, version: int) -> None:
    shutil.copy(STORES / f"my_filters_v{version}.py", root / "my_filters.py")
    shutil.rmtree(root / "__pycache__", ignore_errors=True)  # same-second rewrites


def make_project(root: Path, settings: str = "") -> Project:
    """LabChain's example module (v1) with stand-ins for labchain and numpy."""
    root.mkdir(parents=True, exist_ok=True)
    for rel, text in FAKE_LABCHAIN.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    write_filters(root, 1)
    (root / "pyproject.toml").write_text(
        f'[tool.petbrowser]\nmodules = ["my_filters"]\npython = "{sys.executable}"\n{settings}'
    )
    return Project.load(root)


@pytest.fixture()
def lc_project(tmp_path: Path) -> Project:
    return make_project(tmp_path / "proj")


def seed(storage: Storage, store_dir: Path, classes: list[str]) -> None:
    """Copy objects LabChain wrote, byte for byte, into ``storage`` (either backend)."""
    for name in classes:
        for f in sorted((store_dir / "plugins" / name).iterdir()):
            storage.create(f"plugins/{name}/{f.name}", f.read_bytes())


def labchain_reads(storage: Storage) -> dict[str, dict[str, Any]]:
    """What LabChain's ``pickle.load`` gets from every ``latest.json`` of the store."""
    out = {}
    for obj in storage.list(layout.PLUGINS):
        parts = layout.parse_key(obj.key)
        if parts is not None and parts.kind == "latest":
            out[parts.class_name] = pickle.loads(storage.read(obj.key))  # exactly LabChain's read
    return out


def hashes_read(storage: Storage) -> dict[str, str]:
    reads = labchain_reads(storage)
    for doc in reads.values():  # a plain dict of strings, nothing else
        assert type(doc) is dict and all(type(v) is str for v in doc.values()), doc
    return {name: doc["hash"] for name, doc in reads.items()}


def status_of(manager: PetClassManager, name: str) -> str:
    return {e.name: e.status for e in manager.check_status()}[name]


# ------------------------------------------------------------- the round trip
def test_round_trip_every_pointer_is_one_labchain_reads(any_storage: Storage, lc_project: Project) -> None:
    """New class, new version, rollback, undo: after each, LabChain's read gives the expected hash."""
    seed(any_storage, STORES / "by_value", ["DoubleScaler"])  # LabChain wrote this store first
    manager = PetClassManager(any_storage, lc_project, user="ana@lab")

    pushed = manager.push(["Scaler"])  # a class new to the store
    (first,) = pushed
    assert (first.status, first.hash_scheme, pushed.warnings) == ("pushed", "labchain", ())
    v1 = first.hash
    if ON_311:
        assert v1 == SCALER_V1  # the name LabChain's get_class_hash gives
    assert hashes_read(any_storage) == {"DoubleScaler": DOUBLE, "Scaler": v1}
    assert status_of(manager, "Scaler") == "synced"

    write_filters(lc_project.root, 2)  # a new version
    (second,) = manager.push(["Scaler"])
    v2 = second.hash
    assert (second.status, second.from_hash) == ("pushed", v1)
    if ON_311:
        assert v2 == SCALER_V2
    assert hashes_read(any_storage) == {"DoubleScaler": DOUBLE, "Scaler": v2}

    manager.move_latest("Scaler", v1, expected=v2, action="rollback")
    assert hashes_read(any_storage) == {"DoubleScaler": DOUBLE, "Scaler": v1}
    assert status_of(manager, "Scaler") == "ahead"  # local (v2) was pushed after latest (v1)

    manager.move_latest("Scaler", v2, expected=v1, action="undo")
    assert hashes_read(any_storage) == {"DoubleScaler": DOUBLE, "Scaler": v2}
    assert status_of(manager, "Scaler") == "synced"

    moves = [(e.action, e.from_hash, e.to_hash) for e in manager.history("Scaler")]
    assert moves == [("push", None, v1), ("push", v1, v2), ("rollback", v2, v1), ("undo", v1, v2)]
    # LabChain's own pointer was never touched, and reads as LabChain wrote it
    assert labchain_reads(any_storage)["DoubleScaler"] == {"hash": DOUBLE, "class_name": "DoubleScaler"}
    assert manager.verify().ok


def test_labchain_scheme_names_versions_as_labchain_get_class_hash(tmp_path: Path) -> None:
    """Versions pushed under the labchain scheme carry the hashes LabChain 1.2.11 computed."""
    vectors = json.loads((DATA / "labchain_hash_vectors" / "vectors.json").read_text())
    if f"{sys.version_info[0]}.{sys.version_info[1]}" != ".".join(vectors["python"].split(".")[:2]):
        pytest.skip(f"the vectors were computed on Python {vectors['python']}")
    root = tmp_path / "proj"
    root.mkdir()
    shutil.copy(DATA / "labchain_hash_vectors" / "vectors_mod.py", root / "vectors_mod.py")
    (root / "pyproject.toml").write_text(
        f'[tool.petbrowser]\nmodules = ["vectors_mod"]\npython = "{sys.executable}"\n'
    )
    manager = PetClassManager(open_storage(tmp_path / "store"), Project.load(root))
    results = manager.push(all_=True, hash_scheme="labchain")
    assert {r.name: r.hash for r in results} == vectors["hashes"]
    stored = {
        p.class_name: p.hash
        for o in manager.storage.list(layout.PLUGINS)
        if (p := layout.parse_key(o.key)) is not None and p.kind == "pkl"
    }
    assert stored == vectors["hashes"]
    assert hashes_read(manager.storage) == vectors["hashes"]


def test_status_agrees_with_labchain_on_its_own_store(tmp_path: Path, lc_project: Project) -> None:
    """LabChain's store: its stable hashes match (synced / behind), its unstable ones do not."""
    shutil.copytree(STORES / "by_value", tmp_path / "store")
    base = 1_700_000_000
    # LabChain's versions have no metadata: their order is their objects' times (v1 before v2)
    os.utime(tmp_path / "store" / "plugins" / "Scaler" / f"{SCALER_V1}.pkl", (base, base))
    os.utime(tmp_path / "store" / "plugins" / "Scaler" / f"{SCALER_V2}.pkl", (base + 60, base + 60))
    manager = PetClassManager(open_storage(tmp_path / "store"), lc_project)
    entries = {e.name: e for e in manager.check_status()}
    assert entries["DoubleScaler"].hash_scheme == "labchain"
    if ON_311:
        assert entries["DoubleScaler"].status == "synced"
        assert entries["Scaler"].status == "behind"  # local is v1, latest is v2, pushed later
    # LabChain's user pulls v1 back (its pointer now names v1) while local code is v2
    (tmp_path / "store" / "plugins" / "Scaler" / "latest.json").write_bytes(
        pickle.dumps({"hash": SCALER_V1, "class_name": "Scaler"}, protocol=5)
    )
    write_filters(lc_project.root, 2)
    scaler = {e.name: e for e in manager.check_status()}["Scaler"]
    if ON_311:
        assert (scaler.status, scaler.local_hash, scaler.latest) == ("ahead", SCALER_V2, SCALER_V1)


# ---------------------------------------------------------------- scheme choice
def test_a_store_only_petbrowser_writes_gets_pb1(tmp_path: Path, lc_project: Project) -> None:
    manager = PetClassManager(open_storage(tmp_path / "store"), lc_project)
    assert manager.hash_scheme().scheme == "pb1"  # a store that does not exist yet
    pushed = manager.push(["Scaler"])
    assert (pushed.hash_scheme, pushed[0].hash_scheme, pushed.warnings) == ("pb1", "pb1", ())
    assert pushed[0].hash == manager.scan()[0].hashes["pb1"]
    assert manager.store.labchain_evidence() is None


def test_a_bare_labchain_pointer_makes_it_a_labchain_store(tmp_path: Path, lc_project: Project) -> None:
    """LabChain pushing a version that exists only rewrites the pointer: that alone tells."""
    storage = open_storage(tmp_path / "store")
    manager = PetClassManager(storage, lc_project)
    (first,) = manager.push(["DoubleScaler"], hash_scheme="labchain")
    _, token = storage.read_with_token(layout.latest_key("DoubleScaler"))
    bare = pickle.dumps({"hash": first.hash, "class_name": "DoubleScaler"}, protocol=5)
    storage.replace(layout.latest_key("DoubleScaler"), bare, token)  # what LabChain's push writes
    assert "DoubleScaler was written by LabChain" in (manager.store.labchain_evidence() or "")
    (second,) = manager.push(["Scaler"])
    assert second.hash_scheme == "labchain" and second.hash == manager.scan()[0].hashes["labchain"]


def test_pb1_into_a_labchain_store_warns_once(tmp_path: Path, lc_project: Project) -> None:
    storage = open_storage(tmp_path / "store")
    seed(storage, STORES / "by_value", ["DoubleScaler"])
    manager = PetClassManager(storage, lc_project)
    pushed = manager.push(["Scaler", "Tagger"], hash_scheme="pb1")
    assert [r.hash_scheme for r in pushed] == ["pb1", "pb1"]
    (warning,) = pushed.warnings  # one warning for the whole push
    assert "LabChain's check_status will call these classes out_of_sync" in warning
    assert "DoubleScaler" in warning and "--hash-scheme labchain" in warning


def test_project_hash_scheme_setting_is_kept_and_warned_about(tmp_path: Path) -> None:
    project = make_project(tmp_path / "proj", 'hash_scheme = "pb1"\n')
    storage = open_storage(tmp_path / "store")
    seed(storage, STORES / "by_value", ["DoubleScaler"])
    pushed = PetClassManager(storage, project).push(["Scaler"])
    assert pushed.hash_scheme == "pb1" and len(pushed.warnings) == 1


def test_cli_push_warns_once_and_hash_reports_the_scheme_in_effect(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    make_project(root, 'storage = "../store"\n')
    seed(open_storage(tmp_path / "store"), STORES / "by_value", ["DoubleScaler"])

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if k != "PETBROWSER_STORAGE"}
        return subprocess.run(
            [sys.executable, "-m", "petbrowser", *args, "--project", str(root)],
            cwd=REPO, env=env, capture_output=True, text=True, timeout=240,
        )  # fmt: skip

    got = cli("hash", "--json")
    assert got.returncode == 0, got.stderr
    rows = {r["name"]: r for r in json.loads(got.stdout)}
    scaler = rows["Scaler"]
    assert scaler["hash_scheme"] == "labchain" and scaler["hash"] == scaler["labchain_hash"]
    assert scaler["pb1_hash"] != scaler["labchain_hash"]
    if ON_311:
        assert scaler["hash"] == SCALER_V1
    forced = json.loads(cli("hash", "--json", "--hash-scheme", "pb1").stdout)
    assert {r["hash_scheme"] for r in forced} == {"pb1"}
    assert all(r["hash"] == r["pb1_hash"] for r in forced)
    assert "hash scheme in effect: labchain" in cli("hash").stdout

    got = cli("push", "Scaler", "Tagger", "--hash-scheme", "pb1")
    assert got.returncode == 0, got.stderr
    assert got.stderr.count("petbrowser: warning:") == 1 and "out_of_sync" in got.stderr
    assert "[pb1]" in got.stdout
    bad = cli("push", "Scaler", "--hash-scheme", "sha1")
    assert bad.returncode == 2 and "Traceback" not in bad.stderr

    write_filters(root, 2)
    got = cli("status", "--json", "--hash-scheme", "labchain")
    assert got.returncode == 0, got.stderr
    thresh = {e["name"]: e for e in json.loads(got.stdout)}["Thresholder"]
    assert (thresh["status"], thresh["hash_scheme"]) == ("untracked", "labchain")


# ----------------------------------------------------------- 0.1.0's JSON pointers
def _make_json_pointer(storage: Storage, name: str, h: str, previous: str | None = None) -> None:
    """What petbrowser 0.1.0 wrote: a JSON latest.json (LabChain's pickle.load fails on it)."""
    key = layout.latest_key(name)
    _, token = storage.read_with_token(key)
    # 0.1.0's pointer carried the time and user of the move its history record
    # describes (the record's key derives from that time), so heal finds it there.
    moves = [e for e in Store(storage).history(name) if e.to_hash == h]
    at, by = (moves[-1].at, moves[-1].by) if moves else ("2026-01-02T03:04:05.000000Z", "old@pb")
    old = Pointer(h, name, "json", updated_at=at, updated_by=by,
                  previous=previous, extra={"action": "push"})  # fmt: skip
    data = encode_pointer(old, "json")
    with pytest.raises(pickle.UnpicklingError):
        pickle.loads(data)
    storage.replace(key, data, token)


def test_json_pointers_are_read_warned_about_and_repaired(any_storage: Storage, lc_project: Project) -> None:
    manager = PetClassManager(any_storage, lc_project, user="ana@lab")
    (r,) = manager.push(["Scaler"])
    _make_json_pointer(any_storage, "Scaler", r.hash)
    assert manager.store.read_pointer("Scaler").hash == r.hash  # still read

    report = manager.verify()
    assert report.ok  # a warning, not a problem
    (warn,) = [i for i in report.warnings if i.key == layout.latest_key("Scaler")]
    assert "LabChain cannot read this pointer" in warn.message
    assert manager.pointers_to_repair() == ["Scaler"]

    entry = manager.repair_pointer("Scaler")
    assert (entry.action, entry.from_hash, entry.to_hash) == ("repair", r.hash, r.hash) and entry.key
    assert hashes_read(any_storage) == {"Scaler": r.hash}
    assert manager.history("Scaler")[-1].action == "repair"
    assert not any("LabChain cannot read" in i.message for i in manager.verify().issues)
    assert manager.pointers_to_repair() == []
    assert manager.repair_pointer("Scaler").key == ""  # already readable: nothing written
    assert [e.action for e in manager.history("Scaler")].count("repair") == 1


def test_repair_is_compare_and_swap(tmp_path: Path, lc_project: Project) -> None:
    storage = open_storage(tmp_path / "store")
    manager = PetClassManager(storage, lc_project)
    (r,) = manager.push(["Scaler"])
    _make_json_pointer(storage, "Scaler", r.hash)
    with pytest.raises(ConflictError):
        manager.repair_pointer("Scaler", expected="0" * 64)
    assert storage.read(layout.latest_key("Scaler")).startswith(b"{")  # untouched


def test_any_move_of_a_json_pointer_writes_labchains_form(tmp_path: Path, lc_project: Project) -> None:
    storage = open_storage(tmp_path / "store")
    manager = PetClassManager(storage, lc_project)
    (v1,) = manager.push(["Scaler"])
    write_filters(lc_project.root, 2)
    (v2,) = manager.push(["Scaler"])
    _make_json_pointer(storage, "Scaler", v2.hash, previous=v1.hash)
    manager.move_latest("Scaler", v1.hash, expected=v2.hash)
    assert hashes_read(storage) == {"Scaler": v1.hash}


def test_cli_repair(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    project = make_project(root, 'storage = "../store"\n')
    storage = open_storage(tmp_path / "store")
    manager = PetClassManager(storage, project)
    pushed = manager.push(["Scaler", "DoubleScaler"])
    for r in pushed:
        _make_json_pointer(storage, r.name, r.hash)
    env = {k: v for k, v in os.environ.items() if k != "PETBROWSER_STORAGE"}
    run = [sys.executable, "-m", "petbrowser"]
    got = subprocess.run([*run, "repair", "--project", str(root), "--json"],
                         cwd=REPO, env=env, capture_output=True, text=True, timeout=240)  # fmt: skip
    assert got.returncode == 0, got.stderr
    done = {d["class"]: d for d in json.loads(got.stdout)}
    assert set(done) == {"Scaler", "DoubleScaler"}
    assert all(d["changed"] and d["action"] == "repair" for d in done.values())
    assert hashes_read(storage) == {r.name: r.hash for r in pushed}
    again = subprocess.run([*run, "repair", "Scaler", "--project", str(root)],
                           cwd=REPO, env=env, capture_output=True, text=True, timeout=240)  # fmt: skip
    assert again.returncode == 0 and "nothing to do" in again.stdout
    missing = subprocess.run([*run, "repair", "Nope", "--project", str(root)],
                             cwd=REPO, env=env, capture_output=True, text=True, timeout=240)  # fmt: skip
    assert missing.returncode == 1 and "Traceback" not in missing.stderr
    assert missing.stderr.strip().count("\n") == 0


# ------------------------------------------------------- healing pickled pointers
class _Killed(BaseException):
    """SIGKILL between the pointer's compare-and-swap and its history record."""


def test_a_lost_record_is_healed_from_a_pickled_pointer(any_storage: Storage, monkeypatch) -> None:
    store = Store(any_storage, user="alice@lab")
    hs = []
    for n in (1, 2, 3):
        data = f"version {n}".encode()
        h = __import__("hashlib").sha256(data).hexdigest()
        store.write_version("Model", h, data, None)
        hs.append(h)
    h1, h2, h3 = hs
    store.move_latest("Model", h1, expected=None, action="push")

    def killed(*args: Any, **kwargs: Any) -> None:
        raise _Killed()

    with monkeypatch.context() as m:
        m.setattr(Store, "_record", killed)
        with pytest.raises(_Killed):
            store.move_latest("Model", h2, expected=h1, action="rollback")
    read = labchain_reads(any_storage)["Model"]  # the crash left a pointer LabChain reads...
    assert (read["hash"], read["previous"], read["action"]) == (h2, h1, "rollback")
    store.move_latest("Model", h3, expected=h2, action="push")  # ...and the next move heals from it
    assert [(e.action, e.from_hash, e.to_hash) for e in store.history("Model")] == [
        ("push", None, h1),
        ("rollback", h1, h2),
        ("push", h2, h3),
    ]


# --------------------------------------------------------------------- diffs
def test_diff_of_a_synced_labchain_version_ignores_runtime_attributes(
    tmp_path: Path, lc_project: Project
) -> None:
    """LabChain's by-value DoubleScaler against the same local code: no changes, no _abc_impl."""
    shutil.copytree(STORES / "by_value", tmp_path / "store")
    manager = PetClassManager(open_storage(tmp_path / "store"), lc_project)
    result = manager.diff("DoubleScaler", "latest", "local")
    text = result.format_text()
    assert "_abc_impl" not in text and "_hash" not in text
    if ON_311:
        assert not result.has_changes and text.endswith("no changes")


def test_diff_of_a_by_reference_version_is_one_line(tmp_path: Path, lc_project: Project) -> None:
    shutil.copytree(STORES / "by_reference", tmp_path / "store")
    manager = PetClassManager(open_storage(tmp_path / "store"), lc_project)
    result = manager.diff("Scaler", "latest", "local")
    assert result.methods == [] and not result.attributes_added
    assert result.no_code == [
        f"latest ({SCALER_V2[:12]}): this version holds no code: it names my_filters.Scaler"
    ]
    lines = result.format_text().splitlines()
    assert lines[1:] == result.no_code and "added" not in result.format_text()
    assert result.to_json()["no_code"] == result.no_code


def test_ahead_is_told_from_push_times_finer_than_a_listing_gives(tmp_path: Path, lc_project: Project) -> None:
    """Two pushes within one second tie on object times; the sidecars' milliseconds decide."""
    storage = open_storage(tmp_path / "store")
    manager = PetClassManager(storage, lc_project)
    (v1,) = manager.push(["Scaler"])
    write_filters(lc_project.root, 2)
    (v2,) = manager.push(["Scaler"])
    folder = tmp_path / "store" / "plugins" / "Scaler"
    for h in (v1.hash, v2.hash):  # as if both landed within the same second
        os.utime(folder / f"{h}.pkl", (1_700_000_000, 1_700_000_000))
    manager.move_latest("Scaler", v1.hash, expected=v2.hash)
    assert status_of(manager, "Scaler") == "ahead"
    write_filters(lc_project.root, 1)
    manager.move_latest("Scaler", v2.hash, expected=v1.hash)
    assert status_of(manager, "Scaler") == "behind"


def test_cli_inspect_names_a_labchain_versions_scheme(tmp_path: Path) -> None:
    shutil.copytree(STORES / "by_reference", tmp_path / "store")
    env = {k: v for k, v in os.environ.items() if k != "PETBROWSER_STORAGE"}
    got = subprocess.run(
        [sys.executable, "-m", "petbrowser", "inspect", "Scaler", "--storage", str(tmp_path / "store")],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=240,
    )  # fmt: skip
    assert got.returncode == 0, got.stderr
    assert "hash:       labchain scheme" in got.stdout
