"""A read-only code viewer: monospace, line numbers, syntax colours.

Used standalone (the details pane shows a version's source or bytecode) and
as each side of the DiffView, which is why it can show *original* line
numbers for aligned text (filler rows get no number) and paint whole-row
backgrounds cheaply: one colour per row, painted only for the visible rows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from PySide6.QtCore import QEvent, QRect, QSize, Qt
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFontDatabase,
    QPainter,
    QPaintEvent,
    QPalette,
    QResizeEvent,
    QTextCharFormat,
    QTextCursor,
    QTextOption,
)
from PySide6.QtWidgets import QPlainTextEdit, QWidget

from petbrowser.gui.highlighter import CodeHighlighter
from petbrowser.gui.refcount_guard import guard_none_refcount

guard_none_refcount()  # before any widget work: see refcount_guard.py

__all__ = ["CodeView"]


class _LineNumberGutter(QWidget):
    """The strip left of the text; it only forwards painting to its CodeView."""

    def __init__(self, view: CodeView) -> None:
        super().__init__(view)
        self._view = view

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(self._view.gutter_width(), 0)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt override
        self._view._paint_gutter(event)


class CodeView(QPlainTextEdit):
    """Read-only monospace text with a line-number gutter and syntax colouring."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._line_numbers: list[int | None] | None = None
        self._max_number = 1
        self._row_backgrounds: dict[int, QBrush] = {}
        self._marked: range = range(0)
        self._gutter: _LineNumberGutter | None = None
        self.setReadOnly(True)
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.setWordWrapMode(QTextOption.WrapMode.NoWrap)
        self.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        self.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.setTabStopDistance(4 * self.fontMetrics().horizontalAdvance(" "))
        self._highlighter = CodeHighlighter(self.document(), "text")
        self._gutter = _LineNumberGutter(self)
        self.blockCountChanged.connect(self._update_gutter_width)
        self.updateRequest.connect(self._on_update_request)
        self._update_gutter_width()

    # ------------------------------------------------------------ public
    @property
    def language(self) -> str:
        return self._highlighter.language

    def set_code(
        self,
        text: str,
        language: str = "python",
        line_numbers: Sequence[int | None] | None = None,
        char_backgrounds: Sequence[tuple[int, int, int, QColor]] | None = None,
    ) -> None:
        """Show ``text`` coloured as ``language`` ("python", "dis" or "text").

        ``line_numbers`` gives the number shown for each line (None: no
        number), for text that interleaves filler rows; by default lines are
        numbered from 1.  ``char_backgrounds`` lists ``(row, start, end,
        colour)`` character ranges to tint (the diff's changed characters);
        they are applied before syntax colouring so the text is coloured
        exactly once.
        """
        self._row_backgrounds = {}
        self._marked = range(0)
        self._line_numbers = list(line_numbers) if line_numbers is not None else None
        numbers = [n for n in (self._line_numbers or []) if n is not None]
        self._max_number = max(numbers, default=1)
        # Load and tint with the highlighter detached, then colour in one
        # synchronous pass (a synchronous rehighlight also cancels the
        # deferred one setDocument schedules).  Signals are held meanwhile so
        # the gutter is not asked to repaint once per coloured line.
        highlighter = self._highlighter
        highlighter.setDocument(None)
        self.blockSignals(True)
        try:
            self.setPlainText(text)
            if char_backgrounds:
                self._apply_char_backgrounds(char_backgrounds)
            highlighter.set_language(language)
            highlighter.setDocument(self.document())
            highlighter.rehighlight()
        finally:
            self.blockSignals(False)
        self._update_gutter_width()
        if self._gutter is not None:
            self._gutter.update()

    def _apply_char_backgrounds(self, spans: Sequence[tuple[int, int, int, QColor]]) -> None:
        document = self.document()
        cursor = QTextCursor(document)
        cursor.beginEditBlock()
        fmt = QTextCharFormat()
        for row, start, end, colour in spans:
            block = document.findBlockByNumber(row)
            if not block.isValid():
                continue
            length = block.length() - 1
            start, end = min(start, length), min(end, length)
            if end <= start:
                continue
            fmt.setBackground(colour)
            cursor.setPosition(block.position() + start)
            cursor.setPosition(block.position() + end, QTextCursor.MoveMode.KeepAnchor)
            cursor.mergeCharFormat(fmt)
        cursor.endEditBlock()

    def set_row_backgrounds(self, backgrounds: Mapping[int, QBrush | QColor]) -> None:
        """Paint whole rows (block numbers) in these colours, across the full width."""
        self._row_backgrounds = {
            row: b if isinstance(b, QBrush) else QBrush(b) for row, b in backgrounds.items()
        }
        self.viewport().update()

    def set_marked_rows(self, rows: range) -> None:
        """Rows drawn with an accent bar in the gutter (the change being visited)."""
        self._marked = rows
        self._gutter.update()

    def scroll_to_row(self, row: int, context: int = 3) -> None:
        """Scroll so ``row`` shows ``context`` rows below the top, and put the cursor there."""
        bar = self.verticalScrollBar()
        bar.setValue(max(0, min(bar.maximum(), row - context)))
        block = self.document().findBlockByNumber(max(0, row))
        if block.isValid():
            cursor = self.textCursor()
            cursor.setPosition(block.position())
            # setTextCursor would scroll again; keep the position chosen above.
            value = bar.value()
            self.setTextCursor(cursor)
            bar.setValue(value)

    def set_wrap(self, wrap: bool) -> None:
        """Wrap long lines at the view's width (anywhere, code has long tokens), or scroll."""
        if wrap:
            self.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
            self.setWordWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
        else:
            self.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
            self.setWordWrapMode(QTextOption.WrapMode.NoWrap)

    def top_row(self) -> int:
        """The first visible row (block number)."""
        return self.firstVisibleBlock().blockNumber()

    def visible_rows(self) -> int:
        """How many rows fit in the viewport."""
        height = self.fontMetrics().lineSpacing() or 1
        return max(1, self.viewport().height() // height)

    def gutter_width(self) -> int:
        digits = max(
            2, len(str(self._max_number if self._line_numbers is not None else self.blockCount()))
        )
        return 12 + self.fontMetrics().horizontalAdvance("9") * digits

    # ------------------------------------------------------------ Qt overrides
    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        if self._gutter is None:
            return
        cr = self.contentsRect()
        self._gutter.setGeometry(QRect(cr.left(), cr.top(), self.gutter_width(), cr.height()))

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        super().changeEvent(event)
        if self._gutter is None:  # still inside __init__
            return
        if event.type() == QEvent.Type.PaletteChange:
            self._highlighter.refresh_colors(self.palette())
            self._gutter.update()
        elif event.type() == QEvent.Type.FontChange:
            self._update_gutter_width()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        if self._row_backgrounds:
            painter = QPainter(self.viewport())
            width = self.viewport().width()
            offset = self.contentOffset()
            block = self.firstVisibleBlock()
            bottom = event.rect().bottom()
            while block.isValid():
                geometry = self.blockBoundingGeometry(block).translated(offset)
                if geometry.top() > bottom:
                    break
                brush = self._row_backgrounds.get(block.blockNumber())
                if brush is not None:
                    painter.fillRect(
                        QRect(0, int(geometry.top()), width, int(geometry.height()) + 1), brush
                    )
                block = block.next()
            painter.end()
        super().paintEvent(event)

    # ------------------------------------------------------------ gutter
    def _update_gutter_width(self, *_: object) -> None:
        if self._gutter is None:
            return
        self.setViewportMargins(self.gutter_width(), 0, 0, 0)
        cr = self.contentsRect()
        self._gutter.setGeometry(QRect(cr.left(), cr.top(), self.gutter_width(), cr.height()))

    def _on_update_request(self, rect: QRect, dy: int) -> None:
        if dy:
            self._gutter.scroll(0, dy)
        else:
            self._gutter.update(0, rect.y(), self._gutter.width(), rect.height())

    def _paint_gutter(self, event: QPaintEvent) -> None:
        palette = self.palette()
        painter = QPainter(self._gutter)
        painter.fillRect(event.rect(), palette.color(QPalette.ColorRole.Window))
        dim = palette.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text)
        accent = palette.color(QPalette.ColorRole.Highlight)
        painter.setFont(self.font())
        width = self._gutter.width()
        line_height = self.fontMetrics().height()
        block = self.firstVisibleBlock()
        offset = self.contentOffset()
        while block.isValid():
            geometry = self.blockBoundingGeometry(block).translated(offset)
            top = int(geometry.top())
            if top > event.rect().bottom():
                break
            row = block.blockNumber()
            if row in self._marked:
                painter.fillRect(QRect(0, top, 3, int(geometry.height()) + 1), accent)
            if self._line_numbers is None:
                number: int | None = row + 1
            else:
                number = self._line_numbers[row] if row < len(self._line_numbers) else None
            if number is not None and block.isVisible():
                painter.setPen(
                    dim if row not in self._marked else palette.color(QPalette.ColorRole.Text)
                )
                painter.drawText(
                    0, top, width - 6, line_height, Qt.AlignmentFlag.AlignRight, str(number)
                )
            block = block.next()
        painter.end()
