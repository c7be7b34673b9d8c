"""The window as a first-time user meets it (issue 15, items 2-5 and 7-10).

Every test drives the real window on the demo store with pytest-qt; what a
user would see is read from the widgets themselves (geometry, texts, which
widget has focus), and what landed in the store from an independent manager.
"""

from __future__ import annotations

import threading

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QFont, QFontMetrics, QGuiApplication

from petbrowser.gui.class_tree import Col
from petbrowser.gui.details import DetailsPanel
from petbrowser.gui.open_target import OpenTarget
from tests.gui.helpers import accept_pushes, class_rows, fresh_manager, open_and_wait

WAIT = 30000


def _open(window, demo, qtbot) -> None:
    open_and_wait(qtbot, window, OpenTarget(project_dir=str(demo)))
    qtbot.waitUntil(lambda: window.tree.viewport().width() > 0)


def _select(window, qtbot, name: str, h: str | None = None, kind: str = "version") -> None:
    src = window.model.version_index(name, h) if h else window.model.class_index(name)
    with qtbot.waitSignal(window.details_updated, check_params_cb=lambda k: k == kind, timeout=WAIT):
        window.select_index(src)


def _pair(window, qtbot, name: str) -> list[str]:
    hashes = [h for h, _ in class_rows(window)[name]["versions"]]
    with qtbot.waitSignal(window.details_updated, check_params_cb=lambda k: k == "diff", timeout=WAIT):
        window.select_index(window.model.version_index(name, hashes[0]))
        window.select_index(window.model.version_index(name, hashes[1]), extend=True)
    return hashes


# ------------------------------------------------------------------ item 2: small windows
def test_at_800x600_the_class_column_keeps_its_names_and_minor_columns_hide(window, demo, qtbot):
    window.resize(800, 600)
    _open(window, demo, qtbot)
    qtbot.waitUntil(lambda: window.width() <= 800)
    tree, header = window.tree, window.tree.header()
    bold = QFont(tree.font())
    bold.setBold(True)
    need = QFontMetrics(bold).horizontalAdvance("ThresholdFilter") + tree.indentation() + 16
    assert header.sectionSize(Col.NAME) >= need, (header.sectionSize(Col.NAME), need)
    # minor columns gave way (hidden, not squeezed), the important ones stayed
    assert not header.isSectionHidden(Col.BADGES)
    hidden = [c for c in range(len(Col.HEADERS)) if header.isSectionHidden(c)]
    assert Col.SIZE in hidden and Col.PYTHON in hidden
    # what is shown fits: no horizontal scrolling, no column cut at the right edge
    visible = [c for c in range(len(Col.HEADERS)) if not header.isSectionHidden(c)]
    right = max(header.sectionViewportPosition(c) + header.sectionSize(c) for c in visible)
    assert right <= tree.viewport().width() + 1
    # wider again: the hidden columns come back
    window.resize(1440, 900)
    qtbot.waitUntil(lambda: not header.isSectionHidden(Col.SIZE), timeout=5000)


def test_at_800x600_no_tab_and_no_diff_button_is_elided(window, demo, qtbot):
    window.resize(800, 600)
    _open(window, demo, qtbot)
    _pair(window, qtbot, "Normalizer")
    bar = window.details.tabBar()
    fm = bar.fontMetrics()
    for i in range(bar.count()):
        rect = bar.tabRect(i)
        assert rect.right() <= bar.width(), (bar.tabText(i), rect, bar.width())
        assert rect.width() >= fm.horizontalAdvance(bar.tabText(i)), bar.tabText(i)
    assert not bar.usesScrollButtons()
    view = window.details.diff.view
    for button in (view.source_button, view.bytecode_button, view.unified_button, view.wrap_button,
                   view.prev_button, view.next_button):  # fmt: skip
        assert button.isVisible()
        assert button.width() >= button.sizeHint().width(), (button.text(), button.width())
    assert view.prev_button.text() == "▲ Previous" and view.next_button.text() == "▼ Next"


