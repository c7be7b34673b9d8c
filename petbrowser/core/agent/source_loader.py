"""Import the project's modules from their source bytes as they are now.

Why: Python's own loader trusts ``__pycache__/*.pyc`` whenever the source's
size and modification second are unchanged, so an edit made within the same
second that keeps the file's size was invisible (``status`` said synced and
``push`` stored the old code under the old hash); and writing those caches
left files in the user's project, which a browser must never do.

How: the child runs with ``sys.dont_write_bytecode`` (no ``.pyc`` is written
anywhere), and a path hook placed first in ``sys.path_hooks`` serves every
folder inside the project's folders (the root, ``src/``, the folder of a .py
path given directly, and every package below them) with a finder whose loader
compiles each module from the bytes it reads, never looking for a cached
``.pyc`` (a stray or stale one in the project is ignored, and a ``.pyc``
without its ``.py`` is not imported).  Installed packages (site-packages, the
standard library, a virtualenv inside the project) keep their normal loaders
and caches, so ``import numpy`` costs what it always does.

The bytes compiled are also what ``inspect`` and ``linecache`` see: the loader
registers them in ``linecache`` pinned (``mtime`` None, which
``linecache.checkcache`` never invalidates), so the source stored with a
pushed version is the source of the code that was hashed and pickled, even
if the file changes meanwhile.

Compiling a 300-class module costs ~0.2 s that a warm ``.pyc`` saved, so the
compiled code may be kept in petbrowser's own cache folder (never the
project's), under the SHA-256 of the exact source bytes, the file's path and
this interpreter's bytecode magic: an entry can only ever be the compilation
of the bytes just read, whatever the file's size or time say.  Best effort: a
missing, unreadable or damaged entry means compiling, never an error.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.machinery as machinery
import importlib.util
import io
import linecache
import marshal
import os
import sys
import sysconfig
import types
from typing import Any

__all__ = ["SourceOnlyLoader", "install", "add_project_folder", "is_project_path"]

#: Real paths of the folders whose modules are compiled from source.
_PROJECT: list[str] = []
#: Real paths that are never the project's own code, even inside its folder.
_INSTALLED: list[str] = []
_INSTALLED_PARTS = frozenset({"site-packages", "dist-packages"})
#: petbrowser's code cache folder (outside every project), or None for none.
_CACHE: list[str] = []
#: Entries kept in the code cache; the least recently used go first.
CACHE_ENTRIES = 256
_HEADER = b"petbrowser-code-1\n" + importlib.util.MAGIC_NUMBER


class SourceOnlyLoader(machinery.SourceFileLoader):
    """A ``SourceFileLoader`` that neither reads nor writes bytecode caches."""

    def get_code(self, fullname: str) -> Any:
        """Compile the module from the bytes on disk now; pin them for ``inspect``."""
        path = self.get_filename(fullname)
        data = self.get_data(path)
        _pin_source(path, data)
        key = _cache_key(path, data) if _CACHE else None
        code = _cached_code(key) if key else None
        if code is None:
            code = self.source_to_code(data, path)
            if key:
                _store_code(key, code)
        return code

    def set_data(self, path: str, data: bytes, *, _mode: int = 0o666) -> None:
        """Never write a ``.pyc`` (``sys.dont_write_bytecode`` covers the rest)."""
        return None


def _pin_source(path: str, data: bytes) -> None:
    """Make ``linecache`` (hence ``inspect.getsource``) answer with exactly ``data``."""
    try:
        text = importlib.util.decode_source(data)
    except (SyntaxError, UnicodeDecodeError, LookupError):
        return  # compiling will report it with file and line
    lines = io.StringIO(text).readlines()
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    linecache.cache[path] = (len(data), None, lines, path)


def _cache_key(path: str, data: bytes) -> str:
    """Names one compilation: these bytes, at this path, by this interpreter."""
    h = hashlib.sha256()
    tag = sys.implementation.cache_tag or sys.version
    for part in (_HEADER, tag.encode(), str(sys.flags.optimize).encode(), os.fsencode(path)):
        h.update(len(part).to_bytes(8, "big") + part)
    h.update(data)
    return h.hexdigest()


def _cached_code(key: str) -> types.CodeType | None:
    file = os.path.join(_CACHE[0], key)
    try:
        with open(file, "rb") as fh:
            blob = fh.read()
    except OSError:
        return None
    if not blob.startswith(_HEADER):
        return None
    try:
        code = marshal.loads(blob[len(_HEADER) :])
    except (EOFError, ValueError, TypeError):
        return None
    if not isinstance(code, types.CodeType):
        return None
    try:
        os.utime(file)  # recently used: pruned last
    except OSError:
        pass
    return code


def _store_code(key: str, code: types.CodeType) -> None:
    folder = _CACHE[0]
    tmp = os.path.join(folder, f".{key}.{os.getpid()}.tmp")
    try:
        os.makedirs(folder, mode=0o700, exist_ok=True)
        with open(tmp, "wb") as fh:
            fh.write(_HEADER + marshal.dumps(code))
        os.replace(tmp, os.path.join(folder, key))
    except (OSError, ValueError):
        try:
            os.unlink(tmp)
        except OSError:
            pass
        return
    _prune(folder)


def _prune(folder: str) -> None:
    """Keep the newest ``CACHE_ENTRIES`` entries (a module edited all day adds one per save)."""
    try:
        entries = [e for e in os.scandir(folder) if e.is_file() and not e.name.startswith(".")]
        if len(entries) <= CACHE_ENTRIES:
            return
        entries.sort(key=lambda e: e.stat().st_mtime_ns)
        for entry in entries[: len(entries) - CACHE_ENTRIES]:
            os.unlink(entry.path)
    except OSError:
        pass  # another child pruned meanwhile


def _real(path: str) -> str:
    return os.path.normcase(os.path.realpath(path or os.getcwd()))


def _inside(path: str, folders: list[str]) -> bool:
    return any(path == f or path.startswith(f.rstrip(os.sep) + os.sep) for f in folders)


def is_project_path(path: str) -> bool:
    """True for a folder of the project's own code (not an installed package's)."""
    real = _real(path)
    if not _inside(real, _PROJECT) or _inside(real, _INSTALLED):
        return False
    return not (_INSTALLED_PARTS & set(real.split(os.sep)))


def _finder_hook(path: str) -> Any:
    if not is_project_path(path):
        raise ImportError("not a project folder")  # the next hook (the usual one) takes it
    return machinery.FileFinder(
        path,
        (machinery.ExtensionFileLoader, machinery.EXTENSION_SUFFIXES),
        (SourceOnlyLoader, machinery.SOURCE_SUFFIXES),
    )


def _installed_folders() -> list[str]:
    out = []
    try:
        paths = sysconfig.get_paths()
    except Exception:  # a frozen or unusual interpreter: the path-part rule still applies
        paths = {}
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        if paths.get(key):
            out.append(_real(paths[key]))
    return out


def add_project_folder(folder: str) -> None:
    """Compile modules under ``folder`` from source too (and forget finders made before)."""
    real = _real(folder)
    if real not in _PROJECT:
        _PROJECT.append(real)
    for key in list(sys.path_importer_cache):
        if isinstance(key, str) and is_project_path(key):
            del sys.path_importer_cache[key]
    importlib.invalidate_caches()


def install(folders: list[str], cache: str | None = None) -> None:
    """Stop all bytecode writing and serve the project's folders from source
    (their compiled code kept in ``cache``, petbrowser's folder, when given)."""
    sys.dont_write_bytecode = True
    del _CACHE[:]
    if cache:
        _CACHE.append(os.path.abspath(cache))
    if not _INSTALLED:
        _INSTALLED.extend(_installed_folders())
    if _finder_hook not in sys.path_hooks:
        sys.path_hooks.insert(0, _finder_hook)
    for folder in folders:
        add_project_folder(folder)
