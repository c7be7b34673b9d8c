"""The details area: Overview, Source, Bytecode, Diff and History tabs.

It renders what the main window fetched in workers (an inspection result, a
class diff, a pointer history); it never calls the core itself.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QFontDatabase, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from petbrowser.core.models import ClassInfo, HistoryEntry, StatusEntry, VersionInfo
from petbrowser.gui.class_tree import (
    BADGE_TEXT,
    STATUS_TEXT,
    format_size,
    local_time,
    python_tip,
    relative_time,
    short_hash,
)
from petbrowser.gui.icons import icon

if TYPE_CHECKING:  # imported on first use: start-up never shows these tabs
    from petbrowser.core.manager import ClassDescription, ClassDiff, DiffResult, InspectResult
    from petbrowser.gui.code_view import CodeView
    from petbrowser.gui.diff_layout import Layout
    from petbrowser.gui.diff_view import DiffView

__all__ = ["DetailsPanel", "DiffPanel", "attribute_summary", "diff_summary"]



def diff_summary(class_diff: ClassDiff, limit: int = 12) -> list[str]:
    """One line per changed method ("~ predict (signature)"): for the diff tab
    and the make-latest confirmation."""
    marks = {"added": "+", "removed": "−", "changed": "~"}
    lines = [
        f"{marks[m.status]} {m.name}{' (signature)' if m.signature_change else ''}"
        for m in class_diff.changed_methods
    ]
    if len(lines) > limit:
        lines = lines[:limit] + [f"… and {len(lines) - limit} more"]
    return lines


#: What each hash scheme means, for the Overview.
SCHEME_TEXT = {
    "labchain": "labchain — LabChain's get_class_hash (LabChain's check_status agrees)",
    "pb1": "pb1 — petbrowser's own hash (LabChain's get_class_hash names the class differently)",
}


def _scheme_text(scheme: str | None) -> str:
    return html.escape(SCHEME_TEXT.get(scheme or "", scheme or "unknown"))


def _python_text(version: VersionInfo, desc: ClassDescription) -> str:
    """The pusher's Python: from the metadata, else as read from the bytecode (and said so)."""
    if version.python_version:
        return html.escape(version.python_version)
    detected = desc.python_version
    if not detected:
        return "unknown"
    return f"{html.escape(detected)} <span style='color:gray'>— {html.escape(python_tip(detected))}</span>"


def attribute_summary(class_diff: ClassDiff, limit: int = 12) -> list[str]:
    """One line per changed class attribute ("~ threshold: 0.5 → 0.75"), and the
    bases: a pointer move changes these as surely as it changes methods."""
    lines = [f"~ {n}: {old} → {new}" for n, (old, new) in class_diff.attributes_changed.items()]
    lines += [f"+ {n} = {v}" for n, v in class_diff.attributes_added.items()]
    lines += [f"− {n} = {v}" for n, v in class_diff.attributes_removed.items()]
    if class_diff.bases_changed:
        old_b, new_b = class_diff.bases_changed
        lines.append(f"~ bases: ({', '.join(old_b)}) → ({', '.join(new_b)})")
    if len(lines) > limit:
        lines = lines[:limit] + [f"… and {len(lines) - limit} more"]
    return lines


def _row(label: str, value: str) -> str:
    return f"<tr><td class='k'>{html.escape(label)}</td><td>{value}</td></tr>"


def _new_code_view() -> CodeView:
    from petbrowser.gui.code_view import CodeView

    return CodeView()


class _LazyTab(QWidget):
    """A tab page that builds its real widget when first shown or asked for.

    The code and diff views (and the highlighter behind them) cost tens of
    milliseconds to import; building them on first use keeps that out of the
    time to the window's first paint.  Text given before then is kept and
    handed over when the widget is built.
    """

    def __init__(self, factory: Callable[[], QWidget], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._factory = factory
        self._widget: QWidget | None = None
        self._pending: tuple[str, str] | None = None
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)

    def built(self) -> bool:
        return self._widget is not None

    def widget(self) -> Any:
        if self._widget is None:
            self._widget = self._factory()
            self.layout().addWidget(self._widget)
            if self._pending is not None:
                self._widget.set_code(*self._pending)  # type: ignore[attr-defined]
                self._pending = None
        return self._widget

    def set_code(self, text: str, language: str) -> None:
        """``CodeView.set_code``, kept for later while the view is not built."""
        if self._widget is None:
            self._pending = (text, language)
        else:
            self._widget.set_code(text, language=language)  # type: ignore[attr-defined]

    def showEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        self.widget()
        super().showEvent(event)


