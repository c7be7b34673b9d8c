"""Issue 19's differential matrix: every CPython pushes, every CPython reads, statically.

Each CPython 3.8-3.13 on the machine pushes the same class (matrix_mod.Probe)
through petbrowser's real push (its agent runs in that interpreter and writes
a sidecar holding that version's own ``dis`` listing).  Then each CPython
petbrowser runs on (3.10-3.13) inspects every store statically, with the
sidecars ignored: the detected version must be the pusher's, and every
method's listing (and signature) the sidecar's, line for line.  The
LabChain-written stores (pushed from 3.11.7) must read as 3.11 everywhere.
A cell whose interpreter is missing is skipped with the reason.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from .interpreters import MINORS, REPO, find_python, missing_reason, push_probe

INSPECTORS = ("3.10", "3.11", "3.12", "3.13")  # petbrowser needs 3.10+
LABCHAIN = REPO / "tests" / "data" / "labchain_stores" / "by_value" / "plugins"
PROBE = Path(__file__).with_name("static_probe.py")


@pytest.fixture(scope="session")
def pushed(pusher_venv, tmp_path_factory) -> dict[str, Path | str]:
    """minor -> the Probe version's .pkl pushed from that CPython (or why there is none)."""
    root = tmp_path_factory.mktemp("pyver-matrix")
    out: dict[str, Path | str] = {}
    for minor in MINORS:
        venv = pusher_venv(minor)
        if isinstance(venv, str):
            out[minor] = venv
            continue
        store = root / f"store-{minor}"
        rc = push_probe(venv, root / f"project-{minor}", store)
        pkls = sorted((store / "plugins" / "Probe").glob("*.pkl"))
        out[minor] = (
            pkls[0] if rc == 0 and len(pkls) == 1 else f"push from {minor} failed (exit {rc})"
        )
    return out


@pytest.fixture(scope="session")
def inspected(pushed) -> dict[str, dict[str, Any] | str]:
    """inspecting minor -> {pkl path: what static_probe.py found}, run once per interpreter."""
    files = [str(p) for p in pushed.values() if isinstance(p, Path)]
    files += [str(p) for p in sorted(LABCHAIN.glob("*/*.pkl"))]
    out: dict[str, dict[str, Any] | str] = {}
    for minor in INSPECTORS:
        python = find_python(minor)
        if python is None:
            out[minor] = missing_reason(minor)
            continue
        proc = subprocess.run(
            [python, "-I", str(PROBE), str(REPO), *files],
            capture_output=True,
            text=True,
            timeout=300,
        )
        if proc.returncode != 0:
            out[minor] = f"static inspection under {python} failed: {proc.stderr[-2000:]}"
            continue
        out[minor] = {r["file"]: r for r in json.loads(proc.stdout)}
    return out


def _cell(pushed, inspected, pusher: str, inspector: str) -> tuple[dict, dict]:
    pkl = pushed[pusher]
    if isinstance(pkl, str):
        pytest.skip(pkl)
    found = inspected[inspector]
    if isinstance(found, str):
        if "failed" in found:
            pytest.fail(found)
        pytest.skip(found)
    sidecar = json.loads(pkl.with_suffix(".meta.json").read_text())
    return found[str(pkl)], sidecar


@pytest.mark.parametrize("inspector", INSPECTORS, ids=lambda v: f"read-on-{v}")
@pytest.mark.parametrize("pusher", MINORS, ids=lambda v: f"pushed-from-{v}")
def test_static_reading_names_the_pusher_and_matches_its_own_listing(
    pushed, inspected, pusher: str, inspector: str
) -> None:
    got, sidecar = _cell(pushed, inspected, pusher, inspector)
    assert sidecar["python_version"].startswith(pusher + ".")
    assert got["error"] is None and got["unsafe"] == []
    assert got["python_version"] == pusher
    want = sidecar["methods"]
    assert sorted(got["methods"]) == sorted(want)
    for key, method in want.items():
        static = got["methods"][key]
        assert static["disassembly"].splitlines() == method["disassembly"].splitlines(), key
        assert static["signature"] == method["signature"], key


@pytest.mark.parametrize("inspector", INSPECTORS, ids=lambda v: f"read-on-{v}")
def test_labchain_stores_read_as_311_everywhere(inspected, inspector: str) -> None:
    found = inspected[inspector]
    if isinstance(found, str):
        pytest.skip(found)
    labchain = {f: r for f, r in found.items() if f.startswith(str(LABCHAIN))}
    assert len(labchain) == 7
    for f, r in labchain.items():
        assert r["python_version"] == "3.11", f
        assert r["error"] is None and r["unsafe"] == [], f
        assert r["methods"] and all(
            not m["disassembly"].startswith("<") for m in r["methods"].values()
        ), f


def test_the_matrix_ran_at_least_the_running_python(pushed, inspected) -> None:
    """The matrix is not vacuous: the interpreter running the tests is always a cell."""
    running = "{}.{}".format(*sys.version_info[:2])
    assert isinstance(pushed[running], Path), pushed[running]
    assert isinstance(inspected[running], dict), inspected[running]
