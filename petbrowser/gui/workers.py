"""Running core calls off the UI thread.

Every core call can block (network, child processes), so the GUI never makes
one on the UI thread: it hands a function to :class:`TaskRunner`, which runs
it on a ``QThreadPool`` and delivers the result, the error or partial results
back as queued signals.  Cancellation is cooperative: the task's
:class:`TaskContext` raises :class:`Cancelled` at its next checkpoint (every
``partial``/``progress`` call), and the result of a cancelled task is dropped,
so a slow listing never paints over a newer one.
"""

from __future__ import annotations

import gc
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QTimer, Signal, Slot
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QToolButton, QWidget

from petbrowser.core import gcpause
from petbrowser.core.errors import PetBrowserError

__all__ = ["Cancelled", "ProgressIndicator", "Task", "TaskContext", "TaskRunner", "as_user_error"]


class Cancelled(Exception):
    """Raised inside a task at a checkpoint once the user cancelled it."""


def as_user_error(exc: BaseException) -> PetBrowserError:
    """Any exception as a ``PetBrowserError`` the message bar can show.

    Typed core errors pass through; anything else is a bug, shown as one line
    with the traceback in the details instead of crashing the window.
    """
    if isinstance(exc, PetBrowserError):
        return exc
    tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return PetBrowserError(f"unexpected error: {type(exc).__name__}: {exc}", detail=tb)


class TaskContext:
    """What a running task may call: report progress, deliver partial results."""

    def __init__(self, task: Task) -> None:
        self._task = task

    @property
    def cancelled(self) -> bool:
        return self._task.cancel_event.is_set()

    def check(self) -> None:
        """Raise :class:`Cancelled` if the user asked to stop."""
        if self.cancelled:
            raise Cancelled()

    def progress(self, done: int, total: int) -> None:
        self.check()
        self._task.emit("progress", done, total)

    def partial(self, item: object) -> None:
        """Deliver one partial result; batched so the UI gets a few signals, not thousands."""
        self.check()
        self._task.add_partial(item)


class _TaskSignals(QObject):
    partial_ready = Signal()  # the partial batch went from empty to non-empty
    progress = Signal(int, int)
    succeeded = Signal(object)
    failed = Signal(object)  # a PetBrowserError
    finished = Signal()  # always, after succeeded/failed, or alone when cancelled


class Task(QRunnable):
    """One function run on the pool; ``fn(ctx)`` returns the result."""

    #: The UI drains partial results this long after the first of a batch arrives:
    #: a burst becomes one model update, a lone result still shows within 50 ms.
    BATCH_MS = 50

    def __init__(self, fn: Callable[[TaskContext], Any], label: str, cancellable: bool) -> None:
        super().__init__()
        self.setAutoDelete(False)
        self.fn = fn
        self.label = label
        self.cancellable = cancellable
        self.signals = _TaskSignals()
        self.cancel_event = threading.Event()
        self.relay: QObject | None = None
        self._batch: list[object] = []
        self._lock = threading.Lock()

    def cancel(self) -> None:
        self.cancel_event.set()

    def emit(self, name: str, *args: object) -> None:
        """Emit one of :attr:`signals` from the worker thread.

        A task still running when the user quits outlives the window (daemon
        threads: quitting never waits for the network): its signals' Qt object
        may be gone by then, and there is nobody left to tell.
        """
        try:
            getattr(self.signals, name).emit(*args)
        except RuntimeError:  # "Signal source has been deleted": the window was closed
            self.cancel_event.set()

    @property
    def cancelled(self) -> bool:
        return self.cancel_event.is_set()

    def add_partial(self, item: object) -> None:
        with self._lock:
            self._batch.append(item)
            first = len(self._batch) == 1
        if first:  # one signal per batch; the UI takes the whole batch when it drains
            self.emit("partial_ready")

    def take_batch(self) -> list[object]:
        """Everything delivered since the last call (called on the UI thread)."""
        with self._lock:
            batch, self._batch = self._batch, []
        return batch

    def run(self) -> None:  # noqa: D102 - QRunnable entry point, on a pool thread
        if self.cancelled:  # cancelled while queued: never started
            self.emit("finished")
            return
        ctx = TaskContext(self)
        try:
            result = self.fn(ctx)
        except Cancelled:
            pass
        except BaseException as exc:  # noqa: BLE001 - every failure becomes a message
            if not self.cancelled:
                self.emit("failed", as_user_error(exc))
        else:
            if not self.cancelled:
                self.emit("succeeded", result)
        self.emit("finished")


