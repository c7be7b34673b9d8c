"""Screenshots of the Timeline and the restore plan, from the real app under Xvfb.

    xvfb-run -s "-screen 0 1440x900x24" .venv/bin/python scripts/timeline_screenshots.py [OUT_DIR]

Starts the app the way ``petbrowser --demo`` does (``app.create_app`` and
``app.build_window``), with its settings and the demo in a temporary folder,
picks the theme through the window (View ▸ Theme), selects carol's push of
week 2 in the Timeline and asks for "Restore the store to this moment…".
The screen is captured by ImageMagick's ``import`` from the X server, so what
is saved is what the app painted on a real display.  Writes
``timeline-{light,dark}.png`` (the window) and ``restore-plan-{light,dark}.png``
(the plan dialog alone: without a window manager it has no frame to set it
apart from the window behind it), by default into ``docs/screenshots``.  The restore itself is cancelled: the demo is not moved.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

SIZE = (1280, 800)


def _capture(out: Path, x: int, y: int, w: int, h: int) -> None:
    subprocess.run(
        ["import", "-silent", "-window", "root", "-crop", f"{w}x{h}+{x}+{y}", "+repage", str(out)], check=True
    )


def shoot(theme: str, out_dir: Path) -> None:
    """One theme, in this process (run once per theme: Qt's palette is per process)."""
    tmp = Path(tempfile.mkdtemp(prefix="petbrowser-tl-shots-"))
    os.environ["XDG_CONFIG_HOME"] = str(tmp / "config")  # QSettings, recent stores
    os.environ["XDG_DATA_HOME"] = str(tmp / "data")  # where --demo creates the demo
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

    from PySide6.QtCore import QEventLoop, QTimer

    from petbrowser.gui.app import build_window, create_app

    def settle(ms: int) -> None:
        loop = QEventLoop()
        QTimer.singleShot(ms, loop.quit)
        loop.exec()

    def until(check, what: str, timeout_ms: int = 120000) -> None:
        waited = 0
        while not check():
            settle(100)
            waited += 100
            if waited > timeout_ms:
                raise SystemExit(f"timed out waiting for {what}")

    app = create_app([sys.argv[0]])
    window = build_window(argparse.Namespace(demo=True))
    window.set_theme(theme)
    window.resize(*SIZE)
    window.move(0, 0)
    window.show()
    tt = window.time_travel
    until(lambda: window.manager is not None and window.model.status_entry("LinearModel") is not None, "the demo")
    until(lambda: tt.dock.model.timeline is not None and not tt._loading, "the timeline")
    moment = next(e for e in tt.dock.model.entries() if e.class_name == "LinearModel" and e.action == "push")
    tt.dock.select_entry(moment.key)
    until(lambda: window.selection().one_version is not None, "the tree to follow")
    settle(1500)
    geo = window.frameGeometry()
    _capture(out_dir / f"timeline-{theme}.png", geo.x(), geo.y(), geo.width(), geo.height())

    shown = {"done": False}

    def capture_plan(dialog) -> bool:
        dialog.show()
        settle(1200)
        d = dialog.frameGeometry()  # no window manager under Xvfb: the dialog alone reads as one
        _capture(out_dir / f"restore-plan-{theme}.png", d.x(), d.y(), d.width(), d.height())
        dialog.close()
        shown["done"] = True
        return False  # never actually move the demo's pointers

    window.prompts.confirm_restore = capture_plan
    tt.restore_action.trigger()
    until(lambda: shown["done"], "the restore plan")
    window.runner.shutdown(10000)
    window.close()
    app.processEvents()


def main() -> int:
    out = Path(sys.argv[1] if len(sys.argv) > 1 and not sys.argv[1].startswith("--") else "docs/screenshots")
    if "--theme" in sys.argv:
        shoot(sys.argv[sys.argv.index("--theme") + 1], out)
        return 0
    out.mkdir(parents=True, exist_ok=True)
    if not os.environ.get("DISPLAY"):
        raise SystemExit('needs an X display: xvfb-run -s "-screen 0 1440x900x24" python scripts/timeline_screenshots.py')
    for theme in ("light", "dark"):  # a process per theme: the palette is per application
        subprocess.run([sys.executable, __file__, str(out), "--theme", theme], check=True)
    print(f"screenshots written to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
