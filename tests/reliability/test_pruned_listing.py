"""An S3 class listing leaves the history records out, and is complete on any server.

The listing asks S3 with the delimiter ``/history/`` (``S3Storage.list_pruned``):
each class's records come back as one common prefix, a third of a store's
keys or more never sent.  Servers that refuse such a delimiter, misread it or
loop on it (``fault_proxy.DELIMITER_QUIRKS``, in front of the moto server)
must give the same classes, versions and pointers, and are then listed
without it.
"""

from __future__ import annotations

import hashlib
import pickle
from datetime import datetime, timezone
from typing import Any

import boto3
import pytest

from petbrowser.core import layout
from petbrowser.core.storage import open_storage
from petbrowser.core.store import Store
from tests.reliability.fault_proxy import DELIMITER_QUIRKS

HASHES = [hashlib.sha256(f"h{i}".encode()).hexdigest() for i in range(20)]
GHOST = "Ghost"  # a class folder that holds history records only


class Listed:
    """Every key the client's ``ListObjectsV2`` answers carried (boto3's ``after-call`` event)."""

    def __init__(self, storage: Any) -> None:
        self.keys: list[str] = []
        self.requests: list[dict[str, Any]] = []
        events = storage._client.meta.events  # noqa: SLF001 (the real client's answers)
        events.register("after-call.s3.ListObjectsV2", self._answer)
        events.register("provide-client-params.s3.ListObjectsV2", self._request)

    def _answer(self, parsed: dict[str, Any], **_: Any) -> None:
        self.keys += [o["Key"] for o in parsed.get("Contents", ())]

    def _request(self, params: dict[str, Any], **_: Any) -> None:
        self.requests.append(dict(params))


def _fill(storage: Any, bucket: str, endpoint: str) -> None:
    """Three classes (one named ``history``) of three versions; each pointer moved
    five times (five history records), plus a folder with a history record only."""
    store = Store(storage, cache=False)
    for c, name in enumerate(("Alpha", "Beta", "history")):
        hashes = HASHES[c * 3 : c * 3 + 3]
        for h in hashes:
            store.write_version(name, h, pickle.dumps({"h": h}), None)
        previous = None
        for to in (*hashes, hashes[0], hashes[2]):
            store.move_latest(name, to, previous, action="push" if previous is None else "rollback")
            previous = to
    key = f"{storage.prefix}/{layout.history_key(GHOST, datetime(2026, 1, 1, tzinfo=timezone.utc), HASHES[19])}"
    boto3.client("s3", endpoint_url=endpoint).put_object(Bucket=bucket, Key=key, Body=b"{}")


def _summary(classes: list) -> list[tuple]:
    return [(c.name, c.latest, sorted(v.hash for v in c.versions), c.problems) for c in classes]


@pytest.fixture()
def filled(s3_url: str, s3_bucket: str, s3_endpoint: str) -> list[tuple]:
    """The store, and its classes as a listing without any delimiter sees them."""
    storage = open_storage(s3_url, endpoint_url=s3_endpoint)
    _fill(storage, s3_bucket, s3_endpoint)
    storage._prune_fails = True  # noqa: SLF001 (the plain listing: the reference)
    plain = Listed(storage)
    reference = _summary(Store(storage, cache=False).list_classes())
    assert any("/history/" in k.partition("/plugins/")[2] for k in plain.keys), "the reference lists the records"
    assert {c[0] for c in reference} == {"Alpha", "Beta", "history", GHOST}
    return reference


def test_an_s3_class_listing_leaves_the_history_records_out(filled, s3_url, s3_endpoint):
    storage = open_storage(s3_url, endpoint_url=s3_endpoint)
    listed = Listed(storage)
    classes = Store(storage, cache=False).list_classes()
    assert _summary(classes) == filled
    assert listed.keys, "the listing went through ListObjectsV2"
    assert not [k for k in listed.keys if "/history/" in k.partition("/plugins/")[2]]
    # the class named "history" is a class, not a record folder: its versions are listed
    assert any(k.endswith("/plugins/history/latest.json") for k in listed.keys)
    assert [r.get("Delimiter") for r in listed.requests] == ["/history/"]


