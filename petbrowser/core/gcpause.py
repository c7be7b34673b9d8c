"""One process-wide say over when Python's cyclic garbage collector may run.

A local listing builds tens of thousands of short-lived, cycle-free objects
and pauses the collector while it does (``store/listing.py``).  A pause
alone is not enough in the window: its ``UiThreadCollector`` collects from
a timer on the UI thread, and it would then traverse those objects while
the listing still allocates them on a worker (measured: a third of a
20,000-version listing's time).  So a pause is counted here, and every
collector that runs on its own schedule asks :func:`active` first.

No imports beyond the standard library: the window's first frame loads it.
"""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["active", "held_for", "paused"]

_lock = threading.Lock()
_depth = 0
_was_enabled = True
_since = 0.0


def active() -> bool:
    """Whether some thread is inside :func:`paused` (a scheduled collection should wait)."""
    return _depth > 0


def held_for() -> float:
    """Seconds since the collector was first paused without a break (0.0: not paused).

    A collector on its own schedule waits only so long: a listing of a slow
    disk can take minutes, and the garbage of everything else must not pile
    up behind it."""
    return time.monotonic() - _since if _depth > 0 else 0.0


@contextmanager
def paused(pause: bool = True) -> Iterator[None]:
    """Keep the cyclic collector off while the block runs (``pause`` False: do nothing).

    Nested and concurrent pauses are counted; the last one to end turns
    automatic collection back on if it was on when the first began.
    """
    global _depth, _was_enabled, _since
    if not pause:
        yield
        return
    with _lock:
        if _depth == 0:
            _was_enabled = gc.isenabled()
            _since = time.monotonic()
        _depth += 1
        gc.disable()
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _was_enabled:
                gc.enable()
