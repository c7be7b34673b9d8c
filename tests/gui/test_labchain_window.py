"""The window on a store real LabChain wrote (issue 11): the ``ahead`` status
with its own pill and icon, the ``labchain`` scheme in the tree and the
Overview, and a ``by reference`` pill no default-width column hides."""

from __future__ import annotations

import os
import pickle
import shutil
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontMetrics

from petbrowser.gui.class_tree import STATUS_LABEL, BadgeDelegate, Col, Role
from petbrowser.gui.icons import ICON_NAMES, icon
from petbrowser.gui.open_target import OpenTarget
from tests.gui.helpers import open_and_wait
from tests.test_labchain_roundtrip import SCALER_V1, SCALER_V2, STORES, make_project, write_filters


def _labchain_project(tmp_path: Path) -> Path:
    """LabChain's by-reference store, rolled back to Scaler v1, under a project at v2."""
    root = tmp_path / "proj"
    make_project(root, 'storage = "store"\n')
    write_filters(root, 2)
    store = root / "store"
    shutil.copytree(STORES / "by_reference", store)
    scaler = store / "plugins" / "Scaler"
    base = 1_700_000_000  # v1 pushed a minute before v2
    os.utime(scaler / f"{SCALER_V1}.pkl", (base, base))
    os.utime(scaler / f"{SCALER_V2}.pkl", (base + 60, base + 60))
    (scaler / "latest.json").write_bytes(pickle.dumps({"hash": SCALER_V1, "class_name": "Scaler"}))
    return root


def test_ahead_has_its_own_pill_icon_and_words(window, qtbot, tmp_path):
    open_and_wait(qtbot, window, OpenTarget(project_dir=str(_labchain_project(tmp_path))))
    idx = window.model.class_index("Scaler").siblingAtColumn(Col.BADGES)
    assert idx.data(Role.STATUS) == "ahead"
    assert idx.data(Role.BADGES) == ["ahead"]
    assert idx.data(Qt.ItemDataRole.AccessibleTextRole) == STATUS_LABEL["ahead"] == "ahead"
    assert "Ahead" in idx.data(Qt.ItemDataRole.ToolTipRole)
    assert BadgeDelegate.COLORS["ahead"] not in (BadgeDelegate.COLORS["behind"], BadgeDelegate.COLORS["synced"])
    assert "status-ahead" in ICON_NAMES and not icon("status-ahead").isNull()
    name_idx = window.model.class_index("Scaler")
    assert name_idx.data(Qt.ItemDataRole.DecorationRole).cacheKey() == icon("status-ahead").cacheKey()
    assert "ahead" in window.model.headerData(Col.BADGES, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole)


def test_labchain_versions_show_their_scheme_and_by_reference_stays_visible(window, qtbot, tmp_path):
    open_and_wait(qtbot, window, OpenTarget(project_dir=str(_labchain_project(tmp_path))))
    v1 = window.model.version_index("Scaler", SCALER_V1)
    badges = v1.data(Role.BADGES)
    assert {"latest", "by-reference", "labchain", "no-metadata"} <= set(badges)
    assert "labchain" in v1.siblingAtColumn(Col.BADGES).data(Qt.ItemDataRole.AccessibleTextRole)

    # painted at the column's default width, with the pills' own (smaller) font
    small = QFont(window.tree.font())
    small.setPointSizeF(max(7.0, small.pointSizeF() * 0.85))
    width = window.tree.default_widths()[Col.BADGES]
    shown = [key for key, _, _ in BadgeDelegate.layout(badges, 0, width, QFontMetrics(small))]
    assert shown[0] == "by-reference" and "latest" in shown

    window.select_index(v1)
    qtbot.waitUntil(lambda: "Hash scheme" in window.details.overview.toPlainText(), timeout=30000)
    overview = window.details.overview.toPlainText()
    assert "Hash scheme" in overview and "labchain — LabChain's get_class_hash" in overview
    assert "unknown" not in overview.split("Hash scheme", 1)[1].splitlines()[0]


def test_a_by_reference_version_against_local_says_it_holds_no_code(window, qtbot, tmp_path):
    open_and_wait(qtbot, window, OpenTarget(project_dir=str(_labchain_project(tmp_path))))
    window.select_index(window.model.version_index("Scaler", SCALER_V1))
    qtbot.waitUntil(lambda: "Hash scheme" in window.details.overview.toPlainText(), timeout=30000)
    window.compare_with("local")
    view = window.details.diff.view
    qtbot.waitUntil(lambda: "holds no code" in view.empty_label.text(), timeout=30000)
    assert "it names my_filters.Scaler" in view.empty_label.text()
    assert view.summary_label.text() == "No code to compare"
    assert "Same methods" not in view.empty_label.text()
