"""The desktop entry point: ``petbrowser [PROJECT_DIR] [--storage URL] [--demo]``.

``cli.main()`` calls :func:`run_gui` with the parsed GUI arguments; Qt is
imported only here, so the command line never pays for it.
"""

from __future__ import annotations

import argparse
import signal
import sys

from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication

from petbrowser import __version__
from petbrowser.gui.first_paint import after_first_paint
from petbrowser.gui.icons import app_icon
from petbrowser.gui.main_window import MainWindow
from petbrowser.gui.open_target import OpenTarget
from petbrowser.gui.recent import last_target
from petbrowser.gui.theme import THEME_MODES, apply_theme

__all__ = ["create_app", "build_window", "open_from_args", "run_gui", "target_from_args"]

ORG = "petbrowser"
APP = "petbrowser"
#: How long a worker may hold the interpreter while the UI thread waits (``run_gui``).
UI_SWITCH_INTERVAL_S = 0.001


def create_app(argv: list[str] | None = None) -> QApplication:
    """The QApplication, named so QSettings land in the 'petbrowser' scope."""
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        app = QApplication(argv if argv is not None else sys.argv[:1])
    app.setOrganizationName(ORG)
    app.setApplicationName(APP)
    app.setApplicationDisplayName("petbrowser")
    app.setApplicationVersion(__version__)
    app.setDesktopFileName("io.github.petbrowser.PetBrowser")  # packaging/*.desktop, Wayland app id
    app.setWindowIcon(app_icon())
    mode = str(QSettings().value("view/theme", "system"))
    apply_theme(app, mode if mode in THEME_MODES else "system")
    return app


def target_from_args(args: argparse.Namespace) -> OpenTarget | None:
    """What the command line asks to open (None: nothing explicit)."""
    project_dir = getattr(args, "project_dir", None)
    storage = getattr(args, "storage", None)
    if not project_dir and not storage:
        return None
    return OpenTarget(
        project_dir=project_dir,
        storage=storage,
        endpoint_url=getattr(args, "endpoint_url", None),
        profile=getattr(args, "profile", None),
        region=getattr(args, "region", None),
    )


def build_window(args: argparse.Namespace) -> MainWindow:
    """The main window, asked to open what ``args`` name (or the last project) once it has painted.

    The first frame is the window's frame and welcome page alone; its body
    (tree, details, Timeline) is built right after it paints, then opening
    imports the core manager and starts workers (``MainWindow(staged=True)``).
    """
    window = MainWindow(staged=True)
    after_first_paint(window, lambda: open_from_args(window, args))
    return window


def open_from_args(window: MainWindow, args: argparse.Namespace) -> None:
    """Open what ``args`` name: the demo, a project or store, else the last project."""
    if getattr(args, "demo", False):
        window.open_demo()
        return
    target = target_from_args(args) or last_target()
    if target is not None:
        window.open_target(target)


def run_gui(args: argparse.Namespace) -> int:
    """Open the window and run the event loop; returns the exit code.

    ``cli`` pauses the cyclic garbage collector for start-up (see there); from
    then on the window's ``workers.UiThreadCollector`` collects, on this thread.
    """
    # The UI thread calls into Python for every row Qt asks about; each call
    # waits for the interpreter lock, which a worker parsing the store holds up
    # to the switch interval (5 ms by default).  A thousand such waits froze a
    # first open's tree for seconds; 1 ms keeps the window answering while
    # workers read (docs/performance.md).
    sys.setswitchinterval(UI_SWITCH_INTERVAL_S)
    app = create_app()
    window = build_window(args)
    window.show()
    # Ctrl+C in the terminal closes the window properly (settings saved, workers
    # stopped); the idle timer lets Python run its signal handler during exec().
    signal.signal(signal.SIGINT, lambda *_: window.close())
    signal.signal(signal.SIGTERM, lambda *_: window.close())
    wake = QTimer()
    wake.start(250)
    wake.timeout.connect(lambda: None)
    return app.exec()
