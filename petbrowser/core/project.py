"""A project folder: where the user's classes live and how to reach their store.

Settings come from ``[tool.petbrowser]`` of the project's pyproject.toml (or a
``petbrowser.toml``), overridden by ``PETBROWSER_STORAGE`` and then by
command-line flags, so a script can always force a value.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from petbrowser.core.errors import ConfigError
from petbrowser.core.storage import DEFAULT_STORAGE_TIMEOUT, timeout_from_env

__all__ = ["Project", "HASH_SCHEMES", "DEFAULT_TIMEOUT"]

HASH_SCHEMES = ("pb1", "labchain")
DEFAULT_TIMEOUT = 60.0
_SKIP_DIRS = {".git", ".venv", "venv", "node_modules", "__pycache__", ".tox", ".mypy_cache"}


def _load_toml(path: Path) -> dict[str, Any]:
    try:
        import tomllib
    except ImportError:  # Python 3.10
        try:
            import tomli as tomllib  # type: ignore[no-redef]
        except ImportError:
            raise ConfigError(
                f"{path}: reading TOML needs Python 3.11+ or the tomli package"
            ) from None
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: invalid TOML: not UTF-8 text") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"{path}, line {_error_line(str(exc), text)}: invalid TOML: {exc}"
        ) from None


def _error_line(message: str, text: str) -> int:
    """tomllib puts the position in its message; "end of document" means the last line."""
    found = re.search(r"at line (\d+)", message)
    return int(found.group(1)) if found else max(1, len(text.splitlines()))


def _read_settings(root: Path) -> tuple[dict[str, Any], Path | None, str | None]:
    """``(settings, file they came from, [project].name)``."""
    name = None
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        data = _load_toml(pyproject)
        project_table = data.get("project")
        if isinstance(project_table, dict) and isinstance(project_table.get("name"), str):
            name = project_table["name"]
        tool = data.get("tool", {}).get("petbrowser")
        if isinstance(tool, dict):
            return tool, pyproject, name
    own = root / "petbrowser.toml"
    if own.is_file():
        data = _load_toml(own)
        tool = (
            data.get("tool", {}).get("petbrowser") if isinstance(data.get("tool"), dict) else None
        )
        settings = (
            tool if isinstance(tool, dict) else {k: v for k, v in data.items() if k != "tool"}
        )
        return settings, own, name
    return {}, None, name


def _is_url(text: str) -> bool:
    return "://" in text


def _interpreter_candidates(root: Path) -> list[Path]:
    return [
        root / ".venv" / "bin" / "python",
        root / "venv" / "bin" / "python",
        root / ".venv" / "Scripts" / "python.exe",
        root / "venv" / "Scripts" / "python.exe",
    ]


def _resolve_python(value: str, root: Path, origin: str) -> str:
    if os.sep in value or (os.altsep and os.altsep in value) or value.startswith("."):
        path = Path(value).expanduser()
        if not path.is_absolute():
            path = root / path
        if not path.exists():
            raise ConfigError(f"the interpreter {path} set by {origin} does not exist")
        return str(path.absolute())
    found = shutil.which(value)
    if found is None:
        raise ConfigError(f"the interpreter {value!r} set by {origin} was not found on PATH")
    return found


@dataclass
class Project:
    """One project folder and its resolved settings."""

    root: Path
    name: str
    storage_url: str | None = None
    modules: list[str] = field(default_factory=list)
    python: str = sys.executable
    hash_scheme: str = "pb1"
    timeout: float = DEFAULT_TIMEOUT
    #: one store operation, retries included (``storage_timeout``; ``timeout`` is the child's)
    storage_timeout: float = DEFAULT_STORAGE_TIMEOUT
    #: False when nobody chose ``hash_scheme``: a push then picks it per store.
    hash_scheme_set: bool = False
    config_file: Path | None = None

    @classmethod
    def load(
        cls,
        path: str | Path | None = None,
        *,
        storage: str | None = None,
        modules: Sequence[str] | None = None,
        python: str | None = None,
        hash_scheme: str | None = None,
        timeout: float | None = None,
        storage_timeout: float | None = None,
    ) -> Project:
        """Read the project's settings; flags override the environment, which overrides the file."""
        root = Path(path).expanduser() if path is not None else Path.cwd()
        if not root.is_dir():
            raise ConfigError(f"project folder {root} does not exist")
        root = root.resolve()
        settings, config_file, declared_name = _read_settings(root)
        origin = str(config_file) if config_file else "the project"

        # storage: flag > PETBROWSER_STORAGE > file (file paths are relative to the root)
        storage_url: str | None = None
        if storage:
            storage_url = storage
        elif os.environ.get("PETBROWSER_STORAGE"):
            storage_url = os.environ["PETBROWSER_STORAGE"]
        elif settings.get("storage") is not None:
            value = settings["storage"]
            if not isinstance(value, str) or not value.strip():
                raise ConfigError(f"{origin}: 'storage' must be a non-empty string")
            storage_url = (
                value if _is_url(value) else str((root / Path(value).expanduser()).resolve())
            )

        if modules:
            mods = [str(m) for m in modules]
        else:
            raw = settings.get("modules", [])
            if isinstance(raw, str):
                raw = [raw]
            if not isinstance(raw, list) or not all(isinstance(m, str) and m for m in raw):
                raise ConfigError(
                    f"{origin}: 'modules' must be a list of module names or .py paths"
                )
            mods = list(raw)

        if python:
            interpreter = _resolve_python(python, Path.cwd(), "--python")
        elif settings.get("python"):
            if not isinstance(settings["python"], str):
                raise ConfigError(f"{origin}: 'python' must be a string")
            interpreter = _resolve_python(settings["python"], root, origin)
        else:
            interpreter = next(
                (str(p) for p in _interpreter_candidates(root) if p.is_file()), sys.executable
            )

        scheme = hash_scheme or settings.get("hash_scheme") or "pb1"
        if scheme not in HASH_SCHEMES:
            raise ConfigError(
                f"unknown hash scheme {scheme!r} (choose {' or '.join(HASH_SCHEMES)})"
            )

        # timeouts: the --timeout flag, then PETBROWSER_TIMEOUT, set both the child's
        # ('timeout' in the file) and the store's ('storage_timeout')
        env_timeout = timeout_from_env()
        if storage_timeout is None:
            storage_timeout = timeout if timeout is not None else env_timeout
        if timeout is None:
            timeout = env_timeout if env_timeout is not None else settings.get("timeout", DEFAULT_TIMEOUT)
        if storage_timeout is None:
            storage_timeout = settings.get("storage_timeout", DEFAULT_STORAGE_TIMEOUT)
        for key, value in (("timeout", timeout), ("storage_timeout", storage_timeout)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < 1e9:
                raise ConfigError(f"{origin}: '{key}' must be a positive number of seconds")

        return cls(
            root=root,
            name=declared_name or root.name,
            storage_url=storage_url,
            modules=mods,
            python=interpreter,
            hash_scheme=scheme,
            timeout=float(timeout),
            storage_timeout=float(storage_timeout),
            config_file=config_file,
            hash_scheme_set=bool(hash_scheme or settings.get("hash_scheme")),
        )

    def find_local_stores(self) -> list[Path]:
        """Folders (the root and up to two levels down) holding ``plugins/<Class>/latest.json``."""
        found: list[Path] = []
        level = [self.root]
        for _depth in range(3):
            following: list[Path] = []
            for folder in level:
                if _holds_store(folder):
                    found.append(folder)
                try:
                    children = sorted(p for p in folder.iterdir() if p.is_dir())
                except OSError:
                    continue
                following.extend(
                    c for c in children if c.name not in _SKIP_DIRS and not c.name.startswith(".")
                )
            level = following
        return found


def _holds_store(folder: Path) -> bool:
    plugins = folder / "plugins"
    try:
        return plugins.is_dir() and any((c / "latest.json").is_file() for c in plugins.iterdir())
    except OSError:
        return False
