"""Benchmark 2: status of a local module against an S3 store 20 ms away.

The store sits behind ``LatencyProxy`` (20 ms each way, in its own process)
in front of a moto server (in its own process).  Baseline, in the same run: LabChain's access pattern reproduced with
boto3 -- for each local class in turn, ``head_object`` on its ``latest.json``
and, when it exists, ``get_object`` it.  petbrowser: ``check_status`` with the
local scan computed beforehand (the store access is what is compared); the
scan itself -- hashing the module in a child process of the project's
interpreter, compiled from its source -- is timed on its own, against 0.1.0's
way of importing it (Python's .pyc cache in the project, warm and cold).  The comparison is repeated with no added
latency, which shows what the moto server's own throughput allows.

The store: of the module's N classes, 2/3 are synced, some behind, some out of
sync, 1/10 untracked, plus N/10 classes only in the store.
"""

from __future__ import annotations

import json
import os
import pickle
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench_listing import RequestCounter
from latency_proxy import LatencyProxyProcess
from module_generator import filters_module_source, write_module
from s3_server import S3Server
from store_generator import class_name, version_hash, write_class
from timing import Row, measure_interleaved

MODULE = "bench_status_filters"
BUCKET = "bench-status"
PREFIX = "team"
DELAY = 0.020


def _layout(n: int) -> dict[str, str]:
    """Which status each of the ``n`` local classes should get."""
    plan = {}
    for i in range(n):
        share = i / n
        plan[class_name(i)] = (
            "synced" if share < 0.66 else "behind" if share < 0.78 else "out_of_sync" if share < 0.9 else "untracked"
        )
    return plan


