"""Child-process probe: start a Qt program, report when its main window first paints.

Run as ``python first_paint_probe.py bare`` (an empty QMainWindow: the
baseline) or ``python first_paint_probe.py petbrowser [petbrowser GUI args]``.
The parent takes ``time.monotonic()`` just before starting this process; this
process prints ``time.monotonic()`` at the first paint of a widget inside a
QMainWindow (CLOCK_MONOTONIC is one clock for every process on Linux), so the
difference covers interpreter start, imports, window construction and the
first frame, as a user sees it.

How the probe gets in without help from the GUI: ``QApplication`` is replaced
by a subclass the moment ``PySide6.QtWidgets`` is first imported (an import
hook: the probe imports no Qt before the program under test does, see
``_PatchQtOnImport``; its Qt half is ``probe_qt.py``), and
``QMainWindow.show``/``setVisible`` install an event filter on the window
being shown: a top-level window receives the first paint event of each
pass, before its children.  The filter sits on the main window alone, not
on the application: an application-wide Python filter is handed every
internal object Qt makes (item models of list widgets, inotify engines,
platform windows), and wrapping those builds the Python types and enums of
whole modules (~115 enums, 30-40 ms) that no user's process pays, and more
in a richer window than in the bare one.  With ``--tree-classes N
--tree-versions M`` it then also waits until the window's tree model holds N
classes and M versions and a tree has painted again (filters on the trees'
viewports), and reports that time and the peak RSS; in petbrowser it also
waits for the window's ``listing_finished`` (every sidecar read: a first
open shows the tree before that) and reports when it came.

Prints one line ``BENCH_RESULT {json}`` and exits.
"""

from __future__ import annotations

import importlib.abc
import importlib.util
import subprocess
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from probe_state import _finish, _options, _result, _state  # noqa: E402


class _PatchQtOnImport(importlib.abc.MetaPathFinder):
    """Installs the Qt half (``probe_qt``) right after ``PySide6.QtWidgets`` loads.

    Why not import PySide6 here: PySide's ``__feature__`` support reads the
    source of every module imported after it, and a program that imports its
    own modules before Qt (petbrowser's command line does) would pay that for
    all of them under the probe only (~20 ms).
    """

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> Any:
        if name != "PySide6.QtWidgets":
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        if spec is None or spec.loader is None:
            return spec
        real_exec = spec.loader.exec_module

        def exec_module(module: Any) -> None:
            real_exec(module)
            import probe_qt

            probe_qt.install()

        spec.loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


def _count_spawns() -> None:
    original = subprocess.Popen.__init__

    def counting(self: subprocess.Popen, *args: Any, **kwargs: Any) -> None:
        _state["spawned"] += 1
        original(self, *args, **kwargs)

    subprocess.Popen.__init__ = counting  # type: ignore[method-assign]


def main(argv: list[str]) -> None:
    mode, rest = argv[0], argv[1:]
    while rest and rest[0].startswith("--tree-"):
        _options[rest[0][2:].replace("-", "_")] = int(rest[1])
        rest = rest[2:]
    sys.meta_path.insert(0, _PatchQtOnImport())
    _count_spawns()
    if mode == "bare":
        from PySide6 import QtWidgets

        app = QtWidgets.QApplication(sys.argv[:1])
        window = QtWidgets.QMainWindow()
        window.resize(1100, 700)
        window.show()
        app.exec()
    else:
        from petbrowser.cli import main as petbrowser_main

        petbrowser_main(rest)
    _finish({**_result(), "exited": True})


if __name__ == "__main__":
    main(sys.argv[1:])
