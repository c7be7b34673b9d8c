"""A faulty network between petbrowser and S3 (fault_proxy.py in front of moto).

Store operations run through a proxy that answers a share of requests with
500 InternalError or 503 SlowDown, resets connections, stalls past the read
timeout, cuts response bodies short, or forwards a write and then drops the
answer.  Each operation either succeeds (boto3's retries) or raises a typed
PetBrowserError with a one-line message; after every operation the bucket,
read directly, holds only complete objects.  The CLI answers exit 1 with one
line when the network fails it, never a traceback.
"""

from __future__ import annotations

import collections
import hashlib
import json
import random
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import FAKE_KEY_ID, FAKE_SECRET
from tests.reliability.helpers import (
    assert_clean_error,
    cli_env,
    fake_meta,
    run_cli,
    s3_client,
    sha256,
)

pytestmark = pytest.mark.usefixtures("aws_env")

RATES = {
    "error500": 0.05,
    "slowdown": 0.05,
    "reset": 0.04,
    "stall": 0.01,
    "truncate": 0.03,
    "reset_after": 0.04,
}
OPERATIONS = 40


def _store(proxy_url: str, bucket: str, prefix: str) -> Any:
    from petbrowser.core.storage.s3 import S3Storage
    from petbrowser.core.store import Store

    storage = S3Storage(
        bucket, prefix, endpoint_url=proxy_url, connect_timeout=1, read_timeout=0.6, max_attempts=4
    )
    return Store(storage, user="net@test", max_workers=4)


def _pickle_of(rng: random.Random) -> bytes:
    import pickle

    return pickle.dumps(rng.randbytes(rng.randint(10, 40_000)), protocol=4)


_BODIES: dict[tuple[str, str], bytes] = {}


def check_bucket(client: Any, bucket: str, prefix: str, written: dict[str, bytes]) -> dict[str, str]:
    """Read the bucket directly: every object complete, every pointer parseable and resolvable."""
    from petbrowser.core.pointer import parse_pointer

    objects: dict[str, bytes] = {}
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix + "/"):
        for obj in page.get("Contents", []):
            seen = (f"{bucket}/{obj['Key']}", obj["ETag"])  # same key and ETag: same bytes, read once
            if seen not in _BODIES:
                _BODIES[seen] = client.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read()
            objects[obj["Key"][len(prefix) + 1 :]] = _BODIES[seen]
    pointers: dict[str, str] = {}
    for key, body in objects.items():
        _, cls, leaf = key.split("/", 2)
        if leaf.endswith(".pkl"):
            h = leaf[: -len(".pkl")]
            assert body == written[h], f"{key}: partial or foreign bytes ({len(body)} of {len(written[h])})"
        elif leaf.endswith(".meta.json"):
            meta = json.loads(body)
            assert meta["pkl_sha256"] == sha256(written[meta["hash"]]), key
            assert f"plugins/{cls}/{meta['hash']}.pkl" in objects, f"{key}: metadata before its .pkl"
        elif leaf == "latest.json":
            ptr = parse_pointer(body, cls)
            assert f"plugins/{cls}/{ptr.hash}.pkl" in objects, f"{key} points to a missing version"
            pointers[cls] = ptr.hash
        elif leaf.startswith("history/"):
            doc = json.loads(body)
            assert doc["action"] in ("push", "rollback") and len(doc["to"]) == 64, key
        else:
            raise AssertionError(f"unexpected object {key}")
    return pointers


def _one_line(exc: Exception) -> None:
    text = str(exc)
    assert text and "\n" not in text and "Traceback" not in text, repr(text)
    assert FAKE_KEY_ID not in text and FAKE_SECRET not in text


