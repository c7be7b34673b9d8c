"""Benchmark 3: GUI start-up to first paint, and a 20,000-version tree.

Each sample is a fresh process (``first_paint_probe.py``) on the offscreen Qt
platform, with its own empty settings and data folders so no earlier session
is restored.  Baseline, in the same run: an empty ``QMainWindow`` shown by a
bare PySide6 script through the very same probe.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from store_generator import StoreSpec
from timing import Measurement, Row

PROBE = Path(__file__).resolve().parent / "first_paint_probe.py"


def probe(args: list[str], env_home: Path, timeout: float = 180, cache: Path | None = None) -> dict[str, Any]:
    """Start the probe; return its report with ``first_paint_s`` (and ``tree_shown_s``).

    ``cache``: the user cache folder (petbrowser's listing cache) to start with.
    """
    env = dict(os.environ)
    env.update(
        QT_QPA_PLATFORM="offscreen",
        XDG_CONFIG_HOME=str(env_home / "config"),
        XDG_DATA_HOME=str(env_home / "data"),
        XDG_CACHE_HOME=str(cache or env_home / "cache"),
        PETBROWSER_STORAGE="",
        # Compiled modules as an installed program has them (pip writes .pyc files), for
        # both sides: this run's own bytecode cache, filled by the untimed first starts.
        PYTHONPYCACHEPREFIX=str(env_home / "pycache"),
    )
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.pop("PETBROWSER_STORAGE")
    with tempfile.TemporaryDirectory() as cwd:  # an empty folder: no project to pick up
        t0 = time.monotonic()
        out = subprocess.run(
            [sys.executable, str(PROBE), *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
            cwd=cwd,
        )
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith("BENCH_RESULT ")]
    if not lines:
        tail = (out.stderr or out.stdout).strip().splitlines()[-3:]
        raise RuntimeError(f"probe {args[:1]} reported nothing (exit {out.returncode}): {' | '.join(tail)}")
    report = json.loads(lines[-1].split(" ", 1)[1])
    if report.get("timeout"):
        raise RuntimeError(f"probe {args} timed out: {report}")
    report["first_paint_s"] = report["first_paint"] - t0
    if "tree_shown" in report:
        report["tree_shown_s"] = report["tree_shown"] - t0
    if "listing_done" in report:
        report["listing_done_s"] = report["listing_done"] - t0
    return report


def run(work: Path, tree_store: Path, tree_spec: StoreSpec, runs: int, tree_runs: int) -> list[Row]:
    home = work / "gui_home"
    # One untimed start of each, so neither pays for a cold disk cache or .pyc writing.
    probe(["bare"], home)
    probe(["petbrowser", "--demo"], home)
    bare, ours, reports, bare_cpu = [], [], [], []
    for _ in range(runs):  # interleaved, so a noisy neighbour hits both alike
        b = probe(["bare"], home)
        bare.append(b["first_paint_s"])
        bare_cpu.append(b["first_paint_cpu"])
        r = probe(["petbrowser", "--demo"], home)
        ours.append(r["first_paint_s"])
        reports.append(r)
    boto3_loaded = any(r["boto3_loaded"] for r in reports)
    spawned = max(r["spawned_before_paint"] for r in reports)
    cpu_ours = Measurement([r["first_paint_cpu"] for r in reports]).median
    cpu_bare = Measurement(bare_cpu).median
    rows = [
        Row(
            "3 GUI start-up",
            "petbrowser --demo: process start to first paint",
            Measurement(ours).median,
            Measurement(bare).median,
            "bare PySide6 QMainWindow",
            runs=runs,
            max_ratio=1.5,
            note=f"boto3 imported at first paint: {'yes' if boto3_loaded else 'no'}; "
            f"child processes started before it: {spawned}; CPU time to first paint "
            f"{cpu_ours * 1000:.0f} ms against {cpu_bare * 1000:.0f} ms ({cpu_ours / cpu_bare:.2f}x)",
            extra={"boto3_loaded": boto3_loaded, "spawned_before_paint": spawned},
        )
    ]

    total = tree_spec.classes * tree_spec.versions
    tree_args = [
        "petbrowser",
        "--tree-classes",
        str(tree_spec.classes),
        "--tree-versions",
        str(total),
        "--storage",
        str(tree_store),
    ]
    # First open: an empty listing cache each time.  Second open: the cache a
    # first open (untimed) left, as on a user's second start.
    cold = iter(range(10**6))
    warm_cache = home / "tree-cache-warm"
    probe(tree_args, home, cache=warm_cache)
    shown: dict[str, list[float]] = {"first": [], "second": []}
    complete: dict[str, list[float]] = {"first": [], "second": []}
    rss: dict[str, list[float]] = {"first": [], "second": []}
    for _ in range(tree_runs):
        for which, cache in (("first", home / f"tree-cache-{next(cold)}"), ("second", warm_cache)):
            r = probe(tree_args, home, cache=cache)
            if "tree_shown_s" not in r:
                raise RuntimeError(f"the tree never held {tree_spec.classes} classes / {total} versions: {r}")
            shown[which].append(r["tree_shown_s"])
            complete[which].append(r.get("listing_done_s", r["tree_shown_s"]))
            rss[which].append(r["maxrss_mb"])
    for which, label in (("first", "first open (cache empty)"), ("second", "second open (cache warm)")):
        rows.append(
            Row(
                "3 GUI start-up",
                f"--storage {tree_spec.classes}x{tree_spec.versions} {label}: start to full tree shown",
                Measurement(shown[which]).median,
                None,
                "",
                runs=tree_runs,
                max_value=1.5,
                note=f"{total} versions in the tree model, then painted",
            )
        )
        rows.append(
            Row(
                "3 GUI start-up",
                f"--storage {tree_spec.classes}x{tree_spec.versions} {label}: start to listing complete",
                Measurement(complete[which]).median,
                None,
                "",
                runs=tree_runs,
                note="every version's sidecar facts in (who pushed it, with which Python): "
                "the window's listing_finished",
            )
        )
        rows.append(
            Row(
                "3 GUI start-up",
                f"peak RSS with the {total}-version tree shown, {label}",
                Measurement(rss[which]).median,
                None,
                "",
                unit="MB",
                runs=tree_runs,
                max_value=200.0,
                note="ru_maxrss of the GUI process once the listing is complete (child processes not included)",
            )
        )
    return rows
