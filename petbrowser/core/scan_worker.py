"""Static inspection of store pickles in a short-lived, resource-limited worker process.

Why a separate process: inspection builds ``types.CodeType`` objects from
store bytes and disassembles them, and CPython's own ``dis`` can corrupt its
heap (3.11's ``deopt_code``), loop for ever (a 9-byte exception table) or
take gigabytes (10 M instructions) on a crafted code object.  In a worker, a
malformed file can at worst fail its own inspection: the worker runs with a
memory cap (``RLIMIT_AS``), a CPU-time cap, a wall-clock deadline per pickle
and a cap on what it may send back, and the browser (CLI or window) turns a
crash, a kill or a timeout into "could not be inspected: ..." for that one
version, then carries on with a fresh worker for the rest.

Protocol: the parent writes ``<8-byte length><pickle bytes>`` frames on the
worker's stdin; the worker answers one JSON line per frame on its stdout
(the report of :func:`petbrowser.core.safe_pickle.scan_pickle`).  Nothing in
the worker unpickles anything.
"""

from __future__ import annotations

import json
import os
import select
import signal
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from typing import Any

from petbrowser.core.safe_pickle import PickleReport

__all__ = ["scan_many", "scan_one", "WORKER_LIMITS"]

#: Per worker process: address space, CPU seconds per pickle, seconds of wall clock
#: per pickle, bytes of answer per pickle, bytes of pickle accepted at all.
WORKER_LIMITS: dict[str, int] = {
    "memory": 1024 * 1024 * 1024,
    "cpu_per_item": 10,
    "wall_per_item": 10,
    "output": 32 * 1024 * 1024,
    "input": 256 * 1024 * 1024,
}
#: Pickles sent to one worker before it is replaced (short-lived by design).
BATCH = 64

_SERVE = "from petbrowser.core.scan_worker import _serve; _serve()"


def _failed(reason: str) -> PickleReport:
    text = f"could not be inspected: {reason}"
    return PickleReport(error=text, unsafe=[text])


def _signal_name(rc: int | None) -> str:
    if rc is None:
        return "it did not exit"
    if rc < 0:
        try:
            return f"it was killed by {signal.Signals(-rc).name}"
        except ValueError:
            return f"it was killed by signal {-rc}"
    return f"it exited with code {rc}"


def scan_one(data: bytes) -> PickleReport:
    """:func:`scan_many` for one pickle."""
    return scan_many([data])[0]


def scan_many(datas: Sequence[bytes]) -> list[PickleReport]:
    """The static report of every pickle, each inspected in a worker process.

    Never raises for what a pickle holds: a pickle that crashes, hangs or
    floods its worker gets a report whose ``unsafe`` and ``error`` say it
    could not be inspected (so it is never "clean").
    """
    results: list[PickleReport | None] = [None] * len(datas)
    todo: list[int] = []
    for i, data in enumerate(datas):
        if len(data) > WORKER_LIMITS["input"]:
            results[i] = _failed(
                f"{len(data):,} bytes is more than the {WORKER_LIMITS['input']:,} inspected"
            )
        else:
            todo.append(i)
    if getattr(sys, "frozen", False):  # a frozen app cannot start `python -c`: same walk, here
        from petbrowser.core.safe_pickle import scan_pickle

        for i in todo:
            results[i] = scan_pickle(datas[i])
        return [r if r is not None else _failed("no answer") for r in results]
    while todo:
        batch, todo = todo[:BATCH], todo[BATCH:]
        while batch:
            done = _run_worker([datas[i] for i in batch])
            for k, report in enumerate(done):
                results[batch[k]] = report
            batch = batch[len(done) :]
    return [r if r is not None else _failed("no answer") for r in results]


