"""Store: listing, create-only versions, pointer CAS, history and refs, on both backends."""

from __future__ import annotations

import hashlib
import json
import pickle

import pytest

from petbrowser.core import layout
from petbrowser.core.errors import (
    ConflictError,
    CorruptPointerError,
    IntegrityError,
    InvalidNameError,
    NotFoundError,
    UsageError,
)
from petbrowser.core.store import ANY, Store

H1 = "a1" * 32
H2 = "b2" * 32
H3 = "c3" * 32


def pkl(n: int) -> bytes:
    """A well-formed pickle big enough not to be sniffed (stands in for a by-value class)."""
    return pickle.dumps({"code": "x" * 300, "n": n}, protocol=4)


def meta(h: str, data: bytes, pushed_at: str, **extra: object) -> dict:
    return {
        "format": 1,
        "hash": h,
        "hash_scheme": "pb1",
        "pushed_at": pushed_at,
        "pushed_by": "ana@lab",
        "pkl_sha256": hashlib.sha256(data).hexdigest(),
        "pkl_size": len(data),
        "by_reference": False,
        **extra,
    }


def push(store: Store, name: str, h: str, n: int, at: str) -> None:
    data = pkl(n)
    assert store.write_version(name, h, data, meta(h, data, at)) is True


@pytest.fixture()
def store(any_storage) -> Store:
    return Store(any_storage, user="ana@lab", max_workers=4)


def test_list_classes_one_pass_newest_first_and_incremental(store):
    push(store, "Alpha", H1, 1, "2026-01-01T00:00:00Z")
    push(store, "Alpha", H2, 2, "2026-03-01T00:00:00Z")
    push(store, "Alpha", H3, 3, "2026-02-01T00:00:00Z")
    push(store, "Beta", H1, 4, "2026-01-01T00:00:00Z")
    store.move_latest("Alpha", H3, None, action="push")
    seen = []
    classes = store.list_classes(on_class=seen.append)
    assert [c.name for c in classes] == ["Alpha", "Beta"]
    assert sorted(c.name for c in seen) == ["Alpha", "Beta"]
    alpha = classes[0]
    assert [v.hash for v in alpha.versions] == [H2, H3, H1]
    assert alpha.latest == H3 and alpha.problems == ()
    v = alpha.versions[0]
    assert (v.has_meta, v.by_reference, v.size, v.pushed_by) == (
        True,
        False,
        len(pkl(2)),
        "ana@lab",
    )
    assert classes[1].latest is None
    assert classes[0].to_json()["versions"][0]["hash"] == H2
    assert store.get_class("Beta").versions[0].hash == H1
    with pytest.raises(NotFoundError):
        store.get_class("Gamma")
    with pytest.raises(InvalidNameError):
        store.get_class("../etc")


def test_write_version_is_create_only(store, any_storage):
    data = pkl(1)
    assert store.write_version("Alpha", H1, data, meta(H1, data, "2026-01-01T00:00:00Z"))
    assert store.write_version("Alpha", H1, data, None) is False  # identical: no-op
    with pytest.raises(IntegrityError, match="different bytes"):
        store.write_version("Alpha", H1, pkl(2), None)
    assert store.read_pkl("Alpha", H1) == data
    with pytest.raises(IntegrityError, match="does not match"):
        store.write_version("Alpha", H2, pkl(3), meta(H2, data, "2026-01-01T00:00:00Z"))
    assert not any_storage.exists(layout.version_key("Alpha", H2))
    assert store.read_meta("Alpha", H1)["pkl_size"] == len(data)
    assert store.read_meta("Alpha", H2) is None


def test_meta_without_pkl_is_never_a_version(store, any_storage):
    any_storage.create(layout.meta_key("Alpha", H1), json.dumps({"hash": H1}).encode())
    (alpha,) = store.list_classes()
    assert alpha.versions == ()
    assert any("without a .pkl" in p for p in alpha.problems)


