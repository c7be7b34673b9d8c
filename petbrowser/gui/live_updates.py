"""Live updates: notice what others push and move while the window is open.

Core's ``StoreWatcher`` lists the store once per poll and reads nothing else
while nothing changed (ETags on S3, size and mtime on disk), so polling every
few seconds costs one listing.  The poll runs on a worker like every other
store call; it is skipped while the window is hidden or minimized (nobody is
looking) and made at once when the window comes back.  Changes this window
made itself (a move, an undo, a restore) are recognised by where they moved
the pointer and not reported as someone else's.  A poll never runs beside a
listing of the same store (the opening one, F5, a relisting after a move):
it waits for the listing to end.

The interval is a setting (View ▸ Live updates; 0 turns polling off).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QSettings, QTimer, Signal

from petbrowser.core.models import StoreChange
from petbrowser.gui.calls import Command, CommandRunner

if TYPE_CHECKING:
    from petbrowser.core.manager import PetClassManager, StoreWatcher
    from petbrowser.gui.workers import TaskContext

__all__ = [
    "DEFAULT_INTERVAL",
    "INTERVAL_CHOICES",
    "LiveUpdates",
    "PollStoreCommand",
    "load_interval",
    "save_interval",
]

INTERVAL_KEY = "live/interval-seconds"
#: Seconds between polls unless the user chose otherwise.
DEFAULT_INTERVAL = 10
#: What View ▸ Live updates offers (0: off).
INTERVAL_CHOICES = (0, 5, 10, 30, 60)
#: How long a move made here is remembered as ours (its record arrives within a poll or two).
_OWN_MOVE_TTL = 300.0


def load_interval() -> int:
    """The poll interval in seconds (0: off), as the user last chose it."""
    try:
        value = int(QSettings().value(INTERVAL_KEY, DEFAULT_INTERVAL))
    except (TypeError, ValueError):
        return DEFAULT_INTERVAL
    return max(0, value)


def save_interval(seconds: int) -> None:
    QSettings().setValue(INTERVAL_KEY, int(seconds))


class PollStoreCommand(Command):
    """One poll of the store's watcher: what changed since the last poll (one listing)."""

    label = "Checking the store for changes"

    def __init__(self, watcher: StoreWatcher) -> None:
        self.watcher = watcher

    def run(self, manager: PetClassManager, ctx: TaskContext) -> list[StoreChange]:
        return self.watcher.poll()


class LiveUpdates(QObject):
    """Polls the open store on a timer; ``changed(changes)`` when others changed it.

    ``polled(n)`` follows every finished poll with the number of changes seen
    (tests, and whoever wants to know it is alive); ``failed(error)`` when a
    poll could not list the store (the next poll tries again).
    """

    changed = Signal(object)  # list[StoreChange], this window's own moves left out
    polled = Signal(int)
    failed = Signal(object)

    def __init__(self, commands: CommandRunner, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.commands = commands
        self.watcher: StoreWatcher | None = None
        self.interval = load_interval()
        self.polls = 0
        self._active: Callable[[], bool] = lambda: True
        self._busy: Callable[[], bool] = lambda: False
        self._polling = False
        self._due = False  # a tick came while the window was hidden: poll when it is back
        self._own: dict[tuple[str, str], float] = {}
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.tick)

    # ------------------------------------------------------------ control
    def set_active_check(self, active: Callable[[], bool]) -> None:
        """``active()`` says whether anyone is looking (the window is shown, not minimized)."""
        self._active = active

    def set_busy_check(self, busy: Callable[[], bool]) -> None:
        """``busy()`` says a listing is running: a poll then waits for it (:meth:`resume`)
        instead of listing the same store at the same time."""
        self._busy = busy

    def set_interval(self, seconds: int, *, remember: bool = False) -> None:
        """Poll every ``seconds`` (0: stop polling)."""
        self.interval = max(0, int(seconds))
        if remember:
            save_interval(self.interval)
        self._arm()

    def start(self, manager: PetClassManager) -> None:
        """Watch ``manager``'s store: the first poll takes the baseline (after the
        opening listing, which it would otherwise repeat at the same time)."""
        self.stop()
        self.watcher = manager.watcher()
        self._arm()
        if self.interval:
            QTimer.singleShot(0, self.tick)

    def stop(self) -> None:
        self._timer.stop()
        self.watcher = None
        self._polling = False
        self._due = False
        self._own.clear()

    @property
    def running(self) -> bool:
        return self._timer.isActive()

    def _arm(self) -> None:
        if self.watcher is not None and self.interval > 0:
            self._timer.start(self.interval * 1000)
        else:
            self._timer.stop()

    def resume(self) -> None:
        """The window is visible again, or a listing ended: poll now if a poll was skipped meanwhile."""
        if self._due:
            self.tick()

    def expect(self, pairs: Iterable[tuple[str, str]]) -> None:
        """Pointer moves this window made (``(class, hash)``): not someone else's news."""
        now = time.monotonic()
        for pair in pairs:
            self._own[pair] = now

    # --------------------------------------------------------------- poll
    def tick(self) -> None:
        """Poll once, unless one is running, nobody is looking, or nothing is open."""
        if self.watcher is None or self._polling:
            return
        if not self._active() or self._busy():
            self._due = True
            return
        self._due = False
        self._polling = True
        watcher = self.watcher

        def done(changes: list[StoreChange]) -> None:
            if watcher is not self.watcher:
                return  # another store was opened meanwhile
            self.polls += 1
            theirs = self._theirs(changes)
            self.polled.emit(len(theirs))
            if theirs:
                self.changed.emit(theirs)

        def finished() -> None:
            if watcher is self.watcher:
                self._polling = False

        task = self.commands.execute(
            PollStoreCommand(watcher),
            on_result=done,
            on_error=self.failed.emit,
            on_finished=finished,
        )
        if task is None:
            self._polling = False

    def _theirs(self, changes: list[StoreChange]) -> list[StoreChange]:
        now = time.monotonic()
        self._own = {k: t for k, t in self._own.items() if now - t < _OWN_MOVE_TTL}
        ours = {(c.class_name, c.hash) for c in changes if c.kind == "latest_moved" and (c.class_name, c.hash) in self._own}
        for key in ours:
            del self._own[key]  # recognised once: a later move to the same hash is news again
        return [
            c
            for c in changes
            if not (c.kind in ("latest_moved", "version_added") and (c.class_name, c.hash) in ours)
        ]

    def describe(self, changes: list[StoreChange]) -> list[str]:
        """One line per change for people ("Tagger: latest moved to 3fa2c1 by alice@lab, 12 s ago")."""
        if self.watcher is None:
            return []
        return list(self.watcher.lines(changes))

    def status_text(self) -> str:
        """What View ▸ Live updates says about itself."""
        if not self.interval:
            return "Live updates are off"
        return f"Checking the store for changes every {self.interval} s while the window is shown"

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"<LiveUpdates interval={self.interval} polls={self.polls} running={self.running}>"