def test_the_header_menu_hides_a_column_and_the_next_window_remembers(window, demo, qtbot):
    window.resize(1440, 900)
    _open(window, demo, qtbot)
    header = window.tree.header()
    menu = window.tree.header_menu()
    by = next(a for a in menu.actions() if a.text() == "By")
    assert by.isChecked() and not header.isSectionHidden(Col.BY)
    assert "Class / version" not in [a.text() for a in menu.actions()]  # the name always stays
    by.trigger()
    assert header.isSectionHidden(Col.BY)
    window.close()

    from petbrowser.gui.main_window import MainWindow

    again = MainWindow()
    qtbot.addWidget(again)
    again.resize(1440, 900)
    again.show()
    assert again.tree.user_hidden == {Col.BY}
    assert again.tree.header().isSectionHidden(Col.BY)
    again.tree.header_menu().actions()[Col.BY - 1].trigger()  # shown again
    assert again.tree.user_hidden == set() and QSettings().value("window/tree-hidden-columns") == ""
    again.runner.shutdown(10000)


# ------------------------------------------------------------------ item 3: no stale pane
def test_selecting_one_version_after_a_diff_leaves_no_old_diff(window, demo, qtbot):
    _open(window, demo, qtbot)
    _pair(window, qtbot, "Normalizer")
    assert "Normalizer" in window.details.diff.title.text()
    h = class_rows(window)["ThresholdFilter"]["latest"]
    window.details.setCurrentIndex(DetailsPanel.OVERVIEW)
    _select(window, qtbot, "ThresholdFilter", h)
    panel = window.details.diff
    assert "Normalizer" not in panel.title.text() and panel.class_diff is None
    assert "ThresholdFilter" in panel.title.text()  # says what to select for this class
    # on the Diff tab, one version is compared with latest (or local) at once
    other = next(x for x, _ in class_rows(window)["ThresholdFilter"]["versions"] if x != h)
    window.details.setCurrentIndex(DetailsPanel.DIFF)
    with qtbot.waitSignal(window.details_updated, check_params_cb=lambda k: k == "diff", timeout=WAIT):
        window.select_index(window.model.version_index("ThresholdFilter", other))
    assert panel.compared == ("ThresholdFilter", other, "latest") and panel.class_diff is not None


def test_a_version_being_loaded_shows_no_code_of_the_one_before(window, demo, qtbot):
    _open(window, demo, qtbot)
    _select(window, qtbot, "Clipper", class_rows(window)["Clipper"]["latest"])
    assert "class Clipper" in window.details.source.toPlainText()
    with qtbot.waitSignal(window.details_updated, check_params_cb=lambda k: k == "version", timeout=WAIT):
        window.select_index(window.model.version_index("Normalizer", class_rows(window)["Normalizer"]["latest"]))
        assert "Clipper" not in window.details.source.toPlainText()  # at once, before the answer
        assert "Clipper" not in window.details.bytecode.toPlainText()
    assert "class Normalizer" in window.details.source.toPlainText()


def test_nothing_or_several_classes_selected_every_tab_says_what_to_select(window, demo, qtbot):
    _open(window, demo, qtbot)
    _select(window, qtbot, "Clipper", class_rows(window)["Clipper"]["latest"])
    qtbot.waitUntil(lambda: window.details.history.rowCount() > 0 or window.details.history_page.currentIndex() == 1)
    window.select_index(window.model.class_index("Clipper"))
    window.select_index(window.model.class_index("Normalizer"), extend=True)
    assert "2 rows are selected" in window.details.overview.toPlainText()
    assert "2 rows are selected" in window.details.history_page.placeholder.text()
    assert window.details.history_page.currentWidget() is window.details.history_page.placeholder
    window.tree.clearSelection()
    for text in (window.details.overview.toPlainText(), window.details.source.toPlainText(),
                 window.details.history_page.placeholder.text()):  # fmt: skip
        assert "Select a class or a version" in text
    assert "Clipper" not in window.details.diff.title.text()


