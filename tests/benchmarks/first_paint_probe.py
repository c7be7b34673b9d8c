"""Child-process probe: start a Qt program, report when its main window first paints.

Run as ``python first_paint_probe.py bare`` (an empty QMainWindow: the
baseline) or ``python first_paint_probe.py petbrowser [petbrowser GUI args]``.
The parent takes ``time.monotonic()`` just before starting this process; this
process prints ``time.monotonic()`` at the first paint of a widget inside a
QMainWindow (CLOCK_MONOTONIC is one clock for every process on Linux), so the
difference covers interpreter start, imports, window construction and the
first frame, as a user sees it.

How the probe gets in without help from the GUI: ``QApplication`` is replaced
by a subclass (before the program under test imports it), and
``QMainWindow.show``/``setVisible`` install an event filter on the window
being shown: a top-level window receives the first paint event of each
pass, before its children.  The filter sits on the main window alone, not
on the application: an application-wide Python filter is handed every
internal object Qt makes (item models of list widgets, inotify engines,
platform windows), and wrapping those builds the Python types and enums of
whole modules (~115 enums, 30-40 ms) that no user's process pays, and more
in a richer window than in the bare one.  With ``--tree-classes N
--tree-versions M`` it then also waits until the window's tree model holds N
classes and M versions and a tree has painted again (filters on the trees'
viewports), and reports that time and the peak RSS.

Prints one line ``BENCH_RESULT {json}`` and exits.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import threading
import time
from typing import Any

from PySide6 import QtCore, QtWidgets

_Base = QtWidgets.QApplication
_state: dict[str, Any] = {"spawned": 0}
_options: dict[str, int] = {}


def _finish(result: dict[str, Any]) -> None:
    result["maxrss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    sys.stdout.write("BENCH_RESULT " + json.dumps(result) + "\n")
    sys.stdout.flush()
    os._exit(0)  # skip teardown: it is not part of start-up


def _count(model: QtCore.QAbstractItemModel) -> tuple[int, int]:
    top = model.rowCount()
    children = 0
    for r in range(top):
        children += model.rowCount(model.index(r, 0))
    return top, children


def _tree_model(window: QtWidgets.QWidget) -> QtCore.QAbstractItemModel | None:
    best = None
    for view in window.findChildren(QtWidgets.QTreeView):
        model = view.model()
        while isinstance(model, QtCore.QSortFilterProxyModel):
            model = model.sourceModel()
        if model is not None and (best is None or model.rowCount() > best.rowCount()):
            best = model
    return best


class _Probe(QtCore.QObject):
    def eventFilter(self, obj: QtCore.QObject, event: QtCore.QEvent) -> bool:  # noqa: N802 (Qt's name)
        if event.type() != QtCore.QEvent.Type.Paint or not isinstance(obj, QtWidgets.QWidget):
            return False
        window = obj.window()
        if not isinstance(window, QtWidgets.QMainWindow):
            return False
        now = time.monotonic()
        if "first_paint" not in _state:
            _state["first_paint"] = now
            usage = resource.getrusage(resource.RUSAGE_SELF)
            _state["first_paint_cpu"] = usage.ru_utime + usage.ru_stime  # what load cannot stretch
            _state["window"] = window
            _state["boto3_loaded"] = "boto3" in sys.modules
            _state["manager_loaded"] = "petbrowser.core.manager" in sys.modules
            _state["threads_before_paint"] = threading.active_count()
            _state["spawned_before_paint"] = _state["spawned"]
            if not _options.get("tree_classes"):
                _finish(_result())
            self._timer = QtCore.QTimer()
            self._timer.timeout.connect(self._poll)
            self._timer.start(20)
        elif _state.get("tree_complete") and isinstance(obj.parent(), QtWidgets.QTreeView):
            _state["tree_shown"] = now
            _finish(_result())
        return False

    def _poll(self) -> None:
        model = _tree_model(_state["window"])
        if model is None:
            return
        classes, versions = _count(model)
        _state["tree_counts"] = [classes, versions]
        if classes >= _options["tree_classes"] and versions >= _options["tree_versions"]:
            self._timer.stop()
            _state["tree_complete"] = time.monotonic()
            for view in _state["window"].findChildren(QtWidgets.QTreeView):
                view.viewport().installEventFilter(self)
                view.viewport().update()  # a paint that shows the full model


def _result() -> dict[str, Any]:
    return {k: v for k, v in _state.items() if k not in ("window", "probe")}


class _ProbedApplication(_Base):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._bench_probe = _state["probe"] = _Probe()
        QtCore.QTimer.singleShot(120_000, lambda: _finish({**_result(), "timeout": True}))


def _watch_main_windows() -> None:
    """``QMainWindow.show``/``setVisible(True)`` put the probe's filter on that window first."""
    for name in ("show", "setVisible"):
        original = getattr(QtWidgets.QMainWindow, name)

        def watching(self: QtWidgets.QMainWindow, *args: Any, _original: Any = original) -> Any:
            probe = _state.get("probe")
            if probe is not None and not getattr(self, "_bench_watched", False):
                self._bench_watched = True
                self.installEventFilter(probe)
            return _original(self, *args)

        setattr(QtWidgets.QMainWindow, name, watching)


def _count_spawns() -> None:
    original = subprocess.Popen.__init__

    def counting(self: subprocess.Popen, *args: Any, **kwargs: Any) -> None:
        _state["spawned"] += 1
        original(self, *args, **kwargs)

    subprocess.Popen.__init__ = counting  # type: ignore[method-assign]


def main(argv: list[str]) -> None:
    mode, rest = argv[0], argv[1:]
    while rest and rest[0].startswith("--tree-"):
        _options[rest[0][2:].replace("-", "_")] = int(rest[1])
        rest = rest[2:]
    QtWidgets.QApplication = _ProbedApplication  # type: ignore[misc]
    _watch_main_windows()
    _count_spawns()
    if mode == "bare":
        app = QtWidgets.QApplication(sys.argv[:1])
        window = QtWidgets.QMainWindow()
        window.resize(1100, 700)
        window.show()
        app.exec()
    else:
        from petbrowser.cli import main as petbrowser_main

        petbrowser_main(rest)
    _finish({**_result(), "exited": True})


if __name__ == "__main__":
    main(sys.argv[1:])