def test_move_latest_and_history(store, any_storage):
    push(store, "Alpha", H1, 1, "2026-01-01T00:00:00Z")
    push(store, "Alpha", H2, 2, "2026-02-01T00:00:00Z")
    e1 = store.move_latest("Alpha", H1, None, action="push")
    e2 = store.move_latest("Alpha", H2, H1, action="push")
    e3 = store.move_latest("Alpha", H1, H2, action="rollback")
    e4 = store.move_latest("Alpha", H2, ANY, action="undo")
    hist = store.history("Alpha")
    assert [(e.action, e.from_hash, e.to_hash) for e in hist] == [
        ("push", None, H1),
        ("push", H1, H2),
        ("rollback", H2, H1),
        ("undo", H1, H2),
    ]
    assert [e.key for e in hist] == [e1.key, e2.key, e3.key, e4.key]
    assert {e.by for e in hist} == {"ana@lab"}
    assert hist[0].to_json().keys() == {"at", "action", "from", "to", "by"}
    raw = pickle.loads(any_storage.read(layout.latest_key("Alpha")))  # LabChain's read
    assert raw["hash"] == H2 and raw["previous"] == H1 and raw["updated_by"] == "ana@lab"
    assert raw["action"] == "undo" and all(isinstance(v, str) for v in raw.values())
    again = store.move_latest("Alpha", H2, H2)
    assert again.key == "" and len(store.history("Alpha")) == 4  # already there: nothing written
    with pytest.raises(UsageError):
        store.move_latest("Alpha", H1, action="delete")


def test_losing_writer_gets_conflict_and_nothing_changes(store, any_storage):
    push(store, "Alpha", H1, 1, "2026-01-01T00:00:00Z")
    push(store, "Alpha", H2, 2, "2026-02-01T00:00:00Z")
    push(store, "Alpha", H3, 3, "2026-03-01T00:00:00Z")
    store.move_latest("Alpha", H1, None, action="push")
    other = Store(any_storage, user="bob@lab")
    other.move_latest("Alpha", H2, H1)  # both saw H1; bob is first
    with pytest.raises(ConflictError) as err:
        store.move_latest("Alpha", H3, H1)
    assert (err.value.expected, err.value.actual) == (H1, H2)
    assert store.read_pointer("Alpha").hash == H2
    assert [e.by for e in store.history("Alpha")] == ["ana@lab", "bob@lab"]
    with pytest.raises(ConflictError):
        store.move_latest("Alpha", H3, None)  # "no pointer yet" is stale too


class _Interloper:
    """Storage wrapper: another writer moves the pointer between our read and our write."""

    def __init__(self, inner, move) -> None:
        self.inner, self.move, self.url = inner, move, inner.url

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def replace(self, key, data, expected_token):
        if self.move is not None:
            move, self.move = self.move, None
            move()
        return self.inner.replace(key, data, expected_token)


def test_any_is_still_compare_and_swap(store, any_storage):
    push(store, "Alpha", H1, 1, "2026-01-01T00:00:00Z")
    push(store, "Alpha", H2, 2, "2026-02-01T00:00:00Z")
    push(store, "Alpha", H3, 3, "2026-03-01T00:00:00Z")
    store.move_latest("Alpha", H1, None, action="push")
    bob = Store(any_storage, user="bob@lab")
    racing = Store(_Interloper(any_storage, lambda: bob.move_latest("Alpha", H2)), user="ana@lab")
    with pytest.raises(ConflictError) as err:
        racing.move_latest("Alpha", H3, ANY)
    assert err.value.actual == H2
    assert store.read_pointer("Alpha").hash == H2
    assert [e.to_hash for e in store.history("Alpha")] == [H1, H2]


def test_move_to_missing_version_changes_nothing(store, any_storage):
    push(store, "Alpha", H1, 1, "2026-01-01T00:00:00Z")
    with pytest.raises(NotFoundError):
        store.move_latest("Alpha", H2, ANY)
    assert store.read_pointer("Alpha") is None
    assert store.history("Alpha") == []


