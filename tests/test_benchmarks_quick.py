"""Keeps the benchmark runner working: ``run.py --quick`` must finish and print its table.

No timing threshold here (shared CI machines are noisy); the numbers live in
docs/performance.md.  The runner itself checks that every benchmark computed
the right thing (class and version counts, status counts, request counts).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

RUNNER = Path(__file__).resolve().parent / "benchmarks" / "run.py"


@pytest.mark.slow  # 40 s: .ci/run runs it with the other slow suites
@pytest.mark.timeout(600)
def test_quick_benchmark_run_prints_the_table() -> None:
    out = subprocess.run(
        [sys.executable, str(RUNNER), "--quick"], capture_output=True, text=True, timeout=580
    )
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    lines = out.stdout.splitlines()
    assert any(line.startswith("| benchmark | case | petbrowser | baseline | ratio |") for line in lines)
    benches = {line.split("|")[1].strip().split()[0] for line in lines if line.startswith("| ") and "---" not in line}
    assert {"1", "2", "3", "4", "5"} <= benches, out.stdout
    assert "Errors:" not in out.stdout
