"""Start-up work waits for the window's first frame (issue 16), and still happens."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, QFileSystemWatcher, QObject
from PySide6.QtWidgets import QMainWindow

from petbrowser.gui.first_paint import after_first_paint

WAIT = 60000


class _Painted(QObject):
    def __init__(self, window: QMainWindow, log: list[str]) -> None:
        super().__init__(window)
        self.log = log
        window.installEventFilter(self)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.Paint and "paint" not in self.log:
            self.log.append("paint")
        return False


def test_work_runs_after_the_first_paint_not_before(qtbot: Any) -> None:
    window = QMainWindow()
    qtbot.addWidget(window)
    log: list[str] = []
    _Painted(window, log)
    after_first_paint(window, lambda: log.append("work"), fallback_ms=60000)
    after_first_paint(window, lambda: log.append("more"), fallback_ms=60000)
    qtbot.wait(50)
    assert log == []  # not shown: nothing painted, nothing run
    window.show()
    qtbot.waitUntil(lambda: "more" in log, timeout=WAIT)
    assert log == ["paint", "work", "more"]
    after_first_paint(window, lambda: log.append("late"))  # after the first frame: at once (queued)
    qtbot.waitUntil(lambda: "late" in log, timeout=WAIT)


def test_a_window_never_painted_gets_the_work_after_the_fallback(qtbot: Any) -> None:
    window = QMainWindow()
    qtbot.addWidget(window)
    done: list[int] = []
    after_first_paint(window, lambda: done.append(1), fallback_ms=100)
    qtbot.waitUntil(lambda: done == [1], timeout=WAIT)
    window.show()
    qtbot.wait(100)
    assert done == [1]  # once


def test_the_demo_opens_after_the_welcome_page_painted(qtbot: Any, tmp_path: Any, monkeypatch: Any) -> None:
    from petbrowser.gui.app import build_window

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))

    class Args:
        project_dir = storage = endpoint_url = profile = region = None
        demo = True

    window = build_window(Args())
    qtbot.addWidget(window)
    log: list[str] = []
    _Painted(window, log)
    window.store_opened.connect(lambda: log.append("opened"))
    qtbot.wait(50)
    assert window.manager is None and window.stack.currentWidget() is window.welcome
    assert window.findChildren(QFileSystemWatcher) == []  # nothing to watch yet
    window.show()
    qtbot.waitUntil(lambda: "opened" in log, timeout=WAIT)
    assert log[0] == "paint"
    qtbot.waitUntil(lambda: bool(window.watched_files()), timeout=WAIT)  # once the status names them
    assert len(window.findChildren(QFileSystemWatcher)) == 1
    window.runner.shutdown(10000)


def test_after_next_paint_waits_for_the_widgets_next_frame_and_runs_once(qtbot: Any) -> None:
    """What must not compete with drawing the tree (the Timeline's walk, the first
    poll) starts after the tree's next paint; a hidden widget does not hold it up."""
    from PySide6.QtWidgets import QLabel

    from petbrowser.gui.first_paint import after_next_paint

    window = QMainWindow()
    qtbot.addWidget(window)
    label = QLabel("tree", window)
    window.setCentralWidget(label)
    window.show()
    qtbot.waitExposed(window)
    qtbot.wait(50)
    log: list[str] = []

    class Paints(QObject):
        def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802
            if event.type() == QEvent.Type.Paint:
                log.append("paint")
            return False

    spy = Paints(label)
    label.installEventFilter(spy)
    after_next_paint(label, lambda: log.append("work"), fallback_ms=60000)
    qtbot.wait(50)
    assert "work" not in log  # nothing asked the label to repaint yet
    label.update()
    qtbot.waitUntil(lambda: "work" in log, timeout=WAIT)
    assert log.index("paint") < log.index("work")
    label.update()
    qtbot.wait(100)
    assert log.count("work") == 1  # a one-off: later frames do not run it again

    hidden = QLabel("hidden")
    qtbot.addWidget(hidden)
    after_next_paint(hidden, lambda: log.append("hidden work"), fallback_ms=60000)
    qtbot.waitUntil(lambda: "hidden work" in log, timeout=WAIT)  # the next turn, not 60 s
