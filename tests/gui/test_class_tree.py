"""The class tree model: incremental updates, statuses, badges, the filter."""

from __future__ import annotations

from datetime import datetime, timezone

from PySide6.QtCore import QModelIndex
from PySide6.QtTest import QAbstractItemModelTester

from petbrowser.core.models import ClassInfo, StatusEntry, VersionInfo
from petbrowser.gui.class_tree import (
    ClassFilterProxy,
    ClassTreeModel,
    Col,
    Role,
    format_size,
    relative_time,
)

H1, H2, H3 = "a" * 64, "b" * 64, "c" * 64


def _v(name, h, meta=True, by_ref=False, at="2026-11-27T01:00:00Z"):
    return VersionInfo(name, h, 1234, meta, by_ref, at, "ann@lab", "3.11.7", "pb1")


def _model():
    model = ClassTreeModel()
    QAbstractItemModelTester(model, QAbstractItemModelTester.FailureReportingMode.Fatal)
    return model


def test_upserts_keep_classes_sorted_and_versions_in_order():
    m = _model()
    m.upsert_class(ClassInfo("Zeta", (_v("Zeta", H1),), H1))
    m.upsert_class(ClassInfo("alpha", (_v("alpha", H2), _v("alpha", H1)), H1))
    assert m.class_names() == ["alpha", "Zeta"]
    assert m.class_index("Zeta").data(Role.STATUS) is None  # no local side known: not "remote only"
    parent = m.class_index("alpha")
    assert [m.index(r, 0, parent).data(Role.HASH) for r in range(m.rowCount(parent))] == [H2, H1]
    assert m.index(0, Col.VERSIONS).data() == "2"
    # a new version arrives: rows are replaced, the class row stays
    m.upsert_class(ClassInfo("alpha", (_v("alpha", H3), _v("alpha", H2), _v("alpha", H1)), H3))
    assert m.rowCount(m.class_index("alpha")) == 3
    assert m.class_index("alpha").data(Role.HASH) == H3
    m.retain_classes({"alpha"})
    assert m.class_names() == ["alpha"]


def test_badges_follow_pointer_status_and_inspection():
    m = _model()
    m.upsert_class(ClassInfo("A", (_v("A", H2), _v("A", H1, meta=False, by_ref=True)), H2))
    m.set_statuses([StatusEntry("A", "behind", H1, H2, "mod"), StatusEntry("New", "untracked", H3, None, "mod")])
    assert m.version_index("A", H2).data(Role.BADGES) == ["latest"]
    assert m.version_index("A", H1).data(Role.BADGES) == ["local", "by-reference", "no-metadata"]
    m.set_version_flags("A", H2, unsafe=True)
    assert "unsafe" in m.version_index("A", H2).data(Role.BADGES)
    assert m.class_index("New").data(Role.STATUS) == "untracked"
    assert m.class_index("A").data(Role.STATUS) == "behind"
    assert "Behind" in m.class_index("A").data(0x0003)  # ToolTipRole explains the status
    # the local class disappears: its row goes, the store's class stays as remote only
    m.set_statuses([])
    assert m.class_names() == ["A"]
    assert m.class_index("A").data(Role.STATUS) == "remote_only"


def test_filter_keeps_parents_of_matching_versions():
    m = _model()
    m.upsert_class(ClassInfo("Scaler", (_v("Scaler", H1),), H1))
    m.upsert_class(ClassInfo("Clipper", (_v("Clipper", H2), _v("Clipper", H3)), H2))
    proxy = ClassFilterProxy()
    proxy.setSourceModel(m)
    proxy.setFilterFixedString("bbbbbb")
    assert proxy.rowCount() == 1
    top = proxy.index(0, 0)
    assert top.data(Role.CLASS_NAME) == "Clipper" and proxy.rowCount(top) == 1
    proxy.setFilterFixedString("scal")
    assert proxy.rowCount() == 1 and proxy.rowCount(proxy.index(0, 0)) == 1  # children kept
    proxy.setFilterFixedString("")
    assert proxy.rowCount(QModelIndex()) == 2


def test_relative_time_and_sizes():
    now = datetime(2026, 11, 27, 4, 0, tzinfo=timezone.utc)
    assert relative_time("2026-11-27T01:00:00Z", now) == "3 h ago"
    assert relative_time("2026-11-27T03:59:30Z", now) == "just now"
    assert relative_time("2026-11-25T04:00:00Z", now) == "2 d ago"
    assert relative_time(None, now) == ""
    assert format_size(512) == "512 B" and format_size(2048) == "2.0 KB"


