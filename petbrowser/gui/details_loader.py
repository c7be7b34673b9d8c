"""Fills the details tabs for what the tree selects: a class, a version, a pair of versions.

Each fetch is a command on a worker (inspect, history, compare); a token
drops answers for a selection the user has already left, so a slow
inspection never paints over a newer one.  Every tab always shows the
selection or a line saying what to select: nothing of an earlier selection
stays behind (``show``), and after a refresh, a push or a move what is shown
is drawn again from the new listing (``refresh``).
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
from petbrowser.gui.details import DIFF_HINT, DetailsPanel
from petbrowser.gui.selection import Selection

if TYPE_CHECKING:
    from petbrowser.core.manager import DiffResult, InspectResult, VersionInfo
    from petbrowser.gui.diff_layout import Layout

__all__ = ["DetailsLoader"]

#: What is shown: ("none",), ("class", name), ("version", name, hash), ("pair", name, a, b), ("many", n).
Shown = tuple


class DetailsLoader(QObject):
    """``updated(kind)`` once a tab shows its answer: "class", "version", "diff", "history"."""

    updated = Signal(str)

    def __init__(self, app: AppContext, details: DetailsPanel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.app = app
        self.details = details
        self.model = app.session.model
        self._token = 0  # the selection's fetches (inspect)
        self._diff_token = 0  # the comparison's
        self._history_for: str | None = None
        self.shown: Shown = ("none",)
        self._inspected: tuple[str, str, InspectResult] | None = None
        details.currentChanged.connect(self._on_tab)

    def reset(self) -> None:
        """Another store: nothing shown belongs to it."""
        self._token += 1
        self._diff_token += 1
        self._history_for = None
        self._inspected = None
        self.shown = ("none",)
        self.details.show_placeholder()

    @staticmethod
    def key(sel: Selection) -> Shown:
        """What a selection asks the tabs to show."""
        versions = sel.versions
        if len(versions) == 2 and len(sel.rows) == 2 and versions[0][1] == versions[1][1]:
            return ("pair", versions[0][1], str(versions[0][2]), str(versions[1][2]))
        if len(sel.rows) == 1:
            kind, name, h = sel.rows[0]
            return ("class", name) if kind == "class" else ("version", name, str(h))
        return ("many", len(sel.rows)) if sel.rows else ("none",)

    def show(self, sel: Selection) -> None:
        """Render the selection: one class or version, or the diff of two versions of one class."""
        self._token += 1
        self._diff_token += 1
        key = self.key(sel)
        self.shown = key
        if key[0] == "none":
            self._history_for = None
            self.details.show_placeholder()
            return
        if key[0] == "many":
            self._history_for = None
            self.details.show_placeholder(
                f"{key[1]} rows are selected: select one class or version, "
                "or two versions of one class to compare them."
            )
            return
        name = key[1]
        self._load_history(name)
        if key[0] == "pair":
            a, b = key[2], key[3]
            self.details.show_note(f"Two versions of {name} are selected: the Diff tab compares them.")
            # older on the left: the listing is newest first
            va: VersionInfo | None = self.model.version_index(name, a).data(Role.VERSION)
            vb: VersionInfo | None = self.model.version_index(name, b).data(Role.VERSION)
            self._compare(name, *((b, a) if is_older(vb, va) else (a, b)))
            return
        if key[0] == "class":
            self.details.diff.clear(f"Select two versions of {name} (ctrl-click) to compare them.")
            self.details.show_class(name, self.model.class_info(name), self.model.status_entry(name))
            self.updated.emit("class")
            return
        self.details.diff.clear(
            f"Select a second version of {name} (ctrl-click), or right-click ▸ Compare with latest / local."
        )
        self._load_version(name, key[2])
        if self.details.currentIndex() == DetailsPanel.DIFF:
            self._compare_version(name, key[2])

    def refresh(self, sel: Selection) -> None:
        """The listing or the statuses changed (a refresh, a push, a move, someone else's
        change): draw what is shown again from the new state, without a "Loading" flash."""
        key = self.key(sel)
        if key != self.shown:
            self.show(sel)
            return
        if key[0] == "class":
            self.details.show_class(key[1], self.model.class_info(key[1]), self.model.status_entry(key[1]))
            self.updated.emit("class")
        elif key[0] == "version" and self._inspected and self._inspected[:2] == key[1:]:
            self._render_version(key[1], key[2], self._inspected[2])
        if key[0] in ("class", "version", "pair"):
            self._load_history(key[1])
        compared = self.details.diff.compared
        if compared is not None and ({"latest", "local"} & set(compared[1:])):
            self._diff_token += 1  # latest or local may name another version now
            self._compare(*compared, switch=False)

    def compare_selection(self, sel: Selection, ref: str | None = None) -> bool:
        """Compare what is selected: two versions of one class, or one version against
        ``ref`` (by default latest, or the local class for the latest itself).
        False when the selection holds nothing to compare."""
        versions = sel.versions
        if ref is None and len(versions) == 2 and versions[0][1] == versions[1][1]:
            self.compare(versions[0][1], str(versions[0][2]), str(versions[1][2]))
            return True
        if (one := sel.one_version) is None:
            return False
        if ref is not None:
            self.compare(one[0], one[1], ref)
            return True
        self._diff_token += 1
        return self._compare_version(*one)

    def compare(self, name: str, a: str, b: str) -> None:
        """Diff two refs of a class (hash, ``latest``, ``local``), ``a`` on the left."""
        self._diff_token += 1
        self._compare(name, a, b)

    # ------------------------------------------------------------ helpers
    def _on_tab(self, index: int) -> None:
        if index == DetailsPanel.DIFF and self.details.diff.compared is None and self.shown[0] == "version":
            self._compare_version(self.shown[1], self.shown[2])

    def _compare_version(self, name: str, h: str) -> bool:
        """One version against latest (or, for the latest itself, against the local
        class): the Diff tab with one version selected is never stale or blank."""
        info = self.model.class_info(name)
        entry = self.model.status_entry(name)
        if info is not None and info.latest and info.latest != h:
            self._compare(name, h, "latest")
        elif entry is not None and entry.local_hash and entry.local_hash != h and entry.status != "remote_only":
            self._compare(name, h, "local")
        else:
            self.details.diff.clear(
                f"{short_hash(h)} is the latest of {name} and your local class is the same: "
                "select a second version (ctrl-click) to compare."
            )
            return False
        return True

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
            self._inspected = (name, h, result)
            self._render_version(name, h, result)

        cmd = InspectCommand(name, h)
        self.app.execute(
            cmd, on_result=done, on_error=lambda exc: token == self._token and self._failed(exc, cmd.label)
        )

    def _failed(self, exc: BaseException, label: str) -> None:
        self.details.show_placeholder(f"{label} failed: see the message at the bottom of the window.")
        self.app.fail(exc, label)

    def _render_version(self, name: str, h: str, result: InspectResult) -> None:
        index = self.model.version_index(name, h)
        version: VersionInfo | None = index.data(Role.VERSION)
        if version is None:  # gone from the store
            self.details.show_placeholder(f"Version {short_hash(h)} of {name} is no longer in the store.")
            return
        self.details.show_version(version, result, index.data(Role.BADGES) or [])
        self.updated.emit("version")

    def _load_history(self, name: str) -> None:
        if self._history_for != name:
            self.details.history_loading(name)
        self._history_for = name

        def done(entries: list[HistoryEntry]) -> None:
            if self._history_for == name:
                self.details.show_history(entries, name)
                self.updated.emit("history")

        cmd = HistoryCommand(name)
        self.app.execute(cmd, on_result=done, on_error=lambda exc: self.app.fail(exc, cmd.label))

    def _compare(self, name: str, a: str, b: str, switch: bool = True) -> None:
        token = self._diff_token
        if switch:
            self.details.diff.clear(f"Comparing {name} {_ref_label(a)} → {_ref_label(b)}…", (name, a, b))
            self.details.setCurrentIndex(DetailsPanel.DIFF)
        else:
            self.details.diff.compared = (name, a, b)

        def done(answer: tuple[DiffResult, dict[str, Layout]]) -> None:
            if token == self._diff_token:
                self.details.show_diff(name, *answer, switch=switch)
                self.updated.emit("diff")

        def failed(exc: BaseException) -> None:
            if token == self._diff_token:
                self.details.diff.clear(f"Comparing {name} failed: see the message at the bottom of the window. {DIFF_HINT}")
                self.app.fail(exc, cmd.label)

        cmd = CompareCommand(name, a, b)
        self.app.execute(cmd, on_result=done, on_error=failed)


def _ref_label(ref: str) -> str:
    return ref if ref in ("latest", "local") else short_hash(ref)
