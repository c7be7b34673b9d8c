"""Icons of the desktop app, loaded from ``petbrowser.resources``.

The SVGs under ``resources/icons`` draw their outlines in ``currentColor``;
they are tinted with the palette's text colour *when painted*, so a theme
switch recolours every toolbar icon without rebuilding it.  Status and
warning icons carry their own colours (and distinct shapes, for colour-blind
users) and are rendered as drawn.
"""

from __future__ import annotations

import sys
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QPoint, QRect, QSize, Qt
from PySide6.QtGui import QGuiApplication, QIcon, QIconEngine, QPainter, QPalette, QPixmap

if TYPE_CHECKING:  # QtSvg is loaded at the first paint of an icon, not at import
    from PySide6.QtSvg import QSvgRenderer

from petbrowser.gui.refcount_guard import guard_none_refcount

guard_none_refcount()  # before any widget work: see refcount_guard.py

__all__ = ["ICON_NAMES", "APP_ICON_SIZES", "icon", "app_icon", "resource_path"]

#: Every icon the GUI asks for; a test checks that each one loads.
ICON_NAMES: tuple[str, ...] = (
    "refresh", "push", "pull", "rollback", "undo", "redo", "diff", "open", "connect",
    "filter", "status-synced", "status-behind", "status-ahead", "status-out_of_sync", "status-untracked",
    "status-remote_only", "latest", "warning", "error", "unsafe", "by-reference",
    "no-metadata", "local", "settings", "info",
    "diff-added", "diff-removed", "diff-changed", "diff-unchanged",
)  # fmt: skip

#: Sizes rendered by scripts/render_icons.py into resources/icons/hicolor.
APP_ICON_SIZES: tuple[int, ...] = (16, 24, 32, 48, 64, 128, 256, 512)


@cache
def _resources_root() -> Path:
    """The folder that holds ``petbrowser.svg`` and ``icons/``.

    Installed builds ship it as the package ``petbrowser.resources`` (a
    folder inside ``petbrowser``); a PyInstaller bundle unpacks it under
    ``sys._MEIPASS``; a source checkout (and an editable install, which maps
    that package there) has it at the repository root.
    """
    here = Path(__file__).resolve().parents[1]  # the petbrowser package
    candidates = [here / "resources"]  # installed: the package's own folder
    meipass = getattr(sys, "_MEIPASS", None)
    if meipass:
        candidates += [Path(meipass) / "petbrowser" / "resources", Path(meipass) / "resources"]
    candidates.append(here.parent / "resources")  # a source checkout (and an editable install)
    for root in candidates:
        if (root / "icons").is_dir():
            return root
    # Anything else (a zipped or custom importer) asks importlib.resources, which
    # costs ~5 ms of imports before the first frame: hence the folders first.
    from importlib import resources

    try:
        root = Path(str(resources.files("petbrowser.resources")))
    except (ModuleNotFoundError, TypeError):
        return candidates[-1]
    return root if (root / "icons").is_dir() else candidates[-1]


def resource_path(relative: str) -> Path:
    """Absolute path of a file under resources/ (it may not exist)."""
    return _resources_root() / relative


@cache
def _svg_bytes(name: str) -> bytes:
    path = resource_path(f"icons/{name}.svg")
    try:
        return path.read_bytes()
    except OSError:
        return b""


_clones: list[QIconEngine] = []


class _TintedSvgEngine(QIconEngine):
    """Paints an SVG with ``currentColor`` replaced by the palette's colour of the moment."""

    def __init__(self, svg: bytes) -> None:
        super().__init__()
        self._svg = svg
        self._renderers: dict[tuple[str, bool], QSvgRenderer] = {}

    def _renderer(self, mode: QIcon.Mode) -> QSvgRenderer:
        palette = QGuiApplication.palette()
        disabled = mode == QIcon.Mode.Disabled
        group = QPalette.ColorGroup.Disabled if disabled else QPalette.ColorGroup.Active
        colour = palette.color(group, QPalette.ColorRole.WindowText).name()
        key = (colour, disabled)
        renderer = self._renderers.get(key)
        if renderer is None:
            data = self._svg.replace(b"currentColor", colour.encode())
            if disabled and b"currentColor" not in self._svg:
                # Coloured icons: fade them instead of recolouring.
                data = data.replace(b"<svg ", b'<svg opacity="0.4" ', 1)
            from PySide6.QtSvg import QSvgRenderer

            renderer = QSvgRenderer(QByteArray(data))
            self._renderers = {key: renderer} | dict(list(self._renderers.items())[:6])
        return renderer

    def paint(self, painter: QPainter, rect: QRect, mode: QIcon.Mode, state: QIcon.State) -> None:
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        self._renderer(mode).render(painter, rect)
        painter.restore()

    def pixmap(self, size: QSize, mode: QIcon.Mode, state: QIcon.State) -> QPixmap:
        pixmap = QPixmap(size)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        self.paint(painter, QRect(QPoint(0, 0), size), mode, state)
        painter.end()
        return pixmap

    def actualSize(self, size: QSize, mode: QIcon.Mode, state: QIcon.State) -> QSize:  # noqa: N802
        return size

    def availableSizes(self, mode: QIcon.Mode, state: QIcon.State) -> list[QSize]:  # noqa: N802
        return [QSize(n, n) for n in (16, 24, 32, 48, 64)]

    def clone(self) -> QIconEngine:
        # Qt takes the clone over, but PySide would still collect the Python
        # half: keep it alive (clones are rare: only when an icon is modified).
        engine = _TintedSvgEngine(self._svg)
        _clones.append(engine)
        return engine

    def key(self) -> str:
        return "petbrowser-tinted-svg"

    def isNull(self) -> bool:  # noqa: N802
        return not self._svg


_cache: dict[str, QIcon] = {}


def icon(name: str) -> QIcon:
    """The icon ``name`` (see ICON_NAMES); a null QIcon if no such SVG exists.

    Returning a null icon rather than raising keeps a missing resource from
    taking a window down; tests check that every name resolves.
    """
    cached = _cache.get(name)
    if cached is not None:
        return cached
    svg = _svg_bytes(name)
    result = QIcon(_TintedSvgEngine(svg)) if svg else QIcon()
    _cache[name] = result
    return result


def app_icon() -> QIcon:
    """The application icon with every pre-rendered PNG size, plus the SVG for the rest.

    Built once: the application, the main window and the welcome page all ask
    for it during start-up, and each build stats nine files.
    """
    global _app_icon
    if _app_icon is None:
        _app_icon = _build_app_icon()
    return QIcon(_app_icon)


_app_icon: QIcon | None = None


def _build_app_icon() -> QIcon:
    result = QIcon()
    for n in APP_ICON_SIZES:
        png = resource_path(f"icons/hicolor/{n}x{n}/apps/petbrowser.png")
        if png.is_file():
            result.addFile(str(png), QSize(n, n))
    svg = resource_path("petbrowser.svg")
    if result.isNull() and svg.is_file():
        result.addFile(str(svg))
    return result
