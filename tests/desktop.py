"""Helpers for the start-up tests: Qt platform plugins with a library made unavailable,
stand-in display sockets, and a real Xvfb server.

A library is made unavailable the way a fresh desktop lacks it: a copy of
PySide6's platform plugin whose ``DT_NEEDED`` entry names a library no system
has (same length, so the ELF stays valid), in a folder given to Qt through
``QT_PLUGIN_PATH``, which Qt searches before its own plugins (and, unlike
``QT_QPA_PLATFORM_PLUGIN_PATH``, without falling back to them).  A ``lib``
link beside it keeps the plugin's ``RUNPATH`` (``$ORIGIN/../../lib``) pointing
at PySide6's Qt libraries.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import socket
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

#: (plugin, library it needs, the made-up name that replaces it: same length)
HIDE_XCB = ("libqxcb.so", "libxcb-icccm.so.4", "libxcb-pbhid.so.4")
HIDE_WAYLAND = ("libqwayland.so", "libwayland-cursor.so.0", "libwayland-pbhide.so.0")


def qt_dir() -> Path:
    spec = importlib.util.find_spec("PySide6")
    assert spec is not None and spec.submodule_search_locations
    return Path(spec.submodule_search_locations[0]) / "Qt"


def plugins_hiding(root: Path, *hides: tuple[str, str, str]) -> Path:
    """A QT_PLUGIN_PATH folder whose platform plugins each need one library nobody has."""
    qt = qt_dir()
    platforms = root / "plugins" / "platforms"
    platforms.mkdir(parents=True)
    (root / "lib").symlink_to(qt / "lib")
    for plugin, needed, replacement in hides:
        old, new = needed.encode() + b"\0", replacement.encode() + b"\0"
        assert len(old) == len(new)
        data = (qt / "plugins" / "platforms" / plugin).read_bytes()
        if data.count(old) != 1:
            pytest.skip(f"this Qt's {plugin} does not need {needed}")
        (platforms / plugin).write_bytes(data.replace(old, new))
    return root / "plugins"


@contextmanager
def fake_x_display() -> Iterator[str]:
    """A listening socket where an X server's would be (abstract namespace): ``:<n>``."""
    for number in range(4200, 4300):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.bind(f"\0/tmp/.X11-unix/X{number}")
        except OSError:
            sock.close()
            continue
        sock.listen(8)
        try:
            yield f":{number}"
        finally:
            sock.close()
        return
    raise RuntimeError("no free display number")


def unused_x_display() -> str:
    for number in range(4300, 4400):
        if not os.path.exists(f"/tmp/.X11-unix/X{number}"):
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                try:
                    sock.connect(f"\0/tmp/.X11-unix/X{number}")
                except OSError:
                    return f":{number}"
    raise RuntimeError("every display number is taken")


@contextmanager
def fake_wayland_socket(runtime_dir: Path) -> Iterator[str]:
    """A listening socket where a compositor's would be; yields its WAYLAND_DISPLAY name."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(str(runtime_dir / "wayland-pb"))
    sock.listen(8)
    try:
        yield "wayland-pb"
    finally:
        sock.close()


@contextmanager
def xvfb() -> Iterator[str]:
    """A real X server (Xvfb) on a free display; yields ``:<n>``.  Skips where Xvfb is missing
    (``.ci/run`` installs it, so CI fails instead of skipping)."""
    binary = shutil.which("Xvfb")
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("Xvfb is missing in CI: .ci/run installs it (package xvfb)")
        pytest.skip("Xvfb is not installed (apt-get install xvfb)")
    read_fd, write_fd = os.pipe()
    proc = subprocess.Popen(
        [binary, "-displayfd", str(write_fd), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
        pass_fds=(write_fd,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write_fd)
    try:
        with os.fdopen(read_fd) as pipe:
            number = pipe.readline().strip()
        if not number:
            raise RuntimeError("Xvfb did not start")
        yield f":{number}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def gui_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The environment of a real ``petbrowser`` window: no offscreen, no display, private dirs."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY", "XDG_SESSION_TYPE", "QT_PLUGIN_PATH")
        and not k.startswith("PETBROWSER_")
    }
    for name in ("home", "config", "data", "cache", "runtime"):
        (tmp_path / name).mkdir(exist_ok=True)
    (tmp_path / "runtime").chmod(0o700)
    env.update(
        HOME=str(tmp_path / "home"),
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        XDG_DATA_HOME=str(tmp_path / "data"),
        XDG_CACHE_HOME=str(tmp_path / "cache"),
        XDG_RUNTIME_DIR=str(tmp_path / "runtime"),
    )
    env.update(extra)
    return env
