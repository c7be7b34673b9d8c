"""`inspect` and `diff` from the command line, and hostile pickles in a store (subprocess)."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import pickle
import subprocess
import sys
import textwrap
from collections import OrderedDict
from pathlib import Path

import cloudpickle
import pytest

REPO = Path(__file__).resolve().parent.parent
PICKLES = REPO / "tests" / "data" / "pickles"

UNSAFE_NAME = {
    "os_system_p0": "posix.system",
    "builtins_exec": "builtins.exec",
    "builtins_eval": "builtins.eval",
    "subprocess_popen": "subprocess.Popen",
    "getattr_import_system": "builtins.__import__",
    "inst_system": "posix.system",
    "metaclass_system": "metaclass posix.system",
}

SCALER = """
class Scaler:
    factor = 2

    def apply(self, x, k=1):
        return x * self.factor + k
"""


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


def hexhash(tag: str) -> str:
    return hashlib.sha256(tag.encode()).hexdigest()


def put(root: Path, name: str, h: str, data: bytes, latest: bool = True) -> None:
    d = root / "plugins" / name
    d.mkdir(parents=True, exist_ok=True)
    (d / f"{h}.pkl").write_bytes(data)
    if latest:
        (d / "latest.json").write_text(json.dumps({"hash": h, "class_name": name}))


def dynamic(src: str, name: str) -> type:
    ns: dict = {"__name__": "pb_cli_dyn"}
    exec(compile(textwrap.dedent(src), "scaler.py", "exec"), ns)
    return ns[name]


@pytest.fixture(scope="module")
def hostile_store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """A store holding every hostile pickle (one class each) plus two honest versions."""
    base = tmp_path_factory.mktemp("hostile")
    store, work = base / "store", base / "work"
    work.mkdir()
    canary = base / "CANARY"
    spec = importlib.util.spec_from_file_location("make_pickles", PICKLES / "make_pickles.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    for fname, data in mod.build(str(canary)).items():
        cls = "Evil_" + fname.removesuffix(".pkl")
        put(store, cls, hexhash(cls), data)
    put(store, "Scaler", hexhash("s1"), cloudpickle.dumps(dynamic(SCALER, "Scaler")), latest=False)
    put(
        store,
        "Scaler",
        hexhash("s2"),
        cloudpickle.dumps(dynamic(SCALER.replace("+ k", "- k"), "Scaler")),
    )
    put(store, "Ordered", hexhash("ref"), pickle.dumps(OrderedDict))
    return store, work, canary


@pytest.mark.parametrize("variant", sorted(UNSAFE_NAME))
def test_inspect_names_the_hostile_global_and_exits_4(
    hostile_store: tuple[Path, Path, Path], variant: str
) -> None:
    store, work, canary = hostile_store
    proc = run_cli("inspect", f"Evil_{variant}", "--storage", str(store), cwd=work)
    assert proc.returncode == 4, proc.stderr
    assert "Traceback" not in proc.stderr
    assert UNSAFE_NAME[variant] in proc.stderr and UNSAFE_NAME[variant] in proc.stdout
    assert not canary.exists()


def test_read_only_commands_never_run_a_hostile_pickle(
    hostile_store: tuple[Path, Path, Path],
) -> None:
    store, work, canary = hostile_store
    s = ["--storage", str(store)]
    ls = run_cli("ls", *s, "--json", cwd=work)
    assert ls.returncode == 0, ls.stderr
    names = {c["name"] for c in json.loads(ls.stdout)}
    assert {f"Evil_{v}" for v in UNSAFE_NAME} <= names
    for variant in ("os_system_p0", "subprocess_popen", "getattr_import_system"):
        cls = f"Evil_{variant}"
        log = run_cli("log", cls, *s, cwd=work)
        assert log.returncode == 0, log.stderr
        diff = run_cli("diff", cls, "latest", "latest", *s, cwd=work)
        assert diff.returncode == 0, diff.stderr
        assert "unsafe" in diff.stdout and UNSAFE_NAME[variant] in diff.stdout
        js = run_cli("inspect", cls, *s, "--json", cwd=work)
        assert js.returncode == 4
        assert UNSAFE_NAME[variant] in json.loads(js.stdout)["unsafe"]
    verify = run_cli("verify", *s, cwd=work)
    assert verify.returncode in (0, 4), verify.stderr
    assert "Traceback" not in verify.stderr
    assert not canary.exists()
    assert not (work / "CANARY").exists()


def test_inspect_an_honest_version(hostile_store: tuple[Path, Path, Path]) -> None:
    store, work, _ = hostile_store
    proc = run_cli("inspect", "Scaler", hexhash("s1")[:8], "--storage", str(store), cwd=work)
    assert proc.returncode == 0, proc.stderr
    assert "apply(self, x, k=1)" in proc.stdout and "factor = 2" in proc.stdout
    assert "safe" in proc.stdout and "UNSAFE" not in proc.stdout
    data = json.loads(
        run_cli("inspect", "Scaler", "--storage", str(store), "--json", cwd=work).stdout
    )
    assert data["hash"] == hexhash("s2") and data["safe"] is True and data["by_reference"] is False


def test_inspect_a_by_reference_version(hostile_store: tuple[Path, Path, Path]) -> None:
    store, work, _ = hostile_store
    proc = run_cli("inspect", "Ordered", "--storage", str(store), cwd=work)
    assert proc.returncode == 0, proc.stderr
    assert "BY REFERENCE" in proc.stdout and "collections.OrderedDict" in proc.stdout


def test_diff_between_two_stored_versions(hostile_store: tuple[Path, Path, Path]) -> None:
    store, work, _ = hostile_store
    s = ["--storage", str(store)]
    h1 = hexhash("s1")[:10]
    proc = run_cli("diff", "Scaler", h1, "latest", *s, cwd=work)
    assert proc.returncode == 0, proc.stderr
    assert "~ function apply (changed)" in proc.stdout
    assert "-  BINARY_OP +" in proc.stdout and "+  BINARY_OP -" in proc.stdout
    src_only = run_cli("diff", "Scaler", h1, "latest", "--source", *s, cwd=work)
    assert "BINARY_OP" not in src_only.stdout
    js = json.loads(run_cli("diff", "Scaler", h1, "latest", "--json", *s, cwd=work).stdout)
    assert js["has_changes"] is True
    assert [m["name"] for m in js["methods"] if m["status"] == "changed"] == ["apply"]
    same = run_cli("diff", "Scaler", "latest", "latest", *s, cwd=work)
    assert same.returncode == 0 and "no changes" in same.stdout


def test_diff_usage_errors_are_one_line(hostile_store: tuple[Path, Path, Path]) -> None:
    store, work, _ = hostile_store
    for ref, code in (("abc", 2), ("zzzzzzzz", 2), ("0123456789", 1)):
        proc = run_cli("diff", "Scaler", ref, "latest", "--storage", str(store), cwd=work)
        assert proc.returncode == code, (ref, proc.stderr)
        assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


MODULE = """
class Energy:
    scale = 2

    def apply(self, xs):
        return self.scale * sum(x * x for x in xs)
