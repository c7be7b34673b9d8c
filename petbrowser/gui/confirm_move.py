"""The confirmation shown before ``latest`` moves: from → to and what changes.

Moving the pointer changes what every teammate's ``pull`` gets, so the user
sees exactly which version is replaced by which, and the methods that differ,
before saying yes.
"""

from __future__ import annotations

import html
from typing import Any

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from petbrowser.core.models import VersionInfo
from petbrowser.gui.details import attribute_summary, diff_summary
from petbrowser.gui.format import local_time, relative_time, short_hash
from petbrowser.gui.icons import icon

__all__ = ["ConfirmMoveDialog", "changes_html", "confirm_buttons"]


def changes_html(class_diff: Any, error: str | None = None) -> str:
    """What a move changes, for a confirmation: methods AND class attributes (a
    ``threshold`` going from 0.5 to 0.75 changes behaviour as much as code does)."""
    if class_diff is None:
        return f"<span style='color:gray'>Diff unavailable: {html.escape(error or 'unknown')}</span>"
    parts = []
    for title, lines in (
        ("Methods that change", diff_summary(class_diff)),
        ("Attributes that change", attribute_summary(class_diff)),
    ):
        if lines:
            parts.append(f"<b>{title}:</b><br><tt>" + "<br>".join(html.escape(x) for x in lines) + "</tt>")
    if not parts:
        return "No method or attribute changes between the two versions."
    if not diff_summary(class_diff):
        parts.insert(0, "No method changes.")
    return "<br>".join(parts)


def _describe(v: VersionInfo | None, h: str | None) -> str:
    if h is None:
        return "<i>no pointer</i>"
    text = f"<tt><b>{short_hash(h)}</b></tt>"
    if v is not None and v.pushed_at:
        text += f"<br><span style='color:gray'>pushed {html.escape(local_time(v.pushed_at))} ({relative_time(v.pushed_at)})"
        if v.pushed_by:
            text += f"<br>by {html.escape(v.pushed_by)}"
        text += "</span>"
    return text


def confirm_buttons(dialog: QDialog, yes: str, icon_name: str) -> tuple[QDialogButtonBox, QPushButton]:
    """The yes button (named for what it does) and Cancel, the default: moving
    ``latest`` for everyone is never what Enter does by accident."""
    buttons = QDialogButtonBox(dialog)
    ok = buttons.addButton(yes, QDialogButtonBox.ButtonRole.AcceptRole)
    ok.setIcon(icon(icon_name))
    buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
    buttons.button(QDialogButtonBox.StandardButton.Cancel).setDefault(True)
    buttons.accepted.connect(dialog.accept)
    buttons.rejected.connect(dialog.reject)
    return buttons, ok


class ConfirmMoveDialog(QDialog):
    """Asks "Make <to> latest of <class>?"; ``exec()`` returns Accepted on yes."""

    def __init__(
        self,
        name: str,
        from_hash: str | None,
        to_hash: str,
        *,
        from_version: VersionInfo | None = None,
        to_version: VersionInfo | None = None,
        class_diff: Any = None,
        diff_error: str | None = None,
        backwards: bool | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Make latest — petbrowser")
        self.setWindowIcon(icon("rollback"))
        self.setMinimumWidth(580)
        lay = QVBoxLayout(self)
        verb = {True: "Roll back", False: "Roll forward", None: "Move"}[backwards]
        head = QLabel(f"<h3>{verb} <b>{html.escape(name)}</b>?</h3>", self)
        lay.addWidget(head)
        arrow = QHBoxLayout()
        self.from_label = QLabel(f"<b>from</b> (current latest)<br>{_describe(from_version, from_hash)}", self)
        self.to_label = QLabel(f"<b>to</b><br>{_describe(to_version, to_hash)}", self)
        for label in (self.from_label, self.to_label):
            label.setWordWrap(True)
        sep = QLabel("→", self)
        sep.setStyleSheet("font-size: 22pt; padding: 0 14px;")
        arrow.addWidget(self.from_label, 1)
        arrow.addWidget(sep)
        arrow.addWidget(self.to_label, 1)
        lay.addLayout(arrow)

        body = changes_html(class_diff, diff_error)
        self.summary = QLabel(body, self)
        self.summary.setWordWrap(True)
        lay.addWidget(self.summary)
        note = QLabel(
            "Everyone who pulls 'latest' will get the new version. The move is recorded in the "
            "class's history and can be undone (Ctrl+Z). If someone else moves the pointer first, "
            "nothing is overwritten.",
            self,
        )
        note.setWordWrap(True)
        note.setStyleSheet("color: gray")
        lay.addWidget(note)
        self.buttons, self.ok_button = confirm_buttons(self, f"{verb} to {short_hash(to_hash)}", "rollback")
        lay.addWidget(self.buttons)
