"""Render the README screenshots offscreen from a fresh demo store.

    .venv/bin/python scripts/screenshots.py [OUT_DIR]   (default docs/screenshots)

Writes main-{light,dark}.png, diff-{light,dark}.png and rollback-light.png.
The demo and the settings live in a temporary folder, so the user's own
settings and demo are never touched.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PySide6.QtCore import QEventLoop, QPoint, QSettings, QTimer  # noqa: E402
from PySide6.QtGui import QColor, QPainter  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

SIZE = (1280, 800)


def wait_for(signal, timeout_ms: int = 60000, check=None) -> None:
    """Run the event loop until ``signal`` fires (and ``check(*args)`` holds)."""
    loop = QEventLoop()
    ok = {"fired": False}

    def fired(*args):
        if check is None or check(*args):
            ok["fired"] = True
            loop.quit()

    signal.connect(fired)
    QTimer.singleShot(timeout_ms, loop.quit)
    loop.exec()
    signal.disconnect(fired)
    if not ok["fired"]:
        raise SystemExit(f"timed out waiting for {signal}")


def settle(ms: int = 200) -> None:
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def main(out_dir: str = "docs/screenshots") -> int:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="petbrowser-shots-"))
    for fmt in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
        QSettings.setPath(fmt, QSettings.Scope.UserScope, str(tmp / "settings"))
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setOrganizationName("petbrowser-screenshots")
    app.setApplicationName("petbrowser")

    from petbrowser.core.demo import create_demo
    from petbrowser.gui.class_tree import Role
    from petbrowser.gui.commands import MakeLatestCommand
    from petbrowser.gui.confirm_move import ConfirmMoveDialog
    from petbrowser.gui.main_window import MainWindow
    from petbrowser.gui.open_target import OpenTarget
    from petbrowser.gui.theme import apply_theme

    project = create_demo(tmp / "demo")
    for theme in ("light", "dark"):
        apply_theme(app, theme)
        w = MainWindow()
        w.resize(*SIZE)
        w.show()
        w.open_target(OpenTarget(project_dir=str(project)))
        wait_for(w.statuses_updated)
        w.tree.expandAll()
        norm = w.model.class_index("Normalizer")
        latest = norm.data(Role.HASH)
        w.select_index(w.model.version_index("Normalizer", latest))
        wait_for(w.details_updated, check=lambda kind: kind == "version")
        settle()
        w.grab().save(str(out / f"main-{theme}.png"))

        hashes = [w.model.index(r, 0, norm).data(Role.HASH) for r in range(w.model.rowCount(norm))]
        w.select_index(w.model.version_index("Normalizer", hashes[0]))
        w.select_index(w.model.version_index("Normalizer", hashes[1]), extend=True)
        wait_for(w.details_updated, check=lambda kind: kind == "diff")
        w.splitter.setSizes([500, 780])  # what a user does to read a diff
        w.details.diff.view.next_change()
        settle()
        w.grab().save(str(out / f"diff-{theme}.png"))

        if theme == "light":
            info = w.model.class_info("ThresholdFilter")
            target = next(v for v in info.versions if v.hash != info.latest)
            shown: dict = {}

            def capture(dialog, w=w, shown=shown):
                dialog.adjustSize()
                dialog.show()
                settle()
                shown["dialog"] = dialog.grab()
                shown["window"] = w.grab()
                return False  # never actually move the demo's pointer

            w.prompts.confirm_move = capture
            w.splitter.setSizes([720, 560])
            w.select_index(w.model.version_index("ThresholdFilter", target.hash))
            wait_for(w.details_updated, check=lambda kind: kind == "version")
            w.details.setCurrentIndex(w.details.OVERVIEW)
            w.run(MakeLatestCommand("ThresholdFilter", target.hash))
            while "window" not in shown:
                settle(50)
            base = shown["window"]
            painter = QPainter(base)
            painter.fillRect(base.rect(), QColor(0, 0, 0, 90))  # the window behind a modal dialog
            d = shown["dialog"]
            at = QPoint((base.width() - d.width()) // 2, (base.height() - d.height()) // 3)
            painter.drawPixmap(at, d)
            painter.setPen(QColor(0, 0, 0, 140))
            painter.drawRect(at.x() - 1, at.y() - 1, d.width() + 1, d.height() + 1)
            painter.end()
            base.save(str(out / "rollback-light.png"))
            assert ConfirmMoveDialog  # the dialog class the capture hook received
        w.runner.shutdown(10000)
        w.close()
        w.deleteLater()
    print(f"screenshots written to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(*sys.argv[1:]))
