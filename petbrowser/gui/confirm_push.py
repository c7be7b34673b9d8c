"""The confirmation shown before a push moves ``latest``: which classes, from → to, what changes.

A push moves ``latest`` for everyone, exactly like "Make latest", so it asks
the same way: one line per class (its status, the latest it replaces, the
local version it pushes) with the methods and attributes that change.  What
the dialog lists is exactly what is pushed.  "Don't ask again for pushes" is
remembered per store (a scratch store asks nothing; the team's still does).
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QLabel,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from petbrowser.core.errors import PetBrowserError
from petbrowser.core.models import short_hash
from petbrowser.gui import settings
from petbrowser.gui.calls import Command
from petbrowser.gui.class_tree import STATUS_LABEL
from petbrowser.gui.confirm_move import changes_html, confirm_buttons
from petbrowser.gui.icons import icon

if TYPE_CHECKING:
    from petbrowser.core.manager import ClassDiff, PetClassManager
    from petbrowser.gui.commands import AppContext
    from petbrowser.gui.workers import TaskContext

__all__ = ["ConfirmPushDialog", "PushPreview", "PushPreviewCommand", "confirm_push"]


@dataclass(frozen=True)
class PushPreview:
    """One class a push would move: its latest now, the local version, what changes."""

    name: str
    status: str
    latest: str | None
    local: str | None
    class_diff: ClassDiff | None = None
    error: str | None = None


class PushPreviewCommand(Command):
    """What a push of ``names`` changes: each class's latest against its local version."""

    def __init__(self, rows: list[tuple[str, str, str | None, str | None]]) -> None:
        self.rows = rows  # (name, status, latest, local hash)
        self.label = "Comparing what the push changes"

    def run(self, manager: PetClassManager, ctx: TaskContext) -> list[PushPreview]:
        out = []
        for name, status, latest, local in self.rows:
            ctx.check()
            diff, error = None, None
            if latest:
                try:
                    diff = manager.diff(name, latest, "local")
                except PetBrowserError as exc:
                    error = exc.message
            out.append(PushPreview(name, status, latest, local, diff, error))
        return out


class ConfirmPushDialog(QDialog):
    """Asks "Push N classes?"; ``exec()`` returns Accepted on yes; ``ask_again`` the checkbox."""

    def __init__(self, previews: list[PushPreview], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.previews = previews
        self.setWindowTitle("Push — petbrowser")
        self.setWindowIcon(icon("push"))
        self.setMinimumWidth(560)
        lay = QVBoxLayout(self)
        n = len(previews)
        lay.addWidget(QLabel(f"<h3>Push {n} class{'es' if n != 1 else ''} and move their latest?</h3>", self))
        self.summary = QLabel(self._body(), self)
        self.summary.setWordWrap(True)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.summary)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        lay.addWidget(scroll, 1)
        note = QLabel(
            "Everyone who pulls 'latest' will get the pushed versions. Each move is recorded in its "
            "class's history and can be undone (Ctrl+Z). If someone else moves a pointer first, "
            "nothing is overwritten.",
            self,
        )
        note.setWordWrap(True)
        note.setStyleSheet("color: gray")
        lay.addWidget(note)
        self.dont_ask = QCheckBox("Don't ask again for pushes to this store", self)
        lay.addWidget(self.dont_ask)
        self.buttons, self.ok_button = confirm_buttons(self, f"Push {n}", "push")
        lay.addWidget(self.buttons)

    def _body(self) -> str:
        parts = []
        for p in self.previews:
            status = html.escape(STATUS_LABEL.get(p.status, p.status))
            if p.latest is None:
                move = f"first version <tt><b>{short_hash(p.local)}</b></tt>" if p.local else "first version"
                changes = "A new class in the store: nothing to compare with."
            else:
                move = f"<tt>{short_hash(p.latest)}</tt> → <tt><b>{short_hash(p.local)}</b></tt>"
                changes = changes_html(p.class_diff, p.error)
            parts.append(f"<p><b>{html.escape(p.name)}</b> ({status}): {move}<br>{changes}</p>")
        return "".join(parts)

    @property
    def ask_again(self) -> bool:
        return not self.dont_ask.isChecked()


def confirm_push(app: AppContext, names: list[str], go: Callable[[list[str]], Any]) -> None:
    """Show what pushing ``names`` changes and call ``go(names)`` on yes (at once when
    the user said not to ask again for this store)."""
    manager = app.session.manager
    store = manager.store_url if manager is not None else ""
    if not settings.ask_before_push(store):
        go(names)
        return
    model = app.session.model
    rows = []
    for name in names:
        info, entry = model.class_info(name), model.status_entry(name)
        rows.append((name, entry.status if entry else "", info.latest if info else None, entry.local_hash if entry else None))

    def answer(previews: list[PushPreview]) -> None:
        dialog = ConfirmPushDialog(previews, app.prompts.parent)
        if app.prompts.confirm_push(dialog):
            if not dialog.ask_again:
                settings.set_ask_before_push(store, False)
            go(names)

    app.execute(PushPreviewCommand(rows), on_result=answer, on_error=lambda exc: app.fail(exc, "Preparing the push"))
