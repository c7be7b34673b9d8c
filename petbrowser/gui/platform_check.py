"""Will Qt be able to open a window here?  Asked before Qt is imported.

When no platform plugin can be initialized, Qt prints a hint that names at
most one missing library and then calls ``abort()``: exit code 134, a core
dump, and a user who reinstalls petbrowser for nothing.  This module answers
the same question first, without importing Qt, so ``petbrowser`` can print
one line that names every missing library, the packages that bring them
(Debian/Ubuntu and Fedora), and the alternatives, and exit 1.

How it mirrors Qt (6.x, ``QGuiApplicationPrivate::createPlatformIntegration``):

- the platforms Qt will try: ``QT_QPA_PLATFORM`` when set (a ``;``-separated
  list is tried in order), else ``wayland`` when ``WAYLAND_DISPLAY`` is set or
  ``XDG_SESSION_TYPE=wayland``, and ``xcb`` (with or without ``DISPLAY``: it is
  Qt's built-in default).  Qt gives up only when *every* one of them fails, so
  petbrowser stops only then;
- the plugin files: ``<dir>/platforms`` for each ``QT_PLUGIN_PATH`` entry,
  then PySide6's own ``Qt/plugins`` (found with ``importlib``, which does not
  run PySide6), then ``QT_QPA_PLATFORM_PLUGIN_PATH``; the first file named
  for the platform is the one Qt loads;
- the libraries: asked of the dynamic loader itself, in trace mode (``ldd``),
  with this process's environment, so ``LD_LIBRARY_PATH``, the plugin's
  RPATH/RUNPATH (``$ORIGIN``), ``ld.so.cache`` and the default folders count
  exactly as they will when Qt calls ``dlopen``.  Every missing library of the
  whole dependency tree (``libqxcb.so`` -> ``libQt6XcbQpa.so.6`` -> ...) is
  reported, not only the first;
- the display: a local X server's socket (``/tmp/.X11-unix/X<n>``) or the
  Wayland compositor's socket must exist.  Remote X displays (``host:n``) are
  not probed: that could be slow, and Qt reports them itself.

Where a question cannot be answered (no ``ldd``, an unusual ``DISPLAY``),
the answer is "go ahead": a wrong stop would be worse than Qt's own message.

A positive loader answer is remembered (``platform-check.json`` in the user's
cache folder) so an unchanged desktop starts without spawning ``ldd``: keyed
by the plugin (path, size, mtime_ns), ``/etc/ld.so.cache`` and
``/etc/ld.so.preload`` (mtime_ns: ``ldconfig`` rewrites the cache when
packages come or go), ``ldd``'s path and every environment variable the
loader or the plugin lookup reads.  Any change re-probes; a missing library
is never remembered (the next start asks again), and a cache file that
cannot be read or parsed is ignored and rewritten.  The display sockets are
checked every time (they are cheap and come and go).
This module imports nothing from Qt or the rest of petbrowser (an
import-linter contract in pyproject.toml keeps it that way).
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import stat
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import subprocess

__all__ = [
    "DESKTOP_PACKAGES_DEBIAN",
    "DESKTOP_PACKAGES_FEDORA",
    "PlatformCheck",
    "check_platform",
    "default_cache_file",
    "start_check",
]

# soname -> (Debian/Ubuntu package, Fedora package).  The libraries Qt's xcb,
# wayland and offscreen plugins and QtGui pull in beyond glibc/libstdc++.
_PACKAGES: dict[str, tuple[str, str]] = {
    "libxcb-cursor.so.0": ("libxcb-cursor0", "xcb-util-cursor"),
    "libxcb-icccm.so.4": ("libxcb-icccm4", "xcb-util-wm"),
    "libxcb-image.so.0": ("libxcb-image0", "xcb-util-image"),
    "libxcb-keysyms.so.1": ("libxcb-keysyms1", "xcb-util-keysyms"),
    "libxcb-render-util.so.0": ("libxcb-render-util0", "xcb-util-renderutil"),
    "libxcb-util.so.1": ("libxcb-util1", "xcb-util"),
    "libxcb-randr.so.0": ("libxcb-randr0", "libxcb"),
    "libxcb-shape.so.0": ("libxcb-shape0", "libxcb"),
    "libxcb-xinerama.so.0": ("libxcb-xinerama0", "libxcb"),
    "libxcb-xkb.so.1": ("libxcb-xkb1", "libxcb"),
    "libxcb-shm.so.0": ("libxcb-shm0", "libxcb"),
    "libxcb-sync.so.1": ("libxcb-sync1", "libxcb"),
    "libxcb-xfixes.so.0": ("libxcb-xfixes0", "libxcb"),
    "libxcb-render.so.0": ("libxcb-render0", "libxcb"),
    "libxcb-xinput.so.0": ("libxcb-xinput0", "libxcb"),
    "libxcb-glx.so.0": ("libxcb-glx0", "libxcb"),
    "libxcb.so.1": ("libxcb1", "libxcb"),
    "libxkbcommon-x11.so.0": ("libxkbcommon-x11-0", "libxkbcommon-x11"),
    "libxkbcommon.so.0": ("libxkbcommon0", "libxkbcommon"),
    "libX11-xcb.so.1": ("libx11-xcb1", "libX11-xcb"),
    "libX11.so.6": ("libx11-6", "libX11"),
    "libXau.so.6": ("libxau6", "libXau"),
    "libXdmcp.so.6": ("libxdmcp6", "libXdmcp"),
    "libSM.so.6": ("libsm6", "libSM"),
    "libICE.so.6": ("libice6", "libICE"),
    "libGL.so.1": ("libgl1", "libglvnd-glx"),
    "libGLX.so.0": ("libglx0", "libglvnd-glx"),
    "libEGL.so.1": ("libegl1", "libglvnd-egl"),
    "libOpenGL.so.0": ("libopengl0", "libglvnd-opengl"),
    "libGLdispatch.so.0": ("libglvnd0", "libglvnd"),
    "libfontconfig.so.1": ("libfontconfig1", "fontconfig"),
    "libfreetype.so.6": ("libfreetype6", "freetype"),
    "libdbus-1.so.3": ("libdbus-1-3", "dbus-libs"),
    "libglib-2.0.so.0": ("libglib2.0-0", "glib2"),
    "libgthread-2.0.so.0": ("libglib2.0-0", "glib2"),
    "libwayland-client.so.0": ("libwayland-client0", "libwayland-client"),
    "libwayland-cursor.so.0": ("libwayland-cursor0", "libwayland-cursor"),
    "libwayland-egl.so.1": ("libwayland-egl1", "libwayland-egl"),
    "libpng16.so.16": ("libpng16-16", "libpng"),
    "libz.so.1": ("zlib1g", "zlib"),
    "libexpat.so.1": ("libexpat1", "expat"),
    "libzstd.so.1": ("libzstd1", "libzstd"),
    "libbrotlidec.so.1": ("libbrotli1", "libbrotli"),
    "libpcre2-8.so.0": ("libpcre2-8-0", "pcre2"),
}

#: What a desktop needs for petbrowser's window (X11 and Wayland), by distribution;
#: scripts/run.sh, README and .ci/run name the same packages.
DESKTOP_PACKAGES_DEBIAN = (
    "libegl1 libgl1 libfontconfig1 libdbus-1-3 libxkbcommon0 libxkbcommon-x11-0 "
    "libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0 "
    "libxcb-render-util0 libxcb-shape0 libxcb-xinerama0 libxcb-xkb1 libx11-xcb1 "
    "libwayland-client0 libwayland-cursor0"
)
DESKTOP_PACKAGES_FEDORA = (
    "libglvnd-egl libglvnd-glx fontconfig dbus-libs libxkbcommon libxkbcommon-x11 "
    "xcb-util-cursor xcb-util-wm xcb-util-image xcb-util-keysyms xcb-util-renderutil "
    "libxcb libX11-xcb libwayland-client libwayland-cursor"
)

_QT_DEFAULT_PLATFORM = "xcb"  # QT_QPA_DEFAULT_PLATFORM_NAME of the Linux PySide6 wheels
_NO_DISPLAY_PLATFORMS = {"offscreen", "minimal", "minimalegl", "vnc", "linuxfb", "eglfs", "vkkhrdisplay"}
_NOT_FOUND = re.compile(r"^\s*(\S+) => not found\s*$")
_CLI = "the command line, which needs no display (petbrowser ls, status, push, ...)"
#: What the loader (``LD_*``) and Qt's plugin lookup (``QT_*`` below) read: part of the cache key.
_KEY_ENV = ("QT_QPA_PLATFORM", "QT_PLUGIN_PATH", "QT_QPA_PLATFORM_PLUGIN_PATH")
_LOADER_FILES = ("/etc/ld.so.cache", "/etc/ld.so.preload")
_CACHE_VERSION = 2  # 2: keys are the facts themselves, not their SHA-256
_CACHE_LIMIT = 32  # remembered plugin answers (a few per Qt install and environment)


@dataclass
class _Candidate:
    """One platform Qt will try, and what stands in its way."""

    name: str
    plugin: Path | None = None
    display_problem: str | None = None
    missing: list[str] = field(default_factory=list)
    probe: subprocess.Popen[str] | None = None
    cache_key: str | None = None  # set when the loader was asked (a clean answer is remembered)

    @property
    def ok(self) -> bool:
        return self.plugin is not None and self.display_problem is None and not self.missing


def _platforms(env: Mapping[str, str]) -> tuple[list[str], bool]:
    """The platform names Qt will try, in order, and whether the user chose them."""
    explicit = env.get("QT_QPA_PLATFORM", "")
    if explicit:
        names = [p.split(":", 1)[0].strip() for p in explicit.split(";")]
        return [n for n in names if n], True
    order: list[str] = []
    if "DISPLAY" in env:
        order.append("xcb")
    if "WAYLAND_DISPLAY" in env or env.get("XDG_SESSION_TYPE") == "wayland":
        order.insert(0, "wayland")
    if _QT_DEFAULT_PLATFORM not in order:
        order.append(_QT_DEFAULT_PLATFORM)
    return order, False


def _plugin_dirs(env: Mapping[str, str]) -> list[Path]:
    """Where Qt looks for platform plugins, in its order: the first file with the key is used.

    Measured with ``QT_DEBUG_PLUGINS=1`` on Qt 6.11: ``QT_PLUGIN_PATH``
    entries come first, then Qt's own plugins, the application's folder, and
    ``QT_QPA_PLATFORM_PLUGIN_PATH`` last; a plugin that fails to load is not
    replaced by a later one of the same name.
    """
    dirs: list[Path] = []
    for entry in env.get("QT_PLUGIN_PATH", "").split(os.pathsep):
        if entry:
            dirs.append(Path(entry) / "platforms")
    try:
        spec = importlib.util.find_spec("PySide6")  # finds the package without running it
    except (ImportError, ValueError):
        spec = None
    if spec is not None and spec.submodule_search_locations:
        for location in spec.submodule_search_locations:
            dirs.append(Path(location) / "Qt" / "plugins" / "platforms")
    dirs.append(Path(os.path.realpath(sys.executable)).parent / "platforms")
    if env.get("QT_QPA_PLATFORM_PLUGIN_PATH"):
        dirs.append(Path(env["QT_QPA_PLATFORM_PLUGIN_PATH"]))
    return dirs


def _plugin_file(name: str, dirs: Sequence[Path]) -> Path | None:
    """The plugin Qt loads for platform ``name`` (``libq<name>.so``; wayland-* share one)."""
    files = [f"libq{name}.so"]
    if name.startswith("wayland"):
        files.append("libqwayland.so")
    for folder in dirs:
        for file in files:
            path = folder / file
            if path.is_file():
                return path
    return None


def _available(dirs: Sequence[Path]) -> list[str]:
    names: set[str] = set()
    for folder in dirs:
        try:
            names.update(p.name[4:-3] for p in folder.glob("libq*.so"))
        except OSError:
            continue
    return sorted(names)


def _x_display_problem(env: Mapping[str, str]) -> str | None:
    """Why Qt's xcb platform cannot reach an X server, when that is certain."""
    display = env.get("DISPLAY")
    if display is None:
        return "DISPLAY is not set"
    if not display.strip():
        return "DISPLAY is empty"
    found = re.fullmatch(r"(?:(?P<host>[^:/]*)(?:/unix)?)?:(?P<num>\d+)(?:\.\d+)?", display.strip())
    if found is None or found.group("host") not in (None, "", "unix"):
        return None  # a remote or unusual display: Qt will tell
    path = f"/tmp/.X11-unix/X{found.group('num')}"
    import socket  # here: the offscreen and Wayland platforms never need it

    for address in ("\0" + path, path):  # Xorg and Xvfb listen on both
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(1.0)
            try:
                sock.connect(address)
                return None
            except (FileNotFoundError, ConnectionRefusedError):
                continue
            except OSError:
                return None  # not certain (permissions, timeouts): let Qt try
    return f"no X server answers at DISPLAY={display}"


