"""Classes LabChain pushed from a script (``python train.py``: module ``__main__``).

The store is made the way LabChain makes it: the script runs in its own
process, and its ``if __name__ == "__main__":`` block cloudpickles its class
(by value, as cloudpickle does for ``__main__``), names the version with
LabChain's ``get_class_hash`` (written out below as DESIGN.md gives it, not
petbrowser's copy) and writes LabChain's layout: ``<hash>.pkl`` and a
pickled ``latest.json`` dict.  petbrowser, given the script as a ``.py``
path, must hash its classes as ``__main__`` without running that block.
"""

from __future__ import annotations

import base64
import json
import os
import pickle
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from petbrowser.core import snapshots
from petbrowser.core.child import AGENT_DIR, run_agent
from petbrowser.core.project import Project
from petbrowser.core.storage import open_storage
from petbrowser.core.store import Store

REPO = Path(__file__).resolve().parent.parent

# No lambdas or comprehensions: LabChain's own hash of those changes per process.
SCRIPT = textwrap.dedent(
    '''
    """A LabChain-style experiment script: python train.py STORE EXPECTED AGENT_DIR."""
    import hashlib
    import importlib.util
    import inspect
    import json
    import os
    import pickle
    import sys

    import cloudpickle


    class BaseFilter:
        def fit(self, x):
            return self


    class Clipper(BaseFilter):
        limit = 10

        def __init__(self, limit: int = 10):
            self.limit = limit

        def predict(self, x: list) -> list:
            out = []
            for v in x:
                out.append(min(v, self.limit))
            return out

        def combine(self, other: BaseFilter) -> BaseFilter:
            return other


    def labchain_get_class_hash(cls):
        """LabChain 1.2.11's PetClassManager.get_class_hash, as DESIGN.md describes it."""
        h = hashlib.sha256()
        try:
            h.update(cls.__module__.encode())
            h.update(cls.__qualname__.encode())
            for base in cls.__bases__:
                h.update(base.__module__.encode())
                h.update(base.__qualname__.encode())
            for name, value in sorted(cls.__dict__.items()):
                if inspect.isfunction(value):
                    h.update(name.encode())
                    h.update(value.__code__.co_code)
                    h.update(repr(value.__code__.co_consts).encode())
                    h.update(repr(value.__code__.co_names).encode())
                    h.update(str(inspect.signature(value)).encode())
            return h.hexdigest()
        except (TypeError, OSError):
            return hashlib.sha256(f"{cls.__module__}.{cls.__qualname__}".encode()).hexdigest()


    if __name__ == "__main__":
        here = os.path.dirname(os.path.abspath(__file__))
        with open(os.path.join(here, "main_ran.txt"), "a") as log:
            log.write("ran\\n")
        store, expected, agent_dir = sys.argv[1:4]
        spec = importlib.util.spec_from_file_location("pb_hashing", os.path.join(agent_dir, "hashing.py"))
        pb_hashing = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(pb_hashing)
        hashes = {}
        for cls in (BaseFilter, Clipper):
            h = labchain_get_class_hash(cls)
            hashes[cls.__name__] = {"labchain": h, "pb1": pb_hashing.pb1_hash(cls)}
            folder = os.path.join(store, "plugins", cls.__name__)
            os.makedirs(folder, exist_ok=True)
            with open(os.path.join(folder, h + ".pkl"), "wb") as f:
                f.write(cloudpickle.dumps(cls))
            with open(os.path.join(folder, "latest.json"), "wb") as f:
                pickle.dump({"hash": h, "class_name": cls.__name__}, f)
        with open(expected, "w") as f:
            json.dump(hashes, f)
    '''
)