@pytest.mark.slow
def test_store_operations_through_a_faulty_network(
    fault_proxy: Any, s3_endpoint: str, s3_bucket: str, reliability_stats: dict[str, Any]
) -> None:
    from petbrowser.core.errors import ConflictError, PetBrowserError

    proxy = fault_proxy(rates=RATES, seed=7, stall_seconds=1.5)
    store = _store(proxy.url, s3_bucket, "flaky")
    direct = s3_client(s3_endpoint)
    rng = random.Random(7)
    written: dict[str, bytes] = {}
    outcomes: collections.Counter[str] = collections.Counter()
    misleading: list[str] = []
    unrecorded: collections.Counter[str] = collections.Counter()
    messages: list[str] = []
    classes = ("Net", "Work")
    pointers = check_bucket(direct, s3_bucket, "flaky", written)
    for _ in range(OPERATIONS):
        name = rng.choice(classes)
        op = rng.choice(("push", "push", "rollback", "list", "history", "read", "verify"))
        before = pointers.get(name)
        try:
            if op == "push":
                data = _pickle_of(rng)
                h = hashlib.sha256(data).hexdigest()
                written[h] = data
                store.write_version(name, h, data, fake_meta(name, h, data))
                store.move_latest(name, h, before, action="push")
            elif op == "rollback":
                mine = [h for h, d in written.items() if direct_has(direct, s3_bucket, f"flaky/plugins/{name}/{h}.pkl")]
                if mine:
                    store.move_latest(name, rng.choice(mine), before, action="rollback")
            elif op == "list":
                store.list_classes()
            elif op == "history":
                store.history(name)
            elif op == "read":
                ptr = store.read_pointer(name)
                if ptr is not None:
                    assert store.read_pkl(name, ptr.hash) == written[ptr.hash]
            else:
                store.verify()
            outcomes["ok"] += 1
        except PetBrowserError as exc:  # typed; anything else fails the test
            _one_line(exc)
            outcomes[type(exc).__name__] += 1
            messages.append(f"{type(exc).__name__}: {exc}")
            if "history record could not be written" in str(exc):
                unrecorded[name] += 1
            if isinstance(exc, ConflictError):
                after = check_bucket(direct, s3_bucket, "flaky", written).get(name)
                if after != before:
                    misleading.append(f"{op}: {exc}")
        pointers = check_bucket(direct, s3_bucket, "flaky", written)
    # History, read directly: one continuous chain, broken only where a move said its record was lost.
    from petbrowser.core.storage.s3 import S3Storage
    from petbrowser.core.store import Store

    clean = Store(S3Storage(s3_bucket, "flaky", endpoint_url=s3_endpoint))
    for name in classes:
        moves = [(e.from_hash, e.to_hash) for e in clean.history(name)]
        breaks = sum(1 for a, b in zip(moves, moves[1:], strict=False) if a[1] != b[0])
        assert breaks <= unrecorded[name], f"{name}: history chain broken {breaks} times: {moves}"
        if moves:
            assert moves[-1][1] == pointers.get(name) or unrecorded[name], f"{name}: last record is not latest"
    reliability_stats["network_core"] = {
        "operations": OPERATIONS,
        "requests": proxy.requests,
        "faults": dict(proxy.counts),
        "outcomes": dict(outcomes),
        "conflicts_that_had_moved": len(misleading),
        "errors": messages,
    }
    assert outcomes["ok"] >= OPERATIONS // 2, f"retries should carry most operations through: {outcomes}"
    assert proxy.injected >= 15, "the proxy hardly injected anything: the test proves little"
    assert not misleading, "a move reported a conflict ('nothing was changed') but the pointer had moved:\n" + "\n".join(
        misleading
    )


def direct_has(client: Any, bucket: str, key: str) -> bool:
    try:
        client.head_object(Bucket=bucket, Key=key)
        return True
    except Exception:  # noqa: BLE001 - 404 from moto directly
        return False


def test_write_acknowledged_lost_is_not_an_error(fault_proxy: Any, s3_bucket: str, s3_endpoint: str) -> None:
    """The PUT lands but its answer is lost; the retry meets If-None-Match.  Same bytes: success."""
    proxy = fault_proxy(eligible=lambda method, path: method == "PUT" and path.split("?")[0].endswith(".pkl"))
    store = _store(proxy.url, s3_bucket, "acklost")
    data = _pickle_of(random.Random(1))
    h = sha256(data)
    proxy.script(["reset_after"])

    store.write_version("Lost", h, data, fake_meta("Lost", h, data))

    assert proxy.counts["reset_after"] == 1
    check_bucket(s3_client(s3_endpoint), s3_bucket, "acklost", {h: data})


def test_pointer_move_acknowledged_lost(fault_proxy: Any, s3_bucket: str, s3_endpoint: str) -> None:
    """The pointer PUT lands but its answer is lost; the retry's If-Match then fails.

    The move did happen: petbrowser must either report success (and record it)
    or, if it reports a failure, the pointer must really be where it was.
    """
    from petbrowser.core.errors import PetBrowserError

    proxy = fault_proxy(eligible=lambda method, path: method == "PUT" and "latest.json" in path)
    store = _store(proxy.url, s3_bucket, "ptrlost")
    datas = [_pickle_of(random.Random(i)) for i in range(2)]
    hashes = [sha256(d) for d in datas]
    for h, d in zip(hashes, datas, strict=True):
        store.write_version("Moved", h, d, fake_meta("Moved", h, d))
    store.move_latest("Moved", hashes[0], None, action="push")
    proxy.script(["reset_after"])

    try:
        entry = store.move_latest("Moved", hashes[1], hashes[0], action="rollback")
    except PetBrowserError as exc:
        now = store.read_pointer("Moved").hash
        assert now == hashes[0], f"reported {type(exc).__name__} ({exc}) but latest did move"
    else:
        assert entry.to_hash == hashes[1]
        assert [(e.from_hash, e.to_hash) for e in store.history("Moved")][-1] == (hashes[0], hashes[1])
    assert proxy.counts["reset_after"] == 1


