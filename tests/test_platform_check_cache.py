"""The platform check remembers a clean loader answer (issue 16: no ``ldd`` child on an unchanged desktop).

Real plugins (a copy of PySide6's offscreen plugin, or one made to need a
library nobody has), the real ``ldd``; the children are counted where they
are started (``subprocess.Popen`` as the module calls it).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from petbrowser.gui import platform_check
from tests.desktop import HIDE_XCB, fake_x_display, plugins_hiding, qt_dir


@pytest.fixture
def spawned(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """Every child the platform check starts, by its argv."""
    started: list[list[str]] = []
    real = subprocess.Popen

    def counting(args: list[str], *a: object, **kw: object) -> subprocess.Popen[str]:
        started.append(list(args))
        return real(args, *a, **kw)  # type: ignore[call-overload, no-any-return]

    monkeypatch.setattr(subprocess, "Popen", counting)  # the module imports it when it starts one
    return started


def _offscreen_copy(root: Path) -> dict[str, str]:
    """An environment whose Qt loads a private copy of the offscreen plugin (its file can change)."""
    platforms = root / "plugins" / "platforms"
    platforms.mkdir(parents=True)
    (root / "lib").symlink_to(qt_dir() / "lib")  # the plugin's RUNPATH: $ORIGIN/../../lib
    shutil.copy2(qt_dir() / "plugins" / "platforms" / "libqoffscreen.so", platforms)
    return {"QT_QPA_PLATFORM": "offscreen", "QT_PLUGIN_PATH": str(root / "plugins")}


def _check(env: dict[str, str], cache: Path) -> str | None:
    return platform_check.start_check(env, cache=cache).message()


def test_an_unchanged_desktop_asks_the_loader_once(tmp_path: Path, spawned: list[list[str]]) -> None:
    env = _offscreen_copy(tmp_path / "qt")
    cache = tmp_path / "cache" / "platform-check.json"
    assert _check(env, cache) is None
    assert len(spawned) == 1 and spawned[0][-1].endswith("libqoffscreen.so")
    assert _check(env, cache) is None
    assert _check(env, cache) is None
    assert len(spawned) == 1  # remembered
    assert platform_check.start_check(env, cache=cache).probes_started == 0
    # without a cache file the loader is asked every time (check_platform, the tests' door)
    assert platform_check.check_platform(env) is None
    assert len(spawned) == 2


def test_a_changed_key_asks_again(tmp_path: Path, spawned: list[list[str]], monkeypatch: pytest.MonkeyPatch) -> None:
    env = _offscreen_copy(tmp_path / "qt")
    plugin = Path(env["QT_PLUGIN_PATH"]) / "platforms" / "libqoffscreen.so"
    ld_cache = tmp_path / "ld.so.cache"
    ld_cache.write_bytes(b"stand-in")
    monkeypatch.setattr(platform_check, "_LOADER_FILES", (str(ld_cache),))
    cache = tmp_path / "platform-check.json"
    assert _check(env, cache) is None and len(spawned) == 1

    st = plugin.stat()
    os.utime(plugin, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))  # a reinstalled Qt
    assert _check(env, cache) is None and len(spawned) == 2
    assert _check(env, cache) is None and len(spawned) == 2

    st = ld_cache.stat()
    os.utime(ld_cache, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))  # ldconfig ran
    assert _check(env, cache) is None and len(spawned) == 3

    moved = {**env, "LD_LIBRARY_PATH": str(tmp_path)}  # the loader searches elsewhere
    assert _check(moved, cache) is None and len(spawned) == 4
    assert _check(moved, cache) is None and _check(env, cache) is None
    assert len(spawned) == 4  # both environments remembered

    with plugin.open("ab") as f:  # same mtime, other size
        f.write(b"\0")
    os.utime(plugin, ns=(st.st_atime_ns, plugin.stat().st_mtime_ns))
    assert _check(env, cache) is None and len(spawned) == 5


def test_a_missing_library_is_never_remembered(tmp_path: Path, spawned: list[list[str]]) -> None:
    plugins = plugins_hiding(tmp_path / "qt", HIDE_XCB)
    cache = tmp_path / "platform-check.json"
    with fake_x_display() as display:
        env = {"DISPLAY": display, "QT_PLUGIN_PATH": str(plugins)}
        first = _check(env, cache)
        second = _check(env, cache)
    assert first is not None and "libxcb-pbhid.so.4" in first
    assert second == first
    xcb = [argv for argv in spawned if argv[-1].endswith("libqxcb.so")]
    assert len(xcb) == 2  # asked again: the user may have installed it meanwhile
    assert not cache.exists()


@pytest.mark.parametrize(
    "content",
    [b"{not json", b"\xff\xfe\x00garbage", b"[]", b'{"version": 99, "ok": []}', b'{"version": 1, "ok": [1, 2]}', b""],
)
def test_a_corrupt_or_foreign_cache_file_is_ignored(tmp_path: Path, spawned: list[list[str]], content: bytes) -> None:
    env = _offscreen_copy(tmp_path / "qt")
    cache = tmp_path / "platform-check.json"
    cache.write_bytes(content)
    assert _check(env, cache) is None
    assert len(spawned) == 1
    data = json.loads(cache.read_text())  # rewritten whole
    assert data["version"] == platform_check._CACHE_VERSION and len(data["ok"]) == 1
    assert _check(env, cache) is None and len(spawned) == 1


def test_a_forged_key_for_a_broken_plugin_cannot_exist(tmp_path: Path, spawned: list[list[str]]) -> None:
    """A remembered key names one exact plugin file: a broken plugin elsewhere is still probed."""
    env = _offscreen_copy(tmp_path / "ok")
    cache = tmp_path / "platform-check.json"
    assert _check(env, cache) is None
    plugins = plugins_hiding(tmp_path / "broken", HIDE_XCB)
    with fake_x_display() as display:
        message = _check({"DISPLAY": display, "QT_PLUGIN_PATH": str(plugins)}, cache)
    assert message is not None and "libxcb-pbhid.so.4" in message
    assert [argv[-1].rsplit("/", 1)[-1] for argv in spawned][:2] == ["libqoffscreen.so", "libqxcb.so"]


def test_an_unwritable_cache_folder_is_only_slower(tmp_path: Path, spawned: list[list[str]]) -> None:
    env = _offscreen_copy(tmp_path / "qt")
    blocker = tmp_path / "file"
    blocker.write_text("")
    cache = blocker / "platform-check.json"  # its folder is a file
    assert _check(env, cache) is None and _check(env, cache) is None
    assert len(spawned) == 2
    assert list(tmp_path.glob("**/.platform-check.json.*")) == []


def test_the_app_uses_the_users_cache_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert platform_check.default_cache_file() == tmp_path / "petbrowser" / "platform-check.json"


@pytest.mark.parametrize("xdg", [None, "", "   ", "relative/cache", "/abs/cache"])
def test_the_cache_file_is_where_platformdirs_puts_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, xdg: str | None
) -> None:
    """Worked out without importing platformdirs (before the first frame), and in the same place."""
    import platformdirs

    monkeypatch.setenv("HOME", str(tmp_path))
    if xdg is None:
        monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    else:
        monkeypatch.setenv("XDG_CACHE_HOME", xdg)
    want = platformdirs.user_cache_path("petbrowser") / "platform-check.json"
    assert platform_check.default_cache_file() == want
