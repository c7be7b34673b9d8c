"""Fills the details tabs for what the tree selects: a class, a version, a pair of versions.

Each fetch is a command on a worker (inspect, history, compare); a token
drops answers for a selection the user has already left, so a slow
inspection never paints over a newer one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from petbrowser.core.models import HistoryEntry, short_hash
from petbrowser.gui.class_tree import Role
from petbrowser.gui.commands import (
    AppContext,
    CompareCommand,
    HistoryCommand,
    InspectCommand,
    is_older,
)
from petbrowser.gui.details import DetailsPanel
from petbrowser.gui.selection import Selection

if TYPE_CHECKING:
    from petbrowser.core.manager import DiffResult, InspectResult, VersionInfo
    from petbrowser.gui.diff_layout import Layout

__all__ = ["DetailsLoader"]


class DetailsLoader(QObject):
    """``updated(kind)`` once a tab shows its answer: "class", "version", "diff", "history"."""

    updated = Signal(str)

    def __init__(self, app: AppContext, details: DetailsPanel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.app = app
        self.details = details
        self.model = app.session.model
        self._token = 0
        self._history_for: str | None = None

    def reset(self) -> None:
        """Another store: nothing shown belongs to it."""
        self._token += 1
        self._history_for = None
        self.details.show_placeholder()
        self.details.diff.clear()
        self.details.show_history([])

    def show(self, sel: Selection) -> None:
        """Render the selection: one class or version, or the diff of two versions of one class."""
        self._token += 1
        versions = sel.versions
        if len(versions) == 2 and len(sel.rows) == 2 and versions[0][1] == versions[1][1]:
            name, a, b = versions[0][1], str(versions[0][2]), str(versions[1][2])
            # older on the left: the listing is newest first
            va: VersionInfo | None = self.model.version_index(name, a).data(Role.VERSION)
            vb: VersionInfo | None = self.model.version_index(name, b).data(Role.VERSION)
            self._compare(name, *((b, a) if is_older(vb, va) else (a, b)))
            return
        if len(sel.rows) != 1:
            return
        kind, name, h = sel.rows[0]
        self._load_history(name)
        if kind == "class":
            self.details.show_class(name, self.model.class_info(name), self.model.status_entry(name))
            self.updated.emit("class")
        elif h:
            self._load_version(name, h)

    def compare(self, name: str, a: str, b: str) -> None:
        """Diff two refs of a class (hash, ``latest``, ``local``), ``a`` on the left."""
        self._token += 1
        self._compare(name, a, b)

    # ------------------------------------------------------------ fetches
    def _load_version(self, name: str, h: str) -> None:
        token = self._token
        version: VersionInfo | None = self.model.version_index(name, h).data(Role.VERSION)
        if version is None:
            return
        self.details.show_loading(short_hash(h))

        def done(result: InspectResult) -> None:
            self.model.set_version_flags(
                name,
                h,
                unsafe=bool(result.unsafe),
                by_reference=result.by_reference,
                python=result.describe.python_version,
            )
            if token != self._token:
                return
            badges = self.model.version_index(name, h).data(Role.BADGES) or []
            self.details.show_version(version, result, badges)
            self.updated.emit("version")

        cmd = InspectCommand(name, h)
        self.app.execute(
            cmd, on_result=done, on_error=lambda exc: token == self._token and self.app.fail(exc, cmd.label)
        )

    def _load_history(self, name: str) -> None:
        self._history_for = name

        def done(entries: list[HistoryEntry]) -> None:
            if self._history_for == name:
                self.details.show_history(entries)
                self.updated.emit("history")

        cmd = HistoryCommand(name)
        self.app.execute(cmd, on_result=done, on_error=lambda exc: self.app.fail(exc, cmd.label))

    def _compare(self, name: str, a: str, b: str) -> None:
        token = self._token
        self.details.diff.clear(f"Comparing {name} {_ref_label(a)} → {_ref_label(b)}…")
        self.details.setCurrentIndex(DetailsPanel.DIFF)

        def done(answer: tuple[DiffResult, dict[str, Layout]]) -> None:
            if token == self._token:
                self.details.show_diff(name, *answer)
                self.updated.emit("diff")

        cmd = CompareCommand(name, a, b)
        self.app.execute(
            cmd, on_result=done, on_error=lambda exc: token == self._token and self.app.fail(exc, cmd.label)
        )


def _ref_label(ref: str) -> str:
    return ref if ref in ("latest", "local") else short_hash(ref)
