"""Notices every save of the project's module files, however the editor saves.

``QFileSystemWatcher`` watches an inode, not a name: an editor that saves by
writing a temporary file and renaming it over the module leaves the watch on
the old, deleted inode, and Qt may keep listing the path while no event will
ever come again.  So every event re-arms the file's watch (remove, add), the
folders are watched too (a rename shows there), and each file's stat
signature (inode, size, modification and change times in nanoseconds) is
kept, so a caller can ask whether anything changed since it started reading
(:meth:`ModuleWatcher.snapshot`, :meth:`ModuleWatcher.changed_since`) and
never trusts an answer computed from older bytes.

The Qt watcher itself is made when the first file is to be watched (after
the window's first paint: the status check names the files), not with the
window: nothing is watched before a project is open.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QFileSystemWatcher, QObject, QTimer, Signal

__all__ = ["ModuleWatcher", "Stamp", "stamp"]

#: (inode, size, mtime_ns, ctime_ns); None when the file is missing.
Stamp = tuple[int, int, int, int] | None


def stamp(path: str) -> Stamp:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


class ModuleWatcher(QObject):
    """Emits ``changed`` once a burst of saves has settled (``debounce_ms``)."""

    changed = Signal()

    def __init__(self, parent: QObject | None = None, debounce_ms: int = 300) -> None:
        super().__init__(parent)
        self._qt: QFileSystemWatcher | None = None  # made on first use (see the module docstring)
        self._stamps: dict[str, Stamp] = {}
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(debounce_ms)
        self._debounce.timeout.connect(self.changed)

    @property
    def _watcher(self) -> QFileSystemWatcher:
        if self._qt is None:
            self._qt = QFileSystemWatcher(self)
            self._qt.fileChanged.connect(self._on_file_changed)
            self._qt.directoryChanged.connect(self._on_dir_changed)
        return self._qt

    def files(self) -> list[str]:
        return sorted(self._stamps)

    def set_files(self, files: list[str] | tuple[str, ...]) -> None:
        """Watch exactly ``files`` (absolute paths) and their folders."""
        if set(files) == set(self._stamps) and all(self._armed(f) for f in files):
            return
        if self._qt is None and not files:
            self._stamps = {}
            return
        old = self._watcher.files() + self._watcher.directories()
        if old:
            self._watcher.removePaths(old)
        self._stamps = {f: stamp(f) for f in files}
        existing = [f for f in files if os.path.exists(f)]
        if existing:
            self._watcher.addPaths(existing)
        folders = sorted({str(Path(f).parent) for f in files})
        if folders:
            self._watcher.addPaths(folders)

    def clear(self) -> None:
        self._debounce.stop()
        self.set_files([])

    def snapshot(self) -> dict[str, Stamp]:
        """Every watched file's stat signature now (take it before reading the files)."""
        return {f: stamp(f) for f in self._stamps}

    def changed_since(self, snapshot: dict[str, Stamp]) -> bool:
        """Whether any file of ``snapshot`` differs from it now."""
        return any(stamp(f) != s for f, s in snapshot.items())

    # ------------------------------------------------------------ events
    def _armed(self, path: str) -> bool:
        return path in self._watcher.files() or not os.path.exists(path)

    def _rearm(self, path: str) -> None:
        """Watch the inode the name points at now (a rename replaced the old one)."""
        if path in self._watcher.files():
            self._watcher.removePath(path)
        if os.path.exists(path):
            self._watcher.addPath(path)

    def _on_file_changed(self, path: str) -> None:
        if path not in self._stamps:
            return
        self._rearm(path)
        self._stamps[path] = stamp(path)
        self._debounce.start()

    def _on_dir_changed(self, _folder: str) -> None:
        changed = False
        for f, old in list(self._stamps.items()):
            now = stamp(f)
            if now != old:
                self._stamps[f] = now
                self._rearm(f)
                changed = True
        if changed:
            self._debounce.start()
