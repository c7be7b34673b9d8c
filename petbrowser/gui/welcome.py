"""The first screen when nothing is open: open a project, a store, a recent
item, or the demo (so a new user sees every status without any setup)."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from petbrowser import __version__
from petbrowser.gui.icons import app_icon, icon
from petbrowser.gui.open_target import OpenTarget

__all__ = ["WelcomeView"]


class WelcomeView(QWidget):
    open_project_requested = Signal()
    open_store_requested = Signal()
    open_demo_requested = Signal()
    open_recent_requested = Signal(object)  # OpenTarget

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        outer = QHBoxLayout(self)
        outer.addStretch(1)
        col = QVBoxLayout()
        col.addStretch(1)
        head = QHBoxLayout()
        logo = QLabel(self)
        logo.setPixmap(app_icon().pixmap(64, 64))
        title = QLabel(
            f"<h1 style='margin:0'>petbrowser</h1><div style='color:gray'>version {__version__} — "
            "browse, compare and roll back the class versions of a LabChain store</div>",
            self,
        )
        head.addWidget(logo)
        head.addWidget(title, 1)
        col.addLayout(head)
        col.addSpacing(16)

        def button(text: str, icon_name: str | None, tip: str) -> QPushButton:
            b = QPushButton(text, self)
            if icon_name:
                b.setIcon(icon(icon_name))
                b.setIconSize(QSize(20, 20))
            b.setToolTip(tip)
            b.setMinimumHeight(34)
            b.setStyleSheet("text-align: left; padding-left: 10px;")
            col.addWidget(b)
            return b

        self.project_button = button("Open project…", "open", "A folder with your modules and [tool.petbrowser] settings")
        self.store_button = button("Open store…", "connect", "A local store folder or an S3 bucket")
        self.demo_button = button("Open the demo", "latest", "A demo project and store showing every status")
        self.project_button.clicked.connect(self.open_project_requested)
        self.store_button.clicked.connect(self.open_store_requested)
        self.demo_button.clicked.connect(self.open_demo_requested)
        col.addSpacing(16)
        col.addWidget(QLabel("<b>Recent</b>", self))
        self.recent = QListWidget(self)
        self.recent.setMinimumSize(460, 160)
        self.recent.setAccessibleName("Recent projects and stores")
        self.recent.itemActivated.connect(self._activated)
        col.addWidget(self.recent)
        col.addStretch(2)
        outer.addLayout(col)
        outer.addStretch(1)

    def set_recent(self, targets: list[OpenTarget]) -> None:
        self.recent.clear()
        for t in targets:
            item = QListWidgetItem(icon("open" if t.project_dir else "connect"), t.label)
            item.setToolTip(t.description)
            item.setData(Qt.ItemDataRole.UserRole, t)
            self.recent.addItem(item)
        if not targets:
            item = QListWidgetItem("Nothing opened yet")
            item.setFlags(Qt.ItemFlag.NoItemFlags)
            self.recent.addItem(item)

    def _activated(self, item: QListWidgetItem) -> None:
        t = item.data(Qt.ItemDataRole.UserRole)
        if isinstance(t, OpenTarget):
            self.open_recent_requested.emit(t)