class _Relay(QObject):
    """Receives a task's signals on the UI thread and calls the callbacks."""

    def __init__(self, runner: TaskRunner, task: Task, on_result, on_error, on_partial, on_finished) -> None:
        super().__init__(runner)
        self._runner = runner
        self._task = task
        self._on_result = on_result
        self._on_error = on_error
        self._on_partial = on_partial
        self._on_finished = on_finished
        self._drain_scheduled = False

    @Slot()
    def on_partial_ready(self) -> None:
        if not self._drain_scheduled:
            self._drain_scheduled = True
            QTimer.singleShot(Task.BATCH_MS, self, self.drain)

    @Slot()
    def drain(self) -> None:
        """Hand every pending partial result to the callback, as one batch."""
        self._drain_scheduled = False
        batch = self._task.take_batch()
        if batch and self._on_partial is not None and not self._task.cancelled:
            self._on_partial(batch)

    @Slot(object)
    def on_result(self, result: object) -> None:
        self.drain()  # partial results always arrive before the final one
        if self._on_result is not None and not self._task.cancelled:
            self._on_result(result)

    @Slot(object)
    def on_error(self, error: object) -> None:
        self.drain()
        if self._on_error is not None and not self._task.cancelled:
            self._on_error(error)

    @Slot(int, int)
    def on_progress(self, done: int, total: int) -> None:
        self._runner.progress.emit(done, total)

    @Slot()
    def on_finished(self) -> None:
        try:
            if self._on_finished is not None:
                self._on_finished()
        finally:
            self._runner._done(self._task)
            self.deleteLater()


class DaemonPool:
    """Runs tasks on daemon threads, at most ``max_threads`` at a time.

    Daemon threads, not ``QThreadPool``: a task stuck in a hung network call
    (an S3 endpoint that accepts and never answers waits out botocore's
    timeouts and retries, over a minute) must not keep the process alive
    after the user quit, and Qt's pool waits for every thread when it is
    destroyed.  A cancelled task is *abandoned*: it frees its slot at once, its
    answer is dropped, and its thread ends whenever its call returns.
    """

    def __init__(self, max_threads: int = 4) -> None:
        self._max = max_threads
        self._cond = threading.Condition()
        self._queue: deque[Task] = deque()
        self._running: set[Task] = set()

    def maxThreadCount(self) -> int:  # noqa: N802 - QThreadPool's name, kept for callers
        return self._max

    def setMaxThreadCount(self, n: int) -> None:  # noqa: N802
        with self._cond:
            self._max = max(1, n)
            self._pump()

    def start(self, task: Task) -> None:
        with self._cond:
            self._queue.append(task)
            self._pump()

    def pump(self) -> None:
        """Start queued tasks in the slots cancelled ones left."""
        with self._cond:
            self._pump()

    def _pump(self) -> None:
        while self._queue and sum(1 for t in self._running if not t.cancelled) < self._max:
            task = self._queue.popleft()
            self._running.add(task)
            threading.Thread(target=self._run, args=(task,), name=f"petbrowser: {task.label}", daemon=True).start()

    def _run(self, task: Task) -> None:
        try:
            task.run()
        finally:
            with self._cond:
                self._running.discard(task)
                self._pump()
                self._cond.notify_all()

    def waitForDone(self, timeout_ms: int = -1) -> bool:  # noqa: N802
        """Wait until nothing runs or is queued; False when ``timeout_ms`` passed first."""
        deadline = None if timeout_ms < 0 else time.monotonic() + timeout_ms / 1000
        with self._cond:
            while self._running or self._queue:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return False
                self._cond.wait(left)
        return True


