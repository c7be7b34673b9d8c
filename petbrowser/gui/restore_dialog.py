"""The plan of "Restore the store to this moment", shown before anything moves.

A restore moves several pointers at once, each of which changes what every
teammate's ``pull`` gets, so the user sees, per class, where ``latest`` is
now and where it was then, which methods and attributes that changes, and
which classes are left alone and why (already there, created later, no
record).  A store with no record at all says so plainly, and from when
records exist.  ``exec()`` returns Accepted when the user chose to restore.
"""

from __future__ import annotations

import html
from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from petbrowser.core.models import RestorePlan, RestoreStep, VersionInfo
from petbrowser.gui.format import local_time, moment_text, relative_time, short_hash
from petbrowser.gui.icons import icon

__all__ = ["RestorePlanDialog", "plan_headline"]

#: Finds what the tree knows of a version (who pushed it, when), or None.
VersionLookup = Callable[[str, str | None], VersionInfo | None]


def plan_headline(plan: RestorePlan) -> str:
    """One line: what the plan would do ("2 classes go back; 2 are already there")."""
    moves = len(plan.moves)
    still = len(plan.steps) - moves
    if not plan.steps and plan.first_record_at is None:
        return "There is no record to restore from."
    if not moves:
        return "Nothing to move: every class with a record is already where it was then."
    text = f"{moves} class{'es go' if moves != 1 else ' goes'} back to where latest pointed then"
    if still:
        text += f"; {still} {'are' if still != 1 else 'is'} already there"
    if plan.skipped:
        n = len(plan.skipped)
        text += f"; {n} {'are' if n != 1 else 'is'} left alone"
    return text + "."


def _version_tip(v: VersionInfo | None, h: str | None) -> str:
    if h is None:
        return "no pointer"
    lines = [h]
    if v is not None and v.pushed_at:
        lines.append(f"pushed {local_time(v.pushed_at)} ({relative_time(v.pushed_at)})")
    if v is not None and v.pushed_by:
        lines.append(f"by {v.pushed_by}")
    return "\n".join(lines)


