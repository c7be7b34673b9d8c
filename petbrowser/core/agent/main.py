"""The child's side: answer one request about the project's classes.

Started by ``petbrowser.core.child`` as ``python -I -B -c BOOTSTRAP AGENT_DIR
WORK_DIR`` in the project's interpreter.  The request is JSON on stdin; the
answer is JSON written to ``WORK_DIR/answer.json`` (never stdout, which user
code may flood), and ``WORK_DIR/stage`` says what the agent is doing so a
timeout can name the module that hung.  Only relative imports and the stdlib;
cloudpickle is imported only for ``dump`` and ``rebuild``.

The project's modules are compiled from their current source bytes and no
bytecode is written anywhere (``source_loader``): every answer is about the
code as it is on disk now.
"""

from __future__ import annotations

import base64
import importlib
import inspect
import json
import os
import sys
import traceback
import types
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from types import ModuleType
from typing import Any

from . import source_loader
from .describe import describe_class
from .hashing import class_hashes

#: The module name of a class defined in a script run as ``python train.py``.
SCRIPT_MODULE = "__main__"


class AgentError(Exception):
    """An error the parent turns into a typed PetBrowserError (``kind`` picks which)."""

    def __init__(self, message: str, kind: str = "error") -> None:
        super().__init__(message)
        self.message = message
        self.kind = kind


class _Stage:
    def __init__(self, work: Path) -> None:
        self.path = work / "stage"

    def __call__(self, text: str) -> None:
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, self.path)


def _setup_paths(root: Path, extra: list[str], code_cache: str | None = None) -> None:
    """Project root, ``src/`` and the folders of .py module paths come first,
    all of them compiled from source."""
    paths = [str(root)]
    if (root / "src").is_dir():
        paths.append(str(root / "src"))
    paths.extend(extra)
    source_loader.install(paths, code_cache)
    for p in reversed(paths):
        if p not in sys.path:
            sys.path.insert(0, p)


def _is_script(spec: str) -> bool:
    """A module given as a .py path (a script LabChain may have run as ``__main__``)."""
    return spec.endswith(".py") or "/" in spec or os.sep in spec


def _module_name(spec: str, root: Path) -> tuple[str, str | None]:
    """``(import name, folder to put on sys.path)`` for a module name or a .py path."""
    if _is_script(spec):
        path = Path(spec)
        if not path.is_absolute():
            path = root / path
        if not path.is_file():
            raise AgentError(f"module file {spec} does not exist", "import")
        return path.stem, str(path.parent.resolve())
    return spec, None


def _import(spec: str, root: Path, stage: _Stage) -> ModuleType:
    name, folder = _module_name(spec, root)
    if folder is not None:
        source_loader.add_project_folder(folder)
        if folder not in sys.path:
            sys.path.insert(0, folder)
    stage(f"importing module '{name}'")
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name == name or (exc.name and name.startswith(exc.name + ".")):
            raise AgentError(
                f"module '{name}' was not found in the project folder {root}", "not_found"
            ) from None
        raise AgentError(f"module '{name}' failed to import: {_one_line(exc)}", "import") from None
    except SyntaxError as exc:
        raise AgentError(f"module '{name}' failed to import: {_one_line(exc)}", "syntax") from None
    except BaseException as exc:  # noqa: BLE001 - user code may raise anything, even SystemExit
        if isinstance(exc, KeyboardInterrupt):
            raise
        raise AgentError(f"module '{name}' failed to import: {_one_line(exc)}", "import") from None


def _one_line(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}".strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _module_classes(mod: ModuleType) -> list[type]:
    """Classes defined in the module itself (not imported ones, not aliases)."""
    out = []
    for attr, value in vars(mod).items():
        if (
            isinstance(value, type)
            and value.__module__ == mod.__name__
            and value.__qualname__ == attr
        ):
            out.append(value)
    return out


def _file_of(cls: type, mod: ModuleType) -> str | None:
    try:
        return inspect.getsourcefile(cls)
    except (OSError, TypeError):
        return getattr(mod, "__file__", None)


