"""A first open of a store on disk (issue 16): the whole tree before the sidecars.

``list_classes(provisional=True)`` hands each class that still needs reads to
``on_class`` as the listing alone knows it, before any read, then again
complete; the answer itself is unchanged.  Reads on disk run on one reader
(more only queue for the interpreter), and the root's real path is resolved
once, yet a re-pointed root is still followed.
"""

from __future__ import annotations

import os
import threading

from petbrowser.core.storage import open_storage
from petbrowser.core.storage.local import LocalStorage
from petbrowser.core.store import Store
from tests.test_listing_performance_fixes import H, _store_with


def _counting_reads(store: Store) -> list[tuple[str, int]]:
    """Every object read, with the thread that read it."""
    seen: list[tuple[str, int]] = []
    real = store.storage.read

    def read(key: str) -> bytes:
        seen.append((key, threading.get_ident()))
        return real(key)

    store.storage.read = read  # type: ignore[method-assign]
    return seen


def test_a_first_listing_hands_over_every_class_before_reading_a_sidecar(tmp_path):
    _store_with(tmp_path, 3, 4)
    store = Store(open_storage(str(tmp_path / "store")), cache=False)  # nothing known yet
    reads = _counting_reads(store)
    calls: list[tuple[str, int, list[str | None]]] = []
    got = store.list_classes(
        on_class=lambda c: calls.append((c.name, len(reads), [v.pushed_by for v in c.versions])),
        provisional=True,
    )
    sidecars = [k for k, _ in reads if k.endswith(".meta.json")]
    assert len(sidecars) == 12
    first, then = calls[:3], calls[3:]
    assert [n for n, _, _ in first] == ["C0", "C1", "C2"]
    assert all(r == 0 for _, r, _ in first)  # before any read
    assert all(by == [None] * 4 for _, _, by in first)  # who pushed: not known yet
    assert sorted(n for n, _, _ in then) == ["C0", "C1", "C2"]
    assert all(by == ["me@here"] * 4 for _, _, by in then)
    # the answer is what a listing without provisional classes gives
    again = Store(open_storage(str(tmp_path / "store")), cache=False).list_classes()
    assert [c.to_json() for c in got] == [c.to_json() for c in again]


def test_provisional_classes_carry_every_version_and_say_a_sidecar_is_coming(tmp_path):
    _store_with(tmp_path, 1, 3)
    store = Store(open_storage(str(tmp_path / "store")), cache=False)
    seen = []
    final = store.list_classes(on_class=seen.append, provisional=True)[0]
    early = seen[0]
    assert {v.hash for v in early.versions} == {v.hash for v in final.versions} == set(H[:3])
    assert all(v.has_meta and v.pushed_at for v in early.versions)  # the file's time meanwhile
    assert seen[-1] == final


def test_a_listing_with_nothing_to_read_hands_each_class_over_once(tmp_path, monkeypatch):
    import time

    from petbrowser.core import cache

    _store_with(tmp_path, 2, 2)
    monkeypatch.setattr(cache, "_clock", lambda: time.time() + 60)  # pointers old enough to keep
    store = Store(open_storage(str(tmp_path / "store")), cache=False)
    store.list_classes()
    seen = []
    store.list_classes(on_class=seen.append, provisional=True)  # all in the (memory) cache
    assert [c.name for c in seen] == ["C0", "C1"]
    seen.clear()
    Store(open_storage(str(tmp_path / "store")), cache=False).list_classes(on_class=seen.append)
    assert [c.name for c in seen] == ["C0", "C1"]  # not asked: no provisional classes


def test_a_store_on_disk_is_read_by_one_reader(tmp_path):
    _store_with(tmp_path, 4, 5)
    store = Store(open_storage(str(tmp_path / "store")), cache=False, max_workers=16)
    assert store.readers == Store.LOCAL_READERS == 1
    reads = _counting_reads(store)
    store.list_classes()
    threads = {t for k, t in reads if k.endswith(".meta.json")}
    assert len(reads) >= 20 and len(threads) == 1


def test_a_re_pointed_root_is_followed_and_outside_files_stay_refused(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    for folder, text in ((a, b"in a"), (b, b"in b")):
        (folder / "plugins" / "C").mkdir(parents=True)
        (folder / "plugins" / "C" / "x.json").write_bytes(text)
    link = tmp_path / "store"
    link.symlink_to(a)
    storage = LocalStorage(link)
    assert storage.read("plugins/C/x.json") == b"in a"
    tmp = tmp_path / "store.new"
    tmp.symlink_to(b)
    os.replace(tmp, link)  # re-pointed while the storage is open
    assert storage.read("plugins/C/x.json") == b"in b"
    (b / "plugins" / "C" / "y.json").symlink_to(tmp_path / "secret")
    (tmp_path / "secret").write_bytes(b"no")
    try:
        storage.read("plugins/C/y.json")
    except Exception as exc:  # noqa: BLE001 - the message is what matters
        assert "outside the store" in str(exc)
    else:
        raise AssertionError("a symlink out of the store was read")


def test_reads_wait_for_before_reads_once_the_provisional_classes_are_out(tmp_path, monkeypatch):
    """The window passes a wait there until the provisional tree is drawn: the
    reads must start after every provisional class and not before the hook."""
    import time

    from petbrowser.core import cache

    _store_with(tmp_path, 3, 2)
    store = Store(open_storage(str(tmp_path / "store")), cache=False)
    monkeypatch.setattr(store, "WAIT_BEFORE_READS", 1)  # a big store's case, on a small one
    reads = _counting_reads(store)
    log: list[str] = []
    store.list_classes(
        on_class=lambda c: log.append(f"class {c.name} after {len(reads)} reads"),
        provisional=True,
        before_reads=lambda: log.append(f"hook after {len(reads)} reads"),
    )
    assert log[:4] == [
        "class C0 after 0 reads", "class C1 after 0 reads", "class C2 after 0 reads", "hook after 0 reads",
    ]  # fmt: skip
    assert len(log) == 7 and len(reads) > 0
    # nothing left to read: no provisional classes, no hook, no wait
    monkeypatch.setattr(cache, "_clock", lambda: time.time() + 60)
    store.list_classes()
    log.clear()
    store.list_classes(on_class=lambda c: log.append(c.name), provisional=True, before_reads=lambda: log.append("hook"))
    assert log == ["C0", "C1", "C2"]
    # a few reads: over before drawing would gain anything, so no wait
    fresh = Store(open_storage(str(tmp_path / "store")), cache=False)
    log.clear()
    fresh.list_classes(on_class=lambda c: None, provisional=True, before_reads=lambda: log.append("hook"))
    assert log == []