class UiThreadCollector(QObject):
    """Python's cyclic garbage collector runs here, on the UI thread, from a timer.

    Left to itself the collector runs wherever an allocation trips its
    threshold: on a worker thread in the middle of a store call, or inside a
    nested slot, where it may finalize a Qt wrapper whose C++ object another
    thread is still touching (a known source of PySide segfaults).  While a
    window lives, automatic collection is off and this timer collects the
    generations that are due, between two events, on the thread that owns
    the Qt objects.  The last collector to go turns automatic collection back on.
    """

    _alive = 0
    _was_enabled = True

    def __init__(self, parent: QObject, interval_ms: int = 500) -> None:
        super().__init__(parent)
        if UiThreadCollector._alive == 0:
            UiThreadCollector._was_enabled = gc.isenabled()
        UiThreadCollector._alive += 1
        gc.disable()
        self._thresholds = gc.get_threshold()
        self._last_full = time.monotonic()
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.collect_due)
        self._timer.start(interval_ms)
        self.destroyed.connect(UiThreadCollector._release)

    #: A full collection walks every object (a 20,000-version tree is hundreds of
    #: thousands): at most this often, as CPython itself defers full collections.
    FULL_EVERY_S = 30.0
    #: How long a core pause (``core.gcpause``) may hold off a due collection.
    MAX_WAIT_S = 3.0

    @Slot()
    def collect_due(self) -> None:
        """Collect the oldest generation whose count passed its threshold (as CPython would),
        unless a core pause is on (``core.gcpause``: a local listing is allocating) --
        for at most ``MAX_WAIT_S``."""
        if gcpause.active() and gcpause.held_for() < self.MAX_WAIT_S:
            return
        counts, limits = gc.get_count(), self._thresholds
        now = time.monotonic()
        if counts[2] > limits[2] and now - self._last_full >= self.FULL_EVERY_S:
            gc.collect(2)
            self._last_full = now
        elif counts[1] > limits[1] or counts[2] > limits[2]:
            gc.collect(1)
        elif counts[0] > limits[0]:
            gc.collect(0)

    @staticmethod
    def _release(*_args: object) -> None:
        UiThreadCollector._alive = max(0, UiThreadCollector._alive - 1)
        if UiThreadCollector._alive == 0 and UiThreadCollector._was_enabled:
            gc.enable()


