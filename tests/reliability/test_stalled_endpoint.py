"""The CLI against an S3 endpoint that stalls every request (the fault proxy, "stall").

Since issue 18 every S3 operation has one time budget, retries included:
``--timeout``, ``PETBROWSER_TIMEOUT``, the project's ``storage_timeout``, else
``DEFAULT_STORAGE_TIMEOUT``.  These tests check the outcome (exit 1, one line
naming the budget and the knob) and record how long each run took for
docs/reliability.md (``PETBROWSER_RELIABILITY_REPORT``); they never assert a
time.  The doc test keeps that page's figures in step with the code.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from petbrowser.core.storage import DEFAULT_STORAGE_TIMEOUT

REPO = Path(__file__).resolve().parents[2]

CASES = [
    pytest.param(["--timeout", "4"], {}, 4, id="flag"),
    pytest.param([], {"PETBROWSER_TIMEOUT": "3"}, 3, id="environment"),
    pytest.param([], {}, DEFAULT_STORAGE_TIMEOUT, id="default", marks=pytest.mark.slow),
]


@pytest.mark.timeout(180)
@pytest.mark.parametrize(("flags", "env", "budget"), CASES)
def test_a_stalled_endpoint_is_one_line_within_the_budget(
    fault_proxy: Any,
    s3_bucket: str,
    reliability_stats: dict[str, Any],
    flags: list[str],
    env: dict[str, str],
    budget: float,
) -> None:
    proxy = fault_proxy(rates={"stall": 1.0}, stall_seconds=600)
    base = {k: v for k, v in os.environ.items() if k not in ("PETBROWSER_TIMEOUT", "PETBROWSER_STORAGE")}
    start = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "petbrowser", "ls", "--storage", f"s3://{s3_bucket}/store",
         "--endpoint-url", proxy.url, *flags],
        cwd=REPO, env={**base, **env}, capture_output=True, text=True, timeout=170,
    )  # fmt: skip
    elapsed = time.monotonic() - start
    reliability_stats.setdefault("stalled_endpoint_cli", {})[f"{budget:g} s"] = {
        "seconds": round(elapsed, 2),
        "requests": proxy.requests,
    }
    print(f"\nstalled endpoint, budget {budget:g} s: petbrowser ls ended after {elapsed:.2f} s")
    assert proc.returncode == 1 and proc.stdout == ""
    assert proc.stderr.splitlines() == [
        f"petbrowser: {proxy.url} did not answer within {budget:g} s "
        f"(while trying to open s3://{s3_bucket}/store); --timeout SECONDS sets how long to wait"
    ]
    assert proxy.counts["stall"] >= 1


def test_the_reliability_page_states_the_timeout_as_the_code_has_it() -> None:
    text = (REPO / "docs" / "reliability.md").read_text()
    assert "over a minute" not in text  # before issue 18: 5 attempts x 15 s read timeout
    for knob in ("--timeout", "PETBROWSER_TIMEOUT", "storage_timeout", "test_stalled_endpoint.py"):
        assert knob in text, knob
    assert f"{DEFAULT_STORAGE_TIMEOUT:g} s budget" in text
