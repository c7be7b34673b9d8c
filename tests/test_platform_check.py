"""The pre-Qt platform check (issue 18): one line naming what is missing, or nothing.

Each case uses PySide6's real platform plugins, the real dynamic loader
(``ldd``) and real sockets; only a library name inside a plugin copy is made
up (see tests/desktop.py).  No Qt is imported by the code under test.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from petbrowser.gui import platform_check
from petbrowser.gui.platform_check import check_platform
from tests.desktop import (
    HIDE_WAYLAND,
    HIDE_XCB,
    fake_wayland_socket,
    fake_x_display,
    gui_env,
    plugins_hiding,
    qt_dir,
    unused_x_display,
)


def _loads(plugin: str) -> bool:
    out = subprocess.run(["ldd", str(qt_dir() / "plugins" / "platforms" / plugin)], capture_output=True, text=True)
    return out.returncode == 0 and "not found" not in out.stdout


def test_a_missing_library_is_named_with_how_to_get_it(tmp_path: Path) -> None:
    plugins = plugins_hiding(tmp_path, HIDE_XCB)
    with fake_x_display() as display:
        message = check_platform({"DISPLAY": display, "QT_PLUGIN_PATH": str(plugins)})
    assert message is not None and "\n" not in message
    assert message.startswith(
        "cannot open a window: Qt's xcb (X11) platform plugin needs libxcb-pbhid.so.4, which is not installed; "
        "find the package that provides libxcb-pbhid.so.4 with `apt-file search libxcb-pbhid.so.4` (Debian/Ubuntu) "
        "or `dnf provides '*/libxcb-pbhid.so.4'` (Fedora); or use "
    )
    assert message.endswith("the command line, which needs no display (petbrowser ls, status, push, ...)")


def test_known_libraries_get_install_commands_for_debian_and_fedora() -> None:
    hint = platform_check._install_hint(["libxcb-cursor.so.0", "libxcb-icccm.so.4", "libxcb-randr.so.0", "libxcb-shape.so.0"])
    sudo = "" if os.geteuid() == 0 else "sudo "
    assert hint == (
        f"install them with `{sudo}apt-get install libxcb-cursor0 libxcb-icccm4 libxcb-randr0 libxcb-shape0` "
        f"(Debian/Ubuntu) or `{sudo}dnf install xcb-util-cursor xcb-util-wm libxcb` (Fedora)"
    )
    assert "reinstall petbrowser" in platform_check._install_hint(["libQt6XcbQpa.so.6"])


def test_every_package_named_for_a_desktop_is_in_the_table() -> None:
    debian = {deb for deb, _ in platform_check._PACKAGES.values()}
    fedora = {fed for _, fed in platform_check._PACKAGES.values()}
    assert set(platform_check.DESKTOP_PACKAGES_DEBIAN.split()) <= debian
    assert set(platform_check.DESKTOP_PACKAGES_FEDORA.split()) <= fedora


def test_no_display_at_all_gets_its_own_line() -> None:
    assert check_platform({}) == (
        "cannot open a window: there is no display (DISPLAY and WAYLAND_DISPLAY are not set); "
        "run it in a desktop session or over `ssh -X`, or use the command line, which needs no display "
        "(petbrowser ls, status, push, ...)"
    )
    # an explicit QT_QPA_PLATFORM=xcb without DISPLAY is the same situation
    assert check_platform({"QT_QPA_PLATFORM": "xcb"}).startswith("cannot open a window: there is no display")


def test_a_display_without_a_server(tmp_path: Path) -> None:
    display = unused_x_display()
    message = check_platform({"DISPLAY": display})
    assert message == (
        f"cannot open a window: no X server answers at DISPLAY={display}; run it in a desktop session "
        "or over `ssh -X`, or use the command line, which needs no display (petbrowser ls, status, push, ...)"
    )


def test_an_explicit_platform_is_respected(tmp_path: Path) -> None:
    # offscreen needs no display: nothing to say (the test suite itself runs on it)
    assert check_platform({"QT_QPA_PLATFORM": "offscreen"}) is None
    message = check_platform({"QT_QPA_PLATFORM": "nosuch"})
    assert message is not None and message.startswith(
        "cannot open a window: Qt has no platform plugin nosuch (QT_QPA_PLATFORM=nosuch); available: "
    )
    assert "offscreen" in message and "xcb" in message
    # xcb chosen explicitly: a working Wayland session does not rescue it, but is offered
    plugins = plugins_hiding(tmp_path, HIDE_XCB)
    with fake_x_display() as display, fake_wayland_socket(tmp_path) as wayland:
        env = {
            "QT_QPA_PLATFORM": "xcb",
            "DISPLAY": display,
            "WAYLAND_DISPLAY": wayland,
            "XDG_RUNTIME_DIR": str(tmp_path),
            "QT_PLUGIN_PATH": str(plugins),
        }
        message = check_platform(env)
    assert message is not None and "libxcb-pbhid.so.4" in message
    if _loads("libqwayland.so"):
        assert "or use QT_QPA_PLATFORM=wayland (this is a Wayland session), or the command line" in message


def test_qt_gives_up_only_when_every_platform_fails(tmp_path: Path) -> None:
    """With a Wayland session and an X display, Qt tries wayland then xcb: both must fail."""
    both = plugins_hiding(tmp_path / "both", HIDE_XCB, HIDE_WAYLAND)
    with fake_x_display() as display, fake_wayland_socket(tmp_path) as wayland:
        env = {"DISPLAY": display, "WAYLAND_DISPLAY": wayland, "XDG_RUNTIME_DIR": str(tmp_path)}
        message = check_platform({**env, "QT_PLUGIN_PATH": str(both)})
        assert message is not None and message.startswith(
            "cannot open a window: Qt's wayland and xcb (X11) platform plugins need "
            "libwayland-pbhide.so.0 and libxcb-pbhid.so.4, which are not installed;"
        )
        if _loads("libqwayland.so"):
            only_xcb = plugins_hiding(tmp_path / "xcb", HIDE_XCB)
            assert check_platform({**env, "QT_PLUGIN_PATH": str(only_xcb)}) is None  # wayland works


def test_unanswerable_means_go_ahead(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without ldd nothing can be said about libraries: Qt is left to try."""
    plugins = plugins_hiding(tmp_path, HIDE_XCB)
    monkeypatch.setattr(platform_check, "_ldd", lambda: None)
    with fake_x_display() as display:
        assert check_platform({"DISPLAY": display, "QT_PLUGIN_PATH": str(plugins)}) is None
    # a remote display is not probed either
    assert check_platform({"DISPLAY": "remote.example:10.0"}) is None


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "petbrowser", *args], env=env, capture_output=True, text=True, timeout=120
    )


