"""Crash consistency: SIGKILL a writer at random moments, then hold the store to its word.

A writer (crash_writer.py) pushes versions and moves pointers in a loop;
the test kills it with SIGKILL 5-80 ms after it is ready, over and over (a
new process each time, forked from a zygote that did the imports).  After every kill:

- ``Store.verify()`` finds no problem (warnings, e.g. stray temporary files
  or a pointer moved without its history record, are allowed and counted);
- every ``latest.json`` resolves to a complete ``.pkl`` (size and sha256 of
  its metadata);
- every version the writer was told was written is complete, and every move
  it was told was done has its history record.
"""

from __future__ import annotations

import collections
import os
import random
import signal
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from tests.reliability.crash_writer import CLASSES
from tests.reliability.helpers import HERE, PYTHON, cli_env, sha256

WRITER = str(HERE / "crash_writer.py")
#: Kills per backend (DESIGN/issue #6 asks for at least 100; raise it for a soak run).
KILLS = int(os.environ.get("PETBROWSER_CRASH_KILLS", "100"))
LANE = 10  # kills per fresh store
#: When, after the writer says ready, the kill comes (seconds).  One S3 push is
#: ~7 requests to moto at several ms each, so the S3 window is wider: with 5-80 ms
#: most kills landed before the first request completed.
LOCAL_WINDOW = (0.005, 0.080)
S3_WINDOW = (0.005, 0.400)


def _open_store(url: str, endpoint: str | None) -> Any:
    from petbrowser.core.storage import open_storage
    from petbrowser.core.store import Store

    return Store(open_storage(url, endpoint_url=endpoint))


def _log_lines(log: Path) -> list[list[str]]:
    if not log.exists():
        return []
    text = log.read_text()
    complete = text[: text.rfind("\n") + 1]  # a line cut by the kill was not "returned"
    return [line.split() for line in complete.splitlines() if line]


def check_store(store: Any, log: Path, warned: set[tuple[str, str]], seen: set[tuple[str, ...]]) -> None:
    """Everything the module docstring promises, for the store as the kill left it.

    ``seen``: log lines already checked after an earlier kill (versions are
    immutable and verify re-reads every one of them anyway); ``warned``
    collects the distinct warnings, for the report.
    """
    report = store.verify()
    assert report.ok, "verify found problems after a kill:\n" + "\n".join(
        f"{i.key}: {i.message}" for i in report.problems
    )
    for w in report.warnings:
        if "history record" in w.message:
            warned.add(("moves_without_history_record", w.key + w.message))
        elif "temporary or lock" in w.message:
            warned.add(("stray_temp_files", w.key))
    for name in CLASSES:
        ptr = store.read_pointer(name)
        if ptr is None:
            continue
        # verify already matched every .pkl against its metadata; the pointer's must have one.
        assert store.read_meta(name, ptr.hash) is not None, f"latest of {name} names a version without metadata"
    histories: dict[str, set[tuple[str | None, str, str]]] = {}
    for parts in _log_lines(log):
        if tuple(parts) in seen:
            continue
        if parts[0] == "wrote":
            _, name, h = parts
            data = store.read_pkl(name, h)
            meta = store.read_meta(name, h)
            assert meta is not None and sha256(data) == meta["pkl_sha256"], f"version {name} {h[:12]} incomplete"
        elif parts[0] == "moved":
            _, name, frm, to, action = parts
            if name not in histories:
                histories[name] = {(e.from_hash, e.to_hash, e.action) for e in store.history(name)}
            assert (None if frm == "-" else frm, to, action) in histories[name], (
                f"completed move {name} {frm[:12]} -> {to[:12]} has no history record"
            )
        seen.add(tuple(parts))


def _kill_after_ready(proc: subprocess.Popen[bytes], pid_line: bool, rng: random.Random,
                      window: tuple[float, float]) -> int:
    """Wait for the writer's 'ready' (and, in zygote mode, its pid), then SIGKILL it at random."""
    assert proc.stdout is not None
    pid = proc.pid
    ready = False
    while not ready or (pid_line and pid == proc.pid):
        line = proc.stdout.readline().decode()
        assert line, "writer stream closed before it was ready"
        if line.startswith("pid "):
            pid = int(line.split()[1])
        elif line.strip() == "ready":
            ready = True
    time.sleep(rng.uniform(*window))
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    return pid