def test_resolve_refs(store):
    ha, hb = "abcdef1" + "0" * 57, "abcdef2" + "0" * 57
    push(store, "Alpha", ha, 1, "2026-01-01T00:00:00Z")
    push(store, "Alpha", hb, 2, "2026-02-01T00:00:00Z")
    assert store.resolve("Alpha", "abcdef1") == ha
    assert store.resolve("Alpha", hb) == hb
    assert store.resolve("Alpha", "ABCDEF2") == hb
    with pytest.raises(UsageError, match="ambiguous: abcdef100000, abcdef200000"):
        store.resolve("Alpha", "abcdef")
    with pytest.raises(UsageError, match="too short"):
        store.resolve("Alpha", "abcde")
    with pytest.raises(UsageError):
        store.resolve("Alpha", "main")
    with pytest.raises(NotFoundError):
        store.resolve("Alpha", "latest")  # no pointer yet
    with pytest.raises(NotFoundError):
        store.resolve("Alpha", "fedcba")
    with pytest.raises(NotFoundError):
        store.resolve("Gamma", "abcdef1")
    store.move_latest("Alpha", ha, None)
    assert store.resolve("Alpha", "latest") == ha


def test_labchain_store_opens_and_rollback_keeps_pickle(store, any_storage):
    """What LabChain 1.2.11 writes: pickled latest.json dicts, ~40-byte by-reference pickles."""
    by_ref = pickle.dumps(json.JSONDecoder)
    assert len(by_ref) < 100
    any_storage.create(layout.version_key("JSONDecoder", H1), by_ref)
    any_storage.create(layout.version_key("JSONDecoder", H2), by_ref)
    any_storage.create(
        layout.latest_key("JSONDecoder"), pickle.dumps({"hash": H2, "class_name": "JSONDecoder"})
    )
    (info,) = store.list_classes()
    assert info.problems == () and info.latest == H2
    assert info.pointer.encoding == "pickle"
    assert {(v.has_meta, v.by_reference) for v in info.versions} == {(False, True)}
    assert store.history("JSONDecoder") == []
    store.move_latest("JSONDecoder", H1, H2)
    raw = pickle.loads(any_storage.read(layout.latest_key("JSONDecoder")))
    assert (raw["hash"], raw["class_name"], raw["previous"]) == (H1, "JSONDecoder", H2)
    assert [e.to_hash for e in store.history("JSONDecoder")] == [H1]


def test_bad_content_is_reported_per_class(store, any_storage, tmp_path):
    canary = tmp_path / "canary"

    class Canary:
        def __reduce__(self):
            import os

            return (os.system, (f"touch {canary}",))

    push(store, "Good", H1, 1, "2026-01-01T00:00:00Z")
    store.move_latest("Good", H1, None)
    cases = {
        "Garbage": b"\x00not a pointer",
        "WrongType": json.dumps(["a"]).encode(),
        "BadHash": json.dumps({"hash": "zz", "class_name": "BadHash"}).encode(),
        "Missing": json.dumps({"hash": H3, "class_name": "Missing"}).encode(),
        "Evil": pickle.dumps({"hash": Canary(), "class_name": "Evil"}),
    }
    for name, data in cases.items():
        push(store, name, H1, 2, "2026-01-01T00:00:00Z")
        any_storage.create(layout.latest_key(name), data)
    any_storage.create("plugins/bad-name/" + H1 + ".pkl", pkl(3))
    classes = {c.name: c for c in store.list_classes()}
    assert classes["Good"].problems == ()
    for name in cases:
        assert len(classes[name].problems) == 1, name
        assert len(classes[name].versions) == 1
    assert "not in the store" in classes["Missing"].problems[0]
    assert "needs code" in classes["Evil"].problems[0]
    assert (
        classes["bad-name"].versions == ()
        and "not a valid class name" in classes["bad-name"].problems[0]
    )
    with pytest.raises(CorruptPointerError, match="not in the store"):
        store.resolve("Missing", "latest")
    with pytest.raises(CorruptPointerError):
        store.read_pointer("Garbage")
    with pytest.raises(CorruptPointerError):
        store.move_latest("Garbage", H1, H3)  # an expectation cannot match garbage
    store.move_latest("Garbage", H1, ANY, action="rollback")  # ANY repairs it
    assert store.read_pointer("Garbage").hash == H1
    assert not canary.exists()


