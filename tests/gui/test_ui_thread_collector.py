"""Python's cyclic garbage collector runs on the UI thread while a window lives.

A cycle that holds a Qt wrapper must never be finalized on a worker thread
(the allocation that trips the collector may happen anywhere), nor in the
middle of another slot: ``workers.UiThreadCollector`` collects from a timer.
"""

from __future__ import annotations

import gc
import threading
import weakref

from petbrowser.gui.workers import TaskRunner, UiThreadCollector


class _Node:
    def __init__(self) -> None:
        self.me = self  # a cycle: only the cyclic collector frees it


def test_garbage_made_on_the_ui_thread_is_freed_there_even_when_a_worker_allocates(qtbot):
    before, collecting = UiThreadCollector._alive, gc.isenabled()
    runner = TaskRunner()
    try:
        assert UiThreadCollector._alive == before + 1 and not gc.isenabled()  # off while a runner lives
        where: list[str] = []
        node = _Node()
        weakref.finalize(node, lambda: where.append(threading.current_thread().name))
        del node

        def churn() -> None:  # what a listing does: many containers, on a worker
            keep = []
            for _ in range(50_000):
                c: list = []
                c.append(c)
                keep.append(c)

        worker = threading.Thread(target=churn, name="worker")
        worker.start()
        worker.join()
        qtbot.waitUntil(lambda: bool(where), timeout=5000)
        assert where == [threading.main_thread().name]
    finally:
        # Counted from here: an earlier test's window may be deleted meanwhile (its
        # collector goes too), so "back to the count at the start" could never come.
        alive = UiThreadCollector._alive
        runner.deleteLater()
        qtbot.waitUntil(lambda: UiThreadCollector._alive <= alive - 1, timeout=5000)
        if UiThreadCollector._alive == 0:  # the last one gone: as it was before the first
            assert gc.isenabled() == (collecting if before == 0 else UiThreadCollector._was_enabled)
        else:
            assert not gc.isenabled()



def _garbage_due(freed: list[bool]) -> None:
    """A cycle that appends to ``freed`` when collected, and enough allocations
    past the young generation's threshold that a collection is due."""
    node = _Node()
    weakref.finalize(node, lambda: freed.append(True))
    del node
    for _ in range(5_000):
        c: list = []
        c.append(c)


def test_the_collector_waits_while_a_core_pause_is_on_then_collects(qtbot):
    """A local listing pauses collection (``core.gcpause``): the UI timer must not
    traverse the objects it is still allocating on a worker (issue 16), and must
    collect what is due as soon as the pause ends."""
    from petbrowser.core import gcpause

    runner = TaskRunner()
    collector = runner.collector
    collector._timer.setInterval(20)
    freed: list[bool] = []
    try:
        with gcpause.paused():
            _garbage_due(freed)
            qtbot.wait(300)  # fifteen ticks of the timer
            assert gcpause.active() and not freed
            assert not gc.isenabled()
        assert not gcpause.active() and not gc.isenabled()  # the runner's collector still owns it
        qtbot.waitUntil(lambda: bool(freed), timeout=5000)
    finally:
        runner.deleteLater()


def test_a_pause_held_too_long_does_not_hold_collection_off(qtbot, monkeypatch):
    """A listing of a slow disk may pause collection for minutes: the UI's garbage
    must not pile up behind it (``UiThreadCollector.MAX_WAIT_S``)."""
    from petbrowser.core import gcpause

    monkeypatch.setattr(UiThreadCollector, "MAX_WAIT_S", 0.3)
    runner = TaskRunner()
    runner.collector._timer.setInterval(20)
    freed: list[bool] = []
    try:
        with gcpause.paused():
            _garbage_due(freed)
            qtbot.waitUntil(lambda: bool(freed), timeout=5000)
            assert gcpause.active() and gcpause.held_for() >= 0.3
    finally:
        runner.deleteLater()
