"""The real main window, driven with pytest-qt, against a real local store.

Every test opens the demo (a project plus a store built through the real push
path) and checks what landed in the store with an independent manager.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer

from petbrowser.core.manager import PetClassManager
from petbrowser.core.storage import open_storage
from petbrowser.gui.class_tree import Role
from petbrowser.gui.open_target import OpenTarget
from tests.gui.helpers import (
    accept_pushes,
    class_rows,
    fresh_manager,
    move_store_inside,
    open_and_wait,
    store_dir,
)

DEMO_CLASSES = {"Clipper", "LinearModel", "MovingAverage", "Normalizer", "ThresholdFilter"}
WAIT = 30000


def test_tree_fills_with_classes_versions_and_statuses(window, demo, qtbot):
    open_and_wait(qtbot, window, OpenTarget(project_dir=str(demo)))
    rows = class_rows(window)
    assert set(rows) == DEMO_CLASSES
    assert {n: r["status"] for n, r in rows.items()} == {
        "Normalizer": "synced",
        "ThresholdFilter": "behind",
        "LinearModel": "out_of_sync",
        "MovingAverage": "untracked",
        "Clipper": "remote_only",
    }
    assert window.windowTitle() == "petbrowser-demo — petbrowser"
    norm = rows["Normalizer"]
    assert len(norm["versions"]) == 2
    latest_rows = [h for h, badges in norm["versions"] if "latest" in badges]
    assert latest_rows == [norm["latest"]]
    # synced: the latest version is also the local one
    assert "local" in dict(norm["versions"])[norm["latest"]]
    assert rows["MovingAverage"]["versions"] == []
    assert "5 classes" in window.summary_label.text()


def test_filter_is_recursive_and_matches_hashes(window, demo, qtbot):
    open_and_wait(qtbot, window, OpenTarget(project_dir=str(demo)))
    qtbot.keyClicks(window.filter_edit, "thresh")
    assert window.proxy.rowCount() == 1
    assert window.proxy.index(0, 0).data(Role.CLASS_NAME) == "ThresholdFilter"
    window.filter_edit.clear()
    h = class_rows(window)["Clipper"]["latest"]
    qtbot.keyClicks(window.filter_edit, h[:8])
    assert window.proxy.rowCount() == 1
    top = window.proxy.index(0, 0)
    assert top.data(Role.CLASS_NAME) == "Clipper"
    assert window.proxy.rowCount(top) == 1  # the matching version is kept under its class
    # keyboard: Enter in the filter box moves to the first match
    window.activateWindow()
    window.filter_edit.setFocus()
    from PySide6.QtCore import Qt

    qtbot.keyClick(window.filter_edit, Qt.Key.Key_Return)
    assert window.tree.currentIndex().data(Role.CLASS_NAME) == "Clipper"


def _select_versions(window, name: str, hashes: list[str]) -> None:
    for i, h in enumerate(hashes):
        window.select_index(window.model.version_index(name, h), extend=i > 0)


def test_selecting_a_version_shows_its_metadata_source_and_bytecode(window, demo, qtbot):
    open_and_wait(qtbot, window, OpenTarget(project_dir=str(demo)))
    h = class_rows(window)["Clipper"]["latest"]
    with qtbot.waitSignal(window.details_updated, check_params_cb=lambda k: k == "version", timeout=WAIT):
        _select_versions(window, "Clipper", [h])
    assert h in window.details.overview.toPlainText()
    assert "class Clipper" in window.details.source.toPlainText()
    assert "RESUME" in window.details.bytecode.toPlainText() or "LOAD_" in window.details.bytecode.toPlainText()


def test_two_selected_versions_show_their_diff(window, demo, qtbot):
    open_and_wait(qtbot, window, OpenTarget(project_dir=str(demo)))
    hashes = [h for h, _ in class_rows(window)["Normalizer"]["versions"]]
    with qtbot.waitSignal(window.details_updated, check_params_cb=lambda k: k == "diff", timeout=WAIT):
        _select_versions(window, "Normalizer", hashes)
    panel = window.details.diff
    assert window.details.currentWidget() is panel
    assert panel.class_diff is not None and panel.class_diff.has_changes
    assert {"fit", "transform/<listcomp>"} <= set(panel.changed_methods())
    assert panel.view.method_list.count() >= 2
    assert panel.view.left_view.toPlainText() != panel.view.right_view.toPlainText()


def _accept_move(window, monkeypatch) -> list:
    seen = []

    def accept(dialog):
        seen.append((dialog.from_label.text(), dialog.to_label.text(), dialog.summary.text()))
        return True

    monkeypatch.setattr(window.prompts, "confirm_move", accept)
    return seen


def test_rollback_through_confirmation_then_undo_and_redo(window, demo, qtbot, monkeypatch):
    open_and_wait(qtbot, window, OpenTarget(project_dir=str(demo)))
    rows = class_rows(window)["Normalizer"]
    old_latest = rows["latest"]
    target = next(h for h, _ in rows["versions"] if h != old_latest)
    seen = _accept_move(window, monkeypatch)

    with qtbot.waitSignal(window.statuses_updated, timeout=WAIT):
        with qtbot.waitSignal(window.operation_finished, timeout=WAIT):
            _select_versions(window, "Normalizer", [target])
            window.actions.make_latest.trigger()
    assert seen and target[:10] in seen[0][1] and old_latest[:10] in seen[0][0]
    assert "fit" in seen[0][2]  # the diff summary names the changed methods
    check = fresh_manager(demo)
    assert check.resolve("Normalizer", "latest") == target
    last = check.history("Normalizer")[-1]
    assert (last.action, last.from_hash, last.to_hash) == ("rollback", old_latest, target)
    assert class_rows(window)["Normalizer"]["latest"] == target
    assert class_rows(window)["Normalizer"]["status"] == "behind"  # local is the old latest

    assert window.actions.undo.isEnabled()
    with qtbot.waitSignal(window.statuses_updated, timeout=WAIT):
        window.actions.undo.trigger()
    assert check.resolve("Normalizer", "latest") == old_latest
    last = check.history("Normalizer")[-1]
    assert (last.action, last.from_hash, last.to_hash) == ("undo", target, old_latest)
    assert class_rows(window)["Normalizer"]["latest"] == old_latest

    assert window.actions.redo.isEnabled()
    with qtbot.waitSignal(window.statuses_updated, timeout=WAIT):
        window.actions.redo.trigger()
    assert check.resolve("Normalizer", "latest") == target
    assert check.history("Normalizer")[-1].action == "redo"


def test_conflicting_move_is_explained_refreshed_and_overwrites_nothing(window, demo, qtbot, monkeypatch):
    open_and_wait(qtbot, window, OpenTarget(project_dir=str(demo)))
    rows = class_rows(window)["ThresholdFilter"]
    seen_latest = rows["latest"]
    older = next(h for h, _ in rows["versions"] if h != seen_latest)
    # a teammate pushes a third version behind the window's back
    module = _module(demo)
    module.write_text(module.read_text().replace("if v > self.threshold]", "if v > self.threshold + 0]"))
    teammate = fresh_manager(demo)
    [pushed] = teammate.push(["ThresholdFilter"])
    assert teammate.resolve("ThresholdFilter", "latest") == pushed.hash != seen_latest
    history_before = len(teammate.history("ThresholdFilter"))

    _accept_move(window, monkeypatch)
    with qtbot.waitSignal(window.listing_finished, timeout=WAIT):
        with qtbot.waitSignal(window.error_shown, timeout=WAIT) as blocker:
            _select_versions(window, "ThresholdFilter", [older])
            window.actions.make_latest.trigger()
    from petbrowser.core.errors import ConflictError

    assert isinstance(blocker.args[0], ConflictError)
    assert window.message_bar.isVisible() and "moved" in window.message_bar.text
    assert "nothing was overwritten" in window.message_bar.hint_label.text()
    assert teammate.resolve("ThresholdFilter", "latest") == pushed.hash  # not overwritten
    assert len(teammate.history("ThresholdFilter")) == history_before
    assert class_rows(window)["ThresholdFilter"]["latest"] == pushed.hash  # view refreshed
    assert not window.actions.undo.isEnabled()  # nothing happened, nothing to undo


def test_undo_after_someone_else_moved_is_a_conflict(window, demo, qtbot, monkeypatch):
    open_and_wait(qtbot, window, OpenTarget(project_dir=str(demo)))
    rows = class_rows(window)["Normalizer"]
    old_latest = rows["latest"]
    target = next(h for h, _ in rows["versions"] if h != old_latest)
    _accept_move(window, monkeypatch)
    with qtbot.waitSignal(window.listing_finished, timeout=WAIT):
        _select_versions(window, "Normalizer", [target])
        window.actions.make_latest.trigger()
    fresh_manager(demo).move_latest("Normalizer", old_latest, expected=target)  # someone else
    fresh_manager(demo).move_latest("Normalizer", target, expected=old_latest)  # ...twice (ABA ok)
    fresh_manager(demo).move_latest("Normalizer", old_latest, expected=target)
    before = len(fresh_manager(demo).history("Normalizer"))
    with qtbot.waitSignal(window.error_shown, timeout=WAIT):
        window.actions.undo.trigger()
    assert len(fresh_manager(demo).history("Normalizer")) == before  # nothing written
    assert window.history.can_undo()  # the stack did not move


def test_push_of_an_out_of_sync_class_lands_in_the_store(window, demo, qtbot, monkeypatch):
    open_and_wait(qtbot, window, OpenTarget(project_dir=str(demo)))
    accept_pushes(window, monkeypatch)
    local_hash = window.model.status_entry("LinearModel").local_hash
    window.select_index(window.model.class_index("LinearModel"))
    assert window.actions.push.isEnabled()
    with qtbot.waitSignal(window.statuses_updated, timeout=WAIT):
        with qtbot.waitSignal(window.operation_finished, timeout=WAIT):
            window.actions.push.trigger()
    check = fresh_manager(demo)
    assert check.resolve("LinearModel", "latest") == local_hash
    assert check.history("LinearModel")[-1].action == "push"
    assert class_rows(window)["LinearModel"]["status"] == "synced"
    # only the selected class was pushed
    assert class_rows(window)["MovingAverage"]["status"] == "untracked"


def _module(demo: Path) -> Path:
    return demo / "demo_filters.py"


def test_editing_the_local_module_flips_a_status(window, demo, qtbot):
    open_and_wait(qtbot, window, OpenTarget(project_dir=str(demo)))
    assert str(_module(demo).resolve()) in window.watched_files()
    original = _module(demo).read_text()
    assert class_rows(window)["Normalizer"]["status"] == "synced"
    # in-place save
    _module(demo).write_text(original.replace("return [(v - self.mean) / self.std", "return [(v - self.mean) / (self.std + 0)"))
    qtbot.waitUntil(lambda: class_rows(window)["Normalizer"]["status"] == "out_of_sync", timeout=WAIT)
    # an editor that saves by writing a new file and renaming it over the old one
    tmp = _module(demo).with_suffix(".tmp")
    tmp.write_text(original)
    os.replace(tmp, _module(demo))
    qtbot.waitUntil(lambda: class_rows(window)["Normalizer"]["status"] == "synced", timeout=WAIT)
    # and the watch survived the rename
    _module(demo).write_text(original + "\n\nclass Extra:\n    pass\n")
    qtbot.waitUntil(lambda: class_rows(window).get("Extra", {}).get("status") == "untracked", timeout=WAIT)


def test_a_module_that_fails_to_import_shows_an_error_and_recovers(window, demo, qtbot):
    open_and_wait(qtbot, window, OpenTarget(project_dir=str(demo)))
    original = _module(demo).read_text()
    with qtbot.waitSignal(window.error_shown, timeout=WAIT):
        _module(demo).write_text(original + "\nraise RuntimeError('boom at import')\n")
    assert window.message_bar.isVisible()
    assert "Checking local classes" in window.message_bar.text
    with qtbot.waitSignal(window.statuses_updated, timeout=WAIT):
        _module(demo).write_text(original)
    assert class_rows(window)["Normalizer"]["status"] == "synced"


def test_a_missing_store_shows_an_error_and_the_window_still_works(window, demo, tmp_path, qtbot):
    with qtbot.waitSignal(window.error_shown, timeout=WAIT) as blocker:
        window.open_target(OpenTarget(storage=str(tmp_path / "no-such-store")))
    assert window.message_bar.isVisible()
    assert "does not exist" in window.message_bar.text
    assert blocker.args[0].exit_code == 1
    # still usable: another store opens and lists
    open_and_wait(qtbot, window, OpenTarget(project_dir=str(demo)))
    assert set(class_rows(window)) == DEMO_CLASSES


def test_a_corrupt_pointer_is_reported_on_its_class_only(window, demo, qtbot):
    (store_dir(demo) / "plugins" / "Clipper" / "latest.json").write_bytes(b"{not json")
    open_and_wait(qtbot, window, OpenTarget(project_dir=str(demo)))
    rows = class_rows(window)
    assert set(rows) == DEMO_CLASSES
    idx = window.model.class_index("Clipper")
    assert "error" in idx.data(Role.BADGES)
    assert "latest.json" in idx.data(Role.CLASS_INFO).problems[0] or idx.data(Role.CLASS_INFO).problems
    assert rows["Normalizer"]["status"] == "synced"


class SlowStorage:
    """Wraps a real storage; ``list()`` takes several seconds, yielding slowly."""

    def __init__(self, inner, delay: float) -> None:
        self._inner = inner
        self._delay = delay
        self.url = inner.url

    def list(self, prefix):
        items = list(self._inner.list(prefix))
        step = self._delay / max(len(items), 1)
        for obj in items:
            time.sleep(step)
            yield obj

    def __getattr__(self, name):
        return getattr(self._inner, name)


def test_slow_listing_never_blocks_the_ui_thread(window, demo, qtbot):
    storage = SlowStorage(open_storage(str(store_dir(demo))), delay=3.0)
    manager = PetClassManager(storage, None)
    ticks: list[float] = []
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(lambda: ticks.append(time.monotonic()))
    timer.start()
    try:
        with qtbot.waitSignal(window.listing_finished, timeout=WAIT):
            window.open_manager(manager, OpenTarget(storage=storage.url))
            # the status bar says what is running, with a Cancel button
            qtbot.waitUntil(window.progress.isVisible, timeout=WAIT)
            assert "Listing the store" in window.progress.label.text()
    finally:
        timer.stop()
    gaps = [b - a for a, b in zip(ticks, ticks[1:], strict=False)]
    assert ticks[-1] - ticks[0] > 2.5  # the listing really was slow
    assert max(gaps) < 0.5, f"UI thread blocked for {max(gaps):.3f}s"
    assert set(class_rows(window)) == DEMO_CLASSES - {"MovingAverage"}


def test_a_slow_listing_can_be_cancelled(window, demo, qtbot):
    storage = SlowStorage(open_storage(str(store_dir(demo))), delay=2.0)
    finished = []
    window.listing_finished.connect(lambda: finished.append(True))
    window.open_manager(PetClassManager(storage, None), OpenTarget(storage=storage.url))
    qtbot.waitUntil(lambda: window.runner.is_busy(), timeout=WAIT)
    assert window.actions.cancel.isEnabled()
    window.actions.cancel.trigger()
    assert not window.actions.cancel.isEnabled()  # the UI lets go at once
    assert not window.progress.isVisible()
    qtbot.waitUntil(lambda: not window.runner.active, timeout=WAIT)  # the worker winds down
    assert not finished  # its late result was dropped
    assert window.model.rowCount() == 0


def test_selection_and_layout_are_remembered(qtbot, demo):
    from petbrowser.gui.main_window import MainWindow

    first = MainWindow()
    qtbot.addWidget(first)
    first.resize(720, 520)  # inside the offscreen screen, so restoreGeometry need not clamp
    first.show()
    qtbot.waitExposed(first)
    open_and_wait(qtbot, first, OpenTarget(project_dir=str(demo)))
    h = class_rows(first)["Normalizer"]["latest"]
    first.select_index(first.model.version_index("Normalizer", h))
    first.splitter.setSizes([250, 450])
    sizes = first.splitter.sizes()
    assert sizes[0] < sizes[1]
    first.close()

    from petbrowser.gui.app import build_window

    class Args:
        project_dir = None
        storage = None
        demo = False
        endpoint_url = profile = region = None

    second = build_window(Args())  # no arguments: the last project
    qtbot.addWidget(second)
    second.show()
    qtbot.waitExposed(second)
    qtbot.waitUntil(lambda: second.selected() == [("version", "Normalizer", h)], timeout=WAIT)
    assert second.size() == first.size()
    assert second.splitter.sizes() == sizes
    second.runner.shutdown(10000)


def test_welcome_view_without_anything_to_open(qtbot):
    from petbrowser.gui.app import build_window

    class Args:
        project_dir = None
        storage = None
        demo = False
        endpoint_url = profile = region = None

    w = build_window(Args())
    qtbot.addWidget(w)
    assert w.stack.currentWidget() is w.welcome
    assert not w.actions.refresh.isEnabled()
    assert w.windowTitle() == "petbrowser"


@pytest.mark.parametrize("mode", ["dark", "light"])
def test_theme_override_from_the_view_menu(window, mode, qapp):
    from petbrowser.gui.theme import is_dark

    window.actions.theme_actions[mode].trigger()
    assert is_dark(qapp.palette()) == (mode == "dark")
    window.actions.theme_actions["system"].trigger()


def test_compare_with_local_shows_what_the_local_edit_changed(window, demo, qtbot):
    open_and_wait(qtbot, window, OpenTarget(project_dir=str(demo)))
    latest = window.model.status_entry("LinearModel").latest
    window.select_index(window.model.version_index("LinearModel", latest))
    assert window.actions.compare_local.isEnabled()
    assert not window.actions.compare_latest.isEnabled()  # it is latest already
    with qtbot.waitSignal(window.details_updated, check_params_cb=lambda k: k == "diff", timeout=WAIT):
        window.actions.compare_local.trigger()
    panel = window.details.diff
    assert panel.class_diff.has_changes and panel.changed_methods()
    assert "local" in panel.title.text()


def test_a_project_without_a_store_setting_offers_the_stores_inside(window, demo, qtbot, monkeypatch):
    inside = move_store_inside(demo, monkeypatch)
    offered = []
    monkeypatch.setattr(window.prompts, "choose_store", lambda d, stores: offered.append(stores) or stores[0])
    open_and_wait(qtbot, window, OpenTarget(project_dir=str(demo)))
    assert offered == [[str(inside)]]
    assert set(class_rows(window)) == DEMO_CLASSES


class StaggeredStorage:
    """Reads of class number i take i * step seconds: classes complete one by one."""

    def __init__(self, inner, order: list[str], step: float) -> None:
        self._inner = inner
        self._delay = {name: i * step for i, name in enumerate(order)}
        self.url = inner.url

    def _wait(self, key: str) -> None:
        parts = key.split("/")
        if len(parts) > 1:
            time.sleep(self._delay.get(parts[1], 0.0))

    def read(self, key):
        self._wait(key)
        return self._inner.read(key)

    def read_with_token(self, key):
        self._wait(key)
        return self._inner.read_with_token(key)

    def __getattr__(self, name):
        return getattr(self._inner, name)


def test_the_reads_wait_until_every_provisional_class_is_in_the_tree(window, qtbot, tmp_path, monkeypatch):
    """A window that catches up with a listing still handing classes over must not
    let the reads start then: they held up drawing the rest of the tree by up to a
    second (issue 16).  ``shown`` is set once the last provisional class is drawn."""
    from petbrowser.core.store import Store
    from petbrowser.gui.workers import TaskContext
    from tests.test_listing_performance_fixes import _store_with

    _store_with(tmp_path, classes=12, versions=2)
    monkeypatch.setattr(Store, "WAIT_BEFORE_READS", 1)  # a big store's wait, on a small one
    handing = TaskContext.partial

    def slowly(self, item):  # the window drains and paints between two classes
        time.sleep(0.06)
        handing(self, item)

    monkeypatch.setattr(TaskContext, "partial", slowly)
    storage = open_storage(str(tmp_path / "store"))
    at_first_read: list[int] = []
    reading = storage.read

    def read(key):
        if key.endswith(".meta.json") and not at_first_read:
            at_first_read.append(len(window.model.class_names()))  # a plain list, read from the reader
        return reading(key)

    storage.read = read
    with qtbot.waitSignal(window.listing_finished, timeout=WAIT):
        window.open_manager(PetClassManager(storage, None), OpenTarget(storage=storage.url))
    assert at_first_read == [12]
    assert window.model.rowCount() == 12


def test_every_class_shows_at_once_and_its_details_as_they_are_read(window, demo, qtbot):
    """A first open shows the whole tree from the listing alone; who pushed each
    version fills in as its sidecar is read (issue 16: 20,000 versions on screen
    before 20,000 reads, not after)."""
    order = ["Clipper", "LinearModel", "Normalizer", "ThresholdFilter"]
    storage = StaggeredStorage(open_storage(str(store_dir(demo))), order, step=0.4)
    model = window.model

    def pushers(name: str) -> list[str | None]:
        cls = model.class_index(name)
        return [model.index(r, 0, cls).data(Role.VERSION).pushed_by for r in range(model.rowCount(cls))]

    with qtbot.waitSignal(window.listing_finished, timeout=WAIT):
        window.open_manager(PetClassManager(storage, None), OpenTarget(storage=storage.url))
        qtbot.waitUntil(lambda: model.rowCount() == len(order), timeout=WAIT)
        last = pushers("ThresholdFilter")
        assert last and set(last) == {None}  # every version shown, its sidecar not read yet
    assert model.class_names() == order
    for name in order:
        assert None not in pushers(name)  # then every detail arrived
