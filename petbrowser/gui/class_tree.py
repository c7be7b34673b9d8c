"""The tree of classes and their versions: model, filter proxy, view.

The model holds what the core reported (``ClassInfo``, ``StatusEntry``,
inspection flags) and exposes it through roles; the view and its badge
delegate only render.  Updates are incremental (one batch of classes at a
time, as the listing streams in) so a refresh keeps selection and expansion.
"""

from __future__ import annotations

import heapq
from bisect import bisect_left
from typing import Any

from PySide6.QtCore import (
    QAbstractItemModel,
    QModelIndex,
    QPersistentModelIndex,
    QRect,
    QSize,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QFont, QFontDatabase, QFontMetrics, QIcon, QKeyEvent, QPainter
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTreeView,
    QWidget,
)

from petbrowser.core.models import ClassInfo, StatusEntry, VersionInfo
from petbrowser.gui.format import SHORT_HASH, format_size, local_time, relative_time, short_hash
from petbrowser.gui.icons import icon

__all__ = [
    "BADGE_TEXT",
    "STATUS_LABEL",
    "ClassFilterProxy",
    "ClassTreeModel",
    "ClassTreeView",
    "Col",
    "Role",
    "badge_label",
    "format_size",
    "relative_time",
    "short_hash",
]

SHORT = SHORT_HASH  # the one rule (core.models.short_hash): sizes the Latest column


class Role:
    """Item data roles beyond Qt's own: what delegates, tests and actions read."""

    KIND = Qt.ItemDataRole.UserRole + 1  # "class" | "version"
    CLASS_NAME = Qt.ItemDataRole.UserRole + 2
    HASH = Qt.ItemDataRole.UserRole + 3  # version hash (versions), latest (classes)
    STATUS = Qt.ItemDataRole.UserRole + 4  # status string or None
    BADGES = Qt.ItemDataRole.UserRole + 5  # list of badge keys
    VERSION = Qt.ItemDataRole.UserRole + 6  # VersionInfo
    CLASS_INFO = Qt.ItemDataRole.UserRole + 7  # ClassInfo or None
    STATUS_ENTRY = Qt.ItemDataRole.UserRole + 8  # StatusEntry or None
    FILTER_TEXT = Qt.ItemDataRole.UserRole + 9


class Col:
    NAME, BADGES, LATEST, VERSIONS, PUSHED, BY, PYTHON, SIZE = range(8)
    HEADERS = ("Class / version", "Status", "Latest", "#", "Pushed", "By", "Python", "Size")
    LAST = SIZE


#: Badge key -> (label, tooltip).  Icons come from ``icons.icon(key)``.
BADGE_TEXT: dict[str, tuple[str, str]] = {
    "latest": ("latest", "The store's 'latest' pointer names this version"),
    "local": ("= local", "Your local class has exactly this hash"),
    "by-reference": (
        "by reference",
        "Pickled by reference: the .pkl only names module.Class, no code was captured",
    ),
    "no-metadata": (
        "no metadata",
        "No .meta.json sidecar (written by LabChain): details come from a static walk of the pickle",
    ),
    "unsafe": ("unsafe", "Loading this pickle would call something beyond cloudpickle's rebuilding"),
    "labchain": (
        "labchain",
        "Named by LabChain's hash scheme (its get_class_hash), so LabChain's check_status can agree",
    ),
}

#: Status key -> the short text its pill shows (the icon alone is not enough:
#: colour-blind users, screenshots, screen readers).
STATUS_LABEL: dict[str, str] = {
    "synced": "synced",
    "behind": "behind",
    "ahead": "ahead",
    "out_of_sync": "out of sync",
    "untracked": "untracked",
    "remote_only": "remote only",
    "error": "error",
}

STATUS_TEXT: dict[str, str] = {
    "synced": "Synced: your local class is the store's latest version",
    "behind": "Behind: your local class is an older version of the store, not latest",
    "ahead": "Ahead: your local class is a version pushed after latest (latest was rolled back); "
    "push or make it latest to move forward",
    "out_of_sync": "Out of sync: your local class is not in the store yet (push it)",
    "untracked": "Untracked: this local class has never been pushed",
    "remote_only": "Remote only: in the store, not in your project's modules",
}


class _ClassNode:
    """One class row.  Its version rows are ``versions`` (the listing's own
    ``VersionInfo`` tuple): no object per version row, children exist only
    as indexes (internal id = the class's ``uid``, which never changes while
    the node lives, so a version index survives rows moving around it)."""

    __slots__ = ("name", "info", "status", "versions", "uid")

    def __init__(self, name: str, uid: int, info: ClassInfo | None = None) -> None:
        self.name = name
        self.uid = uid
        self.info = info
        self.status: StatusEntry | None = None
        self.versions: tuple[VersionInfo, ...] = info.versions if info is not None else ()


