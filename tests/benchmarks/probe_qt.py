"""The Qt half of ``first_paint_probe.py``: imported only once the program under
test has imported ``PySide6.QtWidgets`` (see there), so the probe adds no Qt
import of its own before that program's."""

from __future__ import annotations

import resource
import sys
import threading
import time
from typing import Any

from probe_state import _finish, _options, _result, _state
from PySide6 import QtCore, QtWidgets

#: Modules the first frame does without (the window's body and the core's
#: models load right after it); the probe reports which were loaded by then.
WATCHED_MODULES = (
    "petbrowser.gui.class_tree",
    "petbrowser.gui.session",
    "petbrowser.gui.details",
    "petbrowser.gui.time_travel",
    "petbrowser.gui.commands",
    "petbrowser.core.models",
    "msgspec",
    # the platform check's cache file and key (~11 ms): worked out without them on Linux
    "platformdirs",
    "hashlib",
)

_Base = QtWidgets.QApplication


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
            _state["loaded_before_paint"] = [m for m in WATCHED_MODULES if m in sys.modules]
            # PySide builds a class's Python type (and all its enums) on first use:
            # QStyle's cost ~18 ms, and the system theme has no need of it at start
            _state["style_type_built"] = "QStyle" in QtWidgets.__dict__
            _state["threads_before_paint"] = threading.active_count()
            _state["spawned_before_paint"] = _state["spawned"]
            if not _options.get("tree_classes"):
                _finish(_result())
            done = getattr(window, "listing_finished", None)  # petbrowser's: every read is in
            if done is not None:
                done.connect(self._listing_done)
            self._timer = QtCore.QTimer()
            self._timer.timeout.connect(self._poll)
            self._timer.start(20)
        elif (
            _state.get("tree_complete")
            and "tree_shown" not in _state
            and isinstance(obj.parent(), QtWidgets.QTreeView)
        ):
            _state["tree_shown"] = now
            self._maybe_finish()
        return False

    def _listing_done(self) -> None:
        _state.setdefault("listing_done", time.monotonic())
        self._maybe_finish()

    def _maybe_finish(self) -> None:
        """Once the full tree has painted and, in petbrowser, its listing has ended."""
        window = _state["window"]
        if "tree_shown" in _state and ("listing_done" in _state or not hasattr(window, "listing_finished")):
            _finish(_result())

    def _poll(self) -> None:
        model = _tree_model(_state["window"])
        if model is None:
            return
        if model.rowCount() < _options["tree_classes"]:  # cheap first: the probe runs on the UI thread
            return
        classes, versions = _count(model)
        _state["tree_counts"] = [classes, versions]
        if classes >= _options["tree_classes"] and versions >= _options["tree_versions"]:
            self._timer.stop()
            _state["tree_complete"] = time.monotonic()
            for view in _state["window"].findChildren(QtWidgets.QTreeView):
                view.viewport().installEventFilter(self)
                view.viewport().update()  # a paint that shows the full model


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




def install() -> None:
    """Replace ``QApplication`` and watch main windows being shown."""
    QtWidgets.QApplication = _ProbedApplication  # type: ignore[misc]
    _watch_main_windows()
