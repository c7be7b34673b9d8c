"""A confirmation dialog is gone once answered: no hidden child of the window per move."""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QDialog, QWidget

from petbrowser.gui.prompts import Prompts


def test_an_answered_confirmation_is_deleted_after_its_answer_was_read(qtbot):
    parent = QWidget()
    qtbot.addWidget(parent)
    prompts = Prompts(parent)
    dialog = QDialog(parent)
    QTimer.singleShot(0, dialog.accept)
    assert prompts.confirm_restore(dialog) is True
    assert shiboken6.isValid(dialog)  # the caller reads its answers right away
    qtbot.waitUntil(lambda: not shiboken6.isValid(dialog), timeout=5000)
    assert not parent.findChildren(QDialog)
