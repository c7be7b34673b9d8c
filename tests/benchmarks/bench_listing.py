"""Benchmark 1: listing a store into classes, versions and latest pointers.

Baseline, measured in the same run: the raw listing of the same keys, an
``os.scandir`` walk (with the ``stat`` a listing needs for sizes and times) on
disk, one ``list_objects_v2`` paginator pass on S3.  petbrowser is measured
three ways, because fetching 1,000 pointers and 20,000 sidecars is work the
raw listing does not do:

- listing only: classes and versions from the one listing pass;
- with pointers: plus every ``latest.json`` (concurrent reads);
- with metadata: plus every ``.meta.json`` (``Store.list_classes()`` as is).
"""

from __future__ import annotations

import inspect
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

    if variant == "refresh, with metadata":
        warm = Store(storage)
        warm.list_classes()
        return warm.list_classes, "the same Store's second list_classes()"
    if variant == "with metadata":
        return lambda: Store(storage).list_classes(), "Store.list_classes()"
    pointers = variant != "listing only"
    params = inspect.signature(Store.list_classes).parameters
    if "with_meta" in params and "with_pointers" in params:
        return (
            lambda: Store(storage).list_classes(with_pointers=pointers, with_meta=False),
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
    return rows
