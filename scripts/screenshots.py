"""Render the README screenshots from the real app on a fresh demo store.

    Xvfb :99 -screen 0 1600x1000x24 &
    DISPLAY=:99 .venv/bin/python scripts/screenshots.py [OUT_DIR]   (default docs/screenshots)

Runs the app as ``petbrowser --demo`` builds it (``create_app`` and
``build_window``) under the X server in ``DISPLAY`` (offscreen without one),
at 1440×900 and 800×600, light and dark, and writes for each
``main-<theme>[-800].png`` (a version selected), ``diff-<theme>[-800].png``
(two versions compared; at 800 px in the unified view), plus
``rollback-light.png`` and ``push-light.png`` (the confirmations, over the
window).  The demo and the settings live in a temporary folder: the user's
own settings and demo are never touched, and no pointer is moved.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

if not os.environ.get("DISPLAY"):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
_TMP = Path(tempfile.mkdtemp(prefix="petbrowser-shots-"))
os.environ["XDG_DATA_HOME"] = str(_TMP / "data")  # where --demo creates the demo
os.environ["XDG_CONFIG_HOME"] = str(_TMP / "config")

from PySide6.QtCore import QEventLoop, QPoint, QSettings, QTimer  # noqa: E402
from PySide6.QtGui import QColor, QPainter, QPixmap  # noqa: E402

SIZES = {"": (1440, 900), "-800": (800, 600)}


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


def settle(ms: int = 250) -> None:
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def over_window(window, dialog) -> QPixmap:
    """The dialog drawn over the dimmed window, as a modal dialog looks."""
    dialog.adjustSize()
    dialog.show()
    settle()
    base, shot = window.grab(), dialog.grab()
    painter = QPainter(base)
    painter.fillRect(base.rect(), QColor(0, 0, 0, 90))
    at = QPoint(max(0, (base.width() - shot.width()) // 2), max(0, (base.height() - shot.height()) // 3))
    painter.drawPixmap(at, shot)
    painter.setPen(QColor(0, 0, 0, 140))
    painter.drawRect(at.x() - 1, at.y() - 1, shot.width() + 1, shot.height() + 1)
    painter.end()
    dialog.close()
    return base


def shoot(out: Path, theme: str, suffix: str, size: tuple[int, int]) -> None:
    from petbrowser.gui.app import build_window, create_app
    from petbrowser.gui.class_tree import Role
    from petbrowser.gui.commands import MakeLatestCommand, PushCommand
    from petbrowser.gui.theme import apply_theme

    app = create_app()
    apply_theme(app, theme)
    w = build_window(argparse.Namespace(demo=True))
    w.resize(*size)
    w.show()
    wait_for(w.statuses_updated)
    w.tree.expandAll()
    norm = w.model.class_index("Normalizer")
    w.select_index(w.model.version_index("Normalizer", norm.data(Role.HASH)))
    wait_for(w.details_updated, check=lambda kind: kind == "version")
    settle()
    w.grab().save(str(out / f"main-{theme}{suffix}.png"))

    hashes = [w.model.index(r, 0, norm).data(Role.HASH) for r in range(w.model.rowCount(norm))]
    w.select_index(w.model.version_index("Normalizer", hashes[0]))
    w.select_index(w.model.version_index("Normalizer", hashes[1]), extend=True)
    wait_for(w.details_updated, check=lambda kind: kind == "diff")
    view = w.details.diff.view
    view.set_unified(suffix == "-800")  # a narrow pane reads a change best in one column
    view.set_wrap(suffix == "-800")
    if not suffix:
        w.splitter.setSizes([560, 880])  # what a user does to read a diff
    view.next_change()
    settle()
    w.grab().save(str(out / f"diff-{theme}{suffix}.png"))
    view.set_unified(False)
    view.set_wrap(False)

    if theme == "light" and not suffix:
        info = w.model.class_info("ThresholdFilter")
        target = next(v for v in info.versions if v.hash != info.latest)
        shots: dict[str, QPixmap] = {}
        w.prompts.confirm_move = lambda d: bool(shots.setdefault("move", over_window(w, d))) and False
        w.prompts.confirm_push = lambda d: bool(shots.setdefault("push", over_window(w, d))) and False
        w.splitter.setSizes([820, 620])
        w.select_index(w.model.version_index("ThresholdFilter", target.hash))
        wait_for(w.details_updated, check=lambda kind: kind == "version")
        w.details.setCurrentIndex(w.details.OVERVIEW)
        w.run(MakeLatestCommand("ThresholdFilter", target.hash))
        while "move" not in shots:
            settle(50)
        shots["move"].save(str(out / "rollback-light.png"))
        w.tree.clearSelection()
        w.run(PushCommand([]))
        while "push" not in shots:
            settle(50)
        shots["push"].save(str(out / "push-light.png"))
    w.runner.shutdown(10000)
    w.close()
    w.deleteLater()
    settle(50)


def main(out_dir: str = "docs/screenshots") -> int:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for theme in ("light", "dark"):
        for suffix, size in SIZES.items():
            for fmt in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):  # a first start each time
                QSettings.setPath(fmt, QSettings.Scope.UserScope, str(_TMP / f"settings-{theme}{suffix}"))
            shoot(out, theme, suffix, size)
    print(f"screenshots written to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(*sys.argv[1:]))
