"""Start-up stays light: the heavy GUI modules load on first use, not at import.

Issue 7 measured first paint at 2.4x a bare QMainWindow, much of it imports of
views the first window never shows; this keeps them out of the start-up path.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

LAZY = (
    "petbrowser.gui.diff_view",
    "petbrowser.gui.code_view",
    "petbrowser.gui.highlighter",
    "petbrowser.gui.connect_dialog",
    "petbrowser.gui.confirm_move",
)


def test_the_main_window_builds_without_the_heavy_views_until_a_tab_needs_them(tmp_path):
    script = f"""
import json, sys
from PySide6.QtWidgets import QApplication
app = QApplication([])
from petbrowser.gui.main_window import MainWindow
window = MainWindow()
window.show()
app.processEvents()
before = [m for m in {LAZY!r} if m in sys.modules]
window.details.setCurrentIndex(window.details.SOURCE)
app.processEvents()
text = window.details.source.toPlainText()
print(json.dumps({{"before": before, "after": "petbrowser.gui.code_view" in sys.modules, "text": text}}))
"""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path / "c"),
               XDG_DATA_HOME=str(tmp_path / "d"))
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report["before"] == []
    assert report["after"] is True
    assert report["text"] == "# Select a class or a version."  # the placeholder reached the view built late
