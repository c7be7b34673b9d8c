"""pb1 ignores what is put on a class at run time: LabChain's ``_hash`` stamp, ABC caches.

LabChain's push and pull set ``cls._hash = "<its hash>"``; a module that
pushes with LabChain when it is imported therefore has the stamp on its
classes by the time petbrowser hashes them.  The pure-Python ``abc``
(``_py_abc``) keeps caches in the class dict that every ``isinstance`` call
changes.  Neither is code, so neither may change pb1 (and the structural
diff ignores the very same attributes: one rule, in ``core.agent.hashing``).
"""

from __future__ import annotations

import _py_abc
import json
import os
import subprocess
import sys
import textwrap
import types
from pathlib import Path

from petbrowser.core.agent.hashing import labchain_hash, pb1_hash

REPO = Path(__file__).resolve().parent.parent

MODULE = textwrap.dedent(
    """
    import abc


    class BaseFilter(abc.ABC):
        @abc.abstractmethod
        def predict(self, x): ...


    class Scaler(BaseFilter):
        factor = 2

        def predict(self, x):
            return [v * self.factor for v in x]


    class Plain:
        def run(self):
            return 1
    """
)


def _load(source: str, name: str = "stampmod") -> types.ModuleType:
    mod = types.ModuleType(name)
    exec(compile(source, f"{name}.py", "exec", dont_inherit=True), mod.__dict__)
    return mod


def test_a_labchain_stamp_leaves_pb1_as_it_was() -> None:
    mod = _load(MODULE)
    before = {n: pb1_hash(getattr(mod, n)) for n in ("BaseFilter", "Scaler", "Plain")}
    for n in before:  # what LabChain's push does to each class it pushes
        cls = getattr(mod, n)
        cls._hash = labchain_hash(cls)
    assert {n: pb1_hash(getattr(mod, n)) for n in before} == before

    # Only LabChain's stamp (64 lowercase hex) is run-time; a ``_hash`` of the user's own counts.
    for own in (3, "abc", "F" * 64, "0" * 63):
        other = _load(MODULE)
        other.Plain._hash = own
        assert pb1_hash(other.Plain) != before["Plain"], own


def test_pure_python_abc_caches_do_not_move_pb1() -> None:
    """``_py_abc`` keeps its caches in the class dict; an isinstance call changes them."""

    class Filter(metaclass=_py_abc.ABCMeta):
        def fit(self, x):
            return self

    class Other(metaclass=_py_abc.ABCMeta):
        pass

    before = pb1_hash(Filter)
    Other.register(int)  # bumps ABCMeta's invalidation counter...
    assert not isinstance(3, Filter)  # ...which this check copies into Filter's dict
    assert Filter.__dict__["_abc_negative_cache_version"] != 0
    assert pb1_hash(Filter) == before


def _cli(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "PETBROWSER_STORAGE"}
    return subprocess.run(
        [sys.executable, "-m", "petbrowser", *args, "--project", str(project)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=240,
    )  # fmt: skip


def test_a_module_that_pushes_with_labchain_on_import_stays_synced(tmp_path: Path) -> None:
    """End to end: hashed in the project's child process, status against a pb1 store."""
    store = tmp_path / "store"
    settings = f'[tool.petbrowser]\nmodules = ["stampmod"]\npython = "{sys.executable}"\n'
    settings += f'storage = "{store.as_posix()}"\nhash_scheme = "pb1"\n'
    clean, stamped = tmp_path / "clean", tmp_path / "stamped"
    for root in (clean, stamped):
        root.mkdir()
        (root / "pyproject.toml").write_text(settings)
    (clean / "stampmod.py").write_text(MODULE)
    # LabChain's push at import time: PetClassManager(storage).push(cls) stamps cls._hash
    (stamped / "stampmod.py").write_text(
        MODULE
        + textwrap.dedent(
            """
            import hashlib

            for _cls in (Scaler, Plain):
                _cls._hash = hashlib.sha256(_cls.__qualname__.encode()).hexdigest()
            """
        )
    )
    hashes = {}
    for root in (clean, stamped):
        got = _cli(root, "hash", "--json")
        assert got.returncode == 0, got.stderr
        hashes[root.name] = {c["name"]: c["hash"] for c in json.loads(got.stdout)}
    assert hashes["stamped"] == hashes["clean"]

    pushed = _cli(clean, "push", "--all")
    assert pushed.returncode == 0, pushed.stderr
    got = _cli(stamped, "status", "--json")
    assert got.returncode == 0, got.stderr
    assert {e["name"]: e["status"] for e in json.loads(got.stdout)} == {
        "BaseFilter": "synced",
        "Scaler": "synced",
        "Plain": "synced",
    }
