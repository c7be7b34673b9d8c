"""Themes switch the palette for real; every icon the GUI names exists and renders."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtGui import QColor, QGuiApplication, QImage, QPalette

from petbrowser.gui import icons, theme


@pytest.fixture()
def restore_theme(qapp):
    yield qapp
    theme.apply_theme(qapp, "system")


def _window_lightness() -> float:
    return QGuiApplication.palette().color(QPalette.ColorRole.Window).lightnessF()


def test_theme_switch_changes_palette_lightness(restore_theme) -> None:
    app = restore_theme
    theme.apply_theme(app, "dark")
    assert theme.is_dark()
    assert _window_lightness() < 0.3
    assert app.style().name().lower() == "fusion"
    theme.apply_theme(app, "light")
    assert not theme.is_dark()
    assert _window_lightness() > 0.7
    theme.apply_theme(app, "system")
    assert theme.current_mode() == "system"
    with pytest.raises(ValueError):
        theme.apply_theme(app, "purple")


def test_diff_colors_keep_text_readable() -> None:
    """Line tints stay near the background and spans stronger than lines, in both themes."""
    for dark, text in ((False, QColor("#1b1b1b")), (True, QColor("#dfe1e5"))):
        c = theme.diff_colors(dark)
        for line, span in (("insert_line", "insert_span"), ("delete_line", "delete_span")):
            gap_line = abs(c[line].lightnessF() - text.lightnessF())
            gap_span = abs(c[span].lightnessF() - text.lightnessF())
            assert gap_line > 0.5, (dark, line)
            assert gap_span > 0.3, (dark, span)
            assert gap_span < gap_line  # the stronger tint is further from the background


def _opaque_lightness(img: QImage) -> float:
    """Mean lightness of the clearly opaque pixels of an icon."""
    values = [
        img.pixelColor(x, y).lightnessF()
        for x in range(img.width())
        for y in range(img.height())
        if img.pixelColor(x, y).alpha() > 200
    ]
    assert values, "icon renders nothing"
    return sum(values) / len(values)


@pytest.mark.parametrize("name", icons.ICON_NAMES)
def test_every_named_icon_renders(qapp, name: str) -> None:
    ic = icons.icon(name)
    assert not ic.isNull()
    img = ic.pixmap(24, 24).toImage()
    assert img.width() == 24
    assert any(img.pixelColor(x, y).alpha() > 200 for x in range(24) for y in range(24))


def test_outline_icons_follow_the_palette(restore_theme) -> None:
    app = restore_theme
    theme.apply_theme(app, "light")
    on_light = _opaque_lightness(icons.icon("refresh").pixmap(32, 32).toImage())
    theme.apply_theme(app, "dark")
    on_dark = _opaque_lightness(icons.icon("refresh").pixmap(32, 32).toImage())
    assert on_light < 0.3 < 0.7 < on_dark


def test_status_icons_differ_in_shape_not_only_colour(qapp) -> None:
    """Colour-blind users tell statuses apart by shape: compare alpha masks."""
    masks = {}
    for status in ("synced", "behind", "out_of_sync", "untracked", "remote_only"):
        img = icons.icon(f"status-{status}").pixmap(24, 24).toImage()
        masks[status] = tuple(
            img.pixelColor(x, y).alpha() > 128 for x in range(24) for y in range(24)
        )
    assert len(set(masks.values())) == len(masks)


def test_unknown_icon_is_null_not_an_error(qapp) -> None:
    assert icons.icon("no-such-icon").isNull()


def test_app_icon_has_every_size(qapp) -> None:
    ic = icons.app_icon()
    assert not ic.isNull()
    sizes = {s.width() for s in ic.availableSizes()}
    assert set(icons.APP_ICON_SIZES) <= sizes
    for n in icons.APP_ICON_SIZES:
        png = Path(icons.resource_path(f"icons/hicolor/{n}x{n}/apps/petbrowser.png"))
        assert QImage(str(png)).size().width() == n


def test_render_script_writes_every_size(qapp, tmp_path: Path) -> None:
    import importlib.util

    script = Path(__file__).resolve().parents[2] / "scripts" / "render_icons.py"
    spec = importlib.util.spec_from_file_location("render_icons", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    written = module.render(out_root=tmp_path)
    assert [QImage(str(p)).width() for p in written] == list(module.SIZES)
    big = QImage(str(written[-1]))
    assert big.pixelColor(256, 256).alpha() == 255  # the mark is opaque in the middle
    assert big.pixelColor(1, 1).alpha() == 0  # rounded corners stay transparent
