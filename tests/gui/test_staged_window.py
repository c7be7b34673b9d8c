"""The app's window is built in two parts: the frame paints first, the body right after.

Issue 16's first-paint goal: the frame (menus, toolbar, status bar, welcome
page) is all the first frame needs; the tree, details, Timeline and session
follow once it has painted.  These tests check that the staged window is the
same window a moment later, that nothing the user can do in between is lost,
and that the Timeline is left off the welcome page (no store, nothing to show).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QSettings

from petbrowser.gui.main_window import MainWindow
from tests.gui.test_first_paint import _Painted

WAIT = 60000


def _staged(qtbot: Any) -> MainWindow:
    w = MainWindow(staged=True)
    qtbot.addWidget(w)
    return w


def test_the_frame_paints_first_and_the_body_follows(qtbot: Any) -> None:
    w = _staged(qtbot)
    log: list[str] = []
    _Painted(w, log)
    w.built.connect(lambda: log.append("built"))
    qtbot.wait(50)
    assert not w.is_built and log == []  # not shown: nothing painted, no body
    assert w.manager is None and w.target is None and w.watched_files() == []
    # the frame is usable as it is: nothing that needs a store is offered
    a = w.actions
    assert all(not act.isEnabled() for act in (*a.store_actions(), a.undo, a.redo))
    assert a.open_project.isEnabled() and a.open_store.isEnabled() and a.open_demo.isEnabled()
    assert w.stack.currentWidget() is w.welcome
    view_entries = [act.text() for act in w.view_menu.actions()]
    assert "&Timeline" not in view_entries

    w.show()
    qtbot.waitUntil(lambda: w.is_built, timeout=WAIT)
    assert log == ["paint", "built"]
    assert w.stack.currentWidget() is w.welcome  # the body built behind the welcome page
    assert "&Timeline" in [act.text() for act in w.view_menu.actions()]  # its entries joined the View menu
    assert w.tree.model() is w.proxy and w.time_travel.dock is not None
    assert not w.time_travel.dock.isVisible()  # the welcome page: no store, no Timeline
    w.runner.shutdown(10000)


def test_opening_before_the_body_exists_builds_it_first(qtbot: Any, demo: Any) -> None:
    """A shortcut or a click in the moment between frame and body is not lost."""
    from petbrowser.gui.open_target import OpenTarget

    w = _staged(qtbot)
    assert not w.is_built
    with qtbot.waitSignal(w.listing_finished, timeout=WAIT):
        w.open_target(OpenTarget(project_dir=str(demo)))  # before any paint
    assert w.is_built and w.manager is not None
    qtbot.waitUntil(lambda: w.model.rowCount() == 5, timeout=WAIT)  # 4 in the store, 1 untracked
    w.show()
    qtbot.waitUntil(lambda: w.time_travel.dock.isVisible(), timeout=WAIT)  # a store: the Timeline shows
    w.runner.shutdown(10000)


def test_a_window_closed_before_its_body_keeps_its_geometry_and_closes_cleanly(qtbot: Any) -> None:
    w = _staged(qtbot)
    w.resize(700, 500)  # inside the offscreen screen, so restoreGeometry need not clamp
    assert not w.is_built
    w.close()  # e.g. SIGTERM right at start-up
    assert not w.is_built  # closing did not build what it would throw away
    again = MainWindow()  # the next start comes back at the same size
    qtbot.addWidget(again)
    assert (again.width(), again.height()) == (700, 500)
    again.runner.shutdown(10000)


def test_the_timeline_shows_with_a_store_as_the_user_last_left_it(qtbot: Any, demo: Any) -> None:
    from petbrowser.gui.open_target import OpenTarget

    w = MainWindow()
    qtbot.addWidget(w)
    w.show()
    dock = w.time_travel.dock
    assert not dock.isVisible()  # welcome page
    with qtbot.waitSignal(w.listing_finished, timeout=WAIT):
        w.open_target(OpenTarget(project_dir=str(demo)))
    assert dock.isVisible()  # shown at first
    w.time_travel.timeline_action.trigger()  # the user hides it (View > Timeline, Ctrl+Shift+T)
    assert not dock.isVisible()
    w.close_store()
    assert not dock.isVisible()
    with qtbot.waitSignal(w.listing_finished, timeout=WAIT):
        w.open_target(OpenTarget(project_dir=str(demo)))
    assert not dock.isVisible()  # still hidden: the user's choice, not the welcome page's
    w.time_travel.timeline_action.trigger()
    assert dock.isVisible()
    dock.close()  # the dock's own close button
    assert not dock.isVisible()
    assert QSettings().value("view/timeline") == "0"
    w.close()

    second = MainWindow()  # a later start remembers it
    qtbot.addWidget(second)
    second.show()
    with qtbot.waitSignal(second.listing_finished, timeout=WAIT):
        second.open_target(OpenTarget(project_dir=str(demo)))
    assert not second.time_travel.dock.isVisible()
    second.time_travel.timeline_action.trigger()
    second.close_store()
    with qtbot.waitSignal(second.listing_finished, timeout=WAIT):
        second.open_target(OpenTarget(project_dir=str(demo)))
    assert second.time_travel.dock.isVisible()
    for win in (w, second):
        win.runner.shutdown(10000)