def test_the_window_command_stops_with_one_line_and_exit_1(tmp_path: Path) -> None:
    """``petbrowser`` itself, before Qt loads: exit 1 and one line (Qt alone: abort, exit 134)."""
    plugins = plugins_hiding(tmp_path / "qt", HIDE_XCB)
    with fake_x_display() as display:
        proc = _run(gui_env(tmp_path, DISPLAY=display, QT_PLUGIN_PATH=str(plugins)), "--demo")
    assert proc.returncode == 1, proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(
        "petbrowser: cannot open a window: Qt's xcb (X11) platform plugin needs libxcb-pbhid.so.4"
    )
    proc = _run(gui_env(tmp_path), str(tmp_path))
    assert proc.returncode == 1
    assert proc.stderr.splitlines() == [
        "petbrowser: cannot open a window: there is no display (DISPLAY and WAYLAND_DISPLAY are not set); "
        "run it in a desktop session or over `ssh -X`, or use the command line, which needs no display "
        "(petbrowser ls, status, push, ...)"
    ]
    # the command line needs no display
    assert _run(gui_env(tmp_path), "demo", str(tmp_path / "d")).returncode == 0


def test_the_docs_name_the_same_packages_and_quote_the_real_lines() -> None:
    """README (install, troubleshooting) and scripts/run.sh say what the check says."""
    root = Path(__file__).resolve().parents[1]
    readme = root.joinpath("README.md").read_text()
    run_sh = " ".join(root.joinpath("scripts", "run.sh").read_text().replace("\\\n#", " ").split())
    for text in (" ".join(readme.replace("\\\n", " ").split()), run_sh):
        assert "apt-get install " + platform_check.DESKTOP_PACKAGES_DEBIAN in text
        assert "dnf install " + platform_check.DESKTOP_PACKAGES_FEDORA in text
    assert f"petbrowser: {check_platform({})}\n" in readme


def test_qt_failing_to_import_is_one_line(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """A QtGui that cannot load (a library it links is missing) is an ImportError: one line, exit 1."""
    from petbrowser import cli

    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    monkeypatch.setitem(sys.modules, "petbrowser.gui.app", None)  # importing it raises ImportError
    assert cli.main([]) == 1
    err = capsys.readouterr().err
    assert err.startswith("petbrowser: cannot load Qt: ") and err.count("\n") == 1