def test_after_a_push_the_selection_stays_and_the_overview_is_redrawn(window, demo, qtbot, monkeypatch):
    from petbrowser.gui.commands import PushCommand

    _open(window, demo, qtbot)
    old_latest = class_rows(window)["LinearModel"]["latest"]
    _select(window, qtbot, "LinearModel", old_latest)
    assert "latest —" in window.details.overview.toPlainText()
    accept_pushes(window, monkeypatch)
    with qtbot.waitSignal(window.statuses_updated, timeout=WAIT):
        window.run(PushCommand(["LinearModel"]))  # a new version: the class's version rows are re-listed
    qtbot.waitUntil(lambda: "latest —" not in window.details.overview.toPlainText(), timeout=WAIT)
    assert window.selected() == [("version", "LinearModel", old_latest)]  # the selection survived
    assert old_latest in window.details.overview.toPlainText()  # and the overview still shows it
    assert fresh_manager(demo).resolve("LinearModel", "latest") != old_latest


# ------------------------------------------------------------------ item 4: unified, wrap
def test_the_diff_switches_to_one_wrapped_column_and_remembers_it(window, demo, qtbot):
    _open(window, demo, qtbot)
    _pair(window, qtbot, "ThresholdFilter")
    view = window.details.diff.view
    assert view.right_view.isVisible()
    window.actions.diff_unified.trigger()
    assert view.unified and not view.right_view.isVisible()
    lines = view.left_view.toPlainText().splitlines()
    assert any(x.startswith("- ") for x in lines) and any(x.startswith("+ ") for x in lines)
    assert any("threshold = 0.5" in x for x in lines) and any("threshold = 0.75" in x for x in lines)
    assert view.change_count() > 0 and view.next_change()
    window.actions.diff_wrap.trigger()
    assert view.left_view.lineWrapMode() == view.left_view.LineWrapMode.WidgetWidth
    assert QSettings().value("diff/unified") == "1" and QSettings().value("diff/wrap") == "1"
    window.actions.diff_unified.trigger()  # side by side: no wrap, the sides scroll in step
    assert view.right_view.isVisible()
    assert view.left_view.lineWrapMode() == view.left_view.LineWrapMode.NoWrap
    view.left_view.horizontalScrollBar().setMaximum(500)
    view.right_view.horizontalScrollBar().setMaximum(500)
    view.left_view.horizontalScrollBar().setValue(40)
    assert view.right_view.horizontalScrollBar().value() == 40


def test_ctrl_b_toggles_source_and_bytecode_and_enter_lands_on_the_toggle(window, demo, qtbot):
    _open(window, demo, qtbot)
    _pair(window, qtbot, "Normalizer")
    view = window.details.diff.view
    assert view.mode == "source"
    window.activateWindow()
    window.tree.setFocus()
    qtbot.keyClick(window.tree, Qt.Key.Key_B, Qt.KeyboardModifier.ControlModifier)
    assert view.mode == "bytecode"
    qtbot.keyClick(window.tree, Qt.Key.Key_B, Qt.KeyboardModifier.ControlModifier)
    assert view.mode == "source"
    # keyboard into the diff: Enter on a version row focuses the mode toggle, Space flips it
    window.tree.setCurrentIndex(window.proxy.mapFromSource(window.model.version_index(
        "Normalizer", class_rows(window)["Normalizer"]["latest"])))  # fmt: skip
    window.details.setCurrentIndex(DetailsPanel.DIFF)
    window._open_details(window.tree.currentIndex())
    assert QGuiApplication.focusObject() is view.source_button


def test_a_method_whose_inner_code_changed_is_not_listed_as_unchanged(window, demo, qtbot):
    _open(window, demo, qtbot)
    _pair(window, qtbot, "Normalizer")
    items = {}
    lst = window.details.diff.view.method_list
    for i in range(lst.count()):
        item = lst.item(i)
        items[item.data(Qt.ItemDataRole.UserRole + 1)] = (item.data(Qt.ItemDataRole.UserRole + 2), item.text())
    status, text = items["transform"]
    assert status == "changed" and "inner code changed" in text


# ------------------------------------------------------------------ items 5 and 7: confirmations
def test_make_latest_confirmation_lists_changed_attributes(window, demo, qtbot, monkeypatch):
    _open(window, demo, qtbot)
    rows = class_rows(window)["ThresholdFilter"]
    older = next(h for h, _ in rows["versions"] if h != rows["latest"])
    seen: list[str] = []
    monkeypatch.setattr(window.prompts, "confirm_move", lambda d: bool(seen.append(d.summary.text())))
    window.select_index(window.model.version_index("ThresholdFilter", older))
    window.actions.make_latest.trigger()
    qtbot.waitUntil(lambda: bool(seen), timeout=WAIT)
    assert "Attributes that change" in seen[0] and "threshold: 0.75 → 0.5" in seen[0]
    assert "Methods that change" in seen[0]
    assert fresh_manager(demo).resolve("ThresholdFilter", "latest") == rows["latest"]  # said no