class _Counting(_Interloper):
    """Storage wrapper that records every key read."""

    def __init__(self, inner) -> None:
        super().__init__(inner, None)
        self.reads: list[str] = []

    def read(self, key):
        self.reads.append(key)
        return self.inner.read(key)

    def read_with_token(self, key):
        self.reads.append(key)
        return self.inner.read_with_token(key)


def test_a_refresh_rereads_pointers_not_immutable_versions(any_storage):
    counting = _Counting(any_storage)
    store = Store(counting, user="ana@lab")
    push(store, "Alpha", H1, 1, "2026-01-01T00:00:00Z")
    any_storage.create(layout.version_key("Alpha", H2), pickle.dumps(json.JSONDecoder))
    store.move_latest("Alpha", H1, None)
    first = store.list_classes()
    counting.reads.clear()
    assert store.list_classes() == first
    # Versions are never read again; the pointer only when its validator cannot be
    # trusted yet (a file pointer younger than the listing cache's racy window).
    # tests/test_listing_cache.py pins when exactly.
    assert counting.reads in ([], [layout.latest_key("Alpha")])


class _CrashBeforeHistory(_Interloper):
    """Storage wrapper whose history writes fail, like a crash right after the CAS."""

    def create(self, key, data):
        if "/history/" in key:
            from petbrowser.core.errors import StoreUnreachableError

            raise StoreUnreachableError("endpoint went away")
        return self.inner.create(key, data)


def test_crash_between_pointer_and_history_is_reported_not_hidden(any_storage):
    store = Store(any_storage, user="ana@lab")
    push(store, "Alpha", H1, 1, "2026-01-01T00:00:00Z")
    push(store, "Alpha", H2, 2, "2026-02-01T00:00:00Z")
    store.move_latest("Alpha", H1, None, action="push")
    crashing = Store(_CrashBeforeHistory(any_storage, None), user="ana@lab")
    from petbrowser.core.errors import StorageError

    with pytest.raises(StorageError, match="now is b2b2b2b2b2b2, but its history record"):
        crashing.move_latest("Alpha", H2, H1)
    ptr = store.read_pointer("Alpha")
    assert (ptr.hash, ptr.previous, ptr.updated_by) == (H2, H1, "ana@lab")  # the move is on record
    assert [e.to_hash for e in store.history("Alpha")] == [H1]
    report = store.verify()
    assert report.ok
    assert any("without a history record" in w.message for w in report.warnings)


def test_stored_version_rebuilds_in_a_fresh_process_without_its_source(any_storage, tmp_path):
    import subprocess
    import sys

    src = tmp_path / "src"
    src.mkdir()
    (src / "pb_gone_mod.py").write_text(
        "class Gone:\n    def value(self):\n        return [n * 2 for n in range(3)]\n"
    )
    make = (
        "import sys, cloudpickle\n"
        f"sys.path.insert(0, {str(src)!r})\n"
        "import pb_gone_mod\n"
        "cloudpickle.register_pickle_by_value(pb_gone_mod)\n"
        "sys.stdout.buffer.write(cloudpickle.dumps(pb_gone_mod.Gone))\n"
    )
    data = subprocess.run([sys.executable, "-c", make], capture_output=True, check=True).stdout
    (src / "pb_gone_mod.py").unlink()  # the source is gone for good
    store = Store(any_storage, user="ana@lab")
    assert store.write_version("Gone", H1, data, None)
    (tmp_path / "v.pkl").write_bytes(store.read_pkl("Gone", H1))
    load = (
        "import cloudpickle, sys\n"
        f"cls = cloudpickle.loads(open({str(tmp_path / 'v.pkl')!r}, 'rb').read())\n"
        "print(cls().value(), 'pb_gone_mod' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-I", "-c", load], capture_output=True, text=True, check=True, cwd=tmp_path
    )
    assert out.stdout.strip() == "[0, 2, 4] False"  # rebuilt by value, module never imported
