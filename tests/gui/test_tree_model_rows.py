"""The tree model's compact rows (issue 16): a 20,000-version store is held
without an object per version row, version indexes survive rows moving
around them, and the filter proxy still finds versions by hash."""

from __future__ import annotations

import gc
import hashlib

from PySide6.QtCore import QPersistentModelIndex
from PySide6.QtTest import QAbstractItemModelTester

from petbrowser.core.models import ClassInfo, VersionInfo
from petbrowser.gui.class_tree import ClassFilterProxy, ClassTreeModel, Col, Role


def _h(*parts: object) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def _class(name: str, versions: int) -> ClassInfo:
    vs = tuple(
        VersionInfo(name, _h(name, i), 100 + i, True, False, f"2026-01-{i % 28 + 1:02d}T00:00:00Z", "ann@lab", "3.11.7", "pb1")
        for i in range(versions)
    )
    return ClassInfo(name, vs, vs[0].hash)


def test_a_big_store_adds_no_object_per_version_row(qapp):
    classes = [_class(f"C{i:04d}", 20) for i in range(1000)]
    model = ClassTreeModel()
    gc.collect()
    before = len(gc.get_objects())
    for i in range(0, len(classes), 40):
        model.upsert_classes(classes[i : i + 40])
    gc.collect()
    grown = len(gc.get_objects()) - before
    # one small node per class (plus the name map); 20,000 versions add nothing
    assert grown < 3 * len(classes), grown
    assert sum(model.rowCount(model.index(r, 0)) for r in range(model.rowCount())) == 20_000
    last = model.index(19, 0, model.class_index("C0999"))
    assert last.data(Role.HASH) == _h("C0999", 19) and last.parent() == model.class_index("C0999")


def test_version_indexes_follow_their_class_when_rows_move(qapp):
    model = ClassTreeModel()
    QAbstractItemModelTester(model, QAbstractItemModelTester.FailureReportingMode.Fatal)
    model.upsert_classes([_class("Mid", 3), _class("Zed", 2)])
    kept = QPersistentModelIndex(model.version_index("Mid", _h("Mid", 2)))
    model.upsert_classes([_class("Alpha", 4), _class("Beta", 1)])  # two rows above "Mid"
    assert model.class_names() == ["Alpha", "Beta", "Mid", "Zed"]
    assert kept.isValid() and kept.data(Role.HASH) == _h("Mid", 2)
    assert kept.parent().row() == 2 and kept.parent().data(Role.CLASS_NAME) == "Mid"
    model.retain_classes({"Mid", "Zed"})  # rows above it go away again
    assert kept.isValid() and kept.parent().row() == 0
    model.retain_classes({"Zed"})
    assert not kept.isValid()
    assert model.data(model.index(0, Col.NAME), 0x0008) is None  # BackgroundRole: not ours


def test_the_filter_still_finds_a_version_by_its_hash(qapp):
    model = ClassTreeModel()
    proxy = ClassFilterProxy()
    proxy.setSourceModel(model)
    model.upsert_classes([_class(f"C{i}", 5) for i in range(30)])
    wanted = _h("C17", 3)
    proxy.setFilterFixedString(wanted[:12])
    assert proxy.rowCount() == 1
    parent = proxy.index(0, 0)
    assert parent.data(Role.CLASS_NAME) == "C17"
    assert [proxy.index(r, 0, parent).data(Role.HASH) for r in range(proxy.rowCount(parent))] == [wanted]
