"""Child process of the second-open rows: one listing in a fresh interpreter.

    python second_open.py raw ROOT                 # baseline: the os.scandir walk
    python second_open.py local ROOT               # Store(...).list_classes(), the user's cache as it is
    python second_open.py s3raw URL ENDPOINT       # baseline: one list_objects_v2 paginator pass
    python second_open.py s3 URL ENDPOINT          # Store(...).list_classes() on S3

What a user's second start of petbrowser does: a new process, a new
``Store``, the listing cache on disk from the run before.  Imports and the
S3 client are set up before the clock starts (the baseline needs them too);
the time covers the listing.  Prints ``BENCH_RESULT {json}``: seconds, the
requests sent (S3, counted on boto3's event system), class and version counts
and the cache's pointer hits.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def _counter(client: Any) -> dict[str, int]:
    counts: dict[str, int] = {}

    def count(**kwargs: Any) -> None:
        op = kwargs["event_name"].rsplit(".", 1)[-1]
        counts[op] = counts.get(op, 0) + 1

    client.meta.events.register("before-send.s3.*", count)
    return counts


def main(argv: list[str]) -> None:
    mode = argv[0]
    out: dict[str, Any] = {}
    if mode == "raw":
        from store_generator import raw_scandir_keys

        t0 = time.perf_counter()
        keys = raw_scandir_keys(Path(argv[1]))
        out["seconds"] = time.perf_counter() - t0
        out["keys"] = len(keys)
    elif mode == "s3raw":
        import boto3
        from botocore.config import Config

        bucket, _, prefix = argv[1][len("s3://") :].partition("/")
        client = boto3.client("s3", endpoint_url=argv[2], config=Config(max_pool_connections=32))
        client.head_bucket(Bucket=bucket)  # warm: endpoint resolution, first connection
        counts = _counter(client)
        t0 = time.perf_counter()
        keys = 0
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=f"{prefix}/plugins/"):
            keys += len(page.get("Contents", ()))
        out["seconds"] = time.perf_counter() - t0
        out["keys"], out["requests"] = keys, counts
    else:
        from petbrowser.core.storage import open_storage
        from petbrowser.core.store import Store

        if mode == "s3":
            storage = open_storage(argv[1], endpoint_url=argv[2])
            storage.check()  # warm, as for the baseline
            counts = _counter(storage._client)  # noqa: SLF001 (counts the real client's requests)
        else:
            storage, counts = open_storage(argv[1]), {}
        t0 = time.perf_counter()
        store = Store(storage)
        classes = store.list_classes()
        out["seconds"] = time.perf_counter() - t0
        out["requests"] = counts
        out["classes"] = len(classes)
        out["versions"] = sum(len(c.versions) for c in classes)
        out["with_pushed_by"] = sum(1 for c in classes for v in c.versions if v.pushed_by)
        out["latest"] = sum(1 for c in classes if c.latest)
        out["pointer_hits"] = store.listing_cache.stats["pointer_hit"]
    sys.stdout.write("BENCH_RESULT " + json.dumps(out) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