def _hash_and_describe(cls: type) -> tuple[dict[str, str], dict[str, Any]]:
    try:
        return class_hashes(cls), describe_class(cls)
    except Exception as exc:
        raise AgentError(
            f"class '{cls.__qualname__}' of module '{cls.__module__}' could not be hashed: "
            f"{_one_line(exc)}",
            "hash",
        ) from None


def _own_objects(mod: ModuleType) -> list[Any]:
    """The classes (nested ones too) and functions whose ``__module__`` is ``mod``'s name."""
    found: list[Any] = []
    seen: set[int] = set()

    def visit(obj: Any) -> None:
        if id(obj) in seen or getattr(obj, "__module__", None) != mod.__name__:
            return
        seen.add(id(obj))
        found.append(obj)
        if isinstance(obj, type):
            for value in list(vars(obj).values()):
                if isinstance(value, (staticmethod, classmethod)):
                    value = value.__func__
                if isinstance(value, property):
                    for accessor in (value.fget, value.fset, value.fdel):
                        if isinstance(accessor, types.FunctionType):
                            visit(accessor)
                elif isinstance(value, (type, types.FunctionType)):
                    visit(value)

    for value in list(vars(mod).values()):
        if isinstance(value, (type, types.FunctionType)):
            visit(value)
    return found


@contextmanager
def _renamed_module(mod: ModuleType, name: str) -> Iterator[None]:
    """Give the module's own classes and functions ``__module__ = name`` for a while.

    A script LabChain ran (``python train.py``) defines its classes in
    ``__main__``, and both hashes start from the module name (of the class,
    its bases from the same script, annotations naming them).  Renaming the
    objects of the module imported under its file name gives the classes the
    script would have defined, without running its ``if __name__ ==
    "__main__":`` block, which importing never runs.
    """
    changed = []
    for obj in _own_objects(mod):
        try:
            obj.__module__ = name
        except (AttributeError, TypeError):  # a builtin-like object: leave it alone
            continue
        changed.append(obj)
    # ``inspect`` finds a class's file through sys.modules[cls.__module__].
    missing = object()
    previous = sys.modules.get(name, missing)
    sys.modules[name] = mod
    try:
        yield
    finally:
        if previous is missing:
            sys.modules.pop(name, None)
        else:
            sys.modules[name] = previous  # type: ignore[assignment]
        for obj in reversed(changed):
            try:
                obj.__module__ = mod.__name__
            except (AttributeError, TypeError):
                pass


def _script_hashes(cls: type) -> dict[str, str]:
    try:
        return class_hashes(cls)
    except Exception as exc:
        raise AgentError(
            f"class '{cls.__qualname__}' could not be hashed as {SCRIPT_MODULE}: "
            f"{_one_line(exc)}",
            "hash",
        ) from None


def _scan(req: dict[str, Any], root: Path, stage: _Stage) -> dict[str, Any]:
    """Every class of each module, with both hashes (and, for a .py script,
    both hashes as ``__main__`` under ``main_hashes``)."""
    classes = []
    for spec in req.get("modules") or []:
        mod = _import(spec, root, stage)
        found = []
        for cls in _module_classes(mod):
            stage(f"hashing class '{cls.__qualname__}' of module '{mod.__name__}'")
            hashes, described = _hash_and_describe(cls)
            found.append(
                {
                    "name": cls.__name__,
                    "module": mod.__name__,
                    "spec": spec,
                    "qualname": cls.__qualname__,
                    "file": _file_of(cls, mod),
                    "hashes": hashes,
                    "describe": described,
                }
            )
        if _is_script(spec) and found:
            stage(f"hashing the classes of '{spec}' as {SCRIPT_MODULE}")
            with _renamed_module(mod, SCRIPT_MODULE):
                for entry in found:
                    entry["main_hashes"] = _script_hashes(getattr(mod, entry["qualname"]))
        classes.extend(found)
    return {"classes": classes}


def _cloudpickle(python: str) -> Any:
    try:
        import cloudpickle
    except ImportError:
        raise AgentError(
            f"the project's interpreter {python} has no cloudpickle: pip install cloudpickle there",
            "no_cloudpickle",
        ) from None
    return cloudpickle


