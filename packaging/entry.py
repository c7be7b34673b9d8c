"""Entry point of the frozen (PyInstaller) petbrowser executable.

Why this file and not ``petbrowser/__main__.py``: a frozen app has no Python
interpreter beside it, yet petbrowser runs the class agent in a child process
of "the project's interpreter" and falls back to its own ``sys.executable``
when a project has none (the demo, a bare folder).  In a frozen build that is
this executable, so it must answer ``petbrowser -I -c CODE ARGS...`` the way
``python -I -c`` would.  Nothing else in petbrowser has to know it is frozen.
"""

from __future__ import annotations

import sys

#: Interpreter flags petbrowser.core.child may put before ``-c``; all are
#: no-ops here (a frozen app already ignores PYTHONPATH and user site-packages).
_PYTHON_FLAGS = frozenset({"-I", "-E", "-s", "-S", "-B", "-u"})


def _python_c_request(argv: list[str]) -> tuple[str, list[str]] | None:
    """``(code, args)`` when ``argv`` is a ``python [flags] -c CODE ...`` call, else None."""
    i = 1
    while i < len(argv) and argv[i] in _PYTHON_FLAGS:
        i += 1
    if i + 1 < len(argv) and argv[i] == "-c":
        return argv[i + 1], argv[i + 2 :]
    return None


def _run_python_c(code: str, args: list[str]) -> None:
    """Run ``code`` as ``python -c`` does: ``sys.argv[0] == '-c'``, a fresh ``__main__``."""
    import types

    sys.argv = ["-c", *args]
    main = types.ModuleType("__main__")
    main.__dict__["__builtins__"] = __builtins__
    sys.modules["__main__"] = main
    exec(compile(code, "<string>", "exec"), main.__dict__)


def main() -> int:
    request = _python_c_request(sys.argv) if getattr(sys, "frozen", False) else None
    if request is not None:
        _run_python_c(*request)
        return 0
    from petbrowser.cli import main as cli_main

    return cli_main()


if __name__ == "__main__":
    raise SystemExit(main())
