"""``petbrowser push`` of a class LabChain pushed from a script (module ``__main__``).

The store holds what real LabChain 1.2.11 wrote (``tests/data/labchain_stores/by_value``)
plus the classes of ``scripts/train.py``, pushed the way LabChain pushes a
script's classes (``python scripts/train.py``: cloudpickled by value as
``__main__``, named by LabChain's hash, a pickled ``latest.json``; the script
of ``tests/test_script_classes.py``).  petbrowser, given the script as a
``.py`` path, imports it as ``train``; a push of its edited class must still
store what LabChain would push: the class pickled and named as ``__main__``.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_script_classes import SCRIPT, _run_script

REPO = Path(__file__).resolve().parent.parent
BY_VALUE = Path(__file__).resolve().parent / "data" / "labchain_stores" / "by_value"
EDIT = ("min(v, self.limit)", "max(v, self.limit)")


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("PETBROWSER_STORAGE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))


def _cli(root: Path, store: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "PETBROWSER_STORAGE"}
    return subprocess.run(
        [sys.executable, "-m", "petbrowser", *args, "--project", str(root), "--storage", str(store),
         "--module", "scripts/train.py", "--json"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=240,
    )  # fmt: skip


def _module_of_pickle(pkl: Path, cwd: Path) -> str:
    """Rebuild the stored class in a fresh process (nowhere near the script) and name its module."""
    code = "import sys, cloudpickle; print(cloudpickle.loads(open(sys.argv[1], 'rb').read()).__module__)"
    got = subprocess.run(
        [sys.executable, "-c", code, str(pkl)], cwd=cwd, capture_output=True, text=True, timeout=120
    )
    assert got.returncode == 0, got.stderr
    return got.stdout.strip()


def _pkls(store: Path, name: str) -> set[str]:
    return {p.name for p in (store / "plugins" / name).glob("*.pkl")}


def test_push_of_an_edited_script_class_stores_it_as_main(tmp_path: Path) -> None:
    root = tmp_path / "proj"
    (root / "scripts").mkdir(parents=True)
    script = root / "scripts" / "train.py"
    script.write_text(SCRIPT)
    store = tmp_path / "store"
    shutil.copytree(BY_VALUE, store)  # LabChain's own store...
    _run_script(root, "scripts/train.py", store, tmp_path / "v1.json")  # ...plus the script's push
    script.write_text(script.read_text().replace(*EDIT))
    # What LabChain itself would name the edited class: the script run once more, elsewhere.
    elsewhere = tmp_path / "labchain_v2"
    shutil.copytree(root, elsewhere)
    _run_script(elsewhere, "scripts/train.py", tmp_path / "store_v2", tmp_path / "v2.json")
    want = json.loads((tmp_path / "v2.json").read_text())["Clipper"]["labchain"]

    got = _cli(root, store, "status")
    assert got.returncode == 0, got.stderr
    assert {e["name"]: e["status"] for e in json.loads(got.stdout)}["Clipper"] == "out_of_sync"

    got = _cli(root, store, "push", "Clipper")
    assert got.returncode == 0, got.stderr
    (pushed,) = json.loads(got.stdout)
    assert (pushed["hash"], pushed["hash_scheme"]) == (want, "labchain")

    got = _cli(root, store, "status")
    assert got.returncode == 0, got.stderr
    statuses = {e["name"]: e["status"] for e in json.loads(got.stdout)}
    assert (statuses["Clipper"], statuses["BaseFilter"]) == ("synced", "synced")
    assert statuses["Scaler"] == "remote_only"  # LabChain's own classes are left as they were

    outside = tmp_path / "outside"
    outside.mkdir()
    assert _module_of_pickle(store / "plugins" / "Clipper" / f"{want}.pkl", outside) == "__main__"

    # Pushing again stores nothing new (the version exists under its __main__ name).
    before = _pkls(store, "Clipper"), _pkls(store, "BaseFilter")
    got = _cli(root, store, "push", "--all")
    assert got.returncode == 0, got.stderr
    assert json.loads(got.stdout) == []
    got = _cli(root, store, "push", "Clipper", "BaseFilter")
    assert got.returncode == 0, got.stderr
    assert {r["status"] for r in json.loads(got.stdout)} == {"unchanged"}
    assert (_pkls(store, "Clipper"), _pkls(store, "BaseFilter")) == before


def test_a_new_class_of_such_a_script_is_pushed_as_main_too(tmp_path: Path) -> None:
    """A class the store does not hold yet follows the script's other classes."""
    root = tmp_path / "proj"
    (root / "scripts").mkdir(parents=True)
    script = root / "scripts" / "train.py"
    script.write_text(SCRIPT)
    store = tmp_path / "store"
    _run_script(root, "scripts/train.py", store, tmp_path / "v1.json")
    script.write_text(
        script.read_text().replace(
            "\n\ndef labchain_get_class_hash",
            "\n\nclass Doubler(BaseFilter):\n    def predict(self, x):\n        return x + x\n"
            "\n\ndef labchain_get_class_hash",
        )
    )
    got = _cli(root, store, "push", "Doubler")
    assert got.returncode == 0, got.stderr
    (pushed,) = json.loads(got.stdout)
    assert _module_of_pickle(store / "plugins" / "Doubler" / f"{pushed['hash']}.pkl", tmp_path) == "__main__"
    got = _cli(root, store, "status")
    assert {e["name"]: e["status"] for e in json.loads(got.stdout)}["Doubler"] == "synced"


def test_a_pb1_version_whose_sidecar_says_main_is_followed(tmp_path: Path) -> None:
    """petbrowser's own versions say their module in the sidecar: an edited class
    is pushed as ``__main__`` under pb1 too, and is synced after."""
    from petbrowser.core import snapshots
    from petbrowser.core.child import run_agent
    from petbrowser.core.project import Project
    from petbrowser.core.storage import open_storage
    from petbrowser.core.store import Store

    root = tmp_path / "proj"
    (root / "scripts").mkdir(parents=True)
    script = root / "scripts" / "train.py"
    script.write_text(SCRIPT)
    request = {"op": "dump", "module": "scripts/train.py", "classes": ["Clipper"], "as_main": True}
    (item,) = run_agent(request, python=sys.executable, cwd=root)["items"]
    store = Store(open_storage(tmp_path / "store"))
    pkl = base64.b64decode(item["pkl"])
    v1 = item["hashes"]["pb1"]
    store.write_version("Clipper", v1, pkl, snapshots.build_meta(item, pkl, "pb1", "me@lab"))
    store.move_latest("Clipper", v1, expected=None, action="push")

    script.write_text(script.read_text().replace(*EDIT))
    project = Project.load(root, modules=["scripts/train.py"], python=sys.executable)
    (edited,) = [c for c in snapshots.scan(project) if c.name == "Clipper"]
    (result,) = snapshots.push(store, project, ["Clipper"], hash_scheme="pb1")
    assert result.hash == edited.main_hashes["pb1"] != v1
    assert store.read_meta("Clipper", result.hash)["module"] == "__main__"
    statuses = {e.name: e.status for e in snapshots.check_status(store, project, hash_scheme="pb1")}
    assert statuses["Clipper"] == "synced"