class ClassTreeModel(QAbstractItemModel):
    """Two levels: classes (sorted by name), their versions (newest first).

    Why the rows are this lean: a 20,000-version store is shown whole, and
    ``index``/``parent``/``data``/``flags`` run for every cell the view or
    the filter proxy touches on every repaint (docs/performance.md).  Class
    rows are small slot objects; version rows are the listing's own
    ``VersionInfo`` plus what inspection learnt (``_flags``, by class and
    hash); ``data`` answers the roles it does not use with one set lookup.
    """

    classes_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._classes: list[_ClassNode] = []
        #: name -> row in ``_classes``: parent() runs for every version index
        #: the proxy maps, so a linear search there made a 20,000-version fill quadratic.
        self._rows: dict[str, int] = {}
        self._by_uid: dict[int, _ClassNode] = {}  # a version index's internal id -> its class
        self._next_uid = 1  # 0 is the internal id of class rows
        self._flags: dict[tuple[str, str], dict[str, bool | str | None]] = {}
        #: Whether local statuses were computed: until then (or with no project)
        #: a store class is not "remote only", its status is simply unknown.
        self._local_known = False
        self._mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        # built once: data() runs for every visible cell on every repaint
        self._bold = QFont()
        self._bold.setBold(True)
        self._mono_bold = QFont(self._mono)
        self._mono_bold.setBold(True)

    # ---------------------------------------------------------- updates
    def clear(self) -> None:
        self.beginResetModel()
        self._classes = []
        self._rows = {}
        self._by_uid = {}
        self._flags = {}
        self._local_known = False
        self.endResetModel()
        self.classes_changed.emit()

    def class_names(self) -> list[str]:
        return [c.name for c in self._classes]

    def has_class(self, name: str) -> bool:
        return name in self._rows

    def _find(self, name: str) -> int:
        return self._rows.get(name, -1)

    def _reindex(self) -> None:
        """Rebuild the name -> row map after rows were inserted or removed."""
        self._rows = {c.name: i for i, c in enumerate(self._classes)}

    def _insert_row(self, name: str) -> int:
        """Where a new class ``name`` goes: classes stay sorted by lower-cased name."""
        return bisect_left(self._classes, name.lower(), key=lambda c: c.name.lower())

    def _node(self, name: str, info: ClassInfo | None = None) -> _ClassNode:
        node = _ClassNode(name, self._next_uid, info)
        self._by_uid[node.uid] = node
        self._next_uid += 1
        return node

    def _drop(self, row: int) -> None:
        """Remove class row ``row`` (the caller wraps it in begin/endRemoveRows)."""
        node = self._classes.pop(row)
        self._by_uid.pop(node.uid, None)
        self._reindex()

    def _ensure_class(self, name: str) -> int:
        row = self._find(name)
        if row >= 0:
            return row
        row = self._insert_row(name)
        self.beginInsertRows(QModelIndex(), row, row)
        self._classes.insert(row, self._node(name))
        self._reindex()
        self.endInsertRows()
        return row

    def upsert_class(self, info: ClassInfo) -> None:
        """Add or update one class as the listing streams in."""
        self.upsert_classes([info])

    def upsert_classes(self, infos: list[ClassInfo]) -> None:
        """Add or update a batch of classes as the listing streams in.

        New classes are inserted with their versions already attached, one
        ``beginInsertRows`` per contiguous run of new rows (a sorted stream
        gives one per batch), so the view and proxy see one insert per batch
        instead of two per class; known classes are updated in place so a
        refresh keeps selection and expansion.
        """
        new: dict[str, ClassInfo] = {}
        known: dict[int, ClassInfo] = {}
        for info in infos:
            if info.name in self._rows:
                known[self._rows[info.name]] = info  # a repeated name: the last one wins
            else:
                new[info.name] = info  # a repeated name: the last one wins, as before
        same = {
            row: info
            for row, info in known.items()
            if (node := self._classes[row]).info is not info
            and node.info != info
            and len(info.versions) == len(node.versions)
            and {v.hash for v in info.versions} == {v.hash for v in node.versions}
        }
        bulk = same if len(same) >= self.BULK_UPDATES else {}
        if bulk:
            self._update_in_place(bulk)
        for row, info in known.items():
            if row not in bulk:
                self._update_class(row, info)
        if not new:
            return
        nodes = sorted((self._node(name, info) for name, info in new.items()), key=lambda n: n.name.lower())
        # group the new nodes by where they land; insert the runs back to front
        # so the positions computed before any insert stay valid
        runs: list[tuple[int, list[_ClassNode]]] = []
        for node in nodes:
            row = self._insert_row(node.name)
            if runs and runs[-1][0] == row:
                runs[-1][1].append(node)
            else:
                runs.append((row, [node]))
        for row, run in reversed(runs):
            self.beginInsertRows(QModelIndex(), row, row + len(run) - 1)
            self._classes[row:row] = run
            self._reindex()
            self.endInsertRows()

    #: In-place updates (same versions, new details) from this many classes on are one
    #: layout change (``_update_in_place``), not a row change per class.
    BULK_UPDATES = 32

    def _update_in_place(self, updates: dict[int, ClassInfo]) -> None:
        """Classes whose versions stay the same (maybe reordered) take new details at once.

        Why: a first open shows every class from the listing alone, then each
        class again once its sidecars are read.  The tree view handles a
        change to a collapsed class's version rows by locating each of them
        among its visible rows: ~4 ms per class, so 1,000 classes froze the
        window for seconds.  One ``layoutChanged`` for the batch costs about
        as much as a dozen classes did (docs/performance.md).  Rows do not
        move; a version keeps its persistent indexes (selection, current
        row) wherever its class now sorts it.
        """
        self.layoutAboutToBeChanged.emit()
        old = self.persistentIndexList()
        moved: list[tuple[int, int, int, str]] = []  # index position, class row, column, hash
        for i, idx in enumerate(old):
            uid = idx.internalId()
            node = self._by_uid.get(uid) if uid else None
            if node is not None and self._rows.get(node.name) in updates and idx.row() < len(node.versions):
                moved.append((i, self._rows[node.name], idx.column(), node.versions[idx.row()].hash))
        for row, info in updates.items():
            node = self._classes[row]
            node.info = info
            node.versions = info.versions
        if moved:
            new = list(old)
            for i, row, col, h in moved:
                node = self._classes[row]
                at = next(r for r, v in enumerate(node.versions) if v.hash == h)
                new[i] = self.createIndex(at, col, node.uid)
            self.changePersistentIndexList(old, new)
        self.layoutChanged.emit()

    def _update_class(self, row: int, info: ClassInfo) -> None:
        node = self._classes[row]
        if node.info is info or node.info == info:
            return  # the final listing repeats what streamed in: nothing to repaint
        parent = self.index(row, 0)
        old_hashes = [v.hash for v in node.versions]
        node.info = info
        if [v.hash for v in info.versions] == old_hashes:
            node.versions = info.versions
            if node.versions:
                self.dataChanged.emit(
                    self.index(0, 0, parent), self.index(len(node.versions) - 1, Col.LAST, parent)
                )
        else:
            if node.versions:
                self.beginRemoveRows(parent, 0, len(node.versions) - 1)
                node.versions = ()
                self.endRemoveRows()
            if info.versions:
                self.beginInsertRows(parent, 0, len(info.versions) - 1)
                node.versions = info.versions
                self.endInsertRows()
        self._class_changed(row)

    def retain_classes(self, names: set[str]) -> None:
        """After a complete listing: drop classes the store no longer has
        (local-only classes with a status stay)."""
        for row in range(len(self._classes) - 1, -1, -1):
            c = self._classes[row]
            if c.name not in names and c.status is None:
                self.beginRemoveRows(QModelIndex(), row, row)
                self._drop(row)
                self.endRemoveRows()
            elif c.name not in names:
                c.info = None
                if c.versions:
                    parent = self.index(row, 0)
                    self.beginRemoveRows(parent, 0, len(c.versions) - 1)
                    c.versions = ()
                    self.endRemoveRows()
                self._class_changed(row)
        self.classes_changed.emit()

    def set_statuses(self, entries: list[StatusEntry]) -> None:
        """Apply the local-vs-store statuses (untracked classes get a row)."""
        self._local_known = True
        by_name = {e.name: e for e in entries}
        for c in self._classes:
            if c.name not in by_name and c.status is not None:
                c.status = None
                self._class_changed(self._find(c.name))
        for e in entries:
            row = self._ensure_class(e.name)
            self._classes[row].status = e
            self._class_changed(row)
        # classes neither in the store nor local any more
        for row in range(len(self._classes) - 1, -1, -1):
            c = self._classes[row]
            if c.info is None and c.status is None:
                self.beginRemoveRows(QModelIndex(), row, row)
                self._drop(row)
                self.endRemoveRows()
        self.classes_changed.emit()

    def set_version_flags(
        self,
        name: str,
        code_hash: str,
        *,
        unsafe: bool | None = None,
        by_reference: bool | None = None,
        python: str | None = None,
    ) -> None:
        """Record what inspection learnt (badges, and the Python read from the bytecode)."""
        flags = self._flags.setdefault((name, code_hash), {})
        if unsafe is not None:
            flags["unsafe"] = unsafe
        if by_reference is not None:
            flags["by_reference"] = by_reference
        if python:
            flags["python"] = python
        row = self._find(name)
        if row < 0:
            return
        for i, v in enumerate(self._classes[row].versions):
            if v.hash == code_hash:
                parent = self.index(row, 0)
                self.dataChanged.emit(self.index(i, 0, parent), self.index(i, Col.LAST, parent))

    def knows_flags(self, name: str, code_hash: str) -> bool:
        """Whether inspection already said if this version is unsafe."""
        return "unsafe" in self._flags.get((name, code_hash), {})

    def _class_changed(self, row: int) -> None:
        if row < 0:
            return
        self.dataChanged.emit(self.index(row, 0), self.index(row, Col.LAST))
        node = self._classes[row]
        if node.versions:  # "= local" and "latest" badges depend on the class
            parent = self.index(row, 0)
            self.dataChanged.emit(
                self.index(0, 0, parent), self.index(len(node.versions) - 1, Col.LAST, parent)
            )

    # ---------------------------------------------------------- lookups
    def class_index(self, name: str) -> QModelIndex:
        row = self._find(name)
        return self.index(row, 0) if row >= 0 else QModelIndex()

    def version_index(self, name: str, code_hash: str) -> QModelIndex:
        row = self._find(name)
        if row < 0:
            return QModelIndex()
        for i, v in enumerate(self._classes[row].versions):
            if v.hash == code_hash:
                return self.index(i, 0, self.index(row, 0))
        return QModelIndex()

    def class_info(self, name: str) -> ClassInfo | None:
        row = self._find(name)
        return self._classes[row].info if row >= 0 else None

    def status_entry(self, name: str) -> StatusEntry | None:
        row = self._find(name)
        return self._classes[row].status if row >= 0 else None

    def statuses(self) -> dict[str, str]:
        return {c.name: c.status.status for c in self._classes if c.status is not None}

    # ------------------------------------------------ QAbstractItemModel
    def index(self, row: int, column: int, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> QModelIndex:  # noqa: B008
        if parent.isValid():
            if parent.internalId() or parent.column():
                return _INVALID  # versions have no children; only column 0 has them
            versions = self._classes[parent.row()].versions
            if 0 <= row < len(versions) and 0 <= column < _COLUMNS:
                return self.createIndex(row, column, self._classes[parent.row()].uid)
            return _INVALID
        if 0 <= row < len(self._classes) and 0 <= column < _COLUMNS:
            return self.createIndex(row, column, 0)
        return _INVALID

    def parent(self, index: QModelIndex | QPersistentModelIndex = QModelIndex()) -> QModelIndex:  # type: ignore[override]  # noqa: B008
        uid = index.internalId()
        if not uid or not index.isValid():
            return _INVALID
        node = self._by_uid.get(uid)
        row = self._rows.get(node.name, -1) if node is not None else -1
        return self.createIndex(row, 0, 0) if row >= 0 else _INVALID

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        if not parent.isValid():
            return len(self._classes)
        if parent.internalId() or parent.column():
            return 0
        row = parent.row()
        return len(self._classes[row].versions) if row < len(self._classes) else 0

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return _COLUMNS

    def hasChildren(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> bool:  # noqa: B008
        return self.rowCount(parent) > 0

    def _version_at(self, index: QModelIndex | QPersistentModelIndex) -> tuple[_ClassNode, VersionInfo] | None:
        node = self._by_uid.get(index.internalId())
        if node is None or index.row() >= len(node.versions):
            return None
        return node, node.versions[index.row()]

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return Col.HEADERS[section]
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.ToolTipRole:
            return (
                "Class name, or a version's short hash",
                "Classes: synced, behind, ahead, out of sync, untracked, remote only.  "
                "Versions: latest, = local, by reference, labchain (hash scheme), no metadata, unsafe",
                "Short hash the class's 'latest' pointer names",
                "Number of stored versions",
                "When the version was pushed (local time in the tooltip)",
                "Who pushed it (user@host)",
                "Python version that produced the snapshot",
                "Size of the .pkl snapshot",
            )[section]
        return None

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        return _ROW_FLAGS if index.isValid() else _NO_FLAGS

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role not in _ROLES or not index.isValid():
            return None  # most of what a view asks per cell (colours, check state, size)
        if not index.internalId():
            row = index.row()
            if row >= len(self._classes):
                return None
            return self._class_data(self._classes[row], index.column(), role)
        found = self._version_at(index)
        if found is None:
            return None
        return self._version_data(found[0], found[1], index.column(), role)

    def _class_data(self, c: _ClassNode, col: int, role: int) -> Any:
        if role == _DISPLAY:
            if col == Col.NAME:
                return c.name
            if col == Col.LATEST:
                latest = c.info.latest if c.info else None
                return short_hash(latest) if latest else ("—" if c.info else "")
            if col == Col.VERSIONS:
                return str(len(c.info.versions)) if c.info else "0"
            if col == Col.PUSHED and c.info and c.info.versions:
                latest = c.info.latest
                newest = next((v for v in c.info.versions if v.hash == latest), c.info.versions[0])
                return relative_time(newest.pushed_at)
            return None
        if role == _FONT:
            if col == Col.LATEST:
                return self._mono
            if col == Col.NAME:
                return self._bold
            return None
        if role == _ALIGN:
            return _RIGHT if col == Col.VERSIONS else None
        latest = c.info.latest if c.info else None
        status = c.status.status if c.status else ("remote_only" if c.info and self._local_known else None)
        if role == Role.KIND:
            return "class"
        if role == Role.CLASS_NAME:
            return c.name
        if role == Role.HASH:
            return latest
        if role == Role.STATUS:
            return status
        if role == Role.CLASS_INFO:
            return c.info
        if role == Role.STATUS_ENTRY:
            return c.status
        if role == Role.FILTER_TEXT:  # versions match on their own hash
            return f"{c.name} {status or ''} {STATUS_LABEL.get(status or '', '')}"
        if role == Role.BADGES:
            badges = [status] if status else []
            if c.info and c.info.problems:
                badges.append("error")
            return badges
        if role == _DECORATION:
            if col != Col.NAME:
                return None
            if c.info is not None and c.info.problems:
                return icon("error")
            return icon(f"status-{status}") if status else QIcon()
        if role == _ACCESSIBLE:
            return _badge_labels(self._class_data(c, col, Role.BADGES)) if col == Col.BADGES else None
        if role == _TOOLTIP and col == Col.BADGES and (status or c.info and c.info.problems):
            lines = [STATUS_TEXT.get(status, status)] if status else []
            if c.info and c.info.problems:
                lines += [f"⚠ {p}" for p in c.info.problems]
            return "<br>".join(lines)
        if role == _TOOLTIP:
            lines = [f"<b>{c.name}</b>"]
            if status:
                lines.append(STATUS_TEXT.get(status, status))
            if latest:
                lines.append(f"latest: <tt>{latest}</tt>")
            if c.status and c.status.local_hash:
                lines.append(f"local: <tt>{c.status.local_hash}</tt>")
            if c.status and c.status.module:
                lines.append(f"module: {c.status.module}")
            if c.info and c.info.problems:
                lines += [f"⚠ {p}" for p in c.info.problems]
            return "<br>".join(lines)
        return None

    def _version_badges(self, c: _ClassNode, info: VersionInfo) -> list[str]:
        badges = []
        if c.info and c.info.latest == info.hash:
            badges.append("latest")
        if c.status and c.status.local_hash == info.hash:
            badges.append("local")
        flags = self._flags.get((c.name, info.hash), _NO_VERSION_FLAGS)
        by_ref = flags.get("by_reference")
        if by_ref is None:
            by_ref = info.by_reference
        if by_ref:
            badges.append("by-reference")
        if info.hash_scheme == "labchain":
            badges.append("labchain")
        if not info.has_meta:
            badges.append("no-metadata")
        if flags.get("unsafe"):
            badges.append("unsafe")
        return badges

    def _version_data(self, c: _ClassNode, info: VersionInfo, col: int, role: int) -> Any:
        if role == _DISPLAY:
            if col == Col.NAME:
                return short_hash(info.hash)
            if col == Col.PUSHED:
                return relative_time(info.pushed_at)
            if col == Col.BY:
                return info.pushed_by or ""
            if col == Col.PYTHON:
                return info.python_version or self._flags.get((c.name, info.hash), _NO_VERSION_FLAGS).get("python") or ""
            if col == Col.SIZE:
                return format_size(info.size)
            return None
        if role == _FONT:
            if col != Col.NAME:
                return None
            return self._mono_bold if c.info and c.info.latest == info.hash else self._mono
        if role == _ALIGN:
            return _RIGHT if col == Col.SIZE else None
        if role == Role.KIND:
            return "version"
        if role == Role.CLASS_NAME:
            return c.name
        if role == Role.HASH:
            return info.hash
        if role == Role.VERSION:
            return info
        if role == Role.BADGES:
            return self._version_badges(c, info)
        if role == Role.CLASS_INFO:
            return c.info
        if role == Role.FILTER_TEXT:
            return f"{info.hash} {info.pushed_by or ''}"
        if role == _ACCESSIBLE:
            return _badge_labels(self._version_badges(c, info)) if col == Col.BADGES else None
        if role == _TOOLTIP:
            badges = self._version_badges(c, info)
            if col == Col.PUSHED:
                return local_time(info.pushed_at)
            python = self._flags.get((c.name, info.hash), _NO_VERSION_FLAGS).get("python")
            if col == Col.PYTHON and not info.python_version and python:
                return python_tip(str(python))
            if col == Col.BADGES and badges:
                return "<br>".join(BADGE_TEXT[b][1] for b in badges if b in BADGE_TEXT)
            lines = [f"<tt>{info.hash}</tt>"]
            if info.pushed_at:
                lines.append(f"pushed {local_time(info.pushed_at)} ({relative_time(info.pushed_at)})")
            if info.pushed_by:
                lines.append(f"by {info.pushed_by}")
            lines += [BADGE_TEXT[b][1] for b in badges if b in BADGE_TEXT]
            return "<br>".join(lines)
        return None


_COLUMNS = len(Col.HEADERS)
_INVALID = QModelIndex()  # returned, never changed: saves building one per call
_ROW_FLAGS = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
_NO_FLAGS = Qt.ItemFlag.NoItemFlags
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
_NO_VERSION_FLAGS: dict[str, bool | str | None] = {}
_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_DECORATION = int(Qt.ItemDataRole.DecorationRole)
_FONT = int(Qt.ItemDataRole.FontRole)
_ALIGN = int(Qt.ItemDataRole.TextAlignmentRole)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)
_ACCESSIBLE = int(Qt.ItemDataRole.AccessibleTextRole)
#: The roles ``data`` answers; anything else is None at once.
_ROLES = frozenset(
    {_DISPLAY, _DECORATION, _FONT, _ALIGN, _TOOLTIP, _ACCESSIBLE}
    | {int(getattr(Role, r)) for r in vars(Role) if r.isupper()}
)


def python_tip(detected: str) -> str:
    """Why a version without metadata shows this Python: it was read from its bytecode."""
    if detected == "unknown":
        return "No metadata, and the bytecode is not that of any Python 3.8-3.13"
    if " or " in detected:
        return (
            f"No metadata: read from the bytecode, which Python {detected} "
            "would each have compiled this way"
        )
    return f"No metadata: Python {detected}, read from the bytecode"


def badge_label(key: str) -> str:
    """The text of one pill: a version badge or a class status."""
    if key in BADGE_TEXT:
        return BADGE_TEXT[key][0]
    return STATUS_LABEL.get(key, key)


def _badge_labels(keys: list[str]) -> str:
    return ", ".join(badge_label(k) for k in keys)


class ClassFilterProxy(QSortFilterProxyModel):
    """Filter box: a class stays when it or one of its versions matches
    (recursive filtering), and a matching class shows all its versions."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAutoAcceptChildRows(True)
        self.setFilterRole(Role.FILTER_TEXT)
        self.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.setFilterKeyColumn(Col.NAME)
        self.setDynamicSortFilter(True)
        self.setRecursiveFilteringEnabled(False)  # on only while something is typed: below

    def setFilterFixedString(self, pattern: str) -> None:  # noqa: N802 - Qt override
        """Recursive filtering only while the box holds text.

        Why: with it on, each changed version row makes the proxy re-ask its
        class and every sibling whether they match -- a class's 20 versions
        updated in place cost ~6 ms, and a first open updates 1,000 classes as
        their details arrive (docs/performance.md).  With nothing typed,
        every row is shown anyway.
        """
        if pattern:
            self.setRecursiveFilteringEnabled(True)
            super().setFilterFixedString(pattern)
        else:
            super().setFilterFixedString(pattern)
            self.setRecursiveFilteringEnabled(False)


class BadgeDelegate(QStyledItemDelegate):
    """Paints ``Role.BADGES`` as small rounded pills: a version's badges, or a
    class's status in words.  White on these fills stays readable (contrast
    >= 4.5:1) on light and dark palettes alike."""

    COLORS = {
        "latest": "#2e7d32",
        "local": "#1565c0",
        "by-reference": "#795548",
        "no-metadata": "#616161",
        "unsafe": "#c62828",
        "error": "#c62828",
        # statuses: the hues of their icons
        "synced": "#2e7d32",
        "behind": "#0d47a1",
        "ahead": "#00695c",
        "out_of_sync": "#a14f00",
        "untracked": "#616161",
        "remote_only": "#6a1b9a",
    }
    #: Paint order: what must never be hidden by a narrow column comes first
    #: ("by reference" too: such a version holds no code at all).
    PRIORITY = ("unsafe", "error", "by-reference", "latest", "local", "labchain", "no-metadata")

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        super().paint(painter, option, index)
        badges = index.data(Role.BADGES) or []
        if not badges:
            return
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        font = QFont(option.font)
        font.setPointSizeF(max(7.0, font.pointSizeF() * 0.85))
        painter.setFont(font)
        fm = painter.fontMetrics()
        h = fm.height() + 2
        y = option.rect.top() + (option.rect.height() - h) // 2
        for key, text, (x, w) in self.layout(badges, option.rect.left(), option.rect.right(), fm):
            rect = QRect(x, y, w, h)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(self.COLORS.get(key, "#607d8b")))
            painter.drawRoundedRect(rect, h / 2, h / 2)
            painter.setPen(QColor("white"))
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)
        painter.restore()

    @classmethod
    def layout(cls, badges: list[str], left: int, right: int, fm: QFontMetrics) -> list[tuple[str, str, tuple[int, int]]]:
        """Pills that fit between ``left`` and ``right``: ``(key, text, (x, width))``.

        Most important first, so a narrow column never hides "unsafe"; what
        does not fit becomes one "+N" pill (the tooltip lists every badge).
        """
        order = sorted(badges, key=lambda b: cls.PRIORITY.index(b) if b in cls.PRIORITY else 0)
        out: list[tuple[str, str, tuple[int, int]]] = []
        x = left + 4
        for i, key in enumerate(order):
            text = badge_label(key)
            w = fm.horizontalAdvance(text) + 12
            rest = len(order) - i - 1
            room = right - (fm.horizontalAdvance(f"+{rest}") + 16 if rest else 0)
            if x + w > room:
                more = f"+{len(order) - i}"
                w = fm.horizontalAdvance(more) + 12
                if x + w <= right:
                    out.append(("more", more, (x, w)))
                break
            out.append((key, text, (x, w)))
            x += w + 4
        return out

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:
        base = super().sizeHint(option, index)
        badges = index.data(Role.BADGES) or []
        fm = option.fontMetrics
        width = sum(fm.horizontalAdvance(badge_label(b)) + 16 for b in badges) + 8
        return QSize(max(base.width(), width), base.height())


class ClassTreeView(QTreeView):
    """The tree: ctrl-click two versions to compare them; Enter opens details.

    Columns give way to the class/version column: it keeps the width a class
    name needs, the others are shown by importance while they fit and hidden
    (not squeezed into "…") when they do not.  The header's context menu hides
    or shows any column but the name; ``user_hidden`` is remembered by
    ``settings.WindowLayout``.
    """

    context_menu_requested = Signal(object)  # QPoint in global coordinates
    #: Enter on a version row (a class row expands or collapses instead).
    open_requested = Signal(QModelIndex)
    #: The user hid or showed a column from the header's menu.
    columns_changed = Signal()

    #: Most important first: the order in which columns get room after the name.
    IMPORTANCE = (Col.BADGES, Col.LATEST, Col.PUSHED, Col.VERSIONS, Col.BY, Col.PYTHON, Col.SIZE)
    #: The name column never gets less than this many characters of a class name.
    NAME_CHARS = 15
    NAME_MAX = 320

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setUniformRowHeights(True)
        self.setAlternatingRowColors(True)
        self.setAllColumnsShowFocus(True)
        self.setSortingEnabled(False)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(
            lambda pos: self.context_menu_requested.emit(self.viewport().mapToGlobal(pos))
        )
        self.setItemDelegateForColumn(Col.BADGES, BadgeDelegate(self))
        self.setAccessibleName("Classes and versions")
        self.user_hidden: set[int] = set()
        self._widths: dict[int, int] = {}  # preferred widths (defaults, or what the user dragged)
        self._name_width: int | None = None
        self._fitting = False
        self._fit_pending = False
        header = self.header()
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header.customContextMenuRequested.connect(lambda pos: self.header_menu().popup(header.mapToGlobal(pos)))
        header.sectionResized.connect(self._on_section_resized)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        if (event.key() == Qt.Key.Key_F10 and event.modifiers() == Qt.KeyboardModifier.ShiftModifier) or (
            event.key() == Qt.Key.Key_Menu
        ):
            self.context_menu_from_keyboard()
            event.accept()
            return
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not event.modifiers():
            idx = self.currentIndex()
            if idx.isValid():
                idx = idx.siblingAtColumn(0)
                if self.model() is not None and self.model().hasChildren(idx):
                    self.setExpanded(idx, not self.isExpanded(idx))
                else:
                    self.open_requested.emit(idx)
                event.accept()
                return
        super().keyPressEvent(event)

    def context_menu_from_keyboard(self) -> None:
        """Shift+F10 or the Menu key: the context menu under the current row."""
        idx = self.currentIndex()
        rect = self.visualRect(idx) if idx.isValid() else self.viewport().rect().adjusted(0, 0, 0, -9999)
        point = rect.bottomLeft() if idx.isValid() else rect.topLeft()
        self.context_menu_requested.emit(self.viewport().mapToGlobal(point))

    def setModel(self, model) -> None:  # type: ignore[override]
        super().setModel(model)
        header = self.header()
        # The name column takes what the others leave; fit_columns() decides
        # which others get room at this width, so no horizontal scroll hides "Size".
        header.setStretchLastSection(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(Col.NAME, QHeaderView.ResizeMode.Stretch)
        header.setMinimumSectionSize(24)
        self._widths = dict(self.default_widths())
        for col, w in self._widths.items():
            self.setColumnWidth(col, w)
        for sig in (model.rowsInserted, model.rowsRemoved, model.modelReset, model.layoutChanged):
            sig.connect(self._names_changed)

    # ------------------------------------------------------------- columns
    def header_menu(self) -> Any:
        """The header's context menu: every column but the name, checkable."""
        from PySide6.QtWidgets import QMenu

        menu = QMenu(self)
        menu.setTitle("Columns")
        for col in range(1, len(Col.HEADERS)):
            act = menu.addAction(Col.HEADERS[col] if col != Col.VERSIONS else "# (versions)")
            act.setCheckable(True)
            act.setChecked(col not in self.user_hidden)
            act.setData(col)
            act.toggled.connect(lambda on, col=col: self.set_column_shown(col, on))
        self._header_menu = menu  # alive while shown
        return menu

    def set_column_shown(self, col: int, shown: bool) -> None:
        """Show or hide a minor column for good (the header's menu)."""
        if col == Col.NAME:
            return
        (self.user_hidden.discard if shown else self.user_hidden.add)(col)
        self.fit_columns()
        self.columns_changed.emit()

    def set_user_hidden(self, cols: set[int]) -> None:
        self.user_hidden = {c for c in cols if 0 < c < len(Col.HEADERS)}
        self.fit_columns()

    def name_width(self) -> int:
        """What the class/version column needs before any other column gets room:
        the longest class name (bold, with its icon and the tree's indentation)."""
        if self._name_width is None:
            bold = QFont(self.font())
            bold.setBold(True)
            fm = QFontMetrics(bold)
            text = max((fm.horizontalAdvance(n) for n in self._longest_names()), default=0)
            text = max(text, fm.horizontalAdvance("M" * self.NAME_CHARS) * 2 // 3)
            icon_w = self.iconSize().width() if self.iconSize().width() > 0 else 16
            self._name_width = min(self.NAME_MAX, text + icon_w + self.indentation() + 20)
        return self._name_width

    def _longest_names(self, keep: int = 64) -> list[str]:
        """The class names most likely to be widest: the longest ``keep`` by characters.

        Read from the class model itself, not through the view's proxy: one
        Python ``index().data()`` pair per row made this a tenth of showing a
        1,000-class tree (docs/performance.md).
        """
        model = self.model()
        source = model.sourceModel() if isinstance(model, QSortFilterProxyModel) else model
        names = getattr(source, "class_names", None)
        if names is not None:
            found: list[str] = names()
        else:  # another model: its top-level rows
            rows = model.rowCount() if model is not None else 0
            found = [str(model.index(r, 0).data() or "") for r in range(min(rows, 2000))]
        return heapq.nlargest(keep, found, key=len)

    def fit_columns(self) -> None:
        """Give the name column its width first, then each column by importance while it fits."""
        if self._fitting or self.model() is None:
            return
        self._fitting = True
        try:
            room = self.viewport().width() - self.name_width()
            header = self.header()
            full = False  # strictly by importance: no "Python" shown where "By" did not fit
            for col in self.IMPORTANCE:
                width = self._widths.get(col, 60)
                show = col not in self.user_hidden and not full and width <= room
                full = full or (col not in self.user_hidden and not show)
                if show:
                    room -= width
                if header.isSectionHidden(col) == show:
                    header.setSectionHidden(col, not show)
                    if show:
                        header.resizeSection(col, width)
        finally:
            self._fitting = False

    def _on_section_resized(self, col: int, _old: int, new: int) -> None:
        if not self._fitting and col != Col.NAME and new > 0 and not self.header().isSectionHidden(col):
            self._widths[col] = new  # the user dragged it: keep that width when it comes back

    def _names_changed(self, parent: Any = None, *_: Any) -> None:
        if isinstance(parent, QModelIndex | QPersistentModelIndex) and parent.isValid():
            return  # versions came or went: class names did not change
        self._name_width = None
        if not self._fit_pending:  # once per event-loop turn, however many batches arrive
            from PySide6.QtCore import QTimer

            self._fit_pending = True
            QTimer.singleShot(0, self, self._fit_later)

    def _fit_later(self) -> None:
        self._fit_pending = False
        self.fit_columns()

    def resizeEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self.fit_columns()

    def default_widths(self) -> dict[int, int]:
        """Widths that fit typical content in the current fonts (no per-row
        measuring: that would cost O(rows) on large stores)."""
        fm = self.fontMetrics()
        mono = QFontMetrics(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        small = QFont(self.font())
        small.setPointSizeF(max(7.0, small.pointSizeF() * 0.85))
        pill = QFontMetrics(small)

        def pills(*labels: str) -> int:
            return sum(pill.horizontalAdvance(t) + 16 for t in labels) + 8

        pad = 12
        return {
            Col.BADGES: max(
                pills("latest", "= local"),
                pills("by reference", "latest", "+2"),  # a LabChain version's must-see pills
                pills("out of sync"),
                fm.horizontalAdvance("Status") + pad,
            ),
            Col.LATEST: mono.horizontalAdvance("0" * SHORT) + pad,
            Col.VERSIONS: fm.horizontalAdvance("999") + pad,
            Col.PUSHED: fm.horizontalAdvance("59 min ago") + pad,
            Col.BY: fm.horizontalAdvance("user@host1") + pad,
            Col.PYTHON: fm.horizontalAdvance("3.11.10") + pad,
            Col.SIZE: fm.horizontalAdvance("99.9 KB") + pad,
        }