#: What the Diff tab says when the selection is not a pair of versions.
DIFF_HINT = "Select two versions of one class (ctrl-click), or right-click a version ▸ Compare with latest / local"


class DiffPanel(QWidget):
    """A title line (what is compared, or what to select) over the ``DiffView``."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.class_diff: ClassDiff | None = None
        #: ``(class, a, b)`` of the comparison shown or being computed (None: a placeholder).
        self.compared: tuple[str, str, str] | None = None
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 0)
        lay.setSpacing(2)
        self.title = QLabel(DIFF_HINT, self)
        self.title.setWordWrap(True)
        self.title.setTextFormat(Qt.TextFormat.RichText)
        lay.addWidget(self.title)
        self._view: DiffView | None = None  # built when first shown or used
        self._actions: tuple[QAction, ...] = ()

    @property
    def view(self) -> DiffView:
        """The diff view, built (and its module imported) on first use."""
        if self._view is None:
            from petbrowser.gui import settings
            from petbrowser.gui.diff_view import DiffView

            self._view = view = DiffView(self)
            self.layout().addWidget(view, 1)
            self.setFocusProxy(view)
            unified, wrap = settings.diff_options()
            view.set_unified(unified)
            view.set_wrap(wrap)
            view.optionsChanged.connect(settings.save_diff_options)
            view.optionsChanged.connect(self._sync_actions)
            self._sync_actions(unified, wrap)
        return self._view

    def bind_actions(self, mode: QAction, unified: QAction, wrap: QAction) -> None:
        """The window's diff actions (View menu, Ctrl+B, Ctrl+U) drive this view."""
        from petbrowser.gui import settings

        self._actions = (unified, wrap)
        mode.triggered.connect(lambda: self.view.toggle_mode())
        unified.triggered.connect(lambda on: self.view.set_unified(on))
        wrap.triggered.connect(lambda on: self.view.set_wrap(on))
        self._sync_actions(*settings.diff_options())

    def _sync_actions(self, unified: bool, wrap: bool) -> None:
        for act, on in zip(self._actions, (unified, wrap), strict=False):
            act.setChecked(on)

    def showEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        self.view  # noqa: B018 - build it before the first paint of this tab
        super().showEvent(event)

    def show_diff(self, name: str, result: DiffResult, layouts: dict[str, Layout] | None = None) -> None:
        """Show a comparison the compare command made (and laid out) on its worker."""
        self.class_diff = result.class_diff
        self.title.setText(
            f"<b>{html.escape(name)}</b>: {html.escape(result.a_label)} → {html.escape(result.b_label)}"
        )
        self.view.set_result(result, layouts)

    def changed_methods(self) -> list[str]:
        """Names of the methods the diff lists as not unchanged."""
        return [m.name for m in self.class_diff.changed_methods] if self.class_diff else []

    def clear(self, text: str = DIFF_HINT, compared: tuple[str, str, str] | None = None) -> None:
        """Forget the comparison; the title says what to select (or what is being compared)."""
        self.class_diff = None
        self.compared = compared
        if self._view is not None:
            self._view.clear()
        self.title.setText(html.escape(text))