def test_body_cut_short_is_read_again(fault_proxy: Any, s3_bucket: str) -> None:
    """botocore retries requests, not body reads: a connection cut mid-body must be read again."""
    proxy = fault_proxy(eligible=lambda method, path: method == "GET" and path.split("?")[0].endswith(".pkl"))
    store = _store(proxy.url, s3_bucket, "cut")
    data = _pickle_of(random.Random(6))
    h = sha256(data)
    store.write_version("Cut", h, data, fake_meta("Cut", h, data))
    proxy.script(["truncate"])

    assert store.read_pkl("Cut", h) == data
    assert proxy.counts["truncate"] == 1


def test_racing_conditional_write_409_is_retried(fault_proxy: Any, s3_bucket: str, s3_endpoint: str) -> None:
    """AWS answers two racing If-None-Match writes to one key with 409 ConditionalRequestConflict
    and asks the client to retry (moto never does; the proxy plays it).  Two pushes of the same
    version must both succeed, so the create is retried: the retry then meets the object."""
    proxy = fault_proxy(eligible=lambda method, path: method == "PUT" and path.split("?")[0].endswith(".pkl"))
    store = _store(proxy.url, s3_bucket, "race409")
    data = _pickle_of(random.Random(4))
    h = sha256(data)
    proxy.script(["conflict409"])

    store.write_version("Racy", h, data, fake_meta("Racy", h, data))

    assert proxy.counts["conflict409"] == 1
    check_bucket(s3_client(s3_endpoint), s3_bucket, "race409", {h: data})
    assert store.read_meta("Racy", h) is not None


def test_history_write_acknowledged_lost_is_recorded_once(fault_proxy: Any, s3_bucket: str) -> None:
    """The history PUT lands but its answer is lost; the retry meets If-None-Match.

    That record is ours: the move must be recorded exactly once, not twice.
    """
    proxy = fault_proxy(eligible=lambda method, path: method == "PUT" and "/history/" in path)
    store = _store(proxy.url, s3_bucket, "histlost")
    datas = [_pickle_of(random.Random(10 + i)) for i in range(2)]
    hashes = [sha256(d) for d in datas]
    for h, d in zip(hashes, datas, strict=True):
        store.write_version("Twice", h, d, fake_meta("Twice", h, d))
    store.move_latest("Twice", hashes[0], None, action="push")
    proxy.script(["reset_after"])

    store.move_latest("Twice", hashes[1], hashes[0], action="rollback")

    moves = [(e.from_hash, e.to_hash, e.action) for e in store.history("Twice")]
    assert moves == [(None, hashes[0], "push"), (hashes[0], hashes[1], "rollback")]
    assert proxy.counts["reset_after"] == 1


# ---------------------------------------------------------------- the CLI
@pytest.mark.parametrize("fault", ["slowdown", "error500", "reset", "forbidden"])
def test_cli_exit_1_when_the_network_fails(
    fault: str, fault_proxy: Any, s3_bucket: str, tmp_path: Path, reliability_stats: dict[str, Any]
) -> None:
    proxy = fault_proxy(rates={fault: 1.0})

    res = run_cli("ls", "--storage", f"s3://{s3_bucket}/x", "--endpoint-url", proxy.url, cwd=tmp_path, env=cli_env())

    line = assert_clean_error(res, 1)
    assert FAKE_KEY_ID not in res.err + res.out and FAKE_SECRET not in res.err + res.out
    reliability_stats.setdefault("network_cli_lines", {})[fault] = line
    reliability_stats["network_cli_faults"] += proxy.injected


@pytest.mark.slow  # a fault storm through the CLI; the store-level fault tests stay quick
def test_cli_rides_out_intermittent_faults(
    fault_proxy: Any, s3_endpoint: str, s3_bucket: str, tmp_path: Path, reliability_stats: dict[str, Any]
) -> None:
    client = s3_client(s3_endpoint)
    data = _pickle_of(random.Random(3))
    h = sha256(data)
    client.put_object(Bucket=s3_bucket, Key=f"cli/plugins/Steady/{h}.pkl", Body=data)
    client.put_object(Bucket=s3_bucket, Key=f"cli/plugins/Steady/{h}.meta.json",
                      Body=json.dumps(fake_meta("Steady", h, data)).encode())
    client.put_object(Bucket=s3_bucket, Key="cli/plugins/Steady/latest.json",
                      Body=json.dumps({"hash": h, "class_name": "Steady"}).encode())
    proxy = fault_proxy(rates={"error500": 0.1, "slowdown": 0.1, "reset": 0.1}, seed=5)
    url = f"s3://{s3_bucket}/cli"

    for argv in (("ls", "--json"), ("log", "Steady"), ("verify",)):
        res = run_cli(*argv, "--storage", url, "--endpoint-url", proxy.url, cwd=tmp_path, env=cli_env())
        assert res.rc == 0, str(res)
    res = run_cli("ls", "--json", "--storage", url, "--endpoint-url", proxy.url, cwd=tmp_path, env=cli_env())
    assert res.rc == 0 and res.json()[0]["latest"] == h, str(res)
    reliability_stats["network_cli_intermittent"] = {"requests": proxy.requests, "faults": dict(proxy.counts)}
