"""The window's door into core (issue 14): one hash rule, diffs computed off the UI
thread with core's notes shown, one list of recent targets."""

from __future__ import annotations

import collections
import json
import pickle
import threading

from PySide6.QtCore import QSettings, Qt

from petbrowser.core.models import SHORT_HASH
from petbrowser.gui.class_tree import Col
from petbrowser.gui.open_target import OpenTarget
from tests.gui.helpers import class_rows, open_and_wait, store_dir

WAIT = 30000


def test_one_hash_rule_in_the_tree_the_history_and_the_diff(window, demo, qtbot):
    open_and_wait(qtbot, window, OpenTarget(project_dir=str(demo)))
    norm = class_rows(window)["Normalizer"]
    latest, older = norm["latest"], next(h for h, _ in norm["versions"] if h != norm["latest"])
    cls = window.model.class_index("Normalizer")
    assert cls.siblingAtColumn(Col.LATEST).data() == latest[:SHORT_HASH]
    assert window.model.version_index("Normalizer", latest).data() == latest[:SHORT_HASH]
    with qtbot.waitSignal(window.details_updated, check_params_cb=lambda k: k == "history", timeout=WAIT):
        window.select_index(window.model.version_index("Normalizer", latest))
    to_cells = {window.details.history.item(r, 3).text() for r in range(window.details.history.rowCount())}
    assert latest[:SHORT_HASH] in to_cells
    with qtbot.waitSignal(window.details_updated, check_params_cb=lambda k: k == "diff", timeout=WAIT):
        window.select_index(window.model.version_index("Normalizer", older), extend=True)
    view = window.details.diff.view
    assert {view.left_label.text()[3:], view.right_label.text()[3:]} == {latest[:SHORT_HASH], older[:SHORT_HASH]}
    assert SHORT_HASH == 12  # the CLI's length: one rule for every place a hash is shown


def test_the_diff_is_computed_off_the_ui_thread(window, demo, qtbot, monkeypatch):
    from petbrowser.core import diff

    on_ui: list[bool] = []
    real = diff.side_by_side

    def spy(a, b):
        on_ui.append(threading.current_thread() is threading.main_thread())
        return real(a, b)

    monkeypatch.setattr(diff, "side_by_side", spy)
    open_and_wait(qtbot, window, OpenTarget(project_dir=str(demo)))
    hashes = [h for h, _ in class_rows(window)["Normalizer"]["versions"]]
    with qtbot.waitSignal(window.details_updated, check_params_cb=lambda k: k == "diff", timeout=WAIT):
        window.select_index(window.model.version_index("Normalizer", hashes[0]))
        window.select_index(window.model.version_index("Normalizer", hashes[1]), extend=True)
    view = window.details.diff.view
    view.set_mode("bytecode")
    view.set_mode("source")
    assert on_ui and not any(on_ui), "side_by_side ran on the UI thread"
    assert view.change_count() > 0


def _plant_by_reference_class(demo) -> tuple[str, str]:
    """Two LabChain-style versions that only name an importable class (no code captured)."""
    folder = store_dir(demo) / "plugins" / "Named"
    folder.mkdir(parents=True)
    a, b = "a" * 64, "b" * 64
    (folder / f"{a}.pkl").write_bytes(pickle.dumps(collections.OrderedDict, protocol=4))
    (folder / f"{b}.pkl").write_bytes(pickle.dumps(collections.Counter, protocol=4))
    (folder / "latest.json").write_text(json.dumps({"hash": b, "class_name": "Named"}))
    return a, b


def test_the_window_diff_shows_what_core_notes(window, demo, qtbot):
    """``petbrowser diff`` prints ClassDiff.notes (by reference, unsafe, digest); so does the window."""
    a, b = _plant_by_reference_class(demo)
    open_and_wait(qtbot, window, OpenTarget(project_dir=str(demo)))
    with qtbot.waitSignal(window.details_updated, check_params_cb=lambda k: k == "diff", timeout=WAIT):
        window.select_index(window.model.version_index("Named", a))
        window.select_index(window.model.version_index("Named", b), extend=True)
    view = window.details.diff.view
    assert view.class_diff.notes  # what core says...
    assert "by reference" in view.header_label.text()  # ...the window shows
    assert view.header_label.isVisibleTo(window)


def test_one_list_of_recent_targets_under_one_key(window, demo, qtbot, tmp_path):
    from petbrowser.gui.connect_dialog import ConnectDialog
    from petbrowser.gui.recent import recent_stores, recent_targets

    store = str(store_dir(demo))
    open_and_wait(qtbot, window, OpenTarget(storage=store), statuses=False)
    open_and_wait(qtbot, window, OpenTarget(project_dir=str(demo)))
    keys = [k for k in QSettings().allKeys() if "recent" in k]
    assert sorted(keys) == ["recent/last", "recent/targets"]
    assert [t.project_dir or t.storage for t in recent_targets()] == [str(demo), store]
    dlg = ConnectDialog(window.runner, window)
    qtbot.addWidget(dlg)
    offered = [dlg.recent.itemText(i) for i in range(1, dlg.recent.count())]
    assert offered == [t.description for t in recent_stores()] == [f"store {store}"]
    menu = [a.text() for a in window.recent_menu.actions()]
    assert menu == ["project", store]
    assert window.welcome.recent.count() == 2
    assert window.welcome.recent.item(1).data(Qt.ItemDataRole.UserRole) == OpenTarget(storage=store)


def test_the_old_list_of_recent_stores_is_merged_once(isolated_settings):
    from petbrowser.gui.recent import recent_stores, recent_targets

    s = QSettings()
    s.setValue("recent/targets", json.dumps([{"project_dir": "/p"}]))
    s.setValue("stores/recent", json.dumps([{"storage": "s3://team/x", "profile": "lab"}]))
    assert [t.storage for t in recent_stores()] == ["s3://team/x"]
    assert [t.project_dir or t.storage for t in recent_targets()] == ["/p", "s3://team/x"]
    assert not QSettings().contains("stores/recent")