def _run_worker(items: list[bytes]) -> list[PickleReport]:
    """Answers for a prefix of ``items`` (at least one): stops at the first failure."""
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "LC_ALL", "SYSTEMROOT")}
    env["PETBROWSER_SCAN_LIMITS"] = json.dumps(
        {**WORKER_LIMITS, "cpu": WORKER_LIMITS["cpu_per_item"] * len(items) + 5}
    )
    try:
        proc = subprocess.Popen(
            [sys.executable, "-I", "-c", _SERVE],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
            start_new_session=True,
        )
    except OSError as exc:
        return [_failed(f"the inspection worker cannot start ({exc.strerror or exc})")]

    def feed() -> None:
        try:
            assert proc.stdin is not None
            for data in items:
                proc.stdin.write(struct.pack("<Q", len(data)))
                proc.stdin.write(data)
            proc.stdin.close()
        except (OSError, ValueError):
            pass  # the worker died: the reader reports it

    writer = threading.Thread(target=feed, daemon=True)
    writer.start()
    out: list[PickleReport] = []
    buf = bytearray()
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    limit = WORKER_LIMITS["output"]
    try:
        while len(out) < len(items):
            deadline = time.monotonic() + WORKER_LIMITS["wall_per_item"]
            line = None
            while line is None:
                nl = buf.find(b"\n")
                if nl >= 0:
                    line = bytes(buf[:nl])
                    del buf[: nl + 1]
                    break
                if len(buf) > limit:
                    out.append(_failed(f"its report is larger than {limit:,} bytes"))
                    return out
                left = deadline - time.monotonic()
                if left <= 0:
                    out.append(_failed(f"it took longer than {WORKER_LIMITS['wall_per_item']} s"))
                    return out
                ready, _, _ = select.select([fd], [], [], left)
                if not ready:
                    continue
                chunk = os.read(fd, 1 << 20)
                if not chunk:
                    proc.wait(timeout=5)
                    out.append(_failed(f"the inspection worker stopped ({_signal_name(proc.returncode)})"))
                    return out
                buf += chunk
            try:
                doc = json.loads(line)
                out.append(PickleReport.from_json(doc["report"], doc.get("describe") or {}))
            except (ValueError, KeyError, TypeError):
                out.append(_failed("the inspection worker sent an unreadable answer"))
                return out
        return out
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError, OSError):
            pass
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        writer.join(timeout=5)
        proc.stdout.close()


# ----------------------------------------------------------------- the worker
def _limit(resource: Any, which: int, value: int) -> None:
    try:
        soft, hard = resource.getrlimit(which)
        if hard != resource.RLIM_INFINITY:
            value = min(value, hard)
        resource.setrlimit(which, (value, hard))
    except (ValueError, OSError):
        pass


def _serve() -> None:
    """The worker: limits first, then one JSON line per pickle frame on stdin."""
    limits = json.loads(os.environ.get("PETBROWSER_SCAN_LIMITS") or "{}")
    try:
        import resource

        _limit(resource, resource.RLIMIT_AS, int(limits.get("memory", 1 << 30)))
        _limit(resource, resource.RLIMIT_CPU, int(limits.get("cpu", 60)))
        _limit(resource, resource.RLIMIT_CORE, 0)
        _limit(resource, resource.RLIMIT_FSIZE, 1 << 20)
    except ImportError:  # not POSIX: the wall-clock deadline still holds
        pass
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # anything else printing goes where stderr goes (nowhere)
    sys.stdout = sys.stderr
    from petbrowser.core.safe_pickle import scan_pickle

    stdin = sys.stdin.buffer
    while True:
        head = stdin.read(8)
        if len(head) < 8:
            break
        (size,) = struct.unpack("<Q", head)
        data = stdin.read(size)
        try:
            report = scan_pickle(data)
            described = report.describe.to_json() if report.describe is not None else {}
            doc = {"report": report.to_json(), "describe": described}
            line = json.dumps(doc, default=str)
        except MemoryError:
            line = json.dumps({"report": _failed("it needs more memory than allowed").to_json()})
        except Exception as exc:  # noqa: BLE001 - a report, never a dead worker
            line = json.dumps({"report": _failed(f"{type(exc).__name__}").to_json()})
        out.write(line.encode("utf-8") + b"\n")
        out.flush()