def test_push_asks_first_listing_each_class_and_cancel_pushes_nothing(window, demo, qtbot, monkeypatch):
    _open(window, demo, qtbot)
    before = {n: fresh_manager(demo).resolve(n, "latest") for n in ("LinearModel", "ThresholdFilter")}
    seen: list = []
    monkeypatch.setattr(window.prompts, "confirm_push", lambda d: bool(seen.append(d)))
    window.tree.clearSelection()  # nothing selected: every class a push changes
    window.actions.push.trigger()
    qtbot.waitUntil(lambda: bool(seen), timeout=WAIT)
    dialog = seen[0]
    text = dialog.summary.text()
    names = [p.name for p in dialog.previews]
    assert names == ["LinearModel", "MovingAverage", "ThresholdFilter"]
    assert "Methods that change" in text and "threshold: 0.75 → 0.5" in text and "first version" in text
    assert dialog.ok_button.text() == "Push 3"
    qtbot.waitUntil(lambda: not window.runner.is_busy(), timeout=WAIT)
    assert {n: fresh_manager(demo).resolve(n, "latest") for n in before} == before  # cancelled: nothing moved


def test_dont_ask_again_is_remembered_for_this_store_only(window, demo, qtbot, monkeypatch):
    _open(window, demo, qtbot)
    asked: list = []

    def yes_and_dont_ask(dialog):
        asked.append(dialog)
        dialog.dont_ask.setChecked(True)
        return True

    monkeypatch.setattr(window.prompts, "confirm_push", yes_and_dont_ask)
    window.select_index(window.model.class_index("LinearModel"))
    with qtbot.waitSignal(window.statuses_updated, timeout=WAIT):
        window.actions.push.trigger()
    assert len(asked) == 1
    window.select_index(window.model.class_index("MovingAverage"))
    with qtbot.waitSignal(window.statuses_updated, timeout=WAIT):
        window.actions.push.trigger()
    assert len(asked) == 1  # not asked again for this store
    assert class_rows(window)["MovingAverage"]["status"] == "synced"
    from petbrowser.gui import settings

    assert not settings.ask_before_push(window.manager.store_url)
    assert settings.ask_before_push(window.manager.store_url + "-another")


# ------------------------------------------------------------------ items 8 and 9: keyboard, filter
def test_shift_f10_opens_the_context_menu_of_the_current_row(window, demo, qtbot):
    _open(window, demo, qtbot)
    h = class_rows(window)["Normalizer"]["latest"]
    window.select_index(window.model.version_index("Normalizer", h))
    window.activateWindow()
    window.tree.setFocus()
    with qtbot.waitSignal(window.tree.context_menu_requested, timeout=5000) as got:
        qtbot.keyClick(window.tree, Qt.Key.Key_F10, Qt.KeyboardModifier.ShiftModifier)
    row = window.tree.visualRect(window.tree.currentIndex())
    assert window.tree.viewport().mapFromGlobal(got.args[0]).y() == row.bottom()
    assert window._menu.isVisible()
    assert window.actions.make_latest in window._menu.actions() or window.actions.compare_local in window._menu.actions()
    window._menu.close()


def test_esc_clears_the_filter_no_match_says_so_and_the_selection_comes_back(window, demo, qtbot):
    _open(window, demo, qtbot)
    h = class_rows(window)["ThresholdFilter"]["latest"]
    _select(window, qtbot, "ThresholdFilter", h)
    window.activateWindow()
    window.filter_edit.setFocus()
    qtbot.keyClicks(window.filter_edit, "zzznothing")
    window.tree_filter.apply()
    assert window.proxy.rowCount() == 0
    assert window.tree_filter.no_match.isVisible() and "zzznothing" in window.tree_filter.no_match.text()
    assert window.filter_label.text() == "Filter “zzznothing”: 0 of 5 classes"
    qtbot.keyClick(window.filter_edit, Qt.Key.Key_Escape)
    assert window.filter_edit.text() == "" and not window.tree_filter.no_match.isVisible()
    assert window.filter_label.text() == ""
    qtbot.waitUntil(lambda: window.selected() == [("version", "ThresholdFilter", h)], timeout=5000)
    # a selection made while filtered stays when the filter is cleared
    qtbot.keyClicks(window.filter_edit, "Normal")
    window.tree_filter.apply()
    assert window.filter_label.text() == "Filter “Normal”: 1 of 5 classes"
    window.select_index(window.model.class_index("Normalizer"))
    window.filter_edit.clear()
    window.tree_filter.apply()
    qtbot.wait(50)
    assert window.selected() == [("class", "Normalizer", None)]