"""


def test_diff_against_the_local_project(tmp_path: Path) -> None:
    """push, edit the module, then `diff CLASS latest` compares with local by default."""
    root = tmp_path / "proj"
    root.mkdir()
    (root / "pyproject.toml").write_text(
        f'[tool.petbrowser]\nstorage = "../store"\nmodules = ["lib"]\npython = "{sys.executable}"\n'
    )
    (root / "lib.py").write_text(MODULE)
    pushed = run_cli("push", "Energy", cwd=root)
    assert pushed.returncode == 0, pushed.stderr

    (root / "lib.py").write_text(MODULE.replace("x * x", "x * x * x") + "\n# reformatted\n")
    proc = run_cli("diff", "Energy", "latest", cwd=root)
    assert proc.returncode == 0, proc.stderr
    assert "-> local" in proc.stdout and "apply/<genexpr> (changed)" in proc.stdout
    assert "x * x * x" in proc.stdout  # the enclosing method's own source diff...
    assert "    source:" in proc.stdout and "class source:" not in proc.stdout  # ...not the class's

    (root / "lib.py").write_text("\n\n" + MODULE.replace("return", "return  "))
    same = run_cli("diff", "Energy", "latest", "local", cwd=root)
    assert same.returncode == 0, same.stderr
    assert "no changes" in same.stdout


ABSTRACT = """
from abc import ABC, abstractmethod


class Stage(ABC):
    def run(self, x):
        return x + 1

    @staticmethod
    def check(x):
        return x > 0
"""


def test_a_method_made_abstract_is_a_change_in_every_diff(tmp_path: Path) -> None:
    """``@abstractmethod`` changes pb1 and leaves the bytecode alone: the diff names it
    (live code, a stored version's sidecar, and a sidecar written before the mark)."""
    root = tmp_path / "proj"
    root.mkdir()
    (root / "pyproject.toml").write_text(
        f'[tool.petbrowser]\nstorage = "../store"\nmodules = ["lib"]\npython = "{sys.executable}"\n'
    )
    (root / "lib.py").write_text(ABSTRACT)
    assert run_cli("push", "Stage", cwd=root).returncode == 0
    made_abstract = ABSTRACT.replace("    def run", "    @abstractmethod\n    def run").replace(
        "    @staticmethod\n", "    @staticmethod\n    @abstractmethod\n"
    )
    (root / "lib.py").write_text(made_abstract)
    live = run_cli("diff", "Stage", "latest", "local", cwd=root)
    assert live.returncode == 0, live.stderr
    assert "no changes" not in live.stdout
    assert "kind: function -> abstract function" in live.stdout
    assert "kind: staticmethod -> abstract staticmethod" in live.stdout

    log = json.loads(run_cli("log", "Stage", "--json", cwd=root).stdout)
    old = log["versions"][0]["hash"]
    pushed = run_cli("push", "Stage", cwd=root)
    assert pushed.returncode == 0, pushed.stderr
    stored = run_cli("diff", "Stage", old, "latest", cwd=root)
    assert stored.returncode == 0, stored.stderr
    assert "kind: function -> abstract function" in stored.stdout
    assert run_cli("diff", "Stage", "latest", "local", cwd=root).stdout.rstrip().endswith("no changes")

    # A sidecar from before the mark: the pickle's own mark is read, no change is made up.
    folder = tmp_path / "store/plugins/Stage"
    new = next(p for p in folder.glob("*.meta.json") if not p.name.startswith(old))
    meta = json.loads(new.read_text())
    for entry in meta["methods"].values():
        entry["kind"] = entry["kind"].removeprefix("abstract ")
    new.write_text(json.dumps(meta))
    unmarked = run_cli("diff", "Stage", "latest", "local", cwd=root)
    assert unmarked.returncode == 0, unmarked.stderr
    assert unmarked.stdout.rstrip().endswith("no changes"), unmarked.stdout