def _crash_loop_zygote(url: str, endpoint: str | None, log: Path, kills: int, seed: int, max_size: int,
                       tmp: Path, stats: collections.Counter[str], window: tuple[float, float]) -> None:
    """A zygote imports petbrowser (and boto3) once and forks one fresh writer per kill.

    Import time is most of a writer's start-up on a busy 2-core machine
    (0.3 s for the local store, 0.5 s more for boto3); forking keeps 100 kills
    per backend inside the suite's time budget.  Each writer is still its own
    process, killed with SIGKILL and reaped by the zygote.
    """
    rng = random.Random(seed)
    store = _open_store(url, endpoint)
    seen: set[tuple[str, ...]] = set()
    warned: set[tuple[str, str]] = set()
    err_path = tmp / "zygote.err"
    with open(err_path, "wb") as err:
        zyg = subprocess.Popen(
            [PYTHON, WRITER, "--zygote", url, endpoint or "-", str(log), str(max_size)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err, env=cli_env(),
        )
    assert zyg.stdin is not None and zyg.stdout is not None
    try:
        for i in range(kills):
            zyg.stdin.write(f"go {seed * 1000 + i}\n".encode())
            zyg.stdin.flush()
            pid = _kill_after_ready(zyg, True, rng, window)
            line = zyg.stdout.readline().decode().split()
            assert line[:2] == ["dead", str(pid)], line
            status = int(line[2])
            assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL, (
                f"writer died on its own: {err_path.read_text()}"
            )
            stats["kills"] += 1
            check_store(store, log, warned, seen)
        stats.update(kind for kind, _ in warned)
    finally:
        zyg.stdin.close()
        zyg.wait(timeout=30)
        zyg.stdout.close()


def _run_lanes(make_url: Any, endpoint: str | None, window: tuple[float, float], seed: int, max_size: int,
               tmp: Path) -> dict[str, int]:
    """KILLS kills in lanes of LANE, each lane on a fresh store so every verify pass stays small.

    Two lanes run at a time: most of a kill cycle is waiting (for the kill, for
    the server), so this halves the wall time on a 2-core machine.
    """

    def lane_run(lane: int) -> collections.Counter[str]:
        stats: collections.Counter[str] = collections.Counter()
        log = tmp / f"writer-{lane}.log"
        lane_tmp = tmp / f"lane-{lane}"
        lane_tmp.mkdir()
        _crash_loop_zygote(make_url(lane), endpoint, log, LANE, seed + lane, max_size, lane_tmp, stats, window)
        lines = _log_lines(log)
        stats["versions_written"] += sum(1 for p in lines if p[0] == "wrote")
        stats["moves_completed"] += sum(1 for p in lines if p[0] == "moved")
        return stats

    summary: collections.Counter[str] = collections.Counter()
    with ThreadPoolExecutor(max_workers=2) as pool:
        for stats in pool.map(lane_run, range(KILLS // LANE)):
            summary.update(stats)
    assert summary["kills"] == KILLS
    # Not a throughput goal (the machine is shared and noisy): only proof that the
    # kills landed among real moves, so the checks above were not vacuous.
    assert summary["moves_completed"] >= 1, f"the writer got nothing done: {summary}"
    return dict(summary)


@pytest.mark.slow
def test_sigkill_local(tmp_path: Path, reliability_stats: dict[str, Any]) -> None:
    def make_url(lane: int) -> str:
        root = tmp_path / f"store{lane}"
        root.mkdir()  # an existing, empty store: reading a missing one is an error
        return str(root)

    reliability_stats["crash_local"] = _run_lanes(make_url, None, LOCAL_WINDOW, 10, 64 * 1024, tmp_path)


@pytest.mark.slow
def test_sigkill_s3(s3_endpoint: str, s3_bucket: str, tmp_path: Path, reliability_stats: dict[str, Any]) -> None:
    def make_url(lane: int) -> str:
        return f"s3://{s3_bucket}/crash{lane}"

    reliability_stats["crash_s3"] = _run_lanes(make_url, s3_endpoint, S3_WINDOW, 20, 32 * 1024, tmp_path)