def _wayland_problem(env: Mapping[str, str]) -> str | None:
    """Why Qt's wayland platform cannot reach a compositor, when that is certain."""
    name = env.get("WAYLAND_DISPLAY") or "wayland-0"
    if os.path.isabs(name):
        path = Path(name)
    elif env.get("XDG_RUNTIME_DIR"):
        path = Path(env["XDG_RUNTIME_DIR"]) / name
    else:
        return "XDG_RUNTIME_DIR is not set, so the Wayland socket cannot be found"
    try:
        if stat.S_ISSOCK(path.stat().st_mode):
            return None
    except OSError:
        pass
    return f"no Wayland compositor at {path}"


def _ldd() -> str | None:
    return shutil.which("ldd") or next(
        (p for p in ("/usr/bin/ldd", "/bin/ldd") if os.access(p, os.X_OK)), None
    )


def _start_probe(plugin: Path, env: Mapping[str, str]) -> subprocess.Popen[str] | None:
    """``ldd <plugin>``: the dynamic loader resolves the whole tree, as dlopen will."""
    ldd = _ldd()
    if ldd is None:
        return None
    import subprocess  # here: a remembered answer starts no process

    try:
        return subprocess.Popen(
            [ldd, str(plugin)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            encoding="utf-8",
            errors="replace",
            env=dict(env),
        )
    except OSError:
        return None


def _missing_from(probe: subprocess.Popen[str]) -> list[str]:
    return _ask_loader(probe)[0]


def _ask_loader(probe: subprocess.Popen[str]) -> tuple[list[str], bool]:
    """The libraries ``ldd`` did not find, and whether its answer was a complete, clean one."""
    import subprocess

    try:
        out, _ = probe.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        probe.kill()
        probe.communicate()
        return [], False
    missing: list[str] = []
    for line in out.splitlines():
        found = _NOT_FOUND.match(line)
        if found and found.group(1) not in missing:
            missing.append(found.group(1))
    return missing, probe.returncode == 0 and not missing


# ----------------------------------------------------------------- the cache
def default_cache_file() -> Path | None:
    """``platform-check.json`` in the user's cache folder (None: platformdirs is not there).

    On Linux, where this check runs before every window, the folder is
    worked out as platformdirs does (``$XDG_CACHE_HOME`` when it is an
    absolute path, as the XDG spec wants, else ``~/.cache``): importing
    platformdirs took ~7 ms of the time to the first frame.
    """
    if sys.platform.startswith("linux"):
        base = os.environ.get("XDG_CACHE_HOME", "")
        root = base if os.path.isabs(base) else os.path.expanduser("~/.cache")
        return Path(root) / "petbrowser" / "platform-check.json"
    try:
        import platformdirs  # lazily: .ci/run imports this module with a bare python3
    except ImportError:
        return None
    return platformdirs.user_cache_path("petbrowser") / "platform-check.json"


def _mtime_ns(path: str | Path) -> int | None:
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return None


def _cache_key(plugin: Path, env: Mapping[str, str]) -> str | None:
    """What a remembered answer for ``plugin`` depends on (None: the plugin cannot be read).

    The facts themselves, as canonical JSON: exact, and no ``hashlib`` (with
    OpenSSL, ~4 ms) before the first frame for a key of a few hundred bytes.
    """
    try:
        st = plugin.stat()
    except OSError:
        return None
    facts = {
        "plugin": os.path.realpath(plugin),
        "size": st.st_size,
        "mtime_ns": st.st_mtime_ns,
        "loader": {f: _mtime_ns(f) for f in _LOADER_FILES},
        "ldd": _ldd(),
        "env": sorted((k, v) for k, v in env.items() if k.startswith("LD_") or k in _KEY_ENV),
    }
    return json.dumps(facts, sort_keys=True, separators=(",", ":"))


def _read_cache(path: Path | None) -> list[str]:
    """The remembered keys; anything unreadable or foreign counts as nothing remembered."""
    if path is None:
        return []
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return []
    if not isinstance(data, dict) or data.get("version") != _CACHE_VERSION:
        return []
    keys = data.get("ok")
    if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
        return []
    return keys


def _write_cache(path: Path, keys: list[str]) -> None:
    """Atomic replace (two starts at once never leave half a file); failures are ignored."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(json.dumps({"version": _CACHE_VERSION, "ok": keys[-_CACHE_LIMIT:]}), encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        try:
            tmp.unlink()
        except OSError:
            pass


def _sudo() -> str:
    return "" if os.geteuid() == 0 else "sudo "


def _join(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _install_hint(missing: Sequence[str]) -> str:
    """The install commands for what is missing: Debian/Ubuntu, then Fedora."""
    qt_own = [m for m in missing if m.startswith(("libQt6", "libicu"))]
    known = [m for m in missing if m in _PACKAGES]
    unknown = [m for m in missing if m not in _PACKAGES and m not in qt_own]
    parts: list[str] = []
    if known:
        debian = " ".join(dict.fromkeys(_PACKAGES[m][0] for m in known))
        fedora = " ".join(dict.fromkeys(_PACKAGES[m][1] for m in known))
        parts.append(
            f"install {'it' if len(known) == 1 else 'them'} with `{_sudo()}apt-get install {debian}` (Debian/Ubuntu) "
            f"or `{_sudo()}dnf install {fedora}` (Fedora)"
        )
    if unknown:
        first = unknown[0]
        parts.append(
            f"find the package{'s' if len(unknown) > 1 else ''} that provide{'' if len(unknown) > 1 else 's'} "
            f"{_join(unknown)} with `apt-file search {first}` (Debian/Ubuntu) "
            f"or `dnf provides '*/{first}'` (Fedora)"
        )
    if qt_own:
        parts.append(f"{_join(qt_own)} belong{'s' if len(qt_own) == 1 else ''} to petbrowser's own Qt: reinstall petbrowser")
    return "; ".join(parts)


class PlatformCheck:
    """A check in progress: the loader probes run while the caller imports Qt's modules.

    ``cache``: the file that remembers clean loader answers (None: ask every time).
    """

    def __init__(self, env: Mapping[str, str] | None = None, cache: Path | None = None) -> None:
        self.env = dict(os.environ if env is None else env)
        self.names, self.explicit = _platforms(self.env)
        self._dirs = _plugin_dirs(self.env)
        self._cache = cache
        self._remembered = _read_cache(cache)
        self.candidates: list[_Candidate] = []
        self.probes_started = 0  # loader children spawned (0: every answer was remembered)
        for name in self.names:
            cand = _Candidate(name, _plugin_file(name, self._dirs))
            if name == "xcb":
                cand.display_problem = _x_display_problem(self.env)
            elif name.startswith("wayland"):
                cand.display_problem = _wayland_problem(self.env)
            if cand.plugin is not None and cand.display_problem is None:
                key = _cache_key(cand.plugin, self.env) if cache is not None else None
                if key is None or key not in self._remembered:
                    cand.probe = _start_probe(cand.plugin, self.env)
                    cand.cache_key = key if cand.probe is not None else None
                    self.probes_started += cand.probe is not None
            self.candidates.append(cand)
        self._message: str | None = None
        self._done = False

    def message(self) -> str | None:
        """One line saying why no window can open, or None when Qt should be able to."""
        if not self._done:
            learned: list[str] = []
            for cand in self.candidates:
                if cand.probe is not None:
                    cand.missing, clean = _ask_loader(cand.probe)
                    cand.probe = None
                    if clean and cand.cache_key is not None:
                        learned.append(cand.cache_key)
            if learned and self._cache is not None:
                kept = [k for k in self._remembered if k not in learned]
                _write_cache(self._cache, kept + learned)
            self._message = None if any(c.ok for c in self.candidates) else self._explain()
            self._done = True
        return self._message

    # ------------------------------------------------------------ wording
    def _explain(self) -> str:
        if not self.candidates:
            return f"cannot open a window: QT_QPA_PLATFORM names no platform; or use {_CLI}"
        if self.explicit and all(c.plugin is None for c in self.candidates):
            names = [c.name for c in self.candidates]
            return (
                f"cannot open a window: Qt has no platform plugin {_join(names)} "
                f"(QT_QPA_PLATFORM={self.env.get('QT_QPA_PLATFORM')}); available: "
                f"{', '.join(_available(self._dirs)) or 'none'}"
            )
        if self._no_display_at_all():
            return (
                "cannot open a window: there is no display (DISPLAY and WAYLAND_DISPLAY are not set); "
                f"run it in a desktop session or over `ssh -X`, or use {_CLI}"
            )
        missing = list(dict.fromkeys(m for c in self.candidates for m in c.missing))
        if missing:
            failing = [_label(c.name) for c in self.candidates if c.missing]
            plural = "s" if len(failing) > 1 else ""
            return (
                f"cannot open a window: Qt's {_join(failing)} platform plugin{plural} "
                f"need{'' if plural else 's'} {_join(missing)}, which "
                f"{'is' if len(missing) == 1 else 'are'} not installed; {_install_hint(missing)}; "
                f"{self._alternatives()}"
            )
        problems = list(dict.fromkeys(c.display_problem for c in self.candidates if c.display_problem))
        if problems:
            return (
                f"cannot open a window: {'; '.join(problems)}; "
                f"run it in a desktop session or over `ssh -X`, or use {_CLI}"
            )
        absent = [c.name for c in self.candidates if c.plugin is None]
        return (
            f"cannot open a window: Qt's {_join(absent)} platform plugin is missing from "
            f"petbrowser's Qt: reinstall petbrowser, or use {_CLI}"
        )

    def _no_display_at_all(self) -> bool:
        """Nothing to draw on: neither variable set and no platform that needs none."""
        env = self.env
        if any(n in _NO_DISPLAY_PLATFORMS for n in self.names):
            return False
        return (
            "DISPLAY" not in env
            and "WAYLAND_DISPLAY" not in env
            and env.get("XDG_SESSION_TYPE") != "wayland"
        )

    def _alternatives(self) -> str:
        """``or use ...``: Wayland where its plugin would load, and always the command line."""
        options: list[str] = []
        if not any(n.startswith("wayland") for n in self.names):
            plugin = _plugin_file("wayland", self._dirs)
            probe = _start_probe(plugin, self.env) if plugin is not None else None
            if probe is not None and not _missing_from(probe):
                options.append(
                    "QT_QPA_PLATFORM=wayland (this is a Wayland session)"
                    if _wayland_problem(self.env) is None and self.env.get("WAYLAND_DISPLAY")
                    else "QT_QPA_PLATFORM=wayland in a Wayland session"
                )
        options.append(_CLI)
        return "or use " + ", or ".join(options)


def _label(name: str) -> str:
    return "xcb (X11)" if name == "xcb" else name


def start_check(env: Mapping[str, str] | None = None, cache: Path | None = None) -> PlatformCheck:
    """Start checking the platform Qt will pick; call ``.message()`` for the answer.

    ``cache``: where clean loader answers are remembered (``default_cache_file()``
    for the app; None asks the loader every time).
    """
    return PlatformCheck(env, cache)


def check_platform(env: Mapping[str, str] | None = None) -> str | None:
    """One line saying why Qt cannot open a window here, or None when it should."""
    return start_check(env).message()
