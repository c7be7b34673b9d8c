"""Benchmark 1: listing a store into classes, versions and latest pointers.

Baseline, measured in the same run: the raw listing of the same keys, an
``os.scandir`` walk (with the ``stat`` a listing needs for sizes and times) on
disk, one ``list_objects_v2`` paginator pass on S3.  petbrowser is measured
three ways, because fetching 1,000 pointers and 20,000 sidecars is work the
raw listing does not do:

- listing only: classes and versions from the one listing pass;
- with pointers: plus every ``latest.json`` (concurrent reads);
- with metadata: plus every ``.meta.json`` (``Store.list_classes()`` as is).

Each of those is a first listing: a new ``Store`` whose listing cache is
empty (``cache=False``: kept in memory, dropped with the Store).  Then
"refresh" (the same Store again) and "second open": a new process listing
with the listing cache its previous run left on disk (``core/cache.py``),
timed in that process against the baseline timed in a process of its own,
the two interleaved.
"""

from __future__ import annotations

import inspect
import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from store_generator import StoreSpec, raw_scandir_keys
from timing import Row, measure_interleaved

VARIANTS = ("listing only", "with pointers", "with metadata", "refresh, with metadata")


def _variant_call(storage: Any, variant: str) -> tuple[Callable[[], list], str]:
    """A call that lists ``storage`` as ``variant`` asks, and how it was reached.

    Every call but "refresh" builds a new ``Store``, so nothing cached by an
    earlier run is reused: it is the first listing of a session.  "refresh"
    lists again through one Store that has listed once already (what the GUI's
    refresh does).  Uses ``list_classes(with_pointers=..., with_meta=...)``
    when the Store has those options; otherwise feeds the Store's own builder
    a listing with the skipped objects removed (same code path, fewer reads).
    """
    from petbrowser.core.store import Store

    if "cache" in inspect.signature(Store).parameters:
        def new_store() -> Any:
            return Store(storage, cache=False)  # a first listing: nothing cached yet
    else:
        def new_store() -> Any:
            return Store(storage)

    if variant == "refresh, with metadata":
        warm = new_store()
        warm.list_classes()
        return warm.list_classes, "the same Store's second list_classes()"
    if variant == "with metadata":
        return lambda: new_store().list_classes(), "Store.list_classes(), cache empty"
    pointers = variant != "listing only"
    params = inspect.signature(Store.list_classes).parameters
    if "with_meta" in params and "with_pointers" in params:
        return (
            lambda: new_store().list_classes(with_pointers=pointers, with_meta=False),
            f"list_classes(with_pointers={pointers}, with_meta=False)",
        )
    from petbrowser.core import layout
    from petbrowser.core.store import records as store_module

    def call() -> list:
        groups = store_module.group_objects(storage.list(layout.PLUGINS))
        trimmed = {
            n: replace(g, metas={}, latest=g.latest if pointers else None) for n, g in groups.items()
        }
        return Store(storage)._build(trimmed, None)

    return call, "Store._build on the listing minus skipped objects (no public option yet)"


def _check(classes: list, spec: StoreSpec, variant: str) -> None:
    assert len(classes) == spec.classes, f"{variant}: {len(classes)} classes"
    versions = sum(len(c.versions) for c in classes)
    assert versions == spec.classes * spec.versions, f"{variant}: {versions} versions"
    if variant != "listing only":
        assert all(c.latest for c in classes), f"{variant}: a pointer is missing"
    if variant.endswith("with metadata"):
        assert all(v.has_meta and v.pushed_by for c in classes for v in c.versions)


def run_local(root: Path, spec: StoreSpec, runs: int) -> list[Row]:
    from petbrowser.core.storage import open_storage

    def raw() -> list:
        return raw_scandir_keys(root)

    storage = open_storage(str(root))
    calls: dict[str, tuple[Callable[[], Any], int]] = {"raw": (raw, runs)}
    hows = {}
    for variant in VARIANTS:
        call, hows[variant] = _variant_call(storage, variant)
        call()  # warm-up, untimed: first-call imports and caches
        calls[variant] = (call, runs)
    got = measure_interleaved(calls)
    base = got["raw"]
    assert len(base.result) == spec.objects, (len(base.result), spec.objects)
    rows = []
    for variant in VARIANTS:
        m, how = got[variant], hows[variant]
        _check(m.result, spec, variant)
        rows.append(
            Row(
                "1 listing (local)",
                f"{spec.classes}x{spec.versions} {variant}",
                m.median,
                base.median,
                "os.scandir walk",
                runs=runs,
                max_ratio=1.3 if variant == "listing only" else None,
                note=how,
            )
        )
    return rows


class RequestCounter:
    """Counts the HTTP requests a boto3 client sends, by operation."""

    def __init__(self, client: Any) -> None:
        self.counts: dict[str, int] = {}
        client.meta.events.register("before-send.s3.*", self._count)

    def _count(self, request: Any = None, **kwargs: Any) -> None:
        op = kwargs.get("event_name", "before-send.s3.?").rsplit(".", 1)[-1]
        self.counts[op] = self.counts.get(op, 0) + 1

    def take(self) -> dict[str, int]:
        counts, self.counts = self.counts, {}
        return counts


