"""Import the project's modules from their source bytes as they are now.

Why: Python's own loader trusts ``__pycache__/*.pyc`` whenever the source's
size and modification second are unchanged, so an edit made within the same
second that keeps the file's size was invisible (``status`` said synced and
``push`` stored the old code under the old hash); and writing those caches
left files in the user's project, which a browser must never do.

How: the child runs with ``sys.dont_write_bytecode`` (nothing is written
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
"""

from __future__ import annotations

import importlib
import importlib.machinery as machinery
import importlib.util
import io
import linecache
import os
import sys
import sysconfig
from typing import Any

__all__ = ["SourceOnlyLoader", "install", "add_project_folder", "is_project_path"]

#: Real paths of the folders whose modules are compiled from source.
_PROJECT: list[str] = []
#: Real paths that are never the project's own code, even inside its folder.
_INSTALLED: list[str] = []
_INSTALLED_PARTS = frozenset({"site-packages", "dist-packages"})


class SourceOnlyLoader(machinery.SourceFileLoader):
    """A ``SourceFileLoader`` that neither reads nor writes bytecode caches."""

    def get_code(self, fullname: str) -> Any:
        """Compile the module from the bytes on disk now; pin them for ``inspect``."""
        path = self.get_filename(fullname)
        data = self.get_data(path)
        _pin_source(path, data)
        return self.source_to_code(data, path)

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


def install(folders: list[str]) -> None:
    """Stop all bytecode writing and serve the project's folders from source."""
    sys.dont_write_bytecode = True
    if not _INSTALLED:
        _INSTALLED.extend(_installed_folders())
    if _finder_hook not in sys.path_hooks:
        sys.path_hooks.insert(0, _finder_hook)
    for folder in folders:
        add_project_folder(folder)