def _write_store(root: Path, local_hashes: dict[str, str], plan: dict[str, str]) -> dict[str, int]:
    expected = {"synced": 0, "behind": 0, "out_of_sync": 0, "untracked": 0, "remote_only": 0}
    for k, (name, status) in enumerate(plan.items()):
        expected[status] += 1
        old = [version_hash(name, v) for v in range(3)]
        mine = local_hashes[name]
        if status == "synced":
            write_class(root, name, [*old, mine], mine, k)
        elif status == "behind":
            newer = version_hash(name, 99)
            write_class(root, name, [*old, mine, newer], newer, k)
        elif status == "out_of_sync":
            write_class(root, name, old, old[-1], k)
    for j in range(max(1, len(plan) // 10)):
        name = f"Remote{j:04d}"
        hashes = [version_hash(name, v) for v in range(3)]
        write_class(root, name, hashes, hashes[-1], j)
        expected["remote_only"] += 1
    return expected


def _labchain_status(client: Any, names: list[str], local_hashes: dict[str, str]) -> dict[str, str]:
    """LabChain's ``check_status`` loop: one class after the other, two requests each."""
    from botocore.exceptions import ClientError

    out = {}
    for name in names:
        key = f"{PREFIX}/plugins/{name}/latest.json"
        try:
            client.head_object(Bucket=BUCKET, Key=key)
        except ClientError:
            out[name] = "untracked"
            continue
        body = client.get_object(Bucket=BUCKET, Key=key)["Body"].read()
        ptr = pickle.loads(body) if body[:1] == b"\x80" else json.loads(body)  # noqa: S301 (our own store)
        out[name] = "synced" if ptr["hash"] == local_hashes[name] else "out_of_sync"
    return out


def _compare(
    endpoint: str,
    project: Any,
    local: list,
    plan: dict[str, str],
    expected: dict[str, int],
    delay: float,
    runs: int,
    case: str,
    second: bool = False,
) -> Row:
    """LabChain's loop and ``check_status`` through one proxy, interleaved.

    ``second``: each run is a second status -- a new ``Store`` with the
    listing cache on disk that an untimed first status left (what the next
    ``petbrowser status`` process finds); otherwise a first status, with a
    new Store and nothing cached.
    """
    import boto3
    from botocore.config import Config

    from petbrowser.core import snapshots
    from petbrowser.core.storage import open_storage
    from petbrowser.core.store import Store

    local_hashes = {c.name: c.hash for c in local}
    client = boto3.client("s3", endpoint_url=endpoint, config=Config(max_pool_connections=32))
    lab_counter = RequestCounter(client)
    storage = open_storage(f"s3://{BUCKET}/{PREFIX}", endpoint_url=endpoint)
    counter = RequestCounter(storage._client)  # noqa: SLF001 (counts the real client's requests)
    client.head_bucket(Bucket=BUCKET)  # both sides start with a warm client
    storage.check()
    lab_counter.take()
    counter.take()
    original_scan = snapshots.scan
    snapshots.scan = lambda project, modules=None: local  # the pre-computed local scan
    if second:
        snapshots.check_status(Store(storage), project, [MODULE])  # the first status: fills the cache
        counter.take()

        def new_store() -> Any:
            return Store(storage)  # loads the listing cache from disk, as a new process does
    else:
        def new_store() -> Any:
            return Store(storage, cache=False)  # nothing cached: a first status
    try:
        got_runs = measure_interleaved(
            {
                "labchain": (lambda: _labchain_status(client, list(plan), local_hashes), runs),
                "ours": (lambda: snapshots.check_status(new_store(), project, [MODULE]), runs),
            }
        )
    finally:
        snapshots.scan = original_scan
    lab, ours = got_runs["labchain"], got_runs["ours"]
    lab_requests = round(sum(lab_counter.take().values()) / runs)
    want = {name: ("out_of_sync" if s == "behind" else s) for name, s in plan.items()}
    assert lab.result == want, "the LabChain loop must agree with the generated store"
    requests = {k: round(v / runs) for k, v in counter.take().items()}
    got: dict[str, int] = {}
    for entry in ours.result:
        got[entry.status] = got.get(entry.status, 0) + 1
    assert got == expected, f"status counts {got} != {expected}"
    req_text = ", ".join(f"{k} {v}" for k, v in sorted(requests.items()))
    if second:
        assert requests.get("GetObject", 0) == 0, f"a second status read objects: {requests}"
        return Row(
            f"2 status (S3, +{delay * 1000:.0f} ms each way)",
            f"{case}, second status",
            ours.median,
            lab.median,
            f"LabChain loop ({lab_requests} requests)",
            runs=runs,
            min_speedup=20.0,
            note=f"a new Store with the listing cache the first status left (a new process's view); "
            f"requests/run: {req_text}",
            extra={"requests": requests, "labchain_requests": lab_requests},
        )
    if delay:
        return Row(
            f"2 status (S3, +{delay * 1000:.0f} ms each way)",
            case,
            ours.median,
            lab.median,
            f"LabChain loop ({lab_requests} requests)",
            runs=runs,
            min_speedup=10.0,
            note=f"check_status with the scan done beforehand; requests/run: {req_text}",
            extra={"requests": requests, "labchain_requests": lab_requests},
        )
    return Row(
        "2 status (S3, no added latency)",
        case,
        ours.median,
        lab.median,
        f"LabChain loop ({lab_requests} requests)",
        runs=runs,
        note="the same without the proxy's delay: what the moto server itself allows",
    )


#: 0.1.0's child: ``python -I`` (no ``-B``) importing through Python's own
#: loaders, which read and write ``__pycache__`` in the project.
_LEGACY_IMPORT = (
    "import sys\n"
    "sys.dont_write_bytecode = False\n"
    "from _petbrowser_agent import source_loader\n"
    "source_loader.install = lambda *args, **kwargs: None\n"
    "source_loader.add_project_folder = lambda folder: None\n"
)


@contextmanager
def _legacy_child() -> Iterator[None]:
    """Run the agent the way petbrowser 0.1.0 did (the baseline of the scan rows)."""
    from petbrowser.core import child

    original = child.BOOTSTRAP
    marker = "from _petbrowser_agent.main import run\n"
    assert marker in original
    child.BOOTSTRAP = original.replace(marker, _LEGACY_IMPORT + marker)
    try:
        yield
    finally:
        child.BOOTSTRAP = original


@contextmanager
def _code_cache(folder: Path) -> Iterator[None]:
    """Point petbrowser's code cache (platformdirs: XDG_CACHE_HOME) at ``folder``."""
    old = os.environ.get("XDG_CACHE_HOME")
    os.environ["XDG_CACHE_HOME"] = str(folder)
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("XDG_CACHE_HOME", None)
        else:
            os.environ["XDG_CACHE_HOME"] = old


def _scan_rows(work: Path, project: Any, n: int, runs: int) -> tuple[list, list[Row]]:
    """The local scan, compiled from the source bytes (its code cache outside
    the project, keyed by their SHA-256), against 0.1.0's, which used the
    project's .pyc cache; each warm (the module unchanged since the last scan)
    and cold (the first scan after an edit: compile, then cache)."""
    from petbrowser.core import snapshots
    from petbrowser.core.project import Project

    legacy_dir = work / "status_project_legacy"
    write_module(legacy_dir, MODULE, filters_module_source(n))
    legacy = Project.load(legacy_dir, modules=[MODULE], timeout=900)
    pycache = legacy_dir / "__pycache__"
    caches = work / "code_caches"
    fresh = iter(range(10**6))

    def legacy_scan(cold: bool) -> list:
        if cold:
            shutil.rmtree(pycache, ignore_errors=True)
        with _legacy_child():
            return snapshots.scan(legacy, [MODULE])

    def our_scan(cold: bool) -> list:
        with _code_cache(caches / (f"cold{next(fresh)}" if cold else "warm")):
            return snapshots.scan(project, [MODULE])

    legacy_scan(cold=True)  # the warm runs' .pyc
    assert pycache.is_dir(), "the baseline must use the .pyc cache as 0.1.0 did"
    our_scan(cold=False)  # the warm runs' cached code
    assert any((caches / "warm").rglob("*")), "the scan must keep its code in its cache"
    got = measure_interleaved(
        {
            "ours_warm": (lambda: our_scan(cold=False), runs),
            "warm": (lambda: legacy_scan(cold=False), runs),
            "ours_cold": (lambda: our_scan(cold=True), runs),
            "cold": (lambda: legacy_scan(cold=True), runs),
        }
    )
    assert not (project.root / "__pycache__").exists(), "the scan wrote into the project"
    # pb1 only: LabChain's hash of a method with a comprehension changes per process.
    want = [c.hashes["pb1"] for c in got["warm"].result]
    assert [c.hashes["pb1"] for c in got["ours_warm"].result] == want
    assert [c.hashes["pb1"] for c in got["ours_cold"].result] == want
    case = f"{n}-class module, local scan (child process)"
    rows = []
    for temp, label in (("warm", "module unchanged since the last scan"), ("cold", "first scan after an edit")):
        rows.append(
            Row(
                "2 status (S3)",
                f"{case}, {temp}",
                got[f"ours_{temp}"].median,
                got[temp].median,
                f"0.1.0 with its .pyc, {temp}",
                runs=runs,
                max_ratio=1.10,
                note=f"snapshots.scan, {label}: compiled from the source bytes or their code cached "
                "by SHA-256 outside the project; nothing written into it",
            )
        )
    return got["ours_warm"].result, rows


def run(work: Path, n: int, runs: int, scan_runs: int) -> list[Row]:
    from petbrowser.core.project import Project

    project_dir = work / "status_project"
    write_module(project_dir, MODULE, filters_module_source(n))
    # A generous child timeout: the scan's duration is measured, not capped.
    project = Project.load(project_dir, modules=[MODULE], timeout=900)

    local, scan_rows = _scan_rows(work, project, n, scan_runs)
    local_hashes = {c.name: c.hash for c in local}
    plan = _layout(n)
    assert set(plan) <= set(local_hashes), "the scan must find every generated class"
    store_root = work / "status_store"
    expected = _write_store(store_root, local_hashes, plan)
    for name in local_hashes.keys() - plan.keys():  # the module's helper base class
        plan[name] = "untracked"
        expected["untracked"] += 1

    rows = []
    with S3Server(BUCKET, PREFIX + "/", store_root) as server:
        for delay, delay_runs in ((DELAY, runs), (0.0, max(2, runs // 2))):
            with LatencyProxyProcess("127.0.0.1", server.port, delay) as proxy:
                case = f"{n}-class module, store access"
                rows.append(
                    _compare(proxy.url, project, local, plan, expected, delay, delay_runs, case)
                )
                if delay:
                    rows.append(
                        _compare(
                            proxy.url, project, local, plan, expected, delay, delay_runs, case, second=True
                        )
                    )
    rows.extend(scan_rows)
    return rows