class _HistoryPage(QStackedWidget):
    """The History tab: the table of pointer moves, or a line saying why there is none."""

    def __init__(self, table: QTableWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.table = table
        self.placeholder = QLabel(self)
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setWordWrap(True)
        self.placeholder.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.addWidget(table)
        self.addWidget(self.placeholder)
        self.setFocusProxy(table)

    def say(self, text: str) -> None:
        self.placeholder.setText(text)
        self.setCurrentWidget(self.placeholder)


class DetailsPanel(QTabWidget):
    """What the selected class or version holds."""

    OVERVIEW, SOURCE, BYTECODE, DIFF, HISTORY = range(5)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setDocumentMode(True)
        self.overview = QTextBrowser(self)
        self.overview.setOpenExternalLinks(False)
        self.overview.setAccessibleName("Overview")
        self._source = _LazyTab(_new_code_view)  # parented by addTab below
        self._bytecode = _LazyTab(_new_code_view)
        self.diff = DiffPanel(self)
        self.history = QTableWidget(0, 5, self)
        self.history.setHorizontalHeaderLabels(["When", "Action", "From", "To", "By"])
        self.history.verticalHeader().setVisible(False)
        self.history.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.history.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.history.setAlternatingRowColors(True)
        head = self.history.horizontalHeader()
        # Sized by their content, "By" takes the rest: the table fills its width
        # after every update (resizeColumnsToContents once left it short).
        head.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        head.setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        self.history_page = _HistoryPage(self.history, self)
        # Whole tab titles or nothing: no "H" with scroll arrows in a narrow pane
        # (the tab bar's width is then this widget's minimum width).
        self.setElideMode(Qt.TextElideMode.ElideNone)
        self.setUsesScrollButtons(False)
        self.addTab(self.overview, "Overview")
        self.addTab(self._source, "Source")
        self.addTab(self._bytecode, "Bytecode")
        self.addTab(self.diff, icon("diff"), "Diff")
        self.addTab(self.history_page, "History")
        for i, tip in enumerate((
            "What the version records: who, when, which Python, methods",
            "The class source captured at push time",
            "Normalized disassembly of every method",
            "Side-by-side diff of two versions",
            "Every move of the latest pointer",
        )):
            self.setTabToolTip(i, tip)
        self.show_placeholder()

    def tabInserted(self, index: int) -> None:  # noqa: N802 - Qt override
        super().tabInserted(index)
        # Tabs are never elided or scrolled: the pane is at least as wide as its tab bar.
        self.setMinimumWidth(max(320, self.tabBar().sizeHint().width() + 4))

    @property
    def source(self) -> CodeView:
        """The Source tab's code view (built on first use)."""
        return self._source.widget()

    @property
    def bytecode(self) -> CodeView:
        """The Bytecode tab's code view (built on first use)."""
        return self._bytecode.widget()

    # --------------------------------------------------------- overview
    def show_placeholder(self, text: str = "Select a class or a version.") -> None:
        """Every tab says what to select (nothing of an earlier selection stays)."""
        self.show_note(text)
        self.diff.clear(DIFF_HINT if text.startswith("Select a class") else text)
        self.history_page.say(text)

    def show_note(self, text: str) -> None:
        """Overview, Source and Bytecode say ``text`` instead of a version's content."""
        self.overview.setHtml(f"<p style='color:gray'>{html.escape(text)}</p>")
        self._source.set_code(f"# {text}", language="python")
        self._bytecode.set_code(f"# {text}", language="dis")

    def show_loading(self, what: str) -> None:
        """A version is being read: no tab keeps the previous one's content meanwhile."""
        self.overview.setHtml(f"<p style='color:gray'>Loading {html.escape(what)}…</p>")
        self._source.set_code(f"# loading {what}…", language="python")
        self._bytecode.set_code(f"# loading {what}…", language="dis")

    def history_loading(self, name: str) -> None:
        self.history_page.say(f"Reading the history of {name}…")

    def _css(self) -> str:
        return (
            "<style>td.k{color:gray;padding-right:14px;white-space:nowrap;vertical-align:top}"
            "td{padding:2px 4px} h2{margin-bottom:2px} .mono{font-family:monospace}"
            ".warn{color:#b26a00} .bad{color:#c62828}</style>"
        )

    def show_class(self, name: str, info: ClassInfo | None, status: StatusEntry | None) -> None:
        rows = []
        if status is not None:
            rows.append(_row("Status", html.escape(STATUS_TEXT.get(status.status, status.status))))
            if status.module:
                rows.append(_row("Module", html.escape(status.module)))
            if status.local_hash:
                scheme = f" ({html.escape(status.hash_scheme)})" if status.hash_scheme else ""
                rows.append(_row("Local hash", f"<span class='mono'>{status.local_hash}</span>{scheme}"))
        if info is not None:
            rows.append(_row("Latest", f"<span class='mono'>{info.latest or '— (no pointer)'}</span>"))
            if info.pointer is not None and info.pointer.updated_at:
                who = f" by {html.escape(info.pointer.updated_by)}" if info.pointer.updated_by else ""
                rows.append(_row("Pointer moved", f"{local_time(info.pointer.updated_at)}{who}"))
            if info.pointer is not None and info.pointer.encoding == "json":
                rows.append(_row("Pointer format", "<span class='warn'>JSON (petbrowser 0.1.0): LabChain "
                                 "cannot read it; <tt>petbrowser repair</tt> rewrites it</span>"))
            elif info.pointer is not None and not info.pointer.updated_by:
                rows.append(_row("Pointer format", "written by LabChain"))
            rows.append(_row("Versions", str(len(info.versions))))
            for p in info.problems:
                rows.append(_row("Problem", f"<span class='bad'>⚠ {html.escape(p)}</span>"))
        else:
            rows.append(_row("Store", "not in the store yet — push it to create its first version"))
        self.overview.setHtml(f"{self._css()}<h2>{html.escape(name)}</h2><table>{''.join(rows)}</table>")
        hint = f"Select a version of {name} to see its " if info is not None and info.versions else f"{name} has no stored version: no "
        self._source.set_code(f"# {hint}source", language="python")
        self._bytecode.set_code(f"# {hint}bytecode", language="dis")

    def show_version(self, version: VersionInfo, result: InspectResult, badges: list[str]) -> None:
        """Render what the inspect command found in a version."""
        desc = result.describe
        rows = [
            _row("Hash", f"<span class='mono'>{version.hash}</span>"),
            _row(
                "Pushed",
                f"{local_time(version.pushed_at)} ({relative_time(version.pushed_at)})"
                if version.pushed_at
                else "unknown",
            ),
            _row("Pushed by", html.escape(version.pushed_by or "unknown")),
            _row("Python", _python_text(version, desc)),
            _row("Size", format_size(version.size)),
            _row("Hash scheme", _scheme_text(version.hash_scheme or result.hash_scheme)),
        ]
        if desc.module or desc.qualname:
            rows.append(_row("Defined as", html.escape(f"{desc.module or '?'}.{desc.qualname or '?'}")))
        if desc.bases:
            rows.append(_row("Bases", html.escape(", ".join(desc.bases))))
        if result.cloudpickle_version:
            rows.append(_row("cloudpickle", html.escape(result.cloudpickle_version)))
        flags = []
        for b in badges:
            label, tip = BADGE_TEXT.get(b, (b, ""))
            cls = "bad" if b == "unsafe" else ("warn" if b in ("by-reference", "no-metadata") else "")
            flags.append(f"<span class='{cls}'><b>{html.escape(label)}</b> — {html.escape(tip)}</span>")
        if flags:
            rows.append(_row("Notes", "<br>".join(flags)))
        if result.unsafe:
            rows.append(
                _row("Unsafe", f"<span class='bad'>loading would call: {html.escape(', '.join(result.unsafe))}</span>")
            )
        if desc.globals:
            rows.append(_row("References", html.escape(", ".join(desc.globals))))
        if desc.attributes:
            rows.append(
                _row("Attributes", "<br>".join(f"<span class='mono'>{html.escape(k)} = {html.escape(v)}</span>" for k, v in desc.attributes.items()))
            )
        methods = desc.methods
        mrows = "".join(
            f"<tr><td class='mono'>{html.escape(name)}</td><td class='k'>{html.escape(m.kind or '')}</td>"
            f"<td class='mono'>{html.escape(m.signature or '')}</td></tr>"
            for name, m in methods.items()
        )
        title = html.escape(desc.class_name or version.class_name)
        body = (
            f"{self._css()}<h2>{title} <span class='mono' style='font-weight:normal'>{short_hash(version.hash)}</span></h2>"
            f"<table>{''.join(rows)}</table>"
        )
        if mrows:
            body += f"<h3>Methods ({len(methods)})</h3><table>{mrows}</table>"
        self.overview.setHtml(body)

        if desc.source:
            self._source.set_code(desc.source, language="python")
        elif result.by_reference or version.by_reference:
            self._source.set_code("# by reference — no code captured in this version", language="python")
        else:
            self._source.set_code("# no source was captured for this version", language="python")
        dis_parts = [f"{m.header(name)}\n{m.disassembly.rstrip()}\n" for name, m in methods.items() if m.disassembly]
        self._bytecode.set_code(
            "\n".join(dis_parts) if dis_parts else "# no bytecode recorded", language="dis"
        )

    # ---------------------------------------------------------- history
    def show_history(self, entries: list[HistoryEntry], name: str = "") -> None:
        self.history.setRowCount(0)
        if not entries:
            self.history_page.say(
                f"No recorded moves of {name}'s latest pointer (stores written by LabChain keep none)."
                if name else "Select a class or a version."
            )
            return
        self.history_page.setCurrentWidget(self.history)
        for e in sorted(entries, key=lambda e: e.at, reverse=True):
            r = self.history.rowCount()
            self.history.insertRow(r)
            cells = [
                (local_time(e.at), e.at),
                (e.action, ""),
                (short_hash(e.from_hash) or "—", e.from_hash or ""),
                (short_hash(e.to_hash), e.to_hash),
                (e.by, ""),
            ]
            mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
            for c, (text, tip) in enumerate(cells):
                item = QTableWidgetItem(text)
                if tip:
                    item.setToolTip(tip)
                if c in (2, 3):
                    item.setFont(mono)
                self.history.setItem(r, c, item)

    # -------------------------------------------------------------- diff
    def show_diff(
        self, name: str, result: DiffResult, layouts: dict[str, Layout] | None = None, switch: bool = True
    ) -> None:
        self.diff.show_diff(name, result, layouts)
        if switch:
            self.setCurrentIndex(self.DIFF)
