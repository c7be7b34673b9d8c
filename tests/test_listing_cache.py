"""The listing cache (issue 16): an unchanged store costs one listing.

Requests are counted on boto3's own event system against the moto server;
every test runs with its own user cache folder (conftest: XDG_CACHE_HOME).
The cache is an optimization only: a moved pointer is seen at once, and a
damaged or foreign cache file is ignored and rebuilt.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

from petbrowser.core import layout
from petbrowser.core.cache import RACY_SECONDS, ListingCache, cache_folder, store_identity
from petbrowser.core.storage import open_storage
from petbrowser.core.store import Store

HASHES = [hashlib.sha256(f"v{i}".encode()).hexdigest() for i in range(12)]
REPO = Path(__file__).resolve().parents[1]


class Requests:
    """Counts the requests a boto3 client sends, by operation (``before-send``)."""

    def __init__(self, storage: Any) -> None:
        self.counts: dict[str, int] = {}
        storage._client.meta.events.register("before-send.s3.*", self._count)  # noqa: SLF001

    def _count(self, **kwargs: Any) -> None:
        op = kwargs["event_name"].rsplit(".", 1)[-1]
        self.counts[op] = self.counts.get(op, 0) + 1

    def take(self) -> dict[str, int]:
        counts, self.counts = self.counts, {}
        return counts


def _pkl(n: int) -> bytes:
    return pickle.dumps({"code": "x" * 300, "n": n}, protocol=4)


def _meta(h: str, data: bytes, day: int) -> dict[str, Any]:
    return {
        "format": 1,
        "hash": h,
        "hash_scheme": "pb1",
        "pushed_at": f"2026-01-{day:02d}T00:00:00Z",
        "pushed_by": "ana@lab",
        "python_version": "3.11.7",
        "cloudpickle_version": "3.1.1",
        "pkl_sha256": hashlib.sha256(data).hexdigest(),
        "pkl_size": len(data),
        "by_reference": False,
        "source": "class A: ...\n" * 40,
    }


#: A LabChain-style version without a sidecar, small enough to be sniffed (by reference).
BY_REFERENCE = pickle.dumps(json.JSONDecoder, protocol=4)


def _fill(store: Store, classes: int = 3, versions: int = 3) -> None:
    """``classes`` classes of ``versions`` versions (sidecars), latest = the newest, plus
    one sidecar-less by-reference version in the first class."""
    for c in range(classes):
        name = f"C{c}"
        for v in range(versions):
            h = HASHES[c * versions + v]
            data = _pkl(c * 100 + v)
            store.write_version(name, h, data, _meta(h, data, v + 1))
        store.move_latest(name, HASHES[c * versions + versions - 1], None, action="push")
    store.write_version("C0", HASHES[11], BY_REFERENCE, None)


def _s3(s3_url: str, s3_endpoint: str) -> Any:
    return open_storage(s3_url, endpoint_url=s3_endpoint)


def _summary(classes: list) -> list[tuple]:
    return [
        (c.name, c.latest, [(v.hash, v.has_meta, v.by_reference, v.pushed_at, v.pushed_by) for v in c.versions])
        for c in classes
    ]


@pytest.fixture()
def later(monkeypatch: pytest.MonkeyPatch) -> None:
    """The cache's clock moved past the racy window: what is on disk now is old enough
    to be trusted (instead of sleeping; ``utime`` cannot age a ctime)."""
    from petbrowser.core import cache

    monkeypatch.setattr(cache, "_clock", lambda: time.time() + 3 * RACY_SECONDS)


#: The same, for a child process (prepended to its script).
LATER = (
    "import time\n"
    "from petbrowser.core import cache\n"
    f"cache._clock = lambda: time.time() + {3 * RACY_SECONDS}\n"
)


def _cache_files(storage: Any) -> tuple[Path, Path]:
    folder = ListingCache.for_storage(storage).folder
    assert folder is not None
    return folder / "pointers.json", folder / "versions.json"


# ------------------------------------------------------------------ S3: requests
def test_s3_refresh_of_an_unchanged_store_sends_only_list_requests(s3_url, s3_endpoint):
    storage = _s3(s3_url, s3_endpoint)
    _fill(Store(storage))
    requests = Requests(storage)
    store = Store(storage)
    first = store.list_classes()
    got = requests.take()
    assert got["GetObject"] == 3 + 9 + 1  # pointers, sidecars, the sniffed small .pkl
    assert store.list_classes() == first
    assert requests.take() == {"ListObjectsV2": 1}
    # what the tree shows came from the cache: sidecar fields and the sniff verdict
    c0 = {v.hash: v for v in first[0].versions}
    assert c0[HASHES[2]].pushed_by == "ana@lab" and c0[HASHES[11]].by_reference is True


def _status_in_a_new_process(project: Path, s3_url: str, s3_endpoint: str) -> dict[str, Any]:
    """``petbrowser status`` as a user runs it, in a process of its own: the
    requests it sent by operation (boto3's events) and the statuses."""
    script = textwrap.dedent(
        f"""
        import json
        from petbrowser.core.manager import PetClassManager
        manager = PetClassManager.open({str(project)!r}, storage={s3_url!r},
                                       modules=["filters"], endpoint_url={s3_endpoint!r})
        counts = {{}}
        def count(**kw):
            op = kw["event_name"].rsplit(".", 1)[-1]
            counts[op] = counts.get(op, 0) + 1
        manager.storage._client.meta.events.register("before-send.s3.*", count)
        entries = manager.check_status()
        print(json.dumps({{"counts": counts, "status": sorted((e.name, e.status) for e in entries)}}))
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=REPO, env=dict(os.environ)
    )
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_s3_second_status_in_a_new_process_sends_only_list_requests(s3_url, s3_endpoint, tmp_path):
    """``status`` twice, each in its own process (what a user does): the second one
    reads no pointer, because the first one left them in the user's cache folder."""
    storage = _s3(s3_url, s3_endpoint)
    _fill(Store(storage))
    project = tmp_path / "project"
    project.mkdir()
    (project / "filters.py").write_text("class C0:\n    def f(self):\n        return 1\n")
    first, second = (_status_in_a_new_process(project, s3_url, s3_endpoint) for _ in range(2))
    assert first["counts"].get("GetObject") == 3
    assert second["status"] == first["status"]
    assert ["C0", "out_of_sync"] in second["status"] and ["C2", "remote_only"] in second["status"]
    assert second["counts"] == {"ListObjectsV2": 1}


def test_s3_second_status_of_a_behind_class_reads_no_sidecar(s3_url, s3_endpoint, tmp_path):
    """Behind or ahead compares two versions' push times (their sidecars): the first
    status reads them, the next status in a new process finds them in the cache."""
    from petbrowser.core.manager import PetClassManager

    project = tmp_path / "project"
    project.mkdir()
    source = project / "filters.py"
    old = "class C0:\n    def f(self):\n        return 1\n"
    source.write_text(old)
    manager = PetClassManager.open(str(project), storage=s3_url, modules=["filters"], endpoint_url=s3_endpoint)
    manager.push(["C0"])
    source.write_text(old.replace("1", "2"))
    manager.push(["C0"])
    source.write_text(old)  # the local code is the older version again: behind
    first, second = (_status_in_a_new_process(project, s3_url, s3_endpoint) for _ in range(2))
    assert first["status"] == second["status"] == [["C0", "behind"]]
    assert first["counts"].get("GetObject", 0) >= 2  # the pointer and the two sidecars compared
    assert second["counts"] == {"ListObjectsV2": 1}


# ------------------------------------------------------ a moved pointer, at once
def test_s3_pointer_moved_by_another_process_between_refreshes_is_seen_at_once(s3_url, s3_endpoint):
    storage = _s3(s3_url, s3_endpoint)
    _fill(Store(storage))
    requests = Requests(storage)
    store = Store(storage)
    store.list_classes()
    store.list_classes()
    requests.take()
    mover = subprocess.run(
        [sys.executable, "-m", "petbrowser", "rollback", "C1", "--to", HASHES[3], "--storage", s3_url,
         "--endpoint-url", s3_endpoint],
        capture_output=True, text=True, timeout=120, cwd=REPO, env=dict(os.environ),
    )  # fmt: skip
    assert mover.returncode == 0, mover.stderr
    classes = {c.name: c for c in store.list_classes()}
    assert classes["C1"].latest == HASHES[3]
    assert classes["C0"].latest == HASHES[2] and classes["C2"].latest == HASHES[8]
    assert requests.take() == {"ListObjectsV2": 1, "GetObject": 1}  # the moved pointer alone


def test_local_pointer_moved_by_another_process_between_refreshes_is_seen_at_once(tmp_path, later):
    root = tmp_path / "store"
    storage = open_storage(root)
    _fill(Store(storage))
    store = Store(storage)
    store.list_classes()
    assert store.listing_cache.stats["pointer_hit"] == 0
    store.list_classes()
    assert store.listing_cache.stats["pointer_hit"] == 3  # the cache is really used
    mover = subprocess.run(
        [sys.executable, "-m", "petbrowser", "rollback", "C1", "--to", HASHES[3], "--storage", str(root)],
        capture_output=True, text=True, timeout=120, cwd=REPO, env=dict(os.environ),
    )  # fmt: skip
    assert mover.returncode == 0, mover.stderr
    classes = {c.name: c for c in store.list_classes()}
    assert classes["C1"].latest == HASHES[3]
    assert classes["C1"].pointer is not None and classes["C1"].pointer.previous == HASHES[5]
    assert store.listing_cache.stats["pointer_hit"] == 5  # C0 and C2 again; C1 was read


def test_a_pointer_younger_than_the_racy_window_is_not_kept(tmp_path, monkeypatch):
    """Two moves within one clock tick, into a recycled inode, with the same size,
    could look unchanged: a file pointer is kept only once it is older than that."""
    from petbrowser.core import cache

    root = tmp_path / "store"
    storage = open_storage(root)
    _fill(Store(storage), classes=1)
    store = Store(storage)
    store.list_classes()
    store.list_classes()
    assert store.listing_cache.stats["pointer_hit"] == 0
    monkeypatch.setattr(cache, "_clock", lambda: time.time() + RACY_SECONDS + 0.5)
    store.list_classes()
    store.list_classes()
    assert store.listing_cache.stats["pointer_hit"] == 1


# --------------------------------------------------------- second open, on disk
def test_local_second_open_reads_nothing_but_the_folders(tmp_path, monkeypatch, later):
    root = tmp_path / "store"
    storage = open_storage(root)
    _fill(Store(storage))
    want = _summary(Store(storage).list_classes())
    reads: list[str] = []
    real = type(storage)._read_regular

    def counting(self: Any, path: Path, key: str) -> bytes:
        reads.append(key)
        return real(self, path, key)

    monkeypatch.setattr(type(storage), "_read_regular", counting)
    again = Store(open_storage(root))  # a new Store: what a new process starts with
    assert _summary(again.list_classes()) == want
    assert reads == []
    # a .pkl that changes (here: touched) takes its sidecar facts with it
    os.utime(root / "plugins" / "C2" / f"{HASHES[6]}.pkl")
    assert _summary(Store(open_storage(root)).list_classes()) == want
    assert reads == [layout.meta_key("C2", HASHES[6])]


# --------------------------------------------------- damaged and foreign files
@pytest.mark.parametrize(
    "damage",
    [
        b"",
        b"\x00\xff garbage",
        b'{"format": 1, "store": ',  # cut short
        "same header, wrong shapes",
    ],
)
def test_a_damaged_cache_file_is_ignored_and_rebuilt(s3_url, s3_endpoint, damage):
    storage = _s3(s3_url, s3_endpoint)
    _fill(Store(storage))
    want = _summary(Store(storage).list_classes())
    pointers, versions = _cache_files(storage)
    for path in (pointers, versions):
        if isinstance(damage, bytes):
            path.write_bytes(damage)
        else:  # valid JSON with this store's header: every entry of the wrong shape
            doc = json.loads(path.read_text())
            if doc["kind"] == "pointers":
                doc["entries"] = {name: [e[0], {"hash": 42}] for name, e in doc["entries"].items()}
                doc["entries"]["C0"] = "not an entry"
            else:
                body = doc["entries"]
                body["profiles"] = [["not", "a profile"], {"pushed_by": 42}]
                for entries in body["metas"].values():
                    for h in entries:
                        entries[h] = [entries[h][0], 0, 1234, "later"]
                for entries in body["sniffs"].values():
                    for h in entries:
                        entries[h] = [entries[h][0], "maybe"]
            path.write_text(json.dumps(doc))
    requests = Requests(storage)
    assert _summary(Store(storage).list_classes()) == want
    assert requests.take()["GetObject"] == 3 + 9 + 1  # everything read again
    assert _summary(Store(storage).list_classes()) == want
    assert requests.take() == {"ListObjectsV2": 1}  # and the cache rebuilt
    assert json.loads(pointers.read_text())["kind"] == "pointers"


def test_a_foreign_cache_file_is_ignored(s3_url, s3_endpoint, tmp_path, later):
    """Another store's cache, placed where this store's belongs, is not used: its
    header names the other store.  Neither is one of another format or sniffer."""
    mine = _s3(s3_url, s3_endpoint)
    _fill(Store(mine))
    other_root = tmp_path / "other"
    _fill(Store(open_storage(other_root)))  # same class names and hashes, another store
    Store(open_storage(other_root)).list_classes()
    theirs = _cache_files(open_storage(other_root))
    for src, dst in zip(theirs, _cache_files(mine), strict=True):
        dst.parent.mkdir(parents=True, exist_ok=True)
        dst.write_bytes(src.read_bytes())
    requests = Requests(mine)
    Store(mine).list_classes()
    assert requests.take()["GetObject"] == 3 + 9 + 1
    for header in ({"format": 999}, {"version": "another sniffer"}):
        for path in _cache_files(mine):
            doc = json.loads(path.read_text())
            doc.update(header)
            path.write_text(json.dumps(doc))
        Store(mine).list_classes()
        assert requests.take()["GetObject"] == 3 + 9 + 1, header


def test_a_cached_sniff_verdict_follows_the_bytes(s3_url, s3_endpoint, s3_bucket):
    """The by-reference verdict is kept under the .pkl's ETag: other bytes under
    the same key (written behind petbrowser's back) are sniffed again."""
    storage = _s3(s3_url, s3_endpoint)
    _fill(Store(storage))
    store = Store(storage)
    assert {v.hash: v for v in store.list_classes()[0].versions}[HASHES[11]].by_reference is True
    import boto3

    boto3.client("s3", endpoint_url=s3_endpoint).put_object(
        Bucket=s3_bucket, Key=f"team-store/{layout.version_key('C0', HASHES[11])}",
        Body=pickle.dumps({"not": "a class"}, protocol=4),
    )  # fmt: skip
    assert {v.hash: v for v in store.list_classes()[0].versions}[HASHES[11]].by_reference is False


# ------------------------------------------------------------- two processes
def test_two_processes_writing_one_cache_never_corrupt_it(tmp_path, later):
    root = tmp_path / "store"
    storage = open_storage(root)
    _fill(Store(storage), classes=4)
    script = LATER + textwrap.dedent(
        f"""
        from petbrowser.core.storage import open_storage
        from petbrowser.core.store import Store
        for _ in range(15):
            store = Store(open_storage({str(root)!r}))
            store.listing_cache._pointers.clear()  # always something to write
            store.listing_cache._metas.clear()
            store.listing_cache._loaded = True
            store.list_classes()
        """
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", script], cwd=REPO, env=dict(os.environ), stderr=subprocess.PIPE)
        for _ in range(3)
    ]
    for p in procs:
        _, err = p.communicate(timeout=240)
        assert p.returncode == 0, err.decode()[-2000:]
    pointers, versions = _cache_files(storage)
    assert json.loads(pointers.read_text())["kind"] == "pointers"
    assert json.loads(versions.read_text())["kind"] == "versions"
    assert not [p for p in pointers.parent.iterdir() if p.name.endswith(".tmp")]
    store = Store(storage)
    store.list_classes()
    assert store.listing_cache.stats["pointer_hit"] == 4


def test_a_save_merges_what_another_process_wrote_meanwhile(tmp_path, later):
    root = tmp_path / "store"
    storage = open_storage(root)
    _fill(Store(storage), classes=2)
    first, second = Store(storage), Store(storage)
    first.listing_cache.tables("C0")  # both load the (empty) cache now
    second.listing_cache.tables("C0")
    first.get_class("C0")  # learns and saves C0 only
    second.get_class("C1")  # learns C1, then saves: C0 must survive
    third = Store(storage)
    third.list_classes()
    assert third.listing_cache.stats == {"pointer_hit": 2, "pointer_miss": 0}


# ---------------------------------------------------------------- the switch
def test_the_cache_is_per_user_per_store_and_can_be_switched_off(tmp_path, monkeypatch, isolated_cache):
    storage = open_storage(tmp_path / "store")
    _fill(Store(storage), classes=1)
    Store(storage).list_classes()
    folder = cache_folder()
    assert folder is not None and folder.is_relative_to(isolated_cache)
    assert len(list(folder.iterdir())) == 1
    assert store_identity(storage) == f"file|{os.path.realpath(tmp_path / 'store')}"
    monkeypatch.setenv("PETBROWSER_LISTING_CACHE", "0")
    other = open_storage(tmp_path / "other")
    _fill(Store(other), classes=1)
    Store(other).list_classes()
    assert len(list(folder.iterdir())) == 1


# ------------------------------------------- the local fast path: issue 13 kept
def test_the_class_folder_listing_returns_exactly_the_objects_list_returns(tmp_path, monkeypatch):
    """``list_folders`` (one scandir per class folder, no stat) keeps the
    regular-files-only rule of issue 13: FIFOs, sockets, links out of the store or
    to folders and our own temporary files are not objects; a link to a file
    inside the store is."""
    import socket

    root = tmp_path / "store"
    storage = open_storage(root)
    _fill(Store(storage), classes=2)
    outside = tmp_path / "outside.pkl"
    outside.write_bytes(BY_REFERENCE)
    c0, c1 = root / "plugins" / "C0", root / "plugins" / "C1"
    os.mkfifo(c1 / "latest.json.fifo")
    os.replace(c1 / "latest.json", c1 / "latest.json.old")
    os.mkfifo(c1 / "latest.json")  # a FIFO where the pointer should be: never opened
    os.symlink(outside, c0 / f"{HASHES[9]}.pkl")
    os.symlink(c1, c0 / f"{HASHES[10]}.pkl")
    os.symlink(c0 / f"{HASHES[0]}.pkl", c1 / f"{HASHES[8]}.pkl")  # inside: an object
    (c0 / f".{HASHES[1]}.pkl.0123.tmp").write_bytes(b"half written")
    sock = socket.socket(socket.AF_UNIX)
    monkeypatch.chdir(c0)  # a socket path must be short
    sock.bind(f"{HASHES[7]}.pkl")
    (root / "plugins" / "Empty").mkdir()
    try:
        fast = {
            f"plugins/{cls}/{e.name}" for cls, entries in storage.list_folders("plugins/") for e in entries
        }
        slow = {o.key for o in storage.list("plugins/") if "/history/" not in o.key}
        assert fast == slow
        assert f"plugins/C1/{HASHES[8]}.pkl" in fast and "plugins/C1/latest.json" not in fast
        classes = {c.name: c for c in Store(storage).list_classes()}
        assert set(classes) == {"C0", "C1"}
        assert {v.hash for v in classes["C0"].versions} == {*HASHES[0:3], HASHES[11]}
        assert {v.hash for v in classes["C1"].versions} == {*HASHES[3:6], HASHES[8]}
        assert classes["C1"].latest is None
    finally:
        sock.close()


def test_a_listing_that_fails_keeps_the_cache_and_says_why(tmp_path, later):
    root = tmp_path / "store"
    storage = open_storage(root)
    _fill(Store(storage), classes=2)
    Store(storage).list_classes()
    pointers, versions = _cache_files(storage)
    before = (pointers.read_bytes(), versions.read_bytes())
    import shutil

    from petbrowser.core.errors import StoreNotFoundError

    shutil.move(root, tmp_path / "elsewhere")
    with pytest.raises(StoreNotFoundError):
        Store(storage).list_classes()
    assert (pointers.read_bytes(), versions.read_bytes()) == before
    shutil.move(tmp_path / "elsewhere", root)
    store = Store(storage)
    store.list_classes()
    assert store.listing_cache.stats["pointer_hit"] == 2


# ------------------------------------------------------------- history records
def _moves(store: Store) -> list[tuple]:
    """Every recorded move of the store: (class, at, action, from, to, by)."""
    return sorted(
        (n, e.at, e.action, e.from_hash, e.to_hash, e.by) for n, es in store.histories().items() for e in es
    )


def test_s3_timeline_of_a_new_window_reads_only_records_it_has_not_seen(s3_url, s3_endpoint):
    """Pointer moves are create-only records: a new process's Timeline of an unchanged
    store is the listing alone (it was one GetObject per recorded move)."""
    storage = _s3(s3_url, s3_endpoint)
    _fill(Store(storage))
    first = _moves(Store(storage))
    assert len(first) == 3
    requests = Requests(storage)
    again = _moves(Store(storage))  # a new Store: another process's view
    assert requests.take() == {"ListObjectsV2": 1}
    assert again == first
    Store(storage).move_latest("C1", HASHES[3], HASHES[5], action="rollback")
    requests.take()
    moved = _moves(Store(storage))
    assert requests.take() == {"ListObjectsV2": 1, "GetObject": 1}  # only the new record
    assert ("C1", "rollback", HASHES[5], HASHES[3]) in [(m[0], m[2], m[3], m[4]) for m in moved]


def test_a_cached_record_is_used_only_under_its_validator(tmp_path, later):
    storage = open_storage(str(tmp_path / "store"))
    _fill(Store(storage))
    truth = _moves(Store(storage))
    folder = ListingCache.for_storage(storage).folder
    assert folder is not None
    path = folder / "history.json"
    doc = json.loads(path.read_text())
    name, table = next(iter(doc["entries"].items()))
    key = next(iter(table))
    table[key][2] = "rollback"  # a lie about the record...
    table[key][0] = "W/\"0-0-0-0\""  # ...kept under a validator the record no longer has: read again
    path.write_text(json.dumps(doc))
    reads: list[str] = []
    real = storage.read
    storage.read = lambda k: (reads.append(k), real(k))[1]  # type: ignore[method-assign]
    assert _moves(Store(storage)) == truth
    assert reads == [key]
    path.write_text("{not json")  # a damaged file: ignored, every record read again
    reads.clear()
    assert _moves(Store(storage)) == truth
    assert len(reads) == 3