def test_a_batch_inserts_new_classes_in_one_go_and_a_repeat_inserts_nothing():
    m = _model()
    m.upsert_class(ClassInfo("Mid", (_v("Mid", H1),), H1))
    inserted: list[tuple[bool, int, int]] = []
    m.rowsInserted.connect(lambda parent, first, last: inserted.append((parent.isValid(), first, last)))
    batch = [
        ClassInfo("beta", (_v("beta", H1), _v("beta", H2)), H2),
        ClassInfo("Alpha", (_v("Alpha", H3),), H3),
        ClassInfo("zulu", (_v("zulu", H1),), H1),
        ClassInfo("Mid", (_v("Mid", H2), _v("Mid", H1)), H2),  # known: updated in place
    ]
    m.upsert_classes(batch)
    assert m.class_names() == ["Alpha", "beta", "Mid", "zulu"]
    # one insert per contiguous run of new classes, back to front (zulu after
    # Mid, then Alpha and beta before it; versions come with them), plus Mid's
    # new version list
    assert sorted(inserted) == [(False, 0, 1), (False, 1, 1), (True, 0, 1)]
    for name in ("Alpha", "beta", "Mid", "zulu"):
        index = m.class_index(name)
        assert index.data(Role.CLASS_NAME) == name
        child = m.index(0, 0, index)
        assert m.parent(child) == index  # the name -> row map follows the inserts
    assert m.rowCount(m.class_index("beta")) == 2
    inserted.clear()
    m.upsert_classes(batch)  # the final listing repeats what streamed in
    assert inserted == []
    m.retain_classes({"beta", "zulu"})
    assert m.class_names() == ["beta", "zulu"]
    assert m.parent(m.index(0, 0, m.class_index("zulu"))).row() == 1


def test_details_for_many_shown_classes_arrive_as_one_layout_change_keeping_the_selection():
    """A first open shows every class from the listing alone, then each again with
    its details (issue 16): from ``BULK_UPDATES`` classes on that is one layout
    change, versions may come back reordered, and a selected version stays selected."""
    from PySide6.QtCore import QItemSelectionModel

    m = _model()
    proxy = ClassFilterProxy()
    proxy.setSourceModel(m)
    n = ClassTreeModel.BULK_UPDATES + 3
    hashes = {i: [f"{i:02d}{k}".ljust(64, "0") for k in range(3)] for i in range(n)}
    bare = [
        ClassInfo(f"C{i:02d}", tuple(VersionInfo(f"C{i:02d}", h, 10, True) for h in hashes[i]), None)
        for i in range(n)
    ]
    m.upsert_classes(bare)
    sel = QItemSelectionModel(proxy)
    picked = proxy.index(1, 0, proxy.index(5, 0))
    assert picked.data(Role.HASH) == hashes[5][1]
    sel.setCurrentIndex(picked, QItemSelectionModel.SelectionFlag.ClearAndSelect)

    events: list[str] = []
    m.layoutChanged.connect(lambda *_: events.append("layout"))
    m.rowsRemoved.connect(lambda *_: events.append("removed"))
    m.dataChanged.connect(lambda *_: events.append("data"))
    full = [
        ClassInfo(
            c.name,
            tuple(reversed([_v(c.name, v.hash) for v in c.versions])),  # sidecar times: another order
            c.versions[0].hash,
        )
        for c in bare
    ]
    m.upsert_classes(full)
    assert events == ["layout"]
    cls = m.index(5, 0)
    assert [m.index(r, 0, cls).data(Role.HASH) for r in range(3)] == list(reversed(hashes[5]))
    assert m.index(0, Col.BY, cls).data() == "ann@lab"
    current = sel.currentIndex()
    assert current.isValid() and current.data(Role.HASH) == hashes[5][1]
    assert sel.isSelected(current)

    events.clear()
    m.upsert_classes([full[0]])  # the same again: nothing to do
    m.upsert_classes([ClassInfo(full[0].name, full[0].versions, full[0].latest, problems=("x",))])
    assert events and "layout" not in events  # one class: its rows, as before


def test_the_filter_recurses_only_while_something_is_typed():
    m = _model()
    m.upsert_class(ClassInfo("Alpha", (_v("Alpha", H1), _v("Alpha", H2)), H1))
    m.upsert_class(ClassInfo("Beta", (_v("Beta", H3),), H3))
    proxy = ClassFilterProxy()
    proxy.setSourceModel(m)
    assert not proxy.isRecursiveFilteringEnabled()
    proxy.setFilterFixedString(H3[:12])  # a version's hash: its class stays, through recursion
    assert proxy.isRecursiveFilteringEnabled()
    assert [proxy.index(r, 0).data(Role.CLASS_NAME) for r in range(proxy.rowCount())] == ["Beta"]
    proxy.setFilterFixedString("")
    assert not proxy.isRecursiveFilteringEnabled() and proxy.rowCount() == 2
