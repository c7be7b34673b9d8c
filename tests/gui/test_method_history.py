"""History of one method, from the diff's method list and the Overview (issue 17, window part).

The demo's Clipper renamed ``apply`` to ``clip`` in week 2; its history must
follow the rename, and opening a step must show that step's diff, at the method.
"""

from __future__ import annotations

from PySide6.QtGui import QTextDocument

from petbrowser.gui.open_target import OpenTarget
from tests.gui.helpers import fresh_manager, open_and_wait

WAIT = 30000


def _versions(demo, name: str) -> list[str]:
    """Hashes of ``name``, oldest pushed first."""
    return [v.hash for v in sorted(fresh_manager(demo).list_versions(name), key=lambda v: v.pushed_at or "")]


def _history_from_menu(window, qtbot, menu, method: str):
    act = next((a for a in menu.actions() if a.text() == f"History of {method}…"), None)
    assert act is not None, [a.text() for a in menu.actions()]
    with qtbot.waitSignal(window.time_travel.method_history_shown, timeout=WAIT) as blocker:
        act.trigger()
    return blocker.args[0]


def test_history_of_a_method_from_the_diff_list_follows_a_rename_and_opens_a_step(window, demo, qtbot):
    open_and_wait(qtbot, window, OpenTarget(project_dir=str(demo)))
    old, new = _versions(demo, "Clipper")
    with qtbot.waitSignal(window.details_updated, timeout=WAIT, check_params_cb=lambda k: k == "diff"):
        window.loader.compare("Clipper", old, new)
    view = window.details.diff.view
    items = [view.method_list.item(i) for i in range(view.method_list.count())]
    clip = next(i for i in items if i.text().startswith("clip"))
    menu = window.time_travel.method_menu_for_list(view.method_list.visualItemRect(clip).center())
    dialog = _history_from_menu(window, qtbot, menu, "clip")
    changes = dialog.changes()
    assert [(c.change, c.hash, c.old_name) for c in changes] == [("renamed", new, "apply"), ("added", old, None)]
    assert "Also named: apply" in dialog.info.text()
    assert [dialog.table.topLevelItem(0).text(c) for c in (0, 1, 3)] == ["renamed from apply", new[:12], "bob@lab"]
    assert not dialog.diff_button.isEnabled() or dialog.selected_change().previous == old

    # the first version has nothing before it: no diff to open
    dialog.select_row(1)
    assert not dialog.diff_button.isEnabled()
    # the rename step: its diff, scrolled to the method
    window.loader.compare("Normalizer", *_versions(demo, "Normalizer"))  # something else on screen first
    qtbot.waitUntil(lambda: view.result is not None and view.result.class_name == "Normalizer", timeout=WAIT)
    dialog.select_row(0)
    with qtbot.waitSignal(window.details_updated, timeout=WAIT, check_params_cb=lambda k: k == "diff"):
        dialog.diff_button.click()
    assert view.result.class_name == "Clipper"
    assert (view.result.a_label[:12], view.result.b_label[:12]) == (old[:12], new[:12])
    assert view.method_list.currentItem().text().startswith("clip")
    assert window.details.currentIndex() == window.details.DIFF
    dialog.close()


def test_history_of_a_method_from_the_overview_and_select_its_version(window, demo, qtbot):
    open_and_wait(qtbot, window, OpenTarget(project_dir=str(demo)))
    v1, v2 = _versions(demo, "Normalizer")
    with qtbot.waitSignal(window.details_updated, timeout=WAIT, check_params_cb=lambda k: k == "version"):
        window.select_index(window.model.version_index("Normalizer", v1))
    overview = window.details.overview
    window.details.setCurrentIndex(window.details.OVERVIEW)
    cursor = overview.document().find("transform", 0, QTextDocument.FindFlag.FindWholeWords)
    assert not cursor.isNull()
    overview.setTextCursor(cursor)
    pos = overview.cursorRect(cursor).center()
    menu = window.time_travel.method_menu_for_overview(pos)
    # a row that is not a method offers no history
    hash_cursor = overview.document().find("Pushed by")
    plain = window.time_travel.method_menu_for_overview(overview.cursorRect(hash_cursor).center())
    assert not any(a.text().startswith("History of") for a in plain.actions())

    dialog = _history_from_menu(window, qtbot, menu, "transform")
    assert [(c.change, c.hash) for c in dialog.changes()] == [("changed", v2), ("added", v1)]
    assert dialog.changes()[0].what == ("bytecode",)
    assert dialog.changes()[0].pushed_by == "carol@lab"
    dialog.select_row(0)
    dialog.select_button.click()
    assert window.selection().one_version == ("Normalizer", v2)
    dialog.close()


def test_a_method_no_version_has_says_so_in_the_dialog(window, demo, qtbot):
    open_and_wait(qtbot, window, OpenTarget(project_dir=str(demo)))
    dialog = window.time_travel.open_method_history("Clipper", "no_such_method")
    qtbot.waitUntil(lambda: "could not be read" in dialog.info.text(), timeout=WAIT)
    assert "no method 'no_such_method'" in dialog.info.text()
    assert window.message_bar.isHidden() or "no_such_method" not in window.message_bar.text
    dialog.close()
