"""The command line names the Python of versions without metadata, and diffs across Pythons.

Issue 19's report, run as a user would: LabChain's Scaler (pushed from
3.11.7) inspected and diffed by petbrowser, and two versions of one class
pushed from 3.11 and 3.12, without metadata, diffed.
"""

from __future__ import annotations

import hashlib
import pickle
import shutil

from petbrowser.cli import main

from .interpreters import REPO

FIXTURES = REPO / "tests" / "data" / "pyver"
BY_VALUE = REPO / "tests" / "data" / "labchain_stores" / "by_value"


def test_inspect_names_the_python_read_from_the_bytecode(tmp_path, capsys) -> None:
    store = tmp_path / "by_value"
    shutil.copytree(BY_VALUE, store)
    assert main(["inspect", "Scaler", "bb9558", "--storage", str(store)]) == 0
    out = capsys.readouterr().out
    assert "  python:     3.11 (read from the bytecode)\n" in out
    assert main(["diff", "Scaler", "98d201", "bb9558", "--bytecode", "--storage", str(store)]) == 0
    out = capsys.readouterr().out
    assert "NULL|self" not in out  # no 3.12 reading of 3.11 bytecode (the symptom)
    assert "+  LOAD_CONST 1\n" in out and "+  BINARY_OP +\n" in out
    assert "different Pythons" not in out and "made by Python" not in out


def test_a_diff_across_pythons_reads_each_side_with_its_own_instruction_set(
    tmp_path, capsys
) -> None:
    probe = tmp_path / "store" / "plugins" / "Probe"
    probe.mkdir(parents=True)
    hashes = {}
    for minor in ("3.11", "3.12"):
        data = (FIXTURES / f"{minor}.pkl").read_bytes()
        hashes[minor] = hashlib.sha256(data).hexdigest()
        (probe / f"{hashes[minor]}.pkl").write_bytes(data)
    (probe / "latest.json").write_bytes(
        pickle.dumps({"hash": hashes["3.12"], "class_name": "Probe"})
    )
    a, b = hashes["3.11"][:8], hashes["3.12"][:8]
    argv = ["diff", "Probe", a, b, "--bytecode", "--storage", str(tmp_path / "store")]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert (
        f"note: {hashes['3.11'][:12]} was made by Python 3.11, {hashes['3.12'][:12]} by 3.12: "
        "bytecode differs for that reason alone"
    ) in out
    assert "-  PRECALL 0" in out  # 3.11's side, read as 3.11
    assert "+  LOAD_SUPER_ATTR NULL|self + hello" in out  # 3.12's side, read as 3.12
    assert main(["inspect", "Probe", a, "--storage", str(tmp_path / "store"), "--json"]) == 0
    got = capsys.readouterr().out
    assert '"python_version": "3.11"' in got
