"""Live updates: the window notices what another process pushes and moves (issue 17, window part).

Another process (the real CLI, in a subprocess) pushes while the window is
open: the tree shows the new version and latest after the next poll, keeps
the selected row and the row at its top, the status bar says what changed,
and the Timeline shows the move.  Polling pauses while the window is hidden
and does not report the window's own moves.  On disk and on S3 (moto).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint

from petbrowser.core.storage import open_storage
from petbrowser.gui.class_tree import Role
from petbrowser.gui.live_updates import load_interval
from petbrowser.gui.open_target import OpenTarget
from tests.gui.helpers import class_rows, fresh_manager, make_older_latest, open_and_wait, store_dir

WAIT = 60000


@pytest.fixture(params=["local", "s3"])
def where(request, demo):
    """(project, OpenTarget, extra CLI flags, manager kwargs) on each backend."""
    if request.param == "local":
        return demo, OpenTarget(project_dir=str(demo)), [], {}
    s3_url, endpoint = request.getfixturevalue("s3_url"), request.getfixturevalue("s3_endpoint")
    local = open_storage(str(store_dir(demo)))
    remote = open_storage(s3_url, endpoint_url=endpoint)
    for obj in local.list("plugins/"):
        remote.create(obj.key, local.read(obj.key))
    flags = ["--storage", s3_url, "--endpoint-url", endpoint]
    return demo, OpenTarget(project_dir=str(demo), storage=s3_url, endpoint_url=endpoint), flags, {
        "storage": s3_url, "endpoint_url": endpoint,
    }  # fmt: skip


def _cli(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    out = subprocess.run([sys.executable, "-m", "petbrowser", *args], capture_output=True, text=True, timeout=180, env=env)
    assert out.returncode == 0, out.stderr
    return out


def _start(window, qtbot, target, interval: int = 1) -> None:
    window.session.live.set_interval(interval)
    open_and_wait(qtbot, window, target, statuses=target.project_dir is not None)
    qtbot.waitUntil(lambda: window.session.live.polls >= 1, timeout=WAIT)  # the baseline is taken


def _row_at_top(window):
    idx = window.tree.indexAt(QPoint(1, 1))
    return idx.data(Role.CLASS_NAME), idx.data(Role.HASH), idx.data(Role.KIND)


def test_a_push_by_another_process_shows_within_a_poll_and_keeps_selection_and_scroll(window, where, qtbot):
    demo, target, flags, kw = where
    _start(window, qtbot, target)
    live = window.session.live
    older = class_rows(window)["LinearModel"]["latest"]
    with qtbot.waitSignal(window.details_updated, timeout=WAIT, check_params_cb=lambda k: k == "version"):
        window.select_index(window.model.version_index("LinearModel", older))
    window.tree.setMaximumHeight(140)  # the demo is small: a short tree scrolls
    qtbot.waitUntil(lambda: window.tree.verticalScrollBar().maximum() > 0, timeout=WAIT)
    window.tree.scrollToBottom()
    qtbot.waitUntil(lambda: window.tree.verticalScrollBar().value() > 0, timeout=WAIT)
    top = _row_at_top(window)
    seen: list[int] = []
    window.session.store_changed.connect(lambda changes: seen.append(live.polls))

    _cli("push", "LinearModel", "--project", str(demo), *flags)  # another process, the real CLI
    polls_after_push = live.polls
    new = fresh_manager(demo, **kw).resolve("LinearModel", "latest")
    assert new != older

    qtbot.waitUntil(
        lambda: class_rows(window)["LinearModel"]["latest"] == new
        and len(class_rows(window)["LinearModel"]["versions"]) == 3,
        timeout=WAIT,
    )
    # noticed by the first poll after the push (or the second, if one was already under way)
    assert seen and seen[0] - polls_after_push <= 2
    assert window.selection().one_version == ("LinearModel", older)  # the selection stayed
    qtbot.waitUntil(lambda: _row_at_top(window) == top, timeout=WAIT)  # and so did the row on top
    message = window.statusBar().currentMessage()
    assert message.startswith(f"LinearModel: latest moved to {new[:12]} (was {older[:12]}) by ")
    assert "(push)" in message and "ago" in message
    # the timeline too
    dock = window.time_travel.dock
    qtbot.waitUntil(lambda: dock.model.entries() and dock.model.entries()[0].to_hash == new, timeout=WAIT)
    assert dock.model.entries()[0].action == "push"


def test_polling_pauses_while_the_window_is_hidden(window, demo, qtbot):
    _start(window, qtbot, OpenTarget(project_dir=str(demo)))
    live = window.session.live
    live.set_interval(0)  # from here on, polls happen only when asked
    qtbot.waitUntil(lambda: not any(t.label.startswith("Checking the store") for t in window.runner.active), timeout=WAIT)
    listings = live.watcher.listings
    window.hide()
    live.tick()
    assert not any(t.label.startswith("Checking the store") for t in window.runner.active)
    assert live.watcher.listings == listings  # nobody looking: not even one listing
    with qtbot.waitSignal(live.polled, timeout=WAIT):
        window.show()  # back on screen: the skipped poll happens at once
    assert live.watcher.listings == listings + 1


def test_the_windows_own_moves_are_not_reported_as_someone_elses(window, demo, qtbot, monkeypatch):
    _start(window, qtbot, OpenTarget(project_dir=str(demo)))
    live = window.session.live
    live.set_interval(0)
    told: list = []
    window.session.store_changed.connect(told.append)
    old, new = make_older_latest(window, qtbot, monkeypatch, "ThresholdFilter")
    qtbot.waitUntil(lambda: not any(t.label.startswith("Checking the store") for t in window.runner.active), timeout=WAIT)
    with qtbot.waitSignal(live.polled, timeout=WAIT) as blocker:
        live.tick()
    assert blocker.args == [0] and told == []
    # the same pointer moved back by someone else is news
    fresh_manager(demo).move_latest("ThresholdFilter", old, expected=new)
    with qtbot.waitSignal(live.polled, timeout=WAIT) as blocker:
        live.tick()
    assert blocker.args == [1] and told and told[0][0].class_name == "ThresholdFilter"
    assert window.statusBar().currentMessage().startswith(f"ThresholdFilter: latest moved to {old[:12]}")


def test_the_interval_is_a_setting_of_the_view_menu(window, demo, qtbot):
    live = window.session.live
    view_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&View")
    assert window.time_travel.live_menu.menuAction() in view_menu.actions()
    window.time_travel.live_actions[30].trigger()
    assert live.interval == 30 and load_interval() == 30
    open_and_wait(qtbot, window, OpenTarget(project_dir=str(demo)))
    assert live.running and live._timer.interval() == 30000
    window.time_travel.live_actions[0].trigger()
    assert not live.running and load_interval() == 0


def test_a_poll_that_cannot_list_the_store_says_so_in_one_line_and_tries_again(window, demo, qtbot, tmp_path):
    store = tmp_path / "store-copy"
    shutil.copytree(store_dir(demo), store)
    _start(window, qtbot, OpenTarget(storage=str(store)))
    live = window.session.live
    live.set_interval(0)
    shutil.rmtree(store)  # the store goes away under the open window
    with qtbot.waitSignal(live.failed, timeout=WAIT):
        live.tick()
    message = window.statusBar().currentMessage()
    assert message.startswith("Live updates: the store could not be listed (") and "Traceback" not in message
    assert "\n" not in message
    store.mkdir()
    shutil.copytree(store_dir(demo) / "plugins", store / "plugins")
    with qtbot.waitSignal(live.polled, timeout=WAIT):
        live.tick()  # the next poll works again