def _dump(req: dict[str, Any], root: Path, stage: _Stage) -> dict[str, Any]:
    """Pickle classes *by value*, so a version can be rebuilt where its source is gone.

    Each class is hashed and described right after it is pickled, from the
    same live class, so a version's name always matches the code inside it.
    ``as_main`` (a .py script whose store versions say ``__main__``) pickles,
    hashes and describes the classes as the script run by LabChain defines them.
    """
    cloudpickle = _cloudpickle(sys.executable)
    mod = _import(req["module"], root, stage)
    names = req.get("classes") or [req["class"]]
    items = []
    already = mod.__name__ in cloudpickle.list_registry_pickle_by_value()
    if not already:
        cloudpickle.register_pickle_by_value(mod)
    renamed = _renamed_module(mod, SCRIPT_MODULE) if req.get("as_main") else nullcontext()
    try:
        with renamed:
            for name in names:
                cls = getattr(mod, name, None)
                if not isinstance(cls, type):
                    raise AgentError(f"module '{mod.__name__}' has no class '{name}'", "not_found")
                stage(f"pickling class '{name}' of module '{mod.__name__}'")
                try:
                    data = cloudpickle.dumps(cls, protocol=4)
                except Exception as exc:
                    raise AgentError(
                        f"class '{name}' cannot be pickled: {_one_line(exc)}", "pickle"
                    ) from None
                hashes, described = _hash_and_describe(cls)
                items.append(
                    {
                        "name": name,
                        "module": cls.__module__,
                        "pkl": base64.b64encode(data).decode("ascii"),
                        "cloudpickle_version": cloudpickle.__version__,
                        "hashes": hashes,
                        "describe": described,
                    }
                )
    finally:
        if not already:
            cloudpickle.unregister_pickle_by_value(mod)
    return {"items": items}


def _rebuild(req: dict[str, Any], root: Path, stage: _Stage) -> dict[str, Any]:
    """Unpickle in this throwaway process; report what came back."""
    cloudpickle = _cloudpickle(sys.executable)
    stage("rebuilding the class from its pickle")
    try:
        obj = cloudpickle.loads(base64.b64decode(req["pkl"]))
    except Exception as exc:
        raise AgentError(f"the pickle could not be loaded: {_one_line(exc)}", "rebuild") from None
    if not isinstance(obj, type):
        raise AgentError(f"the pickle holds a {type(obj).__name__}, not a class", "rebuild")
    methods: dict[str, str | None] = {}
    for name, value in sorted(obj.__dict__.items()):
        fn = getattr(value, "__func__", value)
        if isinstance(value, property):
            fn = value.fget
        if callable(fn) and not isinstance(fn, type):
            try:
                methods[name] = str(inspect.signature(fn))
            except (TypeError, ValueError):
                methods[name] = None
    return {
        "class_name": obj.__name__,
        "module": obj.__module__,
        "qualname": obj.__qualname__,
        "methods": methods,
        "hashes": class_hashes(obj),
    }


_OPS = {"scan": _scan, "dump": _dump, "rebuild": _rebuild}


def run(argv: list[str]) -> int:
    """Read the request, answer it, and never let user output reach the answer."""
    work = Path(argv[0])
    stage = _Stage(work)
    # Anything the user's code prints goes to stderr; the parent keeps a tail of it.
    sys.stdout.flush()
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    try:
        req = json.loads(sys.stdin.read() or "{}")
        root = Path(req.get("root") or os.getcwd()).resolve()
        _setup_paths(root, [], req.get("code_cache"))
        op = _OPS.get(req.get("op", ""))
        if op is None:
            raise AgentError(f"unknown request {req.get('op')!r}", "protocol")
        answer: dict[str, Any] = {"ok": True, **op(req, root, stage)}
    except AgentError as exc:
        answer = {"ok": False, "error": exc.message, "kind": exc.kind}
    except BaseException as exc:  # noqa: BLE001 - report, never crash silently
        answer = {
            "ok": False,
            "error": _one_line(exc),
            "kind": "internal",
            "detail": traceback.format_exc(),
        }
    tmp = work / "answer.tmp"
    tmp.write_text(json.dumps(answer, default=str), encoding="utf-8")
    os.replace(tmp, work / "answer.json")
    sys.stderr.flush()
    return 0
