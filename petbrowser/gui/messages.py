"""Non-modal error and information bar with details on demand.

A modal box per failure would block the window the user needs to fix the
problem (change credentials, pick another store), so errors land in a bar at
the top of the window: one clear line, a hint for the common causes, and
"Details…" for the longer text.  Secrets that happen to sit in the
environment are scrubbed from anything shown.
"""

from __future__ import annotations

import os

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from petbrowser.core.errors import (
    AccessDeniedError,
    ChildTimeoutError,
    ConflictError,
    CorruptPointerError,
    IntegrityError,
    PetBrowserError,
    ProjectError,
    StoreNotFoundError,
    StoreUnreachableError,
    UnsafePickleError,
)
from petbrowser.gui.icons import icon

__all__ = ["MessageBar", "hint_for", "scrub"]

_SECRET_ENV = ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN")


def scrub(text: str) -> str:
    """Remove any secret from the environment, or typed into a URL, that
    leaked into a message."""
    from petbrowser.gui.open_target import strip_userinfo

    text = strip_userinfo(text)
    for var in _SECRET_ENV:
        value = os.environ.get(var)
        if value and len(value) >= 8:
            text = text.replace(value, "****")
    return text


#: What the user can do about each kind of error, most specific first.
_HINTS: tuple[tuple[type[PetBrowserError], str], ...] = (
    (AccessDeniedError, "Check the AWS profile or credentials for this store (File ▸ Open store…)."),
    (StoreNotFoundError, "Check the bucket or folder name; a store is created by the first push."),
    (StoreUnreachableError, "Check the endpoint URL and your network connection, then press F5."),
    (ConflictError, "Someone else moved the pointer; the view was refreshed and nothing was overwritten."),
    (UnsafePickleError, "This version was not loaded."),
    (CorruptPointerError, "The class's latest.json is damaged; run 'petbrowser verify' for a full report."),
    (IntegrityError, "Stored content failed a check; nothing was loaded."),
    (ChildTimeoutError, "The project's interpreter did not answer in time and was stopped."),
    (ProjectError, "Fix the module (it must import cleanly), save, and the status will refresh."),
)


def hint_for(exc: PetBrowserError) -> str:
    """What the user can do about it: the second line of the message."""
    return next((hint for kind, hint in _HINTS if isinstance(exc, kind)), "")


