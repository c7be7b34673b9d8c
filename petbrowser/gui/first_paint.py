"""Run work once a widget has painted: the window's first frame, a tree's next one.

Opening a store imports the core manager and starts workers that share the
interpreter with the UI thread; the welcome frame needs none of it.  A
zero-timer queued at ``show()`` is not enough: on X11 and Wayland the first
expose (and so the first paint) arrives from the display server later, so
such a timer usually runs first.  This waits for the window's first paint
event (the top-level widget is painted first, its children in the same
pass), then queues the work behind that pass.  A window that is never
painted (hidden, minimized, a script) gets the work after ``fallback_ms``.

The filter sits on the window alone, never on the application: an
application-wide Python filter is handed Qt's internal objects too (the
file watcher's inotify engine, platform windows), and wrapping those makes
PySide build the Python types and enums of whole modules (measured: 187
enums, ~120 ms for one ``QFileSystemWatcher``).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QWidget

__all__ = ["after_first_paint", "after_next_paint"]


class _FirstPaint(QObject):
    def __init__(self, window: QWidget, fallback_ms: int, once: bool = False) -> None:
        super().__init__(window)
        self._once = once  # a one-off hook (after_next_paint): gone once it has run
        self._window = window
        self._work: list[Callable[[], None]] = []
        self._done = False
        self._fallback = QTimer(self)
        self._fallback.setSingleShot(True)
        self._fallback.timeout.connect(self._run)
        self._fallback.start(fallback_ms)
        window.installEventFilter(self)

    def add(self, work: Callable[[], None]) -> None:
        if self._done:
            QTimer.singleShot(0, self, work)
        else:
            self._work.append(work)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if event.type() == QEvent.Type.Paint:
            self._stop_watching()
            QTimer.singleShot(0, self, self._run)  # behind the rest of this frame
        return False

    def _stop_watching(self) -> None:
        self._window.removeEventFilter(self)
        self._fallback.stop()

    def _run(self) -> None:
        if self._done:
            return
        self._done = True
        self._stop_watching()
        work, self._work = self._work, []
        for job in work:
            job()
        if self._once:
            self.deleteLater()


def after_first_paint(window: QWidget, work: Callable[[], None], fallback_ms: int = 1000) -> None:
    """Call ``work`` on the UI thread right after ``window`` first paints (or after ``fallback_ms``)."""
    hook = getattr(window, "_first_paint_hook", None)
    if not isinstance(hook, _FirstPaint):
        hook = _FirstPaint(window, fallback_ms)
        window._first_paint_hook = hook  # type: ignore[attr-defined]
    hook.add(work)


def after_next_paint(widget: QWidget, work: Callable[[], None], fallback_ms: int = 500) -> None:
    """Call ``work`` on the UI thread right after ``widget`` next paints.

    Why: work that competes with the UI thread for the interpreter (a worker
    walking the whole store) should start once what the user waits for is
    on screen, not while it is being drawn.  A hidden widget paints nothing:
    the work then runs on the next turn of the event loop.
    """
    if not widget.isVisible():
        QTimer.singleShot(0, widget, work)
        return
    _FirstPaint(widget, fallback_ms, once=True).add(work)
