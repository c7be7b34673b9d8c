"""The details area: Overview, Source, Bytecode, Diff and History tabs.

It renders what the main window fetched in workers (an inspection result, a
class diff, a pointer history); it never calls the core itself.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
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

__all__ = ["DetailsPanel", "DiffPanel", "diff_summary"]



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


class DiffPanel(QWidget):
    """A title line (what is compared) over the side-by-side ``DiffView``."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.class_diff: ClassDiff | None = None
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 0)
        lay.setSpacing(2)
        self.title = QLabel(
            "Select two versions (ctrl-click), or right-click a version ▸ Compare with latest / local", self
        )
        self.title.setWordWrap(True)
        self.title.setTextFormat(Qt.TextFormat.RichText)
        lay.addWidget(self.title)
        self._view: DiffView | None = None  # built when first shown or used

    @property
    def view(self) -> DiffView:
        """The side-by-side view, built (and its module imported) on first use."""
        if self._view is None:
            from petbrowser.gui.diff_view import DiffView

            self._view = DiffView(self)
            self.layout().addWidget(self._view, 1)
        return self._view

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

    def clear(self, text: str = "") -> None:
        self.class_diff = None
        if self._view is not None:
            self._view.clear()
        if text:
            self.title.setText(html.escape(text))


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
        self.history.horizontalHeader().setStretchLastSection(True)
        self.history.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.addTab(self.overview, "Overview")
        self.addTab(self._source, "Source")
        self.addTab(self._bytecode, "Bytecode")
        self.addTab(self.diff, icon("diff"), "Diff")
        self.addTab(self.history, "History")
        for i, tip in enumerate((
            "What the version records: who, when, which Python, methods",
            "The class source captured at push time",
            "Normalized disassembly of every method",
            "Side-by-side diff of two versions",
            "Every move of the latest pointer",
        )):
            self.setTabToolTip(i, tip)
        self.show_placeholder()

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
        self.overview.setHtml(f"<p style='color:gray'>{html.escape(text)}</p>")
        self._source.set_code("", language="python")
        self._bytecode.set_code("", language="dis")

    def show_loading(self, what: str) -> None:
        self.overview.setHtml(f"<p style='color:gray'>Loading {html.escape(what)}…</p>")

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
        self._source.set_code("", language="python")
        self._bytecode.set_code("", language="dis")

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
    def show_history(self, entries: list[HistoryEntry]) -> None:
        self.history.setRowCount(0)
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
            for c, (text, tip) in enumerate(cells):
                item = QTableWidgetItem(text)
                if tip:
                    item.setToolTip(tip)
                if c in (2, 3):
                    item.setFont(self.source.font())
                self.history.setItem(r, c, item)
        self.history.resizeColumnsToContents()

    # -------------------------------------------------------------- diff
    def show_diff(self, name: str, result: DiffResult, layouts: dict[str, Layout] | None = None) -> None:
        self.diff.show_diff(name, result, layouts)
        self.setCurrentIndex(self.DIFF)
