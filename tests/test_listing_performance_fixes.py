"""The performance fixes of issue #7 keep their answers the same.

Each fix (docs/performance.md) is a faster way to the same result; these
tests pin the result: the listing options, the trimmed sidecars a listing
keeps, the batched reads, the one-parse class sources and the fast history
time check.
"""

from __future__ import annotations

import hashlib
import inspect
import sys
import textwrap
from datetime import datetime
from pathlib import Path

import pytest

from petbrowser.core import layout
from petbrowser.core.agent import describe
from petbrowser.core.storage import open_storage
from petbrowser.core.store import Store

H = [hashlib.sha256(str(i).encode()).hexdigest() for i in range(40)]


def _store_with(tmp_path: Path, classes: int, versions: int) -> Store:
    store = Store(open_storage(str(tmp_path / "store")))
    for c in range(classes):
        name = f"C{c}"
        for v in range(versions):
            h = H[c * versions + v]
            pkl = b"\x80\x04" + bytes([c, v]) * 200  # big enough not to be sniffed
            meta = {
                "hash": h,
                "hash_scheme": "pb1",
                "pushed_at": f"2026-01-0{v + 1}T00:00:00Z",
                "pushed_by": "me@here",
                "python_version": "3.11.7",
                "source": "class C: ..." * 50,
                "methods": {"m": {"kind": "function", "disassembly": "RETURN_VALUE"}},
            }
            store.write_version(name, h, pkl, meta)
            store.move_latest(name, h, action="push")
    return store


def test_listing_options_skip_reads_but_keep_what_the_listing_knows(tmp_path: Path) -> None:
    store = _store_with(tmp_path, classes=3, versions=4)
    full = {c.name: c for c in store.list_classes()}
    no_meta = {c.name: c for c in Store(store.storage).list_classes(with_meta=False)}
    bare = {c.name: c for c in Store(store.storage).list_classes(with_pointers=False, with_meta=False)}
    assert full.keys() == no_meta.keys() == bare.keys() == {"C0", "C1", "C2"}
    for name, info in full.items():
        # the same versions (their order may differ: without sidecars, pushed_at is the file time)
        assert {v.hash for v in info.versions} == {v.hash for v in no_meta[name].versions}
        assert no_meta[name].latest == info.latest == H[int(name[1:]) * 4 + 3]
        assert bare[name].latest is None
        for v in no_meta[name].versions:
            assert v.has_meta and v.meta is None and v.pushed_by is None
        for v in info.versions:
            assert v.has_meta and v.pushed_by == "me@here" and v.python_version == "3.11.7"


def test_listing_keeps_sidecars_without_source_and_disassembly(tmp_path: Path) -> None:
    store = _store_with(tmp_path, classes=1, versions=2)
    (info,) = store.list_classes()
    for v in info.versions:
        assert v.meta is not None and v.meta["hash_scheme"] == "pb1"
        assert "source" not in v.meta and "methods" not in v.meta
        assert store.read_meta("C0", v.hash)["source"].startswith("class C")  # type: ignore[index]


def test_batched_reads_report_every_class_and_every_bad_sidecar(tmp_path: Path) -> None:
    # 10 classes x 4 versions = 50 reads: more than one batch per worker with 1 worker.
    store = _store_with(tmp_path, classes=10, versions=4)
    bad = tmp_path / "store" / "plugins" / "C7" / f"{H[29]}.meta.json"
    bad.write_bytes(b"not json")
    streamed = []
    listing = Store(store.storage, max_workers=1).list_classes(on_class=streamed.append)
    assert sorted(c.name for c in streamed) == sorted(c.name for c in listing)
    assert len(listing) == 10 and all(len(c.versions) == 4 for c in listing)
    problems = {c.name: c.problems for c in listing if c.problems}
    assert list(problems) == ["C7"] and "metadata" in problems["C7"][0]


SOURCE = '''
import functools


def deco(cls):
    return cls


class Plain:
    x = 1


@deco
@functools.total_ordering
class Decorated:
    def __lt__(self, other):
        return False


class Outer:
    class Inner:
        def f(self):
            return 1


def factory():
    class Local:
        pass

    return Local


if True:
    class InIf:  # noqa
        pass


class Plain2(Plain):
    # a comment inside
    y = 2
'''


def test_class_sources_match_inspect_getsource(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "srcmod_perf.py").write_text(textwrap.dedent(SOURCE))
    monkeypatch.syspath_prepend(str(tmp_path))
    import srcmod_perf as m

    classes = [m.Plain, m.Decorated, m.Outer, m.Outer.Inner, m.factory(), m.InIf, m.Plain2]
    try:
        for cls in classes:
            assert describe._fast_source(cls) == inspect.getsource(cls), cls.__qualname__
    finally:
        sys.modules.pop("srcmod_perf", None)


@pytest.mark.parametrize(
    "stamp",
    [
        "20260105T090000123456Z",
        "20261305T090000123456Z",  # month 13
        "20260230T090000000000Z",  # 30 February
        "20260105T250000000000Z",  # hour 25
        "20260105T096000000000Z",  # minute 60
        "2026010T5090000123456Z",
        "20260105T0900001234Z",  # short microseconds: strptime's own rules
        "20260105 090000123456Z",
    ],
)
def test_history_time_check_agrees_with_strptime(stamp: str) -> None:
    try:
        datetime.strptime(stamp, layout.HISTORY_TIME_FORMAT)
        expected = True
    except ValueError:
        expected = False
    name = f"{stamp}-{H[0]}.json"
    assert (layout.parse_history_name(name) is not None) is expected


def test_a_local_listing_pauses_the_cyclic_collector_and_restores_it(tmp_path, monkeypatch):
    """The pause is counted (``core.gcpause``), so a collector on its own schedule
    (the window's) can see it; overlapping pauses end with the collector as it was."""
    import gc
    import threading

    from petbrowser.core import gcpause

    store = _store_with(tmp_path, 2, 2)
    seen: list[tuple[bool, bool]] = []
    real = store._build

    def spy(*args, **kwargs):
        seen.append((gcpause.active(), gc.isenabled()))
        return real(*args, **kwargs)

    monkeypatch.setattr(store, "_build", spy)
    was = gc.isenabled()
    gc.enable()
    try:
        store.list_classes()
        assert seen == [(True, False)] and gc.isenabled() and not gcpause.active()
        # two overlapping pauses (a listing on each of two threads): on again after the last
        first_in, release = threading.Event(), threading.Event()

        def other() -> None:
            with gcpause.paused():
                first_in.set()
                release.wait(5)

        t = threading.Thread(target=other)
        t.start()
        first_in.wait(5)
        with gcpause.paused():
            pass
        assert gcpause.active() and not gc.isenabled()  # the other thread's pause still holds
        release.set()
        t.join()
        assert not gcpause.active() and gc.isenabled()
        gc.disable()
        with gcpause.paused():
            pass
        assert not gc.isenabled()  # off before the pause: off after it
    finally:
        (gc.enable if was else gc.disable)()
