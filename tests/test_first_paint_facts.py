"""What the real ``petbrowser --demo`` has done by its first frame (issue 16), as the
benchmark probe reports it: facts, not timings.

Each start is a fresh process through ``tests/benchmarks/first_paint_probe.py``
(the benchmark's own probe) with private settings, data and cache folders.
The first start creates the demo and fills the platform check's cache; the
second is what a user's every later start looks like.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

PROBE = Path(__file__).resolve().parent / "benchmarks" / "first_paint_probe.py"


def _probe(home: Path, *args: str) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PETBROWSER_")}
    env.update(
        QT_QPA_PLATFORM="offscreen",
        XDG_CONFIG_HOME=str(home / "config"),
        XDG_DATA_HOME=str(home / "data"),
        XDG_CACHE_HOME=str(home / "cache"),
    )
    out = subprocess.run(
        [sys.executable, str(PROBE), *args], capture_output=True, text=True, env=env, cwd=home, timeout=180
    )
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith("BENCH_RESULT ")]
    assert lines, out.stderr[-2000:]
    report = json.loads(lines[-1].split(" ", 1)[1])
    assert not report.get("timeout"), report
    return report


def test_nothing_but_the_window_happens_before_the_first_paint(tmp_path: Path) -> None:
    first = _probe(tmp_path, "petbrowser", "--demo")
    assert first["spawned_before_paint"] == 1  # the platform check asked the loader once
    assert (tmp_path / "cache" / "petbrowser" / "platform-check.json").is_file()

    again = _probe(tmp_path, "petbrowser", "--demo")
    assert again["spawned_before_paint"] == 0  # remembered: no ldd, no status child
    assert again["manager_loaded"] is False  # opening the demo waits for the first frame
    assert again["boto3_loaded"] is False
    assert again["threads_before_paint"] == 1  # no worker has started
    # the first frame is the window's frame and welcome page: the tree, details,
    # Timeline, session and the core's models are built and loaded after it
    assert again["loaded_before_paint"] == []
    # the system theme (the default) starts with the platform's own style and
    # palette as Qt set them: nothing asks for the style object before the frame
    assert again["style_type_built"] is False


def test_the_probe_sees_the_first_frame_of_a_bare_window(tmp_path: Path) -> None:
    report = _probe(tmp_path, "bare")
    assert report["spawned_before_paint"] == 0 and "first_paint" in report
