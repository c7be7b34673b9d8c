"""The hash, status, push, pull and demo commands, run as a user would (subprocess)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

MODULE = """
class Energy:
    scale = 2

    def apply(self, xs):
        return self.scale * sum(x * x for x in xs)


class Gate:
    def open(self, v):
        return v > 0
"""


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "PETBROWSER_STORAGE"}
    return subprocess.run(
        [sys.executable, "-m", "petbrowser", *args],
        cwd=cwd or REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )


def assert_one_line_error(proc: subprocess.CompletedProcess[str], code: int) -> str:
    assert proc.returncode == code, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("petbrowser: ")
    return lines[0]


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    root.mkdir()
    (root / "pyproject.toml").write_text(
        f'[tool.petbrowser]\nstorage = "../store"\nmodules = ["lib"]\npython = "{sys.executable}"\n'
    )
    (root / "lib.py").write_text(MODULE)
    return root


@pytest.fixture(scope="module")
def demo_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = tmp_path_factory.mktemp("clidemo")
    proc = run_cli("demo", str(dest))
    assert proc.returncode == 0, proc.stderr
    path = Path(proc.stdout.strip())
    assert path == dest / "project" and (path / "pyproject.toml").is_file()
    return path


def test_demo_status_json_shows_every_status(demo_project: Path) -> None:
    proc = run_cli("status", "--project", str(demo_project), "--json")
    assert proc.returncode == 0, proc.stderr
    entries = json.loads(proc.stdout)
    assert {e["name"]: e["status"] for e in entries} == {
        "Normalizer": "synced",
        "ThresholdFilter": "behind",
        "LinearModel": "out_of_sync",
        "MovingAverage": "untracked",
        "Clipper": "remote_only",
    }
    for e in entries:
        assert {"name", "local_hash", "latest", "status"} <= set(e)
    # the text form names each class with its status
    text = run_cli("status", "--project", str(demo_project)).stdout
    assert "behind" in text and "ThresholdFilter" in text


def test_demo_twice_returns_the_same_project(demo_project: Path) -> None:
    proc = run_cli("demo", str(demo_project.parent), "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["project"] == str(demo_project)


def test_hash_json(project: Path) -> None:
    proc = run_cli("hash", "--json", cwd=project)  # --project defaults to the current folder
    assert proc.returncode == 0, proc.stderr
    rows = {r["name"]: r for r in json.loads(proc.stdout)}
    assert set(rows) == {"Energy", "Gate"}
    for r in rows.values():
        assert r["module"] == "lib"
        assert len(r["hash"]) == 64 and len(r["labchain_hash"]) == 64
        assert r["hash"] != r["labchain_hash"]


def test_push_status_pull_round_trip(project: Path, tmp_path: Path) -> None:
    p = ["--project", str(project)]
    assert_one_line_error(run_cli("push", *p), 2)  # neither a class nor --all

    proc = run_cli("push", "Energy", *p, "--json")
    assert proc.returncode == 0, proc.stderr
    (pushed,) = json.loads(proc.stdout)
    assert pushed["name"] == "Energy" and pushed["created"] and pushed["moved"]

    status = {e["name"]: e for e in json.loads(run_cli("status", *p, "--json").stdout)}
    assert status["Energy"]["status"] == "synced" and status["Gate"]["status"] == "untracked"
    assert status["Energy"]["local_hash"] == status["Energy"]["latest"] == pushed["hash"]

    out = tmp_path / "restored"
    proc = run_cli("pull", "Energy", *p, "--hash", pushed["hash"][:8], "--restore", str(out))
    assert proc.returncode == 0, proc.stderr
    restored = out / f"Energy_{pushed['hash'][:12]}.py"
    assert "def apply(self, xs):" in restored.read_text()
    line = assert_one_line_error(run_cli("pull", "Energy", *p, "--restore", str(out)), 1)
    assert "--force" in line

    assert run_cli("push", "--all", *p).returncode == 0
    status = {e["name"]: e["status"] for e in json.loads(run_cli("status", *p, "--json").stdout)}
    assert status == {"Energy": "synced", "Gate": "synced"}


def test_pull_of_a_tampered_version_exits_4(project: Path) -> None:
    proc = run_cli("push", "Gate", "--project", str(project), "--json")
    assert proc.returncode == 0, proc.stderr
    h = json.loads(proc.stdout)[0]["hash"]
    pkl = project.parent / "store" / "plugins" / "Gate" / f"{h}.pkl"
    pkl.write_bytes(pkl.read_bytes() + b"\x00")
    line = assert_one_line_error(run_cli("pull", "Gate", "--project", str(project)), 4)
    assert "digest" in line


def test_module_failing_to_import_is_one_line(project: Path) -> None:
    (project / "lib.py").write_text("import numpy_that_is_not_there\n")
    line = assert_one_line_error(run_cli("hash", "--project", str(project)), 1)
    assert "module 'lib' failed to import: ModuleNotFoundError" in line


@pytest.mark.slow  # the quick run keeps the same promise: reliability/test_bad_input.py[mod_hangs]
def test_hanging_module_times_out(project: Path) -> None:
    (project / "lib.py").write_text("import time\nwhile True:\n    time.sleep(1)\n")
    line = assert_one_line_error(run_cli("hash", "--project", str(project), "--timeout", "3"), 1)
    assert line == "petbrowser: importing module 'lib' did not finish within 3 s"


def test_status_without_a_store_folder_is_an_error(project: Path) -> None:
    shutil.rmtree(project.parent / "store", ignore_errors=True)
    assert_one_line_error(run_cli("status", "--project", str(project)), 1)
