"""Light, dark and system themes, and the diff colours that suit each.

Widgets never hard-code colours: they ask the palette (``is_dark``) and
``diff_colors`` so the same code reads well on both backgrounds, and they
react to ``QEvent.PaletteChange`` when the theme changes under them.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

from petbrowser.gui.refcount_guard import guard_none_refcount

guard_none_refcount()  # before any widget work: see refcount_guard.py

__all__ = ["THEME_MODES", "apply_theme", "current_mode", "is_dark", "dark_palette", "diff_colors"]

THEME_MODES: tuple[str, ...] = ("system", "light", "dark")

_state: dict[str, object] = {"mode": "system", "platform_style": None, "hooked": False, "applied": False}


def dark_palette() -> QPalette:
    """A calm dark palette (not pure black) with enough contrast for long reading."""
    p = QPalette()
    window, base, alt = QColor("#2b2d31"), QColor("#1e1f22"), QColor("#26282c")
    text, dim = QColor("#dfe1e5"), QColor("#8c9099")
    accent = QColor("#3d7fd9")
    roles = {
        QPalette.ColorRole.Window: window,
        QPalette.ColorRole.WindowText: text,
        QPalette.ColorRole.Base: base,
        QPalette.ColorRole.AlternateBase: alt,
        QPalette.ColorRole.ToolTipBase: QColor("#3a3d42"),
        QPalette.ColorRole.ToolTipText: text,
        QPalette.ColorRole.PlaceholderText: dim,
        QPalette.ColorRole.Text: text,
        QPalette.ColorRole.Button: QColor("#35373c"),
        QPalette.ColorRole.ButtonText: text,
        QPalette.ColorRole.BrightText: QColor("#ff6b6b"),
        QPalette.ColorRole.Light: QColor("#44474d"),
        QPalette.ColorRole.Midlight: QColor("#3a3d42"),
        QPalette.ColorRole.Mid: QColor("#2f3136"),
        QPalette.ColorRole.Dark: QColor("#18191c"),
        QPalette.ColorRole.Shadow: QColor("#0d0e10"),
        QPalette.ColorRole.Highlight: accent,
        QPalette.ColorRole.HighlightedText: QColor("#ffffff"),
        QPalette.ColorRole.Link: QColor("#6aa7ff"),
        QPalette.ColorRole.LinkVisited: QColor("#b093ff"),
    }
    for role, colour in roles.items():
        p.setColor(role, colour)
    disabled = QColor("#6b6f77")
    for role in (
        QPalette.ColorRole.WindowText,
        QPalette.ColorRole.Text,
        QPalette.ColorRole.ButtonText,
        QPalette.ColorRole.HighlightedText,
    ):
        p.setColor(QPalette.ColorGroup.Disabled, role, disabled)
    p.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Highlight, QColor("#44474d"))
    p.setColor(QPalette.ColorGroup.Inactive, QPalette.ColorRole.Highlight, QColor("#34557f"))
    return p


def _set_color_scheme(app: QGuiApplication, scheme: Qt.ColorScheme) -> None:
    """Tell Qt (6.8+) which scheme we want, so native parts (title bars) agree."""
    hints = app.styleHints()
    setter = getattr(hints, "setColorScheme", None)
    if setter is not None:
        try:
            setter(scheme)
        except (TypeError, RuntimeError):
            pass


def _platform_is_dark(app: QGuiApplication) -> bool:
    scheme = getattr(app.styleHints(), "colorScheme", lambda: Qt.ColorScheme.Unknown)()
    return scheme == Qt.ColorScheme.Dark


def apply_theme(app: QApplication, mode: str = "system") -> None:
    """Switch the whole application to ``mode`` ("system", "light" or "dark").

    Light and dark use Fusion so both look the same on every platform.
    "system" keeps the platform's own style and palette, falling back to our
    dark palette when the platform says dark but its style paints light,
    and follows later changes of the platform's colour scheme.
    """
    if mode not in THEME_MODES:
        raise ValueError(f"unknown theme {mode!r}; expected one of {', '.join(THEME_MODES)}")
    first, _state["applied"] = not _state["applied"], True
    _state["mode"] = mode
    if first and mode == "system":
        # Start-up in the system theme: Qt has put the platform's style and
        # palette in place already, so only a dark platform whose style paints
        # light needs ours.  Asking for the style object here would make PySide
        # build QStyle's enums (~18 ms before the first frame: docs/performance.md).
        if _platform_is_dark(app) and not is_dark(QGuiApplication.palette()):
            app.setPalette(dark_palette())
    else:
        _switch(app, mode)
    if not _state["hooked"]:
        signal = getattr(app.styleHints(), "colorSchemeChanged", None)
        if signal is not None:
            signal.connect(lambda *_: _follow_platform(app))
            _state["hooked"] = True


def _switch(app: QApplication, mode: str) -> None:
    """Set the style and palette of ``mode`` (a switch at run time, or a start in light or dark)."""
    if _state["platform_style"] is None:  # before the first switch away from it
        _state["platform_style"] = app.style().name()
    if mode == "dark":
        _set_color_scheme(app, Qt.ColorScheme.Dark)
        app.setStyle("Fusion")
        app.setPalette(dark_palette())
    elif mode == "light":
        _set_color_scheme(app, Qt.ColorScheme.Light)
        app.setStyle("Fusion")
        palette = app.style().standardPalette()
        if is_dark(palette):  # Fusion follows the scheme; be explicit if it did not
            palette = _light_palette()
        app.setPalette(palette)
    else:
        _set_color_scheme(app, Qt.ColorScheme.Unknown)
        if app.style().name() != _state["platform_style"]:  # a new style object re-polishes every widget
            app.setStyle(str(_state["platform_style"]))
        palette = app.style().standardPalette()
        if _platform_is_dark(app) and not is_dark(palette):
            palette = dark_palette()
        app.setPalette(palette)


def _follow_platform(app: QApplication) -> None:
    if _state["mode"] == "system":
        apply_theme(app, "system")


def _light_palette() -> QPalette:
    p = QPalette(QColor("#efefef"), QColor("#f7f7f7"))
    p.setColor(QPalette.ColorRole.Base, QColor("#ffffff"))
    p.setColor(QPalette.ColorRole.Text, QColor("#1b1b1b"))
    p.setColor(QPalette.ColorRole.WindowText, QColor("#1b1b1b"))
    p.setColor(QPalette.ColorRole.Highlight, QColor("#2f6fd0"))
    p.setColor(QPalette.ColorRole.HighlightedText, QColor("#ffffff"))
    return p


def current_mode() -> str:
    """The mode last given to apply_theme ("system" before any call)."""
    return str(_state["mode"])


def is_dark(palette: QPalette | None = None) -> bool:
    """Whether text sits on a dark background (the app palette by default)."""
    if palette is None:
        palette = QGuiApplication.palette()
    base = palette.color(QPalette.ColorRole.Base)
    text = palette.color(QPalette.ColorRole.Text)
    return base.lightnessF() < text.lightnessF()


def diff_colors(dark: bool) -> dict[str, QColor]:
    """Backgrounds and accents for diff rows, chosen to keep text readable.

    Keys: ``insert_line``/``insert_span`` (added on the right), ``delete_line``/
    ``delete_span`` (removed on the left), ``change_line`` (a replaced line),
    ``filler`` (the empty side of an insert/delete), ``current`` (the change
    being visited), and the status colours ``added``, ``removed``, ``changed``,
    ``unchanged`` used for method names.
    """
    if dark:
        return {
            "insert_line": QColor("#1f3a28"),
            "insert_span": QColor("#2f6b40"),
            "delete_line": QColor("#45252a"),
            "delete_span": QColor("#82353f"),
            "change_line": QColor("#3d3522"),
            "filler": QColor("#25272b"),
            "filler_hatch": QColor("#34363b"),
            "current": QColor("#5a8fd6"),
            "added": QColor("#5cc97a"),
            "removed": QColor("#f07178"),
            "changed": QColor("#e8b04a"),
            "unchanged": QColor("#8c9099"),
        }
    return {
        "insert_line": QColor("#e3f6e6"),
        "insert_span": QColor("#a8e2b3"),
        "delete_line": QColor("#fde7e8"),
        "delete_span": QColor("#f5b0b5"),
        "change_line": QColor("#fdf3d8"),
        "filler": QColor("#f3f3f3"),
        "filler_hatch": QColor("#dddddd"),
        "current": QColor("#2f6fd0"),
        "added": QColor("#1e8a3a"),
        "removed": QColor("#c62f37"),
        "changed": QColor("#a86b00"),
        "unchanged": QColor("#7b7f87"),
    }