def _run_script(root: Path, script: str, store: Path, expected: Path) -> None:
    proc = subprocess.run(
        [sys.executable, script, str(store), str(expected), str(AGENT_DIR)],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("PETBROWSER_STORAGE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))  # petbrowser's code cache


@pytest.fixture()
def lab(tmp_path: Path) -> dict[str, object]:
    """A project whose scripts/train.py LabChain ran once, pushing into ``store``."""
    root = tmp_path / "proj"
    (root / "scripts").mkdir(parents=True)
    script = root / "scripts" / "train.py"
    script.write_text(SCRIPT)
    store = tmp_path / "store"
    expected = tmp_path / "expected.json"
    _run_script(root, "scripts/train.py", store, expected)
    ran = root / "scripts" / "main_ran.txt"
    assert ran.read_text() == "ran\n"
    latest = pickle.loads((store / "plugins" / "Clipper" / "latest.json").read_bytes())
    hashes = json.loads(expected.read_text())
    assert latest == {"hash": hashes["Clipper"]["labchain"], "class_name": "Clipper"}
    return {"root": root, "script": script, "store": store, "hashes": hashes, "ran": ran}


def _project(lab: dict[str, object]) -> Project:
    return Project.load(lab["root"], modules=["scripts/train.py"], python=sys.executable)


def test_script_classes_hash_as_main_in_both_schemes_without_running_the_main_block(
    lab: dict[str, object],
) -> None:
    local = {c.name: c for c in snapshots.scan(_project(lab))}
    assert set(local) == {"BaseFilter", "Clipper"}
    for name, want in lab["hashes"].items():
        assert local[name].main_hashes == want
        # Imported under its file name it is another module, with other hashes.
        assert local[name].module == "train"
        assert local[name].describe.module == "train"
        assert local[name].hashes["labchain"] != want["labchain"]
    assert lab["ran"].read_text() == "ran\n"  # the __main__ block did not run again


def test_script_classes_show_synced_against_labchains_store_then_out_of_sync(
    lab: dict[str, object],
) -> None:
    store = Store(open_storage(lab["store"]))
    project = _project(lab)
    entries = {e.name: e for e in snapshots.check_status(store, project)}
    assert {n: e.status for n, e in entries.items()} == {
        "BaseFilter": "synced",
        "Clipper": "synced",
    }
    assert entries["Clipper"].local_hash == lab["hashes"]["Clipper"]["labchain"]
    script: Path = lab["script"]
    script.write_text(script.read_text().replace("min(v, self.limit)", "max(v, self.limit)"))
    statuses = {e.name: e.status for e in snapshots.check_status(store, project)}
    assert statuses == {"BaseFilter": "synced", "Clipper": "out_of_sync"}
    assert lab["ran"].read_text() == "ran\n"


def test_cli_status_of_a_script_labchain_pushed(lab: dict[str, object]) -> None:
    env = {k: v for k, v in os.environ.items() if k != "PETBROWSER_STORAGE"}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "petbrowser",
            "status",
            "--project",
            str(lab["root"]),
            "--storage",
            str(lab["store"]),
            "--module",
            "scripts/train.py",
            "--json",
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert proc.returncode == 0, proc.stderr
    assert {e["name"]: e["status"] for e in json.loads(proc.stdout)} == {
        "BaseFilter": "synced",
        "Clipper": "synced",
    }
    assert lab["ran"].read_text() == "ran\n"


def test_dump_as_main_pickles_what_labchain_would_and_names_it_so(
    lab: dict[str, object], tmp_path: Path
) -> None:
    """The seam a push of a script class uses: pickled, hashed and described as
    ``__main__``; rebuilt elsewhere it is still ``__main__`` with the same hashes."""
    root: Path = lab["root"]
    want = lab["hashes"]["Clipper"]
    request = {"op": "dump", "module": "scripts/train.py", "classes": ["Clipper"]}
    (item,) = run_agent({**request, "as_main": True}, python=sys.executable, cwd=root)["items"]
    assert item["module"] == "__main__"
    assert item["hashes"] == want
    assert item["describe"]["module"] == "__main__"
    assert item["describe"]["bases"] == ["__main__.BaseFilter"]
    assert "def combine(self, other: BaseFilter)" in item["describe"]["source"]
    assert "(self, other: __main__.BaseFilter)" in json.dumps(item["describe"]["methods"])
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    rebuilt = run_agent({"op": "rebuild", "pkl": item["pkl"]}, python=sys.executable, cwd=elsewhere)
    assert rebuilt["module"] == "__main__"
    assert rebuilt["hashes"] == want
    # Without the flag the same class is the module ``train``, as before.
    (plain,) = run_agent(request, python=sys.executable, cwd=root)["items"]
    assert plain["module"] == "train" and plain["hashes"]["labchain"] != want["labchain"]
    assert lab["ran"].read_text() == "ran\n"

    # A pb1 version pushed as __main__ (with petbrowser's metadata) is synced too.
    store = Store(open_storage(tmp_path / "pb1store"))
    pkl = base64.b64decode(item["pkl"])
    store.write_version(
        "Clipper", want["pb1"], pkl, snapshots.build_meta(item, pkl, "pb1", "me@host")
    )
    store.move_latest("Clipper", want["pb1"], expected=None, action="push")
    statuses = {e.name: e for e in snapshots.check_status(store, _project(lab))}
    assert statuses["Clipper"].status == "synced"
    assert statuses["Clipper"].hash_scheme == "pb1"