class MessageBar(QFrame):
    """One message at a time (the newest); older ones stay in the Details text."""

    closed = Signal()

    #: level -> (background, text, border), for light and for dark palettes.
    LEVEL_COLORS = {
        "error": ("#fdecea", "#611a15", "#f5c6c0"),
        "warning": ("#fff4e5", "#663c00", "#ffd8a8"),
        "info": ("#e8f4fd", "#0d3c61", "#b6dcf7"),
    }
    LEVEL_COLORS_DARK = {
        "error": ("#3b1f22", "#f4c7c3", "#6b2f33"),
        "warning": ("#3a2e17", "#f6dca8", "#6b5422"),
        "info": ("#1b2f40", "#c4e1f8", "#2f5272"),
    }

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("MessageBar")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        self._detail = ""
        self._history: list[str] = []
        self.level = "info"

        lay = QHBoxLayout(self)
        lay.setContentsMargins(8, 4, 4, 4)
        self.icon_label = QLabel(self)
        self.icon_label.setFixedSize(20, 20)
        text_box = QVBoxLayout()
        text_box.setSpacing(0)
        self.text_label = QLabel(self)
        self.text_label.setWordWrap(True)
        self.text_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.hint_label = QLabel(self)
        self.hint_label.setWordWrap(True)
        text_box.addWidget(self.text_label)
        text_box.addWidget(self.hint_label)
        self.details_button = QToolButton(self)
        self.details_button.setText("Details…")
        self.details_button.setToolTip("Show the full error text")
        self.details_button.clicked.connect(self.show_details)
        self.close_button = QToolButton(self)
        self.close_button.setText("✕")
        self.close_button.setAutoRaise(True)
        self.close_button.setToolTip("Dismiss this message")
        self.close_button.clicked.connect(self.dismiss)
        lay.addWidget(self.icon_label, 0, Qt.AlignmentFlag.AlignTop)
        lay.addLayout(text_box, 1)
        lay.addWidget(self.details_button, 0, Qt.AlignmentFlag.AlignTop)
        lay.addWidget(self.close_button, 0, Qt.AlignmentFlag.AlignTop)
        self._details_box: QMessageBox | None = None
        self._host: QWidget | None = None
        self.setVisible(False)

    def float_over(self, host: QWidget) -> None:
        """Float over the bottom of ``host`` instead of taking a row of its layout:
        a message appearing or going away must not push the panes up and down."""
        self._host = host
        self.setParent(host)
        host.installEventFilter(self)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        if obj is self._host and event.type() == QEvent.Type.Resize and self.isVisible():
            self._place()
        return False

    def _place(self) -> None:
        host = self._host
        if host is None:
            return
        width = max(200, host.width() - 16)
        height = self.heightForWidth(width) if self.hasHeightForWidth() else -1
        height = max(height, self.sizeHint().height())
        self.setGeometry(8, max(0, host.height() - height - 8), width, height)
        self.raise_()

    # ----------------------------------------------------------- public
    @property
    def text(self) -> str:
        return self.text_label.text()

    @property
    def detail(self) -> str:
        return self._detail

    def show_error(self, exc: BaseException, context: str = "") -> None:
        """Show a failure: ``context`` says what was being done ("Refreshing")."""
        if isinstance(exc, PetBrowserError):
            message, detail, hint = exc.message, exc.detail or "", hint_for(exc)
            if isinstance(exc, UnsafePickleError) and exc.offending:
                detail = "Would call: " + ", ".join(exc.offending) + ("\n\n" + detail if detail else "")
        else:
            message, detail, hint = str(exc) or type(exc).__name__, "", ""
        level = "warning" if isinstance(exc, ConflictError) else "error"
        text = f"{context}: {message}" if context else message
        self.show_message(text, level=level, hint=hint, detail=detail)

    def show_message(self, text: str, *, level: str = "info", hint: str = "", detail: str = "") -> None:
        text, hint, detail = scrub(text), scrub(hint), scrub(detail)
        self.level = level
        self._history.append(text + ("\n" + detail if detail else ""))
        self._history = self._history[-20:]
        self._detail = detail
        self.text_label.setText(text)
        self.hint_label.setText(hint)
        self.hint_label.setVisible(bool(hint))
        self.details_button.setVisible(bool(detail) or len(self._history) > 1)
        names = {"error": "error", "warning": "warning", "info": "local"}
        self.icon_label.setPixmap(icon(names.get(level, "warning")).pixmap(18, 18))
        self._apply_colors()
        self.setVisible(True)
        self._place()

    def _apply_colors(self) -> None:
        from petbrowser.gui.theme import is_dark

        table = self.LEVEL_COLORS_DARK if is_dark(self.palette()) else self.LEVEL_COLORS
        bg, fg, border = table.get(self.level, table["info"])
        sheet = (
            f"#MessageBar {{ background: {bg}; border: 1px solid {border}; border-radius: 4px; }}"
            f"#MessageBar QLabel {{ color: {fg}; }}"
        )
        if sheet != self.styleSheet():  # no re-polish loop on our own palette change
            self.setStyleSheet(sheet)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt override
        # follow a theme switch made while the bar is shown
        if event.type() == QEvent.Type.PaletteChange and self.isVisible():
            self._apply_colors()
        super().changeEvent(event)

    def dismiss(self) -> None:
        self.setVisible(False)
        self.closed.emit()

    def show_details(self) -> None:
        """Non-modal details window: the full text plus the recent messages."""
        box = QMessageBox(self.window())
        box.setWindowTitle("Details — petbrowser")
        box.setIcon(QMessageBox.Icon.Information)
        box.setText(self.text)
        box.setDetailedText(self._detail or "\n\n".join(reversed(self._history)))
        box.setWindowModality(Qt.WindowModality.NonModal)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.show()
        # make the detail text visible right away
        for edit in box.findChildren(QPlainTextEdit):
            edit.setMinimumWidth(560)
        self._details_box = box