class TaskRunner(QObject):
    """Submits tasks to a thread pool and tracks what is running.

    ``busy_changed(label)`` carries the label of the newest running task, or
    "" when idle, for the status bar's :class:`ProgressIndicator`.
    """

    busy_changed = Signal(str)
    progress = Signal(int, int)

    def __init__(self, parent: QObject | None = None, max_threads: int = 4) -> None:
        super().__init__(parent)
        self.collector = UiThreadCollector(self)
        self.pool = DaemonPool(max_threads)
        self._tasks: list[Task] = []

    def submit(
        self,
        fn: Callable[[TaskContext], Any],
        *,
        label: str = "",
        on_result: Callable[[Any], None] | None = None,
        on_error: Callable[[PetBrowserError], None] | None = None,
        on_partial: Callable[[list], None] | None = None,
        on_finished: Callable[[], None] | None = None,
        cancellable: bool = True,
    ) -> Task:
        """Run ``fn(ctx)`` on the pool; callbacks run on the UI thread."""
        task = Task(fn, label, cancellable)
        # The relay lives on the UI thread, so queued delivery is decided by a
        # real QObject receiver rather than by how PySide wraps a lambda.
        relay = _Relay(self, task, on_result, on_error, on_partial, on_finished)
        sig = task.signals
        sig.partial_ready.connect(relay.on_partial_ready)
        sig.succeeded.connect(relay.on_result)
        sig.failed.connect(relay.on_error)
        sig.progress.connect(relay.on_progress)
        sig.finished.connect(relay.on_finished)
        task.relay = relay
        self._tasks.append(task)
        self.busy_changed.emit(self.current_label())
        self.pool.start(task)
        return task

    def _done(self, task: Task) -> None:
        if task in self._tasks:
            self._tasks.remove(task)
        self.busy_changed.emit(self.current_label())

    def current_label(self) -> str:
        live = self.labels()
        return live[-1] if live else ""

    def labels(self) -> list[str]:
        """What runs now, oldest first (each once): the status bar shows them all."""
        return list(dict.fromkeys(t.label for t in self._tasks if not t.cancelled and t.label))

    def can_cancel(self) -> bool:
        """Whether Esc / Cancel would stop anything (a push or a move cannot be stopped)."""
        return any(t.cancellable and not t.cancelled for t in self._tasks)

    @property
    def active(self) -> list[Task]:
        return list(self._tasks)

    def is_busy(self) -> bool:
        return any(not t.cancelled for t in self._tasks)

    def cancel_all(self) -> None:
        """Ask every cancellable task to stop; their results will be dropped."""
        for t in self._tasks:
            if t.cancellable:
                t.cancel()
        self.pool.pump()  # abandoned tasks free their slots
        self.busy_changed.emit(self.current_label())

    def shutdown(self, timeout_ms: int = 5000) -> bool:
        """Cancel everything and wait for the pool (window closing, test teardown);
        False when something still runs after ``timeout_ms`` (a hung call, abandoned:
        its daemon thread does not keep the process alive)."""
        for t in self._tasks:
            t.cancel()
        return self.pool.waitForDone(timeout_ms)


class ProgressIndicator(QWidget):
    """Status-bar widget: what is running, a busy bar, and a Cancel button.

    Shown only after a short delay so quick calls do not make the bar flicker.
    """

    SHOW_DELAY_MS = 250

    def __init__(self, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.label = QLabel(self)
        self.bar = QProgressBar(self)
        self.bar.setMaximumWidth(140)
        self.bar.setMaximumHeight(14)
        self.bar.setTextVisible(False)
        self.bar.setRange(0, 0)
        self.cancel_button = QToolButton(self)
        self.cancel_button.setText("Cancel")
        self.cancel_button.setToolTip("Stop the running operation (Esc)")
        self.cancel_button.setAutoRaise(True)
        self.cancel_button.clicked.connect(runner.cancel_all)
        lay.addWidget(self.label)
        lay.addWidget(self.bar)
        lay.addWidget(self.cancel_button)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(self.SHOW_DELAY_MS)
        self._timer.timeout.connect(self._reveal)
        runner.busy_changed.connect(self._on_busy)
        runner.progress.connect(self._on_progress)
        self.setVisible(False)

    @Slot(str)
    def _on_busy(self, label: str) -> None:
        labels = self.runner.labels()
        if labels:  # every running operation, newest last: not only the newest
            shown = " · ".join(x + "…" for x in labels[-2:])
            self.label.setText(shown if len(labels) <= 2 else f"{shown} (+{len(labels) - 2} more)")
            self.setToolTip("\n".join(x + "…" for x in labels))
            self.cancel_button.setEnabled(self.runner.can_cancel())
            if not self.isVisible() and not self._timer.isActive():
                self.bar.setRange(0, 0)
                self._timer.start()
        else:
            self._timer.stop()
            self.setVisible(False)

    def _reveal(self) -> None:
        if self.runner.is_busy():
            self.setVisible(True)

    @Slot(int, int)
    def _on_progress(self, done: int, total: int) -> None:
        if total > 0:
            self.bar.setRange(0, total)
            self.bar.setValue(done)
