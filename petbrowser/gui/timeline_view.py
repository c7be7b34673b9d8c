"""The Timeline dock: every pointer move of the store, newest first, grouped by day.

A model over core's ``Timeline`` (two levels: local days, then the moves of
that day) that also filters (the filter box), and a view that only renders.
Filtering rebuilds the model from the matching moves in one reset: a
``QSortFilterProxyModel`` asked Python for every row's text and the view then
removed rows one run at a time, 2.7 s for 10,000 moves against 0.1 s this way
(docs in the report of issue 17).
Day rows read like headers ("Fri 13 Nov — 2 moves: Clipper, LinearModel ·
alice@lab"), so a week of work reads at a glance.  The dock never calls core:
the time-travel controller loads the timeline on a worker and hands it here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Any

from PySide6.QtCore import (
    QAbstractItemModel,
    QItemSelectionModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QAction, QFont, QFontDatabase, QFontMetrics
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDockWidget,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QToolButton,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from petbrowser.core.models import HistoryEntry, Timeline
from petbrowser.gui.class_tree import BadgeDelegate, Role
from petbrowser.gui.format import local_time, moment_text, short_hash
from petbrowser.gui.icons import icon

__all__ = ["ACTION_TEXT", "TimelineDock", "TimelineModel", "TimelineRole", "TCol", "day_text", "describe_entry"]


class TimelineRole:
    """Roles of the timeline model (clear of ``class_tree.Role``, whose BADGES it reuses)."""

    KIND = Qt.ItemDataRole.UserRole + 40  # "day" | "move"
    ENTRY = Qt.ItemDataRole.UserRole + 41  # HistoryEntry (moves)
    CLASS_NAME = Qt.ItemDataRole.UserRole + 42
    HASH = Qt.ItemDataRole.UserRole + 43  # where the move took latest
    FILTER_TEXT = Qt.ItemDataRole.UserRole + 44
    CURRENT = Qt.ItemDataRole.UserRole + 45  # the move that set the class's pointer as it is now


class TCol:
    WHEN, CLASS, ACTION, CHANGE, BY = range(5)
    HEADERS = ("When", "Class", "Action", "From → to", "By")


#: What each recorded action means, for tooltips (DESIGN's history actions).
ACTION_TEXT: dict[str, str] = {
    "push": "a push that moved latest to the new version",
    "rollback": "a deliberate move to an existing version (back or forward)",
    "undo": "an undo of the move before it",
    "redo": "a redo of a move that had been undone",
    "restore": "part of a restore of the whole store to a moment",
    "repair": "the pointer rewritten in LabChain's readable form (same version)",
}


def describe_entry(e: HistoryEntry) -> str:
    """One line for people: "Clipper: restore c37d4eadfe19 → e10bce8b2f6e by alice@lab, Fri 17:05"."""
    frm = short_hash(e.from_hash) or "—"
    who = f" by {e.by}" if e.by else ""
    return f"{e.class_name}: {e.action} {frm} → {short_hash(e.to_hash)}{who}, {moment_text(e.at)}"


@dataclass
class _Day:
    key: str
    label: str
    row: int
    moves: list[_Move] = field(default_factory=list)

    def summary(self) -> str:
        n = len(self.moves)
        classes = list(dict.fromkeys(m.entry.class_name for m in self.moves))
        people = list(dict.fromkeys(m.entry.by for m in self.moves if m.entry.by))
        names = ", ".join(classes[:4]) + (f" and {len(classes) - 4} more" if len(classes) > 4 else "")
        who = f" · {', '.join(people[:3])}" if people else ""
        return f"{self.label} — {n} move{'s' if n != 1 else ''}: {names}{who}"


@dataclass
class _Move:
    day: _Day
    entry: HistoryEntry
    current: bool = False


def _local_day(at: str) -> date | None:
    """The local calendar day of a stored UTC stamp (None when unreadable)."""
    try:
        dt = datetime.fromisoformat(at.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)).astimezone().date()


def day_text(day: date | None, today: date | None = None) -> str:
    """A day as a timeline groups it: "Today · Sun 29 Nov", "Yesterday · …", "Mon 16 Nov"."""
    if day is None:
        return "Unknown time"
    today = today or datetime.now().astimezone().date()
    name = day.strftime("%a %d %b") if day.year == today.year else day.strftime("%a %d %b %Y")
    return {0: f"Today · {name}", 1: f"Yesterday · {name}"}.get((today - day).days, name)


class TimelineModel(QAbstractItemModel):
    """Days (newest first), each with its moves (newest first); ``set_filter`` narrows them."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._days: list[_Day] = []
        self._keys: dict[str, tuple[int, int]] = {}  # record key -> (day row, row in the day)
        self._filter = ""
        self._current: set[str] = set()  # keys of the moves that set each pointer as it is now
        self._labels: dict[str, str] = {}  # record key -> its day's label
        self._signature: tuple | None = None
        self.timeline: Timeline | None = None
        self._mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        self._bold = QFont()
        self._bold.setBold(True)

    def set_timeline(self, timeline: Timeline | None) -> bool:
        """Show ``timeline`` (None: nothing open); False when it shows that already.

        The model is rebuilt only when a move came or went (or the day
        changed: "Today" moves on): every relisting reloads the timeline, and
        rebuilding 10,000 moves costs the view half a second.
        """
        today = datetime.now().astimezone().date()
        sig = (today, tuple(e.key for e in timeline.entries)) if timeline is not None else None
        if sig is not None and sig == self._signature and self.timeline is not None:
            self.timeline = timeline  # the same moves; classes without history may differ
            return False
        self._signature = sig
        self.timeline = timeline
        entries = timeline.entries if timeline is not None else ()
        seen: set[str] = set()
        self._current = set()
        for e in entries:  # newest first: the first move seen of a class set its pointer
            if e.class_name not in seen:
                seen.add(e.class_name)
                self._current.add(e.key)
        days: dict[str, date | None] = {}
        labels: dict[date | None, str] = {}
        for e in entries:
            minute = e.at[:16]  # every real UTC offset is whole quarter hours: one day per minute
            if minute not in days:
                days[minute] = _local_day(e.at)
            d = days[minute]
            if d not in labels:
                labels[d] = day_text(d, today)
        self._labels = {e.key: labels[days[e.at[:16]]] for e in entries}
        self._rebuild()
        return True

    def set_filter(self, text: str) -> None:
        """Keep the moves whose class, action, author or a hash contains ``text``,
        and every move of a day whose label does ("13 Nov", "Today")."""
        text = text.strip().lower()
        if text != self._filter:
            self._filter = text
            self._rebuild()

    def _rebuild(self) -> None:
        self.beginResetModel()
        self._days = []
        needle = self._filter
        for e in self.timeline.entries if self.timeline is not None else ():
            label = self._labels[e.key]
            if needle and needle not in label.lower() and needle not in _filter_text(e):
                continue
            if not self._days or self._days[-1].key != label:
                self._days.append(_Day(label, label, len(self._days)))
            day = self._days[-1]
            day.moves.append(_Move(day, e, e.key in self._current))
        self._keys = {m.entry.key: (d.row, i) for d in self._days for i, m in enumerate(d.moves)}
        self.endResetModel()

    def entries(self) -> list[HistoryEntry]:
        return [m.entry for d in self._days for m in d.moves]

    def entry_index(self, key: str) -> QModelIndex:
        """The row of the move recorded under ``key`` (invalid when not shown)."""
        where = self._keys.get(key)
        if where is None:
            return QModelIndex()
        return self.index(where[1], 0, self.index(where[0], 0))

    # ------------------------------------------------ QAbstractItemModel
    def index(self, row: int, column: int, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> QModelIndex:  # noqa: B008
        if row < 0 or column < 0 or column >= len(TCol.HEADERS):
            return QModelIndex()
        if not parent.isValid():
            return self.createIndex(row, column, self._days[row]) if row < len(self._days) else QModelIndex()
        day = parent.internalPointer()
        if isinstance(day, _Day) and row < len(day.moves):
            return self.createIndex(row, column, day.moves[row])
        return QModelIndex()

    def parent(self, index: QModelIndex | QPersistentModelIndex = QModelIndex()) -> QModelIndex:  # type: ignore[override]  # noqa: B008
        if not index.isValid():
            return QModelIndex()
        node = index.internalPointer()
        if isinstance(node, _Move):
            return self.createIndex(node.day.row, 0, node.day)
        return QModelIndex()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        if not parent.isValid():
            return len(self._days)
        node = parent.internalPointer()
        return len(node.moves) if isinstance(node, _Day) and parent.column() == 0 else 0

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return len(TCol.HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return TCol.HEADERS[section]
        return None

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        node = index.internalPointer()
        if isinstance(node, _Day):
            return self._day_data(node, index.column(), role)
        return self._move_data(node, index.column(), role)

    def _day_data(self, d: _Day, col: int, role: int) -> Any:
        if role == TimelineRole.KIND:
            return "day"
        if role == TimelineRole.FILTER_TEXT:
            return d.label
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole) and col == 0:
            return d.summary()
        if role == Qt.ItemDataRole.FontRole:
            return self._bold
        return None

    def _move_data(self, m: _Move, col: int, role: int) -> Any:
        e = m.entry
        if role == TimelineRole.KIND:
            return "move"
        if role == TimelineRole.ENTRY:
            return e
        if role == TimelineRole.CLASS_NAME:
            return e.class_name
        if role == TimelineRole.HASH:
            return e.to_hash
        if role == TimelineRole.CURRENT:
            return m.current
        if role == TimelineRole.FILTER_TEXT:
            return _filter_text(e)
        if role == Role.BADGES:
            return [e.action] if col == TCol.ACTION else []
        if role == Qt.ItemDataRole.DisplayRole:
            if col == TCol.WHEN:
                dt = local_time(e.at)
                return dt[11:16] if dt else "?"
            if col == TCol.CLASS:
                return e.class_name
            if col == TCol.CHANGE:
                return f"{short_hash(e.from_hash) or '—'} → {short_hash(e.to_hash)}"
            if col == TCol.BY:
                return e.by
            return None
        if role == Qt.ItemDataRole.AccessibleTextRole and col == TCol.ACTION:
            return e.action
        if role == Qt.ItemDataRole.FontRole:
            if col == TCol.CHANGE:
                return self._mono
            if col == TCol.CLASS and m.current:
                return self._bold
        if role == Qt.ItemDataRole.ToolTipRole:
            lines = [
                f"<b>{e.class_name}</b>: {e.action} — {ACTION_TEXT.get(e.action, e.action)}",
                f"{local_time(e.at)} by {e.by or 'unknown'}",
                f"from <tt>{e.from_hash or '— (no pointer before)'}</tt>",
                f"to <tt>{e.to_hash}</tt>",
            ]
            if m.current:
                lines.append("This move set the pointer as it is now.")
            lines.append("Right-click: restore the whole store to this moment, or see what it changed.")
            return "<br>".join(lines)
        return None


def _filter_text(e: HistoryEntry) -> str:
    return f"{e.class_name} {e.action} {e.by} {e.from_hash or ''} {e.to_hash}".lower()


class _ActionPills(BadgeDelegate):
    """The action column as a pill, coloured by kind of move."""

    COLORS = {
        "push": "#1565c0",
        "rollback": "#a14f00",
        "restore": "#6a1b9a",
        "undo": "#616161",
        "redo": "#616161",
        "repair": "#795548",
    }


class TimelineDock(QDockWidget):
    """The Timeline: a filter box, a line that says what the record covers, the moves.

    Signals: ``entry_selected(entry)`` when a move is selected;
    ``restore_requested(entry)`` ("Restore the store to this moment…");
    ``show_change_requested(entry)`` (what that move changed, as a diff);
    ``shown()`` when the dock becomes visible (load it if stale);
    ``closed_by_user()`` when its close button closed it.
    """

    entry_selected = Signal(object)
    restore_requested = Signal(object)
    show_change_requested = Signal(object)
    shown = Signal()
    closed_by_user = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Timeline", parent)
        self.setObjectName("timeline-dock")  # saveState/restoreState key
        self.setAllowedAreas(Qt.DockWidgetArea.BottomDockWidgetArea | Qt.DockWidgetArea.RightDockWidgetArea)
        body = QWidget(self)
        lay = QVBoxLayout(body)
        lay.setContentsMargins(6, 2, 6, 4)
        lay.setSpacing(4)
        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        self.filter_edit = QLineEdit(body)
        self.filter_edit.setPlaceholderText("Filter moves: class, author, action, hash, day…")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.setAccessibleName("Filter the timeline")
        self.restore_action = QAction(icon("rollback"), "Restore the store to this moment…", self)
        self.restore_action.setIconText("Restore to this moment…")
        self.restore_action.setToolTip(
            "Put every class's latest back where it was right after the selected move "
            "(shows the plan first; one undo step)"
        )
        self.show_change_action = QAction(icon("diff"), "Show what this move changed", self)
        self.show_change_action.setToolTip("Diff the version the move left behind against the one it made latest")
        self.restore_button = QToolButton(body)
        self.restore_button.setDefaultAction(self.restore_action)
        self.restore_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        top.addWidget(self.filter_edit, 1)
        top.addWidget(self.restore_button)
        lay.addLayout(top)
        self.info = QLabel("Open a store to see its timeline.", body)
        self.info.setWordWrap(True)
        self.info.setTextFormat(Qt.TextFormat.PlainText)
        lay.addWidget(self.info)

        self.model = TimelineModel(self)
        self.view = QTreeView(body)
        self.view.setModel(self.model)
        self.view.setAccessibleName("Timeline of pointer moves")
        self.view.setUniformRowHeights(True)
        self.view.setAlternatingRowColors(True)
        self.view.setAllColumnsShowFocus(True)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setItemDelegateForColumn(TCol.ACTION, _ActionPills(self.view))
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._context_menu)
        header = self.view.header()
        header.setStretchLastSection(True)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        fm = self.view.fontMetrics()
        mono = QFontMetrics(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        for col, width in (
            (TCol.WHEN, fm.horizontalAdvance("Yesterday 00:00") + 12),
            (TCol.CLASS, fm.horizontalAdvance("ThresholdFilterXX") + 12),
            (TCol.ACTION, fm.horizontalAdvance("rollbackXX") + 24),
            (TCol.CHANGE, mono.horizontalAdvance("0" * 27) + 16),
        ):
            self.view.setColumnWidth(col, width)
        lay.addWidget(self.view, 1)
        self.setWidget(body)

        self.filter_edit.textChanged.connect(self._apply_filter)
        self.view.selectionModel().selectionChanged.connect(lambda *_: self._on_selection())
        self.view.doubleClicked.connect(lambda idx: self._on_selection())
        self.restore_action.triggered.connect(lambda: (e := self.selected_entry()) and self.restore_requested.emit(e))
        self.show_change_action.triggered.connect(
            lambda: (e := self.selected_entry()) and self.show_change_requested.emit(e)
        )
        self._update_actions()

    # ------------------------------------------------------------ content
    def clear(self, text: str = "Open a store to see its timeline.") -> None:
        self.model.set_timeline(None)
        self.info.setText(text)
        self._update_actions()

    def set_loading(self) -> None:
        if self.model.timeline is None:
            self.info.setText("Reading the store's history…")

    def set_error(self, text: str) -> None:
        """The timeline could not be read: say so here (the rest of the window works on)."""
        self.info.setText(f"The timeline could not be read: {text}")

    def set_timeline(self, timeline: Timeline) -> None:
        """Show a freshly read timeline, keeping the selected move and the scroll position."""
        keep = self.selected_entry()
        scroll = self.view.verticalScrollBar().value()
        if not self.model.set_timeline(timeline):
            self.info.setText(self.summary(timeline))
            return
        self._lay_out()
        if keep is not None:
            idx = self.model.entry_index(keep.key)
            if idx.isValid():
                self.view.selectionModel().blockSignals(True)  # the same move: the tree stays where it is
                self.view.selectionModel().setCurrentIndex(
                    idx, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
                )
                self.view.selectionModel().blockSignals(False)
        self.view.verticalScrollBar().setValue(scroll)
        self.info.setText(self.summary(timeline))
        self._update_actions()

    @staticmethod
    def summary(timeline: Timeline) -> str:
        """What the record covers: how many moves since when, and which classes have none."""
        n = len(timeline.entries)
        bare = timeline.without_history
        if not timeline.entries and timeline.classes and len(bare) == len(timeline.classes):
            return (
                "No pointer moves are recorded in this store (LabChain keeps no history), so "
                "there is no record to restore from. petbrowser records every move it makes "
                "from now on."
            )
        if not timeline.entries:
            return "No pointer moves recorded yet."
        classes = len({e.class_name for e in timeline.entries})
        text = (
            f"{n} move{'s' if n != 1 else ''} of {classes} class{'es' if classes != 1 else ''}, newest first; "
            f"records exist from {moment_text(timeline.first_record_at)} on."
        )
        if bare:
            names = ", ".join(bare[:5]) + (f" and {len(bare) - 5} more" if len(bare) > 5 else "")
            text += f" No record for {names} (written without history): a restore leaves {'it' if len(bare) == 1 else 'them'} alone."
        return text

    # ----------------------------------------------------------- selection
    def selected_entry(self) -> HistoryEntry | None:
        rows = self.view.selectionModel().selectedRows(0)
        if len(rows) != 1:
            return None
        entry = rows[0].data(TimelineRole.ENTRY)
        return entry if isinstance(entry, HistoryEntry) else None

    def select_entry(self, key: str) -> bool:
        """Select the move recorded under ``key`` (False when it is not shown)."""
        idx = self.model.entry_index(key)
        if not idx.isValid() and self.filter_edit.text():
            self.filter_edit.clear()  # the filter hides it: show every move again
            idx = self.model.entry_index(key)
        if not idx.isValid():
            return False
        self.view.selectionModel().setCurrentIndex(
            idx, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
        )
        self.view.scrollTo(idx)
        return True

    def _on_selection(self) -> None:
        self._update_actions()
        if (e := self.selected_entry()) is not None:
            self.entry_selected.emit(e)

    def _update_actions(self) -> None:
        e = self.selected_entry()
        self.restore_action.setEnabled(e is not None)
        self.show_change_action.setEnabled(e is not None and e.from_hash is not None and e.from_hash != e.to_hash)
        when = moment_text(e.at) if e is not None else "this moment"
        self.restore_action.setText(f"Restore the store to {when}…")
        self.restore_action.setIconText(f"Restore to {when}…")

    def _apply_filter(self, text: str) -> None:
        keep = self.selected_entry()
        self.model.set_filter(text)
        self._lay_out()
        if keep is not None and (idx := self.model.entry_index(keep.key)).isValid():
            self.view.selectionModel().setCurrentIndex(
                idx, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
            )
            self.view.scrollTo(idx)
        self._update_actions()

    def _lay_out(self) -> None:
        """Day rows span the width (they read as headers); every day open."""
        for r in range(self.model.rowCount()):
            self.view.setFirstColumnSpanned(r, QModelIndex(), True)
            self.view.setExpanded(self.model.index(r, 0), True)  # expandAll would visit every move

    def _context_menu(self, pos) -> None:
        idx = self.view.indexAt(pos)
        if not idx.isValid() or idx.data(TimelineRole.KIND) != "move":
            return
        self.view.selectionModel().setCurrentIndex(
            idx, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows
        )
        menu = QMenu(self)
        menu.addAction(self.restore_action)
        menu.addAction(self.show_change_action)
        menu.popup(self.view.viewport().mapToGlobal(pos))
        self._menu = menu  # keep it alive while shown

    def showEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        self.shown.emit()

    def closeEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        # the title bar's close button (hide() sends no close event: the window hiding it does not count)
        super().closeEvent(event)
        if event.isAccepted():
            self.closed_by_user.emit()
