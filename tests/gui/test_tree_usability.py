"""What a researcher sees and does in the tree: status in words, every column
visible at the default size, badges that never hide "unsafe", the keyboard
(Enter, F8), and a corrupt pointer said out loud."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QFont, QFontMetrics

from petbrowser.gui.class_tree import STATUS_LABEL, BadgeDelegate, Col, Role
from petbrowser.gui.details import DetailsPanel
from petbrowser.gui.open_target import OpenTarget
from tests.gui.helpers import open_and_wait, store_dir

DEMO_STATUS_TEXT = {
    "Normalizer": "synced",
    "ThresholdFilter": "behind",
    "LinearModel": "out of sync",
    "MovingAverage": "untracked",
    "Clipper": "remote only",
}


def _proxy_index(window, src: QModelIndex) -> QModelIndex:
    return window.proxy.mapFromSource(src)


def test_class_rows_show_their_status_as_text(window, demo, qtbot):
    open_and_wait(qtbot, window, OpenTarget(project_dir=str(demo)))
    shown = {}
    for name in DEMO_STATUS_TEXT:
        idx = window.model.class_index(name).siblingAtColumn(Col.BADGES)
        shown[name] = idx.data(Qt.ItemDataRole.AccessibleTextRole)
        tip = idx.data(Qt.ItemDataRole.ToolTipRole)
        assert tip and STATUS_LABEL[idx.data(Role.STATUS)].split()[0] in tip.lower()
    assert shown == DEMO_STATUS_TEXT
    assert window.model.headerData(Col.BADGES, Qt.Orientation.Horizontal) == "Status"
    # the words are searchable too
    window.filter_edit.setText("out of sync")
    window.tree_filter.apply()
    assert window.proxy.rowCount() == 1
    assert window.proxy.index(0, 0).data(Role.CLASS_NAME) == "LinearModel"


def test_every_column_is_visible_at_the_default_window_size(window, demo, qtbot):
    window.resize(1280, 800)
    open_and_wait(qtbot, window, OpenTarget(project_dir=str(demo)))
    qtbot.waitUntil(lambda: window.tree.viewport().width() > 0)
    header = window.tree.header()
    viewport = window.tree.viewport().width()
    right_edge = header.sectionViewportPosition(Col.SIZE) + header.sectionSize(Col.SIZE)
    assert right_edge <= viewport, (right_edge, viewport)
    assert window.tree.horizontalScrollBar().maximum() == 0
    # the name column keeps room for a real class name (bold, icon, indentation)
    bold = QFont(window.tree.font())
    bold.setBold(True)
    need = QFontMetrics(bold).horizontalAdvance("ThresholdFilter") + window.tree.indentation()
    assert header.sectionSize(Col.NAME) >= need
    # the Size column shows sizes, and they are not elided
    norm = window.model.class_index("Normalizer")
    size_text = window.model.index(0, Col.SIZE, norm).data()
    assert size_text.endswith("KB") or size_text.endswith("B")
    assert header.sectionSize(Col.SIZE) >= window.tree.fontMetrics().horizontalAdvance(size_text)


def test_unsafe_is_never_the_badge_a_narrow_column_hides():
    fm = QFontMetrics(QFont())
    badges = ["latest", "local", "no-metadata", "unsafe"]
    wide = BadgeDelegate.layout(badges, 0, 2000, fm)
    assert [k for k, _, _ in wide] == ["unsafe", "latest", "local", "no-metadata"]
    narrow_right = fm.horizontalAdvance("unsafe") + fm.horizontalAdvance("+3") + 60
    narrow = BadgeDelegate.layout(badges, 0, narrow_right, fm)
    assert narrow[0][0] == "unsafe"
    assert narrow[-1][:2] == ("more", "+3")
    for _, _, (x, w) in narrow:
        assert x + w <= narrow_right


def test_enter_expands_a_class_and_takes_a_version_into_the_details(window, demo, qtbot):
    open_and_wait(qtbot, window, OpenTarget(project_dir=str(demo)))
    window.activateWindow()
    tree = window.tree
    cls = _proxy_index(window, window.model.class_index("Normalizer"))
    tree.setFocus()
    tree.setCurrentIndex(cls)
    expanded = tree.isExpanded(cls)
    qtbot.keyClick(tree, Qt.Key.Key_Return)
    assert tree.isExpanded(cls) != expanded
    qtbot.keyClick(tree, Qt.Key.Key_Return)
    assert tree.isExpanded(cls) == expanded

    latest = window.model.class_index("Normalizer").data(Role.HASH)
    with qtbot.waitSignal(window.details_updated, timeout=30000):
        window.select_index(window.model.version_index("Normalizer", latest))
    tree.setFocus()
    qtbot.keyClick(tree, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.details.isAncestorOf(window.focusWidget()) if window.focusWidget() else False)
    assert window.details.currentIndex() == DetailsPanel.OVERVIEW


def test_f8_from_the_tree_steps_through_the_diff(window, demo, qtbot):
    open_and_wait(qtbot, window, OpenTarget(project_dir=str(demo)))
    window.activateWindow()
    norm = window.model.class_index("Normalizer")
    hashes = [window.model.index(r, 0, norm).data(Role.HASH) for r in range(window.model.rowCount(norm))]
    with qtbot.waitSignal(window.details_updated, timeout=30000, check_params_cb=lambda k: k == "diff"):
        window.select_index(window.model.version_index("Normalizer", hashes[0]))
        window.select_index(window.model.version_index("Normalizer", hashes[1]), extend=True)
    view = window.details.diff.view
    assert view.change_count() > 0
    window.tree.setFocus()
    before = view.current_change()
    qtbot.keyClick(window.tree, Qt.Key.Key_F8)
    assert view.current_change() != before
    assert window.tree.hasFocus() or window.focusWidget() is not None


def test_a_corrupt_pointer_is_reported_in_the_message_bar(window, demo, qtbot):
    (store_dir(demo) / "plugins" / "Clipper" / "latest.json").write_bytes(b"{not json")
    open_and_wait(qtbot, window, OpenTarget(project_dir=str(demo)))
    assert window.message_bar.isVisible()
    assert "Clipper" in window.message_bar.text
    assert "Clipper" in window.message_bar.detail
    assert "1 with problems" in window.summary_label.text()
    clip = window.model.class_index("Clipper").siblingAtColumn(Col.BADGES)
    assert "error" in clip.data(Qt.ItemDataRole.AccessibleTextRole)
    # the window still works: another class opens its details
    with qtbot.waitSignal(window.details_updated, timeout=30000):
        window.select_index(window.model.class_index("Normalizer"))


def test_unsafe_versions_are_badged_before_anyone_selects_them(window, demo, qtbot, tmp_path):
    from tests.gui.test_pull_and_dialogs import EVIL_HASH, _plant_hostile_version

    canary = tmp_path / "canary"
    _plant_hostile_version(demo, canary)
    open_and_wait(qtbot, window, OpenTarget(project_dir=str(demo)))
    assert not window.tree.selectionModel().hasSelection()
    qtbot.waitUntil(
        lambda: "unsafe" in (window.model.version_index("Evil", EVIL_HASH).data(Role.BADGES) or []),
        timeout=30000,
    )
    evil = window.model.class_index("Evil")
    assert "unsafe" in window.model.index(0, Col.BADGES, evil).data(Qt.ItemDataRole.AccessibleTextRole)
    # versions pushed by petbrowser (with metadata) are not walked again
    assert not window.model.knows_flags("Normalizer", window.model.class_index("Normalizer").data(Role.HASH))
    assert not canary.exists()


def test_credentials_typed_into_a_url_are_never_remembered_or_shown():
    from petbrowser.gui.messages import scrub
    from petbrowser.gui.open_target import strip_userinfo

    secret = "AKIAEXAMPLE:wJal/rXUt/nFEMI@bucket"
    assert strip_userinfo(f"s3://{secret}/team") == "s3://bucket/team"
    assert strip_userinfo("http://AKIA:se%2Fcret@127.0.0.1:9000") == "http://127.0.0.1:9000"
    assert strip_userinfo("pushed by ann@lab to s3://bucket/p") == "pushed by ann@lab to s3://bucket/p"
    t = OpenTarget(storage=f"s3://{secret}/team", endpoint_url="http://K:S@host:9000")
    assert t.to_dict() == {"storage": "s3://bucket/team", "endpoint_url": "http://host:9000"}
    assert "AKIA" not in t.label and "AKIA" not in t.description and "K:S" not in t.description
    assert scrub(f"could not list s3://{secret}/team") == "could not list s3://bucket/team"


def test_the_final_listing_does_not_repaint_what_streamed_in_unchanged():
    from petbrowser.core.models import ClassInfo, VersionInfo
    from petbrowser.gui.class_tree import ClassTreeModel

    h1, h2 = "a" * 64, "b" * 64
    info = ClassInfo(
        "A",
        tuple(VersionInfo("A", h, 10, True, False, "2026-11-27T01:00:00Z", "ann@lab", "3.11.7", "pb1") for h in (h2, h1)),
        h2,
    )
    model = ClassTreeModel()
    model.upsert_class(info)
    changes = []
    model.dataChanged.connect(lambda *a: changes.append(a))
    model.upsert_class(ClassInfo(info.name, info.versions, info.latest))  # equal, not identical
    assert changes == []
    model.upsert_class(ClassInfo(info.name, info.versions, h1))  # the pointer moved
    assert changes
    assert model.version_index("A", h1).data(Role.BADGES) == ["latest"]


def test_compare_selected_on_the_latest_itself_compares_with_local(window, demo, qtbot):
    open_and_wait(qtbot, window, OpenTarget(project_dir=str(demo)))
    latest = window.model.class_index("LinearModel").data(Role.HASH)  # out of sync: local differs
    with qtbot.waitSignal(window.details_updated, timeout=30000):
        window.select_index(window.model.version_index("LinearModel", latest))
    with qtbot.waitSignal(window.details_updated, timeout=30000, check_params_cb=lambda k: k == "diff"):
        window.actions.compare_selected.trigger()
    assert "local" in window.details.diff.title.text()
    assert window.details.diff.changed_methods()


def test_pushes_stamped_ahead_of_this_clock_read_sensibly():
    from datetime import datetime, timezone

    from petbrowser.gui.class_tree import relative_time

    now = datetime(2026, 11, 27, 12, 0, tzinfo=timezone.utc)
    assert relative_time("2026-11-27T12:01:00Z", now) == "just now"  # skew between machines
    far = relative_time("2026-12-24T12:00:00Z", now)
    assert far.startswith("2026-12-2") and len(far) == 10
