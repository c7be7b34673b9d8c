"""Differential test against the real ``dis`` of each CPython 3.8-3.13 on the machine.

Each interpreter compiles standard-library modules and reports, through
petbrowser's agent, its own normalized listing of every code object
(``bytecode_probe.py``); the code objects travel as cloudpickle pickles them.
petbrowser then reads each one statically: the pusher's version must always
be among the versions detected (never a wrong one), and the listing must be
the agent's, line for line.  The default run covers a few modules per
version; the ``slow`` one covers the whole standard library (about 110,000
code objects over six versions: 0 wrong versions, 0 listing differences
when this was written).
"""

from __future__ import annotations

import collections
import json
import subprocess
from pathlib import Path

import pytest

from petbrowser.core import bytecode
from petbrowser.core.safe_pickle import _Machine

from .interpreters import MINORS, REPO, find_python, make_venv, missing_reason

PROBE = Path(__file__).with_name("bytecode_probe.py")
AGENT = REPO / "petbrowser" / "core" / "agent"
FEW = ("argparse.py", "contextlib.py")


def _run_probe(minor: str, files: list[str], out: Path, venvs: Path) -> dict:
    python = find_python(minor)
    if python is None:
        pytest.skip(missing_reason(minor))
    venv = make_venv(python, venvs / minor)
    stdlib = subprocess.run(
        [str(venv), "-I", "-c", "import sysconfig; print(sysconfig.get_paths()['stdlib'])"],
        capture_output=True, text=True, check=True, timeout=60,
    ).stdout.strip()  # fmt: skip
    paths = [str(Path(stdlib) / f) if not Path(f).is_absolute() else f for f in files]
    out.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [str(venv), "-I", str(PROBE), str(AGENT), str(out), *paths],
        check=True, capture_output=True, timeout=1800,
    )  # fmt: skip
    expected = json.loads((out / "expected.json").read_text())
    machine = _Machine()
    machine.run((out / "units.pkl").read_bytes())
    return {
        "python": expected["python"],
        "units": list(zip(machine.result, expected["units"], strict=True)),
    }


def _compare(found: dict) -> collections.Counter:
    want = found["python"]
    tally: collections.Counter = collections.Counter()
    for index, (code, table) in enumerate(found["units"]):
        verdict = bytecode.detect([code])
        tally["units"] += 1
        tally["exact" if verdict.versions == (want,) else "range"] += 1
        assert want in verdict.versions, (index, code.name, verdict.reasons.get(want))
        got = bytecode.code_entries(f"{index}:{code.name}", "function", None, code, (want,))
        for key, listing in table.items():
            assert got[key]["disassembly"].splitlines() == listing.splitlines(), key
    return tally


@pytest.mark.parametrize("minor", MINORS)
def test_static_reading_matches_each_pythons_dis_on_stdlib_modules(minor, tmp_path_factory) -> None:
    root = tmp_path_factory.mktemp(f"corpus-{minor}")
    files = [*FEW, str(Path(__file__).with_name("matrix_mod.py"))]
    tally = _compare(_run_probe(minor, files, root / "out", root / "venvs"))
    assert tally["units"] > 150


@pytest.mark.slow
@pytest.mark.parametrize("minor", MINORS)
def test_static_reading_matches_each_pythons_dis_on_the_whole_stdlib(
    minor, tmp_path_factory, monkeypatch
) -> None:
    # The whole standard library travels in one pickle: far beyond the caps that
    # bound a store's class snapshot (issue 13), which this test is not about.
    from petbrowser.core import safe_pickle

    monkeypatch.setattr(safe_pickle, "MAX_OPCODES", 100_000_000)
    monkeypatch.setattr(safe_pickle, "_MAX_EXPANDED", 1_000_000_000)
    root = tmp_path_factory.mktemp(f"stdlib-{minor}")
    python = find_python(minor)
    if python is None:
        pytest.skip(missing_reason(minor))
    stdlib = Path(
        subprocess.run(
            [python, "-I", "-c", "import sysconfig; print(sysconfig.get_paths()['stdlib'])"],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        ).stdout.strip()  # fmt: skip
    )
    files = sorted(
        str(p)
        for p in [*stdlib.glob("*.py"), *stdlib.glob("*/*.py")]
        if "test" not in p.parts[-2] and "bad" not in p.name
    )
    tally = _compare(_run_probe(minor, files, root / "out", root / "venvs"))
    print(f"\n{minor}: {dict(tally)}")
    assert tally["units"] > 10_000
