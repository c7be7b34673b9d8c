"""Every question the window asks the user, in one replaceable place.

Commands ask through :class:`Prompts` (git-cola's ``Interaction``), so a test
replaces one method instead of clicking a modal dialog, and new dialogs
(unsafe pulls, restore) plug in here without touching the commands.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QDialog, QFileDialog, QInputDialog, QMessageBox, QWidget

from petbrowser.core.errors import UnsafePickleError
from petbrowser.core.models import short_hash

if TYPE_CHECKING:  # the dialogs are imported when first shown: start-up never needs them
    from petbrowser.gui.confirm_move import ConfirmMoveDialog
    from petbrowser.gui.confirm_push import ConfirmPushDialog
    from petbrowser.gui.restore_dialog import RestorePlanDialog

__all__ = ["Prompts"]


class Prompts:
    """Modal questions, parented to the window; ``start_dir()`` is where folder pickers open."""

    def __init__(self, parent: QWidget | None, start_dir: Callable[[], Path | None] = lambda: None) -> None:
        self.parent = parent
        self._start_dir = start_dir

    def choose_store(self, project_dir: str, stores: list[str]) -> str | None:
        """Which of the stores found inside a project (that names none) to open."""
        item, ok = QInputDialog.getItem(
            self.parent,
            "Choose a store — petbrowser",
            f"{project_dir} sets no store, but these folders hold one.\nOpen which?",
            stores,
            0,
            False,
        )
        return item if ok and item else None

    def ask_pull_options(self, name: str, code_hash: str) -> tuple[bool, str | None] | None:
        """How to pull: ``(go, restore_dir)``, or None when cancelled."""
        box = QMessageBox(self.parent)
        box.setWindowTitle("Pull — petbrowser")
        box.setIcon(QMessageBox.Icon.Question)
        box.setText(f"Pull {name} {short_hash(code_hash)}?")
        box.setInformativeText(
            "petbrowser checks the snapshot's digest and rebuilds the class in a separate process "
            "of the project's interpreter; nothing is loaded into this window. You can also write "
            "the version's source into a folder of your project to review or reuse it."
        )
        pull_btn = box.addButton("Pull", QMessageBox.ButtonRole.AcceptRole)
        restore_btn = box.addButton("Pull and restore source…", QMessageBox.ButtonRole.AcceptRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(pull_btn)
        box.exec()
        clicked = box.clickedButton()
        if clicked is pull_btn:
            return True, None
        if clicked is restore_btn:
            folder = self.restore_folder()
            return (True, folder) if folder else None
        return None

    def restore_folder(self) -> str | None:
        """The folder a version's source is written into."""
        start = str(self._start_dir() or Path.home())
        return QFileDialog.getExistingDirectory(self.parent, "Restore the source into", start) or None

    def confirm_unsafe(self, name: str, code_hash: str, exc: UnsafePickleError) -> bool:
        """Explicit, informed yes before loading a flagged pickle."""
        box = QMessageBox(self.parent)
        box.setWindowTitle("Unsafe version — petbrowser")
        box.setIcon(QMessageBox.Icon.Warning)
        box.setText(f"{name} {short_hash(code_hash)} cannot be verified as safe to load.")
        calls = ", ".join(exc.offending) if exc.offending else "(no digest to check)"
        box.setInformativeText(
            f"{exc.message}\n\nLoading runs code from the store in a child process of your "
            f"project's interpreter, with your permissions. It would call: {calls}.\n\n"
            "Load it only if you trust whoever pushed it."
        )
        load = box.addButton("Load anyway", QMessageBox.ButtonRole.DestructiveRole)
        cancel = box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(cancel)
        box.exec()
        return box.clickedButton() is load

    def confirm_move(self, dialog: ConfirmMoveDialog) -> bool:
        """The make-latest confirmation (from → to, what changes)."""
        return _answered(dialog)

    def confirm_push(self, dialog: ConfirmPushDialog) -> bool:
        """The push confirmation (each class: from → to, what changes)."""
        return _answered(dialog)

    def confirm_restore(self, dialog: RestorePlanDialog) -> bool:
        """The plan of a restore of the store to a moment (what moves, what is left alone)."""
        return _answered(dialog)

    def show_about(self) -> None:
        from petbrowser import __version__

        QMessageBox.about(
            self.parent,
            "About petbrowser",
            f"<h3>petbrowser {__version__}</h3><p>Browse, compare and roll back the class versions "
            "of a LabChain class store. Nothing from the store is executed just because you browse it.</p>",
        )

    def open_folder(self, title: str) -> str | None:
        return QFileDialog.getExistingDirectory(self.parent, title, str(Path.home())) or None


def _answered(dialog: QDialog) -> bool:
    """Run a confirmation; True on yes.  The caller still reads its answers
    (``ask_again``, ``can_restore``) right away; the dialog itself goes at the
    next event-loop turn instead of staying a hidden child of the window."""
    try:
        return dialog.exec() == QDialog.DialogCode.Accepted
    finally:
        dialog.deleteLater()