def run_s3(
    endpoint: str,
    bucket: str,
    prefix: str,
    spec: StoreSpec,
    runs: int,
    pointer_runs: int,
    meta_runs: int,
) -> list[Row]:
    import boto3
    from botocore.config import Config

    from petbrowser.core.storage import open_storage

    client = boto3.client("s3", endpoint_url=endpoint, config=Config(max_pool_connections=32))
    raw_counter = RequestCounter(client)

    def raw() -> list:
        keys = []
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=f"{prefix}/plugins/"):
            keys.extend((o["Key"], o["Size"], o["LastModified"]) for o in page.get("Contents", ()))
        return keys

    client.head_bucket(Bucket=bucket)  # warm: endpoint resolution, first connection
    raw_counter.take()
    calls: dict[str, tuple[Callable[[], Any], int]] = {"raw": (raw, runs)}
    hows, counters = {}, {}
    for variant in VARIANTS:
        n = {"listing only": runs, "with pointers": pointer_runs}.get(variant, meta_runs)
        if variant.startswith("refresh"):
            n = pointer_runs
        # Each variant counts its own requests on its own client.
        own = open_storage(f"s3://{bucket}/{prefix}", endpoint_url=endpoint)
        own.check()  # warm, as for the baseline
        counters[variant] = RequestCounter(own._client)  # noqa: SLF001 (counts the real client's requests)
        call, hows[variant] = _variant_call(own, variant)
        counters[variant].take()
        calls[variant] = (call, n)
    got = measure_interleaved(calls)
    base = got["raw"]
    assert len(base.result) == spec.objects, (len(base.result), spec.objects)
    raw_requests = sum(raw_counter.take().values()) / runs
    rows = []
    for variant in VARIANTS:
        m, how, n = got[variant], hows[variant], calls[variant][1]
        requests = {k: round(v / n) for k, v in counters[variant].take().items()}
        _check(m.result, spec, variant)
        req_text = ", ".join(f"{k} {v}" for k, v in sorted(requests.items()))
        rows.append(
            Row(
                "1 listing (S3, moto)",
                f"{spec.classes}x{spec.versions} {variant}",
                m.median,
                base.median,
                f"boto3 paginator ({raw_requests:.0f} requests)",
                runs=n,
                max_ratio=1.3 if variant == "listing only" else None,
                note=f"requests/run: {req_text}; {how}",
                extra={"requests": requests},
            )
        )
        if variant.startswith("refresh"):
            rows.append(
                Row(
                    "1 listing (S3, moto)",
                    f"{spec.classes}x{spec.versions} refresh: GetObject requests",
                    float(requests.get("GetObject", 0)),
                    None,
                    "",
                    unit="GetObject",
                    runs=n,
                    max_value=1,
                    note="per refresh of an unchanged store: the listing alone",
                )
            )
    return rows


SECOND_OPEN = Path(__file__).resolve().parent / "second_open.py"


def second_open_child(*args: str) -> dict[str, Any]:
    """Run ``second_open.py`` in a fresh interpreter; its report."""
    out = subprocess.run(
        [sys.executable, str(SECOND_OPEN), *args], capture_output=True, text=True, timeout=900, env=dict(os.environ)
    )
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith("BENCH_RESULT ")]
    if out.returncode != 0 or not lines:
        raise RuntimeError(f"second_open.py {args[0]} failed: {(out.stderr or out.stdout)[-1500:]}")
    return json.loads(lines[-1].split(" ", 1)[1])


def _second_open(
    raw_args: list[str], ours_args: list[str], runs: int, spec: StoreSpec
) -> tuple[list[float], list[float], dict[str, Any], dict[str, Any]]:
    """Interleaved fresh-process runs of the baseline and of petbrowser's listing
    with the cache its own untimed first run left (that run is the "first open")."""
    first = second_open_child(*ours_args)  # the first open fills the cache
    base, ours, last, last_raw = [], [], first, {}
    for _ in range(runs):
        last_raw = second_open_child(*raw_args)
        base.append(last_raw["seconds"])
        last = second_open_child(*ours_args)
        ours.append(last["seconds"])
    total = spec.classes * spec.versions
    assert (last["classes"], last["versions"], last["latest"]) == (spec.classes, total, spec.classes), last
    assert last["with_pushed_by"] == total, "the second open must show every version's sidecar fields"
    return base, ours, first, last


def run_local_second_open(root: Path, spec: StoreSpec, runs: int) -> list[Row]:
    from timing import Measurement

    base, ours, _first, last = _second_open(["raw", str(root)], ["local", str(root)], runs, spec)
    return [
        Row(
            "1 listing (local)",
            f"{spec.classes}x{spec.versions} second open, with metadata",
            Measurement(ours).median,
            Measurement(base).median,
            "os.scandir walk, own process",
            runs=runs,
            max_ratio=1.5,
            note=f"a new process's Store.list_classes() with the listing cache its last run left; "
            f"pointers from the cache: {last['pointer_hits']}/{spec.classes}",
        )
    ]


def run_s3_second_open(url: str, endpoint: str, spec: StoreSpec, runs: int) -> list[Row]:
    from timing import Measurement

    base, ours, first, last = _second_open(["s3raw", url, endpoint], ["s3", url, endpoint], runs, spec)
    req = ", ".join(f"{k} {v}" for k, v in sorted(last["requests"].items()))
    first_req = ", ".join(f"{k} {v}" for k, v in sorted(first["requests"].items()))
    gets = last["requests"].get("GetObject", 0)
    return [
        Row(
            "1 listing (S3, moto)",
            f"{spec.classes}x{spec.versions} second open, with metadata",
            Measurement(ours).median,
            Measurement(base).median,
            "boto3 paginator, own process",
            runs=runs,
            max_ratio=1.5,
            note=f"requests/run: {req} (first open: {first_req}); a new process, the cache its last run left",
            extra={"requests": last["requests"], "first_requests": first["requests"]},
        ),
        Row(
            "1 listing (S3, moto)",
            f"{spec.classes}x{spec.versions} second open: GetObject requests",
            float(gets),
            None,
            "",
            unit="GetObject",
            runs=runs,
            max_value=1,
            note="an unchanged store costs the listing alone",
        ),
    ]