def test_the_timeline_still_reads_every_record(filled, s3_url, s3_endpoint):
    """What needs the records (history, verify) lists them: the pruning is the class listing's alone."""
    store = Store(open_storage(s3_url, endpoint_url=s3_endpoint), cache=False)
    store.list_classes()
    assert len(store.history("Alpha")) == 5
    report = store.verify()
    # the records were read: the ghost's record (not a pointer move) is reported
    assert any(GHOST in i.key and "history" in i.key for i in report.issues)


@pytest.mark.parametrize("quirk", [q for q in DELIMITER_QUIRKS if q != "honoured"])
def test_a_server_that_mishandles_the_delimiter_still_gets_a_complete_listing(
    quirk, filled, fault_proxy, s3_url
):
    proxy = fault_proxy(delimiter=quirk)
    storage = open_storage(s3_url, endpoint_url=proxy.url, timeout=20)
    listed = Listed(storage)
    assert _summary(Store(storage, cache=False).list_classes()) == filled
    assert storage._prune_fails  # noqa: SLF001
    first = len(listed.requests)
    # the next listing does not ask with the delimiter again
    assert _summary(Store(storage, cache=False).list_classes()) == filled
    assert [r.get("Delimiter") for r in listed.requests[first:]] == [None]


def _history_keys(keys: list[str]) -> list[str]:
    return [k for k in keys if "/history/" in k.partition("/plugins/")[2]]


def test_live_updates_list_a_class_s_records_only_when_its_pointer_moved(filled, s3_url, s3_endpoint):
    """The watcher's polls (the window's live updates) are pruned listings after the
    baseline; the records of a class whose pointer moved are listed on their own."""
    from petbrowser.core.manager import PetClassManager

    storage = open_storage(s3_url, endpoint_url=s3_endpoint)
    listed = Listed(storage)
    watcher = PetClassManager(storage).watcher()
    assert watcher.poll() == []  # the baseline: everything, records included
    assert _history_keys(listed.keys)
    listed.keys.clear()
    listed.requests.clear()
    assert watcher.poll() == []
    assert [r.get("Delimiter") for r in listed.requests] == ["/history/"]
    assert listed.keys and not _history_keys(listed.keys)

    alice = Store(open_storage(s3_url, endpoint_url=s3_endpoint), user="alice@lab", cache=False)
    latest = alice.read_pointer("Beta").hash
    alice.move_latest("Beta", HASHES[3], latest, action="rollback")
    listed.keys.clear()
    listed.requests.clear()
    [moved] = watcher.poll()
    assert (moved.kind, moved.class_name, moved.hash, moved.by, moved.action, moved.recorded) == (
        "latest_moved", "Beta", HASHES[3], "alice@lab", "rollback", True
    )
    assert [r.get("Delimiter") for r in listed.requests] == ["/history/", None]
    assert {k.split("/plugins/")[1].split("/")[0] for k in _history_keys(listed.keys)} == {"Beta"}
    assert watcher.poll() == []  # Beta's records once more (a late record), then none
    listed.requests.clear()
    assert watcher.poll() == []
    assert [r.get("Delimiter") for r in listed.requests] == ["/history/"]


def test_live_updates_on_a_server_that_refuses_the_delimiter(filled, fault_proxy, s3_url, s3_endpoint):
    from petbrowser.core.manager import PetClassManager

    proxy = fault_proxy(delimiter="refused501")
    storage = open_storage(s3_url, endpoint_url=proxy.url, timeout=20)
    watcher = PetClassManager(storage).watcher()
    watcher.poll()
    assert watcher.poll() == []
    alice = Store(open_storage(s3_url, endpoint_url=s3_endpoint), user="alice@lab", cache=False)
    alice.move_latest("Alpha", HASHES[1], alice.read_pointer("Alpha").hash, action="rollback")
    [moved] = watcher.poll()
    assert (moved.class_name, moved.hash, moved.by, moved.recorded) == ("Alpha", HASHES[1], "alice@lab", True)
    assert watcher.poll() == []