class RestorePlanDialog(QDialog):
    """Shows a ``RestorePlan``; the Restore button is there only when something would move."""

    def __init__(
        self,
        plan: RestorePlan,
        *,
        versions: VersionLookup | None = None,
        moment: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.plan = plan
        self._versions = versions or (lambda name, h: None)
        when = moment_text(plan.at)
        self.moment = moment or when
        self.setWindowTitle("Restore the store — petbrowser")
        self.setWindowIcon(icon("rollback"))
        self.setMinimumWidth(640)
        lay = QVBoxLayout(self)
        self.title = QLabel(f"<h3>Restore the store to {html.escape(self.moment)}?</h3>", self)
        lay.addWidget(self.title)
        self.headline = QLabel(plan_headline(plan), self)
        self.headline.setWordWrap(True)
        lay.addWidget(self.headline)

        self.tree = QTreeWidget(self)
        self.tree.setColumnCount(4)
        self.tree.setHeaderLabels(["Class", "Now → then", "Then pushed", "What changes"])
        self.tree.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # a read-only summary: no focus frame on a cell
        self.tree.setRootIsDecorated(True)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.tree.setAccessibleName("Classes the restore moves")
        header = self.tree.header()
        header.setStretchLastSection(True)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        for step in plan.moves:
            self.tree.addTopLevelItem(self._step_item(step))
        self.tree.expandAll()
        self.tree.setVisible(bool(plan.moves))
        # as tall as its lines (up to a point, then it scrolls): no empty box under three classes
        lines = sum(1 + (len(s.changes.methods) + len(s.changes.attributes) + bool(s.changes.note) if s.changes else 0) for s in plan.moves)
        row = self.fontMetrics().height() + 6
        self.tree.setMinimumHeight(min(row * (lines + 1) + 8, 420))
        lay.addWidget(self.tree, 1)

        self.left_alone = QLabel(self._left_alone_html(), self)
        self.left_alone.setWordWrap(True)
        self.left_alone.setTextFormat(Qt.TextFormat.RichText)
        self.left_alone.setVisible(bool(self.left_alone.text()))
        lay.addWidget(self.left_alone)

        self.record_note = QLabel(self._record_note(), self)
        self.record_note.setWordWrap(True)
        self.record_note.setVisible(bool(self.record_note.text()))
        lay.addWidget(self.record_note)

        note = QLabel(
            "Each pointer moves by compare-and-swap against the pointer shown here as 'now': a class "
            "someone moves meanwhile is left as it is and reported, the others still move. Every "
            "move is recorded as 'restore', and the whole restore is one undo step (Ctrl+Z puts "
            "every moved pointer back).",
            self,
        )
        note.setWordWrap(True)
        note.setStyleSheet("color: gray")
        note.setVisible(bool(plan.moves))
        lay.addWidget(note)

        self.buttons = QDialogButtonBox(self)
        self.restore_button = None
        if plan.moves:
            n = len(plan.moves)
            self.restore_button = self.buttons.addButton(
                f"Restore {n} class{'es' if n != 1 else ''}", QDialogButtonBox.ButtonRole.AcceptRole
            )
            self.restore_button.setIcon(icon("rollback"))
            self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
            self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setDefault(True)
        else:
            self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        lay.addWidget(self.buttons)
        self.resize(820, self.sizeHint().height())

    @property
    def can_restore(self) -> bool:
        return self.restore_button is not None

    def moving_classes(self) -> list[str]:
        """The classes listed as moving, in the order shown."""
        return [self.tree.topLevelItem(i).text(0) for i in range(self.tree.topLevelItemCount())]

    def change_lines(self, name: str) -> list[str]:
        """The method and attribute lines listed under ``name`` ("~ method fit")."""
        for i in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(i)
            if item.text(0) == name:
                return [item.child(c).text(3) for c in range(item.childCount())]
        return []

    # ------------------------------------------------------------- building
    def _step_item(self, step: RestoreStep) -> QTreeWidgetItem:
        now_v = self._versions(step.class_name, step.now)
        then_v = self._versions(step.class_name, step.then)
        pushed = ""
        if then_v is not None and then_v.pushed_at:
            pushed = f"{moment_text(then_v.pushed_at)}" + (f" by {then_v.pushed_by}" if then_v.pushed_by else "")
        item = QTreeWidgetItem(
            [step.class_name, f"{short_hash(step.now) or '—'} → {short_hash(step.then)}", pushed, ""]
        )
        item.setToolTip(1, f"now: {_version_tip(now_v, step.now)}\n\nthen: {_version_tip(then_v, step.then)}")
        font = item.font(0)
        font.setBold(True)
        item.setFont(0, font)
        item.setFont(1, QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        changes = step.changes
        if changes is None:
            item.setText(3, "not described")
            return item
        n_m, n_a = len(changes.methods), len(changes.attributes)
        parts = []
        if n_m:
            parts.append(f"{n_m} method{'s' if n_m != 1 else ''}")
        if n_a:
            parts.append(f"{n_a} attribute{'s' if n_a != 1 else ''}")
        item.setText(3, " and ".join(parts) + " change" if parts else "no code change")
        for kind, entries in (("method", changes.methods), ("attribute", changes.attributes)):
            for name, status in entries:
                # the icon's shape says it too; the word is for screen readers and screenshots
                child = QTreeWidgetItem(["", "", "", f"{kind} {name} — {status}"])
                child.setIcon(3, icon(f"diff-{status}"))
                item.addChild(child)
        if changes.note:
            child = QTreeWidgetItem(["", "", "", f"note: {changes.note}"])
            child.setIcon(3, icon("info"))
            item.addChild(child)
        return item

    def _left_alone_html(self) -> str:
        rows = [
            f"<li><b>{html.escape(s.class_name)}</b> — already at <tt>{short_hash(s.then)}</tt> then</li>"
            for s in self.plan.steps
            if not s.moves
        ]
        for s in self.plan.skipped:
            # core's message names the time in UTC ISO; people read their local time
            message = s.message.replace(s.first_record_at, local_time(s.first_record_at)) if s.first_record_at else s.message
            rows.append(f"<li><b>{html.escape(s.class_name)}</b> — {html.escape(message)}</li>")
        if not rows:
            return ""
        return "<b>Left alone:</b><ul style='margin-top:2px'>" + "".join(rows) + "</ul>"

    def _record_note(self) -> str:
        plan = self.plan
        if plan.first_record_at is None:
            return (
                "This store has no recorded pointer moves (LabChain keeps no history), so where "
                "each latest pointed at that moment is not known: there is no record to restore "
                "from. petbrowser records every move it makes from now on."
            )
        if not plan.steps:
            return (
                f"Records exist from {local_time(plan.first_record_at)} on; nothing is recorded "
                "at or before that moment."
            )
        return ""