# ------------------------------------------------------------------ list 10
def test_a_message_does_not_push_the_panes_down(window, demo, qtbot):
    _open(window, demo, qtbot)
    before = window.splitter.mapTo(window, window.splitter.rect().topLeft()), window.splitter.height()
    window.message_bar.show_message("Pushed: something", level="info")
    qtbot.wait(20)
    assert window.message_bar.isVisible()
    after = window.splitter.mapTo(window, window.splitter.rect().topLeft()), window.splitter.height()
    assert after == before
    bar = window.message_bar.geometry()
    assert bar.bottom() <= window.centralWidget().height() and bar.width() > 200


def test_view_menu_names_the_toolbar_and_the_diff_options(window):
    view = next(a.menu() for a in window.menuBar().actions() if a.text() == "&View")
    texts = [a.text() for a in view.actions()]
    assert "Main" not in texts and "Show &toolbar" in texts
    assert window.actions.diff_mode in view.actions() and window.actions.diff_unified in view.actions()


def test_cancel_is_enabled_only_while_something_stoppable_runs(window, qtbot):
    assert not window.actions.cancel.isEnabled()
    gate = threading.Event()
    window.runner.submit(lambda ctx: gate.wait(10), label="Pushing", cancellable=False)
    assert not window.actions.cancel.isEnabled()  # a push cannot be stopped
    window.runner.submit(lambda ctx: gate.wait(10), label="Listing the store")
    assert window.actions.cancel.isEnabled()
    # both running operations are shown, not only the newest
    assert window.progress.label.text() == "Pushing… · Listing the store…"
    gate.set()
    qtbot.waitUntil(lambda: not window.runner.is_busy(), timeout=WAIT)
    assert not window.actions.cancel.isEnabled()


def test_copy_hash_on_a_class_row_copies_its_latest(window, demo, qtbot):
    _open(window, demo, qtbot)
    window.select_index(window.model.class_index("Clipper"))
    assert window.actions.copy_hash.isEnabled()
    window.actions.copy_hash.trigger()
    assert QGuiApplication.clipboard().text() == class_rows(window)["Clipper"]["latest"]
    window.select_index(window.model.class_index("MovingAverage"))  # untracked: no latest
    assert not window.actions.copy_hash.isEnabled()


def test_after_close_the_status_bar_names_no_store(window, demo, qtbot):
    _open(window, demo, qtbot)
    assert "store" in window.summary_label.text()
    window.actions.close_store.trigger()
    assert window.summary_label.text() == "" and window.stack.currentWidget() is window.welcome


def test_listing_is_said_once_and_the_history_table_fills_its_width(window, demo, qtbot):
    from petbrowser.gui.commands import RefreshCommand

    said: list[str] = []
    window.session.summary_changed.connect(said.append)
    _open(window, demo, qtbot)
    assert "Listing the store…" not in said  # the progress indicator says it; the summary does not
    _select(window, qtbot, "ThresholdFilter", class_rows(window)["ThresholdFilter"]["latest"])
    window.details.setCurrentIndex(DetailsPanel.HISTORY)
    table = window.details.history
    for _ in range(2):  # and again after an update
        with qtbot.waitSignal(window.details_updated, check_params_cb=lambda k: k == "history", timeout=WAIT):
            window.run(RefreshCommand())
        qtbot.wait(20)
        head = table.horizontalHeader()
        assert table.rowCount() > 0
        assert sum(head.sectionSize(c) for c in range(table.columnCount())) >= table.viewport().width() - 1
